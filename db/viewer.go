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

// Is reports whether v is signed in as account id.
func (v *Viewer) Is(accountID int64) bool {
	return v != nil && v.Account.ID == accountID
}

// needSignIn is the error for an operation that needs a signed-in account.
var needSignIn = &Error{Code: EUNAUTHENTICATED, Message: "请先登录"}

func forbidden(format string, args ...any) *Error { return Errorf(EFORBIDDEN, format, args...) }

func formatInt(n int) string { return strconv.Itoa(n) }
