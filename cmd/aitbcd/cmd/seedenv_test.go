package cmd

import (
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/cosmos/cosmos-sdk/server"

	poatypes "github.com/aitbc/chain/x/poa/types"
)

func TestLoadSeedEnv(t *testing.T) {
	cases := []struct {
		name      string
		env       map[string]string
		blockTime time.Duration
		logLevel  string
		mode      poatypes.Mode // ModePoA when unset
		errNames  string        // the variable a failure must name; "" = no failure
	}{
		{name: "unset", env: nil},
		{name: "seed defaults", env: map[string]string{"BLOCK_TIME": "1s", "LOG_LEVEL": "info"}, blockTime: time.Second, logLevel: "info"},
		{name: "milliseconds", env: map[string]string{"BLOCK_TIME": "500ms"}, blockTime: 500 * time.Millisecond},
		{name: "whole seconds", env: map[string]string{"BLOCK_TIME": "2"}, blockTime: 2 * time.Second},
		{name: "surrounding spaces", env: map[string]string{"BLOCK_TIME": " 3s "}, blockTime: 3 * time.Second},
		{name: "module filter", env: map[string]string{"LOG_LEVEL": "consensus:debug,*:error"}, logLevel: "consensus:debug,*:error"},
		{name: "not a duration", env: map[string]string{"BLOCK_TIME": "fast"}, errNames: "BLOCK_TIME"},
		{name: "zero", env: map[string]string{"BLOCK_TIME": "0s"}, errNames: "BLOCK_TIME"},
		{name: "negative", env: map[string]string{"BLOCK_TIME": "-1s"}, errNames: "BLOCK_TIME"},
		{name: "too long", env: map[string]string{"BLOCK_TIME": "2h"}, errNames: "BLOCK_TIME"},
		{name: "hybrid mode", env: map[string]string{"CONSENSUS_MODE": "hybrid"}, mode: poatypes.ModeHybrid},
		{name: "pos mode", env: map[string]string{"CONSENSUS_MODE": "POS"}, mode: poatypes.ModePoS},
		{name: "unknown mode", env: map[string]string{"CONSENSUS_MODE": "dpos"}, errNames: "CONSENSUS_MODE"},
		{name: "unknown level", env: map[string]string{"LOG_LEVEL": "loud"}, errNames: "LOG_LEVEL"},
		{name: "bad filter", env: map[string]string{"LOG_LEVEL": "consensus:shout"}, errNames: "LOG_LEVEL"},
		{name: "sqlite database", env: map[string]string{"DATABASE_URL": "sqlite:///var/lib/aitbc/index.db"}},
		{name: "postgres database", env: map[string]string{"DATABASE_URL": "postgresql://aitbc:pw@127.0.0.1:5432/aitbc"}},
		{name: "relative sqlite path", env: map[string]string{"DATABASE_URL": "sqlite://blockchain.db"}, errNames: "DATABASE_URL"},
		{name: "unknown database", env: map[string]string{"DATABASE_URL": "mysql://root@localhost/aitbc"}, errNames: "DATABASE_URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := LoadSeedEnv(func(k string) string { return c.env[k] })
			if c.errNames != "" {
				if err == nil || !strings.Contains(err.Error(), c.errNames) {
					t.Fatalf("want an error naming %s, got %v", c.errNames, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantMode := c.mode
			if wantMode == poatypes.ModeUnspecified {
				wantMode = poatypes.ModePoA
			}
			if got.BlockTime != c.blockTime || got.LogLevel != c.logLevel || got.ConsensusMode != wantMode {
				t.Fatalf("got %+v, want block time %s, log level %q, mode %s", got, c.blockTime, c.logLevel, wantMode)
			}
		})
	}
}

func TestBlockTimeBecomesCommitTimeout(t *testing.T) {
	ctx := server.NewDefaultContext()
	ctx.Config = cmtcfg.DefaultConfig()
	SeedEnv{BlockTime: 750 * time.Millisecond}.applyToServer(ctx)
	if got := ctx.Config.Consensus.TimeoutCommit; got != 750*time.Millisecond {
		t.Fatalf("timeout_commit = %s, want 750ms", got)
	}

	// Unset BLOCK_TIME leaves the configured value alone.
	ctx.Config.Consensus.TimeoutCommit = 4 * time.Second
	SeedEnv{}.applyToServer(ctx)
	if got := ctx.Config.Consensus.TimeoutCommit; got != 4*time.Second {
		t.Fatalf("timeout_commit = %s, want the configured 4s", got)
	}
}
