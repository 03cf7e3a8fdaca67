package graph_test

import (
	"strings"
	"testing"

	"linli/db/dbtest"
)

// signInStatements counts what signing in costs one request: the statements of a request
// that reads nothing but who is asking. The write tests below count on top of it, so that
// they pin down the write, whatever sign-in costs.
func (e *env) signInStatements(token string) int {
	e.t.Helper()
	count := dbtest.Statements(e.t, e.db)
	e.do(token, `{ me { id } }`, nil).Decode(e.t, new(struct{ Me struct{ ID string } }))
	return count()
}

// A claim, answered with what it opens up, is a fixed number of statements: sign-in, then
// BEGIN; the viewer's account and the wish locked, and the wish read with its claim, places
// (its own, the community, the beneficiary's household and building), the beneficiary and
// the community's rules; the viewer's open claims counted against the cap and the claim
// written with the wish's move and its timeline step; COMMIT; then, for the answer, only the
// viewer's contacts, which the claim has just changed (everything else comes from the
// write). Answered with what the claim did alone (its state and times, as the harness's
// claims are), not even those.
// A mutation waits on no loader batch, so one run is exact.
func TestClaimStatementCount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff, volunteer := e.login(phoneResident), e.login(phoneStaff), e.login(phoneVolunteer)
	warm := e.published(resident, staff, "预热用的心愿")
	w := e.published(resident, staff, "想要一台轮椅")
	// Warm: every statement of the path prepared on the connections.
	mustWish(t, e.claim(volunteer, warm.ID))
	mustWish(t, e.do(volunteer, qRelease, map[string]any{"id": warm.ID}))
	mustWish(t, e.claim(volunteer, warm.ID))

	signIn := e.signInStatements(volunteer)
	count := dbtest.Statements(t, e.db)
	var out struct {
		ClaimWish struct {
			State            string
			BeneficiaryName  string
			BeneficiaryPhone *string
			Address          *string
			Claim            struct{ Claimer struct{ ID string } }
		}
	}
	e.do(volunteer, `mutation($id: ID!) { claimWish(wishId: $id) { state beneficiaryName beneficiaryPhone address
		claim { dueAt claimer { id } } } }`, map[string]any{"id": w.ID}).Decode(t, &out)
	got := count()
	if c := out.ClaimWish; c.State != "CLAIMED" || strings.Contains(c.BeneficiaryName, "*") || c.BeneficiaryPhone == nil ||
		strings.Contains(*c.BeneficiaryPhone, "*") || c.Address == nil || c.Claim.Claimer.ID != e.accountID(phoneVolunteer) {
		t.Fatalf("claim: got %+v, want CLAIMED with the beneficiary's name, phone and address in full, claimed by the volunteer", c)
	}
	if want := signIn + 5; got != want {
		t.Fatalf("statements of one claim: got %d, want %d (sign-in %d, then 5)", got, want, signIn)
	}

	w2 := e.published(resident, staff, "想要一副老花镜")
	count = dbtest.Statements(t, e.db)
	var short struct {
		ClaimWish struct {
			State string
			Claim struct{ ClaimedAt, DueAt string }
		}
	}
	e.do(volunteer, `mutation($id: ID!) { claimWish(wishId: $id) { id state ...Times } }
		fragment Times on Wish { claim { claimedAt dueAt } }`, map[string]any{"id": w2.ID}).Decode(t, &short)
	got = count()
	if c := short.ClaimWish; c.State != "CLAIMED" || c.Claim.ClaimedAt == "" || c.Claim.DueAt == "" {
		t.Fatalf("short claim: got %+v, want CLAIMED with its times", c)
	}
	if want := signIn + 4; got != want {
		t.Fatalf("statements of a claim answered with its state and times: got %d, want %d (sign-in %d, then 4)", got, want, signIn)
	}
}

// A secret ballot is a fixed number of statements, whatever the size of the roll: sign-in,
// then BEGIN, the vote locked and read with its community, the voter's head on the roll, the
// options and a free stripe of the sealed sums; the participation (its trigger adds it to the
// turnout); the stripe written and the turnout read for the answer; COMMIT. The answer (an
// open secret vote shows no tallies and no roll call) needs nothing more.
func TestCastStatementCount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := newSecretVotes(t, e, 3)
	vote := s.votes[1] // secret, not changeable
	// Warm: the vote's sums have a stripe, and every statement is prepared.
	mustVote(t, e.do(s.tokens[0], qCastBallot, map[string]any{"id": vote, "o": "同意"}))

	signIn := e.signInStatements(s.tokens[1])
	count := dbtest.Statements(t, e.db)
	got := mustVote(t, e.do(s.tokens[1], qCastBallot, map[string]any{"id": vote, "o": "反对"}))
	n := count()
	if !got.HasVoted || got.Turnout.ParticipatingHeads != 2 || got.Turnout.EntitledHeads != 3 ||
		got.Turnout.ParticipatingAreaDm2 != int(s.areas[0]+s.areas[1]) || got.Tallies != nil {
		t.Fatalf("cast: got %+v, want voted, 2 of 3 heads with their area taking part, no tallies", got)
	}
	if want := signIn + 5; n != want {
		t.Fatalf("statements of one ballot: got %d, want %d (sign-in %d, then 5)", n, want, signIn)
	}
}
