package types

import (
	"fmt"
	"strings"
)

// ShortName is the state's name without its prefix, lowercased: open for
// JOB_STATE_OPEN. It is what AutoCLI's enum flags and the facade take.
func (s JobState) ShortName() string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "JOB_STATE_"))
}

// ParseJobState accepts a job state by its full name (JOB_STATE_OPEN) or its
// short one (open), in any case.
func ParseJobState(s string) (JobState, error) {
	name := strings.ToUpper(strings.TrimSpace(s))
	if !strings.HasPrefix(name, "JOB_STATE_") {
		name = "JOB_STATE_" + name
	}
	if v, ok := JobState_value[name]; ok && v != int32(JobStateUnspecified) {
		return JobState(v), nil
	}
	names := make([]string, 0, len(JobState_name)-1)
	for v := JobOpen; v <= JobCancelled; v++ {
		names = append(names, v.ShortName())
	}
	return JobStateUnspecified, fmt.Errorf("unknown job state %q: want one of %s (or JOB_STATE_OPEN and so on)", clip(s), strings.Join(names, ", "))
}
