package app_test

import (
	"os"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aitbc/chain/app"
)

// The pinned config scope must name the same address configuration the SDK
// finds without it; otherwise addresses would print with the SDK's cosmos
// prefix wherever the variable is missing (or, after a change of the SDK's
// key format, everywhere).
func TestConfigScopePinnedToTheSDKDefaultKey(t *testing.T) {
	app.SetAddressConfig()
	pinned := os.Getenv(sdk.EnvConfigScope)
	if pinned == "" {
		t.Fatalf("%s is not set after SetAddressConfig", sdk.EnvConfigScope)
	}
	withPin := sdk.GetConfig()

	t.Setenv(sdk.EnvConfigScope, "") // the SDK's own key: host|executable|pid
	withoutPin := sdk.GetConfig()

	if withPin != withoutPin {
		t.Fatalf("scope %q selects another configuration than the SDK's default key", pinned)
	}
	if got := withoutPin.GetBech32AccountAddrPrefix(); got != app.AccountAddressPrefix {
		t.Fatalf("account prefix under the SDK's key is %q, want %q", got, app.AccountAddressPrefix)
	}
}
