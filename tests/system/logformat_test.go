package system

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDevnetJSONLogs: with LOG_FORMAT=json every line a devnet writes, from
// its banner through CometBFT, the app, the facade and the SQL indexer to
// the shutdown after SIGTERM, is one JSON object with a level, a module and
// a message.
func TestDevnetJSONLogs(t *testing.T) {
	t.Parallel() // its own network; runs beside the others
	n := newNode(t, filepath.Join(t.TempDir(), "devnet"))
	n.mustCLI("devnet", "--no-start") // creates the home that will hold node.log
	n.start([]string{"LOG_FORMAT=json"}, append([]string{"devnet", "--home", n.home, "--"}, n.startArgs()...)...)
	n.waitForHeight(3, time.Minute)
	if res, err := n.send("alice", devnetBob, "1"+denom); err != nil || res.Code != 0 {
		t.Fatalf("bank send: %v %+v", err, res)
	}
	n.waitForHeight(5, time.Minute)
	if err := n.stop(syscall.SIGTERM); err != nil {
		t.Logf("devnet exit: %v", err)
	}

	f, err := os.Open(filepath.Join(n.home, "node.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	modules := map[string]int{}
	lines := 0
	scan := bufio.NewScanner(f)
	scan.Buffer(make([]byte, 0, 1<<20), 1<<20)
	for scan.Scan() {
		lines++
		var line map[string]any
		if err := json.Unmarshal(scan.Bytes(), &line); err != nil {
			t.Fatalf("line %d is not JSON (%v): %s", lines, err, scan.Text())
		}
		for _, key := range []string{"level", "module", "message"} {
			if s, _ := line[key].(string); s == "" {
				t.Fatalf("line %d has no %q: %s", lines, key, scan.Text())
			}
		}
		modules[line["module"].(string)]++
	}
	if err := scan.Err(); err != nil {
		t.Fatal(err)
	}
	var names []string
	for m := range modules {
		names = append(names, m)
	}
	slices.Sort(names)
	t.Logf("%d lines, all JSON; modules: %s", lines, strings.Join(names, " "))
	for _, want := range []string{"devnet", "consensus", "state", "facade", "indexer", "server"} {
		if modules[want] == 0 {
			t.Errorf("no line from module %q", want)
		}
	}
}

// TestFailedStartLogsJSON: with JSON logs asked for, the error that stops
// start-up is a JSON line too, so a log collector sees why a node is down.
func TestFailedStartLogsJSON(t *testing.T) {
	for _, c := range []struct {
		env  []string
		args []string
	}{
		{[]string{"LOG_FORMAT=json", "BLOCK_TIME=fast"}, []string{"start", "--home", t.TempDir()}},
		{[]string{"BLOCK_TIME=fast"}, []string{"start", "--home", t.TempDir(), "--log_format", "json"}},
	} {
		cmd := exec.Command(aitbcdBin, c.args...)
		cmd.Env = append(os.Environ(), c.env...)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("%v aitbcd %v succeeded", c.env, c.args)
		}
		for _, raw := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			var line map[string]any
			if json.Unmarshal([]byte(raw), &line) != nil || line["level"] != "error" || !strings.Contains(line["message"].(string), "BLOCK_TIME") {
				t.Fatalf("%v aitbcd %v: not a JSON error line naming BLOCK_TIME: %s", c.env, c.args, raw)
			}
		}
	}
}
