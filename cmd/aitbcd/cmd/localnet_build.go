package cmd

import (
	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/aitbc/chain/networks/localnet"
)

// The localnet lives in networks/localnet; these names keep the command's
// code and tests readable.
const (
	LocalnetChainID             = localnet.ChainID
	DefaultLocalnetBasePort     = localnet.DefaultBasePort
	LocalnetPortStride          = localnet.PortStride
	MaxLocalnetNodes            = localnet.MaxNodes
	DefaultLocalnetVotingPeriod = localnet.DefaultVotingPeriod

	localnetManifest = localnet.ManifestFile

	RoleValidator = localnet.RoleValidator
	RoleFullNode  = localnet.RoleFullNode
)

type (
	LocalnetPorts   = localnet.Ports
	LocalnetNode    = localnet.Node
	Localnet        = localnet.Network
	LocalnetOptions = localnet.Options
)

// LocalnetPortsFor returns node i's ports (localnet.PortsFor).
func LocalnetPortsFor(base, i int) LocalnetPorts { return localnet.PortsFor(base, i) }

// LoadLocalnet reads the localnet in dir (localnet.Load).
func LoadLocalnet(dir string) (*Localnet, error) { return localnet.Load(dir) }

// homeTemplate is what `aitbcd init` writes into a node home besides keys
// and genesis; the localnet and the devnet write the same.
func homeTemplate() localnet.HomeTemplate {
	appTemplate, appConfig := initAppConfig()
	facadeCfg := appConfig.(AppConfig).Facade
	cometConfig := func() *cmtcfg.Config {
		cfg := initCometConfig()
		// As `aitbcd init` writes it: every command's pre-run turns CometBFT's
		// metrics over to the facade's endpoint (enableCometMetrics), and
		// init saves that config.
		if facadeCfg.Enable && facadeCfg.MetricsAddress != "" {
			cfg.Instrumentation.Prometheus = true
			cfg.Instrumentation.PrometheusListenAddr = ""
		}
		return cfg
	}
	return localnet.HomeTemplate{CometConfig: cometConfig, AppTOML: appTemplate, AppConfig: appConfig}
}

// PrepareLocalnet creates the localnet in dir unless it already holds one
// (localnet.Prepare), with the node homes `aitbcd init` would write.
func PrepareLocalnet(dir string, o LocalnetOptions) (*Localnet, bool, error) {
	if o.Home.CometConfig == nil {
		o.Home = homeTemplate()
	}
	return localnet.Prepare(dir, o)
}
