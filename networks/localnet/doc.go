// Package localnet creates and runs local AITBC networks on 127.0.0.1: the
// multi-validator localnet (ait-localnet-1) and the single-node devnet
// (ait-devnet-1). It holds no command-line code: cmd/aitbcd/cmd maps the
// `aitbcd localnet` and `aitbcd devnet` flags to its typed options, and the
// system tests read the same manifest types.
//
// The package is layered, one concern per file:
//   - manifest.go: the network's shape (Network, Node, Ports, roles) and
//     localnet.json, written once when a network is created;
//   - mode.go: CONSENSUS_MODE, parsed once for every caller;
//   - homes (genesis.go, home.go, create.go, devnet.go): node homes and the
//     shared genesis, built with genutil and keyring calls;
//   - process.go: background nodes, pid files and signals;
//   - status.go: what the nodes say, through CometBFT's RPC client.
package localnet
