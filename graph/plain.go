package graph

import (
	"bytes"
	"context"
	"io"
	"slices"
	"sync"

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
	found := make([]*claimer, len(ids)) // nil: that one failed
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			if a, err := accountByID(ctx, id); err == nil {
				if name, err := accountName(ctx, a); err == nil {
					found[i] = &claimer{a, name}
				}
			}
		})
	}
	wg.Wait()
	out := make(map[int64]*claimer, len(ids))
	for i, id := range ids {
		if found[i] == nil {
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
		if f.IsDeferred() || slices.ContainsFunc(collected[:i], func(c graphql.CollectedField) bool { return c.Alias == f.Alias }) {
			return nil, false
		}
		var key bytes.Buffer
		graphql.MarshalString(f.Alias).MarshalGQL(&key)
		key.WriteByte(':')
		field, ok := fields[f.Name]
		if f.Name == "__typename" {
			field, ok = value(true, func(T) graphql.Marshaler { return graphql.MarshalString(typeName) }), true
		}
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

// value is a plain leaf: get gives its value as gqlgen marshals it. A non-null field whose
// value marshals to null (a zero time) sends the list the ordinary way, where gqlgen
// answers it with its error.
func value[T any](nonNull bool, get func(T) graphql.Marshaler) plainField[T] {
	write := func(b *plainWriter, o T) bool {
		m := get(o)
		if nonNull && m == graphql.Null {
			return false
		}
		m.MarshalGQL(b)
		return true
	}
	return func(*plainPlan, graphql.CollectedField) (func(*plainWriter, T) bool, bool) { return write, true }
}

// optional is *v marshalled by m, or null.
func optional[V any](v *V, m func(V) graphql.Marshaler) graphql.Marshaler {
	if v == nil {
		return graphql.Null
	}
	return m(*v)
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

// The plain fields of each type, by GraphQL name; TestPlainListsMatchGqlgen asks for each.
// marshaler shortens the tables below.
type marshaler = graphql.Marshaler

var (
	placePlain = map[string]plainField[*db.Place]{
		"id":    value(true, func(p *db.Place) marshaler { return graphql.MarshalID(p.NodeID()) }),
		"name":  value(true, func(p *db.Place) marshaler { return graphql.MarshalString(p.Name) }),
		"level": value(true, func(p *db.Place) marshaler { return p.Level }),
	}
	claimPlain = map[string]plainField[*db.Claim]{
		"claimedAt": value(true, func(c *db.Claim) marshaler { return model.MarshalTime(c.ClaimedAt) }),
		"dueAt":     value(true, func(c *db.Claim) marshaler { return model.MarshalTime(c.DueAt) }),
		"active":    value(true, func(c *db.Claim) marshaler { return graphql.MarshalBoolean(c.Active()) }),
		"endedAt":   value(false, func(c *db.Claim) marshaler { return optional(c.EndedAt, model.MarshalTime) }),
		"claimer":   claimerField,
	}
	accountPlain = map[string]plainField[*claimer]{
		"id":   value(true, func(c *claimer) marshaler { return graphql.MarshalID(c.NodeID()) }),
		"name": value(true, func(c *claimer) marshaler { return graphql.MarshalString(c.name) }),
	}
	wishPlain = map[string]plainField[*model.Wish]{
		"id":               value(true, func(w *model.Wish) marshaler { return graphql.MarshalID(w.ID) }),
		"category":         value(true, func(w *model.Wish) marshaler { return w.Category }),
		"title":            value(true, func(w *model.Wish) marshaler { return graphql.MarshalString(w.Title) }),
		"description":      value(true, func(w *model.Wish) marshaler { return graphql.MarshalString(w.Description) }),
		"valueFen":         value(false, func(w *model.Wish) marshaler { return optional(w.ValueFen, graphql.MarshalInt) }),
		"deadline":         value(true, func(w *model.Wish) marshaler { return model.MarshalTime(w.Deadline) }),
		"state":            value(true, func(w *model.Wish) marshaler { return w.State }),
		"place":            object("Place", placeImplementors, placePlain, true, func(w *model.Wish) *db.Place { return w.Place }),
		"community":        object("Place", placeImplementors, placePlain, true, func(w *model.Wish) *db.Place { return w.Community }),
		"beneficiaryName":  value(true, func(w *model.Wish) marshaler { return graphql.MarshalString(w.BeneficiaryName) }),
		"beneficiaryPhone": value(false, func(w *model.Wish) marshaler { return optional(w.BeneficiaryPhone, graphql.MarshalString) }),
		"address":          value(true, func(w *model.Wish) marshaler { return graphql.MarshalString(w.Address) }),
		"claim":            object("WishClaim", wishClaimImplementors, claimPlain, false, func(w *model.Wish) *db.Claim { return w.Claim }),
		"rating":           value(false, func(w *model.Wish) marshaler { return optional(w.Rating, graphql.MarshalInt) }),
		"ratingComment":    value(false, func(w *model.Wish) marshaler { return optional(w.RatingComment, graphql.MarshalString) }),
		"closingReason":    value(false, func(w *model.Wish) marshaler { return optional(w.ClosingReason, graphql.MarshalString) }),
		"canClaim":         value(true, func(w *model.Wish) marshaler { return graphql.MarshalBoolean(w.CanClaim) }),
		"createdAt":        value(true, func(w *model.Wish) marshaler { return model.MarshalTime(w.CreatedAt) }),
		"updatedAt":        value(true, func(w *model.Wish) marshaler { return model.MarshalTime(w.UpdatedAt) }),
	}
)
