// Command aitbcd is the node and command-line client of the AITBC chain.
package main

import (
	"fmt"
	"os"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/cmd/aitbcd/cmd"
)

func main() {
	if err := svrcmd.Execute(cmd.NewRootCmd(), cmd.EnvPrefix, app.DefaultNodeHome); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
