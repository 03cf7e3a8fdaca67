package graph

import (
	"bytes"
	"context"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"linli/db"
	"linli/graph/model"
)

// Plain lists. A feed page of 50 wishes is about a thousand fields of plain data: strings,
// times, enums, the wish's place and community. gqlgen gives every one of them a field
// context, a middleware call and a boxed value, collects each object's fields again and
// starts a goroutine per wish: most of a feed request's CPU, for values that are already in
// hand. So a list of wishes whose selection asks only for plain data is written straight to
// JSON once it is resolved, in the same bytes gqlgen writes (TestPlainListsMatchGqlgen).
// A claim's claimer, the one object with a resolver that a board shows, is resolved first
// by the resolvers' own functions. Anything else goes the ordinary way, whole: another
// field with a resolver (a timeline, a claimer's phone), a deferred fragment, or an analyst
// as viewer, for whom @personal fields answer FORBIDDEN.

// plainLists is the field middleware that takes the lists it can write; seen, when not
// nil, hears of each list of wishes whether it was written so (for the tests).
func plainLists(seen func(plain bool)) graphql.FieldMiddleware {
	return func(ctx context.Context, next graphql.Resolver) (any, error) {
		fc := graphql.GetFieldContext(ctx)
		if fc.Object != "WishConnection" || fc.Field.Name != "nodes" {
			return next(ctx)
		}
		res, err := next(ctx)
		if err != nil {
			return res, err
		}
		out, plain := writePlainWishes(ctx, fc, res)
		if seen != nil {
			seen(plain)
		}
		if !plain {
			return res, nil
		}
		return out, nil
	}
}

// writePlainWishes writes the list res of the field fc, or reports that it is not plain.
func writePlainWishes(ctx context.Context, fc *graphql.FieldContext, res any) (plainJSON, bool) {
	wishes, ok := res.([]*model.Wish)
	if !ok {
		return nil, false
	}
	if v, err := viewer(ctx); err != nil || v != nil && v.OnlyAnalyst() {
		return nil, false
	}
	p := &plainPlan{oc: graphql.GetOperationContext(ctx)}
	plan, ok := planFields(p, fc.Field.Selections, "Wish", wishImplementors, wishPlain)
	if !ok {
		return nil, false
	}
	b := &plainWriter{}
	if p.claimers {
		if b.claimers, ok = resolveClaimers(ctx, wishes); !ok {
			return nil, false
		}
	}
	b.Grow(len(wishes) * 640)
	b.WriteByte('[')
	for i, w := range wishes {
		if i > 0 {
			b.WriteByte(',')
		}
		if w == nil || !writeObject(b, plan, w) {
			return nil, false
		}
	}
	b.WriteByte(']')
	return plainJSON(b.Bytes()), true
}

// A plainWriter is a list being written, with what its plain fields show that the list's
// objects do not hold: the claimers of its claims.
type plainWriter struct {
	bytes.Buffer
	claimers map[int64]*claimer
}

// A claimer is the account holding a claim, with its name as the viewer sees it.
type claimer struct {
	*db.Account
	name string
}

// resolveClaimers gets the claimers of the wishes' claims through the same loaders and
// masking as WishClaim.claimer and Account.name, all at once (so the loaders batch them),
// or reports that one of them failed: the ordinary way then answers with its error.
func resolveClaimers(ctx context.Context, wishes []*model.Wish) (map[int64]*claimer, bool) {
	var ids []int64
	for _, w := range wishes {
		if w != nil && w.Claim != nil && !slices.Contains(ids, w.Claim.ClaimerID) {
			ids = append(ids, w.Claim.ClaimerID)
		}
	}
	found := make([]*claimer, len(ids))
	failed := make([]bool, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			a, err := accountByID(ctx, id)
			var name string
			if err == nil {
				name, err = accountName(ctx, a)
			}
			found[i], failed[i] = &claimer{a, name}, err != nil
		})
	}
	wg.Wait()
	out := make(map[int64]*claimer, len(ids))
	for i, id := range ids {
		if failed[i] {
			return nil, false
		}
		out[id] = found[i]
	}
	return out, true
}

// plainJSON is a value written already.
type plainJSON []byte

func (p plainJSON) MarshalGQL(w io.Writer) { w.Write(p) }

// A plainPlan is the plan of one list's selection being made.
type plainPlan struct {
	oc *graphql.OperationContext
	// claimers is set when a claim's claimer is asked for.
	claimers bool
}

// A plainStep writes one field of an object: its key, then its value. write reports false
// when this object's value needs the ordinary way (a nested object with a resolver field,
// a missing non-null value): the whole list then goes that way.
type plainStep[T any] struct {
	key   []byte
	write func(*plainWriter, T) bool
}

// A plainField makes the writer of one field from its selection, or reports that the
// field is not plain data.
type plainField[T any] func(p *plainPlan, f graphql.CollectedField) (func(*plainWriter, T) bool, bool)

// planFields makes the steps of a selection on type typeName, or reports that some field
// of it is not plain. A field of the selection that fields does not name is not plain.
func planFields[T any](p *plainPlan, sel ast.SelectionSet, typeName string, implementors []string,
	fields map[string]plainField[T]) ([]plainStep[T], bool) {
	collected := graphql.CollectFields(p.oc, sel, implementors)
	steps := make([]plainStep[T], 0, len(collected))
	for i, f := range collected {
		if f.IsDeferred() || seenAlias(collected[:i], f.Alias) {
			return nil, false
		}
		var key bytes.Buffer
		graphql.MarshalString(f.Alias).MarshalGQL(&key)
		key.WriteByte(':')
		if f.Name == "__typename" {
			steps = append(steps, plainStep[T]{key.Bytes(), func(b *plainWriter, _ T) bool { writeString(b, typeName); return true }})
			continue
		}
		field, ok := fields[f.Name]
		if !ok {
			return nil, false
		}
		write, ok := field(p, f)
		if !ok {
			return nil, false
		}
		steps = append(steps, plainStep[T]{key.Bytes(), write})
	}
	return steps, true
}

func seenAlias(fields []graphql.CollectedField, alias string) bool {
	for _, f := range fields {
		if f.Alias == alias {
			return true
		}
	}
	return false
}

func writeObject[T any](b *plainWriter, steps []plainStep[T], o T) bool {
	b.WriteByte('{')
	for i, s := range steps {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(s.key)
		if !s.write(b, o) {
			return false
		}
	}
	b.WriteByte('}')
	return true
}

// leaf is a plain field whose value is written by write.
func leaf[T any](write func(*plainWriter, T) bool) plainField[T] {
	return func(*plainPlan, graphql.CollectedField) (func(*plainWriter, T) bool, bool) {
		return write, true
	}
}

// object is a field holding an object of type typeName: get gives it (nil for null),
// nonNull says whether null is an error. A nullable object whose selection is not plain
// is still plain while it is null.
func object[T, O any](typeName string, implementors []string, fields map[string]plainField[*O], nonNull bool, get func(T) *O) plainField[T] {
	return func(p *plainPlan, f graphql.CollectedField) (func(*plainWriter, T) bool, bool) {
		steps, plain := planFields(p, f.Selections, typeName, implementors, fields)
		if !plain && nonNull {
			return nil, false
		}
		return func(b *plainWriter, o T) bool {
			v := get(o)
			if v == nil {
				b.WriteString("null")
				return !nonNull
			}
			return plain && writeObject(b, steps, v)
		}, true
	}
}

// claimerField is WishClaim.claimer, from the claimers resolved before the list is written.
func claimerField(p *plainPlan, f graphql.CollectedField) (func(*plainWriter, *db.Claim) bool, bool) {
	steps, ok := planFields(p, f.Selections, "Account", accountImplementors, accountPlain)
	if !ok {
		return nil, false
	}
	p.claimers = true
	return func(b *plainWriter, c *db.Claim) bool {
		a := b.claimers[c.ClaimerID]
		return a != nil && writeObject(b, steps, a)
	}, true
}

func writeString(b *plainWriter, s string) { graphql.MarshalString(s).MarshalGQL(b) }

func writeOptString(b *plainWriter, s *string) {
	if s == nil {
		b.WriteString("null")
		return
	}
	writeString(b, *s)
}

func writeOptInt(b *plainWriter, n *int) {
	if n == nil {
		b.WriteString("null")
		return
	}
	graphql.MarshalInt(*n).MarshalGQL(b)
}

func writeBool(b *plainWriter, v bool) { graphql.MarshalBoolean(v).MarshalGQL(b) }

// writeTime writes a Time!: the zero time is null, which a non-null field may not be.
func writeTime(b *plainWriter, t time.Time) bool {
	if t.IsZero() {
		return false
	}
	model.MarshalTime(t).MarshalGQL(b)
	return true
}

func writeOptTime(b *plainWriter, t *time.Time) {
	if t == nil || t.IsZero() {
		b.WriteString("null")
		return
	}
	model.MarshalTime(*t).MarshalGQL(b)
}

// The plain fields of each type, by GraphQL name; TestPlainListsMatchGqlgen asks for each.
var (
	placePlain = map[string]plainField[*db.Place]{
		"id":    leaf(func(b *plainWriter, p *db.Place) bool { writeString(b, p.NodeID()); return true }),
		"name":  leaf(func(b *plainWriter, p *db.Place) bool { writeString(b, p.Name); return true }),
		"level": leaf(func(b *plainWriter, p *db.Place) bool { p.Level.MarshalGQL(b); return true }),
	}
	claimPlain = map[string]plainField[*db.Claim]{
		"claimedAt": leaf(func(b *plainWriter, c *db.Claim) bool { return writeTime(b, c.ClaimedAt) }),
		"dueAt":     leaf(func(b *plainWriter, c *db.Claim) bool { return writeTime(b, c.DueAt) }),
		"active":    leaf(func(b *plainWriter, c *db.Claim) bool { writeBool(b, c.Active()); return true }),
		"endedAt":   leaf(func(b *plainWriter, c *db.Claim) bool { writeOptTime(b, c.EndedAt); return true }),
		"claimer":   claimerField,
	}
	accountPlain = map[string]plainField[*claimer]{
		"id":   leaf(func(b *plainWriter, c *claimer) bool { writeString(b, c.NodeID()); return true }),
		"name": leaf(func(b *plainWriter, c *claimer) bool { writeString(b, c.name); return true }),
	}
	wishPlain = map[string]plainField[*model.Wish]{
		"id":          leaf(func(b *plainWriter, w *model.Wish) bool { writeString(b, w.ID); return true }),
		"category":    leaf(func(b *plainWriter, w *model.Wish) bool { w.Category.MarshalGQL(b); return true }),
		"title":       leaf(func(b *plainWriter, w *model.Wish) bool { writeString(b, w.Title); return true }),
		"description": leaf(func(b *plainWriter, w *model.Wish) bool { writeString(b, w.Description); return true }),
		"valueFen":    leaf(func(b *plainWriter, w *model.Wish) bool { writeOptInt(b, w.ValueFen); return true }),
		"deadline":    leaf(func(b *plainWriter, w *model.Wish) bool { return writeTime(b, w.Deadline) }),
		"state":       leaf(func(b *plainWriter, w *model.Wish) bool { w.State.MarshalGQL(b); return true }),
		"place": object("Place", placeImplementors, placePlain, true,
			func(w *model.Wish) *db.Place { return w.Place }),
		"community": object("Place", placeImplementors, placePlain, true,
			func(w *model.Wish) *db.Place { return w.Community }),
		"beneficiaryName":  leaf(func(b *plainWriter, w *model.Wish) bool { writeString(b, w.BeneficiaryName); return true }),
		"beneficiaryPhone": leaf(func(b *plainWriter, w *model.Wish) bool { writeOptString(b, w.BeneficiaryPhone); return true }),
		"address":          leaf(func(b *plainWriter, w *model.Wish) bool { writeString(b, w.Address); return true }),
		"claim": object("WishClaim", wishClaimImplementors, claimPlain, false,
			func(w *model.Wish) *db.Claim { return w.Claim }),
		"rating":        leaf(func(b *plainWriter, w *model.Wish) bool { writeOptInt(b, w.Rating); return true }),
		"ratingComment": leaf(func(b *plainWriter, w *model.Wish) bool { writeOptString(b, w.RatingComment); return true }),
		"closingReason": leaf(func(b *plainWriter, w *model.Wish) bool { writeOptString(b, w.ClosingReason); return true }),
		"canClaim":      leaf(func(b *plainWriter, w *model.Wish) bool { writeBool(b, w.CanClaim); return true }),
		"createdAt":     leaf(func(b *plainWriter, w *model.Wish) bool { return writeTime(b, w.CreatedAt) }),
		"updatedAt":     leaf(func(b *plainWriter, w *model.Wish) bool { return writeTime(b, w.UpdatedAt) }),
	}
)
