package graph

import (
	"context"
	"math"
	"slices"
	"time"

	"linli/db"
	"linli/graph/model"
)

// projectLoaders are one request's loaders for the needs and projects lists.
type projectLoaders struct {
	need          *loader[*db.Need]
	needByWish    *loader[*db.Need]
	needByTopic   *loader[*db.Need]
	needEvents    *loader[[]*db.NeedEvent]
	proposal      *loader[*db.Proposal]
	proposals     *loader[[]*db.Proposal]
	project       *loader[*db.Project]
	projectByNeed *loader[*db.Project]
	milestones    *loader[[]*db.Milestone]
	people        *loader[[]*db.ProjectPerson]
	reports       *loader[[]*db.ProjectReport]
	ratings       *loader[*db.RatingSummary]
	myRating      *loader[int]
}

func newProjectLoaders(ctx context.Context, s *db.Store, wait time.Duration) *projectLoaders {
	return &projectLoaders{
		need:          newLoader(ctx, wait, s.NeedsByID).as("need"),
		needByWish:    newLoader(ctx, wait, s.NeedsByWish).as("needByWish"),
		needByTopic:   newLoader(ctx, wait, s.NeedsByTopic).as("needByTopic"),
		needEvents:    newLoader(ctx, wait, s.NeedEventsByNeed).as("needEvents"),
		proposal:      newLoader(ctx, wait, s.ProposalsByID).as("proposal"),
		proposals:     newLoader(ctx, wait, s.ProposalsByNeed).as("proposals"),
		project:       newLoader(ctx, wait, s.ProjectsByID).as("project"),
		projectByNeed: newLoader(ctx, wait, s.ProjectsByNeed).as("projectByNeed"),
		milestones:    newLoader(ctx, wait, s.MilestonesByProject).as("milestones"),
		people:        newLoader(ctx, wait, s.PeopleByProject).as("projectPeople"),
		reports:       newLoader(ctx, wait, s.ReportsByProject).as("projectReports"),
		ratings:       newLoader(ctx, wait, s.ProjectRatings).as("projectRatings"),
		myRating: viewerLoader(ctx, wait, true, func(ctx context.Context, v *db.Viewer, ids []int64) (map[int64]int, error) {
			return s.MyProjectRatings(ctx, v.Resident.ID, ids)
		}).as("myProjectRating"),
	}
}

// visibleProposal returns p if the viewer sees it: staff and the like of the need's
// community, and the contacts of the organisation it was put to.
func visibleProposal(ctx context.Context, p *db.Proposal) (*db.Proposal, error) {
	if contact, err := isContact(ctx, p.OrganisationID); err != nil || contact {
		return p, err
	}
	n, ok, err := load(ctx).projects.need.load(p.NeedID)
	if err != nil || !ok {
		return nil, err
	}
	if n, err := visibleNeed(ctx, n); err != nil || n == nil {
		return nil, err
	}
	return p, nil
}

// proposalNeed answers Proposal.need: the need as put to the organisation, which its
// contacts read though they do not see the needs list.
func proposalNeed(ctx context.Context, p *db.Proposal) (*db.Need, error) {
	n, ok, err := load(ctx).projects.need.load(p.NeedID)
	if err != nil || !ok {
		return nil, err
	}
	return n, nil
}

// needProposals answers Need.proposals: those the viewer sees.
func needProposals(ctx context.Context, n *db.Need) ([]*db.Proposal, error) {
	ps, err := listed(load(ctx).projects.proposals, n.ID)
	if err != nil {
		return nil, err
	}
	out := ps[:0:0]
	for _, p := range ps {
		if shown, err := visibleProposal(ctx, p); err != nil {
			return nil, err
		} else if shown != nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// visibleProject returns p if the viewer sees it (db.Viewer.SeesProjectOf).
func visibleProject(ctx context.Context, p *db.Project) (*db.Project, error) {
	v, err := viewer(ctx)
	if err != nil || v == nil || p == nil {
		return nil, err
	}
	ms, err := memberships(ctx)
	if err != nil {
		return nil, err
	}
	place, err := placeByID(ctx, p.PlaceID)
	if err != nil {
		return nil, err
	}
	community, err := placeByID(ctx, p.CommunityID)
	if err != nil {
		return nil, err
	}
	member := slices.ContainsFunc(p.OrganisationIDs, func(id int64) bool { return ms[id] != nil })
	if !v.SeesProject(place, community, member) {
		return nil, nil
	}
	return p, nil
}

// projectByID loads a project the viewer may see, nil otherwise.
func projectByID(ctx context.Context, id int64) (*db.Project, error) {
	p, ok, err := load(ctx).projects.project.load(id)
	if err != nil || !ok {
		return nil, err
	}
	return visibleProject(ctx, p)
}

// proposalByID loads a proposal the viewer may see, nil otherwise.
func proposalByID(ctx context.Context, id int64) (*db.Proposal, error) {
	p, ok, err := load(ctx).projects.proposal.load(id)
	if err != nil || !ok {
		return nil, err
	}
	return visibleProposal(ctx, p)
}

// needProject answers Need.project.
func needProject(ctx context.Context, n *db.Need) (*db.Project, error) {
	p, ok, err := load(ctx).projects.projectByNeed.load(n.ID)
	if err != nil || !ok {
		return nil, err
	}
	return visibleProject(ctx, p)
}

// proposalProject answers Proposal.project: the project an accepted proposal is part of.
func proposalProject(ctx context.Context, p *db.Proposal) (*db.Project, error) {
	if p.State != db.ProposalAccepted {
		return nil, nil
	}
	return needProject(ctx, &db.Need{ID: p.NeedID})
}

// projectNeed answers Project.need, for those who see the needs list.
func projectNeed(ctx context.Context, p *db.Project) (*db.Need, error) {
	return needByID(ctx, p.NeedID)
}

// organisationOf loads an organisation a project or proposal names.
func organisationOf(ctx context.Context, id int64) (*db.Organisation, error) {
	return mustLoad(load(ctx).orgs.organisation, id, "组织")
}

// projectOrganisations answers Project.organisations.
func projectOrganisations(ctx context.Context, p *db.Project) ([]*db.Organisation, error) {
	return loadAll(load(ctx).orgs.organisation, p.OrganisationIDs, "组织")
}

// proposalResource answers Proposal.resource.
func proposalResource(ctx context.Context, p *db.Proposal) (*db.Resource, error) {
	if p.ResourceID == nil {
		return nil, nil
	}
	return mustLoad(load(ctx).orgs.resource, *p.ResourceID, "资源")
}

// projectPeople answers Project.people.
func projectPeople(ctx context.Context, p *db.Project) ([]*db.Account, error) {
	pp, err := listed(load(ctx).projects.people, p.ID)
	if err != nil {
		return nil, err
	}
	out := make([]*db.Account, 0, len(pp))
	for _, x := range pp {
		a, err := accountByID(ctx, x.AccountID)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// projectRating answers Project.rating, zero when nobody has rated it.
func projectRating(ctx context.Context, p *db.Project) (*db.RatingSummary, error) {
	s, ok, err := load(ctx).projects.ratings.load(p.ID)
	if err != nil {
		return nil, err
	}
	if !ok {
		s = &db.RatingSummary{ResolutionID: p.ID, Distribution: make([]int, 5)}
	}
	return s, nil
}

// projectMyRating answers Project.myRating.
func projectMyRating(ctx context.Context, p *db.Project) (*int, error) {
	n, ok, err := load(ctx).projects.myRating.load(p.ID)
	if err != nil || !ok {
		return nil, err
	}
	return &n, nil
}

// minutesOf reads service hours into whole minutes; the store checks the range.
func minutesOf(hours *float64) (int, error) {
	if hours == nil {
		return 0, nil
	}
	if math.IsNaN(*hours) || *hours < 0 || *hours > 1666 {
		return 0, db.Invalid("hours", "服务时长须在 0 到 1666 小时之间")
	}
	return int(math.Round(*hours * 60)), nil
}

// needCandidates answers the needCandidates query.
func (r *Resolver) needCandidates(ctx context.Context, needID string) ([]*db.Candidate, error) {
	key, err := idOf("needId", "Need", needID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return r.Store.NeedCandidates(ctx, v, key)
}

// proposeNeed answers the proposeNeed mutation.
func (r *Resolver) proposeNeed(ctx context.Context, in model.ProposeNeedInput) (*db.Proposal, error) {
	need, err := idOf("needId", "Need", in.NeedID)
	if err != nil {
		return nil, err
	}
	org, err := idOf("organisationId", "Organisation", in.OrganisationID)
	if err != nil {
		return nil, err
	}
	res, err := optionalID("resourceId", "Resource", in.ResourceID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	var budget *int64
	if in.BudgetFen != nil {
		b := int64(*in.BudgetFen)
		budget = &b
	}
	p, err := r.Store.ProposeNeed(ctx, v, db.NewProposal{NeedID: need, OrganisationID: org, ResourceID: res, Note: in.Note,
		Goal: in.Goal, DueAt: in.DueAt, BudgetFen: budget, Goods: in.Goods})
	if err != nil {
		return nil, err
	}
	forgetLoaded(ctx)
	return p, nil
}

// writeProposal runs a mutation on the proposal with global ID id.
func (r *Resolver) writeProposal(ctx context.Context, id string, f func(*db.Viewer, int64) (*db.Proposal, error)) (*db.Proposal, error) {
	return mutate(ctx, "proposalId", "Proposal", id, f)
}

// writeProject runs a mutation on the project with global ID id.
func writeProject[T any](ctx context.Context, id string, f func(*db.Viewer, int64) (T, error)) (T, error) {
	return mutate(ctx, "projectId", "Project", id, f)
}

// myProposals answers the myProposals query.
func (r *Resolver) myProposals(ctx context.Context, pending *bool, first *int, after *string) (*model.ProposalConnection, error) {
	page, err := pageOf(first, after, nil, nil)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	res, count, err := r.Store.MyProposals(ctx, v, pending != nil && *pending, page)
	if err != nil {
		return nil, err
	}
	for _, p := range res.Items {
		load(ctx).projects.proposal.prime(p.ID, p)
	}
	return model.NewProposalConnection(res, count), nil
}

// projectList answers the projects query.
func (r *Resolver) projectList(ctx context.Context, placeID *string, states []db.ProjectState, orgID *string, first *int, after *string) (*model.ProjectConnection, error) {
	page, err := pageOf(first, after, nil, nil)
	if err != nil {
		return nil, err
	}
	place, err := optionalKey("placeId", "Place", placeID)
	if err != nil {
		return nil, err
	}
	org, err := optionalKey("organisationId", "Organisation", orgID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	res, count, err := r.Store.Projects(ctx, v, db.ProjectFilter{Place: place, States: states, Organisation: org}, page)
	if err != nil {
		return nil, err
	}
	for _, p := range res.Items {
		load(ctx).projects.project.prime(p.ID, p)
	}
	return model.NewProjectConnection(res, count), nil
}

// addProjectPerson answers the addProjectPerson mutation.
func (r *Resolver) addProjectPerson(ctx context.Context, projectID, accountID string) (*db.Project, error) {
	account, err := idOf("accountId", "Account", accountID)
	if err != nil {
		return nil, err
	}
	return writeProject(ctx, projectID, func(v *db.Viewer, id int64) (*db.Project, error) {
		if _, err := r.Store.AddProjectPerson(ctx, v, id, account); err != nil {
			return nil, err
		}
		ps, err := r.Store.ProjectsByID(ctx, []int64{id})
		return ps[id], err
	})
}

// reportProject answers the reportProject mutation.
func (r *Resolver) reportProject(ctx context.Context, projectID, body string, hours *float64) (*db.ProjectReport, error) {
	minutes, err := minutesOf(hours)
	if err != nil {
		return nil, err
	}
	return writeProject(ctx, projectID, func(v *db.Viewer, id int64) (*db.ProjectReport, error) {
		return r.Store.ReportProject(ctx, v, id, body, minutes)
	})
}

// lateBy reports whether something due at due is late: done after it, or not done and past it.
func lateBy(s *db.Store, done *time.Time, due time.Time) bool {
	if done != nil {
		return done.After(due)
	}
	return s.Now().After(due)
}
