package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client/flags"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/networks/localnet"
)

const (
	flagValidators    = "validators"
	flagFullNodes     = "full-nodes"
	flagBasePort      = "base-port"
	flagConsensusMode = "consensus-mode"
	flagWait          = "wait"
	flagVotingPeriod  = "voting-period"
	flagStopTimeout   = "timeout"
	flagCosmovisor    = "cosmovisor"
	flagCosmovisorBin = "cosmovisor-bin"
	flagRemoteSigner  = "remote-signer"
	flagStateSync     = "state-sync"

	defaultLocalnetValidators = 4
	defaultLocalnetWait       = 3 * time.Minute
	defaultLocalnetStopWait   = 30 * time.Second
)

// DefaultLocalnetHome is where `aitbcd localnet` keeps the network unless --home is given.
func DefaultLocalnetHome() string {
	return filepath.Join(filepath.Dir(app.DefaultNodeHome), ".aitbcd-localnet")
}

func localnetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "localnet",
		Short: "Run a multi-validator local network " + LocalnetChainID + " as background processes",
		Long: `Run a local network of several aitbcd nodes on 127.0.0.1, chain ` + LocalnetChainID + `.

The network lives in --home (default ~/.aitbcd-localnet): localnet.json describes it,
node0, node1, … are the nodes' home directories (config, data, keyring-test, node.log,
aitbcd.pid). Node i listens on --base-port + 10*i + offset: P2P +0, CometBFT RPC +1,
gRPC +2, Cosmos REST +3, facade REST +4, facade WebSocket +5, metrics +6.

Every node's keyring ("test" backend) holds its funded "operator" key and the devnet's
public test accounts faucet, alice, bob and carol. INSECURE: for local use only.`,
		// The root pre-run would write a config into the default node home;
		// the localnet manages its nodes' homes itself.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
	}
	cmd.AddCommand(localnetStartCmd(), localnetStatusCmd(), localnetStopCmd(), localnetResetCmd(), localnetPrepareUpgradeCmd(), localnetAddNodeCmd())
	return cmd
}

// localnetDir is --home when given, else the default localnet directory,
// made absolute: the nodes run with --home <dir>/nodeI, and their command
// lines identify them whichever directory a later command is run from.
func localnetDir(cmd *cobra.Command) string {
	dir := DefaultLocalnetHome()
	if f := cmd.Flags().Lookup("home"); f != nil && f.Changed {
		dir = f.Value.String()
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return dir
}

func localnetStartCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Create the localnet on first use, start its nodes in the background and wait for blocks",
		Long: `Create the localnet on first use (N validators, K full nodes, one shared genesis), start
every node that is not running as a background process, wait until blocks are produced and
print each node's endpoints. Running it again resumes the same network.

With --cosmovisor every node runs under cosmovisor, its home being DAEMON_HOME:
<node>/cosmovisor/genesis/bin/aitbcd is this binary (copied on the first such start), and
` + "`aitbcd localnet prepare-upgrade NAME BINARY`" + ` puts the binary of a planned upgrade in
<node>/cosmovisor/upgrades/NAME/bin. At the plan's height cosmovisor swaps it in.

With --remote-signer (once; the nodes must be stopped) each validator's consensus key and its
double-sign state move to <localnet>/<node>-signer, its priv_validator_laddr is set to
tcp://127.0.0.1:<base+10*i+7>, and from then on start runs ` + "`aitbcd signer`" + ` for it before
the node (log: signer.log there). Every validator gets VALIDATOR_ADDRESS, its own address.

CONSENSUS_MODE (poa, hybrid or pos; default poa) or --consensus-mode picks the
validator-governance mode of a new network. The seed's other variables:
  BLOCK_TIME, LOG_LEVEL, RPC_HOST  apply to every node (RPC_HOST: facade REST and WebSocket)
  RPC_PORT, WS_PORT, METRICS_PORT  node0's facade REST, WebSocket and metrics ports; node i
                                   listens on each plus 100*i (unset: the localnet's own ports)
  DATABASE_URL                     node0's SQL index only: node0 is the localnet's indexer
                                   (one database cannot hold the indexes of several nodes; a
                                   node whose indexer is turned on uses its own SQLite file)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			seed, err := LoadSeedEnv(os.Getenv)
			if err != nil {
				return err
			}
			flagMode, _ := cmd.Flags().GetString(flagConsensusMode)
			mode, modeExplicit, err := resolveConsensusMode(os.Getenv, flagMode, cmd.Flags().Changed(flagConsensusMode))
			if err != nil {
				return err
			}
			opts := LocalnetOptions{ConsensusMode: mode}
			opts.Validators, _ = cmd.Flags().GetInt(flagValidators)
			opts.FullNodes, _ = cmd.Flags().GetInt(flagFullNodes)
			opts.BasePort, _ = cmd.Flags().GetInt(flagBasePort)
			opts.VotingPeriod, _ = cmd.Flags().GetDuration(flagVotingPeriod)
			reset, _ := cmd.Flags().GetBool(flagReset)
			noStart, _ := cmd.Flags().GetBool(flagNoStart)
			wait, _ := cmd.Flags().GetDuration(flagWait)
			underCosmovisor, _ := cmd.Flags().GetBool(flagCosmovisor)
			cosmovisorBin, _ := cmd.Flags().GetString(flagCosmovisorBin)
			remoteSigner, _ := cmd.Flags().GetBool(flagRemoteSigner)

			out := cmd.OutOrStdout()
			dir := localnetDir(cmd)
			if reset {
				if err := resetLocalnet(dir, out); err != nil {
					return err
				}
			}
			if err := opts.Validate(); err != nil {
				return err
			}
			l, created, err := PrepareLocalnet(dir, opts)
			if err != nil {
				return err
			}
			if !created {
				if err := checkResumeOptions(l, opts, cmd, modeExplicit); err != nil {
					return err
				}
			}
			if err := applyLocalnetSeedPorts(l, seed); err != nil {
				return err
			}
			state := "resuming"
			if created {
				state = "created"
			}
			fmt.Fprintf(out, "AITBC localnet %s (%s): %d validators, %d full nodes, consensus mode %s, in %s\n",
				l.ChainID, state, l.Validators, l.FullNodes, l.ConsensusMode, dir)
			if remoteSigner {
				if err := useRemoteSigners(out, l); err != nil {
					return err
				}
			}
			if noStart {
				return nil
			}
			if seed.DatabaseURL != "" && len(l.Nodes) > 1 {
				fmt.Fprintf(out, "%s applies to node0's SQL index only (the localnet's indexer)\n", EnvDatabaseURL)
			}

			start, bin, err := nodeStarter(l, underCosmovisor, cosmovisorBin)
			if err != nil {
				return err
			}
			if err := startSigners(out, l, os.Environ()); err != nil {
				return err
			}
			started := time.Now()
			for i, n := range l.Nodes {
				if pid := l.PID(i); pid != 0 {
					fmt.Fprintf(out, "  %-7s already running (pid %d)\n", n.Name, pid)
					continue
				}
				pid, err := start(i, bin, localnetNodeEnv(os.Environ(), l, i, seed))
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "  %-7s started (pid %d), log %s\n", n.Name, pid, filepath.Join(l.Home(i), localnetLogFile))
			}
			if wait > 0 {
				fmt.Fprintf(out, "waiting for blocks (up to %s) …\n", wait)
				if err := l.WaitForBlocks(wait); err != nil {
					return err
				}
				fmt.Fprintf(out, "blocks are being produced (%.1fs after start)\n", time.Since(started).Seconds())
			}
			printLocalnetEndpoints(out, l)
			return nil
		},
	}
	cmd.Flags().Int(flagValidators, defaultLocalnetValidators, "number of genesis validators (first run only)")
	cmd.Flags().Int(flagFullNodes, 0, "number of extra full nodes, each with a funded operator key (first run only)")
	cmd.Flags().Int(flagBasePort, DefaultLocalnetBasePort, "node0's first port; node i uses base+10*i … base+10*i+9 (first run only)")
	cmd.Flags().String(flagConsensusMode, string(DefaultConsensusMode), "validator governance at genesis: poa, hybrid or pos (overrides "+EnvConsensusMode+"; first run only)")
	cmd.Flags().Duration(flagVotingPeriod, DefaultLocalnetVotingPeriod, "governance voting and deposit period; expedited proposals get half (first run only)")
	cmd.Flags().Bool(flagReset, false, "stop and delete the localnet first, then create a new one")
	cmd.Flags().Bool(flagNoStart, false, "create the localnet if needed, but start no node")
	cmd.Flags().Duration(flagWait, defaultLocalnetWait, "how long to wait for blocks after starting the nodes (0: do not wait)")
	cmd.Flags().Bool(flagCosmovisor, false, "run every node under cosmovisor (DAEMON_HOME is the node's home; see prepare-upgrade)")
	cmd.Flags().String(flagCosmovisorBin, "", "the cosmovisor binary (default: cosmovisor on PATH; make cosmovisor builds build/tools/cosmovisor)")
	cmd.Flags().Bool(flagRemoteSigner, false, "move every validator's consensus key into its own `aitbcd signer` process (<localnet>/<node>-signer), once; their signers start with the nodes from then on")
	return cmd
}

func localnetPrepareUpgradeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "prepare-upgrade NAME BINARY",
		Short: "Install the binary of planned upgrade NAME for every node's cosmovisor",
		Long: `Copy BINARY into every node's <node>/cosmovisor/upgrades/NAME/bin/aitbcd, where
cosmovisor looks for it when x/upgrade halts the node at the height of plan NAME (the name the
MsgSoftwareUpgrade proposal carries). Run it before the plan's height, on a localnet started
with --cosmovisor; a node without the binary stops at that height.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := LoadLocalnet(localnetDir(cmd))
			if err != nil {
				return err
			}
			if err := l.InstallUpgradeBinary(args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "upgrade %s: %s installed for %d nodes\n", args[0], args[1], len(l.Nodes))
			return nil
		},
	}
}

// checkResumeOptions refuses options given explicitly that contradict the
// existing network: its shape is fixed when it is created.
func checkResumeOptions(l *Localnet, o LocalnetOptions, cmd *cobra.Command, modeExplicit bool) error {
	var conflicts []string
	if cmd.Flags().Changed(flagValidators) && o.Validators != l.Validators {
		conflicts = append(conflicts, fmt.Sprintf("%d validators", l.Validators))
	}
	if cmd.Flags().Changed(flagFullNodes) && o.FullNodes != l.FullNodes {
		conflicts = append(conflicts, fmt.Sprintf("%d full nodes", l.FullNodes))
	}
	if cmd.Flags().Changed(flagBasePort) && o.BasePort != l.BasePort {
		conflicts = append(conflicts, fmt.Sprintf("base port %d", l.BasePort))
	}
	if cmd.Flags().Changed(flagVotingPeriod) && o.EffectiveVotingPeriod().String() != l.VotingPeriod {
		conflicts = append(conflicts, "voting period "+l.VotingPeriod)
	}
	if modeExplicit && o.ConsensusMode != l.ConsensusMode {
		conflicts = append(conflicts, fmt.Sprintf("consensus mode %s (a running chain changes mode by governance)", l.ConsensusMode))
	}
	if len(conflicts) > 0 {
		return fmt.Errorf("the localnet in %s was created with %s; use --reset to create a new one",
			l.Dir(), strings.Join(conflicts, ", "))
	}
	return nil
}

func printLocalnetEndpoints(out io.Writer, l *Localnet) {
	fmt.Fprintf(out, "\nAITBC localnet %s endpoints (all on 127.0.0.1):\n", l.ChainID)
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	header := "  node\trole\tCometBFT RPC\tCosmos REST\tgRPC"
	if l.Facade {
		header += "\tfacade REST\tfacade WS\tmetrics"
	}
	fmt.Fprintln(w, header+"\tP2P\thome")
	for i, n := range l.Nodes {
		fmt.Fprintf(w, "  %s\t%s\thttp://127.0.0.1:%d\thttp://127.0.0.1:%d\t127.0.0.1:%d",
			n.Name, n.Role, n.Ports.RPC, n.Ports.API, n.Ports.GRPC)
		if l.Facade {
			fmt.Fprintf(w, "\thttp://127.0.0.1:%d\tws://127.0.0.1:%d\thttp://127.0.0.1:%d/metrics",
				n.Ports.FacadeREST, n.Ports.FacadeWS, n.Ports.Metrics)
		}
		fmt.Fprintf(w, "\t%s@127.0.0.1:%d\t%s\n", n.NodeID, n.Ports.P2P, l.Home(i))
	}
	_ = w.Flush()
	fmt.Fprintf(out, `
Keys (keyring "test", in every node's home): operator (that node's, funded), faucet, alice, bob, carol.
Try: aitbcd --home %s keys list
     aitbcd --home %s query bank balances $(aitbcd --home %s keys show alice -a)
     aitbcd localnet status --home %s
`, l.Home(0), l.Home(0), l.Home(0), l.Dir())
}

func localnetStatusCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each node's process, height, peers and validator-set membership",
		Long: `Show each node's process, height, peers and validator-set membership: a table, or with
--output json one object for scripts (height, peers and power are null where unknown).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			output, _ := cmd.Flags().GetString(flags.FlagOutput)
			if output != flags.OutputFormatText && output != flags.OutputFormatJSON {
				return fmt.Errorf("invalid --output %q: want text or json", output)
			}
			l, err := LoadLocalnet(localnetDir(cmd))
			if err != nil {
				return noLocalnetError(localnetDir(cmd), err)
			}
			status := collectLocalnetStatus(l)
			if output == flags.OutputFormatJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(status)
			}
			return printLocalnetStatus(cmd.OutOrStdout(), status)
		},
	}
	cmd.Flags().StringP(flags.FlagOutput, "o", flags.OutputFormatText, "text or json")
	return cmd
}

func printLocalnetStatus(out io.Writer, st LocalnetStatus) error {
	fmt.Fprintf(out, "AITBC localnet %s in %s (consensus mode %s at genesis)\n", st.ChainID, st.Dir, st.ConsensusMode)
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "node\trole\tprocess\tpid\theight\tsync\tpeers\tvalidator\tpower\tCometBFT RPC")
	orDash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	for _, n := range st.Nodes {
		pid := "-"
		if n.PID != 0 {
			pid = fmt.Sprint(n.PID)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", n.Name, n.Role, n.Process, pid,
			valueOrDash(n.Height), orDash(n.Sync), valueOrDash(n.Peers), n.Validator, valueOrDash(n.Power), n.RPC)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if st.ValidatorSetError != "" {
		fmt.Fprintf(out, "validator set unknown: %s\n", st.ValidatorSetError)
	}
	return nil
}

// valueOrDash prints an unknown (nil) value of the status table as "-".
func valueOrDash[T any](v *T) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprint(*v)
}

func localnetStopCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "stop",
		Short: "Stop every node (SIGTERM, then SIGKILL after --timeout); the data stays",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := LoadLocalnet(localnetDir(cmd))
			if err != nil {
				return noLocalnetError(localnetDir(cmd), err)
			}
			timeout, _ := cmd.Flags().GetDuration(flagStopTimeout)
			stopped, killed := stopLocalnet(l, timeout)
			reportStop(cmd.OutOrStdout(), stopped, killed, timeout)
			return nil
		},
	}
	cmd.Flags().Duration(flagStopTimeout, defaultLocalnetStopWait, "how long to wait after SIGTERM before SIGKILL")
	return cmd
}

func reportStop(out io.Writer, stopped, killed []string, timeout time.Duration) {
	switch {
	case len(stopped) == 0 && len(killed) == 0:
		fmt.Fprintln(out, "localnet: no node was running")
	default:
		if len(stopped) > 0 {
			fmt.Fprintf(out, "localnet: stopped %s\n", strings.Join(stopped, ", "))
		}
		if len(killed) > 0 {
			fmt.Fprintf(out, "localnet: killed %s (still running %s after SIGTERM)\n", strings.Join(killed, ", "), timeout)
		}
	}
}

func localnetResetCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "reset",
		Short: "Stop every node and delete the localnet",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return resetLocalnet(localnetDir(cmd), cmd.OutOrStdout())
		},
	}
}

// resetLocalnet stops the localnet in dir and deletes it. It refuses to
// delete a non-empty directory that holds no localnet.
func resetLocalnet(dir string, out io.Writer) error {
	l, err := LoadLocalnet(dir)
	switch {
	case err == nil:
		stopped, killed := stopLocalnet(l, defaultLocalnetStopWait)
		reportStop(out, stopped, killed, defaultLocalnetStopWait)
	case errors.Is(err, os.ErrNotExist):
		entries, readErr := os.ReadDir(dir)
		if errors.Is(readErr, os.ErrNotExist) || (readErr == nil && len(entries) == 0) {
			return os.RemoveAll(dir)
		}
		return fmt.Errorf("%s holds no localnet (no %s); not deleting it", dir, localnetManifest)
	default:
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("reset: removing %s: %w", dir, err)
	}
	fmt.Fprintf(out, "localnet: removed %s\n", dir)
	return nil
}

func noLocalnetError(dir string, err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no localnet in %s; create one with `aitbcd localnet start`", dir)
	}
	return err
}

func localnetAddNodeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add-node",
		Short: "Add a full node to the localnet and start it; --state-sync joins from node0's snapshot",
		Long: `Add a full node to the localnet (the next name and ports, its own keys, the network's
genesis, every node as a peer) and start it in the background.

With --state-sync the node does not replay the chain: it reads a header two snapshot intervals
below the head from a running node's RPC as its light-client root (trust_height, trust_hash),
restores node0's newest state-sync snapshot (node0 takes one every 20 blocks) and follows by
block sync from there. The localnet must be running and past height 42.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			stateSync, _ := cmd.Flags().GetBool(flagStateSync)
			noStart, _ := cmd.Flags().GetBool(flagNoStart)
			underCosmovisor, _ := cmd.Flags().GetBool(flagCosmovisor)
			cosmovisorBin, _ := cmd.Flags().GetString(flagCosmovisorBin)
			seed, err := LoadSeedEnv(os.Getenv)
			if err != nil {
				return err
			}
			l, err := LoadLocalnet(localnetDir(cmd))
			if err != nil {
				return err
			}
			if len(l.Nodes) >= MaxLocalnetNodes {
				return fmt.Errorf("the localnet has %d nodes, the most it can have", len(l.Nodes))
			}
			i, err := l.AddFullNode(cmd.Context(), localnet.AddNodeOptions{Home: homeTemplate(), StateSync: stateSync})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			how := "block sync from genesis"
			if stateSync {
				how = "state sync"
			}
			fmt.Fprintf(out, "added %s (%s), home %s\n", l.Nodes[i].Name, how, l.Home(i))
			if noStart {
				return nil
			}
			if err := applyLocalnetSeedPorts(l, seed); err != nil {
				return err
			}
			start, bin, err := nodeStarter(l, underCosmovisor, cosmovisorBin)
			if err != nil {
				return err
			}
			pid, err := start(i, bin, localnetNodeEnv(os.Environ(), l, i, seed))
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "  %-7s started (pid %d), log %s\n", l.Nodes[i].Name, pid, filepath.Join(l.Home(i), localnetLogFile))
			return nil
		},
	}
	cmd.Flags().Bool(flagStateSync, false, "restore node0's newest snapshot instead of replaying every block")
	cmd.Flags().Bool(flagNoStart, false, "add the node, but do not start it")
	cmd.Flags().Bool(flagCosmovisor, false, "run the node under cosmovisor (as localnet start --cosmovisor)")
	cmd.Flags().String(flagCosmovisorBin, "", "the cosmovisor binary (default: cosmovisor on PATH)")
	return cmd
}

// useRemoteSigners moves every validator's key to its signer, once
// (localnet.Network.UseRemoteSigner).
func useRemoteSigners(out io.Writer, l *Localnet) error {
	for i, n := range l.Nodes {
		if n.Role != localnet.RoleValidator || l.HasRemoteSigner(i) {
			continue
		}
		if err := l.UseRemoteSigner(i); err != nil {
			return err
		}
		fmt.Fprintf(out, "  %-7s consensus key moved to %s\n", n.Name, l.SignerHome(i))
	}
	return nil
}

// startSigners starts every validator's signer that has a key and does not
// run: a node whose key is in a signer waits for it at start.
func startSigners(out io.Writer, l *Localnet, environ []string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	for i, n := range l.Nodes {
		if !l.HasRemoteSigner(i) {
			continue
		}
		if pid := l.SignerPID(i); pid != 0 {
			fmt.Fprintf(out, "  %-7s signer already running (pid %d)\n", n.Name, pid)
			continue
		}
		pid, err := l.StartSigner(i, self, environ)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  %-7s signer started (pid %d), dials %s, log %s\n", n.Name, pid, l.SignerAddress(i),
			filepath.Join(l.SignerHome(i), localnet.SignerLogFile))
	}
	return nil
}

// nodeStarter returns how to start a node of l and the program to run:
// this binary, or cosmovisor with this binary installed as every node's
// genesis binary (localnet start and add-node share it).
func nodeStarter(l *Localnet, underCosmovisor bool, cosmovisorBin string) (func(int, string, []string) (int, error), string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	if !underCosmovisor {
		return l.StartNode, self, nil
	}
	cosmovisor, err := localnet.FindCosmovisor(cosmovisorBin)
	if err != nil {
		return nil, "", err
	}
	if err := l.InstallGenesisBinary(self); err != nil {
		return nil, "", err
	}
	return l.StartNodeUnderCosmovisor, cosmovisor, nil
}
