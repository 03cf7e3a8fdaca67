package db

import (
	"context"
)

// Contacts are the people a viewer is linked to by a wish right now (see Contact): whom
// they serve, by resident and by household, and who helps them, by account.
type Contacts struct {
	Served           map[int64]bool
	ServedHouseholds map[int64]bool
	Helpers          map[int64]bool
}

// Of returns the contact between the holder of Contacts and one person.
func (c *Contacts) Of(accountID *int64, residentID int64) Contact {
	if c == nil {
		return Contact{}
	}
	return Contact{Served: c.Served[residentID], Helper: accountID != nil && c.Helpers[*accountID]}
}

// Contacts returns whom v is linked to by a wish or a care assignment: the beneficiaries
// of the wishes whose active claim v holds or that v submitted for them, the residents of
// the households v looks after now (包联: names, phones and address, as for a claimer),
// and the people who help v: the active claimers of v's own wishes, those who look after
// v's household now, and the grid workers over the homes of the beneficiaries v holds an
// active claim for. A claim or an
// assignment that ends ends the link.
func (s *Store) Contacts(ctx context.Context, v *Viewer) (*Contacts, error) {
	c := &Contacts{Served: map[int64]bool{}, ServedHouseholds: map[int64]bool{}, Helpers: map[int64]bool{}}
	if v == nil {
		return c, nil
	}
	var resident int64
	if v.Resident != nil {
		resident = v.Resident.ID
	}
	var rows []struct {
		Resident  *int64 `db:"resident_id"`
		Household *int64 `db:"household_id"`
		Account   *int64 `db:"account_id"`
	}
	if err := s.selectRows(ctx, &rows, `
		SELECT r.id AS resident_id, r.household_id, NULL::bigint AS account_id
		FROM wishes w JOIN residents r ON r.id = w.beneficiary_id
		WHERE w.submitted_by = $1
		UNION
		SELECT r.id, r.household_id, NULL
		FROM wish_claims c JOIN wishes w ON w.id = c.wish_id AND w.claim_id = c.id JOIN residents r ON r.id = w.beneficiary_id
		WHERE c.claimer_id = $1 AND c.ended_at IS NULL
		UNION
		SELECT NULL, NULL, c.claimer_id
		FROM wishes w JOIN wish_claims c ON c.id = w.claim_id AND c.ended_at IS NULL
		WHERE w.beneficiary_id = $2
		UNION
		SELECT NULL, NULL, g.account_id
		FROM wish_claims c JOIN wishes w ON w.id = c.wish_id AND w.claim_id = c.id
		JOIN residents r ON r.id = w.beneficiary_id JOIN places h ON h.id = r.household_id
		JOIN role_grants g ON g.place_id = ANY(h.path) AND g.role = 'grid_worker' AND g.revoked_at IS NULL
		WHERE c.claimer_id = $1 AND c.ended_at IS NULL
		UNION
		SELECT r.id, r.household_id, NULL
		FROM care_assignments a JOIN residents r ON r.household_id = a.household_id AND r.left_on IS NULL
		WHERE a.account_id = $1 AND a.ended_at IS NULL
		UNION
		SELECT NULL, NULL, a.account_id
		FROM residents me JOIN care_assignments a ON a.household_id = me.household_id AND a.ended_at IS NULL
		WHERE me.id = $2 AND me.left_on IS NULL`, v.Account.ID, resident); err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r.Resident != nil {
			c.Served[*r.Resident] = true
			c.ServedHouseholds[*r.Household] = true
		}
		if r.Account != nil {
			c.Helpers[*r.Account] = true
		}
	}
	return c, nil
}

// GridWorkersOf returns, for each household, the account of the grid worker over it: the
// one granted nearest to the household (its grid), the earliest grant first. Households
// with none are absent.
func (s *Store) GridWorkersOf(ctx context.Context, households []int64) (map[int64]int64, error) {
	type row struct {
		Household int64 `db:"household_id"`
		Account   int64 `db:"account_id"`
	}
	m, err := selectByKey(ctx, s, `SELECT DISTINCT ON (h.id) h.id AS household_id, g.account_id
		FROM places h JOIN role_grants g ON g.place_id = ANY(h.path) AND g.role = 'grid_worker' AND g.revoked_at IS NULL
		JOIN places gp ON gp.id = g.place_id
		WHERE h.id = ANY($1) ORDER BY h.id, cardinality(gp.path) DESC, g.id`, households, func(r row) int64 { return r.Household })
	if err != nil {
		return nil, err
	}
	out := make(map[int64]int64, len(m))
	for h, r := range m {
		out[h] = r.Account
	}
	return out, nil
}
