package db

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Page asks for one page of a list kept in id order (keyset pagination: stable while rows
// are added, and as fast on page 1,000 as on page 1). Exactly one of First and Last is set.
type Page struct {
	First, Last int
	// After and Before are the ids at the cursors; 0 means none.
	After, Before int64
}

// Paged is one page of a list.
type Paged[T any] struct {
	Items       []T
	HasNext     bool
	HasPrevious bool
}

// listQuery runs a page of `SELECT … WHERE <filter>` ordered by key (ascending, or descending
// when desc). from holds everything up to and including the WHERE conditions; args are its
// parameters. key is a column name from the caller's own code, never from input.
func listQuery[T any](ctx context.Context, s *Store, from string, args []any, key string, desc bool, p Page) (Paged[T], error) {
	var b strings.Builder
	b.WriteString(from)
	args = slices.Clone(args)
	param := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	// Items "after" the cursor come later in the list's order.
	later, earlier := ">", "<"
	if desc {
		later, earlier = "<", ">"
	}
	if p.After != 0 {
		fmt.Fprintf(&b, " AND %s %s %s", key, later, param(p.After))
	}
	if p.Before != 0 {
		fmt.Fprintf(&b, " AND %s %s %s", key, earlier, param(p.Before))
	}
	backward := p.Last > 0
	dir := "ASC"
	if desc != backward {
		dir = "DESC"
	}
	n := p.First
	if backward {
		n = p.Last
	}
	fmt.Fprintf(&b, " ORDER BY %s %s LIMIT %s", key, dir, param(n+1))

	var items []T
	if err := s.selectRows(ctx, &items, b.String(), args...); err != nil {
		return Paged[T]{}, err
	}
	more := len(items) > n
	if more {
		items = items[:n]
	}
	out := Paged[T]{Items: items}
	if backward {
		slices.Reverse(out.Items)
		out.HasPrevious, out.HasNext = more, p.Before != 0
	} else {
		out.HasNext, out.HasPrevious = more, p.After != 0
	}
	return out, nil
}

// count runs `SELECT count(*) FROM …` for a list's totalCount.
func (s *Store) count(ctx context.Context, from string, args ...any) (int, error) {
	var n int
	err := s.get(ctx, &n, "SELECT count(*) "+from, args...)
	return n, err
}
