package sigcache

import "testing"

func TestCacheEvictsOldestFirst(t *testing.T) {
	c := New(2)
	a, b, d := entryKey("k", []byte("a"), nil, nil), entryKey("k", []byte("b"), nil, nil), entryKey("k", []byte("d"), nil, nil)
	c.add(a)
	c.add(b)
	c.add(a) // already held: must not take a second slot
	if !c.contains(a) || !c.contains(b) || c.Len() != 2 {
		t.Fatalf("a and b should be held, len %d", c.Len())
	}
	c.add(d) // evicts a, the oldest
	if c.contains(a) {
		t.Fatal("a should have been evicted")
	}
	if !c.contains(b) || !c.contains(d) || c.Len() != 2 {
		t.Fatalf("b and d should be held, len %d", c.Len())
	}
	if hits, misses := c.Stats(); hits != 4 || misses != 1 {
		t.Fatalf("stats %d hits %d misses, want 4 and 1", hits, misses)
	}
}

// The four parts are length-prefixed: moving a byte from one part to the
// next gives a different entry.
func TestEntryKeySeparatesParts(t *testing.T) {
	if entryKey("k", []byte("ab"), []byte("c"), nil) == entryKey("k", []byte("a"), []byte("bc"), nil) {
		t.Fatal("entry keys of different parts collide")
	}
	first, again := entryKey("k", []byte("a"), []byte("b"), []byte("s")), entryKey("k", []byte("a"), []byte("b"), []byte("s"))
	if first != again {
		t.Fatal("entry key is not a function of its parts")
	}
}

func TestNewRejectsNonPositiveSize(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New(0) should panic")
		}
	}()
	New(0)
}
