package localnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmttypes "github.com/cometbft/cometbft/types"
	dbm "github.com/cosmos/cosmos-db"
	bip39 "github.com/cosmos/go-bip39"

	"cosmossdk.io/log/v2"
	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"
	clientconfig "github.com/cosmos/cosmos-sdk/client/config"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	srvconfig "github.com/cosmos/cosmos-sdk/server/config"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/version"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/networks/localnet/tomledit"
)

// HomeTemplate is what a new node home holds besides its keys and genesis:
// the files `aitbcd init` writes. The command tree owns these defaults (they
// are the node's configuration); networks built here get the same files.
type HomeTemplate struct {
	// CometConfig returns a fresh config.toml default for each node.
	CometConfig func() *cmtcfg.Config
	// AppTOML is app.toml's template ("" for the SDK's) and AppConfig the
	// values it renders.
	AppTOML   string
	AppConfig any
}

func (t HomeTemplate) validate() error {
	if t.CometConfig == nil || t.AppConfig == nil {
		return errors.New("localnet: the options have no HomeTemplate (CometConfig and AppConfig are required)")
	}
	return nil
}

// Gentx defaults, as `aitbcd genesis gentx` has them.
const (
	gentxGas                     = flags.DefaultGasLimit
	gentxCommissionRate          = "0.1"
	gentxCommissionMaxRate       = "0.2"
	gentxCommissionMaxChangeRate = "0.01"
	// mnemonicEntropy is `keys add`'s: 24 words.
	mnemonicEntropy = 256
)

// builder makes node homes and one shared genesis with genutil and keyring
// calls. One in-memory app gives it the codecs and module basics for the
// whole network.
type builder struct {
	tmpl  HomeTemplate
	cdc   codec.Codec
	txCfg client.TxConfig
	app   *app.App
}

type noAppOptions struct{}

func (noAppOptions) Get(string) any { return nil }

func newBuilder(tmpl HomeTemplate) (*builder, error) {
	if err := tmpl.validate(); err != nil {
		return nil, err
	}
	a := app.New(log.NewNopLogger(), dbm.NewMemDB(), false, noAppOptions{})
	return &builder{tmpl: tmpl, cdc: a.AppCodec(), txCfg: a.TxConfig(), app: a}, nil
}

// home is one node home being built.
type home struct {
	dir    string
	cfg    *cmtcfg.Config // config.toml as written; genutil rewrites it from this
	nodeID string
	valKey cryptotypes.PubKey
	kr     keyring.Keyring
}

// initHome writes what `aitbcd init <moniker> --chain-id <chainID>` writes:
// config.toml, app.toml, client.toml, otel.yaml, the node and consensus keys
// (the consensus key derived from consensusMnemonic when it is not empty)
// and a default genesis with AITBC's defaults.
func (b *builder) initHome(dir, moniker, chainID, consensusMnemonic string) (*home, error) {
	if consensusMnemonic != "" && !bip39.IsMnemonicValid(consensusMnemonic) {
		return nil, errors.New("invalid mnemonic")
	}
	cfgDir := filepath.Join(dir, "config")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		return nil, err
	}
	// The node's databases and signing state: private, as the SDK makes it.
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		return nil, err
	}
	cfg := b.tmpl.CometConfig()
	cfg.SetRoot(dir)
	if b.tmpl.AppTOML != "" {
		srvconfig.SetConfigTemplate(b.tmpl.AppTOML)
	}
	srvconfig.WriteConfigFile(filepath.Join(cfgDir, "app.toml"), b.tmpl.AppConfig)
	// The SDK's client.toml with the chain id; the caller sets the rest.
	if _, err := clientconfig.ReadFromClientConfig(client.Context{}.WithHomeDir(dir).WithChainID(chainID).WithViper("")); err != nil {
		return nil, fmt.Errorf("client.toml: %w", err)
	}
	nodeID, valKey, err := genutil.InitializeNodeValidatorFilesFromMnemonicWithKeyType(cfg, consensusMnemonic, ed25519.KeyType)
	if err != nil {
		return nil, err
	}
	cfg.Moniker = moniker

	genesis := &genutiltypes.AppGenesis{
		AppName:       version.AppName,
		AppVersion:    version.Version,
		ChainID:       chainID,
		InitialHeight: 1,
		Consensus:     &genutiltypes.ConsensusGenesis{Params: cmttypes.DefaultConsensusParams()},
	}
	genesis.Consensus.Params.Validator.PubKeyTypes = []string{ed25519.KeyType}
	if err := app.ApplyGenesisDefaults(genesis, b.cdc, b.app.BasicModuleManager); err != nil {
		return nil, err
	}
	if err := genutil.ExportGenesisFile(genesis, cfg.GenesisFile()); err != nil {
		return nil, err
	}
	cmtcfg.WriteConfigFile(filepath.Join(cfgDir, "config.toml"), cfg)
	if err := os.WriteFile(filepath.Join(cfgDir, "otel.yaml"), nil, 0o600); err != nil {
		return nil, err
	}
	kr, err := keyring.New(sdk.KeyringServiceName(), keyring.BackendTest, dir, nil, b.cdc)
	if err != nil {
		return nil, err
	}
	return &home{dir: dir, cfg: cfg, nodeID: nodeID, valKey: valKey, kr: kr}, nil
}

func (h *home) genesisFile() string { return h.cfg.GenesisFile() }

// addKey adds a secp256k1 key to the home's test keyring, from mnemonic or,
// when it is empty, from a new one (as `keys add [--recover]` does), and
// returns its address.
func (h *home) addKey(name, mnemonic string) (string, error) {
	if mnemonic == "" {
		entropy, err := bip39.NewEntropy(mnemonicEntropy)
		if err != nil {
			return "", err
		}
		if mnemonic, err = bip39.NewMnemonic(entropy); err != nil {
			return "", err
		}
	}
	hdPath := hd.CreateHDPath(sdk.GetConfig().GetCoinType(), 0, 0).String()
	rec, err := h.kr.NewAccount(name, mnemonic, keyring.DefaultBIP39Passphrase, hdPath, hd.Secp256k1)
	if err != nil {
		return "", err
	}
	addr, err := rec.GetAddress()
	if err != nil {
		return "", err
	}
	return addr.String(), nil
}

// addGenesisAccount funds address in the home's genesis, as
// `genesis add-genesis-account` does.
func (b *builder) addGenesisAccount(h *home, address string, amount sdkmath.Int) error {
	addr, err := sdk.AccAddressFromBech32(address)
	if err != nil {
		return err
	}
	return genutil.AddGenesisAccount(b.cdc, addr, false, h.genesisFile(), amount.String()+app.BondDenom, "", 0, 0, "")
}

// gentx is what `genesis gentx <key> <amount> --moniker … --ip … --p2p-port …`
// does: a signed MsgCreateValidator with the SDK CLI's default commission,
// written to outputDocument (the home's config/gentx/gentx-<node id>.json when "").
func (b *builder) gentx(h *home, keyName string, amount sdkmath.Int, chainID, moniker, ip string, p2pPort int, outputDocument string) error {
	var genesisState map[string]json.RawMessage
	appGenesis, err := genutiltypes.AppGenesisFromFile(h.genesisFile())
	if err != nil {
		return err
	}
	if err := json.Unmarshal(appGenesis.AppState, &genesisState); err != nil {
		return fmt.Errorf("failed to unmarshal genesis state: %w", err)
	}
	if err := b.app.BasicModuleManager.ValidateGenesis(b.cdc, b.txCfg, genesisState); err != nil {
		return fmt.Errorf("failed to validate genesis state: %w", err)
	}
	key, err := h.kr.Key(keyName)
	if err != nil {
		return fmt.Errorf("failed to fetch '%s' from the keyring: %w", keyName, err)
	}
	addr, err := key.GetAddress()
	if err != nil {
		return err
	}
	coin := sdk.NewCoin(app.BondDenom, amount)
	if err := genutil.ValidateAccountInGenesis(genesisState, banktypes.GenesisBalancesIterator{}, addr, sdk.NewCoins(coin), b.cdc); err != nil {
		return fmt.Errorf("failed to validate account in genesis: %w", err)
	}
	valAddr, err := b.txCfg.SigningContext().ValidatorAddressCodec().BytesToString(sdk.ValAddress(addr))
	if err != nil {
		return err
	}
	msg, err := stakingtypes.NewMsgCreateValidator(valAddr, h.valKey, coin,
		stakingtypes.NewDescription(moniker, "", "", "", ""),
		stakingtypes.NewCommissionRates(sdkmath.LegacyMustNewDecFromStr(gentxCommissionRate),
			sdkmath.LegacyMustNewDecFromStr(gentxCommissionMaxRate), sdkmath.LegacyMustNewDecFromStr(gentxCommissionMaxChangeRate)),
		sdkmath.OneInt())
	if err != nil {
		return err
	}
	if err := msg.Validate(b.txCfg.SigningContext().ValidatorAddressCodec()); err != nil {
		return err
	}
	factory := tx.Factory{}.WithTxConfig(b.txCfg).WithKeybase(h.kr).WithChainID(chainID).WithGas(gentxGas)
	if ip != "" && p2pPort > 0 {
		factory = factory.WithMemo(fmt.Sprintf("%s@%s:%d", h.nodeID, ip, p2pPort))
	}
	txb, err := factory.BuildUnsignedTx(msg)
	if err != nil {
		return err
	}
	if err := tx.Sign(context.Background(), factory, keyName, txb, true); err != nil {
		return fmt.Errorf("failed to sign std tx: %w", err)
	}
	raw, err := b.txCfg.TxJSONEncoder()(txb.GetTx())
	if err != nil {
		return err
	}
	if outputDocument == "" {
		dir := filepath.Join(h.dir, "config", "gentx")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		outputDocument = filepath.Join(dir, "gentx-"+h.nodeID+".json")
	}
	f, err := os.OpenFile(outputDocument, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(f, "%s\n", raw); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// collectGentxs puts the gentxs in gentxDir ("" for the home's config/gentx)
// into the home's genesis, as `genesis collect-gentxs` does; genutil also
// rewrites config.toml with the other validators as persistent peers.
func (b *builder) collectGentxs(h *home, gentxDir string) error {
	if gentxDir == "" {
		gentxDir = filepath.Join(h.dir, "config", "gentx")
	}
	appGenesis, err := genutiltypes.AppGenesisFromFile(h.genesisFile())
	if err != nil {
		return fmt.Errorf("failed to read genesis doc from file: %w", err)
	}
	basic, ok := b.app.BasicModuleManager[genutiltypes.ModuleName].(genutil.AppModuleBasic)
	if !ok {
		return errors.New("the app has no genutil module")
	}
	initCfg := genutiltypes.NewInitConfig(appGenesis.ChainID, gentxDir, h.nodeID, h.valKey)
	_, err = genutil.GenAppStateFromConfig(b.cdc, b.txCfg, h.cfg, initCfg, appGenesis,
		banktypes.GenesisBalancesIterator{}, basic.GenTxValidator, b.txCfg.SigningContext().ValidatorAddressCodec())
	return err
}

// validateGenesis checks the home's genesis as `genesis validate` does.
func (b *builder) validateGenesis(h *home) error {
	appGenesis, err := genutiltypes.AppGenesisFromFile(h.genesisFile())
	if err != nil {
		return err
	}
	if err := appGenesis.ValidateAndComplete(); err != nil {
		return err
	}
	var state map[string]json.RawMessage
	if err := json.Unmarshal(appGenesis.AppState, &state); err != nil {
		return fmt.Errorf("%s: app_state: %w", h.genesisFile(), err)
	}
	if err := b.app.BasicModuleManager.ValidateGenesis(b.cdc, b.txCfg, state); err != nil {
		return fmt.Errorf("error validating genesis file %s: %w", h.genesisFile(), err)
	}
	return nil
}

// setClient makes `aitbcd --home <home> tx/query …` talk to chainID with the
// test keyring, and to node when it is not "".
func setClient(dir, chainID, node string) error {
	values := map[string]string{"chain-id": chainID, "keyring-backend": keyring.BackendTest}
	if node != "" {
		values["node"] = node
	}
	return tomledit.SetValues(filepath.Join(dir, "config", "client.toml"), "", values)
}
