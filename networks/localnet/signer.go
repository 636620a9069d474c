package localnet

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/aitbc/chain/keyguard"
	"github.com/aitbc/chain/networks/localnet/tomledit"
)

// A validator of a localnet started with --remote-signer keeps its consensus
// key in <localnet>/<node>-signer, served by `aitbcd signer`, which dials
// the node's priv_validator_laddr on the node's port base+10*i+7.
const (
	portOffsetSigner = 7
	SignerPidFile    = "signer.pid"
	SignerLogFile    = "signer.log"
	signerDirSuffix  = "-signer"
)

// SignerHome is the directory of node i's remote signer.
func (n *Network) SignerHome(i int) string {
	return filepath.Join(n.dir, n.Nodes[i].Name+signerDirSuffix)
}

// SignerAddress is node i's priv_validator_laddr.
func (n *Network) SignerAddress(i int) string {
	return fmt.Sprintf("tcp://127.0.0.1:%d", n.Nodes[i].Ports.P2P+portOffsetSigner)
}

func (n *Network) signerKeyFile(i int) string {
	return filepath.Join(n.SignerHome(i), "config", "priv_validator_key.json")
}

// ConsensusKeyFile is the priv_validator_key.json node i signs with: its
// signer's when it has one, else the one in its home.
func (n *Network) ConsensusKeyFile(i int) string {
	if n.HasRemoteSigner(i) {
		return n.signerKeyFile(i)
	}
	return filepath.Join(n.Home(i), "config", "priv_validator_key.json")
}

// HasRemoteSigner reports whether node i's key lives in its signer.
func (n *Network) HasRemoteSigner(i int) bool {
	_, err := os.Stat(n.signerKeyFile(i))
	return err == nil
}

// UseRemoteSigner moves validator i's consensus key and its double-sign
// state out of the node home into its signer's, and points the node's
// priv_validator_laddr at the signer: the procedure docs/operations.md
// gives operators (stop, move key and state, start the signer, start the
// node). The node must be stopped, or both would sign. Done once; later
// calls only check.
func (n *Network) UseRemoteSigner(i int) error {
	node := n.Nodes[i]
	if node.Role != RoleValidator {
		return fmt.Errorf("%s is a full node: it has no validator key to move to a signer", node.Name)
	}
	if n.HasRemoteSigner(i) {
		return nil
	}
	if n.PID(i) != 0 {
		return fmt.Errorf("%s is running: stop it before moving its key to a signer (localnet stop)", node.Name)
	}
	moves := []struct{ from, to string }{
		{filepath.Join(n.Home(i), "config", "priv_validator_key.json"), n.signerKeyFile(i)},
		{filepath.Join(n.Home(i), "data", "priv_validator_state.json"), filepath.Join(n.SignerHome(i), "data", "priv_validator_state.json")},
	}
	// The state first: a key that arrives without its state could sign again
	// what it signed before the move.
	for _, m := range []int{1, 0} {
		if err := moveFile(moves[m].from, moves[m].to); err != nil {
			return fmt.Errorf("%s: moving to its signer: %w", node.Name, err)
		}
	}
	return tomledit.SetValues(filepath.Join(n.Home(i), "config", "config.toml"), "",
		map[string]string{"priv_validator_laddr": n.SignerAddress(i)})
}

// moveFile copies from to to (0600, fsynced, in a 0700 directory) and then
// removes from.
func moveFile(from, to string) error {
	raw, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(raw); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Remove(from)
}

// StartSigner starts `<bin> signer` for validator i as a detached process
// (own process group, output appended to signer.log, pid in signer.pid).
func (n *Network) StartSigner(i int, bin string, env []string) (int, error) {
	home := n.SignerHome(i)
	args := []string{"signer", "--home", home, "--node", n.SignerAddress(i), "--chain-id", n.ChainID}
	return n.spawn(n.Nodes[i].Name+" signer", home, SignerLogFile, SignerPidFile, bin, args, env)
}

// SignerPID is the pid of validator i's running signer, or 0.
func (n *Network) SignerPID(i int) int {
	return readPid(filepath.Join(n.SignerHome(i), SignerPidFile), n.SignerHome(i))
}

// ValidatorAddress is the consensus address validator i signs with (from
// its key file, in the node or in its signer), "" for a full node.
func (n *Network) ValidatorAddress(i int) (string, error) {
	if n.Nodes[i].Role != RoleValidator {
		return "", nil
	}
	key, err := keyguard.LoadKeyFile(n.ConsensusKeyFile(i))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return key.Address.String(), nil
}

func readPid(path, home string) int {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || pid <= 0 || !ProcessRunning(pid, home) {
		return 0
	}
	return pid
}

// killGroup is SIGKILL to a process group, for a process that must not
// outlive a failed start.
func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }
