// Command aitbcd is the node and command-line client of the AITBC chain.
package main

import (
	"os"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/cmd/aitbcd/cmd"
)

func main() {
	if err := svrcmd.Execute(cmd.NewRootCmd(), cmd.EnvPrefix, app.DefaultNodeHome); err != nil {
		cmd.PrintExitError(os.Stderr, os.Args[1:], os.Getenv, err)
		os.Exit(1)
	}
}
