package localnet

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLayoutAndPeers(t *testing.T) {
	nodes := layout(2, 1, 20000)
	var roles []string
	for i := range nodes {
		nodes[i].NodeID = "id" + strconv.Itoa(i)
		roles = append(roles, nodes[i].Name+"="+nodes[i].Role)
	}
	if got := strings.Join(roles, " "); got != "node0=validator node1=validator node2=full" {
		t.Fatalf("layout %s", got)
	}
	if got, want := peers(nodes, 1), "id0@127.0.0.1:20000,id2@127.0.0.1:20020"; got != want {
		t.Fatalf("node1's peers %q, want %q", got, want)
	}
	if got := peers(nodes[:1], 0); got != "" {
		t.Fatalf("a lone node has peers %q", got)
	}
}

func TestOptionsValidate(t *testing.T) {
	ok := Options{Validators: 4, BasePort: DefaultBasePort, ConsensusMode: ConsensusModePoA}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		edit  func(*Options)
		names string
	}{
		{"no validator", func(o *Options) { o.Validators = 0 }, "--validators"},
		{"negative full nodes", func(o *Options) { o.FullNodes = -1 }, "--full-nodes"},
		{"too many nodes", func(o *Options) { o.Validators, o.FullNodes = 15, 6 }, "at most 20"},
		{"privileged ports", func(o *Options) { o.BasePort = 80 }, "--base-port"},
		{"ports past 65535", func(o *Options) { o.BasePort = 65500 }, "--base-port"},
		{"unknown mode", func(o *Options) { o.ConsensusMode = "dpos" }, "consensus mode"},
		{"voting period too short", func(o *Options) { o.VotingPeriod = time.Second }, "--voting-period"},
	}
	for _, c := range cases {
		o := ok
		c.edit(&o)
		if err := o.Validate(); err == nil || !strings.Contains(err.Error(), c.names) {
			t.Errorf("%s: want an error mentioning %q, got %v", c.name, c.names, err)
		}
	}
	// The last port of the last node may be 65535.
	edge := Options{Validators: 1, BasePort: 65526, ConsensusMode: ConsensusModePoS}
	if err := edge.Validate(); err != nil {
		t.Fatalf("ports 65526-65535: %v", err)
	}
}

// Creating a network without the node-home template is refused before
// anything is written.
func TestPrepareNeedsHomeTemplate(t *testing.T) {
	if _, _, err := Prepare(t.TempDir()+"/ln", Options{Validators: 1, BasePort: 20000, ConsensusMode: ConsensusModePoA}); err == nil || !strings.Contains(err.Error(), "HomeTemplate") {
		t.Fatalf("want an error naming HomeTemplate, got %v", err)
	}
}
