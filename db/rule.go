package db

import (
	"fmt"
	"io"
	"math/bits"
	"slices"
)

// Vote rules: the quorum and the majority a vote (表决) must reach to decide a motion. A wrong
// quorum or majority makes a decision invalid in law, so every ratio is an exact fraction and
// every comparison is done in integers (128-bit products, see atLeastFrac): there is no
// floating point here and nothing can overflow.

// VoteRulePreset names a vote rule fixed by law or common practice, or CUSTOM.
type VoteRulePreset string

// Vote rule presets.
const (
	// PresetResidentsAssembly is a residents' assembly (居民会议, 城市居民委员会组织法 art. 9):
	// quorum more than half of those entitled present; passes with more than half of those
	// present approving. Heads only.
	PresetResidentsAssembly VoteRulePreset = "residents_assembly"
	// PresetRepresentativesMeeting is a residents' representatives' meeting (居民代表会议): at
	// least 2/3 of those entitled present; more than half of those present approving. Heads only.
	PresetRepresentativesMeeting VoteRulePreset = "representatives_meeting"
	// PresetOwnersOrdinary is an owners' assembly on an ordinary matter (业主大会一般事项, 民法典
	// art. 278): owners holding at least 2/3 of the floor area and at least 2/3 in number take
	// part; passes with more than half of the participating area and more than half of the
	// participating owners. Heads and area, both must hold.
	PresetOwnersOrdinary VoteRulePreset = "owners_ordinary"
	// PresetOwnersMajor is an owners' assembly on a major matter (raising the repair fund,
	// rebuilding, changing the use of common parts): participation as for ordinary matters;
	// passes with at least 3/4 of the participating area and at least 3/4 of the participating
	// owners.
	PresetOwnersMajor VoteRulePreset = "owners_major"
	// PresetCouncilMajority is a council meeting (议事会): more than half of those entitled
	// present; more than half of those present approving. Heads only.
	PresetCouncilMajority VoteRulePreset = "council_majority"
	// PresetCustom is a rule set by a body's own articles: every field of VoteRule is given.
	PresetCustom VoteRulePreset = "custom"
)

var voteRulePresets = []VoteRulePreset{PresetResidentsAssembly, PresetRepresentativesMeeting,
	PresetOwnersOrdinary, PresetOwnersMajor, PresetCouncilMajority, PresetCustom}

var voteRulePresetNames = map[VoteRulePreset]string{
	PresetResidentsAssembly:      "居民会议",
	PresetRepresentativesMeeting: "居民代表会议",
	PresetOwnersOrdinary:         "业主大会（一般事项）",
	PresetOwnersMajor:            "业主大会（重大事项）",
	PresetCouncilMajority:        "议事会",
	PresetCustom:                 "自定义",
}

// Name is the preset's Chinese name, "" for an unknown preset.
func (p VoteRulePreset) Name() string { return voteRulePresetNames[p] }

// QuorumBasis says who counts as taking part, for the quorum and, when abstentions count as
// present, for the denominator of the pass ratio.
type QuorumBasis string

// Quorum bases.
const (
	// QuorumPresent counts Tally.Present: those checked in at a meeting. Someone present who
	// casts no ballot counts towards the quorum (and, under AbstainAsPresent, as not approving).
	QuorumPresent QuorumBasis = "present"
	// QuorumVoted counts those who cast a ballot, Approve+Oppose+Abstain ("参与表决"). Used by
	// the owners' presets. A blank or spoiled ballot is passed by the caller as Abstain.
	QuorumVoted QuorumBasis = "voted"
)

var quorumBases = []QuorumBasis{QuorumPresent, QuorumVoted}

// AbstentionRule says how abstentions count in the pass ratio.
type AbstentionRule string

// Abstention rules.
const (
	// AbstainAsPresent: the pass ratio is taken of everyone taking part (per QuorumBasis), so
	// abstentions — and, with QuorumPresent, those present who did not vote — count as not
	// approving. This is the law's "of those present" and is what every preset uses.
	AbstainAsPresent AbstentionRule = "as_present_not_approving"
	// AbstainExcluded: the pass ratio is Approve / (Approve+Oppose); abstentions and those
	// present who did not vote are left out.
	AbstainExcluded AbstentionRule = "excluded"
)

var abstentionRules = []AbstentionRule{AbstainAsPresent, AbstainExcluded}

// Comparison is how a ratio is compared with a threshold, as the GraphQL layer names it.
type Comparison string

// Comparisons.
const (
	MoreThan Comparison = "more_than" // 超过, 过半数: strictly greater
	AtLeast  Comparison = "at_least"  // 不少于, 以上: greater or equal
)

var comparisons = []Comparison{MoreThan, AtLeast}

// Strict reports whether the comparison is strict, for Threshold.Strict.
func (c Comparison) Strict() bool { return c == MoreThan }

func (p VoteRulePreset) MarshalGQL(w io.Writer) { marshalEnum(w, p) }
func (p *VoteRulePreset) UnmarshalGQL(v any) error {
	return unmarshalEnum(p, v, voteRulePresets, "VoteRulePreset")
}
func (b QuorumBasis) MarshalGQL(w io.Writer) { marshalEnum(w, b) }
func (b *QuorumBasis) UnmarshalGQL(v any) error {
	return unmarshalEnum(b, v, quorumBases, "QuorumBasis")
}
func (a AbstentionRule) MarshalGQL(w io.Writer) { marshalEnum(w, a) }
func (a *AbstentionRule) UnmarshalGQL(v any) error {
	return unmarshalEnum(a, v, abstentionRules, "AbstentionRule")
}
func (c Comparison) MarshalGQL(w io.Writer) { marshalEnum(w, c) }
func (c *Comparison) UnmarshalGQL(v any) error {
	return unmarshalEnum(c, v, comparisons, "Comparison")
}

// Threshold is an exact ratio Num/Den that a count must exceed (Strict, "more than") or reach
// (not Strict, "at least").
type Threshold struct {
	Num, Den int64
	Strict   bool // true: more than; false: at least
}

// Comparison is MoreThan for a strict threshold, AtLeast otherwise.
func (t Threshold) Comparison() Comparison {
	if t.Strict {
		return MoreThan
	}
	return AtLeast
}

// Name describes the threshold in Chinese: 过半数, 超过2/3, 不少于3/4.
func (t Threshold) Name() string {
	if t.Strict && t.Num == 1 && t.Den == 2 {
		return "过半数"
	} else if t.Strict {
		return fmt.Sprintf("超过%d/%d", t.Num, t.Den)
	}
	return fmt.Sprintf("不少于%d/%d", t.Num, t.Den)
}

// Met reports whether a/b meets the threshold. A zero or negative b (no one to count) never
// meets it, nor does a negative a; nothing is divided.
func (t Threshold) Met(a, b int64) bool {
	if b <= 0 || a < 0 || t.Den <= 0 || t.Num < 0 {
		return false
	}
	// a/b > Num/Den ⇔ a·Den > Num·b, and ≥ likewise, since b, Den > 0.
	c := cmpProducts(uint64(a), uint64(t.Den), uint64(t.Num), uint64(b))
	if t.Strict {
		return c > 0
	}
	return c >= 0
}

// cmpProducts compares x·y with u·v exactly, as 128-bit products: -1, 0 or +1.
func cmpProducts(x, y, u, v uint64) int {
	hi1, lo1 := bits.Mul64(x, y)
	hi2, lo2 := bits.Mul64(u, v)
	switch {
	case hi1 != hi2:
		if hi1 > hi2 {
			return 1
		}
		return -1
	case lo1 != lo2:
		if lo1 > lo2 {
			return 1
		}
		return -1
	}
	return 0
}

// VoteRule is the quorum and majority a vote must reach.
//
// Quorum is the share of those entitled who must take part (per QuorumBasis); Pass is the
// share of approvals among those taking part (AbstainAsPresent) or among those who approved
// or opposed (AbstainExcluded). When ByArea, each threshold is counted twice, by heads and by
// floor area, and both must hold.
type VoteRule struct {
	Preset      VoteRulePreset
	Quorum      Threshold
	Pass        Threshold
	ByArea      bool
	QuorumBasis QuorumBasis
	Abstentions AbstentionRule
}

var (
	moreThanHalf = Threshold{Num: 1, Den: 2, Strict: true}
	twoThirds    = Threshold{Num: 2, Den: 3}
	threeQuarter = Threshold{Num: 3, Den: 4}
)

// Preset returns the rule of a preset. For PresetCustom it returns a starting point to edit
// (more than half present, more than half of those present approving, heads only); for an
// unknown preset it returns a rule that Validate refuses.
func Preset(p VoteRulePreset) VoteRule {
	r := VoteRule{Preset: p, QuorumBasis: QuorumPresent, Abstentions: AbstainAsPresent}
	switch p {
	case PresetResidentsAssembly, PresetCouncilMajority, PresetCustom:
		r.Quorum, r.Pass = moreThanHalf, moreThanHalf
	case PresetRepresentativesMeeting:
		r.Quorum, r.Pass = twoThirds, moreThanHalf
	case PresetOwnersOrdinary:
		r.Quorum, r.Pass, r.ByArea, r.QuorumBasis = twoThirds, moreThanHalf, true, QuorumVoted
	case PresetOwnersMajor:
		r.Quorum, r.Pass, r.ByArea, r.QuorumBasis = twoThirds, threeQuarter, true, QuorumVoted
	default:
		return VoteRule{Preset: p}
	}
	return r
}

// Validate returns an INVALID_INPUT *Error naming the field at fault ("rule.preset",
// "rule.quorum", "rule.pass", "rule.quorumBasis", "rule.abstentions") for a rule that cannot
// be applied: an unknown preset, a preset whose parameters differ from Preset(p) (presets
// are fixed), a ratio with Den <= 0, Num < 0 or Num > Den, a strict threshold of 1 (more than all: never
// met), a pass threshold of "at least 0" (passes with no approval at all), or an unknown
// quorum basis or abstention rule. A quorum of "at least 0" (no quorum) is allowed in a
// custom rule.
func (r VoteRule) Validate() error {
	if r.Preset.Name() == "" {
		return Invalid("rule.preset", "未知的表决规则：%q", r.Preset)
	}
	if r.Preset != PresetCustom {
		if r != Preset(r.Preset) {
			return Invalid("rule.preset", "%s的表决规则是固定的，不能修改；如需其他规则请选择“自定义”", r.Preset.Name())
		}
		return nil
	}
	if err := validateThreshold("rule.quorum", "到会比例", r.Quorum); err != nil {
		return err
	}
	if err := validateThreshold("rule.pass", "通过比例", r.Pass); err != nil {
		return err
	}
	if r.Pass.Num == 0 && !r.Pass.Strict {
		return Invalid("rule.pass", "通过比例不能为“不少于0”：那样无人同意也会通过")
	}
	if !slices.Contains(quorumBases, r.QuorumBasis) {
		return Invalid("rule.quorumBasis", "未知的到会计算方式：%q", r.QuorumBasis)
	}
	if !slices.Contains(abstentionRules, r.Abstentions) {
		return Invalid("rule.abstentions", "未知的弃权计算方式：%q", r.Abstentions)
	}
	return nil
}

func validateThreshold(field, what string, t Threshold) error {
	switch {
	case t.Den <= 0:
		return Invalid(field, "%s的分母必须大于零", what)
	case t.Num < 0:
		return Invalid(field, "%s的分子不能为负数", what)
	case t.Num > t.Den:
		return Invalid(field, "%s不能超过100%%", what)
	case t.Strict && t.Num == t.Den:
		return Invalid(field, "%s不能为“超过全部”：永远无法达到", what)
	}
	return nil
}

// Count is a number of people (Heads) and the floor area they hold (Area, in units of
// 0.01 m², i.e. 专有部分面积 × 100). Area matters only for rules that count area.
type Count struct {
	Heads int64
	Area  int64
}

// Tally is what a vote counted.
//
// Entitled is everyone entitled to take part (for owners' votes: all owners, and the total
// floor area of the exclusive parts). Present is who took part: for meeting presets
// (residents' assembly, representatives' meeting, council) those checked in at the meeting;
// for the owners' presets those who cast a ballot, so Present equals Approve+Oppose+Abstain
// (the owners' presets count participation from the ballots, QuorumVoted). Approve, Oppose
// and Abstain are the ballots; a blank or spoiled ballot is passed as Abstain. It must hold
// that Approve+Oppose+Abstain ≤ Present ≤ Entitled, by heads and, for rules that count area,
// by area.
type Tally struct {
	Entitled, Present, Approve, Oppose, Abstain Count
}

// Decision is the outcome of a vote under a rule.
//
// QuorumByHeads and QuorumByArea are the quorum counted by heads and by area; QuorumMet is
// both (heads alone when the rule does not count area). PassedByHeads and PassedByArea are the
// majority conditions on their own — they are computed even when the quorum failed, to show
// how the ballots fell, and never mean by themselves that the motion passed. Passed is the
// decision: the quorum met and every majority condition held; it is false whenever QuorumMet is
// false. When the rule does not count area, QuorumByArea and PassedByArea are false and carry
// no meaning.
type Decision struct {
	QuorumMet, QuorumByHeads, QuorumByArea bool
	Passed, PassedByHeads, PassedByArea    bool
}

// Decide applies the rule to a tally. It returns an INVALID_INPUT *Error when the rule is
// invalid (see Validate) or the tally impossible: a negative count ("tally.entitled",
// "tally.present", "tally.approve", "tally.oppose", "tally.abstain"), more ballots than
// people present ("tally.present"), or more people present than entitled ("tally.present").
// A negative area is refused under every rule; the sums of areas are checked only when the
// rule counts area. No one entitled, or no one to take the
// pass ratio of, means the quorum or the majority fails; it is not an error.
func (r VoteRule) Decide(t Tally) (Decision, error) {
	if err := r.Validate(); err != nil {
		return Decision{}, err
	}
	if err := checkTally(t, func(c Count) int64 { return c.Heads }, "人数", true); err != nil {
		return Decision{}, err
	}
	if err := checkTally(t, func(c Count) int64 { return c.Area }, "面积", r.ByArea); err != nil {
		return Decision{}, err
	}
	var d Decision
	d.QuorumByHeads, d.PassedByHeads = r.decide(t, func(c Count) int64 { return c.Heads })
	d.QuorumMet, d.Passed = d.QuorumByHeads, d.PassedByHeads
	if r.ByArea {
		d.QuorumByArea, d.PassedByArea = r.decide(t, func(c Count) int64 { return c.Area })
		d.QuorumMet = d.QuorumMet && d.QuorumByArea
		d.Passed = d.Passed && d.PassedByArea
	}
	d.Passed = d.Passed && d.QuorumMet
	return d, nil
}

// decide applies the rule to one measure of a checked tally (heads or area). The sums cannot
// overflow: checkTally showed them to be at most Present.
func (r VoteRule) decide(t Tally, of func(Count) int64) (quorum, pass bool) {
	took := of(t.Present)
	if r.QuorumBasis == QuorumVoted {
		took = of(t.Approve) + of(t.Oppose) + of(t.Abstain)
	}
	quorum = r.Quorum.Met(took, of(t.Entitled))
	base := took
	if r.Abstentions == AbstainExcluded {
		base = of(t.Approve) + of(t.Oppose)
	}
	pass = r.Pass.Met(of(t.Approve), base)
	return quorum, pass
}

// checkTally checks one measure of a tally: no count is negative and, if consistent is set,
// Approve+Oppose+Abstain ≤ Present ≤ Entitled. No sum is formed, so nothing can overflow.
func checkTally(t Tally, of func(Count) int64, what string, consistent bool) error {
	for _, f := range []struct {
		field, name string
		n           int64
	}{
		{"tally.entitled", "应到", of(t.Entitled)},
		{"tally.present", "实到", of(t.Present)},
		{"tally.approve", "同意", of(t.Approve)},
		{"tally.oppose", "反对", of(t.Oppose)},
		{"tally.abstain", "弃权", of(t.Abstain)},
	} {
		if f.n < 0 {
			return Invalid(f.field, "%s%s不能为负数", f.name, what)
		}
	}
	if !consistent {
		return nil
	}
	present := of(t.Present)
	if present > of(t.Entitled) {
		return Invalid("tally.present", "实到%s（%d）超过应到%s（%d）", what, present, what, of(t.Entitled))
	}
	// Approve+Oppose+Abstain ≤ Present, by subtraction so that nothing overflows.
	if rest := present - of(t.Approve); rest < 0 || rest-of(t.Oppose) < 0 || rest-of(t.Oppose)-of(t.Abstain) < 0 {
		return Invalid("tally.present", "同意、反对、弃权%s之和超过实到%s（%d）", what, what, present)
	}
	return nil
}

// Description says the rule in one Chinese sentence, e.g. "出席人数须超过应到的1/2；同意人数须
// 超过出席者的1/2".
func (r VoteRule) Description() string {
	who := "出席"
	if r.QuorumBasis == QuorumVoted {
		who = "参与表决"
	}
	measures := "人数"
	if r.ByArea {
		measures = "人数和面积"
	}
	of := func(t Threshold, base string) string {
		word := "不少于"
		if t.Strict {
			word = "超过"
		}
		return fmt.Sprintf("%s%s的%d/%d", word, base, t.Num, t.Den)
	}
	quorum := "不设到会比例"
	if r.Quorum.Num > 0 || r.Quorum.Strict {
		quorum = who + measures + "须" + of(r.Quorum, "应到")
	}
	base := who + "者"
	if r.Abstentions == AbstainExcluded {
		base = "同意与反对之和（弃权不计）"
	}
	return quorum + "；同意" + measures + "须" + of(r.Pass, base)
}
