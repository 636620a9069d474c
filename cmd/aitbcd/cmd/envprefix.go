package cmd

import (
	"os"
	"path/filepath"
	"strings"
)

// The SDK reads configuration overrides from environment variables named
// after the executable's file name (server.InterceptConfigsAndCreateContext:
// viper's prefix is path.Base(os.Executable())). Under any name but "aitbcd"
// — aitbcd-v0.2 beside aitbcd during an upgrade, a copy under a test name —
// every documented AITBCD_ variable would be silently ignored.
// mirrorEnvPrefix copies each AITBCD_X=v to <NAME>_X=v, NAME being the
// executable's file name as viper spells the prefix (upper case, "-" and "."
// as "_": AITBCD_V2 for aitbcd-v2), so the documented prefix works whatever
// the binary is called. A variable already set under the file's own prefix
// is left as it is.
func mirrorEnvPrefix(executable string, environ []string, setenv func(key, value string) error) error {
	own := envKeyReplacer.Replace(strings.ToUpper(filepath.Base(executable)))
	if own == EnvPrefix {
		return nil
	}
	set := make(map[string]bool, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		set[name] = true
	}
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		rest, ok := strings.CutPrefix(name, EnvPrefix+"_")
		// AITBCD_V2_X is already under aitbcd-v2's own prefix.
		if !ok || rest == "" || strings.HasPrefix(name, own+"_") || set[own+"_"+rest] {
			continue
		}
		if err := setenv(own+"_"+rest, value); err != nil {
			return err
		}
	}
	return nil
}

// envKeyReplacer is the one the SDK gives viper for environment keys.
var envKeyReplacer = strings.NewReplacer(".", "_", "-", "_")

// mirrorProcessEnvPrefix applies mirrorEnvPrefix to this process.
func mirrorProcessEnvPrefix() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	return mirrorEnvPrefix(exe, os.Environ(), os.Setenv)
}
