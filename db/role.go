package db

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"
)

// RoleGrant is a role held by an account in a place, from grant until revocation.
type RoleGrant struct {
	ID           int64      `db:"id"`
	AccountID    int64      `db:"account_id"`
	Role         Role       `db:"role"`
	PlaceID      int64      `db:"place_id"`
	GrantedBy    *int64     `db:"granted_by"`
	GrantedAt    time.Time  `db:"granted_at"`
	RevokedBy    *int64     `db:"revoked_by"`
	RevokedAt    *time.Time `db:"revoked_at"`
	RevokeReason *string    `db:"revoke_reason"`
	// PlacePath is the path of the grant's place; filled for a viewer's own grants.
	PlacePath pq.Int64Array `db:"place_path"`
}

const grantColumns = `id, account_id, role, place_id, granted_by, granted_at, revoked_by, revoked_at, revoke_reason`

// GrantsByID returns the grants with the given ids, revoked or not.
func (s *Store) GrantsByID(ctx context.Context, ids []int64) (map[int64]*RoleGrant, error) {
	return selectByKey(ctx, s, `SELECT `+grantColumns+` FROM role_grants WHERE id = ANY($1)`, ids, func(g *RoleGrant) int64 { return g.ID })
}

// ActiveGrantsByAccount returns the unrevoked grants of each account, oldest first.
func (s *Store) ActiveGrantsByAccount(ctx context.Context, accountIDs []int64) (map[int64][]*RoleGrant, error) {
	return selectGrouped(ctx, s, `SELECT g.id, g.account_id, g.role, g.place_id, g.granted_by, g.granted_at,
			g.revoked_by, g.revoked_at, g.revoke_reason, p.path AS place_path
		FROM role_grants g JOIN places p ON p.id = g.place_id
		WHERE g.account_id = ANY($1) AND g.revoked_at IS NULL ORDER BY g.id`, accountIDs, func(g *RoleGrant) int64 { return g.AccountID })
}

// GrantRole gives account the role in place. Errors: UNAUTHENTICATED; FORBIDDEN unless v is
// an admin of the place; NOT_FOUND (accountId, placeId); INVALID_INPUT when the role cannot
// be held at that level; CONFLICT when the account already holds it there.
func (s *Store) GrantRole(ctx context.Context, v *Viewer, accountID int64, role Role, placeID int64) (*RoleGrant, error) {
	if v == nil {
		return nil, needSignIn
	}
	p, err := s.Place(ctx, placeID)
	if err != nil {
		return nil, &Error{Code: ENOTFOUND, Field: "placeId", Message: "找不到这个地点"}
	}
	if !v.Holds(p, RoleAdmin) {
		return nil, forbidden("只有%s的管理员可以在这里授予角色", p.Name)
	}
	if levels := grantLevels[role]; !slices.Contains(levels, p.Level) {
		names := make([]string, len(levels))
		for i, l := range levels {
			names[i] = l.Name()
		}
		return nil, Invalid("placeId", "%s只能授在%s一级，不能授在%s", role.Name(), strings.Join(names, "或"), p.Level.Name())
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var g RoleGrant
	err = tx.get(&g, `INSERT INTO role_grants (account_id, role, place_id, granted_by, granted_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING `+grantColumns, accountID, role, placeID, v.Account.ID, tx.now)
	switch sqlState(err) {
	case "":
	case uniqueViolation:
		return nil, Errorf(ECONFLICT, "这个账号已经是%s的%s了", p.Name, role.Name())
	case foreignKeyViolation:
		return nil, &Error{Code: ENOTFOUND, Field: "accountId", Message: "找不到这个账号"}
	default:
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	if err := tx.audit(auditEvent{Action: AuditRoleGranted, ActorID: &v.Account.ID, PlaceID: &placeID,
		AccountID: &accountID, RoleGrantID: &g.ID}); err != nil {
		return nil, err
	}
	return &g, tx.Commit()
}

// RevokeRole ends a grant. Errors: UNAUTHENTICATED; NOT_FOUND; FORBIDDEN unless v is an admin
// of the grant's place; INVALID_STATE when it was already revoked; INVALID_INPUT (reason).
func (s *Store) RevokeRole(ctx context.Context, v *Viewer, grantID int64, reason *string) (*RoleGrant, error) {
	if v == nil {
		return nil, needSignIn
	}
	if reason != nil {
		r := strings.TrimSpace(*reason)
		if len([]rune(r)) > 500 {
			return nil, Invalid("reason", "原因最多 500 个字")
		}
		if r == "" {
			reason = nil
		} else {
			reason = &r
		}
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var g RoleGrant
	if err := tx.get(&g, `SELECT `+grantColumns+` FROM role_grants WHERE id = $1 FOR UPDATE`, grantID); err != nil {
		return nil, notFound(err, "找不到这条角色授予")
	}
	p, err := tx.place(g.PlaceID)
	if err != nil {
		return nil, err
	}
	if !v.Holds(p, RoleAdmin) {
		return nil, forbidden("只有%s的管理员可以撤销这里的角色", p.Name)
	}
	if g.RevokedAt != nil {
		return nil, Errorf(EINVALIDSTATE, "这条授予已于 %s 撤销", g.RevokedAt.In(china).Format("2006-01-02 15:04"))
	}
	if err := tx.get(&g, `UPDATE role_grants SET revoked_at = $2, revoked_by = $3, revoke_reason = $4
		WHERE id = $1 RETURNING `+grantColumns, grantID, tx.now, v.Account.ID, reason); err != nil {
		return nil, err
	}
	if err := tx.audit(auditEvent{Action: AuditRoleRevoked, ActorID: &v.Account.ID, PlaceID: &g.PlaceID,
		AccountID: &g.AccountID, RoleGrantID: &g.ID, Note: reason}); err != nil {
		return nil, err
	}
	return &g, tx.Commit()
}

// china is the time zone messages are written in.
var china = time.FixedZone("CST", 8*3600)
