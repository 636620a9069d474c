// Package sigcache remembers signatures this node has already verified, so a
// transaction's signatures are checked once when it enters the mempool
// (CheckTx) and not again when its block executes (FinalizeBlock), nor again
// when Block-STM re-runs it.
//
// A cache entry is the SHA-256 of (public key type, public key, sign bytes,
// signature). secp256k1/ed25519 verification is a pure function of those
// four, so a hit answers exactly what verification would: the state machine
// stays deterministic, and a node with a cold cache (restarted, or one that
// never saw the transaction in its mempool) computes the same results, only
// slower. Only successful verifications are stored; gas is charged by the
// ante handler's gas decorator whether or not the cache hits.
package sigcache

import (
	"crypto/sha256"
	"sync"
	"sync/atomic"
)

// DefaultSize is how many verified signatures a node keeps: several full
// mempools' worth (CometBFT's default mempool holds 5,000 transactions), at
// about 100 bytes per entry.
const DefaultSize = 100_000

type key [sha256.Size]byte

// Cache is a fixed-size set of verified signatures; the oldest entry makes
// room for a new one. It is safe for concurrent use (CheckTx and Block-STM
// workers call it at the same time).
type Cache struct {
	mu      sync.Mutex
	entries map[key]struct{}
	ring    []key // insertion order; ring[next] is the oldest once full
	next    int

	hits, misses atomic.Uint64
}

// New returns a cache that holds up to size signatures.
func New(size int) *Cache {
	if size <= 0 {
		panic("sigcache: size must be positive")
	}
	return &Cache{entries: make(map[key]struct{}, size), ring: make([]key, 0, size)}
}

func entryKey(pubKeyType string, pubKey, signBytes, signature []byte) key {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(pubKeyType), pubKey, signBytes, signature} {
		// Length prefixes keep the four parts from running into each other.
		n := len(part)
		h.Write([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
		h.Write(part)
	}
	var k key
	h.Sum(k[:0])
	return k
}

func (c *Cache) contains(k key) bool {
	c.mu.Lock()
	_, ok := c.entries[k]
	c.mu.Unlock()
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return ok
}

func (c *Cache) add(k key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[k]; ok {
		return
	}
	if len(c.ring) < cap(c.ring) {
		c.ring = append(c.ring, k)
	} else {
		delete(c.entries, c.ring[c.next])
		c.ring[c.next] = k
		c.next = (c.next + 1) % len(c.ring)
	}
	c.entries[k] = struct{}{}
}

// Stats returns how many lookups found a verified signature and how many did not.
func (c *Cache) Stats() (hits, misses uint64) {
	return c.hits.Load(), c.misses.Load()
}

// Len returns the number of signatures held.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
