package types_test

import (
	"testing"

	"github.com/aitbc/chain/x/compute/types"
)

func TestParseJobState(t *testing.T) {
	for in, want := range map[string]types.JobState{
		"JOB_STATE_OPEN": types.JobOpen, "open": types.JobOpen, "Open": types.JobOpen, " expired ": types.JobExpired,
		"job_state_cancelled": types.JobCancelled, "SETTLED": types.JobSettled,
	} {
		if got, err := types.ParseJobState(in); err != nil || got != want {
			t.Errorf("ParseJobState(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "unspecified", "JOB_STATE_UNSPECIFIED", "1", "opened"} {
		if _, err := types.ParseJobState(in); err == nil {
			t.Errorf("ParseJobState(%q) accepted", in)
		}
	}
	if got := types.JobDisputed.ShortName(); got != "disputed" {
		t.Errorf("ShortName = %q", got)
	}
}
