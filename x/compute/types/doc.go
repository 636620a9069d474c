// Package types holds x/compute's API, shared by its keeper, its CLI, the
// facade and the indexer: the generated protobuf messages, queries, events and
// genesis; the store prefixes and field bounds (keys.go); the registered
// errors, whose codes never change (errors.go); each message's stateless
// ValidateBasic; params and genesis validation; the job states and the
// exact bytes a provider signs for a receipt (receipt.go). Nothing here reads
// state.
package types
