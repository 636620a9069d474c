package cmd

import (
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/server"
)

func TestLoadSeedEnv(t *testing.T) {
	cases := []struct {
		name      string
		env       map[string]string
		blockTime time.Duration
		logLevel  string
		errNames  string // the variable a failure must name; "" = no failure
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
		{name: "unknown level", env: map[string]string{"LOG_LEVEL": "loud"}, errNames: "LOG_LEVEL"},
		{name: "bad filter", env: map[string]string{"LOG_LEVEL": "consensus:shout"}, errNames: "LOG_LEVEL"},
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
			if got.BlockTime != c.blockTime || got.LogLevel != c.logLevel {
				t.Fatalf("got %+v, want block time %s and log level %q", got, c.blockTime, c.logLevel)
			}
		})
	}
}

func TestBlockTimeBecomesCommitTimeout(t *testing.T) {
	ctx := server.NewDefaultContext()
	ctx.Config = cmtcfg.DefaultConfig()
	SeedEnv{BlockTime: 750 * time.Millisecond}.applyToServer(&cobra.Command{}, ctx)
	if got := ctx.Config.Consensus.TimeoutCommit; got != 750*time.Millisecond {
		t.Fatalf("timeout_commit = %s, want 750ms", got)
	}

	// Unset BLOCK_TIME leaves the configured value alone.
	ctx.Config.Consensus.TimeoutCommit = 4 * time.Second
	SeedEnv{}.applyToServer(&cobra.Command{}, ctx)
	if got := ctx.Config.Consensus.TimeoutCommit; got != 4*time.Second {
		t.Fatalf("timeout_commit = %s, want the configured 4s", got)
	}
}
