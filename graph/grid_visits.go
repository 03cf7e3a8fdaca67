package graph

import (
	"context"
	"time"

	"linli/db"
	"linli/graph/model"
)

// Grid work, first half (issue 17): care assignments (包联), visits (入户走访, 民情日记), the
// visiting rhythm and the grid worker's queue. Who reads a visit is db.Viewer.ReadsVisit,
// asked on every path to one: node(id), a household's visits, a wish's or topic's visit.

// visitLoaders are the request's batch loaders for grid work.
type visitLoaders struct {
	visit           *loader[*db.Visit]
	visitsOf        *loader[[]int64]
	careOfHousehold *loader[[]*db.CareAssignment]
	residentsOf     *loader[[]*db.Resident]
	outcomes        *loader[[]*db.VisitOutcome]
	visitOfWish     *loader[int64]
	visitOfTopic    *loader[int64]
	visitOfReport   *loader[int64]
}

func newVisitLoaders(ctx context.Context, s *db.Store, wait time.Duration) *visitLoaders {
	return &visitLoaders{
		visit:           newLoader(ctx, wait, s.VisitsByID).as("visit"),
		visitsOf:        newLoader(ctx, wait, s.VisitIDsOfHouseholds).as("visitsOf"),
		careOfHousehold: newLoader(ctx, wait, s.CareAssignmentsOfHouseholds).as("careOfHousehold"),
		residentsOf:     newLoader(ctx, wait, s.CurrentResidentsOf).as("residentsOf"),
		outcomes:        newLoader(ctx, wait, s.OutcomesOfVisits).as("visitOutcomes"),
		visitOfWish:     newLoader(ctx, wait, s.VisitOfWishes).as("visitOfWish"),
		visitOfTopic:    newLoader(ctx, wait, s.VisitOfTopics).as("visitOfTopic"),
		visitOfReport:   newLoader(ctx, wait, s.VisitOfReports).as("visitOfReport"),
	}
}

// readableVisit returns visit id if the viewer may read it, nil otherwise.
func readableVisit(ctx context.Context, id int64) (*db.Visit, error) {
	x, ok, err := load(ctx).visits.visit.load(id)
	if err != nil || !ok {
		return nil, err
	}
	v, err := viewer(ctx)
	if err != nil || !v.ReadsVisit(x) {
		return nil, err
	}
	return x, nil
}

// visitNode is node(id) for a Visit: an untyped nil when it is hidden.
func visitNode(ctx context.Context, id int64) (any, error) {
	x, err := readableVisit(ctx, id)
	if err != nil || x == nil {
		return nil, err
	}
	return x, nil
}

// visitOf returns the visit a wish or topic came of, if the viewer may read it.
func visitOf(ctx context.Context, l *loader[int64], id int64) (*db.Visit, error) {
	visitID, ok, err := l.load(id)
	if err != nil || !ok {
		return nil, err
	}
	return readableVisit(ctx, visitID)
}

// looksAfter reports whether the viewer sees who looks after household p: its residents,
// those who see its residents, and those who look after it.
func looksAfter(ctx context.Context, p *db.Place) (bool, error) {
	v, err := viewer(ctx)
	if err != nil || v == nil || p.Level != db.LevelHousehold {
		return false, err
	}
	if v.SeesHousehold(p) {
		return true, nil
	}
	cs, err := contacts(ctx)
	return err == nil && cs.ServedHouseholds[p.ID], err
}

func (r *careAssignmentResolver) id(obj *db.CareAssignment) string {
	return globalID("CareAssignment", obj.ID)
}

func (r *careAssignmentResolver) household(ctx context.Context, obj *db.CareAssignment) (*db.Place, error) {
	p, err := placeByID(ctx, obj.HouseholdID)
	if err != nil {
		return nil, err
	}
	return visiblePlace(ctx, p)
}

func (r *careAssignmentResolver) residents(ctx context.Context, obj *db.CareAssignment) ([]*model.CaredResident, error) {
	out := []*model.CaredResident{}
	rs, _, err := load(ctx).visits.residentsOf.load(obj.HouseholdID)
	if err != nil {
		return nil, err
	}
	for _, res := range rs {
		s, err := residentSight(ctx, res)
		if err != nil {
			return nil, err
		}
		out = append(out, &model.CaredResident{Name: maskedName(s, res.Name), Phone: maskedPhone(s, res.Phone),
			PhoneMasked: res.Phone != nil && !s.Phone})
	}
	return out, nil
}

func (r *placeResolver) careAssignments(ctx context.Context, obj *db.Place) ([]*db.CareAssignment, error) {
	if ok, err := looksAfter(ctx, obj); err != nil || !ok {
		return []*db.CareAssignment{}, err
	}
	as, _, err := load(ctx).visits.careOfHousehold.load(obj.ID)
	if as == nil {
		as = []*db.CareAssignment{}
	}
	return as, err
}

func (r *placeResolver) visits(ctx context.Context, obj *db.Place) ([]*db.Visit, error) {
	out := []*db.Visit{}
	if obj.Level != db.LevelHousehold {
		return out, nil
	}
	ids, _, err := load(ctx).visits.visitsOf.load(obj.ID)
	if err != nil {
		return nil, err
	}
	if err := load(ctx).visits.visit.warm(ids); err != nil {
		return nil, err
	}
	for _, id := range ids {
		x, err := readableVisit(ctx, id)
		if err != nil {
			return nil, err
		}
		if x != nil {
			out = append(out, x)
		}
	}
	return out, nil
}

func (r *visitResolver) households(ctx context.Context, obj *db.Visit) ([]*db.Place, error) {
	out := []*db.Place{}
	for _, id := range obj.HouseholdIDs {
		p, err := placeByID(ctx, id)
		if err != nil {
			return nil, err
		}
		if p, err = visiblePlace(ctx, p); err != nil {
			return nil, err
		} else if p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}

func (r *visitResolver) residentsMet(ctx context.Context, obj *db.Visit) ([]*db.Resident, error) {
	out := []*db.Resident{}
	for _, id := range obj.ResidentIDs {
		res, err := residentByID(ctx, id)
		if err != nil {
			return nil, err
		}
		if res != nil {
			out = append(out, res)
		}
	}
	return out, nil
}

// visitOutcomes lists what came of a visit of one kind (pick names its id in an outcome, nil
// for another kind), each as show gives it, leaving out what the viewer may not see (show
// answers false).
func visitOutcomes[T any](ctx context.Context, visit int64, pick func(*db.VisitOutcome) *int64,
	show func(id int64) (T, bool, error)) ([]T, error) {
	os, _, err := load(ctx).visits.outcomes.load(visit)
	if err != nil {
		return nil, err
	}
	out := []T{}
	for _, o := range os {
		id := pick(o)
		if id == nil {
			continue
		}
		t, ok, err := show(*id)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, t)
		}
	}
	return out, nil
}

func (r *visitResolver) wishes(ctx context.Context, obj *db.Visit) ([]*model.Wish, error) {
	return visitOutcomes(ctx, obj.ID, func(o *db.VisitOutcome) *int64 { return o.WishID }, func(id int64) (*model.Wish, bool, error) {
		w, ok, err := load(ctx).wish.load(id)
		if err != nil || !ok {
			return nil, false, err
		}
		shown, err := visibleWish(ctx, w)
		return shown, shown != nil, err
	})
}

func (r *visitResolver) topics(ctx context.Context, obj *db.Visit) ([]*db.Topic, error) {
	return visitOutcomes(ctx, obj.ID, func(o *db.VisitOutcome) *int64 { return o.TopicID }, func(id int64) (*db.Topic, bool, error) {
		t, ok, err := load(ctx).topic.load(id)
		if err != nil || !ok {
			return nil, false, err
		}
		shown, err := visibleTopic(ctx, t)
		return shown, shown != nil, err
	})
}

func (r *visitDueResolver) tags(obj *db.VisitDue) []db.ResidentTag {
	out := make([]db.ResidentTag, len(obj.Tags))
	for i, t := range obj.Tags {
		out[i] = db.ResidentTag(t)
	}
	return out
}

func (r *mutationResolver) assignCare(ctx context.Context, householdID, accountID string, since *time.Time) (*db.CareAssignment, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	h, err := idOf("householdId", "Place", householdID)
	if err != nil {
		return nil, err
	}
	a, err := idOf("accountId", "Account", accountID)
	if err != nil {
		return nil, err
	}
	return r.Store.AssignCare(ctx, v, h, a, since)
}

func (r *mutationResolver) endCareAssignment(ctx context.Context, id string) (*db.CareAssignment, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	key, err := idOf("id", "CareAssignment", id)
	if err != nil {
		return nil, err
	}
	return r.Store.EndCareAssignment(ctx, v, key)
}

func (r *mutationResolver) recordVisit(ctx context.Context, input model.RecordVisitInput) (*db.Visit, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	in := db.RecordVisit{VisitedAt: input.VisitedAt, MetOthers: input.MetOthers, Findings: input.Findings,
		FollowUpNeeded: input.FollowUpNeeded, FollowUp: input.FollowUp, NeedCategory: input.NeedCategory}
	if len(input.HouseholdIds) > 20 {
		return nil, db.Invalid("householdIds", "一次走访需要 1 到 20 户")
	}
	if len(input.ResidentIds) > 50 {
		return nil, db.Invalid("residentIds", "见到的居民最多 50 位")
	}
	if in.HouseholdIDs, err = idsOf("householdIds", "Place", input.HouseholdIds); err != nil {
		return nil, err
	}
	if in.ResidentIDs, err = idsOf("residentIds", "Resident", input.ResidentIds); err != nil {
		return nil, err
	}
	return r.Store.RecordVisit(ctx, v, in)
}

func (r *mutationResolver) submitWishFromVisit(ctx context.Context, visitID string, input model.SubmitWishInput) (*model.Wish, error) {
	key, err := idOf("visitId", "Visit", visitID)
	if err != nil {
		return nil, err
	}
	in, err := submitWishInput(input)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	w, err := r.Store.SubmitWishFromVisit(ctx, v, key, in)
	if err != nil {
		return nil, err
	}
	shown, err := showWishes(ctx, []*db.Wish{w})
	if err != nil {
		return nil, err
	}
	return shown[0], nil
}

func (r *mutationResolver) raiseTopicFromVisit(ctx context.Context, visitID string, input model.RaiseTopicInput) (*db.Topic, error) {
	key, err := idOf("visitId", "Visit", visitID)
	if err != nil {
		return nil, err
	}
	in, err := raiseTopicInput(input)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return r.Store.RaiseTopicFromVisit(ctx, v, key, in)
}

func (r *mutationResolver) setVisitRhythm(ctx context.Context, communityID string, tag db.ResidentTag, everyDays int) ([]*db.VisitRhythm, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	c, err := idOf("communityId", "Place", communityID)
	if err != nil {
		return nil, err
	}
	return r.Store.SetVisitRhythm(ctx, v, c, tag, everyDays)
}

func (r *queryResolver) myCareAssignments(ctx context.Context) ([]*db.CareAssignment, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	m, err := r.Store.CareAssignmentsOfAccounts(ctx, []int64{v.Account.ID})
	if m[v.Account.ID] == nil {
		return []*db.CareAssignment{}, err
	}
	return m[v.Account.ID], err
}

func (r *queryResolver) unassignedVulnerableHouseholds(ctx context.Context, placeID string) ([]*db.Place, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	p, err := idOf("placeId", "Place", placeID)
	if err != nil {
		return nil, err
	}
	out, err := r.Store.UnassignedVulnerable(ctx, v, p)
	if out == nil && err == nil {
		out = []*db.Place{}
	}
	return out, err
}

func (r *queryResolver) visitsDue(ctx context.Context, placeID string) ([]*db.VisitDue, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	p, err := idOf("placeId", "Place", placeID)
	if err != nil {
		return nil, err
	}
	out, err := r.Store.VisitsDue(ctx, v, p)
	if out == nil && err == nil {
		out = []*db.VisitDue{}
	}
	return out, err
}

func (r *queryResolver) myVisits(ctx context.Context, first *int) ([]*db.Visit, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	n := 20
	if first != nil {
		n = *first
	}
	if n < 1 || n > 100 {
		return nil, db.Invalid("first", "first 需要在 1 到 100 之间")
	}
	out, err := r.Store.MyVisits(ctx, v, n)
	if out == nil && err == nil {
		out = []*db.Visit{}
	}
	return out, err
}

func (r *queryResolver) visitRhythms(ctx context.Context, communityID string) ([]*db.VisitRhythm, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	c, err := idOf("communityId", "Place", communityID)
	if err != nil {
		return nil, err
	}
	return r.Store.VisitRhythms(ctx, v, c)
}

// notificationHousehold is a VISIT_OVERDUE notification's household, as a global ID.
func notificationHousehold(obj *db.Notification) *string {
	if obj.Kind != db.NotifyVisitOverdue {
		return nil
	}
	return optionalGlobalID("Place", obj.HouseholdID)
}

// submitWishInput is submitWish's input as the store takes it (submitWish, submitWishFromVisit).
func submitWishInput(input model.SubmitWishInput) (db.SubmitWish, error) {
	in := db.SubmitWish{Category: input.Category, Title: input.Title, Description: input.Description,
		ValueFen: input.ValueFen, Deadline: input.Deadline, IdempotencyKey: input.IdempotencyKey}
	var err error
	if in.BeneficiaryID, err = optionalKey("beneficiaryId", "Resident", input.BeneficiaryID); err != nil {
		return in, err
	}
	in.PlaceID, err = optionalKey("placeId", "Place", input.PlaceID)
	return in, err
}

// raiseTopicInput is raiseTopic's input as the store takes it (raiseTopic, raiseTopicFromVisit).
func raiseTopicInput(input model.RaiseTopicInput) (db.RaiseTopic, error) {
	in := db.RaiseTopic{Title: input.Title, Description: input.Description}
	var err error
	if in.PlaceID, err = idOf("placeId", "Place", input.PlaceID); err != nil {
		return in, err
	}
	if len(input.WishIds) > 10 {
		return in, db.Invalid("wishIds", "最多关联 10 个心愿")
	}
	for _, id := range input.WishIds {
		wid, err := idOf("wishIds", "Wish", id)
		if err != nil {
			return in, err
		}
		in.WishIDs = append(in.WishIDs, wid)
	}
	return in, nil
}
