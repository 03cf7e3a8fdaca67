package db

import (
	"context"
	"errors"
)

// Accounts that registration cannot make. Register makes an account for someone who lives
// in a household; the staff of a new community, its supervisors or a social worker from
// outside may live nowhere under it, yet must sign in before anyone can grant them a role.
// An admin makes their account; the person then sets a password only they know.

// NewAccount is an account an admin makes for someone to serve under place.
type NewAccount struct {
	Phone, Name, Password string
	PlaceID               int64
	Reason                *string
}

// CreateAccount makes an account that an admin of in.PlaceID (or above) then grants roles
// to. The password is a first one for the person to change (ChangePassword). Errors:
// UNAUTHENTICATED, INVALID_INPUT, NOT_FOUND (placeId), FORBIDDEN, CONFLICT (the phone has an
// account already: grant that account the role instead).
func (s *Store) CreateAccount(ctx context.Context, v *Viewer, in NewAccount) (*Account, error) {
	if v == nil {
		return nil, needSignIn
	}
	phone, err := NormalizePhone("phone", in.Phone)
	if err != nil {
		return nil, err
	}
	name, err := cleanName("name", in.Name)
	if err != nil {
		return nil, err
	}
	if err := checkPasswordRules(in.Password); err != nil {
		return nil, err
	}
	reason, err := optionalText("reason", "原因", in.Reason, 500)
	if err != nil {
		return nil, err
	}
	place, err := s.Place(ctx, in.PlaceID)
	if err != nil {
		return nil, withField(notFound(err, "找不到这个地点"), "placeId")
	}
	if !v.Holds(place, RoleAdmin) {
		return nil, forbidden("只有%s（或其上级）的管理员可以为人建立账号", place.Name)
	}
	hash, err := HashPassword(in.Password, s.Password)
	if err != nil {
		return nil, err
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	a, err := tx.insertAccount(phone, name, hash, "这个手机号已经有账号了：请直接给这个账号授予角色")
	if err != nil {
		return nil, err
	}
	if err := tx.audit(auditEvent{Action: AuditAccountCreated, ActorID: &v.Account.ID, PlaceID: &place.ID,
		AccountID: &a.ID, Note: reason}); err != nil {
		return nil, err
	}
	return a, tx.Commit()
}

// ChangePassword replaces the viewer's password after checking the present one, ends every
// session of the account (a password someone else knew opens nothing any more) and starts a
// new one. Errors: UNAUTHENTICATED, INVALID_INPUT (oldPassword wrong, newPassword too weak
// or the same).
func (s *Store) ChangePassword(ctx context.Context, v *Viewer, oldPassword, newPassword string) (*Session, error) {
	if v == nil {
		return nil, needSignIn
	}
	if err := checkPasswordRules(newPassword); err != nil {
		var e *Error
		if errors.As(err, &e) {
			named := *e
			named.Field = "newPassword"
			return nil, &named
		}
		return nil, err
	}
	var current string
	if err := s.DB.GetContext(ctx, &current, `SELECT password_hash FROM accounts WHERE id = $1`, v.Account.ID); err != nil {
		return nil, err
	}
	if !CheckPassword(current, oldPassword) {
		return nil, Invalid("oldPassword", "原密码不对")
	}
	if oldPassword == newPassword {
		return nil, Invalid("newPassword", "新密码不能与原密码相同")
	}
	hash, err := HashPassword(newPassword, s.Password)
	if err != nil {
		return nil, err
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	// Only if the password is still the one checked: two changes at once cannot both win.
	res, err := tx.exec(`UPDATE accounts SET password_hash = $2 WHERE id = $1 AND password_hash = $3`, v.Account.ID, hash, current)
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if n != 1 {
		return nil, Invalid("oldPassword", "原密码不对")
	}
	if _, err := tx.exec(`UPDATE sessions SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL`, v.Account.ID, tx.now); err != nil {
		return nil, err
	}
	sess, err := tx.newSession(v.Account)
	if err != nil {
		return nil, err
	}
	if err := tx.audit(auditEvent{Action: AuditPasswordChanged, ActorID: &v.Account.ID, AccountID: &v.Account.ID}); err != nil {
		return nil, err
	}
	return sess, tx.Commit()
}
