package metrics

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// Clients choose operation names: only well-formed ones become labels, and only so many.
func TestOperationLabel(t *testing.T) {
	s := New()
	for _, tc := range []struct {
		valid      bool
		name, want string
	}{
		{false, "Feed", Invalid},
		{true, "", Anonymous},
		{true, "Feed", "Feed"},
		{true, strings.Repeat("a", 65), Other},
		{true, "with space", Other},
		{true, "9lives", Other},
	} {
		if got := s.OperationLabel(tc.valid, tc.name); got != tc.want {
			t.Errorf("OperationLabel(%v, %q): got %q, want %q", tc.valid, tc.name, got, tc.want)
		}
	}
	var wg sync.WaitGroup
	for i := range 4 * MaxOperationNames {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.OperationLabel(true, fmt.Sprintf("Op%d", i))
		}()
	}
	wg.Wait()
	labels := map[string]bool{}
	for i := range 4 * MaxOperationNames {
		labels[s.OperationLabel(true, fmt.Sprintf("Op%d", i))] = true
	}
	if len(labels) != MaxOperationNames || !labels[Other] {
		// Feed took one place, so the ops have MaxOperationNames-1 of their own, plus Other.
		t.Errorf("after %d names: got %d distinct labels, want %d (the first names, then %q)", 4*MaxOperationNames, len(labels), MaxOperationNames, Other)
	}
	if got := s.OperationLabel(true, "Feed"); got != "Feed" {
		t.Errorf("a name seen before the limit: got %q, want it kept", got)
	}
	var none *Set
	none.Request("Feed", "ok", 0) // a nil Set records nothing, and does not panic
	if got := none.OperationLabel(true, "Feed"); got != "Feed" {
		t.Errorf("nil Set: got %q, want the name (for a span)", got)
	}
}
