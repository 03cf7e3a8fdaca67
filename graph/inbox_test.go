package graph_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"linli/db"
	"linli/db/dbtest"
	"linli/db/demo"
	"linli/graph"
)

const (
	qNotifications = `query($u: Boolean, $f: Int, $a: String) { notifications(unreadOnly: $u, first: $f, after: $a) {
		totalCount pageInfo { hasNextPage endCursor } nodes { id kind title body read readAt wishId voteId } } unreadNotificationCount }`
	qMarkRead    = `mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) { id read } }`
	qMarkAllRead = `mutation { markAllNotificationsRead }`
	qSetPref     = `mutation($k: NotificationKind!, $c: NotificationChannel!, $e: Boolean!) {
		setNotificationPreference(kind: $k, channel: $c, enabled: $e) { kind channel enabled } }`
)

type notificationOut struct {
	ID, Kind, Title, Body string
	Read                  bool
	WishID, VoteID        *string
}

type inboxOut struct {
	Notifications struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   *string
		}
		Nodes []notificationOut
	}
	UnreadNotificationCount int
}

func (e *env) inbox(token string, unreadOnly bool) inboxOut {
	e.t.Helper()
	var out inboxOut
	e.do(token, qNotifications, map[string]any{"u": unreadOnly, "f": 100}).Decode(e.t, &out)
	return out
}

// ofKind returns the notifications of kind in an inbox.
func ofKind(in inboxOut, kind string) []notificationOut {
	var out []notificationOut
	for _, n := range in.Notifications.Nodes {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

// captured is a Sender that keeps what it was given.
type captured struct {
	mu   sync.Mutex
	msgs []db.Message
}

func (c *captured) Send(_ context.Context, m db.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, m)
	return nil
}

func (c *captured) to(phone string) []db.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []db.Message
	for _, m := range c.msgs {
		if m.Phone == phone {
			out = append(out, m)
		}
	}
	return out
}

// deliver runs one outbox pass with sender.
func (e *env) deliver(sender db.Sender) {
	e.t.Helper()
	if _, _, err := e.store.DeliverOutbox(context.Background(), sender, db.DefaultOutboxSettings); err != nil {
		e.t.Fatal(err)
	}
}

// A resident's wish claimed puts WISH_CLAIMED in their inbox, unread; they mark it read and
// the count drops to 0. Nobody else can mark it, nor see it; the text names the wish and
// nothing personal.
func TestInboxWishClaimed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff, volunteer := e.login(phoneResident), e.login(phoneStaff), e.login(phoneVolunteer)
	w := e.published(resident, staff, "帮忙修水龙头")
	in := e.inbox(resident, false)
	if got := ofKind(in, "WISH_PUBLISHED"); len(got) != 1 || in.UnreadNotificationCount != 1 {
		t.Fatalf("after publishing: got %+v, unread %d, want one WISH_PUBLISHED, unread 1", in.Notifications.Nodes, in.UnreadNotificationCount)
	}
	var all struct{ MarkAllNotificationsRead int }
	e.do(resident, qMarkAllRead, nil).Decode(t, &all)
	if all.MarkAllNotificationsRead != 1 || e.inbox(resident, false).UnreadNotificationCount != 0 {
		t.Fatalf("mark all read: got %d marked, want 1 and nothing unread", all.MarkAllNotificationsRead)
	}

	mustWish(t, e.claim(volunteer, w.ID))
	in = e.inbox(resident, true)
	if in.UnreadNotificationCount != 1 || len(in.Notifications.Nodes) != 1 || in.Notifications.TotalCount != 1 {
		t.Fatalf("after the claim: got unread %d, %+v, want exactly one unread", in.UnreadNotificationCount, in.Notifications.Nodes)
	}
	n := in.Notifications.Nodes[0]
	if n.Kind != "WISH_CLAIMED" || n.Read || n.WishID == nil || *n.WishID != w.ID ||
		n.Body != "您的心愿“帮忙修水龙头”已被志愿者认领，志愿者会与您联系。" {
		t.Fatalf("claimed: got %+v, want an unread WISH_CLAIMED about the wish", n)
	}
	// The volunteer is told nothing of their own act, and sees nothing of the resident's.
	if vin := e.inbox(volunteer, false); len(vin.Notifications.Nodes) != 0 {
		t.Fatalf("volunteer's inbox: got %+v, want empty", vin.Notifications.Nodes)
	}
	// Another account marking it: NOT_FOUND (as for an id that does not exist), and it
	// stays unread.
	for _, who := range []string{volunteer, staff} {
		e.do(who, qMarkRead, map[string]any{"ids": []string{n.ID}}).wantCode(t, db.ENOTFOUND)
	}
	e.do(resident, qMarkRead, map[string]any{"ids": []string{n.ID, graph.GlobalID("Notification", 1<<40)}}).wantCode(t, db.ENOTFOUND)
	if got := e.inbox(resident, true).UnreadNotificationCount; got != 1 {
		t.Fatalf("unread after others tried to mark it: got %d, want 1", got)
	}
	e.do("", qMarkRead, map[string]any{"ids": []string{n.ID}}).wantCode(t, db.EUNAUTHENTICATED)

	var marked struct {
		MarkNotificationsRead []struct {
			ID   string
			Read bool
		}
	}
	e.do(resident, qMarkRead, map[string]any{"ids": []string{n.ID}}).Decode(t, &marked)
	if len(marked.MarkNotificationsRead) != 1 || !marked.MarkNotificationsRead[0].Read {
		t.Fatalf("marked: got %+v, want the notification, read", marked.MarkNotificationsRead)
	}
	in = e.inbox(resident, false)
	if in.UnreadNotificationCount != 0 || len(e.inbox(resident, true).Notifications.Nodes) != 0 {
		t.Fatalf("after marking: got unread %d, want 0", in.UnreadNotificationCount)
	}
	// Newest first.
	if len(in.Notifications.Nodes) != 2 || in.Notifications.Nodes[0].Kind != "WISH_CLAIMED" || in.Notifications.Nodes[1].Kind != "WISH_PUBLISHED" {
		t.Fatalf("inbox: got %+v, want WISH_CLAIMED then WISH_PUBLISHED", in.Notifications.Nodes)
	}
	// Fulfilled: the resident is asked to confirm; confirmed: the volunteer is told.
	mustWish(t, e.fulfil(volunteer, w.ID, 1))
	mustWish(t, e.confirm(resident, w.ID, 5))
	if got := ofKind(e.inbox(resident, true), "WISH_FULFILLED"); len(got) != 1 {
		t.Fatalf("resident after fulfilment: got %+v, want one WISH_FULFILLED", got)
	}
	if got := ofKind(e.inbox(volunteer, true), "WISH_CONFIRMED"); len(got) != 1 || !strings.Contains(got[0].Body, "帮忙修水龙头") {
		t.Fatalf("volunteer after confirmation: got %+v, want one WISH_CONFIRMED naming the wish", got)
	}
}

// Paging: newest first, by cursor, with no notification twice or missed.
func TestInboxPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff := e.login(phoneResident), e.login(phoneStaff)
	for _, title := range []string{"心愿一", "心愿二", "心愿三", "心愿四", "心愿五"} {
		e.published(resident, staff, title)
	}
	var seen []string
	var after *string
	for range 5 {
		var out inboxOut
		e.do(resident, qNotifications, map[string]any{"f": 2, "a": after}).Decode(t, &out)
		for _, n := range out.Notifications.Nodes {
			seen = append(seen, n.Body)
		}
		if !out.Notifications.PageInfo.HasNextPage {
			break
		}
		after = out.Notifications.PageInfo.EndCursor
	}
	if len(seen) != 5 || !strings.Contains(seen[0], "心愿五") || !strings.Contains(seen[4], "心愿一") {
		t.Fatalf("pages: got %q, want the five, newest first", seen)
	}
}

// Turning SMS off for a kind stops its text messages; the inbox cannot be turned off.
func TestInboxPreferences(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff, volunteer := e.login(phoneResident), e.login(phoneStaff), e.login(phoneVolunteer)
	e.do(resident, qSetPref, map[string]any{"k": "WISH_CLAIMED", "c": "INBOX", "e": false}).wantCode(t, db.EINVALID)
	e.do(resident, qSetPref, map[string]any{"k": "NO_SUCH_KIND", "c": "SMS", "e": false}).wantCode(t, db.EINVALID)

	var prefs struct {
		NotificationPreferences []struct {
			Kind, Channel      string
			Enabled, IsDefault bool
		}
	}
	e.do(resident, `{ notificationPreferences { kind channel enabled isDefault } }`, nil).Decode(t, &prefs)
	smsClaimed := false
	for _, p := range prefs.NotificationPreferences {
		if p.Kind == "WISH_CLAIMED" && p.Channel == "SMS" {
			smsClaimed = p.Enabled && p.IsDefault
		}
	}
	if !smsClaimed {
		t.Fatalf("preferences: got %+v, want WISH_CLAIMED by SMS on by default", prefs.NotificationPreferences)
	}

	// SMS on (the default): the claim is texted to the resident's phone.
	sms := &captured{}
	w1 := e.published(resident, staff, "想要一台轮椅")
	mustWish(t, e.claim(volunteer, w1.ID))
	e.deliver(sms)
	if got := sms.to(phoneResident); len(got) != 1 || got[0].Kind != db.NotifyWishClaimed || !strings.Contains(got[0].Body, "想要一台轮椅") {
		t.Fatalf("texts with SMS on: got %+v, want one WISH_CLAIMED", got)
	}

	// SMS off: the next claim reaches the inbox only.
	e.do(resident, qSetPref, map[string]any{"k": "WISH_CLAIMED", "c": "SMS", "e": false}).Decode(t, new(any))
	w2 := e.published(resident, staff, "需要陪同就医")
	mustWish(t, e.claim(e.login(phonePartyMember), w2.ID))
	e.deliver(sms)
	if got := sms.to(phoneResident); len(got) != 1 {
		t.Fatalf("texts with SMS off: got %d, want still 1", len(got))
	}
	if got := ofKind(e.inbox(resident, true), "WISH_CLAIMED"); len(got) != 2 {
		t.Fatalf("inbox with SMS off: got %d WISH_CLAIMED, want 2", len(got))
	}
}

// flakyGateway fails each message's first `fails` posts, then accepts; it counts what it
// accepted per outbox id.
type flakyGateway struct {
	mu       sync.Mutex
	fails    int
	posts    map[int64]int
	accepted map[int64]int
}

func newFlakyGateway(t *testing.T, fails int) (*flakyGateway, *httptest.Server) {
	g := &flakyGateway{fails: fails, posts: map[int64]int{}, accepted: map[int64]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m db.Message
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil || r.Header.Get("Idempotency-Key") == "" {
			http.Error(w, "bad message", http.StatusBadRequest)
			return
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		g.posts[m.ID]++
		if g.fails < 0 || g.posts[m.ID] <= g.fails {
			http.Error(w, "gateway busy", http.StatusServiceUnavailable)
			return
		}
		g.accepted[m.ID]++
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return g, srv
}

// queueMessages writes n notifications for the account with phone, each with its text
// message queued, and returns their ids.
func (e *env) queueMessages(phone string, n int) []int64 {
	e.t.Helper()
	var ids []int64
	if err := e.db.Select(&ids, `INSERT INTO notifications (kind, account_id, created_at)
		SELECT 'task_assigned', a.id, $2 FROM accounts a, generate_series(1, $3) WHERE a.phone = $1 RETURNING id`,
		phone, e.clock.Now(), n); err != nil {
		e.t.Fatal(err)
	}
	return ids
}

// Outbox: a webhook that fails twice and then succeeds gets each message delivered once,
// recorded once with 3 attempts, although 8 workers run every pass at once.
func TestOutboxWebhookRetries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	gw, srv := newFlakyGateway(t, 2)
	ids := e.queueMessages(phoneStaff, 30)
	sender := graph.WebhookSender{URL: srv.URL}
	settings := db.DefaultOutboxSettings
	settings.RetryAfter, settings.MaxRetryAfter = time.Minute, 4*time.Minute

	for round := 0; round < 10 && e.count(`SELECT count(*) FROM notification_outbox WHERE state = 'pending'`) > 0; round++ {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, err := e.store.DeliverOutbox(context.Background(), sender, settings); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		e.clock.Advance(5 * time.Minute) // past any back-off
	}
	gw.mu.Lock()
	defer gw.mu.Unlock()
	if len(gw.accepted) != len(ids) {
		t.Fatalf("accepted: got %d messages, want %d", len(gw.accepted), len(ids))
	}
	for id, n := range gw.accepted {
		if n != 1 || gw.posts[id] != 3 {
			t.Fatalf("message %d: accepted %d times after %d posts, want once after 3", id, n, gw.posts[id])
		}
	}
	if n := e.count(`SELECT count(*) FROM notification_outbox o JOIN notifications n ON n.id = o.notification_id
		WHERE n.id = ANY ($1) AND o.state = 'delivered' AND o.attempts = 3 AND o.delivered_at IS NOT NULL`, pq.Array(ids)); n != len(ids) {
		t.Fatalf("outbox rows delivered after 3 attempts: got %d, want %d", n, len(ids))
	}
	// Delivered is final: nothing more goes out, and the database refuses a second record.
	e.deliver(sender)
	if _, err := e.db.Exec(`UPDATE notification_outbox SET delivered_at = delivered_at + interval '1 second'`); err == nil {
		t.Fatal("re-recording a delivery: got no error, want it refused")
	}
}

// A gateway that never answers well: the message is given up after MaxAttempts, FAILED,
// and staff see it with the resident to reach another way.
func TestOutboxGivesUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, srv := newFlakyGateway(t, -1)
	e.queueMessages(phoneResident, 1)
	settings := db.DefaultOutboxSettings
	settings.MaxAttempts, settings.RetryAfter, settings.MaxRetryAfter = 3, time.Minute, time.Minute
	for range 5 {
		if _, _, err := e.store.DeliverOutbox(context.Background(), graph.WebhookSender{URL: srv.URL}, settings); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(2 * time.Minute)
	}
	var out struct {
		FailedDeliveries struct {
			TotalCount int
			Nodes      []struct {
				Attempts     int
				LastError    *string
				Notification struct{ Kind string }
				Resident     *struct{ ID string }
			}
		}
	}
	q := `query($p: ID!) { failedDeliveries(placeId: $p) { totalCount nodes { attempts lastError notification { kind } resident { id } } } }`
	e.do(e.login(phoneStaff), q, map[string]any{"p": e.placeID("和平社区")}).Decode(t, &out)
	f := out.FailedDeliveries
	if f.TotalCount != 1 || len(f.Nodes) != 1 || f.Nodes[0].Attempts != 3 || f.Nodes[0].LastError == nil ||
		f.Nodes[0].Notification.Kind != "TASK_ASSIGNED" || f.Nodes[0].Resident == nil || f.Nodes[0].Resident.ID != e.residentID(phoneResident) {
		t.Fatalf("failed deliveries: got %+v, want the one message, 3 attempts, for the resident", f)
	}
	e.do(e.login(phoneVolunteer), q, map[string]any{"p": e.placeID("和平社区")}).wantCode(t, db.EFORBIDDEN)
}

// remindAll runs the reminder pass from n "processes" at once, twice each.
func (e *env) remindAll(n int) {
	e.t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2 {
				if _, err := e.store.SendReminders(context.Background(), db.DefaultReminderSettings); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		e.t.Fatal(err)
	}
}

// Reminders: several processes running the pass at once write each reminder once.
func TestRemindersOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff, volunteer := e.login(phoneResident), e.login(phoneStaff), e.login(phoneVolunteer)
	w := e.published(resident, staff, "帮忙搬家具")
	mustWish(t, e.claim(volunteer, w.ID))
	e.remindAll(8)
	if got := ofKind(e.inbox(volunteer, false), "CLAIM_DUE_SOON"); len(got) != 0 {
		t.Fatalf("72 hours before due: got %+v, want no reminder yet", got)
	}
	e.clock.Advance(70 * time.Hour) // due in 2 hours
	e.remindAll(8)
	e.remindAll(3)
	got := ofKind(e.inbox(volunteer, false), "CLAIM_DUE_SOON")
	if len(got) != 1 || !strings.Contains(got[0].Body, "帮忙搬家具") {
		t.Fatalf("2 hours before due: got %d reminders, want exactly one about the wish", len(got))
	}
}

// A secret vote closing with low turnout reminds, once each, the people on its roll who
// have not voted, saying only that; those who voted get nothing.
func TestVoteClosingReminder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident := e.login(phoneResident)
	neighbours := e.compoundResidents(3, "136")
	quorum := map[string]any{"quorum": map[string]any{"num": 2, "den": 3, "comparison": "AT_LEAST"},
		"pass": map[string]any{"num": 1, "den": 2, "comparison": "MORE_THAN"}, "byArea": false,
		"quorumBasis": "VOTED", "abstentions": "EXCLUDED"}
	v := e.onlineVote(e.acceptedTopic("2号楼加装电梯"), 30*time.Hour, map[string]any{"title": "2号楼加装电梯", "customRule": quorum})
	for _, tok := range append([]string{resident}, neighbours...) {
		if got := ofKind(e.inbox(tok, false), "VOTE_OPENED"); len(got) != 1 || got[0].VoteID == nil || *got[0].VoteID != v.ID {
			t.Fatalf("opened: got %+v, want one VOTE_OPENED about the vote", got)
		}
	}
	mustVote(t, e.do(resident, qCastBallot, map[string]any{"id": v.ID, "o": "反对"}))
	e.remindAll(4)
	if n := e.count(`SELECT count(*) FROM notifications WHERE kind = 'vote_closing'`); n != 0 {
		t.Fatalf("30 hours before closing: got %d reminders, want none yet", n)
	}
	e.clock.Advance(8 * time.Hour)
	e.remindAll(8)
	for _, tok := range neighbours {
		got := ofKind(e.inbox(tok, false), "VOTE_CLOSING")
		if len(got) != 1 || !strings.Contains(got[0].Body, "您还没有投票") {
			t.Fatalf("neighbour: got %d reminders (%+v), want one saying they have not voted", len(got), got)
		}
		for _, word := range []string{"同意", "反对", "弃权"} {
			if strings.Contains(got[0].Title+got[0].Body, word) {
				t.Fatalf("reminder %+v names an option (%s)", got[0], word)
			}
		}
	}
	if got := ofKind(e.inbox(resident, false), "VOTE_CLOSING"); len(got) != 0 {
		t.Fatalf("the voter: got %+v, want no reminder", got)
	}
	if n := e.count(`SELECT count(*) FROM (SELECT account_id FROM notifications WHERE kind = 'vote_closing'
		GROUP BY account_id HAVING count(*) > 1) x`); n != 0 {
		t.Fatalf("accounts reminded more than once: got %d, want 0", n)
	}
	// Every voter's inbox reads the same whatever they chose: nothing in it says how.
	for _, n := range e.inbox(resident, false).Notifications.Nodes {
		if strings.Contains(n.Body, "反对") {
			t.Fatalf("voter's notification %+v reveals the choice", n)
		}
	}
}

// A wish entered for a resident with no account and no phone: the grid worker's visits
// list it, with what to tell them, until marked visited; the submitting grid worker is
// told in their own inbox.
func TestVisitsNeeded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff, grid := e.login(phoneStaff), e.login(phoneGridWorker)
	var ben int64
	if err := e.db.Get(&ben, `INSERT INTO residents (household_id, name, birth_date, verified_at, created_at)
		SELECT r.household_id, '李奶奶', '1940-03-01', now(), now() FROM residents r JOIN accounts a ON a.id = r.account_id
		WHERE a.phone = $1 RETURNING id`, phoneResident); err != nil {
		t.Fatal(err)
	}
	e.publishedFor(grid, graph.GlobalID("Resident", ben), "帮忙买药")
	var gridID int64
	if err := e.db.Get(&gridID, `SELECT g.id FROM places g JOIN places c ON c.id = g.parent_id
		WHERE g.name = '第一网格' AND c.name = '和平花园小区'`); err != nil {
		t.Fatal(err)
	}
	grid1 := graph.GlobalID("Place", gridID)
	q := `query($p: ID!) { visitsNeeded(placeId: $p) { totalCount nodes { id kind body since resident { id name } household { id } } } }`
	var out struct {
		VisitsNeeded struct {
			TotalCount int
			Nodes      []struct {
				ID, Kind, Body string
				Resident       *struct{ ID, Name string }
				Household      *struct{ ID string }
			}
		}
	}
	e.do(grid, q, map[string]any{"p": grid1}).Decode(t, &out)
	vs := out.VisitsNeeded
	if vs.TotalCount != 1 || len(vs.Nodes) != 1 || vs.Nodes[0].Kind != "WISH_PUBLISHED" || vs.Nodes[0].Resident == nil ||
		vs.Nodes[0].Resident.ID != graph.GlobalID("Resident", ben) || !strings.Contains(vs.Nodes[0].Body, "帮忙买药") {
		t.Fatalf("visits: got %+v, want one WISH_PUBLISHED for 李奶奶", vs)
	}
	// Not for a volunteer; not someone else's to mark.
	e.do(e.login(phoneVolunteer), q, map[string]any{"p": grid1}).wantCode(t, db.EFORBIDDEN)
	e.do(e.login(phoneVolunteer), `mutation($ids: [ID!]!) { markVisited(ids: $ids) { id } }`,
		map[string]any{"ids": []string{vs.Nodes[0].ID}}).wantCode(t, db.ENOTFOUND)
	e.do(staff, `mutation($ids: [ID!]!) { markVisited(ids: $ids) { id } }`, map[string]any{"ids": []string{vs.Nodes[0].ID}}).Decode(t, new(any))
	e.do(grid, q, map[string]any{"p": grid1}).Decode(t, &out)
	if out.VisitsNeeded.TotalCount != 0 {
		t.Fatalf("after the visit: got %+v, want none", out.VisitsNeeded)
	}
	// No phone: nothing queued for a text message.
	if n := e.count(`SELECT count(*) FROM notification_outbox o JOIN notifications n ON n.id = o.notification_id WHERE n.resident_id = $1`, ben); n != 0 {
		t.Fatalf("texts to a resident with no phone: got %d, want 0", n)
	}
}

// A rolled-back event leaves no notification, no message, and wakes no subscriber.
func TestInboxRolledBackEvent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff := e.login(phoneResident), e.login(phoneStaff)
	e.published(resident, staff, "帮忙修灯")
	before := e.count(`SELECT count(*) FROM notifications`)
	id := e.wishRowID("帮忙修灯")
	tx, err := e.db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO wish_events (wish_id, at, action, actor_id, from_state, to_state, reason)
		SELECT $1, now(), 'reject', a.id, 'published', 'rejected', '测试' FROM accounts a WHERE a.phone = $2`, id, phoneStaff); err != nil {
		tx.Rollback()
		t.Fatal(err)
	}
	var inTx int
	tx.Get(&inTx, `SELECT count(*) FROM notifications`)
	tx.Rollback()
	if inTx != before+1 {
		t.Fatalf("inside the event's transaction: got %d notifications, want %d (the event's)", inTx, before+1)
	}
	if n := e.count(`SELECT count(*) FROM notifications`); n != before {
		t.Fatalf("after rollback: got %d notifications, want %d", n, before)
	}
	if n := e.count(`SELECT count(*) FROM notification_outbox`); n != e.count(`SELECT count(*) FROM notification_outbox o JOIN notifications n ON n.id = o.notification_id`) {
		t.Fatalf("outbox rows without a notification: %d", n)
	}
}

// A meeting tomorrow, a resolution in notice and its closing, a task and a concern on it
// each reach the people they concern, reminders once each.
func TestDeliberationNotifications(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff, council, supervisor := e.login(phoneResident), e.login(phoneStaff), e.login(phoneCouncil), e.login(phoneSupervisor)
	leader := e.login(phoneBuildingLeader)

	// A residents' assembly starting in 25 hours: reminded once it is within a day.
	mustMeeting(t, e.schedule(staff, e.meetingInput("十二月居民会议", nil)))
	e.remindAll(4)
	if got := ofKind(e.inbox(resident, false), "MEETING_TOMORROW"); len(got) != 0 {
		t.Fatalf("25 hours ahead: got %d meeting reminders, want none yet", len(got))
	}
	e.clock.Advance(2 * time.Hour)
	e.remindAll(4)
	if got := ofKind(e.inbox(resident, false), "MEETING_TOMORROW"); len(got) != 1 || !strings.Contains(got[0].Body, "十二月居民会议") ||
		!strings.Contains(got[0].Body, "社区党群服务中心二楼会议室") {
		t.Fatalf("23 hours ahead: got %+v, want one reminder naming the meeting and where", got)
	}

	// A meeting that starts tells its roll, but not the staff member who started it.
	e.runningMeeting("一月居民会议")
	if got := ofKind(e.inbox(resident, false), "MEETING_OPENED"); len(got) != 1 || !strings.Contains(got[0].Body, "一月居民会议") {
		t.Fatalf("started: got %+v, want one MEETING_OPENED naming the meeting", got)
	}
	if got := ofKind(e.inbox(staff, false), "MEETING_OPENED"); len(got) != 0 {
		t.Fatalf("the staff member who started it: got %+v, want nothing", got)
	}

	objector := e.compoundResidents(1, "135")[0]
	_, res := e.passedResolution("小区增设充电桩", []string{resident})
	for _, tok := range []string{resident, objector} {
		if got := ofKind(e.inbox(tok, false), "RESOLUTION_PUBLISHED"); len(got) != 1 || !strings.Contains(got[0].Body, "小区增设充电桩") {
			t.Fatalf("published: got %+v, want one RESOLUTION_PUBLISHED", got)
		}
	}
	var o struct{ O struct{ ID string } }
	e.do(objector, qObject, map[string]any{"id": res, "r": "充电桩离住户太近"}).Decode(t, &o)
	e.clock.Advance(6*24*time.Hour + 12*time.Hour) // the notice period ends in 12 hours
	e.remindAll(4)
	if got := ofKind(e.inbox(resident, false), "OBJECTION_CLOSING"); len(got) != 1 {
		t.Fatalf("notice closing: got %d reminders for the resident, want 1", len(got))
	}
	if got := ofKind(e.inbox(objector, false), "OBJECTION_CLOSING"); len(got) != 0 {
		t.Fatalf("notice closing: got %d reminders for who objected already, want 0", len(got))
	}

	e.clock.Advance(13 * time.Hour)
	e.do(council, qAnswerObjection, map[string]any{"id": o.O.ID, "a": "已按规范保持安全距离。", "u": false}).Decode(t, new(any))
	var task struct{ T struct{ ID string } }
	e.do(staff, qAddTask, map[string]any{"in": map[string]any{"resolutionId": res, "title": "联系供电公司报装",
		"assigneeId": e.accountID(phoneBuildingLeader), "dueAt": e.clock.Now().Add(30 * 24 * time.Hour).Format(time.RFC3339)}}).Decode(t, &task)
	e.do(supervisor, qSupervise, map[string]any{"id": task.T.ID, "b": "请公开报装费用", "c": true}).Decode(t, new(any))
	e.do(supervisor, qSupervise, map[string]any{"id": task.T.ID, "b": "进度不错", "c": false}).Decode(t, new(any))
	in := e.inbox(leader, false)
	if got := ofKind(in, "TASK_ASSIGNED"); len(got) != 1 || !strings.Contains(got[0].Body, "联系供电公司报装") {
		t.Fatalf("assignee: got %+v, want one TASK_ASSIGNED", got)
	}
	if got := ofKind(in, "TASK_CONCERN_RAISED"); len(got) != 1 {
		t.Fatalf("assignee: got %d TASK_CONCERN_RAISED, want 1 (a comment is not a concern)", len(got))
	}
}

// Every notification is announced on linli_notifications as "account:id" when its event
// commits, for the live subscriptions of every process; a rolled-back event announces
// nothing.
func TestNotificationAnnounced(t *testing.T) {
	t.Parallel()
	d, dsn := dbtest.New(t)
	e := serve(t, d)
	if _, err := demo.Load(t.Context(), e.store); err != nil {
		t.Fatal(err)
	}
	resident, staff := e.login(phoneResident), e.login(phoneStaff)
	w := e.submit(resident, e.wishInput("帮忙贴春联"))

	l := pq.NewListener(dsn, time.Second, time.Second, nil)
	defer l.Close()
	if err := l.Listen("linli_notifications"); err != nil {
		t.Fatal(err)
	}
	tx, err := e.db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO wish_events (wish_id, at, action, actor_id, from_state, to_state, reason)
		VALUES ($1, now(), 'reject', NULL, 'submitted', 'rejected', '测试')`, e.wishRowID("帮忙贴春联")); err != nil {
		tx.Rollback()
		t.Fatal(err)
	}
	tx.Rollback()
	mustWish(t, e.review(staff, w.ID, "PUBLISH", nil))

	var n notificationOut
	for _, got := range e.inbox(resident, false).Notifications.Nodes {
		if got.Kind == "WISH_PUBLISHED" {
			n = got
		}
	}
	_, id, _ := strings.Cut(string(mustDecode(t, n.ID)), ":")
	var account int64
	if err := e.db.Get(&account, `SELECT id FROM accounts WHERE phone = $1`, phoneResident); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-l.Notify:
		if want := strconv.FormatInt(account, 10) + ":" + id; m == nil || m.Extra != want {
			t.Fatalf("announced: got %+v, want %q (the published wish's, not the rolled-back one's)", m, want)
		}
	case <-time.After(time.Minute):
		t.Fatal("no announcement within a minute")
	}
}

// mustDecode decodes a global ID.
func mustDecode(t *testing.T, id string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
