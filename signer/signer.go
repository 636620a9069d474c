// Package signer is `aitbcd signer`: a consensus key kept out of the node, in
// a process that dials the node's priv_validator_laddr and answers its
// signing requests. Everything on the wire and every double-sign rule is
// CometBFT's own privval package (the dialer endpoint, the request handler,
// FilePV and its last-sign state); this package adds the reconnect loop and
// makes each new sign state durable before the signature leaves.
package signer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/libs/log"
	cmtnet "github.com/cometbft/cometbft/libs/net"
	"github.com/cometbft/cometbft/privval"
	privvalproto "github.com/cometbft/cometbft/proto/tendermint/privval"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"github.com/aitbc/chain/keyguard"
)

// Back-off between dials while the node is away: quick at first, so that a
// restarting node finds its signer within CometBFT's 3 s accept window, and
// never slower than MaxBackoff for the same reason.
const (
	DefaultMinBackoff = 100 * time.Millisecond
	DefaultMaxBackoff = time.Second
	// readWriteTimeout is CometBFT's own default; the node pings every 2/3 of it.
	readWriteTimeout = 5 * time.Second
)

// Config is one signer: the key, its sign state and the node to serve.
type Config struct {
	KeyFile   string // priv_validator_key.json
	StateFile string // priv_validator_state.json, the double-sign state
	// NewState creates an empty StateFile when there is none. Only for a
	// key that has never signed: a key moved from a node must bring its state.
	NewState bool
	Node     string // the node's priv_validator_laddr: tcp://host:port or unix:///path
	ChainID  string // requests for any other chain are refused

	MinBackoff, MaxBackoff time.Duration
	Logger                 log.Logger
}

// Signer serves one key to one node.
type Signer struct {
	cfg Config
	pv  *durablePV
}

// New loads the key and its sign state, refusing a key file every local user
// can read and a state file that is missing or unreadable.
func New(cfg Config) (*Signer, error) {
	if cfg.ChainID == "" {
		return nil, errors.New("signer: --chain-id is required: the signer signs for one chain only")
	}
	if proto, _ := cmtnet.ProtocolAndAddress(cfg.Node); proto != "tcp" && proto != "unix" {
		return nil, fmt.Errorf("signer: --node %q: want tcp://host:port or unix:///path (the node's priv_validator_laddr)", cfg.Node)
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(DefaultMaxBackoff, cfg.MinBackoff)
	}
	if err := keyguard.CheckKeyFileMode(cfg.KeyFile); err != nil {
		return nil, err
	}
	if _, err := os.Stat(cfg.KeyFile); err != nil {
		return nil, fmt.Errorf("signer: consensus key: %w", err)
	}
	key, err := keyguard.LoadKeyFile(cfg.KeyFile)
	if err != nil {
		return nil, err
	}
	pv := privval.NewFilePV(key.PrivKey, cfg.KeyFile, cfg.StateFile)
	if err := loadState(pv, cfg.StateFile, cfg.NewState); err != nil {
		return nil, err
	}
	dir, err := os.Open(filepath.Dir(cfg.StateFile))
	if err != nil {
		return nil, fmt.Errorf("signer: sign state directory: %w", err)
	}
	return &Signer{cfg: cfg, pv: &durablePV{FilePV: pv, dir: dir}}, nil
}

// loadState reads the last-sign state into pv (FilePV's own loader exits
// the process on a bad file).
func loadState(pv *privval.FilePV, path string, create bool) error {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		pv.LastSignState.Save()
		return nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("signer: no sign state at %s: copy the node's data/priv_validator_state.json there "+
			"with the key (or pass --new-state for a key that has never signed)", path)
	}
	if err != nil {
		return fmt.Errorf("signer: sign state: %w", err)
	}
	var st privval.FilePVLastSignState
	if err := cmtjson.Unmarshal(raw, &st); err != nil {
		return fmt.Errorf("signer: sign state %s: %w", path, err)
	}
	if st.SignBytes != nil && st.Signature == nil {
		return fmt.Errorf("signer: sign state %s has signbytes but no signature", path)
	}
	ls := &pv.LastSignState
	ls.Height, ls.Round, ls.Step, ls.Signature, ls.SignBytes = st.Height, st.Round, st.Step, st.Signature, st.SignBytes
	return nil
}

// Address is the consensus address the signer signs as.
func (s *Signer) Address() []byte { return s.pv.GetAddress() }

// LastSigned is the height, round and step of the last signature.
func (s *Signer) LastSigned() (int64, int32, int8) {
	s.pv.mu.Lock()
	defer s.pv.mu.Unlock()
	ls := s.pv.LastSignState
	return ls.Height, ls.Round, ls.Step
}

// Run dials the node and answers its requests until ctx ends, dialing again
// with back-off whenever the connection drops. It returns nil when ctx ends
// and an error only when signing itself failed (the sign state could not be
// made durable): then no further signature may leave.
func (s *Signer) Run(ctx context.Context) error {
	defer s.pv.dir.Close()
	log := s.cfg.Logger
	endpoint := privval.NewSignerDialerEndpoint(log, nil, privval.SignerDialerEndpointTimeoutReadWrite(readWriteTimeout))
	for ctx.Err() == nil {
		conn, err := s.dial(ctx)
		if err != nil {
			return nil // ctx ended
		}
		log.Info("connected to the node", "node", s.cfg.Node)
		endpoint.SetConnection(conn)
		stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
		err = s.serve(endpoint)
		stop()
		endpoint.DropConnection()
		if err != nil {
			return err
		}
		if ctx.Err() == nil {
			log.Info("connection to the node lost; dialing again", "node", s.cfg.Node)
		}
	}
	return nil
}

// serve answers requests on the endpoint's connection until it fails.
func (s *Signer) serve(endpoint *privval.SignerDialerEndpoint) error {
	for {
		req, err := endpoint.ReadMessage()
		if err != nil {
			return nil
		}
		res, err := s.handle(req)
		if errors.Is(err, errNotDurable) {
			return err
		}
		if err != nil {
			// Refused (another chain, a height already signed differently):
			// the response carries the error to the node.
			s.cfg.Logger.Error("refused to sign", "err", err)
		}
		if err := endpoint.WriteMessage(res); err != nil {
			return nil
		}
	}
}

var errNotDurable = errors.New("signer: the sign state could not be saved")

// handle runs CometBFT's request handler. FilePV panics when it cannot save
// its sign state; that must stop the signer, not answer.
func (s *Signer) handle(req privvalproto.Message) (res privvalproto.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errNotDurable, r)
		}
	}()
	return privval.DefaultValidationRequestHandler(s.pv, req, s.cfg.ChainID)
}

// dial connects to the node, waiting MinBackoff, then twice as long after
// each failure up to MaxBackoff; it fails only when ctx ends.
func (s *Signer) dial(ctx context.Context) (net.Conn, error) {
	proto, addr := cmtnet.ProtocolAndAddress(s.cfg.Node)
	var dial privval.SocketDialer
	if proto == "unix" {
		dial = privval.DialUnixFn(addr)
	} else {
		// The node does not check who dials (CometBFT's tcp listener has no
		// allow-list), so the connection key only encrypts: a fresh one per dial.
		dial = privval.DialTCPFn(addr, readWriteTimeout, ed25519.GenPrivKey())
	}
	wait := s.cfg.MinBackoff
	for failures := 0; ; failures++ {
		conn, err := dial()
		if err == nil {
			return conn, nil
		}
		if failures == 0 || failures%30 == 0 {
			s.cfg.Logger.Info("node not reachable; retrying", "node", s.cfg.Node, "err", err, "every", wait)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, s.cfg.MaxBackoff)
	}
}

// durablePV is FilePV whose every new sign state is on disk, directory
// entry included, before the signature is returned. FilePV writes the
// state file with O_SYNC and renames it into place; the rename is only
// durable once the directory is synced.
type durablePV struct {
	*privval.FilePV
	dir *os.File
	mu  sync.Mutex
}

func (d *durablePV) SignVote(chainID string, vote *cmtproto.Vote) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.FilePV.SignVote(chainID, vote); err != nil {
		return err
	}
	return d.sync()
}

func (d *durablePV) SignProposal(chainID string, proposal *cmtproto.Proposal) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.FilePV.SignProposal(chainID, proposal); err != nil {
		return err
	}
	return d.sync()
}

func (d *durablePV) sync() error {
	if err := d.dir.Sync(); err != nil {
		panic(fmt.Sprintf("syncing %s: %v", d.dir.Name(), err))
	}
	return nil
}
