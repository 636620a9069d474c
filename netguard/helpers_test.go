package netguard

import (
	"fmt"
	"os"
	"path/filepath"
)

func osMkdirFiles(dir string, n int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if err := writeFile(filepath.Join(dir, fmt.Sprintf("%06d.sst", i))); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string) error { return os.WriteFile(path, []byte("x"), 0o644) }
