package graph

import (
	"context"
	"slices"
	"sync"
	"time"

	"linli/db"
	"linli/graph/model"
)

// Dual reporting and the resources list: organisations, their members, check-ins (报到),
// offers and service records (db/orgs*.go). The resolvers in schema.resolvers.go call these.

// orgLoaders are one request's loaders for organisations and their offers, and the
// viewer's memberships of organisations, read once per request.
type orgLoaders struct {
	organisation   *loader[*db.Organisation]
	resource       *loader[*db.Resource]
	membershipOnce sync.Once
	memberships    map[int64]*db.OrganisationMember
	membershipErr  error
}

func newOrgLoaders(ctx context.Context, s *db.Store, wait time.Duration) *orgLoaders {
	return &orgLoaders{
		organisation: newLoader(ctx, wait, s.OrganisationsByID).as("organisation"),
		resource:     newLoader(ctx, wait, s.ResourcesByID).as("resource"),
	}
}

// organisationByID loads an organisation named by something the viewer already sees (a
// check-in, an offer): its name and communities are not personal, and what is (members,
// records) checks the viewer's rights again. nil for none.
func organisationByID(ctx context.Context, id *int64) (*db.Organisation, error) {
	if id == nil {
		return nil, nil
	}
	o, _, err := load(ctx).orgs.organisation.load(*id)
	return o, err
}

// memberships returns the viewer's memberships of organisations, by organisation.
func memberships(ctx context.Context) (map[int64]*db.OrganisationMember, error) {
	l := load(ctx).orgs
	l.membershipOnce.Do(func() {
		v, err := viewer(ctx)
		if err != nil || v == nil {
			l.membershipErr = err
			return
		}
		l.memberships, l.membershipErr = requestFrom(ctx).store.MembershipsOf(ctx, v.Account.ID)
	})
	return l.memberships, l.membershipErr
}

// isContact reports whether the viewer is a contact of organisation id.
func isContact(ctx context.Context, id int64) (bool, error) {
	ms, err := memberships(ctx)
	return ms[id] != nil && ms[id].Contact, err
}

func (r *Resolver) organisation(ctx context.Context, id string) (*db.Organisation, error) {
	key, err := idOf("id", "Organisation", id)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	o, err := r.Store.Organisation(ctx, v, key)
	if db.ErrorCode(err) == db.ENOTFOUND {
		return nil, nil
	}
	return o, err
}

func (r *Resolver) organisations(ctx context.Context, kinds []db.OrganisationKind, communityID *string, first *int, after *string) (*model.OrganisationConnection, error) {
	page, err := pageOf(first, after, nil, nil)
	if err != nil {
		return nil, err
	}
	community, err := optionalKey("communityId", "Place", communityID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	res, err := r.Store.Organisations(ctx, v, db.OrganisationFilter{Kinds: kinds, CommunityID: community}, page)
	if err != nil {
		return nil, err
	}
	return model.NewOrganisationConnection(res), nil
}

func (r *Resolver) registerOrganisation(ctx context.Context, in model.RegisterOrganisationInput) (*db.Organisation, error) {
	at, err := idOf("registeredIn", "Place", in.RegisteredIn)
	if err != nil {
		return nil, err
	}
	communities, err := idsOf("communityIds", "Place", in.CommunityIds)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return r.Store.RegisterOrganisation(ctx, v, db.RegisterOrganisation{Kind: in.Kind, Name: in.Name,
		Description: in.Description, RegisteredIn: at, CommunityIDs: communities})
}

func (r *Resolver) pairOrganisation(ctx context.Context, orgID, communityID string) (*db.Organisation, error) {
	community, err := idOf("communityId", "Place", communityID)
	if err != nil {
		return nil, err
	}
	return mutate(ctx, "organisationId", "Organisation", orgID, func(v *db.Viewer, id int64) (*db.Organisation, error) {
		return r.Store.PairOrganisation(ctx, v, id, community)
	})
}

func (r *Resolver) setOrganisationMember(ctx context.Context, orgID, accountID string, contact *bool) (*db.OrganisationMember, error) {
	account, err := idOf("accountId", "Account", accountID)
	if err != nil {
		return nil, err
	}
	return mutate(ctx, "organisationId", "Organisation", orgID, func(v *db.Viewer, id int64) (*db.OrganisationMember, error) {
		return r.Store.SetOrganisationMember(ctx, v, id, account, contact != nil && *contact)
	})
}

func (r *Resolver) removeOrganisationMember(ctx context.Context, orgID, accountID string) (*db.Organisation, error) {
	account, err := idOf("accountId", "Account", accountID)
	if err != nil {
		return nil, err
	}
	return mutate(ctx, "organisationId", "Organisation", orgID, func(v *db.Viewer, id int64) (*db.Organisation, error) {
		return r.Store.RemoveOrganisationMember(ctx, v, id, account)
	})
}

func (r *Resolver) organisationMembers(ctx context.Context, o *db.Organisation) ([]*db.OrganisationMember, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return r.Store.OrganisationMembers(ctx, v, o.ID)
}

func (r *Resolver) organisationCheckInsOf(ctx context.Context, o *db.Organisation) ([]*db.OrganisationCheckIn, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return r.Store.CheckInsOfOrganisation(ctx, v, o.ID)
}

func (r *Resolver) serviceSummary(ctx context.Context, o *db.Organisation, year int) ([]*db.ServiceMonth, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return r.Store.ServiceSummary(ctx, v, o.ID, year)
}

func (r *Resolver) checkInOrganisation(ctx context.Context, orgID, communityID string, note *string) (*db.OrganisationCheckIn, error) {
	community, err := idOf("communityId", "Place", communityID)
	if err != nil {
		return nil, err
	}
	return mutate(ctx, "organisationId", "Organisation", orgID, func(v *db.Viewer, id int64) (*db.OrganisationCheckIn, error) {
		return r.Store.CheckInOrganisation(ctx, v, id, community, note)
	})
}

func (r *Resolver) decideOrganisationCheckIn(ctx context.Context, id string, accept bool, reason *string) (*db.OrganisationCheckIn, error) {
	return mutate(ctx, "checkInId", "OrganisationCheckIn", id, func(v *db.Viewer, key int64) (*db.OrganisationCheckIn, error) {
		return r.Store.DecideOrganisationCheckIn(ctx, v, key, accept, reason)
	})
}

func (r *Resolver) checkInMember(ctx context.Context, in model.CheckInMemberInput) (*db.MemberCheckIn, error) {
	community, err := idOf("communityId", "Place", in.CommunityID)
	if err != nil {
		return nil, err
	}
	org, err := optionalKey("organisationId", "Organisation", in.OrganisationID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return r.Store.CheckInMember(ctx, v, db.CheckInMember{CommunityID: community, OrganisationID: org,
		WorkUnitName: in.WorkUnitName, Skills: in.Skills, Availability: in.Availability})
}

func (r *Resolver) decideMemberCheckIn(ctx context.Context, id string, accept bool, reason *string) (*db.MemberCheckIn, error) {
	return mutate(ctx, "checkInId", "MemberCheckIn", id, func(v *db.Viewer, key int64) (*db.MemberCheckIn, error) {
		return r.Store.DecideMemberCheckIn(ctx, v, key, accept, reason)
	})
}

func (r *Resolver) withdrawMemberCheckIn(ctx context.Context, id string) (*db.MemberCheckIn, error) {
	return mutate(ctx, "checkInId", "MemberCheckIn", id, func(v *db.Viewer, key int64) (*db.MemberCheckIn, error) {
		return r.Store.WithdrawMemberCheckIn(ctx, v, key)
	})
}

// workUnitName is the name of a member's work unit: the registered organisation's, or the
// one they wrote.
func (r *Resolver) workUnitName(ctx context.Context, m *db.MemberCheckIn) (string, error) {
	if m.WorkUnitName != nil {
		return *m.WorkUnitName, nil
	}
	o, err := organisationByID(ctx, m.OrganisationID)
	if err != nil || o == nil {
		return "", err
	}
	return o.Name, nil
}

// checkInPage reads the arguments of the check-in lists.
func checkInPage(ctx context.Context, communityID *string, first *int, after *string) (*db.Viewer, int64, db.Page, error) {
	page, err := pageOf(first, after, nil, nil)
	if err != nil {
		return nil, 0, page, err
	}
	community, err := optionalKey("communityId", "Place", communityID)
	if err != nil {
		return nil, 0, page, err
	}
	v, err := signedIn(ctx)
	return v, community, page, err
}

func (r *Resolver) memberCheckIns(ctx context.Context, communityID *string, states []db.CheckInState, first *int, after *string) (*model.MemberCheckInConnection, error) {
	v, community, page, err := checkInPage(ctx, communityID, first, after)
	if err != nil {
		return nil, err
	}
	res, err := r.Store.MemberCheckIns(ctx, v, community, states, page)
	if err != nil {
		return nil, err
	}
	return model.NewMemberCheckInConnection(res), nil
}

func (r *Resolver) organisationCheckIns(ctx context.Context, communityID *string, states []db.CheckInState, first *int, after *string) (*model.OrganisationCheckInConnection, error) {
	v, community, page, err := checkInPage(ctx, communityID, first, after)
	if err != nil {
		return nil, err
	}
	res, err := r.Store.OrganisationCheckIns(ctx, v, community, states, page)
	if err != nil {
		return nil, err
	}
	return model.NewOrganisationCheckInConnection(res), nil
}

func (r *Resolver) myMemberCheckIns(ctx context.Context) ([]*db.MemberCheckIn, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return r.Store.MyMemberCheckIns(ctx, v)
}

// resourceInput converts a ResourceInput for the store.
func resourceInput(in model.ResourceInput) (db.ResourceInput, error) {
	communities, err := idsOf("communityIds", "Place", in.CommunityIds)
	return db.ResourceInput{Kind: in.Kind, Category: in.Category, Title: in.Title, Description: in.Description,
		Availability: in.Availability, OpeningHours: in.OpeningHours, MoneyLimitYuan: in.MoneyLimitYuan,
		HoursPerMonth: in.HoursPerMonth, Capacity: in.Capacity, CommunityIDs: communities}, err
}

func (r *Resolver) offerResource(ctx context.Context, orgID *string, in model.ResourceInput) (*db.Resource, error) {
	org, err := optionalKey("organisationId", "Organisation", orgID)
	if err != nil {
		return nil, err
	}
	input, err := resourceInput(in)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return r.Store.OfferResource(ctx, v, org, input)
}

func (r *Resolver) updateResource(ctx context.Context, id string, in model.ResourceInput) (*db.Resource, error) {
	input, err := resourceInput(in)
	if err != nil {
		return nil, err
	}
	return mutate(ctx, "resourceId", "Resource", id, func(v *db.Viewer, key int64) (*db.Resource, error) {
		return r.Store.UpdateResource(ctx, v, key, input)
	})
}

func (r *Resolver) withdrawResource(ctx context.Context, id string, reason *string) (*db.Resource, error) {
	return mutate(ctx, "resourceId", "Resource", id, func(v *db.Viewer, key int64) (*db.Resource, error) {
		return r.Store.WithdrawResource(ctx, v, key, reason)
	})
}

func (r *Resolver) resources(ctx context.Context, orgID, communityID *string, kinds []db.ResourceKind, categories []db.ServiceCategory, withdrawn *bool, first *int, after *string) (*model.ResourceConnection, error) {
	page, err := pageOf(first, after, nil, nil)
	if err != nil {
		return nil, err
	}
	org, err := optionalKey("organisationId", "Organisation", orgID)
	if err != nil {
		return nil, err
	}
	community, err := optionalKey("communityId", "Place", communityID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	res, err := r.Store.Resources(ctx, v, db.ResourceFilter{OrganisationID: org, CommunityID: community,
		Kinds: slices.Clone(kinds), Categories: slices.Clone(categories), Withdrawn: withdrawn != nil && *withdrawn}, page)
	if err != nil {
		return nil, err
	}
	return model.NewResourceConnection(res), nil
}

// resourceStale reports whether the offer needs its owner to look at it again.
func (r *Resolver) resourceStale(res *db.Resource) bool { return res.Stale(r.Store.Now()) }
