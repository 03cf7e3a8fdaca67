package db

import (
	"context"
	"time"

	"github.com/lib/pq"
)

// AuditEvent records who did what, when.
type AuditEvent struct {
	ID          int64       `db:"id"`
	At          time.Time   `db:"at"`
	Action      AuditAction `db:"action"`
	ActorID     *int64      `db:"actor_id"`
	PlaceID     *int64      `db:"place_id"`
	AccountID   *int64      `db:"account_id"`
	ResidentID  *int64      `db:"resident_id"`
	RoleGrantID *int64      `db:"role_grant_id"`
	Phone       *string     `db:"phone"`
	Note        *string     `db:"note"`
}

type auditEvent = AuditEvent

const insertAudit = `INSERT INTO audit_events (at, action, actor_id, place_id, account_id, resident_id, role_grant_id, phone, note)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

func auditArgs(at time.Time, e auditEvent) []any {
	return []any{at, e.Action, e.ActorID, e.PlaceID, e.AccountID, e.ResidentID, e.RoleGrantID, e.Phone, e.Note}
}

// audit records e in the transaction, at its time.
func (tx *Tx) audit(e auditEvent) error {
	_, err := tx.exec(insertAudit, auditArgs(tx.now, e)...)
	return err
}

// auditNow records e on its own, for events that must stay even though the operation failed.
func (s *Store) auditNow(ctx context.Context, e auditEvent) error {
	st, err := s.prepared(ctx, insertAudit)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, auditArgs(s.Now().UTC(), e)...)
	return err
}

var rolesSeeingAudit = []Role{RoleStaff, RoleAdmin}

func (s *Store) checkSeesAudit(ctx context.Context, v *Viewer, placeID int64) error {
	if v == nil {
		return needSignIn
	}
	p, err := s.Place(ctx, placeID)
	if err != nil {
		return err
	}
	if !v.Holds(p, rolesSeeingAudit...) {
		return forbidden("只有%s的社区工作者或管理员可以查看这里的操作记录", p.Name)
	}
	return nil
}

const auditColumns = `e.id, e.at, e.action, e.actor_id, e.place_id, e.account_id, e.resident_id, e.role_grant_id, e.phone, e.note`

// AuditEvents returns a page of the events in place or under it, newest first.
// Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN.
func (s *Store) AuditEvents(ctx context.Context, v *Viewer, placeID int64, p Page) (Paged[*AuditEvent], error) {
	if err := s.checkSeesAudit(ctx, v, placeID); err != nil {
		return Paged[*AuditEvent]{}, err
	}
	return listQuery(ctx, s, `SELECT `+auditColumns+` FROM audit_events e JOIN places p ON p.id = e.place_id WHERE p.path @> $1`,
		[]any{pq.Array([]int64{placeID})}, byIDDesc.qualified("e"), func(e *AuditEvent) Key { return idKey(e.ID) }, p)
}

// CountAuditEvents counts what AuditEvents lists.
func (s *Store) CountAuditEvents(ctx context.Context, v *Viewer, placeID int64) (int, error) {
	if err := s.checkSeesAudit(ctx, v, placeID); err != nil {
		return 0, err
	}
	return s.count(ctx, `FROM audit_events e JOIN places p ON p.id = e.place_id WHERE p.path @> $1`, pq.Array([]int64{placeID}))
}
