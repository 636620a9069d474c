package cmd

import (
	"reflect"
	"testing"
)

func TestMirrorEnvPrefix(t *testing.T) {
	environ := []string{
		"AITBCD_MINIMUM_GAS_PRICES=0.1uait",
		"AITBCD_TX_INDEX_INDEXER=null",
		"AITBCD_V2_TX_INDEX_INDEXER=kv", // set under the file's own prefix: wins
		"AITBCD_=ignored",               // no key
		"AITBCDX_HOME=/elsewhere",       // another prefix
		"BLOCK_TIME=1s",
	}
	cases := []struct {
		executable string
		want       map[string]string
	}{
		{"/usr/local/bin/aitbcd", map[string]string{}},
		{"/opt/aitbc/aitbcd-v2", map[string]string{"AITBCD_V2_MINIMUM_GAS_PRICES": "0.1uait"}},
		{"/tmp/go-build1/cmd.test", map[string]string{
			"CMD_TEST_MINIMUM_GAS_PRICES":  "0.1uait",
			"CMD_TEST_TX_INDEX_INDEXER":    "null",
			"CMD_TEST_V2_TX_INDEX_INDEXER": "kv", // an AITBCD_ variable like any other here
		}},
	}
	for _, c := range cases {
		got := map[string]string{}
		err := mirrorEnvPrefix(c.executable, environ, func(k, v string) error { got[k] = v; return nil })
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: set %v, want %v", c.executable, got, c.want)
		}
	}
}
