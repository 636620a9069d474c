package cmd

import "github.com/aitbc/chain/networks/localnet"

// DevnetChainID is the chain id of the single-node developer network.
const DevnetChainID = localnet.DevnetChainID

// DevnetAccount is a key the devnet creates and funds at genesis.
type DevnetAccount = localnet.Account

// DevnetAccounts are the devnet's keys (INSECURE, published mnemonics; see
// localnet.DevnetAccounts).
var DevnetAccounts = localnet.DevnetAccounts

// DevnetSelfDelegation is what the devnet validator bonds at genesis (uait).
var DevnetSelfDelegation = localnet.DevnetSelfDelegation
