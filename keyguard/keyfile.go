package keyguard

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/cometbft/cometbft/crypto"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/privval"
)

// CheckKeyFileMode refuses a consensus key file that every local user may
// read or write: anyone who reads it can sign as the validator, and a
// signature is all a double sign needs. A missing file is not an error
// (CometBFT creates it, 0600). Group access is left to the operator.
func CheckKeyFileMode(path string) error {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("consensus key %s: %w", path, err)
	}
	if perm := info.Mode().Perm(); perm&0o006 != 0 {
		return fmt.Errorf("consensus key %s has mode %04o: any local user can read it and sign as this validator; "+
			"run chmod 600 %s (or keep the key in a remote signer)", path, perm, path)
	}
	return nil
}

// LoadKeyFile reads a CometBFT priv_validator_key.json without exiting the
// process on a bad file, as privval.LoadFilePV would.
func LoadKeyFile(path string) (privval.FilePVKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return privval.FilePVKey{}, fmt.Errorf("consensus key: %w", err)
	}
	var key privval.FilePVKey
	if err := cmtjson.Unmarshal(raw, &key); err != nil {
		return privval.FilePVKey{}, fmt.Errorf("consensus key %s: %w", path, err)
	}
	if key.PrivKey == nil {
		return privval.FilePVKey{}, fmt.Errorf("consensus key %s holds no priv_key", path)
	}
	key.PubKey = key.PrivKey.PubKey()
	key.Address = key.PubKey.Address()
	return key, nil
}

// LocalKeyAddress is the address of the key file, or nil when there is
// none yet (CometBFT will generate one, which no VALIDATOR_ADDRESS can name).
func LocalKeyAddress(path string) (crypto.Address, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	key, err := LoadKeyFile(path)
	if err != nil {
		return nil, err
	}
	return key.Address, nil
}
