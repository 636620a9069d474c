package localnet

import (
	"os"
	"path/filepath"
)

// buildStaged builds a network directory in a sibling staging directory and
// renames it to dir once build succeeds, so an interrupted run leaves
// nothing half made. dir must be absent or empty.
func buildStaged(dir string, build func(staging string) error) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	staging, err := os.MkdirTemp(filepath.Dir(dir), filepath.Base(dir)+".creating-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(staging)
	if err := build(staging); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil { // an empty directory may be in the way
		return err
	}
	return os.Rename(staging, dir)
}

// emptyOrAbsent reports whether dir holds nothing.
func emptyOrAbsent(dir string) bool {
	entries, err := os.ReadDir(dir)
	return err != nil || len(entries) == 0
}
