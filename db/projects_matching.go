package db

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/lib/pq"
)

// ProposalState is where a proposal (a need put to an organisation) is.
type ProposalState string

// Proposal states.
const (
	ProposalPending  ProposalState = "pending"
	ProposalAccepted ProposalState = "accepted"
	ProposalDeclined ProposalState = "declined"
)

var proposalStates = []ProposalState{ProposalPending, ProposalAccepted, ProposalDeclined}

func (s ProposalState) MarshalGQL(w io.Writer) { marshalEnum(w, s) }
func (s *ProposalState) UnmarshalGQL(v any) error {
	return unmarshalEnum(s, v, proposalStates, "ProposalState")
}

// Proposal is staff's proposal of a need to an organisation (精准对接), with the plan the
// organisation would take on, and the organisation's answer.
type Proposal struct {
	ID             int64         `db:"id"`
	NeedID         int64         `db:"need_id"`
	OrganisationID int64         `db:"organisation_id"`
	ResourceID     *int64        `db:"resource_id"`
	Note           *string       `db:"note"`
	Goal           string        `db:"goal"`
	DueAt          time.Time     `db:"due_at"`
	BudgetFen      *int64        `db:"budget_fen"`
	Goods          *string       `db:"goods"`
	ProposedBy     int64         `db:"proposed_by"`
	ProposedAt     time.Time     `db:"proposed_at"`
	State          ProposalState `db:"state"`
	AnsweredBy     *int64        `db:"answered_by"`
	AnsweredAt     *time.Time    `db:"answered_at"`
	DeclineReason  *string       `db:"decline_reason"`
}

const proposalColumns = `p.id, p.need_id, p.organisation_id, p.resource_id, p.note, p.goal, p.due_at, p.budget_fen, p.goods,
	p.proposed_by, p.proposed_at, p.state, p.answered_by, p.answered_at, p.decline_reason`

// Candidate is an organisation that could meet a need, with the offer of its resources list
// that fits best (nil when it offers nothing of the need's category), ranked by Score, and
// the reasons in Chinese.
type Candidate struct {
	Organisation *Organisation
	Resource     *Resource
	Score        int
	Reasons      []string
}

// Reason is the candidate's reasons in one sentence.
func (c *Candidate) Reason() string { return strings.Join(c.Reasons, "；") }

// NeedCandidates ranks the organisations serving a need's community that could meet it: an
// offer in the need's category counts most, then enough capacity for the people affected,
// money up to the budget, stated availability, a check-in (组织报到) accepted by the
// community, and an offer kept current. Organisations already asked and waiting, or on the
// project, are left out. For staff of the community. Errors: UNAUTHENTICATED, NOT_FOUND,
// FORBIDDEN.
func (s *Store) NeedCandidates(ctx context.Context, v *Viewer, needID int64) ([]*Candidate, error) {
	if v == nil {
		return nil, needSignIn
	}
	n, err := s.need(ctx, v, needID)
	if err != nil {
		return nil, err
	}
	c, err := s.Place(ctx, n.CommunityID)
	if err != nil {
		return nil, err
	}
	if !v.Holds(c, rolesKeepingNeeds...) {
		return nil, forbidden("只有%s的社区工作者可以查看对接候选", c.Name)
	}
	var orgs []*Organisation
	if err := s.selectRows(ctx, &orgs, `SELECT `+organisationColumns+` FROM organisations o
		WHERE EXISTS (SELECT 1 FROM organisation_communities oc WHERE oc.organisation_id = o.id AND oc.community_id = $1)
		AND NOT EXISTS (SELECT 1 FROM need_proposals p WHERE p.need_id = $2 AND p.organisation_id = o.id AND p.state <> 'declined')
		ORDER BY o.id`, n.CommunityID, n.ID); err != nil {
		return nil, err
	}
	var resources []*Resource
	if err := s.selectRows(ctx, &resources, `SELECT `+resourceColumns+` FROM resources r
		WHERE r.withdrawn_at IS NULL AND r.organisation_id IS NOT NULL
		AND EXISTS (SELECT 1 FROM resource_communities rc WHERE rc.resource_id = r.id AND rc.community_id = $1)
		ORDER BY r.id`, n.CommunityID); err != nil {
		return nil, err
	}
	var checkedIn []int64
	if err := s.selectRows(ctx, &checkedIn, `SELECT organisation_id FROM organisation_check_ins WHERE community_id = $1 AND state = 'accepted'`, n.CommunityID); err != nil {
		return nil, err
	}
	now := s.Now()
	out := make([]*Candidate, 0, len(orgs))
	for _, o := range orgs {
		best := &Candidate{Organisation: o, Reasons: []string{"服务" + c.Name}}
		for _, r := range resources {
			if *r.OrganisationID != o.ID || r.Category != n.Category {
				continue
			}
			if cand := rankOffer(n, o, r, now); cand.Score > best.Score {
				best = cand
			}
		}
		if best.Resource == nil {
			best.Reasons = append(best.Reasons, "资源清单中没有这一类别的资源")
		}
		for _, id := range checkedIn {
			if id == o.ID {
				best.Score += 10
				best.Reasons = append(best.Reasons, "已到本社区组织报到")
			}
		}
		out = append(out, best)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out, nil
}

// rankOffer scores one offer of o against need n.
func rankOffer(n *Need, o *Organisation, r *Resource, now time.Time) *Candidate {
	c := &Candidate{Organisation: o, Resource: r, Score: 50, Reasons: []string{"服务本社区", "资源「" + r.Title + "」类别相符"}}
	switch {
	case r.Capacity != nil && *r.Capacity >= n.PeopleAffected:
		c.Score += 20
		c.Reasons = append(c.Reasons, fmt.Sprintf("可同时服务 %d 人，够 %d 人受益", *r.Capacity, n.PeopleAffected))
	case r.Capacity != nil:
		c.Score += 5
		c.Reasons = append(c.Reasons, fmt.Sprintf("可同时服务 %d 人，少于受益的 %d 人", *r.Capacity, n.PeopleAffected))
	}
	if r.MoneyLimitYuan != nil && n.BudgetFen != nil {
		if int64(*r.MoneyLimitYuan)*100 >= *n.BudgetFen {
			c.Score += 20
			c.Reasons = append(c.Reasons, fmt.Sprintf("资助上限 %d 元，够预算", *r.MoneyLimitYuan))
		} else {
			c.Score += 5
			c.Reasons = append(c.Reasons, fmt.Sprintf("资助上限 %d 元，不足预算 %d 元", *r.MoneyLimitYuan, *n.BudgetFen/100))
		}
	}
	if r.HoursPerMonth != nil {
		c.Score += 5
		c.Reasons = append(c.Reasons, fmt.Sprintf("每月可出 %d 小时", *r.HoursPerMonth))
	}
	if r.Availability != nil || r.OpeningHours != nil {
		c.Score += 5
		when := r.Availability
		if when == nil {
			when = r.OpeningHours
		}
		c.Reasons = append(c.Reasons, "时间："+*when)
	}
	if r.Stale(now) {
		c.Score -= 15
		c.Reasons = append(c.Reasons, "资源久未更新，请先确认")
	}
	return c
}

// need reads need id as v may see it.
func (s *Store) need(ctx context.Context, v *Viewer, id int64) (*Need, error) {
	ns, err := s.NeedsByID(ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	n := ns[id]
	if n == nil {
		return nil, &Error{Code: ENOTFOUND, Field: "needId", Message: "找不到这条需求"}
	}
	c, err := s.Place(ctx, n.CommunityID)
	if err != nil {
		return nil, err
	}
	if !v.SeesNeeds(c) {
		return nil, &Error{Code: ENOTFOUND, Field: "needId", Message: "找不到这条需求"}
	}
	return n, nil
}

// NewProposal is staff's proposal of a need to an organisation, with the plan it would take
// on.
type NewProposal struct {
	NeedID, OrganisationID int64
	ResourceID             *int64
	Note                   *string
	Goal                   string
	DueAt                  time.Time
	BudgetFen              *int64
	Goods                  *string
}

// ProposeNeed puts a need to an organisation serving its community, by staff: the need
// moves to matching (or stays a project, which the organisation would join). Errors:
// UNAUTHENTICATED, NOT_FOUND (needId, organisationId, resourceId), FORBIDDEN, INVALID_STATE,
// INVALID_INPUT, CONFLICT (the organisation was asked and has not answered).
func (s *Store) ProposeNeed(ctx context.Context, v *Viewer, in NewProposal) (*Proposal, error) {
	goal, err := text("goal", "项目目标", in.Goal, 1, 1000)
	if err != nil {
		return nil, err
	}
	note, err := optionalText("note", "对接说明", in.Note, 500)
	if err != nil {
		return nil, err
	}
	goods, err := optionalText("goods", "物资", in.Goods, 500)
	if err != nil {
		return nil, err
	}
	if in.BudgetFen != nil && (*in.BudgetFen < 0 || *in.BudgetFen > maxBudgetFen) {
		return nil, Invalid("budgetFen", "预算须在 0 到 2000 万元之间（单位：分）")
	}
	var p Proposal
	_, err = s.writeNeed(ctx, v, in.NeedID, func(tx *Tx, ln *lockedNeed) error {
		if !v.Holds(ln.community, rolesKeepingNeeds...) {
			return forbidden("只有%s的社区工作者可以提出对接", ln.community.Name)
		}
		if !in.DueAt.After(tx.now) {
			return Invalid("dueAt", "完成期限必须晚于现在")
		}
		if ln.State == NeedClosed {
			return wrongNeedState(ln.Need, "提出对接")
		}
		var serves bool
		if err := tx.get(&serves, `SELECT EXISTS (SELECT 1 FROM organisation_communities WHERE organisation_id = $1 AND community_id = $2)`,
			in.OrganisationID, ln.CommunityID); err != nil {
			return err
		}
		if !serves {
			return &Error{Code: ENOTFOUND, Field: "organisationId", Message: "找不到服务" + ln.community.Name + "的这个组织"}
		}
		if in.ResourceID != nil {
			var ok bool
			if err := tx.get(&ok, `SELECT EXISTS (SELECT 1 FROM resources WHERE id = $1 AND organisation_id = $2 AND withdrawn_at IS NULL)`,
				*in.ResourceID, in.OrganisationID); err != nil {
				return err
			}
			if !ok {
				return &Error{Code: ENOTFOUND, Field: "resourceId", Message: "这个组织的资源清单中没有这项资源（或已撤下）"}
			}
		}
		err := tx.get(&p, `INSERT INTO need_proposals AS p (need_id, organisation_id, resource_id, note, goal, due_at, budget_fen,
				goods, proposed_by, proposed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING `+proposalColumns,
			ln.ID, in.OrganisationID, in.ResourceID, note, goal, in.DueAt.UTC(), in.BudgetFen, goods, v.Account.ID, tx.now)
		if sqlState(err) == uniqueViolation {
			return Errorf(ECONFLICT, "已经向这个组织提出过对接，正在等待答复")
		} else if err != nil {
			return err
		}
		var name string
		if err := tx.get(&name, `SELECT name FROM organisations WHERE id = $1`, in.OrganisationID); err != nil {
			return err
		}
		why := "向「" + name + "」提出对接"
		if note != nil {
			why += "：" + *note
		}
		if ln.State == NeedOpen {
			return tx.moveNeed(ln, NeedMatching, NeedPropose, &v.Account.ID, &why, "")
		}
		return tx.record(needTables, ln.ID, NeedPropose, &v.Account.ID, ln.State, ln.State, &why)
	})
	if err != nil {
		return nil, withField(err, "needId")
	}
	return &p, nil
}

// answerProposal runs the answer of a contact of its organisation to proposal id, holding
// the need's lock: answers for one need run one at a time, so two acceptances at once start
// one project.
func (s *Store) answerProposal(ctx context.Context, v *Viewer, id int64, f func(*Tx, *lockedNeed, *Proposal, string) error) (*Proposal, error) {
	if v == nil {
		return nil, needSignIn
	}
	var needID int64
	if err := s.get(ctx, &needID, `SELECT need_id FROM need_proposals WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "找不到这条对接")
	}
	var p Proposal
	err := inTx(ctx, s, func(tx *Tx) error {
		// The need is locked without the viewer's sight of it: the organisation's contact does
		// not see the community's needs list, only what was put to them.
		ln, err := tx.lockNeed(nil, needID)
		if err != nil {
			return err
		}
		if err := tx.get(&p, `SELECT `+proposalColumns+` FROM need_proposals p WHERE p.id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		org, _, access, err := tx.organisationAccess(v, p.OrganisationID, false)
		if err != nil || !access.Contact {
			return &Error{Code: ENOTFOUND, Message: "找不到这条对接"}
		}
		if p.State != ProposalPending {
			return Errorf(EINVALIDSTATE, "这条对接已经答复过了")
		}
		return f(tx, ln, &p, org.Name)
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// AcceptProposal is the organisation's yes: the first acceptance of a need starts its
// project with the proposal's plan, a later one joins the project. Errors: UNAUTHENTICATED,
// NOT_FOUND (not a contact of the organisation), INVALID_STATE (answered, or the need was
// closed).
func (s *Store) AcceptProposal(ctx context.Context, v *Viewer, id int64) (*Proposal, error) {
	return s.answerProposal(ctx, v, id, func(tx *Tx, ln *lockedNeed, p *Proposal, org string) error {
		if ln.State == NeedClosed {
			return Errorf(EINVALIDSTATE, "这条需求已经关闭：%s", *ln.ClosingReason)
		}
		if err := tx.get(p, `UPDATE need_proposals p SET state = 'accepted', answered_by = $2, answered_at = $3
			WHERE p.id = $1 RETURNING `+proposalColumns, p.ID, v.Account.ID, tx.now); err != nil {
			return err
		}
		var project int64
		why := "「" + org + "」接下需求"
		if ln.State == NeedProject {
			if err := tx.get(&project, `SELECT id FROM projects WHERE need_id = $1`, ln.ID); err != nil {
				return err
			}
			why = "「" + org + "」加入项目"
			if err := tx.record(needTables, ln.ID, NeedAccept, &v.Account.ID, ln.State, ln.State, &why); err != nil {
				return err
			}
		} else {
			if err := tx.get(&project, `INSERT INTO projects (need_id, place_id, community_id, title, goal, budget_fen, goods, starts_at,
					due_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8) RETURNING id`, ln.ID, ln.PlaceID, ln.CommunityID, ln.Title,
				p.Goal, p.BudgetFen, p.Goods, tx.now, p.DueAt); err != nil {
				return err
			}
			why += "，项目开始"
			if err := tx.moveNeed(ln, NeedProject, NeedAccept, &v.Account.ID, &why, `, matched_at = coalesce(n.matched_at, $3)`); err != nil {
				return err
			}
		}
		_, err := tx.exec(`INSERT INTO project_organisations (project_id, organisation_id, proposal_id, joined_at) VALUES ($1, $2, $3, $4)`,
			project, p.OrganisationID, p.ID, tx.now)
		if sqlState(err) == uniqueViolation {
			return Errorf(ECONFLICT, "「%s」已经在这个项目中了", org)
		}
		return err
	})
}

// DeclineProposal is the organisation's no, with a reason staff read. When nobody else has
// been asked and not answered, the need goes back to open. Errors: UNAUTHENTICATED,
// NOT_FOUND, INVALID_STATE, INVALID_INPUT (reason).
func (s *Store) DeclineProposal(ctx context.Context, v *Viewer, id int64, reason string) (*Proposal, error) {
	why, err := text("reason", "婉拒原因", reason, 1, 500)
	if err != nil {
		return nil, err
	}
	return s.answerProposal(ctx, v, id, func(tx *Tx, ln *lockedNeed, p *Proposal, org string) error {
		if err := tx.get(p, `UPDATE need_proposals p SET state = 'declined', answered_by = $2, answered_at = $3, decline_reason = $4
			WHERE p.id = $1 RETURNING `+proposalColumns, p.ID, v.Account.ID, tx.now, why); err != nil {
			return err
		}
		step := "「" + org + "」婉拒：" + why
		var waiting int
		if err := tx.get(&waiting, `SELECT count(*) FROM need_proposals WHERE need_id = $1 AND state = 'pending'`, ln.ID); err != nil {
			return err
		}
		if ln.State == NeedMatching && waiting == 0 {
			return tx.moveNeed(ln, NeedOpen, NeedDecline, &v.Account.ID, &step, "")
		}
		return tx.record(needTables, ln.ID, NeedDecline, &v.Account.ID, ln.State, ln.State, &step)
	})
}

// ProposalsByNeed returns each need's proposals, oldest first.
func (s *Store) ProposalsByNeed(ctx context.Context, ids []int64) (map[int64][]*Proposal, error) {
	return selectGrouped(ctx, s, `SELECT `+proposalColumns+` FROM need_proposals p WHERE p.need_id = ANY($1) ORDER BY p.id`,
		ids, func(p *Proposal) int64 { return p.NeedID })
}

// MyProposals lists the proposals put to the organisations v is a contact of, newest first,
// pending only when pending is set. Errors: UNAUTHENTICATED.
func (s *Store) MyProposals(ctx context.Context, v *Viewer, pending bool, p Page) (Paged[*Proposal], func(context.Context) (int, error), error) {
	if v == nil {
		return Paged[*Proposal]{}, nil, needSignIn
	}
	from := ` FROM need_proposals p JOIN organisation_members m ON m.organisation_id = p.organisation_id AND m.contact
		WHERE m.account_id = $1 AND (NOT $2 OR p.state = 'pending')`
	args := []any{v.Account.ID, pending}
	res, err := listQuery(ctx, s, `SELECT `+proposalColumns+from, args, byIDDesc.qualified("p"), func(x *Proposal) Key { return idKey(x.ID) }, p)
	return res, s.counter(ctx, p, from, args), err
}

// ContactOf reports, for each organisation, whether v is its contact.
func (s *Store) ContactOf(ctx context.Context, v *Viewer, orgIDs []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if v == nil {
		return out, nil
	}
	var ids []int64
	if err := s.selectRows(ctx, &ids, `SELECT organisation_id FROM organisation_members WHERE account_id = $1 AND contact
		AND organisation_id = ANY($2)`, v.Account.ID, pq.Array(orgIDs)); err != nil {
		return nil, err
	}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// ProposalsByID returns the proposals with the given ids (no visibility check: callers check).
func (s *Store) ProposalsByID(ctx context.Context, ids []int64) (map[int64]*Proposal, error) {
	return selectByKey(ctx, s, `SELECT `+proposalColumns+` FROM need_proposals p WHERE p.id = ANY($1)`, ids,
		func(p *Proposal) int64 { return p.ID })
}
