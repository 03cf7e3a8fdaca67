package graph_test

import (
	"fmt"
	"testing"
	"time"

	"linli/db/dbtest"
)

// A cast reaches every subscriber of its vote for a few statements in all: the vote and its
// turnout per building are read once for the process's subscribers, not once per
// subscriber, and each still gets its own view (whether it has voted).
func TestLiveVoteFanoutSharesOneRead(t *testing.T) {
	const connections, perConnection = 5, 10 // 50 subscribers
	e := oneProcess(t)
	voters := e.newVoters(4)
	meeting, topic := e.runningMeeting("十二月居民会议")
	watched := e.openVote(meeting, topic, map[string]any{"secret": true})
	unwatched := e.openVote(meeting, topic, map[string]any{"secret": true})
	watcher := voters[3] // never votes
	mustVote(t, e.do(voters[2], qCastBallot, map[string]any{"id": watched.ID, "o": "同意"}))

	type event struct {
		VoteTurnout struct {
			HasVoted          bool
			Turnout           struct{ ParticipatingHeads int }
			TurnoutByBuilding []struct{ ParticipatingHeads int }
		}
	}
	var subs []*wsClient
	for c := range connections {
		tok := watcher
		if c == 0 {
			tok = voters[2] // has voted: sees hasVoted, as the vote query would tell them
		}
		sub := e.liveAs(tok)
		for i := range perConnection {
			sub.subscribe(fmt.Sprint(i), `subscription($id: ID!) { voteTurnout(voteId: $id) { hasVoted turnout { participatingHeads } turnoutByBuilding { participatingHeads } } }`,
				map[string]any{"id": watched.ID})
		}
		subs = append(subs, sub)
	}
	e.listening(connections * perConnection)
	for c, sub := range subs {
		for range perConnection {
			var ev event
			sub.data(&ev)
			if ev.VoteTurnout.HasVoted != (c == 0) || ev.VoteTurnout.Turnout.ParticipatingHeads != 1 {
				t.Fatalf("at the start: got %+v", ev.VoteTurnout)
			}
		}
	}

	// What a cast costs by itself (on a vote nobody watches), then with 50 subscribers
	// served; the fewest of two rounds, since background work may run meanwhile.
	alone, served := -1, -1
	for round := range 2 {
		cast := dbtest.Statements(t, e.db)
		mustVote(t, e.do(voters[round], qCastBallot, map[string]any{"id": unwatched.ID, "o": "同意"}))
		if n := cast(); alone < 0 || n < alone {
			alone = n
		}
		count := dbtest.Statements(t, e.db)
		mustVote(t, e.do(voters[round], qCastBallot, map[string]any{"id": watched.ID, "o": "同意"}))
		for c, sub := range subs {
			for range perConnection {
				var ev event
				sub.data(&ev)
				inBuildings := 0
				for _, b := range ev.VoteTurnout.TurnoutByBuilding {
					inBuildings += b.ParticipatingHeads
				}
				if ev.VoteTurnout.HasVoted != (c == 0) || ev.VoteTurnout.Turnout.ParticipatingHeads != round+2 || inBuildings != round+2 {
					t.Fatalf("after cast %d: got %+v, want %d taking part, hasVoted %v", round+1, ev.VoteTurnout, round+2, c == 0)
				}
			}
		}
		if n := count(); served < 0 || n < served {
			served = n
		}
	}
	// Leave before the hub closes: a subscription the hub ends while its connection is
	// closing races in gqlgen (transport.AddSubscriptionError against the closing operation).
	for _, sub := range subs {
		sub.conn.CloseNow()
	}
	for deadline := time.Now().Add(dbtest.TimeLeft(t)); e.opts.Hub.Subscribers() > 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscriptions still listen after their connections closed", e.opts.Hub.Subscribers())
		}
	}
	t.Logf("a cast alone: %d statements; delivered to %d subscribers: %d", alone, connections*perConnection, served)
	if delivery := served - alone; delivery > 12 {
		t.Fatalf("delivering a cast to %d subscribers ran %d statements (the cast alone %d, with them %d), want at most 12 (10 now)",
			connections*perConnection, delivery, alone, served)
	}
}
