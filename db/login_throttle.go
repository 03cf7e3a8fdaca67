package db

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/lib/pq"
)

// LoginLimits bound failed sign-ins within a window that starts at the first failure. Each
// counts failures only: a refused attempt checks no password and counts nowhere, so an
// attacker who keeps trying after being refused uses up nobody else's allowance.
type LoginLimits struct {
	// PerPhoneAddress failures for one phone number from one client address.
	PerPhoneAddress int
	// PerAddress failures from one client address over all phone numbers: one client
	// trying a common password on many numbers (spraying).
	PerAddress int
	// PerPhone failures for one phone number from every address together: many addresses
	// against one account. Much higher than PerPhoneAddress, so that one address's failures
	// never lock the owner out from another.
	PerPhone int
	Window   time.Duration
}

// DefaultLoginLimits are the limits with no settings given.
var DefaultLoginLimits = LoginLimits{PerPhoneAddress: 5, PerAddress: 30, PerPhone: 50, Window: 15 * time.Minute}

// throttleCount is one row of login_throttle: the failures in the current window for a phone
// number from an address, where an empty phone means every number and an empty address every
// address.
type throttleCount struct {
	Phone    string    `db:"phone"`
	Address  string    `db:"address"`
	Failures int       `db:"failures"`
	FirstAt  time.Time `db:"first_at"`
}

// throttleKeys are the three counts an attempt for phone from address falls under, in the
// one order every transaction locks them (per address, per phone, per both), so that two
// sign-ins never wait on each other's rows in a circle.
func (l LoginLimits) throttleKeys(phone, address string) []struct {
	phone, address string
	limit          int
} {
	return []struct {
		phone, address string
		limit          int
	}{{"", address, l.PerAddress}, {phone, "", l.PerPhone}, {phone, address, l.PerPhoneAddress}}
}

// throttleAddress is the address a client's failures are counted under: an IPv4 address as
// it is, an IPv6 address by its /64, since one subscriber commonly holds a whole /64.
func throttleAddress(address string) string {
	a, err := netip.ParseAddr(address)
	if err != nil {
		if address == "" {
			return "unknown"
		}
		return address
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// loginReservation is an attempt let through the throttle: it already counts as a failure
// in each of its rows (so parallel guesses cannot slip past a limit) until a right password
// gives it back.
type loginReservation struct {
	counts []throttleCount // after counting this attempt, in throttleKeys order
	limits []int
}

// reserveLoginAttempt counts an attempt for phone from address against every limit at once,
// or refuses it with RATE_LIMITED, counting nothing, when any limit is already reached.
func (s *Store) reserveLoginAttempt(ctx context.Context, phone, address string) (*loginReservation, error) {
	l := s.LoginLimits
	keys := l.throttleKeys(phone, address)
	var phones, addresses []string
	var limits []int64
	for _, k := range keys {
		phones, addresses, limits = append(phones, k.phone), append(addresses, k.address), append(limits, int64(k.limit))
	}
	now := s.Now().UTC()
	var rows []struct {
		throttleCount
		Admitted bool `db:"admitted"`
	}
	if err := s.selectRows(ctx, &rows, `SELECT phone, address, failures, first_at, admitted FROM login_attempt($1, $2, $3, $4, $5)`,
		pq.Array(phones), pq.Array(addresses), pq.Array(limits), now, now.Add(-l.Window)); err != nil {
		return nil, err
	}
	if len(rows) != len(keys) {
		return nil, fmt.Errorf("login_attempt returned %d counts for %d keys", len(rows), len(keys))
	}
	if !rows[0].Admitted {
		// Wait for the count that frees up last; name the address when it is the one.
		var wait time.Duration
		byAddress := false
		for i, row := range rows {
			if w := row.FirstAt.Add(l.Window).Sub(now); row.Failures >= keys[i].limit && w > wait {
				wait, byAddress = w, row.Phone == ""
			}
		}
		retry := waitSeconds(wait)
		msg := "这个手机号登录失败次数过多，请 " + waitText(retry) + "后再试"
		if byAddress {
			msg = "当前网络登录失败次数过多，请 " + waitText(retry) + "后再试"
		}
		return nil, &Error{Code: ERATELIMITED, RetryAfter: retry, Message: msg}
	}
	r := &loginReservation{}
	for i, row := range rows {
		r.counts = append(r.counts, row.throttleCount)
		r.limits = append(r.limits, keys[i].limit)
	}
	return r, nil
}

// failed is the error for a wrong phone number or password: how many more attempts are left
// before sign-in is refused and, when none are, how long to wait.
func (r *loginReservation) failed(window time.Duration, now time.Time) *Error {
	left, wait := -1, time.Duration(0)
	for i, c := range r.counts {
		n := max(r.limits[i]-c.Failures, 0)
		if left < 0 || n < left {
			left = n
		}
		if n == 0 {
			wait = max(wait, c.FirstAt.Add(window).Sub(now))
		}
	}
	e := &Error{Code: EUNAUTHENTICATED, AttemptsLeft: &left}
	if left > 0 {
		e.Message = "手机号或密码不正确，还可以再试 " + formatInt(left) + " 次"
	} else {
		e.RetryAfter = waitSeconds(wait)
		e.Message = "手机号或密码不正确，失败次数已达上限，请 " + waitText(e.RetryAfter) + "后再试"
	}
	return e
}

// release gives a successful attempt back: the failures of this phone number from this
// address are forgotten, and the attempt no longer counts against the address or the
// number; an attacker's failures from elsewhere stay counted. Each statement locks one row
// on its own, so this never waits on login_attempt in a circle.
func (r *loginReservation) release(ctx context.Context, s *Store) error {
	for _, c := range r.counts {
		q := `UPDATE login_throttle SET failures = failures - 1
			WHERE phone = $1 AND address = $2 AND first_at = $3 AND failures > 0`
		args := []any{c.Phone, c.Address, c.FirstAt} // only if the window is still the one counted in
		if c.Phone != "" && c.Address != "" {
			q, args = `DELETE FROM login_throttle WHERE phone = $1 AND address = $2`, args[:2]
		}
		st, err := s.prepared(ctx, q)
		if err != nil {
			return err
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// ForgetLoginFailures removes the failure counts whose window has ended, and returns how
// many. Safe with several processes at once.
func (s *Store) ForgetLoginFailures(ctx context.Context) (int, error) {
	res, err := s.DB.ExecContext(ctx, `DELETE FROM login_throttle WHERE first_at <= $1`, s.Now().UTC().Add(-s.LoginLimits.Window))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// waitSeconds is d in whole seconds, rounded up, and at least one.
func waitSeconds(d time.Duration) int {
	return max(int((d+time.Second-1)/time.Second), 1)
}

// waitText says how long to wait, in Chinese, rounded up to the unit it is given in:
// "40 秒", "15 分钟", "2 小时", "1 小时 30 分钟".
func waitText(seconds int) string {
	if seconds < 60 {
		return formatInt(max(seconds, 1)) + " 秒"
	}
	minutes := (seconds + 59) / 60
	if minutes < 60 {
		return formatInt(minutes) + " 分钟"
	}
	h, m := minutes/60, minutes%60
	if m == 0 {
		return formatInt(h) + " 小时"
	}
	return formatInt(h) + " 小时 " + formatInt(m) + " 分钟"
}
