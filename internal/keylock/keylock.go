// Package keylock serialises work by key: one holder per key at a time,
// any number of keys at once, and no memory kept for keys nobody holds.
package keylock

import "sync"

// Map is a set of per-key mutexes. The zero value is ready to use.
type Map struct {
	mu   sync.Mutex
	keys map[string]*entry
}

type entry struct {
	mu      sync.Mutex
	holders int
}

// Lock takes the lock of key and returns its release.
func (m *Map) Lock(key string) (unlock func()) {
	m.mu.Lock()
	if m.keys == nil {
		m.keys = map[string]*entry{}
	}
	e := m.keys[key]
	if e == nil {
		e = &entry{}
		m.keys[key] = e
	}
	e.holders++
	m.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		m.mu.Lock()
		if e.holders--; e.holders == 0 {
			delete(m.keys, key)
		}
		m.mu.Unlock()
	}
}

// Len is how many keys are held or waited for.
func (m *Map) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.keys)
}
