package db

import (
	"context"
	"slices"
	"time"
)

// Service records for home units (报到反馈): what an organisation's members did in the
// communities it serves or they checked in with, month by month, for the organisation's
// contacts. Counts and categories only: nothing about the residents served.

// ServiceMonth is one month of an organisation's service. More kinds of service (visits)
// are added as fields of their own.
type ServiceMonth struct {
	// Month is the first day of the month, midnight China time.
	Month time.Time
	// Members is how many members had service credited or reported project work in the month.
	Members int
	// Wishes fulfilled and confirmed, with their hours and points, net of reversals.
	LedgerSums
	// ProjectService is the organisation's projects (项目清单) its members reported on.
	ProjectService
	Categories []*ServiceCategoryCount
	People     []*MemberService
}

// ProjectService is project work in a month: the projects of the organisation its members
// reported progress on, those reports and the service minutes they account for.
type ProjectService struct {
	Projects       int
	ProjectReports int
	ProjectMinutes int
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
	// Projects is left zero here: a month's projects are counted once for the organisation.
	ProjectService
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

type projectServiceRow struct {
	Month     time.Time `db:"month"`
	AccountID int64     `db:"account_id"`
	Name      string    `db:"name"`
	ProjectID int64     `db:"project_id"`
	Reports   int       `db:"reports"`
	Minutes   int       `db:"minutes"`
}

// projectServiceQuery adds up the progress reports of org's ($1) members on the projects
// the organisation took on, from $2 to $3, by month, member and project.
const projectServiceQuery = `SELECT (date_trunc('month', r.created_at AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai') AS month,
		r.author_id AS account_id, a.name, r.project_id, count(*) AS reports, coalesce(sum(r.minutes), 0) AS minutes
	FROM project_organisations po
	JOIN project_reports r ON r.project_id = po.project_id
	JOIN organisation_members m ON m.organisation_id = po.organisation_id AND m.account_id = r.author_id
	JOIN accounts a ON a.id = r.author_id
	WHERE po.organisation_id = $1 AND r.created_at >= $2 AND r.created_at < $3
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
	var projectRows []*projectServiceRow
	if err := tx.selectRows(&projectRows, projectServiceQuery, orgID, start, start.AddDate(1, 0, 0)); err != nil {
		return nil, err
	}
	var out []*ServiceMonth
	// active holds the members counted in a month (month, account).
	active := map[[2]int64]bool{}
	for _, r := range rows {
		if len(out) == 0 || !out[len(out)-1].Month.Equal(r.Month) {
			out = append(out, &ServiceMonth{Month: r.Month.In(china)})
		}
		m := out[len(out)-1]
		m.add(r.LedgerSums)
		if k := [2]int64{r.Month.Unix(), r.AccountID}; r.Credits > 0 && !active[k] {
			active[k] = true
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
	addProjectService(&out, projectRows, active)
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

// addProjectService adds project rows (ordered by month, member, project) into the months
// of out, adding months that had project work only, and keeps out in month order. active
// holds the members already counted in a month (month, account).
func addProjectService(out *[]*ServiceMonth, rows []*projectServiceRow, active map[[2]int64]bool) {
	months := map[int64]*ServiceMonth{}
	for _, m := range *out {
		months[m.Month.Unix()] = m
	}
	projects := map[int64]map[int64]bool{}
	for _, r := range rows {
		m := months[r.Month.Unix()]
		if m == nil {
			m = &ServiceMonth{Month: r.Month.In(china)}
			months[r.Month.Unix()] = m
			*out = append(*out, m)
		}
		if projects[r.Month.Unix()] == nil {
			projects[r.Month.Unix()] = map[int64]bool{}
		}
		if seen := projects[r.Month.Unix()]; !seen[r.ProjectID] {
			seen[r.ProjectID] = true
			m.Projects++
		}
		m.ProjectReports += r.Reports
		m.ProjectMinutes += r.Minutes
		if k := [2]int64{r.Month.Unix(), r.AccountID}; !active[k] {
			active[k] = true
			m.Members++
		}
		i := slices.IndexFunc(m.People, func(p *MemberService) bool { return p.AccountID == r.AccountID })
		if i < 0 {
			m.People = append(m.People, &MemberService{AccountID: r.AccountID, Name: r.Name})
			i = len(m.People) - 1
		}
		m.People[i].ProjectReports += r.Reports
		m.People[i].ProjectMinutes += r.Minutes
	}
	slices.SortStableFunc(*out, func(a, b *ServiceMonth) int { return a.Month.Compare(b.Month) })
}
