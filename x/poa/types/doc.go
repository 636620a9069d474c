// Package types holds x/poa's API, shared by its keeper, its ante decorator
// and the CLI: the generated protobuf messages, queries, events and genesis;
// the store prefixes and power bounds (keys.go); the registered errors, whose
// codes never change (errors.go); each message's stateless ValidateBasic; the
// consensus modes (POA, HYBRID, POS) with the transitions between them; and
// params and genesis validation. Nothing here reads state.
package types
