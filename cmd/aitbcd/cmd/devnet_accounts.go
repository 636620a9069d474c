package cmd

import sdkmath "cosmossdk.io/math"

// DevnetChainID is the chain id of the single-node developer network.
const DevnetChainID = "ait-devnet-1"

// DevnetAccount is a key the devnet creates and funds at genesis.
type DevnetAccount struct {
	Name     string
	Mnemonic string
	Balance  sdkmath.Int // in uait
}

// ait converts whole AIT to uait.
func ait(n int64) sdkmath.Int { return sdkmath.NewInt(n).MulRaw(1_000_000) }

// DevnetAccounts are the devnet's keys.
//
// INSECURE: these mnemonics are published in this repository and the README.
// Anyone can spend from these addresses on any chain. Use them only on a
// local devnet; never send real funds to them.
var DevnetAccounts = []DevnetAccount{
	{
		Name:     "validator",
		Mnemonic: "board tortoise thing potato penalty surface happy horn broom glass bachelor bulk wrong jump rally flight tornado useful pottery extend picture glass sketch initial",
		Balance:  ait(1_000_000),
	},
	{
		Name:     "faucet",
		Mnemonic: "legend vessel rocket embark lab garlic budget second toast loan truck sand initial fruit library suffer mistake tank legal film enroll unable moral basket",
		Balance:  ait(100_000_000),
	},
	{
		Name:     "alice",
		Mnemonic: "scissors sport december album total flee tenant invite toilet orchard play upon action tumble candy daughter music plug muffin viable current sorry run wet",
		Balance:  ait(1_000_000),
	},
	{
		Name:     "bob",
		Mnemonic: "reflect spoil sting donor drama clip concert energy surround leg isolate shoulder awake salt dynamic bomb legal scorpion fold useless wish burger license danger",
		Balance:  ait(1_000_000),
	},
	{
		Name:     "carol",
		Mnemonic: "embark biology crew connect follow relief involve ensure voice license matrix super park maze manage gallery hurdle impose alcohol crack pole slogan aim catalog",
		Balance:  ait(1_000_000),
	},
}

// DevnetSelfDelegation is what the devnet validator bonds at genesis (uait).
var DevnetSelfDelegation = ait(100_000)
