package rest

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	gogoproto "github.com/cosmos/gogoproto/proto"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"

	"github.com/aitbc/chain/facade/node"
	"github.com/aitbc/chain/indexer"
	computetypes "github.com/aitbc/chain/x/compute/types"
)

func TestDocsCopyOfOpenAPI(t *testing.T) {
	docs, err := os.ReadFile("../../docs/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(docs, OpenAPI) {
		t.Fatal("docs/openapi.json differs from facade/rest/openapi.json: copy the one you changed over the other")
	}
}

type schema struct {
	Properties map[string]json.RawMessage `json:"properties"`
	AllOf      []schema                   `json:"allOf"`
	Ref        string                     `json:"$ref"`
}

// jsonFields lists a struct's JSON field names, following embedded structs.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("json"), ",")[0]
		if tag == "-" {
			continue
		}
		if f.Anonymous && tag == "" {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		out = append(out, tag)
	}
	return out
}

func (s schema) fields(all map[string]schema) []string {
	if s.Ref != "" {
		return all[strings.TrimPrefix(s.Ref, "#/components/schemas/")].fields(all)
	}
	var out []string
	for k := range s.Properties {
		out = append(out, k)
	}
	for _, sub := range s.AllOf {
		out = append(out, sub.fields(all)...)
	}
	return out
}

// Every JSON shape the facade answers with is documented field for field.
func TestOpenAPIDescribesViews(t *testing.T) {
	var doc struct {
		Paths      map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]schema `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	views := map[string]any{
		"Head": node.Head{}, "Tx": node.Tx{}, "Fee": node.Fee{}, "Coin": node.Coin{}, "Event": node.Event{},
		"Attribute": node.Attribute{}, "Balance": node.Balance{}, "SendResult": node.SendResult{}, "CheckTx": node.CheckTx{},
		"Peers": node.Peers{}, "Peer": node.Peer{}, "SyncStatus": node.SyncStatus{}, "Health": node.Health{},
		"SendTxRequest": SendTxRequest{}, "JobsPage": node.JobsPage{}, "ProvidersPage": node.ProvidersPage{},
		// The SQL index's answers (History).
		"TxHistoryPage": indexer.TxList{}, "IndexedTx": indexer.TxRecord{},
		"JobHistoryPage": indexer.JobList{}, "IndexedJob": indexer.JobRecord{},
	}
	// Block is documented as Head plus txs and events.
	views["Block"] = node.Block{}
	for name, v := range views {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %s missing", name)
			continue
		}
		got, want := s.fields(doc.Components.Schemas), jsonFields(reflect.TypeOf(v))
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("schema %s documents %v, the Go type answers %v", name, got, want)
		}
	}
	// x/compute's types are answered in their proto3 JSON: compare with what the codec writes.
	for name, msg := range map[string]gogoproto.Message{
		"ComputeJob": &computetypes.Job{Receipt: &computetypes.Receipt{}}, "ComputeReceipt": &computetypes.Receipt{},
		"ComputeProvider": &computetypes.Provider{},
	} {
		raw, err := codec.ProtoMarshalJSON(msg, codectypes.NewInterfaceRegistry())
		if err != nil {
			t.Fatal(err)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			t.Fatal(err)
		}
		want := slices.Sorted(maps.Keys(fields))
		got := doc.Components.Schemas[name].fields(doc.Components.Schemas)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("schema %s documents %v, the module answers %v", name, got, want)
		}
	}
	for _, p := range []string{"/rpc/get_head", "/rpc/get_block/{height}", "/rpc/get_balance/{address}", "/rpc/send_tx",
		"/rpc/get_tx/{hash}", "/rpc/peers", "/health", "/sync_status", "/openapi.json",
		"/rpc/compute/jobs", "/rpc/compute/jobs/{id}", "/rpc/compute/providers", "/rpc/compute/providers/{address}",
		"/rpc/get_txs/{address}", "/rpc/compute/history/jobs"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("path %s undocumented", p)
		}
	}
}

// Every documented limit parameter gives the maximum and default the code
// enforces: node's for the chain's compute lists, indexer's for the SQL
// history.
func TestOpenAPIPageLimits(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name   string `json:"name"`
				Schema struct {
					Maximum, Default int
				} `json:"schema"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for path, ops := range doc.Paths {
		for method, op := range ops {
			for _, p := range op.Parameters {
				if p.Name != "limit" {
					continue
				}
				seen++
				wantMax, wantDefault := indexer.MaxPageLimit, indexer.DefaultPageLimit
				if strings.HasPrefix(path, "/rpc/compute/") && !strings.HasPrefix(path, "/rpc/compute/history/") {
					wantMax, wantDefault = node.MaxPageLimit, node.DefaultPageLimit
				}
				if p.Schema.Maximum != wantMax || p.Schema.Default != wantDefault {
					t.Errorf("%s %s: limit maximum %d default %d, the code enforces %d and %d",
						method, path, p.Schema.Maximum, p.Schema.Default, wantMax, wantDefault)
				}
			}
		}
	}
	if seen < 4 {
		t.Fatalf("found %d limit parameters, want at least 4", seen)
	}
}
