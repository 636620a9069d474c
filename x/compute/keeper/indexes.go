package keeper

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	collcodec "cosmossdk.io/collections/codec"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aitbc/chain/x/compute/types"
)

// The job and provider indexes are collections.IndexedMap indexes: Jobs.Set
// and Providers.Set/Remove keep them, so no message handler can forget one.
//
// indexes.Multi would do for the client and state indexes, but it deletes and
// rewrites its entry on every Set even when the field did not change, and it
// cannot leave a value out (a job has no provider until one accepts it).
// fieldIndex writes only when the field changes, skips absent fields and can
// count entries per key. Its entries are stored as Multi's and as the
// KeySets of consensus version 1 were: Pair(field, primary key) under the
// index's prefix, so the v2 migration rewrites no index.

// fieldIndex indexes the values of an IndexedMap by one field.
type fieldIndex[R, K, V any] struct {
	// Keys holds Pair(field, primary key); queries page through it.
	Keys     collections.KeySet[collections.Pair[R, K]]
	name     string
	refCodec collcodec.KeyCodec[R]
	// field returns the value's key in this index; ok is false for a value
	// the index leaves out.
	field func(V) (ref R, ok bool, err error)
	// counts, when set, holds how many entries each key has.
	counts *collections.Map[R, uint64]
}

func newFieldIndex[R, K, V any](sb *collections.SchemaBuilder, prefix collections.Prefix, name string,
	refCodec collcodec.KeyCodec[R], pkCodec collcodec.KeyCodec[K], field func(V) (R, bool, error),
	counts *collections.Map[R, uint64],
) *fieldIndex[R, K, V] {
	return &fieldIndex[R, K, V]{
		Keys: collections.NewKeySet(sb, prefix, name, collections.PairKeyCodec(refCodec, pkCodec),
			collections.WithKeySetSecondaryIndex()),
		name:     name,
		refCodec: refCodec,
		field:    field,
		counts:   counts,
	}
}

// Reference moves pk's entry from the old value's key to the new value's,
// and does nothing when the key is unchanged.
func (i *fieldIndex[R, K, V]) Reference(ctx context.Context, pk K, value V, lazyOld func() (V, error)) error {
	ref, ok, err := i.field(value)
	if err != nil {
		return err
	}
	old, err := lazyOld()
	switch {
	case errors.Is(err, collections.ErrNotFound):
	case err != nil:
		return err
	default:
		oldRef, oldOK, err := i.field(old)
		if err != nil {
			return err
		}
		if oldOK == ok && (!ok || i.sameKey(oldRef, ref)) {
			return nil
		}
		if oldOK {
			if err := i.remove(ctx, oldRef, pk); err != nil {
				return err
			}
		}
	}
	if !ok {
		return nil
	}
	if err := i.Keys.Set(ctx, collections.Join(ref, pk)); err != nil {
		return err
	}
	return i.count(ctx, ref, 1)
}

// Unreference removes pk's entry.
func (i *fieldIndex[R, K, V]) Unreference(ctx context.Context, pk K, lazyOld func() (V, error)) error {
	old, err := lazyOld()
	if err != nil {
		return err
	}
	ref, ok, err := i.field(old)
	if err != nil || !ok {
		return err
	}
	return i.remove(ctx, ref, pk)
}

func (i *fieldIndex[R, K, V]) remove(ctx context.Context, ref R, pk K) error {
	if err := i.Keys.Remove(ctx, collections.Join(ref, pk)); err != nil {
		return err
	}
	return i.count(ctx, ref, -1)
}

// count adds delta to ref's count; a count never goes below zero, and one
// that would is a broken index, reported rather than wrapped around.
func (i *fieldIndex[R, K, V]) count(ctx context.Context, ref R, delta int) error {
	if i.counts == nil {
		return nil
	}
	n, err := i.counts.Get(ctx, ref)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	switch {
	case delta > 0:
		n++
	case n == 0:
		return fmt.Errorf("index %s: count of %s would go below zero", i.name, i.refCodec.Stringify(ref))
	default:
		n--
	}
	if n == 0 {
		return i.counts.Remove(ctx, ref)
	}
	return i.counts.Set(ctx, ref, n)
}

func (i *fieldIndex[R, K, V]) sameKey(a, b R) bool {
	return bytes.Equal(encodeKey(i.refCodec, a), encodeKey(i.refCodec, b))
}

func encodeKey[R any](c collcodec.KeyCodec[R], k R) []byte {
	buf := make([]byte, c.Size(k))
	n, err := c.Encode(buf, k)
	if err != nil {
		// The key was built by this module's own field function from a value
		// that was just decoded or validated: an encoding failure is a bug.
		panic(fmt.Errorf("encoding index key %s: %w", c.Stringify(k), err))
	}
	return buf[:n]
}

// entryCounter counts the entries of an IndexedMap.
type entryCounter[K, V any] struct {
	total collections.Item[uint64]
	name  string
}

func (c entryCounter[K, V]) Reference(ctx context.Context, _ K, _ V, lazyOld func() (V, error)) error {
	_, err := lazyOld()
	switch {
	case errors.Is(err, collections.ErrNotFound):
		n, err := c.Get(ctx)
		if err != nil {
			return err
		}
		return c.total.Set(ctx, n+1)
	default:
		return err // nil: an update, the count stays
	}
}

func (c entryCounter[K, V]) Unreference(ctx context.Context, _ K, lazyOld func() (V, error)) error {
	if _, err := lazyOld(); err != nil {
		return err
	}
	n, err := c.Get(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s would go below zero", c.name)
	}
	return c.total.Set(ctx, n-1)
}

// Get returns the count, zero when nothing was ever counted.
func (c entryCounter[K, V]) Get(ctx context.Context) (uint64, error) {
	n, err := c.total.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return 0, nil
	}
	return n, err
}

// readOnce hands the same old value to every index of a Set: IndexedMap
// gives each index its own lazy read, and every read of a job costs gas.
type readOnce[K, V any] []collections.Index[K, V]

func (ix readOnce[K, V]) Reference(ctx context.Context, pk K, value V, lazyOld func() (V, error)) error {
	old := once(lazyOld)
	for _, i := range ix {
		if err := i.Reference(ctx, pk, value, old); err != nil {
			return err
		}
	}
	return nil
}

func (ix readOnce[K, V]) Unreference(ctx context.Context, pk K, lazyOld func() (V, error)) error {
	old := once(lazyOld)
	for _, i := range ix {
		if err := i.Unreference(ctx, pk, old); err != nil {
			return err
		}
	}
	return nil
}

func once[V any](get func() (V, error)) func() (V, error) {
	var (
		v    V
		err  error
		done bool
	)
	return func() (V, error) {
		if !done {
			v, err = get()
			done = true
		}
		return v, err
	}
}

// JobIndexes are the Jobs map's indexes: by client, by provider (once one
// accepted), and by state with a count per state.
type JobIndexes struct {
	Client   *fieldIndex[sdk.AccAddress, uint64, types.Job]
	Provider *fieldIndex[sdk.AccAddress, uint64, types.Job]
	State    *fieldIndex[int32, uint64, types.Job]
}

// IndexesList groups the three under one read of the old job.
func (ix JobIndexes) IndexesList() []collections.Index[uint64, types.Job] {
	return []collections.Index[uint64, types.Job]{
		readOnce[uint64, types.Job]{ix.Client, ix.Provider, ix.State},
	}
}

func newJobIndexes(sb *collections.SchemaBuilder, stateCounts *collections.Map[int32, uint64]) JobIndexes {
	return JobIndexes{
		Client: newFieldIndex(sb, types.JobsByClientPrefix, "jobs_by_client", sdk.AccAddressKey, collections.Uint64Key,
			func(j types.Job) (sdk.AccAddress, bool, error) {
				addr, err := sdk.AccAddressFromBech32(j.Client)
				return addr, err == nil, err
			}, nil),
		Provider: newFieldIndex(sb, types.JobsByProvPrefix, "jobs_by_provider", sdk.AccAddressKey, collections.Uint64Key,
			func(j types.Job) (sdk.AccAddress, bool, error) {
				if j.Provider == "" {
					return nil, false, nil
				}
				addr, err := sdk.AccAddressFromBech32(j.Provider)
				return addr, err == nil, err
			}, nil),
		State: newFieldIndex(sb, types.JobsByStatePrefix, "jobs_by_state", collections.Int32Key, collections.Uint64Key,
			func(j types.Job) (int32, bool, error) { return int32(j.State), true, nil }, stateCounts),
	}
}

// ProviderIndexes count the providers.
type ProviderIndexes struct {
	Count entryCounter[sdk.AccAddress, types.Provider]
}

// IndexesList returns the counter.
func (ix ProviderIndexes) IndexesList() []collections.Index[sdk.AccAddress, types.Provider] {
	return []collections.Index[sdk.AccAddress, types.Provider]{ix.Count}
}
