package keyguard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/privval"
)

// DefaultSignerWait is how long start waits for a remote signer to dial in
// before it gives up with an error that names priv_validator_laddr.
const DefaultSignerWait = 60 * time.Second

// ProbeRemoteSigner listens on priv_validator_laddr as CometBFT will, waits
// up to wait for the signer to dial in, asks for its public key and closes
// the listener again. CometBFT itself asks the same question only after it
// has loaded the block store and gives the signer 3 s to be there; asking
// first lets start compare the key with VALIDATOR_ADDRESS before consensus
// can sign anything, and wait for a signer that starts a little later. The
// signer sees its connection drop and dials again (aitbcd signer backs off
// from 100 ms to 1 s), in time for CometBFT's own listener.
func ProbeRemoteSigner(ctx context.Context, laddr, chainID string, nodeKey crypto.PrivKey, wait time.Duration, logger log.Logger) (crypto.PubKey, error) {
	endpoint, err := privval.NewSignerListenerFromAddr(laddr, nodeKey, logger)
	if err != nil {
		return nil, fmt.Errorf("priv_validator_laddr %s: %w", laddr, err)
	}
	client, err := privval.NewSignerClient(endpoint, chainID)
	if err != nil {
		return nil, fmt.Errorf("priv_validator_laddr %s: %w", laddr, err)
	}
	defer func() { _ = endpoint.Stop() }()

	deadline := time.Now().Add(wait)
	for {
		// Short waits, so that an interrupt is seen within a second.
		err := client.WaitForConnection(time.Second)
		if err == nil {
			break
		}
		if !errors.Is(err, privval.ErrConnectionTimeout) {
			return nil, fmt.Errorf("priv_validator_laddr %s: %w", laddr, err)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no remote signer dialed priv_validator_laddr %s within %s: start the signer "+
				"(aitbcd signer --node %s …) or clear priv_validator_laddr to sign with the local key file", laddr, wait, laddr)
		}
	}
	pub, err := client.GetPubKey()
	if err != nil {
		return nil, fmt.Errorf("remote signer on priv_validator_laddr %s: %w", laddr, err)
	}
	return pub, nil
}
