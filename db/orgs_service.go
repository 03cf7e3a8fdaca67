package db

import (
	"context"
	"slices"
	"time"
)

// Service records for home units (报到反馈): what an organisation's members did in the
// communities it serves or they checked in with, month by month, for the organisation's
// contacts. Counts and categories only: nothing about the residents served.

// ServiceMonth is one month of an organisation's service. More kinds of service (visits,
// projects) are added as fields of their own.
type ServiceMonth struct {
	// Month is the first day of the month, midnight China time.
	Month time.Time
	// Members is how many members had service credited in the month.
	Members int
	// Wishes fulfilled and confirmed, with their hours and points, net of reversals.
	LedgerSums
	Categories []*ServiceCategoryCount
	People     []*MemberService
}

// ServiceCategoryCount is the wishes of one category in a month.
type ServiceCategoryCount struct {
	Category WishCategory
	LedgerSums
}

// MemberService is one member's service in a month.
type MemberService struct {
	AccountID int64
	Name      string
	LedgerSums
}

type serviceRow struct {
	Month     time.Time    `db:"month"`
	AccountID int64        `db:"account_id"`
	Name      string       `db:"name"`
	Category  WishCategory `db:"category"`
	Credits   int          `db:"credits"`
	LedgerSums
}

// serviceQuery adds up the ledger entries of org's ($1) members for wishes in communities
// the organisation serves or the member checked in with (accepted), from $2 to $3, by month,
// member and category.
const serviceQuery = `SELECT (date_trunc('month', l.at AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai') AS month,
		l.account_id, a.name, w.category, count(*) FILTER (WHERE l.kind = 'credit') AS credits, ` + ledgerSums + `
	FROM organisation_members m
	JOIN volunteer_ledger l ON l.account_id = m.account_id
	JOIN wishes w ON w.id = l.wish_id
	JOIN accounts a ON a.id = m.account_id
	WHERE m.organisation_id = $1 AND l.at >= $2 AND l.at < $3
		AND (EXISTS (SELECT 1 FROM organisation_communities oc WHERE oc.organisation_id = $1 AND oc.community_id = w.community_id)
			OR EXISTS (SELECT 1 FROM member_check_ins c WHERE c.account_id = l.account_id AND c.community_id = w.community_id
				AND c.state = 'accepted'))
	GROUP BY 1, 2, 3, 4
	ORDER BY 1, 2, 4`

// ServiceSummary returns org's service month by month over year (China time), months
// without service left out, for its contacts and the staff who keep or are served by it.
// Errors: UNAUTHENTICATED; NOT_FOUND; FORBIDDEN; INVALID_INPUT (year).
func (s *Store) ServiceSummary(ctx context.Context, v *Viewer, orgID int64, year int) ([]*ServiceMonth, error) {
	if v == nil {
		return nil, needSignIn
	}
	if year < 2000 || year > s.Now().In(china).Year() {
		return nil, Invalid("year", "年份需要在 2000 到今年之间")
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	o, _, a, err := tx.organisationAccess(v, orgID, false)
	if err != nil {
		return nil, err
	}
	if !a.ReadsRecords() {
		return nil, forbidden("只有%s的联系人和所服务社区的社区工作者可以查看它的服务记录", o.Name)
	}
	start := time.Date(year, 1, 1, 0, 0, 0, 0, china)
	var rows []*serviceRow
	if err := tx.selectRows(&rows, serviceQuery, orgID, start, start.AddDate(1, 0, 0)); err != nil {
		return nil, err
	}
	var out []*ServiceMonth
	active := map[int64]bool{}
	for _, r := range rows {
		if len(out) == 0 || !out[len(out)-1].Month.Equal(r.Month) {
			out = append(out, &ServiceMonth{Month: r.Month.In(china)})
			clear(active)
		}
		m := out[len(out)-1]
		m.add(r.LedgerSums)
		if r.Credits > 0 && !active[r.AccountID] {
			active[r.AccountID] = true
			m.Members++
		}
		i := slices.IndexFunc(m.Categories, func(c *ServiceCategoryCount) bool { return c.Category == r.Category })
		if i < 0 {
			m.Categories = append(m.Categories, &ServiceCategoryCount{Category: r.Category})
			i = len(m.Categories) - 1
		}
		m.Categories[i].add(r.LedgerSums)
		if n := len(m.People); n == 0 || m.People[n-1].AccountID != r.AccountID {
			m.People = append(m.People, &MemberService{AccountID: r.AccountID, Name: r.Name})
		}
		m.People[len(m.People)-1].add(r.LedgerSums)
	}
	for _, m := range out {
		slices.SortStableFunc(m.Categories, func(a, b *ServiceCategoryCount) int { return b.Credited - a.Credited })
	}
	return out, tx.Commit()
}

func (s *LedgerSums) add(o LedgerSums) {
	s.Minutes += o.Minutes
	s.Points += o.Points
	s.Credited += o.Credited
}
