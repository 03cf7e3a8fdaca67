package graph_test

import (
	"fmt"
	"testing"

	"linli/db"
)

// TestBallotBoxJudgesEachCast releases at once, into a secret vote that cannot be changed
// (whose casts are written in batches), ballots that must each be judged alone: voters
// casting once, voters casting twice with different options, ballots for an option the vote
// lacks, and voters not on the roll. Each gets its own answer, and the tallies at close are
// exactly the options of the ballots that were answered with success.
func TestBallotBoxJudgesEachCast(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 120
	voters := e.newVotersFast(n)
	meeting, topic := e.runningMeeting("十一月居民会议")
	late := e.newVoters(5) // registered after the meeting began: not on its roll
	staff := e.login(phoneStaff)

	for round := range 2 { // the second round's vote is the second this process has seen
		v := e.openVote(meeting, topic, nil)
		var tokens, options []string
		add := func(tok, option string) { tokens, options = append(tokens, tok), append(options, option) }
		for i, tok := range voters {
			add(tok, db.DefaultVoteOptions[i%3])
			switch {
			case i%4 == 0:
				add(tok, db.DefaultVoteOptions[(i+1)%3]) // twice, choosing differently
			case i%10 == 1:
				add(tok, "也许") // and once more, for no such option
			}
		}
		for _, tok := range late {
			add(tok, "同意")
		}
		codes := e.castAll(tokens, v.ID, options, 0, nil)

		want := map[string]int{}
		won := map[string]int{} // successes per voter
		for i, code := range codes {
			tok, option := tokens[i], options[i]
			switch {
			case code == "":
				want[option]++
				won[tok]++
			case option == "也许":
				if code != db.EINVALID {
					t.Fatalf("round %d: ballot %d for no such option: got %q, want %s", round, i, code, db.EINVALID)
				}
			case i >= len(tokens)-len(late):
				if code != db.EFORBIDDEN {
					t.Fatalf("round %d: voter not on the roll: got %q, want %s", round, code, db.EFORBIDDEN)
				}
			case code != db.ECONFLICT:
				t.Fatalf("round %d: ballot %d (%s): got %q, want success or %s", round, i, option, code, db.ECONFLICT)
			}
		}
		for _, tok := range voters {
			if won[tok] != 1 {
				t.Fatalf("round %d: a voter's ballots succeeded %d times, want once", round, won[tok])
			}
		}
		got := mustVote(t, e.do(staff, qCloseVote, map[string]any{"id": v.ID}))
		if !talliedHeads(got, want) {
			t.Fatalf("round %d: tallies %v, want the successful ballots' options %v", round, got.Tallies, want)
		}
		if got.Turnout.ParticipatingHeads != n {
			t.Fatalf("round %d: %d took part, want %d", round, got.Turnout.ParticipatingHeads, n)
		}
	}
}

// TestBallotBoxCoOwners has the 16 co-owners of one flat cast at once, amid the repeated
// casts of six other owners, in several secret votes that cannot be changed: co-owners who
// reach the box together are written in one batch, and still one ballot is the flat's, and
// the co-owner told they voted is the one the vote says has voted.
func TestBallotBoxCoOwners(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const coOwners = 16
	c := newLawCompound(e, coOwners-2)
	var tokens, options, who []string
	for range 4 {
		for _, o := range []string{"O1", "O2", "O3", "O4", "O5", "O6"} {
			tokens, options, who = append(tokens, c.tokens[o]), append(options, "同意"), append(who, o)
		}
	}
	for i := range coOwners {
		x := fmt.Sprintf("X%d", i+1)
		tokens, options, who = append(tokens, c.tokens[x]), append(options, db.DefaultVoteOptions[i%3]), append(who, x)
	}
	staff := e.login(phoneStaff)
	for round := range 4 {
		v := c.openOwnersVote("OWNERS_ORDINARY", true, false)
		codes := e.castAll(tokens, v.ID, options, 0, nil)
		won := map[string]int{}
		want := map[string]int{}
		for i, code := range codes {
			switch code {
			case "":
				won[who[i][:1]]++ // X for the flat's co-owners, O for the others
				want[options[i]]++
			case db.ECONFLICT:
			default:
				t.Fatalf("round %d: %s got %q, want success or %s", round, who[i], code, db.ECONFLICT)
			}
		}
		if won["X"] != 1 || won["O"] != 6 {
			t.Fatalf("round %d: %d of the co-owners and %d other owners succeeded, want 1 and 6", round, won["X"], won["O"])
		}
		for i := len(tokens) - coOwners; i < len(tokens); i++ {
			if got := mustVote(t, e.do(tokens[i], qVote, map[string]any{"id": v.ID})).HasVoted; got != (codes[i] == "") {
				t.Fatalf("round %d: %s was answered %q, and hasVoted is %v", round, who[i], codes[i], got)
			}
		}
		got := mustVote(t, e.do(staff, qCloseVote, map[string]any{"id": v.ID}))
		if !talliedHeads(got, want) {
			t.Fatalf("round %d: tallies %v, want the successful ballots' options %v", round, got.Tallies, want)
		}
	}
}

// talliedHeads reports whether closed vote v counted want[option] heads for each option.
func talliedHeads(v voteOut, want map[string]int) bool {
	for _, tl := range v.Tallies {
		if tl.Heads != want[tl.Option] {
			return false
		}
	}
	return len(v.Tallies) > 0
}
