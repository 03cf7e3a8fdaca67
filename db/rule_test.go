package db_test

import (
	"bytes"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"linli/db"
)

// These tests need no database: vote rules are pure arithmetic.

// heads is a tally counted by heads only.
func heads(entitled, present, approve, oppose, abstain int64) db.Tally {
	return db.Tally{
		Entitled: db.Count{Heads: entitled},
		Present:  db.Count{Heads: present},
		Approve:  db.Count{Heads: approve},
		Oppose:   db.Count{Heads: oppose},
		Abstain:  db.Count{Heads: abstain},
	}
}

// owners is an owners' tally: every count is heads and area (0.01 m²); Present is the sum of
// the ballots, as the owners' presets expect.
func owners(entitled, approve, oppose, abstain db.Count) db.Tally {
	return db.Tally{
		Entitled: entitled,
		Present: db.Count{Heads: approve.Heads + oppose.Heads + abstain.Heads,
			Area: approve.Area + oppose.Area + abstain.Area},
		Approve: approve,
		Oppose:  oppose,
		Abstain: abstain,
	}
}

func c(h, a int64) db.Count { return db.Count{Heads: h, Area: a} }

type decideCase struct {
	name         string
	rule         db.VoteRule
	tally        db.Tally
	quorum, pass bool
	// For rules counting area, the four partial results as well.
	byArea                                       bool
	quorumHeads, quorumArea, passHeads, passArea bool
}

func runDecideCases(t *testing.T, cases []decideCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tc.rule.Decide(tc.tally)
			if err != nil {
				t.Fatalf("Decide: got error %v, want nil", err)
			}
			if d.QuorumMet != tc.quorum {
				t.Errorf("QuorumMet: got %v, want %v", d.QuorumMet, tc.quorum)
			}
			if d.Passed != tc.pass {
				t.Errorf("Passed: got %v, want %v", d.Passed, tc.pass)
			}
			if d.Passed && !d.QuorumMet {
				t.Errorf("Passed without quorum: %+v", d)
			}
			if tc.byArea {
				got := [4]bool{d.QuorumByHeads, d.QuorumByArea, d.PassedByHeads, d.PassedByArea}
				want := [4]bool{tc.quorumHeads, tc.quorumArea, tc.passHeads, tc.passArea}
				if got != want {
					t.Errorf("[quorum heads, quorum area, pass heads, pass area]: got %v, want %v", got, want)
				}
			} else if d.QuorumByArea || d.PassedByArea {
				t.Errorf("heads-only rule: got QuorumByArea %v, PassedByArea %v, want false", d.QuorumByArea, d.PassedByArea)
			}
		})
	}
}

func TestDecideResidentsAssembly(t *testing.T) {
	r := db.Preset(db.PresetResidentsAssembly)
	runDecideCases(t, []decideCase{
		{name: "QuorumExactlyHalfFails", rule: r, tally: heads(100, 50, 50, 0, 0), quorum: false, pass: false},
		{name: "NoQuorumThoughAllPresentApprove", rule: r, tally: heads(101, 50, 50, 0, 0), quorum: false, pass: false},
		{name: "QuorumHalfPlusOne", rule: r, tally: heads(100, 51, 51, 0, 0), quorum: true, pass: true},
		{name: "QuorumOddEntitledJustOverHalf", rule: r, tally: heads(101, 51, 51, 0, 0), quorum: true, pass: true},
		{name: "ApproveExactlyHalfFails", rule: r, tally: heads(100, 60, 30, 30, 0), quorum: true, pass: false},
		{name: "ApproveHalfPlusOne", rule: r, tally: heads(100, 60, 31, 29, 0), quorum: true, pass: true},
		{name: "ApproveOddPresentJustBelowHalf", rule: r, tally: heads(100, 51, 25, 26, 0), quorum: true, pass: false},
		{name: "ApproveOddPresentJustOverHalf", rule: r, tally: heads(100, 51, 26, 25, 0), quorum: true, pass: true},
		{name: "AbstentionsCountAsNotApproving", rule: r, tally: heads(100, 60, 30, 0, 30), quorum: true, pass: false},
		{name: "AbstentionsWithMajority", rule: r, tally: heads(100, 60, 31, 0, 29), quorum: true, pass: true},
		{name: "PresentNotVotingCountAsNotApproving", rule: r, tally: heads(100, 60, 30, 10, 0), quorum: true, pass: false},
		{name: "ZeroEntitled", rule: r, tally: heads(0, 0, 0, 0, 0), quorum: false, pass: false},
		{name: "NoOnePresent", rule: r, tally: heads(10, 0, 0, 0, 0), quorum: false, pass: false},
		{name: "AreaIgnored", rule: r, tally: db.Tally{Entitled: c(10, 1), Present: c(6, 999), Approve: c(4, 0)}, quorum: true, pass: true},
	})
}

func TestDecideRepresentativesMeeting(t *testing.T) {
	r := db.Preset(db.PresetRepresentativesMeeting)
	runDecideCases(t, []decideCase{
		{name: "QuorumExactlyTwoThirds", rule: r, tally: heads(30, 20, 11, 9, 0), quorum: true, pass: true},
		{name: "QuorumOneShortOfTwoThirds", rule: r, tally: heads(30, 19, 19, 0, 0), quorum: false, pass: false},
		{name: "QuorumTwoThirdsNotWhole", rule: r, tally: heads(31, 20, 20, 0, 0), quorum: false, pass: false},
		{name: "QuorumTwoThirdsNotWholeRoundedUp", rule: r, tally: heads(31, 21, 21, 0, 0), quorum: true, pass: true},
		{name: "QuorumHalfPlusOneNotEnough", rule: r, tally: heads(30, 16, 16, 0, 0), quorum: false, pass: false},
		{name: "ApproveExactlyHalfFails", rule: r, tally: heads(30, 20, 10, 10, 0), quorum: true, pass: false},
		{name: "ApproveHalfPlusOne", rule: r, tally: heads(30, 20, 11, 0, 9), quorum: true, pass: true},
		{name: "AbstentionsCountAsNotApproving", rule: r, tally: heads(30, 20, 10, 0, 10), quorum: true, pass: false},
		{name: "ZeroEntitled", rule: r, tally: heads(0, 0, 0, 0, 0), quorum: false, pass: false},
	})
}

func TestDecideCouncilMajority(t *testing.T) {
	r := db.Preset(db.PresetCouncilMajority)
	runDecideCases(t, []decideCase{
		{name: "QuorumExactlyHalfFails", rule: r, tally: heads(10, 5, 5, 0, 0), quorum: false, pass: false},
		{name: "QuorumHalfPlusOne", rule: r, tally: heads(10, 6, 4, 2, 0), quorum: true, pass: true},
		{name: "QuorumOddJustBelowHalf", rule: r, tally: heads(9, 4, 4, 0, 0), quorum: false, pass: false},
		{name: "QuorumOddJustOverHalf", rule: r, tally: heads(9, 5, 3, 2, 0), quorum: true, pass: true},
		{name: "ApproveExactlyHalfFails", rule: r, tally: heads(9, 6, 3, 3, 0), quorum: true, pass: false},
		{name: "AbstentionsCountAsNotApproving", rule: r, tally: heads(9, 6, 3, 0, 3), quorum: true, pass: false},
		{name: "ApproveHalfPlusOne", rule: r, tally: heads(9, 6, 4, 0, 2), quorum: true, pass: true},
		{name: "ZeroEntitled", rule: r, tally: heads(0, 0, 0, 0, 0), quorum: false, pass: false},
	})
}

// A compound of 300 owners holding 30 000 m² (3 000 000 × 0.01 m²).
var compound = c(300, 3_000_000)

func TestDecideOwnersOrdinary(t *testing.T) {
	r := db.Preset(db.PresetOwnersOrdinary)
	runDecideCases(t, []decideCase{
		{name: "ParticipationExactlyTwoThirds", rule: r, tally: owners(compound, c(101, 1_000_001), c(99, 999_999), c(0, 0)),
			quorum: true, pass: true, byArea: true, quorumHeads: true, quorumArea: true, passHeads: true, passArea: true},
		{name: "ParticipationOneOwnerShort", rule: r, tally: owners(compound, c(101, 1_000_001), c(98, 999_999), c(0, 0)),
			quorum: false, pass: false, byArea: true, quorumHeads: false, quorumArea: true, passHeads: true, passArea: true},
		{name: "ParticipationOneHundredthM2Short", rule: r, tally: owners(compound, c(101, 1_000_001), c(99, 999_998), c(0, 0)),
			quorum: false, pass: false, byArea: true, quorumHeads: true, quorumArea: false, passHeads: true, passArea: true},
		{name: "ApproveExactlyHalfHeadsFails", rule: r, tally: owners(compound, c(100, 1_200_000), c(100, 800_000), c(0, 0)),
			quorum: true, pass: false, byArea: true, quorumHeads: true, quorumArea: true, passHeads: false, passArea: true},
		{name: "ApproveExactlyHalfAreaFails", rule: r, tally: owners(compound, c(150, 1_000_000), c(50, 1_000_000), c(0, 0)),
			quorum: true, pass: false, byArea: true, quorumHeads: true, quorumArea: true, passHeads: true, passArea: false},
		{name: "ApproveHalfAreaPlusOneHundredthM2", rule: r, tally: owners(compound, c(101, 1_000_001), c(99, 999_999), c(0, 0)),
			quorum: true, pass: true, byArea: true, quorumHeads: true, quorumArea: true, passHeads: true, passArea: true},
		{name: "PassByHeadsFailByArea", rule: r, tally: owners(compound, c(180, 600_000), c(20, 1_400_000), c(0, 0)),
			quorum: true, pass: false, byArea: true, quorumHeads: true, quorumArea: true, passHeads: true, passArea: false},
		{name: "PassByAreaFailByHeads", rule: r, tally: owners(compound, c(20, 1_400_000), c(180, 600_000), c(0, 0)),
			quorum: true, pass: false, byArea: true, quorumHeads: true, quorumArea: true, passHeads: false, passArea: true},
		{name: "AbstentionsCountAsNotApproving", rule: r, tally: owners(compound, c(100, 1_000_000), c(0, 0), c(100, 1_000_000)),
			quorum: true, pass: false, byArea: true, quorumHeads: true, quorumArea: true, passHeads: false, passArea: false},
		{name: "AbstentionsCountTowardsParticipation", rule: r, tally: owners(compound, c(101, 1_000_001), c(0, 0), c(99, 999_999)),
			quorum: true, pass: true, byArea: true, quorumHeads: true, quorumArea: true, passHeads: true, passArea: true},
		{name: "HeadsQuorumNotMetAreaMet", rule: r, tally: owners(compound, c(150, 2_500_000), c(0, 0), c(0, 0)),
			quorum: false, pass: false, byArea: true, quorumHeads: false, quorumArea: true, passHeads: true, passArea: true},
		{name: "CheckedInButNoBallotDoNotParticipate", rule: r,
			tally:  db.Tally{Entitled: compound, Present: c(250, 2_500_000), Approve: c(150, 1_500_000), Oppose: c(40, 400_000)},
			quorum: false, pass: false, byArea: true, quorumHeads: false, quorumArea: false, passHeads: true, passArea: true},
		{name: "ZeroEntitled", rule: r, tally: owners(c(0, 0), c(0, 0), c(0, 0), c(0, 0)),
			quorum: false, pass: false, byArea: true},
		{name: "ZeroArea", rule: r, tally: owners(c(3, 0), c(3, 0), c(0, 0), c(0, 0)),
			quorum: false, pass: false, byArea: true, quorumHeads: true, quorumArea: false, passHeads: true, passArea: false},
	})
}

func TestDecideOwnersMajor(t *testing.T) {
	r := db.Preset(db.PresetOwnersMajor)
	runDecideCases(t, []decideCase{
		{name: "ExactlyThreeQuarters", rule: r, tally: owners(compound, c(150, 1_500_000), c(50, 500_000), c(0, 0)),
			quorum: true, pass: true, byArea: true, quorumHeads: true, quorumArea: true, passHeads: true, passArea: true},
		{name: "OneOwnerBelowThreeQuarters", rule: r, tally: owners(compound, c(149, 1_500_000), c(51, 500_000), c(0, 0)),
			quorum: true, pass: false, byArea: true, quorumHeads: true, quorumArea: true, passHeads: false, passArea: true},
		{name: "OneHundredthM2BelowThreeQuarters", rule: r, tally: owners(compound, c(150, 1_499_999), c(50, 500_001), c(0, 0)),
			quorum: true, pass: false, byArea: true, quorumHeads: true, quorumArea: true, passHeads: true, passArea: false},
		{name: "MoreThanHalfNotEnough", rule: r, tally: owners(compound, c(140, 1_400_000), c(60, 600_000), c(0, 0)),
			quorum: true, pass: false, byArea: true, quorumHeads: true, quorumArea: true, passHeads: false, passArea: false},
		{name: "AbstentionsCountAsNotApproving", rule: r, tally: owners(compound, c(149, 1_499_999), c(0, 0), c(51, 500_001)),
			quorum: true, pass: false, byArea: true, quorumHeads: true, quorumArea: true, passHeads: false, passArea: false},
		{name: "ParticipationOneOwnerShort", rule: r, tally: owners(compound, c(199, 2_000_000), c(0, 0), c(0, 0)),
			quorum: false, pass: false, byArea: true, quorumHeads: false, quorumArea: true, passHeads: true, passArea: true},
		{name: "ParticipationOneHundredthM2Short", rule: r, tally: owners(compound, c(200, 1_999_999), c(0, 0), c(0, 0)),
			quorum: false, pass: false, byArea: true, quorumHeads: true, quorumArea: false, passHeads: true, passArea: true},
		{name: "PassByHeadsFailByArea", rule: r, tally: owners(compound, c(190, 1_000_000), c(10, 1_000_000), c(0, 0)),
			quorum: true, pass: false, byArea: true, quorumHeads: true, quorumArea: true, passHeads: true, passArea: false},
		{name: "PassByAreaFailByHeads", rule: r, tally: owners(compound, c(100, 1_900_000), c(100, 100_000), c(0, 0)),
			quorum: true, pass: false, byArea: true, quorumHeads: true, quorumArea: true, passHeads: false, passArea: true},
		{name: "ZeroEntitled", rule: r, tally: owners(c(0, 0), c(0, 0), c(0, 0), c(0, 0)),
			quorum: false, pass: false, byArea: true},
	})
}

func custom(q, p db.Threshold, byArea bool, basis db.QuorumBasis, abst db.AbstentionRule) db.VoteRule {
	return db.VoteRule{Preset: db.PresetCustom, Quorum: q, Pass: p, ByArea: byArea, QuorumBasis: basis, Abstentions: abst}
}

func TestDecideCustom(t *testing.T) {
	moreThird := db.Threshold{Num: 1, Den: 3, Strict: true}
	atLeastThird := db.Threshold{Num: 1, Den: 3}
	atLeastHalf := db.Threshold{Num: 1, Den: 2}
	moreHalf := db.Threshold{Num: 1, Den: 2, Strict: true}
	moreTwoThirds := db.Threshold{Num: 2, Den: 3, Strict: true}
	noQuorum := db.Threshold{Num: 0, Den: 1}
	runDecideCases(t, []decideCase{
		{name: "QuorumAtLeastThirdExact", rule: custom(atLeastThird, moreHalf, false, db.QuorumPresent, db.AbstainAsPresent),
			tally: heads(30, 10, 6, 4, 0), quorum: true, pass: true},
		{name: "QuorumMoreThanThirdExactFails", rule: custom(moreThird, moreHalf, false, db.QuorumPresent, db.AbstainAsPresent),
			tally: heads(30, 10, 6, 4, 0), quorum: false, pass: false},
		{name: "QuorumMoreThanThirdPlusOne", rule: custom(moreThird, moreHalf, false, db.QuorumPresent, db.AbstainAsPresent),
			tally: heads(30, 11, 6, 5, 0), quorum: true, pass: true},
		{name: "PassAtLeastHalfExact", rule: custom(atLeastThird, atLeastHalf, false, db.QuorumPresent, db.AbstainAsPresent),
			tally: heads(30, 20, 10, 10, 0), quorum: true, pass: true},
		{name: "PassMoreThanHalfExactFails", rule: custom(atLeastThird, moreHalf, false, db.QuorumPresent, db.AbstainAsPresent),
			tally: heads(30, 20, 10, 10, 0), quorum: true, pass: false},
		{name: "PassMoreThanTwoThirdsExactFails", rule: custom(atLeastThird, moreTwoThirds, false, db.QuorumPresent, db.AbstainAsPresent),
			tally: heads(30, 30, 20, 10, 0), quorum: true, pass: false},
		{name: "PassMoreThanTwoThirdsPlusOne", rule: custom(atLeastThird, moreTwoThirds, false, db.QuorumPresent, db.AbstainAsPresent),
			tally: heads(30, 30, 21, 9, 0), quorum: true, pass: true},
		{name: "AbstentionsAsPresentFail", rule: custom(atLeastThird, moreHalf, false, db.QuorumPresent, db.AbstainAsPresent),
			tally: heads(40, 40, 10, 9, 21), quorum: true, pass: false},
		{name: "AbstentionsExcludedPass", rule: custom(atLeastThird, moreHalf, false, db.QuorumPresent, db.AbstainExcluded),
			tally: heads(40, 40, 10, 9, 21), quorum: true, pass: true},
		{name: "AbstentionsExcludedExactlyHalfFails", rule: custom(atLeastThird, moreHalf, false, db.QuorumPresent, db.AbstainExcluded),
			tally: heads(40, 40, 10, 10, 20), quorum: true, pass: false},
		{name: "AbstentionsExcludedAtLeastHalfExact", rule: custom(atLeastThird, atLeastHalf, false, db.QuorumPresent, db.AbstainExcluded),
			tally: heads(40, 40, 10, 10, 20), quorum: true, pass: true},
		{name: "AbstentionsExcludedPresentNotVotingExcluded", rule: custom(atLeastThird, moreHalf, false, db.QuorumPresent, db.AbstainExcluded),
			tally: heads(40, 40, 3, 2, 0), quorum: true, pass: true},
		{name: "AbstentionsExcludedAllAbstainFails", rule: custom(atLeastThird, moreHalf, false, db.QuorumPresent, db.AbstainExcluded),
			tally: heads(40, 40, 0, 0, 40), quorum: true, pass: false},
		{name: "AbstentionsExcludedAtLeastHalfAllAbstainFails", rule: custom(noQuorum, atLeastHalf, false, db.QuorumPresent, db.AbstainExcluded),
			tally: heads(40, 40, 0, 0, 40), quorum: true, pass: false},
		{name: "BasisPresentCountsCheckIns", rule: custom(moreHalf, moreHalf, false, db.QuorumPresent, db.AbstainAsPresent),
			tally: heads(100, 60, 31, 9, 0), quorum: true, pass: true},
		{name: "BasisVotedCountsBallots", rule: custom(moreHalf, moreHalf, false, db.QuorumVoted, db.AbstainAsPresent),
			tally: heads(100, 60, 31, 9, 0), quorum: false, pass: false},
		{name: "BasisVotedPassOfBallots", rule: custom(atLeastThird, moreHalf, false, db.QuorumVoted, db.AbstainAsPresent),
			tally: heads(100, 60, 21, 19, 0), quorum: true, pass: true},
		{name: "NoQuorumRequired", rule: custom(noQuorum, moreHalf, false, db.QuorumPresent, db.AbstainAsPresent),
			tally: heads(100, 1, 1, 0, 0), quorum: true, pass: true},
		{name: "NoQuorumRequiredZeroEntitled", rule: custom(noQuorum, moreHalf, false, db.QuorumPresent, db.AbstainAsPresent),
			tally: heads(0, 0, 0, 0, 0), quorum: false, pass: false},
		{name: "ByAreaBothMustHold", rule: custom(moreHalf, atLeastHalf, true, db.QuorumPresent, db.AbstainExcluded),
			tally:  db.Tally{Entitled: c(10, 1000), Present: c(6, 501), Approve: c(3, 250), Oppose: c(3, 251)},
			quorum: true, pass: false, byArea: true, quorumHeads: true, quorumArea: true, passHeads: true, passArea: false},
		{name: "ByAreaQuorumAreaExactHalfFails", rule: custom(moreHalf, atLeastHalf, true, db.QuorumPresent, db.AbstainExcluded),
			tally:  db.Tally{Entitled: c(10, 1000), Present: c(6, 500), Approve: c(3, 250), Oppose: c(3, 250)},
			quorum: false, pass: false, byArea: true, quorumHeads: true, quorumArea: false, passHeads: true, passArea: true},
	})
}

func TestDecideHugeAreasDoNotOverflow(t *testing.T) {
	const huge = 9_000_000_000_000_000 // 9e15 × 0.01 m²
	major := db.Preset(db.PresetOwnersMajor)
	ordinary := db.Preset(db.PresetOwnersOrdinary)
	maxT := db.Tally{
		Entitled: c(math.MaxInt64, math.MaxInt64),
		Present:  c(math.MaxInt64, math.MaxInt64),
		Approve:  c(math.MaxInt64-1, math.MaxInt64-1),
		Oppose:   c(1, 1),
	}
	nearOne := custom(db.Threshold{Num: math.MaxInt64 - 1, Den: math.MaxInt64},
		db.Threshold{Num: math.MaxInt64 - 1, Den: math.MaxInt64}, true, db.QuorumPresent, db.AbstainAsPresent)
	nearOneStrict := nearOne
	nearOneStrict.Pass.Strict = true
	runDecideCases(t, []decideCase{
		{name: "ExactlyTwoThirdsAndThreeQuarters", rule: major, tally: owners(c(3, huge), c(2, huge/2), c(0, huge/6), c(0, 0)),
			quorum: true, pass: true, byArea: true, quorumHeads: true, quorumArea: true, passHeads: true, passArea: true},
		{name: "AreaOneShortOfTwoThirds", rule: major, tally: owners(c(3, huge), c(2, huge/2), c(0, huge/6-1), c(0, 0)),
			quorum: false, pass: false, byArea: true, quorumHeads: true, quorumArea: false, passHeads: true, passArea: true},
		{name: "AreaOneShortOfThreeQuarters", rule: major, tally: owners(c(3, huge), c(2, huge/2-1), c(0, huge/6+1), c(0, 0)),
			quorum: true, pass: false, byArea: true, quorumHeads: true, quorumArea: true, passHeads: true, passArea: false},
		{name: "AreaExactlyHalfFails", rule: ordinary, tally: owners(c(3, huge), c(2, huge/3), c(1, huge/3), c(0, 0)),
			quorum: true, pass: false, byArea: true, quorumHeads: true, quorumArea: true, passHeads: true, passArea: false},
		{name: "AreaHalfPlusOneHundredthM2", rule: ordinary, tally: owners(c(3, huge), c(2, huge/3+1), c(1, huge/3-1), c(0, 0)),
			quorum: true, pass: true, byArea: true, quorumHeads: true, quorumArea: true, passHeads: true, passArea: true},
		{name: "MaxInt64AtLeastNearOne", rule: nearOne, tally: maxT,
			quorum: true, pass: true, byArea: true, quorumHeads: true, quorumArea: true, passHeads: true, passArea: true},
		{name: "MaxInt64MoreThanNearOneExactFails", rule: nearOneStrict, tally: maxT,
			quorum: true, pass: false, byArea: true, quorumHeads: true, quorumArea: true, passHeads: false, passArea: false},
	})
}

func TestVoteRuleValidate(t *testing.T) {
	ok := custom(db.Threshold{Num: 1, Den: 2, Strict: true}, db.Threshold{Num: 2, Den: 3}, true, db.QuorumVoted, db.AbstainExcluded)
	with := func(f func(*db.VoteRule)) db.VoteRule { r := ok; f(&r); return r }
	for _, tc := range []struct {
		name  string
		rule  db.VoteRule
		field string // "" for a valid rule
	}{
		{"Custom", ok, ""},
		{"NoQuorum", with(func(r *db.VoteRule) { r.Quorum = db.Threshold{Num: 0, Den: 1} }), ""},
		{"PassMoreThanNothing", with(func(r *db.VoteRule) { r.Pass = db.Threshold{Num: 0, Den: 1, Strict: true} }), ""},
		{"PassAtLeastAll", with(func(r *db.VoteRule) { r.Pass = db.Threshold{Num: 1, Den: 1} }), ""},
		{"UnknownPreset", with(func(r *db.VoteRule) { r.Preset = "owners" }), "rule.preset"},
		{"EmptyPreset", db.VoteRule{}, "rule.preset"},
		{"PresetAltered", with(func(r *db.VoteRule) { *r = db.Preset(db.PresetOwnersMajor); r.Pass.Num = 2; r.Pass.Den = 3 }), "rule.preset"},
		{"PresetWithoutArea", with(func(r *db.VoteRule) { *r = db.Preset(db.PresetOwnersOrdinary); r.ByArea = false }), "rule.preset"},
		{"PassZeroDen", with(func(r *db.VoteRule) { r.Pass.Den = 0 }), "rule.pass"},
		{"PassNegativeDen", with(func(r *db.VoteRule) { r.Pass = db.Threshold{Num: -1, Den: -2} }), "rule.pass"},
		{"PassNegativeNum", with(func(r *db.VoteRule) { r.Pass.Num = -1 }), "rule.pass"},
		{"PassOverOne", with(func(r *db.VoteRule) { r.Pass = db.Threshold{Num: 4, Den: 3} }), "rule.pass"},
		{"PassMoreThanAll", with(func(r *db.VoteRule) { r.Pass = db.Threshold{Num: 1, Den: 1, Strict: true} }), "rule.pass"},
		{"PassMoreThanAllScaled", with(func(r *db.VoteRule) { r.Pass = db.Threshold{Num: 3, Den: 3, Strict: true} }), "rule.pass"},
		{"PassAtLeastZero", with(func(r *db.VoteRule) { r.Pass = db.Threshold{Num: 0, Den: 5} }), "rule.pass"},
		{"QuorumZeroDen", with(func(r *db.VoteRule) { r.Quorum.Den = 0 }), "rule.quorum"},
		{"QuorumNegativeNum", with(func(r *db.VoteRule) { r.Quorum.Num = -1 }), "rule.quorum"},
		{"QuorumOverOne", with(func(r *db.VoteRule) { r.Quorum = db.Threshold{Num: 3, Den: 2} }), "rule.quorum"},
		{"QuorumMoreThanAll", with(func(r *db.VoteRule) { r.Quorum = db.Threshold{Num: 2, Den: 2, Strict: true} }), "rule.quorum"},
		{"UnknownBasis", with(func(r *db.VoteRule) { r.QuorumBasis = "" }), "rule.quorumBasis"},
		{"UnknownAbstentions", with(func(r *db.VoteRule) { r.Abstentions = "ignored" }), "rule.abstentions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.rule.Validate()
			checkInvalid(t, err, tc.field)
			// Decide refuses what Validate refuses.
			_, err = tc.rule.Decide(heads(10, 6, 6, 0, 0))
			checkInvalid(t, err, tc.field)
		})
	}
}

func checkInvalid(t *testing.T, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		return
	}
	if got := db.ErrorCode(err); got != db.EINVALID {
		t.Fatalf("got code %q (%v), want %q", got, err, db.EINVALID)
	}
	if got := err.(*db.Error).Field; got != field {
		t.Errorf("got field %q, want %q", got, field)
	}
	if err.(*db.Error).Message == "" {
		t.Errorf("got empty message")
	}
}

func TestVoteRulePresets(t *testing.T) {
	for _, tc := range []struct {
		p            db.VoteRulePreset
		name         string
		quorum, pass db.Threshold
		byArea       bool
		basis        db.QuorumBasis
	}{
		{db.PresetResidentsAssembly, "居民会议", db.Threshold{Num: 1, Den: 2, Strict: true}, db.Threshold{Num: 1, Den: 2, Strict: true}, false, db.QuorumPresent},
		{db.PresetRepresentativesMeeting, "居民代表会议", db.Threshold{Num: 2, Den: 3}, db.Threshold{Num: 1, Den: 2, Strict: true}, false, db.QuorumPresent},
		{db.PresetOwnersOrdinary, "业主大会（一般事项）", db.Threshold{Num: 2, Den: 3}, db.Threshold{Num: 1, Den: 2, Strict: true}, true, db.QuorumVoted},
		{db.PresetOwnersMajor, "业主大会（重大事项）", db.Threshold{Num: 2, Den: 3}, db.Threshold{Num: 3, Den: 4}, true, db.QuorumVoted},
		{db.PresetCouncilMajority, "议事会", db.Threshold{Num: 1, Den: 2, Strict: true}, db.Threshold{Num: 1, Den: 2, Strict: true}, false, db.QuorumPresent},
		{db.PresetCustom, "自定义", db.Threshold{Num: 1, Den: 2, Strict: true}, db.Threshold{Num: 1, Den: 2, Strict: true}, false, db.QuorumPresent},
	} {
		t.Run(string(tc.p), func(t *testing.T) {
			r := db.Preset(tc.p)
			want := db.VoteRule{Preset: tc.p, Quorum: tc.quorum, Pass: tc.pass, ByArea: tc.byArea,
				QuorumBasis: tc.basis, Abstentions: db.AbstainAsPresent}
			if r != want {
				t.Errorf("got %+v, want %+v", r, want)
			}
			if err := r.Validate(); err != nil {
				t.Errorf("Validate: got %v, want nil", err)
			}
			if got := tc.p.Name(); got != tc.name {
				t.Errorf("Name: got %q, want %q", got, tc.name)
			}
		})
	}
	if got := db.Preset("nonsense").Validate(); db.ErrorCode(got) != db.EINVALID {
		t.Errorf("unknown preset: got %v, want INVALID_INPUT", got)
	}
}

func TestVoteRuleGQL(t *testing.T) {
	var buf bytes.Buffer
	db.PresetOwnersMajor.MarshalGQL(&buf)
	if got, want := buf.String(), `"OWNERS_MAJOR"`; got != want {
		t.Errorf("MarshalGQL: got %s, want %s", got, want)
	}
	var p db.VoteRulePreset
	if err := p.UnmarshalGQL("REPRESENTATIVES_MEETING"); err != nil || p != db.PresetRepresentativesMeeting {
		t.Errorf("UnmarshalGQL: got %q, %v, want %q", p, err, db.PresetRepresentativesMeeting)
	}
	if err := p.UnmarshalGQL("OWNERS"); err == nil {
		t.Errorf("UnmarshalGQL(OWNERS): got nil error, want one")
	}
	var a db.AbstentionRule
	if err := a.UnmarshalGQL("AS_PRESENT_NOT_APPROVING"); err != nil || a != db.AbstainAsPresent {
		t.Errorf("AbstentionRule: got %q, %v", a, err)
	}
	var b db.QuorumBasis
	if err := b.UnmarshalGQL("VOTED"); err != nil || b != db.QuorumVoted {
		t.Errorf("QuorumBasis: got %q, %v", b, err)
	}
	var cmp db.Comparison
	if err := cmp.UnmarshalGQL("MORE_THAN"); err != nil || !cmp.Strict() {
		t.Errorf("Comparison MORE_THAN: got %q, %v, strict %v", cmp, err, cmp.Strict())
	}
	if err := cmp.UnmarshalGQL("AT_LEAST"); err != nil || cmp.Strict() {
		t.Errorf("Comparison AT_LEAST: got %q, %v, strict %v", cmp, err, cmp.Strict())
	}
	for _, tc := range []struct {
		th   db.Threshold
		want string
	}{
		{db.Threshold{Num: 1, Den: 2, Strict: true}, "过半数"},
		{db.Threshold{Num: 2, Den: 3}, "不少于2/3"},
		{db.Threshold{Num: 2, Den: 3, Strict: true}, "超过2/3"},
	} {
		if got := tc.th.Name(); got != tc.want {
			t.Errorf("Name of %+v: got %q, want %q", tc.th, got, tc.want)
		}
		if got := tc.th.Comparison().Strict(); got != tc.th.Strict {
			t.Errorf("Comparison of %+v: got strict %v", tc.th, got)
		}
	}
}

func TestDecideInvalidTally(t *testing.T) {
	ra := db.Preset(db.PresetResidentsAssembly)
	oo := db.Preset(db.PresetOwnersOrdinary)
	for _, tc := range []struct {
		name  string
		rule  db.VoteRule
		tally db.Tally
		field string
	}{
		{"NegativeEntitled", ra, heads(-1, 0, 0, 0, 0), "tally.entitled"},
		{"NegativePresent", ra, heads(10, -1, 0, 0, 0), "tally.present"},
		{"NegativeApprove", ra, heads(10, 5, -1, 0, 0), "tally.approve"},
		{"NegativeOppose", ra, heads(10, 5, 0, -1, 0), "tally.oppose"},
		{"NegativeAbstain", ra, heads(10, 5, 0, 0, -1), "tally.abstain"},
		{"BallotsOverPresent", ra, heads(10, 5, 3, 2, 1), "tally.present"},
		{"ApproveOverPresent", ra, heads(10, 5, 6, 0, 0), "tally.present"},
		{"PresentOverEntitled", ra, heads(10, 11, 6, 0, 0), "tally.present"},
		{"BallotsOverflowInt64", ra, heads(math.MaxInt64, math.MaxInt64, math.MaxInt64, math.MaxInt64, math.MaxInt64), "tally.present"},
		{"NegativeArea", oo, db.Tally{Entitled: c(10, 100), Present: c(7, 70), Approve: c(7, -1)}, "tally.approve"},
		{"NegativeAreaHeadsOnlyRule", ra, db.Tally{Entitled: c(10, 100), Present: c(7, -70)}, "tally.present"},
		{"NegativeEntitledArea", oo, owners(c(10, -100), c(7, 70), c(0, 0), c(0, 0)), "tally.entitled"},
		{"AreaPresentOverEntitled", oo, owners(c(10, 100), c(7, 101), c(0, 0), c(0, 0)), "tally.present"},
		{"AreaBallotsOverPresent", oo, db.Tally{Entitled: c(10, 100), Present: c(7, 70), Approve: c(7, 71)}, "tally.present"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tc.rule.Decide(tc.tally)
			checkInvalid(t, err, tc.field)
			if d != (db.Decision{}) {
				t.Errorf("got decision %+v with error, want zero", d)
			}
		})
	}
}

// TestDecideAgreesWithRat checks Decide against an independent computation with exact
// rationals, on random small tallies and rules.
func TestDecideAgreesWithRat(t *testing.T) {
	rng := rand.New(rand.NewPCG(20261123, 278))
	presets := []db.VoteRulePreset{db.PresetResidentsAssembly, db.PresetRepresentativesMeeting,
		db.PresetOwnersOrdinary, db.PresetOwnersMajor, db.PresetCouncilMajority}
	randThreshold := func(pass bool) db.Threshold {
		for {
			den := rng.Int64N(6) + 1
			th := db.Threshold{Num: rng.Int64N(den + 1), Den: den, Strict: rng.IntN(2) == 0}
			if th.Strict && th.Num == th.Den || pass && !th.Strict && th.Num == 0 {
				continue
			}
			return th
		}
	}
	// count splits n into a random part not above n.
	part := func(n int64) int64 { return rng.Int64N(n + 1) }
	for i := range 100_000 {
		var r db.VoteRule
		if i%2 == 0 {
			r = db.Preset(presets[rng.IntN(len(presets))])
		} else {
			r = custom(randThreshold(false), randThreshold(true), rng.IntN(2) == 0,
				[]db.QuorumBasis{db.QuorumPresent, db.QuorumVoted}[rng.IntN(2)],
				[]db.AbstentionRule{db.AbstainAsPresent, db.AbstainExcluded}[rng.IntN(2)])
		}
		var tl db.Tally
		for _, m := range []struct {
			max int64
			set func(*db.Count, int64)
		}{
			{13, func(c *db.Count, v int64) { c.Heads = v }},
			{40, func(c *db.Count, v int64) { c.Area = v }},
		} {
			e := rng.Int64N(m.max)
			p := part(e)
			a := part(p)
			o := part(p - a)
			ab := part(p - a - o)
			if (r.Preset == db.PresetOwnersOrdinary || r.Preset == db.PresetOwnersMajor) && rng.IntN(4) != 0 {
				p = a + o + ab // as the owners' presets expect, most of the time
			}
			m.set(&tl.Entitled, e)
			m.set(&tl.Present, p)
			m.set(&tl.Approve, a)
			m.set(&tl.Oppose, o)
			m.set(&tl.Abstain, ab)
		}
		got, err := r.Decide(tl)
		if err != nil {
			t.Fatalf("case %d: Decide(%+v) under %+v: got error %v", i, tl, r, err)
		}
		if want := ratDecide(r, tl); got != want {
			t.Fatalf("case %d: Decide(%+v) under %+v: got %+v, want %+v", i, tl, r, got, want)
		}
	}
}

// ratDecide is the reference: the rule's definition spelled out with big.Rat.
func ratDecide(r db.VoteRule, tl db.Tally) db.Decision {
	meets := func(th db.Threshold, a, b int64) bool {
		if b == 0 {
			return false
		}
		cmp := new(big.Rat).SetFrac64(a, b).Cmp(new(big.Rat).SetFrac64(th.Num, th.Den))
		return cmp > 0 || cmp == 0 && !th.Strict
	}
	one := func(get func(db.Count) int64) (quorum, pass bool) {
		took := get(tl.Present)
		if r.QuorumBasis == db.QuorumVoted {
			took = get(tl.Approve) + get(tl.Oppose) + get(tl.Abstain)
		}
		base := took
		if r.Abstentions == db.AbstainExcluded {
			base = get(tl.Approve) + get(tl.Oppose)
		}
		return meets(r.Quorum, took, get(tl.Entitled)), meets(r.Pass, get(tl.Approve), base)
	}
	var d db.Decision
	d.QuorumByHeads, d.PassedByHeads = one(func(c db.Count) int64 { return c.Heads })
	if r.ByArea {
		d.QuorumByArea, d.PassedByArea = one(func(c db.Count) int64 { return c.Area })
	}
	d.QuorumMet = d.QuorumByHeads && (!r.ByArea || d.QuorumByArea)
	d.Passed = d.QuorumMet && d.PassedByHeads && (!r.ByArea || d.PassedByArea)
	return d
}
