package keylock

import (
	"sync"
	"testing"
)

func TestLockSerialisesOneKeyAndForgetsIt(t *testing.T) {
	var m Map
	var wg sync.WaitGroup
	counts := map[string]int{}
	for i := range 200 {
		key := []string{"a", "b"}[i%2]
		wg.Go(func() {
			unlock := m.Lock(key)
			defer unlock()
			counts[key]++ // a race here fails under -race if Lock does not serialise
		})
	}
	wg.Wait()
	if counts["a"] != 100 || counts["b"] != 100 {
		t.Fatalf("got %v, want 100 each", counts)
	}
	if n := m.Len(); n != 0 {
		t.Fatalf("got %d keys kept, want 0", n)
	}
}
