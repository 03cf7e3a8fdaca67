package graph_test

import (
	"testing"
	"time"

	"github.com/lib/pq"

	"linli/db"
	"linli/db/dbtest"
)

const qNotificationAdded = `subscription { notificationAdded { id kind title wishId } }`

type notificationEvent struct {
	NotificationAdded struct {
		ID, Kind, Title string
		WishID          *string
	}
}

// cutListener ends the hub's listening connection and keeps it out (the database takes no
// new connection; the pool's open ones still serve) until the returned function lets it
// back. That is said from another database: PostgreSQL refuses it for the current one.
func (e *env) cutListener(dsn string) (allow func()) {
	t := e.t
	t.Helper()
	var name string
	e.db.Get(&name, `SELECT current_database()`)
	admin, err := db.Open(t.Context(), otherDatabase(dsn, "postgres"), 1)
	if err != nil {
		t.Fatal(err)
	}
	set := func(yes bool) {
		t.Helper()
		if _, err := admin.Exec(`ALTER DATABASE ` + pq.QuoteIdentifier(name) + ` ALLOW_CONNECTIONS ` + map[bool]string{true: "true", false: "false"}[yes]); err != nil {
			t.Fatal(err)
		}
	}
	set(false)
	allowed := false
	allow = func() {
		if !allowed {
			allowed = true
			set(true)
			admin.Close()
		}
	}
	t.Cleanup(allow)
	conn, err := e.db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var cut bool
	if err := conn.QueryRowContext(t.Context(), `SELECT bool_and(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN %'`).Scan(&cut); err != nil || !cut {
		t.Fatalf("cutting the listener's connection: %v %v", cut, err)
	}
	deadline := time.Now().Add(dbtest.TimeLeft(t))
	for listeners := 1; listeners > 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the listener's connection did not end")
		}
		conn.QueryRowContext(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND query LIKE 'LISTEN %'`).Scan(&listeners)
	}
	return allow
}

// A notification written on one process reaches its recipient subscribed on another, and
// only them; one written while the listener was away is sent once it is back, in order.
func TestLiveNotificationAdded(t *testing.T) {
	t.Parallel()
	a, b, dsn := twoProcessesAt(t)
	resident, staff, member := a.login(phoneResident), a.login(phoneStaff), a.login(phonePartyMember)
	first := a.published(resident, staff, "想要一台轮椅") // its WISH_PUBLISHED is older than the subscription
	second := a.published(resident, staff, "想请人修水龙头")

	sub := b.liveAs(b.login(phoneResident))
	sub.subscribe("1", qNotificationAdded, nil)
	other := b.liveAs(b.login(phoneVolunteer))
	other.subscribe("1", qNotificationAdded, nil)
	b.listening(2)

	mustWish(t, a.claim(member, first.ID))
	var ev notificationEvent
	sub.data(&ev)
	if ev.NotificationAdded.Kind != "WISH_CLAIMED" || ev.NotificationAdded.WishID == nil || *ev.NotificationAdded.WishID != first.ID {
		t.Fatalf("after the claim on the other process: got %+v, want WISH_CLAIMED of %s", ev.NotificationAdded, first.ID)
	}

	// The listener is cut, the second wish is claimed meanwhile: its notification comes
	// when the listener is back.
	allow := b.cutListener(dsn)
	mustWish(t, a.claim(member, second.ID))
	allow()
	sub.data(&ev)
	if ev.NotificationAdded.Kind != "WISH_CLAIMED" || ev.NotificationAdded.WishID == nil || *ev.NotificationAdded.WishID != second.ID {
		t.Fatalf("after the listener came back: got %+v, want WISH_CLAIMED of %s", ev.NotificationAdded, second.ID)
	}
	var inbox struct {
		Notifications struct{ Nodes []struct{ ID string } }
	}
	b.do(resident, `{ notifications(first: 1) { nodes { id } } }`, nil).Decode(t, &inbox)
	if len(inbox.Notifications.Nodes) != 1 || inbox.Notifications.Nodes[0].ID != ev.NotificationAdded.ID {
		t.Fatalf("the inbox's newest is %+v, the subscription's last %s", inbox.Notifications.Nodes, ev.NotificationAdded.ID)
	}

	// The volunteer was told nothing of the resident's wishes.
	select {
	case m := <-other.msgs:
		t.Fatalf("another account got %s %s", m.Type, m.Payload)
	default:
	}
}
