package localnet

import sdkmath "cosmossdk.io/math"

// Account is a key a devnet or localnet creates and funds at genesis.
type Account struct {
	Name     string
	Mnemonic string
	Balance  sdkmath.Int // in uait
}

// AIT converts whole AIT to uait.
func AIT(n int64) sdkmath.Int { return sdkmath.NewInt(n).MulRaw(1_000_000) }

// DevnetAccounts are the devnet's keys; the localnet funds all but the
// validator and puts them in every node's keyring.
//
// INSECURE: these mnemonics are published in this repository and the README.
// Anyone can spend from these addresses on any chain. Use them only on a
// local network; never send real funds to them.
var DevnetAccounts = []Account{
	{
		Name:     "validator",
		Mnemonic: "board tortoise thing potato penalty surface happy horn broom glass bachelor bulk wrong jump rally flight tornado useful pottery extend picture glass sketch initial",
		Balance:  AIT(1_000_000),
	},
	{
		Name:     "faucet",
		Mnemonic: "legend vessel rocket embark lab garlic budget second toast loan truck sand initial fruit library suffer mistake tank legal film enroll unable moral basket",
		Balance:  AIT(100_000_000),
	},
	{
		Name:     "alice",
		Mnemonic: "scissors sport december album total flee tenant invite toilet orchard play upon action tumble candy daughter music plug muffin viable current sorry run wet",
		Balance:  AIT(1_000_000),
	},
	{
		Name:     "bob",
		Mnemonic: "reflect spoil sting donor drama clip concert energy surround leg isolate shoulder awake salt dynamic bomb legal scorpion fold useless wish burger license danger",
		Balance:  AIT(1_000_000),
	},
	{
		Name:     "carol",
		Mnemonic: "embark biology crew connect follow relief involve ensure voice license matrix super park maze manage gallery hurdle impose alcohol crack pole slogan aim catalog",
		Balance:  AIT(1_000_000),
	},
}

// SharedAccounts are DevnetAccounts without the devnet's validator: the
// localnet funds them and puts them in every node's keyring.
func SharedAccounts() []Account {
	var accs []Account
	for _, acc := range DevnetAccounts {
		if acc.Name != "validator" {
			accs = append(accs, acc)
		}
	}
	return accs
}
