package indexer

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/cosmos/gogoproto/proto"

	computetypes "github.com/aitbc/chain/x/compute/types"
)

// ComputeProjection projects x/compute's typed events into compute_jobs,
// compute_receipts and compute_settlements: what the queries "jobs of a
// client" and "jobs of a provider" read. Each event upserts by job id, so a
// block projected twice leaves the same rows.
type ComputeProjection struct{}

var (
	evJobSubmitted     = proto.MessageName(&computetypes.EventJobSubmitted{})
	evJobAccepted      = proto.MessageName(&computetypes.EventJobAccepted{})
	evReceiptSubmitted = proto.MessageName(&computetypes.EventReceiptSubmitted{})
	evJobDisputed      = proto.MessageName(&computetypes.EventJobDisputed{})
	evJobSettled       = proto.MessageName(&computetypes.EventJobSettled{})
	evJobClosed        = proto.MessageName(&computetypes.EventJobClosed{})
)

// Job states as compute_jobs.status stores them (closed jobs store the
// module's JobState name, e.g. JOB_STATE_EXPIRED).
const (
	JobSubmitted = "submitted"
	JobAccepted  = "accepted"
	JobDelivered = "delivered"
	JobDisputed  = "disputed"
	JobSettled   = "settled"
)

func (ComputeProjection) Name() string { return "compute" }

func (ComputeProjection) Migrations() []Migration {
	return []Migration{{Version: 1, Name: "jobs, receipts, settlements", SQL: `
CREATE TABLE compute_jobs (
	job_id BIGINT PRIMARY KEY,
	client TEXT NOT NULL,
	provider TEXT NOT NULL DEFAULT '',
	model TEXT NOT NULL,
	escrow TEXT NOT NULL,
	price_per_unit TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	deadline_height BIGINT NOT NULL,
	submitted_height BIGINT NOT NULL,
	submit_tx_hash TEXT NOT NULL,
	accepted_height BIGINT,
	delivered_height BIGINT,
	disputed_height BIGINT,
	ended_height BIGINT
);
CREATE INDEX compute_jobs_client ON compute_jobs (client, job_id);
CREATE INDEX compute_jobs_provider ON compute_jobs (provider, job_id);
CREATE TABLE compute_receipts (
	job_id BIGINT NOT NULL,
	height BIGINT NOT NULL,
	tx_hash TEXT NOT NULL,
	provider TEXT NOT NULL,
	compute_units BIGINT NOT NULL,
	output_hash TEXT NOT NULL,
	settle_height BIGINT NOT NULL,
	PRIMARY KEY (job_id, height)
);
CREATE TABLE compute_settlements (
	job_id BIGINT PRIMARY KEY,
	height BIGINT NOT NULL,
	state TEXT NOT NULL,
	provider TEXT NOT NULL,
	provider_payment TEXT NOT NULL,
	protocol_fee TEXT NOT NULL,
	client_refund TEXT NOT NULL,
	minted TEXT NOT NULL
);
CREATE INDEX compute_settlements_height ON compute_settlements (height)`}}
}

func (ComputeProjection) EventTypes() []string {
	return []string{evJobSubmitted, evJobAccepted, evReceiptSubmitted, evJobDisputed, evJobSettled, evJobClosed}
}

func (ComputeProjection) BeginBlock(context.Context, *SQLTx, *Block) error { return nil }

// typedAttrs reads a typed event's attributes, which the SDK stores as JSON values.
func typedAttrs(ev Event) map[string]string {
	out := make(map[string]string, len(ev.Attributes))
	for _, a := range ev.Attributes {
		out[a.Key] = unquoteJSON(a.Value)
	}
	return out
}

func unquoteJSON(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		var s string
		if json.Unmarshal([]byte(v), &s) == nil {
			return s
		}
	}
	return v
}

func attrInt(a map[string]string, key string) (int64, error) {
	v, err := strconv.ParseInt(a[key], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("attribute %s=%q: %w", key, a[key], err)
	}
	return v, nil
}

func (ComputeProjection) Project(ctx context.Context, t *SQLTx, b *Block, tx *Tx, ev Event) error {
	a := typedAttrs(ev)
	id, err := attrInt(a, "job_id")
	if err != nil {
		return fmt.Errorf("%s: %w", ev.Type, err)
	}
	txHash := ""
	if tx != nil {
		txHash = tx.Hash
	}
	switch ev.Type {
	case evJobSubmitted:
		deadline, _ := strconv.ParseInt(a["deadline_height"], 10, 64)
		return t.Exec(ctx, `INSERT INTO compute_jobs (job_id, client, model, escrow, status, deadline_height, submitted_height, submit_tx_hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (job_id) DO UPDATE SET client = excluded.client, model = excluded.model, escrow = excluded.escrow,
			  deadline_height = excluded.deadline_height, submitted_height = excluded.submitted_height, submit_tx_hash = excluded.submit_tx_hash`,
			id, a["client"], a["model"], a["escrow"], JobSubmitted, deadline, b.Height, txHash)
	case evJobAccepted:
		return t.Exec(ctx, `UPDATE compute_jobs SET provider = ?, price_per_unit = ?, accepted_height = ?, status = ? WHERE job_id = ?`,
			a["provider"], a["price_per_unit"], b.Height, JobAccepted, id)
	case evReceiptSubmitted:
		units, _ := strconv.ParseInt(a["compute_units"], 10, 64)
		settle, _ := strconv.ParseInt(a["settle_height"], 10, 64)
		if err := t.Exec(ctx, `INSERT INTO compute_receipts (job_id, height, tx_hash, provider, compute_units, output_hash, settle_height)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, height) DO UPDATE SET tx_hash = excluded.tx_hash,
			provider = excluded.provider, compute_units = excluded.compute_units, output_hash = excluded.output_hash, settle_height = excluded.settle_height`,
			id, b.Height, txHash, a["provider"], units, a["output_hash"], settle); err != nil {
			return err
		}
		return t.Exec(ctx, `UPDATE compute_jobs SET delivered_height = ?, status = ? WHERE job_id = ?`, b.Height, JobDelivered, id)
	case evJobDisputed:
		return t.Exec(ctx, `UPDATE compute_jobs SET disputed_height = ?, status = ? WHERE job_id = ?`, b.Height, JobDisputed, id)
	case evJobSettled, evJobClosed:
		state := JobSettled
		if ev.Type == evJobClosed {
			state = a["state"]
		}
		if err := t.Exec(ctx, `INSERT INTO compute_settlements (job_id, height, state, provider, provider_payment, protocol_fee, client_refund, minted)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id) DO UPDATE SET height = excluded.height, state = excluded.state,
			provider = excluded.provider, provider_payment = excluded.provider_payment, protocol_fee = excluded.protocol_fee,
			client_refund = excluded.client_refund, minted = excluded.minted`,
			id, b.Height, state, a["provider"], a["provider_payment"], a["protocol_fee"], a["client_refund"], a["minted"]); err != nil {
			return err
		}
		return t.Exec(ctx, `UPDATE compute_jobs SET ended_height = ?, status = ? WHERE job_id = ?`, b.Height, state, id)
	}
	return nil
}

// Rewind forgets what blocks at height and above did to jobs: later stages
// are cleared and the status falls back to the last stage before height.
func (ComputeProjection) Rewind(ctx context.Context, t *SQLTx, height int64) error {
	for _, q := range []string{
		`DELETE FROM compute_jobs WHERE submitted_height >= ?`,
		`DELETE FROM compute_receipts WHERE height >= ?`,
		`DELETE FROM compute_settlements WHERE height >= ?`,
		`UPDATE compute_jobs SET ended_height = NULL WHERE ended_height >= ?`,
		`UPDATE compute_jobs SET disputed_height = NULL WHERE disputed_height >= ?`,
		`UPDATE compute_jobs SET delivered_height = NULL WHERE delivered_height >= ?`,
		`UPDATE compute_jobs SET accepted_height = NULL, provider = '', price_per_unit = '' WHERE accepted_height >= ?`,
	} {
		if err := t.Exec(ctx, q, height); err != nil {
			return err
		}
	}
	return t.Exec(ctx, `UPDATE compute_jobs SET status = CASE
		WHEN ended_height IS NOT NULL THEN status
		WHEN disputed_height IS NOT NULL THEN ?
		WHEN delivered_height IS NOT NULL THEN ?
		WHEN accepted_height IS NOT NULL THEN ?
		ELSE ? END`, JobDisputed, JobDelivered, JobAccepted, JobSubmitted)
}

// JobRecord is a compute job as the index holds it.
type JobRecord struct {
	JobID           uint64 `json:"job_id"`
	Client          string `json:"client"`
	Provider        string `json:"provider"`
	Model           string `json:"model"`
	Escrow          string `json:"escrow"`
	PricePerUnit    string `json:"price_per_unit"`
	Status          string `json:"status"`
	DeadlineHeight  int64  `json:"deadline_height"`
	SubmittedHeight int64  `json:"submitted_height"`
	SubmitTxHash    string `json:"submit_tx_hash"`
	EndedHeight     int64  `json:"ended_height,omitempty"`
}

// JobList is one page of jobs and how many match in all.
type JobList struct {
	Jobs  []JobRecord `json:"jobs"`
	Total int64       `json:"total"`
}

// JobsByClient lists the jobs a client submitted, newest (highest id) first
// unless p.Ascending. It needs the ComputeProjection registered.
func (s *Store) JobsByClient(ctx context.Context, client string, p Page) (JobList, error) {
	return s.jobList(ctx, "client", client, p)
}

// JobsByProvider lists the jobs a provider accepted, newest first unless p.Ascending.
func (s *Store) JobsByProvider(ctx context.Context, provider string, p Page) (JobList, error) {
	return s.jobList(ctx, "provider", provider, p)
}

func (s *Store) jobList(ctx context.Context, column, addr string, p Page) (JobList, error) {
	p, err := p.normalize()
	if err != nil {
		return JobList{}, err
	}
	var out JobList
	if err := s.db.QueryRowContext(ctx, s.Rebind(`SELECT COUNT(*) FROM compute_jobs WHERE `+column+` = ?`), addr).Scan(&out.Total); err != nil {
		return JobList{}, err
	}
	rows, err := s.db.QueryContext(ctx, s.Rebind(`SELECT job_id, client, provider, model, escrow, price_per_unit, status,
		deadline_height, submitted_height, submit_tx_hash, COALESCE(ended_height, 0)
		FROM compute_jobs WHERE `+column+` = ? ORDER BY job_id `+p.order()+` LIMIT ? OFFSET ?`), addr, p.Limit, p.Offset)
	if err != nil {
		return JobList{}, err
	}
	defer rows.Close()
	out.Jobs = []JobRecord{}
	for rows.Next() {
		var j JobRecord
		var id int64
		if err := rows.Scan(&id, &j.Client, &j.Provider, &j.Model, &j.Escrow, &j.PricePerUnit, &j.Status,
			&j.DeadlineHeight, &j.SubmittedHeight, &j.SubmitTxHash, &j.EndedHeight); err != nil {
			return JobList{}, err
		}
		j.JobID = uint64(id)
		out.Jobs = append(out.Jobs, j)
	}
	return out, rows.Err()
}

// isQuotedAccount reports whether a typed event's JSON string value is an account address.
func isQuotedAccount(v, prefix string) (string, bool) {
	if len(v) > 2 && v[0] == '"' && strings.HasSuffix(v, `"`) {
		inner := v[1 : len(v)-1]
		return inner, isAccountAddress(inner, prefix)
	}
	return "", false
}
