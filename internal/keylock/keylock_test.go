package keylock

import (
	"sync"
	"testing"
)

func TestLockSerialisesOneKeyAndForgetsIt(t *testing.T) {
	var m Map
	var wg sync.WaitGroup
	var counts [2]int // one counter per key: only one key's holders touch it
	for i := range 200 {
		k := i % 2
		wg.Go(func() {
			unlock := m.Lock([]string{"a", "b"}[k])
			defer unlock()
			counts[k]++ // a race here fails under -race if Lock does not serialise
		})
	}
	wg.Wait()
	if counts[0] != 100 || counts[1] != 100 {
		t.Fatalf("got %v, want 100 each", counts)
	}
	if n := m.Len(); n != 0 {
		t.Fatalf("got %d keys kept, want 0", n)
	}
}
