// Package indexer writes the chain's committed history into SQL (SQLite by
// default, PostgreSQL with DATABASE_URL): blocks, transactions, events, the
// accounts each transaction touched, and x/compute's jobs, receipts and
// settlements, and answers the facade's history queries from it.
//
// It reads only committed blocks through CometBFT RPC, behind consensus and
// never in its way: a slow or absent database makes the index lag, not the
// chain. A cursor moved in the same SQL transaction as the rows lets it
// resume exactly after the last block it wrote. README.md has the schema
// and the operating details.
package indexer
