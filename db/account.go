package db

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lib/pq"
)

// Account is someone who signs in with a phone number and password: a resident, or an
// outside volunteer. The password hash never leaves this package.
type Account struct {
	ID        int64     `db:"id"`
	Phone     string    `db:"phone"`
	Name      string    `db:"name"`
	CreatedAt time.Time `db:"created_at"`
}

// Session is a fresh sign-in: the bearer token is returned once and stored only as a hash.
type Session struct {
	Token     string
	ExpiresAt time.Time
	Account   *Account
}

const accountColumns = `id, phone, name, created_at`

// AccountsByID returns the accounts with the given ids.
func (s *Store) AccountsByID(ctx context.Context, ids []int64) (map[int64]*Account, error) {
	return selectByKey(ctx, s, `SELECT `+accountColumns+` FROM accounts WHERE id = ANY($1)`, ids, func(a *Account) int64 { return a.ID })
}

// AccountByPhone returns the account registered with phone, or NOT_FOUND.
func (s *Store) AccountByPhone(ctx context.Context, phone string) (*Account, error) {
	phone, err := NormalizePhone("phone", phone)
	if err != nil {
		return nil, err
	}
	var a Account
	err = s.get(ctx, &a, `SELECT `+accountColumns+` FROM accounts WHERE phone = $1`, phone)
	return &a, notFound(err, "没有用这个手机号注册的账号")
}

var phonePattern = regexp.MustCompile(`^1[3-9][0-9]{9}$`)

// NormalizePhone accepts a mainland mobile number as people type it (spaces, dashes, +86)
// and returns its 11 digits, or INVALID_INPUT for field.
func NormalizePhone(field, phone string) (string, error) {
	p := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.TrimSpace(phone))
	p = strings.TrimPrefix(strings.TrimPrefix(p, "+86"), "0086")
	if !phonePattern.MatchString(p) {
		return "", Invalid(field, "手机号格式不正确，请填写 11 位中国大陆手机号，例如 13812345678")
	}
	return p, nil
}

// MaskPhone shows a phone number as 138****1234.
func MaskPhone(phone string) string {
	if len(phone) != 11 {
		return "***"
	}
	return phone[:3] + "****" + phone[7:]
}

func checkPasswordRules(password string) error {
	n := utf8.RuneCountInString(password)
	if n < 8 || len(password) > 72 {
		return Invalid("password", "密码需要 8 到 72 个字符")
	}
	digits := true
	for _, r := range password {
		if !unicode.IsDigit(r) {
			digits = false
		}
	}
	if digits {
		return Invalid("password", "密码不能全是数字，请加入字母或符号")
	}
	return nil
}

// cleanName trims a person's name and checks its length.
func cleanName(field, name string) (string, error) {
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n < 1 || n > 50 {
		return "", Invalid(field, "姓名需要 1 到 50 个字")
	}
	return name, nil
}

// Registration is what a resident fills in to sign up.
type Registration struct {
	Phone, Password, Name string
	BirthDate             time.Time
	HouseholdID           int64
	IsOwner               bool
}

// Register creates an account and an unverified resident in the named household and signs
// the new account in. When the roster may already hold this person, no resident is made:
// the registration waits for staff to link it to its entry (see holdForMatch). Errors: INVALID_INPUT, NOT_FOUND (householdId), CONFLICT (phone taken).
func (s *Store) Register(ctx context.Context, r Registration) (*Session, error) {
	phone, err := NormalizePhone("phone", r.Phone)
	if err != nil {
		return nil, err
	}
	if err := checkPasswordRules(r.Password); err != nil {
		return nil, err
	}
	name, err := cleanName("name", r.Name)
	if err != nil {
		return nil, err
	}
	today := s.Now()
	if r.BirthDate.After(today) || r.BirthDate.Year() < 1900 {
		return nil, Invalid("birthDate", "出生日期不正确")
	}
	household, err := s.Place(ctx, r.HouseholdID)
	if err != nil {
		return nil, &Error{Code: ENOTFOUND, Field: "householdId", Message: "找不到所选的户，请从地点列表中重新选择"}
	}
	if household.Level != LevelHousehold {
		return nil, Invalid("householdId", "请选择具体的户（房号），而不是%s", household.Level.Name())
	}
	if household.RetiredAt != nil {
		return nil, Invalid("householdId", "这一户已撤销，请从地点列表中重新选择")
	}
	// Hash before the transaction: it is deliberately slow and needs no locks.
	hash, err := HashPassword(r.Password, s.Password)
	if err != nil {
		return nil, err
	}

	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	a, err := tx.insertAccount(phone, name, hash, "这个手机号已经注册过了，请直接登录")
	if err != nil {
		return nil, err
	}
	// Someone the roster may already hold waits for staff to match them (holdForMatch).
	var residentID *int64
	if held, err := tx.holdForMatch(a, household, r); err != nil {
		return nil, err
	} else if !held {
		residentID = new(int64)
		if err := tx.get(residentID, `INSERT INTO residents (household_id, name, phone, birth_date, account_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			household.ID, name, phone, r.BirthDate, a.ID, tx.now); err != nil {
			return nil, err
		}
	}
	var note *string
	if residentID == nil {
		note = reasonNote("名册中可能已有此人，待社区工作者或网格员匹配", nil)
	}
	// Saying one owns the flat records a co-ownership from today; it counts for nothing until
	// staff verify the resident (only verified owners may cast a part's ballot), and staff
	// correct it with setHouseholdOwners.
	// A registration held for matching records it when staff settle it (settleRegistration).
	if r.IsOwner && residentID != nil {
		if err := tx.startOwnership(household.ID, *residentID, tx.now); err != nil {
			return nil, err
		}
	}
	if err := tx.audit(auditEvent{Action: AuditAccountRegistered, ActorID: &a.ID, PlaceID: &household.ID,
		AccountID: &a.ID, ResidentID: residentID, Note: note}); err != nil {
		return nil, err
	}
	sess, err := tx.newSession(a)
	if err != nil {
		return nil, err
	}
	return sess, tx.Commit()
}

// newSession stores a new token for a and returns it.
func (tx *Tx) newSession(a *Account) (*Session, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	sess := &Session{Token: token, ExpiresAt: tx.now.Add(tx.store.TokenTTL), Account: a}
	_, err := tx.exec(`INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		tokenHash(token), a.ID, tx.now, sess.ExpiresAt)
	return sess, err
}

// insertAccount stores a new account; a phone that has one already is CONFLICT on "phone"
// with the message taken, which says what to do instead.
func (tx *Tx) insertAccount(phone, name, passwordHash, taken string) (*Account, error) {
	a := &Account{Phone: phone, Name: name, CreatedAt: tx.now}
	err := tx.get(&a.ID, `INSERT INTO accounts (phone, name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		phone, name, passwordHash, tx.now)
	if sqlState(err) == uniqueViolation {
		return nil, &Error{Code: ECONFLICT, Field: "phone", Message: taken}
	}
	return a, err
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// dummyHashes keep a sign-in for an unknown phone number as slow as one for a known number,
// so response times do not tell which numbers are registered: one hash per set of costs
// (PasswordParams -> string), made with the costs the Store hashes real passwords with.
var dummyHashes sync.Map

func dummyHash(p PasswordParams) string {
	if h, ok := dummyHashes.Load(p); ok {
		return h.(string)
	}
	h, _ := HashPassword("linli-no-such-account", p)
	h2, _ := dummyHashes.LoadOrStore(p, h)
	return h2.(string)
}

// Login checks phone and password, from the client at address, and returns a new session.
// Every attempt counts as a failure against its limits (LoginLimits) before the password is
// checked, so parallel guesses cannot slip past a limit; a right password gives it back.
// Errors: INVALID_INPUT, UNAUTHENTICATED (wrong phone or password, with the attempts left),
// RATE_LIMITED (with the seconds to wait).
func (s *Store) Login(ctx context.Context, phone, password, address string) (*Session, error) {
	phone, err := NormalizePhone("phone", phone)
	if err != nil {
		return nil, err
	}
	address = throttleAddress(address)
	reserved, err := s.reserveLoginAttempt(ctx, phone, address)
	var limited error // refused, but audited below with the account it was for
	if ErrorCode(err) == ERATELIMITED {
		limited = err
	} else if err != nil {
		return nil, err
	}

	var row struct {
		Account
		PasswordHash string        `db:"password_hash"`
		HouseholdID  sql.NullInt64 `db:"household_id"`
	}
	err = s.get(ctx, &row, `SELECT a.id, a.phone, a.name, a.created_at, a.password_hash, r.household_id
		FROM accounts a LEFT JOIN residents r ON r.account_id = a.id WHERE a.phone = $1`, phone)
	found := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	var accountID, placeID *int64
	if found {
		accountID = &row.ID
		if row.HouseholdID.Valid {
			placeID = &row.HouseholdID.Int64
		}
	}
	if limited != nil {
		if err := s.auditNow(ctx, auditEvent{Action: AuditLoginThrottled, AccountID: accountID, PlaceID: placeID, Phone: &phone}); err != nil {
			return nil, err
		}
		return nil, limited
	}
	hash := dummyHash(s.Password)
	if found {
		hash = row.PasswordHash
	}
	if !CheckPassword(hash, password) || !found {
		if err := s.auditNow(ctx, auditEvent{Action: AuditLoginFailed, AccountID: accountID, PlaceID: placeID, Phone: &phone}); err != nil {
			return nil, err
		}
		return nil, reserved.failed(s.LoginLimits.Window, s.Now().UTC())
	}

	if err := reserved.release(ctx, s); err != nil {
		return nil, err
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	a := row.Account
	sess, err := tx.newSession(&a)
	if err != nil {
		return nil, err
	}
	return sess, tx.Commit()
}

// Logout revokes token at once. It reports whether the token was live.
func (s *Store) Logout(ctx context.Context, token string) (bool, error) {
	st, err := s.prepared(ctx, `UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2`)
	if err != nil {
		return false, err
	}
	res, err := st.ExecContext(ctx, tokenHash(token), s.Now().UTC())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// whyNoSession tells a token that has expired from one that was ended (signed out, password
// changed) or never issued, so that a client can say which: a second statement, only on this
// path, which valid tokens never take.
func (s *Store) whyNoSession(ctx context.Context, token string) error {
	var sess struct {
		Expired bool `db:"expired"`
		Revoked bool `db:"revoked"`
	}
	err := s.get(ctx, &sess, `SELECT expires_at <= $2 AS expired, revoked_at IS NOT NULL AS revoked
		FROM sessions WHERE token_hash = $1`, tokenHash(token), s.Now().UTC())
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return &Error{Code: EUNAUTHENTICATED, Message: "登录已失效，请重新登录"}
	case err != nil:
		return err
	case sess.Revoked:
		return &Error{Code: EUNAUTHENTICATED, Message: "登录已失效（已退出登录或修改了密码），请重新登录"}
	case sess.Expired:
		return &Error{Code: EUNAUTHENTICATED, Message: "登录已过期，请重新登录"}
	}
	return &Error{Code: EUNAUTHENTICATED, Message: "登录已失效，请重新登录"}
}

// ViewerByToken returns who holds token, with their active role grants. Errors:
// UNAUTHENTICATED for a token that is unknown, expired or revoked.
func (s *Store) ViewerByToken(ctx context.Context, token string) (*Viewer, error) {
	// One statement for the account, its resident record and its grants (a row per grant,
	// the grant's columns NULL when there is none): every request signs in, so this is the
	// statement the service runs most.
	var rows []struct {
		Account
		ResidentID    sql.NullInt64 `db:"resident_id"`
		HouseholdID   sql.NullInt64 `db:"household_id"`
		HouseholdPath pq.Int64Array `db:"household_path"`
		Verified      bool          `db:"verified"`
		GrantID       sql.NullInt64 `db:"grant_id"`
		Role          *Role         `db:"role"`
		PlaceID       *int64        `db:"place_id"`
		GrantedBy     *int64        `db:"granted_by"`
		GrantedAt     *time.Time    `db:"granted_at"`
		PlacePath     pq.Int64Array `db:"place_path"`
	}
	err := s.selectRows(ctx, &rows, `SELECT a.id, a.phone, a.name, a.created_at,
			r.id AS resident_id, r.household_id, h.path AS household_path, r.verified_at IS NOT NULL AND r.left_on IS NULL AS verified,
			g.id AS grant_id, g.role, g.place_id, g.granted_by, g.granted_at, gp.path AS place_path
		FROM sessions s JOIN accounts a ON a.id = s.account_id
		LEFT JOIN residents r ON r.account_id = a.id LEFT JOIN places h ON h.id = r.household_id
		LEFT JOIN role_grants g ON g.account_id = a.id AND g.revoked_at IS NULL LEFT JOIN places gp ON gp.id = g.place_id
		WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
		ORDER BY g.id`, tokenHash(token), s.Now().UTC())
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, s.whyNoSession(ctx, token)
	}
	row := rows[0]
	a := row.Account
	v := &Viewer{Account: &a}
	for _, g := range rows {
		if g.GrantID.Valid {
			v.Grants = append(v.Grants, &RoleGrant{ID: g.GrantID.Int64, AccountID: a.ID, Role: *g.Role, PlaceID: *g.PlaceID,
				GrantedBy: g.GrantedBy, GrantedAt: *g.GrantedAt, PlacePath: g.PlacePath})
		}
	}
	if row.ResidentID.Valid {
		v.Resident = &ViewerResident{ID: row.ResidentID.Int64, HouseholdID: row.HouseholdID.Int64,
			HouseholdPath: row.HouseholdPath, Verified: row.Verified}
	}
	return v, nil
}
