package db

import (
	"slices"
	"strconv"
)

// Viewer is who is asking: a signed-in account and the roles it holds. A nil *Viewer is
// somebody not signed in, and holds nothing.
type Viewer struct {
	Account *Account
	Grants  []*RoleGrant
	// Resident is the viewer's own resident record, if they live here.
	Resident *ViewerResident
}

// ViewerResident is where a signed-in resident lives.
type ViewerResident struct {
	ID, HouseholdID int64
	HouseholdPath   []int64
	Verified        bool
}

// IsResident reports whether v is the resident with that id.
func (v *Viewer) IsResident(residentID int64) bool {
	return v != nil && v.Resident != nil && v.Resident.ID == residentID
}

// Holds reports whether v holds one of roles in a place that covers p (p itself or one of
// its ancestors). A role held in one community gives nothing in another.
func (v *Viewer) Holds(p *Place, roles ...Role) bool {
	if v == nil || p == nil {
		return false
	}
	for _, g := range v.Grants {
		if slices.Contains(roles, g.Role) && p.Within(g.PlaceID) {
			return true
		}
	}
	return false
}

// Serves reports whether v holds one of roles in a place on the same line of the tree as p:
// at p or above it (a community volunteer serves its grids), or below it (a grid volunteer
// sees what is posted for the whole community).
func (v *Viewer) Serves(p *Place, roles ...Role) bool {
	if v == nil || p == nil {
		return false
	}
	for _, g := range v.Grants {
		if slices.Contains(roles, g.Role) && (p.Within(g.PlaceID) || slices.Contains(g.PlacePath, p.ID)) {
			return true
		}
	}
	return false
}

// placesHolding returns the places where v holds one of roles, and the ancestors of those
// places, for filtering lists in SQL the way Holds and Serves decide one item.
func (v *Viewer) placesHolding(roles ...Role) (places, ancestors []int64) {
	if v == nil {
		return nil, nil
	}
	for _, g := range v.Grants {
		if slices.Contains(roles, g.Role) {
			places = append(places, g.PlaceID)
			ancestors = append(ancestors, g.PlacePath...)
		}
	}
	return places, ancestors
}

// HoldsAnywhere reports whether v holds one of roles in any place.
func (v *Viewer) HoldsAnywhere(roles ...Role) bool {
	if v == nil {
		return false
	}
	for _, g := range v.Grants {
		if slices.Contains(roles, g.Role) {
			return true
		}
	}
	return false
}

// OnlyAnalyst reports whether v holds roles and every one is analyst: an account that reads
// aggregates and non-personal fields only.
func (v *Viewer) OnlyAnalyst() bool {
	if v == nil || len(v.Grants) == 0 {
		return false
	}
	for _, g := range v.Grants {
		if g.Role != RoleAnalyst {
			return false
		}
	}
	return true
}

// Is reports whether v is signed in as account id.
func (v *Viewer) Is(accountID int64) bool {
	return v != nil && v.Account.ID == accountID
}

// needSignIn is the error for an operation that needs a signed-in account.
var needSignIn = &Error{Code: EUNAUTHENTICATED, Message: "请先登录"}

func forbidden(format string, args ...any) *Error { return Errorf(EFORBIDDEN, format, args...) }

func formatInt(n int) string { return strconv.Itoa(n) }
