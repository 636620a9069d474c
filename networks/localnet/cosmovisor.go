package localnet

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Running nodes under cosmovisor (`aitbcd localnet start --cosmovisor`).
// Each node's home is its DAEMON_HOME, with cosmovisor's standard layout:
//
//	<home>/cosmovisor/genesis/bin/aitbcd         the binary the chain started with
//	<home>/cosmovisor/upgrades/<name>/bin/aitbcd the binary for upgrade <name>
//	<home>/cosmovisor/current                    cosmovisor's link to the one it runs
//
// When x/upgrade halts the node at a plan's height it writes
// data/upgrade-info.json; cosmovisor sees it, stops the node, points
// current at upgrades/<name> and starts it again. Binaries are never
// downloaded: an upgrade binary missing from the layout stops the node at
// the plan's height, as a validator that did not prepare would stop.

// DaemonName is the binary name cosmovisor runs (DAEMON_NAME).
const DaemonName = "aitbcd"

// CosmovisorDir is cosmovisor's directory inside a node's home.
const CosmovisorDir = "cosmovisor"

// GenesisBinary is where node home's genesis binary lives.
func GenesisBinary(home string) string {
	return filepath.Join(home, CosmovisorDir, "genesis", "bin", DaemonName)
}

// UpgradeBinary is where node home's binary for upgrade name lives.
func UpgradeBinary(home, name string) string {
	return filepath.Join(home, CosmovisorDir, "upgrades", name, "bin", DaemonName)
}

// InstallGenesisBinary copies bin to every node's genesis binary where
// there is none yet: a resumed network keeps the binary it started with.
func (l *Network) InstallGenesisBinary(bin string) error {
	for i := range l.Nodes {
		dst := GenesisBinary(l.Home(i))
		if _, err := os.Stat(dst); err == nil {
			continue
		}
		if err := copyExecutable(bin, dst); err != nil {
			return fmt.Errorf("%s: genesis binary: %w", l.Nodes[i].Name, err)
		}
	}
	return nil
}

// InstallUpgradeBinary copies bin into every node's layout as the binary of
// upgrade name, replacing one already there. name must be the plan name of
// the governance proposal.
func (l *Network) InstallUpgradeBinary(name, bin string) error {
	if err := checkUpgradeName(name); err != nil {
		return err
	}
	for i := range l.Nodes {
		if err := copyExecutable(bin, UpgradeBinary(l.Home(i), name)); err != nil {
			return fmt.Errorf("%s: upgrade %s binary: %w", l.Nodes[i].Name, name, err)
		}
	}
	return nil
}

// checkUpgradeName refuses names that are not one path element.
func checkUpgradeName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return fmt.Errorf("upgrade name %q: want the plan's name, one path element (e.g. v2)", name)
	}
	return nil
}

// CosmovisorEnv is environ plus the variables cosmovisor needs for node
// home. Backups are off: a localnet's data is disposable, and copying it at
// every upgrade would double the halt.
func CosmovisorEnv(environ []string, home string) []string {
	return append(append([]string(nil), environ...),
		"DAEMON_NAME="+DaemonName,
		"DAEMON_HOME="+home,
		"DAEMON_ALLOW_DOWNLOAD_BINARIES=false",
		"DAEMON_RESTART_AFTER_UPGRADE=true",
		"UNSAFE_SKIP_BACKUP=true",
	)
}

// FindCosmovisor returns the cosmovisor binary to run: path when set, else
// `cosmovisor` on PATH. The error says how to get one.
func FindCosmovisor(path string) (string, error) {
	if path == "" {
		found, err := exec.LookPath("cosmovisor")
		if err != nil {
			return "", errors.New("cosmovisor not found on PATH: build it with `make cosmovisor` (scripts/cosmovisor.sh, into build/tools) and pass --cosmovisor-bin build/tools/cosmovisor")
		}
		return found, nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("cosmovisor binary: %w", err)
	}
	if info.IsDir() || info.Mode()&0o111 == 0 {
		return "", fmt.Errorf("cosmovisor binary %s is not an executable file", path)
	}
	return filepath.Abs(path)
}

// StartNodeUnderCosmovisor starts node i as `cosmovisor run start --home
// <home>`, detached like StartNode, with the node's genesis binary
// installed (InstallGenesisBinary) and env extended by CosmovisorEnv.
func (l *Network) StartNodeUnderCosmovisor(i int, cosmovisor string, env []string) (int, error) {
	home := l.Home(i)
	if _, err := os.Stat(GenesisBinary(home)); err != nil {
		return 0, fmt.Errorf("%s: no genesis binary for cosmovisor: %w", l.Nodes[i].Name, err)
	}
	return l.startProcess(i, cosmovisor, []string{"run", "start", "--home", home}, CosmovisorEnv(env, home))
}

// copyExecutable copies src to dst (mode 0755), staged beside dst and
// renamed, so a node never finds half a binary.
func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp := dst + ".new"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(tmp)
		return err
	}
	if err := out.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, dst)
}
