package indexer

import (
	"context"
	"errors"
	"testing"

	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// brokenResults fails every block-results read while broken is set, as a
// node whose RPC errors would.
type brokenResults struct {
	*orderedSource
	broken bool
}

func (s *brokenResults) BlockResults(ctx context.Context, h *int64) (*coretypes.ResultBlockResults, error) {
	if s.broken {
		return nil, errors.New("rpc error")
	}
	return s.orderedSource.BlockResults(ctx, h)
}

// The lag gauges: while the indexer cannot write, indexer_node_height runs
// ahead of indexer_height (the lag the SQL-indexer-lag alert sees); once it
// catches up they are equal.
func TestIndexerMetricsShowTheLag(t *testing.T) {
	src := &brokenResults{orderedSource: &orderedSource{t: t}, broken: true}
	for i := 0; i < 5; i++ {
		src.storeBlock()
		src.commitBlock()
	}
	m := NewMetrics(prometheus.NewRegistry())
	ix, err := New(Options{Target: testTarget(t), Source: src, Decoder: testDecoder, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if _, err := ix.CatchUp(context.Background()); err == nil {
		t.Fatal("CatchUp with failing block results: no error")
	}
	if h, nh := gaugeValue(t, m.Height), gaugeValue(t, m.NodeHeight); h != 0 || nh != 5 {
		t.Fatalf("stuck indexer: indexer_height %v, indexer_node_height %v; want 0 and 5", h, nh)
	}
	src.broken = false
	if got, err := ix.CatchUp(context.Background()); err != nil || got != 5 {
		t.Fatalf("CatchUp: %d, %v; want 5", got, err)
	}
	if h, nh := gaugeValue(t, m.Height), gaugeValue(t, m.NodeHeight); h != 5 || nh != 5 {
		t.Fatalf("caught-up indexer: indexer_height %v, indexer_node_height %v; want 5 and 5", h, nh)
	}
}

// Without Options.Metrics the series are in the default registry, which the
// facade's /metrics serves.
func TestIndexerMetricsDefaultRegistry(t *testing.T) {
	if _, err := New(Options{Source: &orderedSource{t: t}}); err != nil {
		t.Fatal(err)
	}
	families, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, f := range families {
		found[f.GetName()] = true
	}
	for _, name := range []string{"indexer_height", "indexer_node_height"} {
		if !found[name] {
			t.Errorf("%s is not in the default registry", name)
		}
	}
}

func gaugeValue(t *testing.T, g prometheus.Gauge) float64 {
	t.Helper()
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetGauge().GetValue()
}
