package db

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Page asks for one page of a list (keyset pagination: stable while rows are added, and as
// fast on page 1,000 as on page 1). Exactly one of First and Last is set.
type Page struct {
	First, Last int
	// After and Before are the keys at the cursors; nil means none.
	After, Before Key
	// WithTotal says the total will be asked for too: a list that can starts counting
	// beside the page rather than after it, one round trip sooner.
	WithTotal bool
}

// Key is the position of an item in its list: the values of the list order's columns, as
// text. Clients get it back as an opaque cursor.
type Key []string

// Paged is one page of a list, with each item's key.
type Paged[T any] struct {
	Items       []T
	Keys        []Key
	HasNext     bool
	HasPrevious bool
}

// order is how a list is sorted: its key columns, each an int or a time, ascending unless
// desc. The last column must be unique.
type order struct {
	cols  []string
	kinds []string // "bigint" or "timestamptz"
	desc  bool
}

var (
	byID     = order{cols: []string{"id"}, kinds: []string{"bigint"}}
	byIDDesc = order{cols: []string{"id"}, kinds: []string{"bigint"}, desc: true}
)

func (o order) qualified(alias string) order {
	c := slices.Clone(o.cols)
	for i := range c {
		c[i] = alias + "." + c[i]
	}
	o.cols = c
	return o
}

// idKey is the key of an item in a list ordered by id alone.
func idKey(id int64) Key { return Key{strconv.FormatInt(id, 10)} }

// timeKey is the key of an item in a list ordered by a time, then id.
func timeKey(t time.Time, id int64) Key {
	return Key{t.UTC().Format(time.RFC3339Nano), strconv.FormatInt(id, 10)}
}

// check returns the key's values typed for SQL, or INVALID_INPUT for field.
func (o order) check(k Key, field string) ([]any, error) {
	if len(k) != len(o.cols) {
		return nil, Invalid(field, "翻页游标 %s 不属于这个列表，请使用本列表返回的 cursor", field)
	}
	vals := make([]any, len(k))
	for i, s := range k {
		switch o.kinds[i] {
		case "bigint":
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, Invalid(field, "翻页游标 %s 无效，请使用接口返回的 cursor", field)
			}
			vals[i] = n
		case "timestamptz":
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return nil, Invalid(field, "翻页游标 %s 无效，请使用接口返回的 cursor", field)
			}
			vals[i] = t
		}
	}
	return vals, nil
}

// listQuery runs a page of `SELECT … WHERE <filter>` in order o. from holds everything up to
// and including the WHERE conditions; args are its parameters. o's columns come from the
// caller's own code, never from input.
func listQuery[T any](ctx context.Context, s *Store, from string, args []any, o order, key func(T) Key, p Page) (Paged[T], error) {
	return listQueryAround(ctx, s, from, args, o, key, p, nil)
}

// listQueryAround is listQuery whose page, once chosen, is the `w` of around's statement:
// the joins that only add columns then run for the page's rows, not for every row that
// passes the filter. around gets `(SELECT … LIMIT n) w` and returns the whole statement,
// which must keep o's order.
func listQueryAround[T any](ctx context.Context, s *Store, from string, args []any, o order, key func(T) Key, p Page, around func(page string) string) (Paged[T], error) {
	var b strings.Builder
	b.WriteString(from)
	args = slices.Clone(args)
	tuple := func(vals []any) string {
		ps := make([]string, len(vals))
		for i, v := range vals {
			args = append(args, v)
			ps[i] = "$" + strconv.Itoa(len(args)) + "::" + o.kinds[i]
		}
		return "(" + strings.Join(ps, ", ") + ")"
	}
	cols := "(" + strings.Join(o.cols, ", ") + ")"
	// Items "after" the cursor come later in the list's order.
	later, earlier := ">", "<"
	if o.desc {
		later, earlier = "<", ">"
	}
	for _, c := range []struct {
		k     Key
		field string
		op    string
	}{{p.After, "after", later}, {p.Before, "before", earlier}} {
		if c.k == nil {
			continue
		}
		vals, err := o.check(c.k, c.field)
		if err != nil {
			return Paged[T]{}, err
		}
		fmt.Fprintf(&b, " AND %s %s %s", cols, c.op, tuple(vals))
	}
	backward := p.Last > 0
	dir := " ASC"
	if o.desc != backward {
		dir = " DESC"
	}
	n := p.First
	if backward {
		n = p.Last
	}
	b.WriteString(" ORDER BY " + strings.Join(o.cols, dir+", ") + dir)
	args = append(args, n+1)
	b.WriteString(" LIMIT $" + strconv.Itoa(len(args)))

	q := b.String()
	if around != nil {
		q = around("("+q+") w") + " ORDER BY " + strings.Join(o.cols, dir+", ") + dir
	}
	var items []T
	if err := s.selectRows(ctx, &items, q, args...); err != nil {
		return Paged[T]{}, err
	}
	more := len(items) > n
	if more {
		items = items[:n]
	}
	out := Paged[T]{Items: items}
	if backward {
		slices.Reverse(out.Items)
		out.HasPrevious, out.HasNext = more, p.Before != nil
	} else {
		out.HasNext, out.HasPrevious = more, p.After != nil
	}
	out.Keys = make([]Key, len(out.Items))
	for i, it := range out.Items {
		out.Keys[i] = key(it)
	}
	return out, nil
}

// count runs `SELECT count(*) FROM …` for a list's totalCount.
// counter is the total of a list read from from with args: counted when asked, or started
// now, beside the page, when p says the total will be asked for.
func (s *Store) counter(ctx context.Context, p Page, from string, args []any) func(context.Context) (int, error) {
	if !p.WithTotal {
		return func(ctx context.Context) (int, error) { return s.count(ctx, from, args...) }
	}
	counted := sync.OnceValues(func() (int, error) { return s.count(ctx, from, args...) })
	go counted()
	return func(context.Context) (int, error) { return counted() }
}

func (s *Store) count(ctx context.Context, from string, args ...any) (int, error) {
	var n int
	err := s.get(ctx, &n, "SELECT count(*) "+from, args...)
	return n, err
}
