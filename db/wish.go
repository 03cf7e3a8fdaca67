package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lib/pq"
)

// WishCategory is what kind of help a wish asks for.
type WishCategory string

// WishState is where a wish is in its life: submitted → published → claimed → fulfilled →
// confirmed, or rejected, cancelled, disputed, closed.
type WishState string

// WishAction is a transition in a wish's timeline.
type WishAction string

// LedgerKind is a credit or its reversal.
type LedgerKind string

// Wish states.
const (
	WishSubmitted WishState = "submitted"
	WishPublished WishState = "published"
	WishRejected  WishState = "rejected"
	WishCancelled WishState = "cancelled"
	WishClaimed   WishState = "claimed"
	WishFulfilled WishState = "fulfilled"
	WishConfirmed WishState = "confirmed"
	WishDisputed  WishState = "disputed"
	WishClosed    WishState = "closed"
)

var (
	wishCategories = []WishCategory{"goods", "repair", "companionship", "escort", "tutoring", "paperwork", "other"}
	wishStates     = []WishState{WishSubmitted, WishPublished, WishRejected, WishCancelled, WishClaimed,
		WishFulfilled, WishConfirmed, WishDisputed, WishClosed}
	wishActions = []WishAction{"submit", "publish", "reject", "cancel", "claim", "release", "lapse", "fulfil",
		"confirm", "dispute", "settle", "to_need"}
	ledgerKinds = []LedgerKind{"credit", "reversal"}
)

var wishStateNames = map[WishState]string{
	WishSubmitted: "待审核", WishPublished: "已发布", WishRejected: "已驳回", WishCancelled: "已撤回",
	WishClaimed: "已认领", WishFulfilled: "待确认", WishConfirmed: "已完结", WishDisputed: "有争议", WishClosed: "已结束",
}

// Name is the state's Chinese name, for messages.
func (s WishState) Name() string { return wishStateNames[s] }

func (c WishCategory) MarshalGQL(w io.Writer) { marshalEnum(w, c) }
func (c *WishCategory) UnmarshalGQL(v any) error {
	return unmarshalEnum(c, v, wishCategories, "WishCategory")
}
func (s WishState) MarshalGQL(w io.Writer)     { marshalEnum(w, s) }
func (s *WishState) UnmarshalGQL(v any) error  { return unmarshalEnum(s, v, wishStates, "WishState") }
func (a WishAction) MarshalGQL(w io.Writer)    { marshalEnum(w, a) }
func (a *WishAction) UnmarshalGQL(v any) error { return unmarshalEnum(a, v, wishActions, "WishAction") }
func (k LedgerKind) MarshalGQL(w io.Writer)    { marshalEnum(w, k) }
func (k *LedgerKind) UnmarshalGQL(v any) error { return unmarshalEnum(k, v, ledgerKinds, "LedgerKind") }

// Wish is one resident's small, concrete need.
type Wish struct {
	ID             int64          `db:"id"`
	BeneficiaryID  int64          `db:"beneficiary_id"`
	SubmittedBy    int64          `db:"submitted_by"`
	PlaceID        int64          `db:"place_id"`
	CommunityID    int64          `db:"community_id"`
	Category       WishCategory   `db:"category"`
	Title          string         `db:"title"`
	Description    string         `db:"description"`
	ValueFen       *int           `db:"value_fen"`
	Deadline       time.Time      `db:"deadline"`
	State          WishState      `db:"state"`
	IdempotencyKey *string        `db:"idempotency_key"`
	ClaimID        *int64         `db:"claim_id"`
	ClosingReason  *string        `db:"closing_reason"`
	FulfilNote     *string        `db:"fulfil_note"`
	FulfilMinutes  *int           `db:"fulfil_minutes"`
	FulfilPhotos   pq.StringArray `db:"fulfil_photos"`
	FulfilledAt    *time.Time     `db:"fulfilled_at"`
	Rating         *int           `db:"rating"`
	RatingComment  *string        `db:"rating_comment"`
	ConfirmedAt    *time.Time     `db:"confirmed_at"`
	CreatedAt      time.Time      `db:"created_at"`
	UpdatedAt      time.Time      `db:"updated_at"`

	// Read is what the list statement that found the wish read with it (nil elsewhere), so
	// that answering about its place, beneficiary or claim needs no statement of its own.
	Read *WishRead `db:"-"`
}

// WishRead are the rows a wish list reads with each wish: its place and community, the
// beneficiary with their household and its building, and the claim with its claimer if any.
type WishRead struct {
	Place, Community, Household, Building *Place
	Beneficiary                           *Resident
	Claim                                 *Claim
	Claimer                               *Account
	ClaimerResident                       *Resident // nil when the claimer lives elsewhere
}

// Claim is a volunteer's claim on a wish, active until it ends.
type Claim struct {
	ID        int64      `db:"id"`
	WishID    int64      `db:"wish_id"`
	ClaimerID int64      `db:"claimer_id"`
	ClaimedAt time.Time  `db:"claimed_at"`
	DueAt     time.Time  `db:"due_at"`
	EndedAt   *time.Time `db:"ended_at"`
	EndReason *string    `db:"end_reason"`
}

// Active reports whether the claim has not ended.
func (c *Claim) Active() bool { return c != nil && c.EndedAt == nil }

// WishEvent is one transition of a wish.
type WishEvent struct {
	ID        int64      `db:"id"`
	WishID    int64      `db:"wish_id"`
	At        time.Time  `db:"at"`
	Action    WishAction `db:"action"`
	ActorID   *int64     `db:"actor_id"`
	FromState *WishState `db:"from_state"`
	ToState   WishState  `db:"to_state"`
	Reason    *string    `db:"reason"`
}

// LedgerEntry is one line of a volunteer's hours and points.
type LedgerEntry struct {
	ID         int64      `db:"id"`
	AccountID  int64      `db:"account_id"`
	WishID     int64      `db:"wish_id"`
	ClaimID    int64      `db:"claim_id"`
	At         time.Time  `db:"at"`
	Kind       LedgerKind `db:"kind"`
	Minutes    int        `db:"minutes"`
	Points     int        `db:"points"`
	ReversesID *int64     `db:"reverses_id"`
	Note       *string    `db:"note"`
}

// CommunitySettings are a community's rules for wishes and topics.
type CommunitySettings struct {
	WishValueCapFen int `db:"wish_value_cap_fen"`
	ClaimLimit      int `db:"claim_limit"`
	ClaimHours      int `db:"claim_hours"`
	PointsPerHour   int `db:"points_per_hour"`
	// CosignThreshold co-signers make a topic ready for the agenda.
	CosignThreshold int `db:"cosign_threshold"`
	// NoticeDays is how long a resolution is published for objections.
	NoticeDays int `db:"notice_days"`
}

// Who may do what with wishes, in one place.
var (
	// rolesServing claim wishes and see the published ones where they serve.
	rolesServing = []Role{RoleVolunteer, RolePartyMember}
	// rolesReviewing review wishes and submit them for residents (代办).
	rolesReviewing = []Role{RoleStaff, RoleGridWorker}
	// rolesManaging see every wish of the places they serve.
	rolesManaging = []Role{RoleStaff, RoleGridWorker, RoleAdmin}
	// rolesSettling settle disputes.
	rolesSettling = []Role{RoleStaff}
	// disputeWindow is how long after confirming a beneficiary may still dispute.
	disputeWindow = 7 * 24 * time.Hour
)

const wishColumns = `w.id, w.beneficiary_id, w.submitted_by, w.place_id, w.community_id, w.category, w.title,
	w.description, w.value_fen, w.deadline, w.state, w.idempotency_key, w.claim_id, w.closing_reason, w.fulfil_note,
	w.fulfil_minutes, w.fulfil_photos, w.fulfilled_at, w.rating, w.rating_comment, w.confirmed_at, w.created_at, w.updated_at`

const claimColumns = `id, wish_id, claimer_id, claimed_at, due_at, ended_at, end_reason`

// WishesByID returns the wishes with the given ids (no visibility check: callers check).
func (s *Store) WishesByID(ctx context.Context, ids []int64) (map[int64]*Wish, error) {
	return selectByKey(ctx, s, `SELECT `+wishColumns+` FROM wishes w WHERE w.id = ANY($1)`, ids, func(w *Wish) int64 { return w.ID })
}

// ClaimsByID returns the claims with the given ids.
func (s *Store) ClaimsByID(ctx context.Context, ids []int64) (map[int64]*Claim, error) {
	return selectByKey(ctx, s, `SELECT `+claimColumns+` FROM wish_claims WHERE id = ANY($1)`, ids, func(c *Claim) int64 { return c.ID })
}

// WishEventsByWish returns each wish's timeline, oldest first.
func (s *Store) WishEventsByWish(ctx context.Context, wishIDs []int64) (map[int64][]*WishEvent, error) {
	return selectGrouped(ctx, s, `SELECT id, wish_id, at, action, actor_id, from_state, to_state, reason
		FROM wish_events WHERE wish_id = ANY($1) ORDER BY id`, wishIDs, func(e *WishEvent) int64 { return e.WishID })
}

// settings returns a community's settings, or the defaults.
func (tx *Tx) settings(community int64) (CommunitySettings, error) {
	var cs CommunitySettings
	err := tx.get(&cs, `SELECT wish_value_cap_fen, claim_limit, claim_hours, points_per_hour, cosign_threshold, notice_days
		FROM community_settings WHERE community_id = $1`, community)
	if errors.Is(err, sql.ErrNoRows) {
		return defaultSettings, nil
	}
	return cs, err
}

// defaultSettings are the rules of a community that has set none.
var defaultSettings = CommunitySettings{WishValueCapFen: 50000, ClaimLimit: 3, ClaimHours: 72, PointsPerHour: 10,
	CosignThreshold: DefaultCosignThreshold, NoticeDays: DefaultNoticeDays}

// WishAccess is what the viewer may see and do with one wish, decided from the wish, its
// place, the beneficiary's household and the current claim.
type WishAccess struct {
	// See: the wish is visible at all. What the viewer sees of its beneficiary is the one
	// rule for every person (Viewer.Sees), with its submitter and active claimer served.
	See bool
}

// Access decides what v may see of w.
func (v *Viewer) Access(w *Wish, place, household *Place, claim *Claim) WishAccess {
	if v == nil {
		return WishAccess{}
	}
	activeClaimer := claim.Active() && w.ClaimID != nil && *w.ClaimID == claim.ID && v.Is(claim.ClaimerID)
	if v.Is(w.SubmittedBy) || v.IsResident(w.BeneficiaryID) || activeClaimer || v.Holds(household, rolesReviewing...) {
		return WishAccess{See: true}
	}
	if v.Holds(place, rolesManaging...) || claim != nil && v.Is(claim.ClaimerID) {
		return WishAccess{See: true}
	}
	if w.isPublic() && (v.Serves(place, rolesServing...) || v.Resident != nil && v.Resident.Verified && slices.Contains(v.Resident.HouseholdPath, place.ID)) {
		return WishAccess{See: true}
	}
	return WishAccess{}
}

// isPublic reports whether the wish is on the board: past review and not withdrawn.
func (w *Wish) isPublic() bool {
	return w.State != WishSubmitted && w.State != WishRejected && w.State != WishCancelled
}

// SubmitWish is what submitWish takes.
type SubmitWish struct {
	BeneficiaryID  int64 // 0: the viewer themself
	Category       WishCategory
	Title          string
	Description    string
	ValueFen       *int
	Deadline       time.Time
	PlaceID        int64 // 0: the beneficiary's community
	IdempotencyKey *string
	// VisitID links the wish to the visit it came of (SubmitWishFromVisit); 0: none.
	VisitID int64
}

// text trims s and checks its length in characters, for field.
func text(field, label, s string, min, max int) (string, error) {
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n < min || n > max {
		if min > 0 && n == 0 {
			return "", Invalid(field, "请填写%s", label)
		}
		return "", Invalid(field, "%s需要 %d 到 %d 个字，现在是 %d 个字", label, min, max, n)
	}
	return s, nil
}

// optionalText is text for an optional field: nil or blank is nil.
func optionalText(field, label string, s *string, max int) (*string, error) {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil, nil
	}
	t, err := text(field, label, *s, 1, max)
	return &t, err
}

// SubmitWish records a wish for the viewer, or for a resident of a place where the viewer
// reviews wishes (代办). With an idempotency key, a repeated submission returns the first
// wish. Errors: UNAUTHENTICATED, FORBIDDEN, NOT_FOUND (beneficiaryId, placeId), INVALID_INPUT.
func (s *Store) SubmitWish(ctx context.Context, v *Viewer, in SubmitWish) (*Wish, error) {
	if v == nil {
		return nil, needSignIn
	}
	title, err := text("title", "标题", in.Title, 1, 40)
	if err != nil {
		return nil, err
	}
	description, err := text("description", "说明", in.Description, 1, 1000)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(wishCategories, in.Category) {
		return nil, Invalid("category", "类别无效")
	}
	key, err := optionalText("idempotencyKey", "幂等键", in.IdempotencyKey, 64)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	if !in.Deadline.After(now) {
		return nil, Invalid("deadline", "截止时间需要在将来")
	}
	if in.Deadline.After(now.Add(90 * 24 * time.Hour)) {
		return nil, Invalid("deadline", "截止时间不能超过 90 天以后；微心愿是近期能办成的小事")
	}

	// Who it is for.
	beneficiaryID := in.BeneficiaryID
	if beneficiaryID == 0 {
		if v.Resident == nil {
			return nil, Invalid("beneficiaryId", "你的账号没有居民身份；代办请填写受益人")
		}
		if !v.Resident.Verified {
			return nil, forbidden("社区核实你的居民身份后才能提交心愿，请联系社区工作者或网格员")
		}
		beneficiaryID = v.Resident.ID
	}
	residents, err := s.ResidentsByID(ctx, []int64{beneficiaryID})
	if err != nil {
		return nil, err
	}
	b := residents[beneficiaryID]
	if b == nil {
		return nil, &Error{Code: ENOTFOUND, Field: "beneficiaryId", Message: "找不到这位居民"}
	}
	if b.LeftOn != nil {
		return nil, &Error{Code: EINVALIDSTATE, Field: "beneficiaryId", Message: "这位居民已" + LeftReasonName(*b.LeftReason) + "，不能作为心愿的受益人"}
	}
	path, err := s.PlacesByID(ctx, b.householdPath(ctx, s))
	if err != nil {
		return nil, err
	}
	household := path[b.HouseholdID]
	if !v.IsResident(b.ID) && !v.Holds(household, rolesReviewing...) {
		return nil, forbidden("只能为本人提交心愿；代办需要是受益人所在地点的网格员或社区工作者")
	}
	if b.VerifiedAt == nil && !v.Holds(household, rolesReviewing...) {
		return nil, forbidden("社区核实受益人的居民身份后才能提交心愿")
	}

	// Where it is shown: the beneficiary's grid or community.
	var community, grid *Place
	for _, id := range household.Path {
		switch p := path[id]; p.Level {
		case LevelCommunity:
			community = p
		case LevelGrid:
			grid = p
		}
	}
	place := community
	if in.PlaceID != 0 {
		switch in.PlaceID {
		case community.ID:
		case gridID(grid):
			place = grid
		default:
			return nil, Invalid("placeId", "可见范围只能是受益人所在的网格或社区（%s）", community.Name)
		}
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	settings, err := tx.settings(community.ID)
	if err != nil {
		return nil, err
	}
	if in.ValueFen != nil && (*in.ValueFen < 0 || *in.ValueFen > settings.WishValueCapFen) {
		return nil, Invalid("valueFen", "估计价值需要在 0 到 %d 元之间（本社区的微心愿上限）", settings.WishValueCapFen/100)
	}
	var w Wish
	err = tx.get(&w, `INSERT INTO wishes AS w (beneficiary_id, submitted_by, place_id, community_id, category, title,
			description, value_fen, deadline, idempotency_key, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
		ON CONFLICT (submitted_by, idempotency_key) DO NOTHING
		RETURNING `+wishColumns,
		b.ID, v.Account.ID, place.ID, community.ID, in.Category, title, description, in.ValueFen, in.Deadline, key, tx.now)
	if errors.Is(err, sql.ErrNoRows) {
		// The same key again: the first submission stands.
		tx.Rollback()
		err = s.get(ctx, &w, `SELECT `+wishColumns+` FROM wishes w WHERE w.submitted_by = $1 AND w.idempotency_key = $2`, v.Account.ID, *key)
		return &w, err
	} else if err != nil {
		return nil, err
	}
	if err := tx.wishEvent(&w, "submit", &v.Account.ID, nil, nil); err != nil {
		return nil, err
	}
	if err := tx.linkVisit(VisitOutcome{VisitID: in.VisitID, WishID: &w.ID}); err != nil {
		return nil, err
	}
	return &w, tx.Commit()
}

func gridID(g *Place) int64 {
	if g == nil {
		return -1
	}
	return g.ID
}

// householdPath returns the ids from the subdistrict down to r's household.
func (r *Resident) householdPath(ctx context.Context, s *Store) []int64 {
	h, err := s.Place(ctx, r.HouseholdID)
	if err != nil {
		return []int64{r.HouseholdID}
	}
	return h.Path
}

// wishEvent records a transition of w to its (already updated) state.
func (tx *Tx) wishEvent(w *Wish, action WishAction, actor *int64, from *WishState, reason *string) error {
	return tx.record(wishTables, w.ID, action, actor, from, w.State, reason)
}

// lockedWish is a wish locked for a transition, with what deciding on it needs.
type lockedWish struct {
	*Wish
	place, household *Place
	claim            *Claim
	// Read beside the wish for the answer only: no rule decides on them.
	community, building *Place
	beneficiary         *Resident
	access              WishAccess
	// The community's rules for claims, read only when the viewer is claiming (lockWish's
	// claiming); the claimer's open claims are counted by the claim's write.
	claimLimit, claimHours int
}

// HeldWish is a wish as a transition left it, with the rows its transaction read or wrote
// beside it (its place, the beneficiary's household, its current claim), so that the answer
// needs no second look at them.
type HeldWish struct {
	*Wish
	Claim                                 *Claim
	Place, Community, Household, Building *Place
	Beneficiary                           *Resident
}

// lockedWishRow is what lockWish reads in one statement.
type lockedWishRow struct {
	Wish
	// The xmin of the row locked and of the row as the statement's snapshot saw it: they
	// differ when another transition committed while this one waited for the lock, and
	// then what the statement read beside the wish is older than the wish.
	LockedVersion string    `db:"locked_version"`
	SeenVersion   string    `db:"seen_version"`
	Place         Place     `db:"place"`
	Household     Place     `db:"household"`
	Community     Place     `db:"community"`
	Building      Place     `db:"building"`
	Beneficiary   Resident  `db:"br"`
	Claim         nullClaim `db:"claim"`
	ClaimLimit    *int      `db:"claim_limit"`
	ClaimHours    *int      `db:"claim_hours"`
}

// prefixed lists cols (a column list such as placeColumns) of table alias a, named
// "prefix.column" for a nested struct of the row they are read into.
func prefixed(a, prefix, cols string) string {
	var b strings.Builder
	for i, c := range strings.Split(cols, ",") {
		c = strings.TrimSpace(c)
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a + "." + c + ` AS "` + prefix + "." + c + `"`)
	}
	return b.String()
}

// lockWishQuery locks the viewer's account ($2) and then a wish ($1), and reads, in the
// same statement, the wish's current claim, its place and the beneficiary's household.
// The account is locked in a step of its own, which runs before the wish's row is locked
// whatever order the plan joins them in: every transition takes the two in that order.
// FOR NO KEY UPDATE queues this person's transitions as FOR UPDATE would, but does not hold
// back a transaction that only references the account (a notification to it, written by a
// trigger while that transaction holds another wish), which would deadlock with this one.
// What the statement read beside the wish may be older than a wait for either lock; the
// versions tell (lockWish), and whatever must be as of the locks (a claimer's open
// claims) is read by the write that follows.
var lockWishQuery = `WITH viewer_account AS MATERIALIZED (SELECT id FROM accounts WHERE id = $2 FOR NO KEY UPDATE)
	SELECT ` + wishColumns + `, w.xmin::text AS locked_version,
		(SELECT s.xmin::text FROM wishes s WHERE s.id = w.id) AS seen_version,
		` + prefixed("p", "place", placeColumns) + `, ` + prefixed("h", "household", placeColumns) + `,
		` + prefixed("wc", "community", placeColumns) + `, ` + prefixed("bb", "building", placeColumns) + `,
		` + prefixed("br", "br", "account_id, "+residentReadColumns) + `, h.path AS "br.household_path",
		EXISTS (SELECT 1 FROM household_owners o WHERE o.resident_id = br.id AND o.until IS NULL) AS "br.is_owner",
		` + prefixed("c", "claim", claimColumns) + `%s
	FROM wishes w JOIN places p ON p.id = w.place_id JOIN residents br ON br.id = w.beneficiary_id
	JOIN places h ON h.id = br.household_id JOIN places wc ON wc.id = w.community_id JOIN places bb ON bb.id = h.parent_id
	LEFT JOIN wish_claims c ON c.id = w.claim_id%s CROSS JOIN viewer_account
	WHERE w.id = $1 FOR UPDATE OF w`

var (
	lockWishPlain = fmt.Sprintf(lockWishQuery, ", NULL::int AS claim_limit, NULL::int AS claim_hours", "")
	// lockWishClaiming also reads the community's rules for claims (NULL: the defaults).
	lockWishClaiming = fmt.Sprintf(lockWishQuery, `, cs.claim_limit, cs.claim_hours`,
		` LEFT JOIN community_settings cs ON cs.community_id = w.community_id`)
)

// lockWish locks wish id in tx and works out what v may do with it, in one statement (two
// when another transition of the wish committed while it waited). A wish v may not see is
// NOT_FOUND, so ids cannot be probed. claiming also reads what a claim decides on.
func (tx *Tx) lockWish(v *Viewer, id int64, claiming bool) (*lockedWish, error) {
	q := lockWishPlain
	if claiming {
		q = lockWishClaiming
	}
	var r lockedWishRow
	for range 2 {
		r = lockedWishRow{}
		if err := tx.get(&r, q, id, v.Account.ID); err != nil {
			return nil, notFound(err, "找不到这个心愿")
		}
		if r.LockedVersion == r.SeenVersion {
			break
		}
		// Read again: the wish is locked now, so this statement's snapshot is not older
		// than it.
	}
	w := r.Wish
	lw := &lockedWish{Wish: &w, place: &r.Place, household: &r.Household, community: &r.Community, building: &r.Building,
		beneficiary: &r.Beneficiary}
	lw.claim = r.Claim.claim(w.ID)
	if claiming {
		lw.claimLimit, lw.claimHours = defaultSettings.ClaimLimit, defaultSettings.ClaimHours
		if r.ClaimLimit != nil {
			lw.claimLimit, lw.claimHours = *r.ClaimLimit, *r.ClaimHours
		}
	}
	lw.access = v.Access(&w, lw.place, lw.household, lw.claim)
	if !lw.access.See {
		return nil, &Error{Code: ENOTFOUND, Message: "找不到这个心愿"}
	}
	return lw, nil
}

// transition moves the locked wish to state with the given extra column updates, and
// records it.
func (tx *Tx) transition(lw *lockedWish, to WishState, action WishAction, actor *int64, reason *string, set string, args ...any) error {
	from := lw.State
	return tx.move(wishTables, lw.Wish, lw.ID, &from, to, action, actor, reason, set, args...)
}

func wrongState(w *Wish, doing string) error {
	return Errorf(EINVALIDSTATE, "心愿当前状态为「%s」，不能%s", w.State.Name(), doing)
}

// writeWish runs one transition of wish id in its own transaction. It locks the viewer's
// account before the wish: one person's transitions then run one at a time (so a claimer's
// cap holds however many claims they press at once), and since every transition takes the
// locks in that order, two cannot deadlock.
func (s *Store) writeWish(ctx context.Context, v *Viewer, id int64, f func(*Tx, *lockedWish) error) (*HeldWish, error) {
	return s.writeWishAs(ctx, v, id, false, f)
}

// writeWishAs is writeWish; claiming reads what a claim decides on with the lock.
func (s *Store) writeWishAs(ctx context.Context, v *Viewer, id int64, claiming bool, f func(*Tx, *lockedWish) error) (*HeldWish, error) {
	if v == nil {
		return nil, needSignIn
	}
	lw, err := inLockedTx(ctx, s, func(tx *Tx) (*lockedWish, error) { return tx.lockWish(v, id, claiming) }, f)
	if err != nil {
		return nil, err
	}
	return &HeldWish{Wish: lw.Wish, Claim: lw.claim, Place: lw.place, Community: lw.community, Household: lw.household,
		Building: lw.building, Beneficiary: lw.beneficiary}, nil
}

// CancelWish withdraws a wish that nobody has claimed yet. Errors: UNAUTHENTICATED,
// NOT_FOUND, FORBIDDEN (not the beneficiary or submitter), INVALID_STATE, INVALID_INPUT.
func (s *Store) CancelWish(ctx context.Context, v *Viewer, id int64, reason *string) (*HeldWish, error) {
	reason, err := optionalText("reason", "原因", reason, 500)
	if err != nil {
		return nil, err
	}
	return s.writeWish(ctx, v, id, func(tx *Tx, lw *lockedWish) error {
		if !v.Is(lw.SubmittedBy) && !v.IsResident(lw.BeneficiaryID) {
			return forbidden("只有受益人或代办人可以撤回心愿")
		}
		if lw.State != WishSubmitted && lw.State != WishPublished {
			if lw.State == WishClaimed {
				return Errorf(EINVALIDSTATE, "心愿已被认领，不能撤回；请联系认领人，或请认领人放弃认领后再撤回")
			}
			return wrongState(lw.Wish, "撤回")
		}
		return tx.transition(lw, WishCancelled, "cancel", &v.Account.ID, reason, `, closing_reason = $4`, reason)
	})
}

// ReviewWish publishes or rejects a submitted wish. Errors: UNAUTHENTICATED, NOT_FOUND,
// FORBIDDEN, INVALID_STATE, INVALID_INPUT (reason, required to reject).
func (s *Store) ReviewWish(ctx context.Context, v *Viewer, id int64, publish bool, reason *string) (*HeldWish, error) {
	reason, err := optionalText("reason", "原因", reason, 500)
	if err != nil {
		return nil, err
	}
	if !publish && reason == nil {
		return nil, Invalid("reason", "驳回需要说明原因，原因会展示给受益人")
	}
	return s.writeWish(ctx, v, id, func(tx *Tx, lw *lockedWish) error {
		if !v.Holds(lw.household, rolesReviewing...) {
			return forbidden("只有受益人所在社区的社区工作者或网格员可以审核心愿")
		}
		if lw.State != WishSubmitted {
			return wrongState(lw.Wish, "审核")
		}
		if publish {
			return tx.transition(lw, WishPublished, "publish", &v.Account.ID, reason, "")
		}
		return tx.transition(lw, WishRejected, "reject", &v.Account.ID, reason, `, closing_reason = $4`, reason)
	})
}

// claimWish inserts the claim ($2 claims wish $1 at $3, due at $4) unless $2 already holds
// $5 open claims, moves the wish to claimed and records the step, in one statement; it
// returns the wish and the claim, or no row when the cap refused it. The statement runs
// after the claimer's account is locked, so its count sees every claim of theirs that
// committed before, however many they press at once.
var claimWish = `WITH open AS (
		SELECT count(*) AS claims FROM wish_claims WHERE claimer_id = $2 AND ended_at IS NULL
	), c AS (
		INSERT INTO wish_claims (wish_id, claimer_id, claimed_at, due_at)
		SELECT $1::bigint, $2::bigint, $3::timestamptz, $4::timestamptz FROM open WHERE open.claims < $5
		RETURNING ` + claimColumns + `
	), w AS (
		UPDATE wishes w SET state = 'claimed', updated_at = $3, claim_id = c.id FROM c WHERE w.id = $1 RETURNING ` + wishColumns + `
	), e AS (
		INSERT INTO wish_events (wish_id, at, action, actor_id, from_state, to_state)
		SELECT $1, $3, 'claim', $2, 'published', 'claimed' FROM c
	)
	SELECT w.*, ` + prefixed("c", "claim", claimColumns) + ` FROM w, c`

// ClaimWish gives a published wish to the viewer. However many press at once, one claim
// wins and the rest get CONFLICT; claiming again a wish one already holds returns it
// unchanged. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, CONFLICT, INVALID_STATE.
func (s *Store) ClaimWish(ctx context.Context, v *Viewer, id int64) (*HeldWish, error) {
	return s.writeWishAs(ctx, v, id, true, func(tx *Tx, lw *lockedWish) error {
		switch {
		case lw.State == WishClaimed && lw.claim.Active() && v.Is(lw.claim.ClaimerID):
			return nil // a retry by the holder: nothing changes
		case lw.State == WishClaimed:
			return Errorf(ECONFLICT, "这个心愿刚刚被其他志愿者认领了。请在心愿广场选择其他心愿；如果认领人放弃或超时未完成，它会重新出现在广场上")
		case lw.State != WishPublished:
			return wrongState(lw.Wish, "认领")
		}
		if !v.Serves(lw.place, rolesServing...) {
			return forbidden("只有在%s服务的志愿者或党员可以认领这个心愿", lw.place.Name)
		}
		if v.IsResident(lw.BeneficiaryID) || v.Resident != nil && v.Resident.HouseholdID == lw.household.ID {
			return forbidden("不能认领自己或本户的心愿")
		}
		if !lw.Deadline.After(tx.now) {
			return Errorf(EINVALIDSTATE, "这个心愿已过截止时间，不能再认领")
		}
		due := tx.now.Add(time.Duration(lw.claimHours) * time.Hour)
		if lw.Deadline.Before(due) {
			due = lw.Deadline
		}
		var row struct {
			Wish
			Claim Claim `db:"claim"`
		}
		err := tx.get(&row, claimWish, lw.ID, v.Account.ID, tx.now, due, lw.claimLimit)
		if errors.Is(err, sql.ErrNoRows) { // the cap: say how many they hold (staff may have given them more)
			open := lw.claimLimit
			if err := tx.get(&open, `SELECT count(*) FROM wish_claims WHERE claimer_id = $1 AND ended_at IS NULL`, v.Account.ID); err != nil {
				return err
			}
			return Errorf(ECONFLICT, "你已有 %d 个正在办理的心愿（上限 %d 个）。请先完成或放弃其中一个，再认领新的", open, lw.claimLimit)
		} else if sqlState(err) == uniqueViolation {
			return Errorf(ECONFLICT, "这个心愿刚刚被其他志愿者认领了")
		} else if err != nil {
			return err
		}
		*lw.Wish, lw.claim = row.Wish, &row.Claim
		return nil
	})
}

// endClaim ends the wish's current claim for reason.
func (tx *Tx) endClaim(lw *lockedWish, reason string) error {
	if _, err := tx.exec(`UPDATE wish_claims SET ended_at = $2, end_reason = $3 WHERE id = $1 AND ended_at IS NULL`,
		lw.claim.ID, tx.now, reason); err != nil {
		return err
	}
	lw.claim.EndedAt, lw.claim.EndReason = &tx.now, &reason
	return nil
}

// requireClaimer checks that v holds the wish's active claim.
func requireClaimer(v *Viewer, lw *lockedWish, doing string) error {
	if lw.State != WishClaimed || !lw.claim.Active() {
		return wrongState(lw.Wish, doing)
	}
	if !v.Is(lw.claim.ClaimerID) {
		return forbidden("只有认领人可以%s", doing)
	}
	return nil
}

// ReleaseWish gives a claimed wish back: it returns to published. Errors: UNAUTHENTICATED,
// NOT_FOUND, FORBIDDEN (not the claimer), INVALID_STATE, INVALID_INPUT.
func (s *Store) ReleaseWish(ctx context.Context, v *Viewer, id int64, reason *string) (*HeldWish, error) {
	reason, err := optionalText("reason", "原因", reason, 500)
	if err != nil {
		return nil, err
	}
	return s.writeWish(ctx, v, id, func(tx *Tx, lw *lockedWish) error {
		if err := requireClaimer(v, lw, "放弃认领"); err != nil {
			return err
		}
		if err := tx.endClaim(lw, "released"); err != nil {
			return err
		}
		return tx.transition(lw, WishPublished, "release", &v.Account.ID, reason, "")
	})
}

// LapseOverdueClaims ends every active claim past its due time and returns its wish to
// published, recorded as done by the system. Several processes may run it at once: each
// overdue claim is taken by exactly one of them (SKIP LOCKED). It returns how many lapsed.
func (s *Store) LapseOverdueClaims(ctx context.Context) (int, error) {
	st, err := s.prepared(ctx, `WITH due AS (
			SELECT c.id AS claim_id, w.id AS wish_id
			FROM wish_claims c JOIN wishes w ON w.id = c.wish_id AND w.claim_id = c.id
			WHERE c.ended_at IS NULL AND c.due_at <= $1 AND w.state = 'claimed'
			ORDER BY c.due_at LIMIT 500
			FOR UPDATE OF c, w SKIP LOCKED
		), ended AS (
			UPDATE wish_claims c SET ended_at = $1, end_reason = 'lapsed' FROM due WHERE c.id = due.claim_id
		), reopened AS (
			UPDATE wishes w SET state = 'published', updated_at = $1 FROM due WHERE w.id = due.wish_id
		)
		INSERT INTO wish_events (wish_id, at, action, actor_id, from_state, to_state, reason)
		SELECT wish_id, $1, 'lapse', NULL, 'claimed', 'published', $2 FROM due`)
	if err != nil {
		return 0, err
	}
	total := 0
	for {
		res, err := st.ExecContext(ctx, s.Now().UTC(), "认领超过完成期限，系统自动收回，心愿重新发布")
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += int(n)
		if n < 500 {
			return total, nil
		}
	}
}

// Fulfilment is what the claimer reports.
type Fulfilment struct {
	Note      string
	Hours     float64
	PhotoURLs []string
}

// FulfilWish records what the claimer did; the beneficiary confirms next. Errors:
// UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT.
func (s *Store) FulfilWish(ctx context.Context, v *Viewer, id int64, f Fulfilment) (*HeldWish, error) {
	note, err := text("note", "完成情况", f.Note, 1, 1000)
	if err != nil {
		return nil, err
	}
	if math.IsNaN(f.Hours) || f.Hours < 0.25 || f.Hours > 24 {
		return nil, Invalid("hours", "服务时长需要在 0.25 到 24 小时之间")
	}
	minutes := int(math.Round(f.Hours * 60))
	// The column holds an empty list, never NULL.
	if f.PhotoURLs, err = photoURLs("photoUrls", f.PhotoURLs); err != nil {
		return nil, err
	}
	return s.writeWish(ctx, v, id, func(tx *Tx, lw *lockedWish) error {
		if err := requireClaimer(v, lw, "报告完成"); err != nil {
			return err
		}
		if err := tx.endClaim(lw, "fulfilled"); err != nil {
			return err
		}
		return tx.transition(lw, WishFulfilled, "fulfil", &v.Account.ID, nil,
			`, fulfil_note = $4, fulfil_minutes = $5, fulfil_photos = $6, fulfilled_at = $3`, note, minutes, pq.Array(f.PhotoURLs))
	})
}

// mayConfirm reports whether v confirms or disputes for the beneficiary: the beneficiary,
// or the grid worker or staff of their place (for people who do not use phones).
func mayConfirm(v *Viewer, lw *lockedWish) bool {
	return v.IsResident(lw.BeneficiaryID) || v.Holds(lw.household, rolesReviewing...)
}

// ConfirmWish closes a fulfilled wish with a rating and credits the claimer's hours and
// points, once. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT.
func (s *Store) ConfirmWish(ctx context.Context, v *Viewer, id int64, rating int, comment *string) (*HeldWish, error) {
	if rating < 1 || rating > 5 {
		return nil, Invalid("rating", "评分需要是 1 到 5 分")
	}
	comment, err := optionalText("comment", "评价", comment, 500)
	if err != nil {
		return nil, err
	}
	return s.writeWish(ctx, v, id, func(tx *Tx, lw *lockedWish) error {
		if !mayConfirm(v, lw) {
			return forbidden("只有受益人或其网格员可以确认完成")
		}
		if lw.State != WishFulfilled {
			return wrongState(lw.Wish, "确认完成")
		}
		if err := tx.transition(lw, WishConfirmed, "confirm", &v.Account.ID, nil,
			`, rating = $4, rating_comment = $5, confirmed_at = $3`, rating, comment); err != nil {
			return err
		}
		return tx.credit(lw, "确认完成")
	})
}

// Points is what minutes of service earn at perHour points an hour, rounded to the nearest
// whole point, halves up: 45 minutes at 10 an hour is 8 points, not 7.
func Points(minutes, perHour int) int { return (minutes*perHour + 30) / 60 }

// credit posts the hours and points of the wish's current claim, unless already posted.
func (tx *Tx) credit(lw *lockedWish, note string) error {
	settings, err := tx.settings(lw.CommunityID)
	if err != nil {
		return err
	}
	minutes := *lw.FulfilMinutes
	_, err = tx.exec(`INSERT INTO volunteer_ledger (account_id, wish_id, claim_id, at, kind, minutes, points, note)
		VALUES ($1, $2, $3, $4, 'credit', $5, $6, $7) ON CONFLICT (claim_id) WHERE kind = 'credit' DO NOTHING`,
		lw.claim.ClaimerID, lw.ID, lw.claim.ID, tx.now, minutes, Points(minutes, settings.PointsPerHour), note)
	return err
}

// reverse undoes the credit of the wish's current claim, if there is one not yet undone.
func (tx *Tx) reverse(lw *lockedWish, note string) error {
	_, err := tx.exec(`INSERT INTO volunteer_ledger (account_id, wish_id, claim_id, at, kind, minutes, points, reverses_id, note)
		SELECT l.account_id, l.wish_id, l.claim_id, $2, 'reversal', -l.minutes, -l.points, l.id, $3
		FROM volunteer_ledger l
		WHERE l.claim_id = $1 AND l.kind = 'credit'
			AND NOT EXISTS (SELECT 1 FROM volunteer_ledger r WHERE r.reverses_id = l.id)`, lw.claim.ID, tx.now, note)
	return err
}

// DisputeWish is the beneficiary's objection to a fulfilment, instead of confirming it or
// within seven days after. Staff settle it. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN,
// INVALID_STATE, INVALID_INPUT (reason).
func (s *Store) DisputeWish(ctx context.Context, v *Viewer, id int64, reason string) (*HeldWish, error) {
	why, err := text("reason", "异议原因", reason, 1, 500)
	if err != nil {
		return nil, err
	}
	return s.writeWish(ctx, v, id, func(tx *Tx, lw *lockedWish) error {
		if !mayConfirm(v, lw) {
			return forbidden("只有受益人或其网格员可以提出异议")
		}
		switch {
		case lw.State == WishFulfilled:
		case lw.State == WishConfirmed && lw.ConfirmedAt != nil && tx.now.Sub(*lw.ConfirmedAt) <= disputeWindow:
		case lw.State == WishConfirmed:
			return Errorf(EINVALIDSTATE, "心愿已确认超过 7 天，不能再提出异议；请联系社区工作者")
		default:
			return wrongState(lw.Wish, "提出异议")
		}
		return tx.transition(lw, WishDisputed, "dispute", &v.Account.ID, &why, "")
	})
}

// Settlement is how staff settle a dispute.
type Settlement string

// Settlements.
const (
	SettleReturn   Settlement = "return_to_claimer"
	SettleCredit   Settlement = "credit"
	SettleNoCredit Settlement = "no_credit"
)

// SettleWish settles a disputed wish: back to the claimer to finish, credited as done, or
// closed without credit; a credit that should not stand is reversed. Errors:
// UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT.
func (s *Store) SettleWish(ctx context.Context, v *Viewer, id int64, outcome Settlement, note string) (*HeldWish, error) {
	why, err := text("note", "处理说明", note, 1, 500)
	if err != nil {
		return nil, err
	}
	return s.writeWish(ctx, v, id, func(tx *Tx, lw *lockedWish) error {
		if !v.Holds(lw.household, rolesSettling...) {
			return forbidden("只有受益人所在社区的社区工作者可以处理争议")
		}
		if lw.State != WishDisputed {
			return wrongState(lw.Wish, "处理争议")
		}
		switch outcome {
		case SettleReturn:
			if err := tx.reverse(lw, "争议处理：退回认领人继续完成"); err != nil {
				return err
			}
			settings, err := tx.settings(lw.CommunityID)
			if err != nil {
				return err
			}
			var claimID int64
			due := tx.now.Add(time.Duration(settings.ClaimHours) * time.Hour)
			if err := tx.get(&claimID, `INSERT INTO wish_claims (wish_id, claimer_id, claimed_at, due_at) VALUES ($1, $2, $3, $4) RETURNING id`,
				lw.ID, lw.claim.ClaimerID, tx.now, due); err != nil {
				return err
			}
			lw.claim = &Claim{ID: claimID, WishID: lw.ID, ClaimerID: lw.claim.ClaimerID, ClaimedAt: tx.now, DueAt: due}
			return tx.transition(lw, WishClaimed, "settle", &v.Account.ID, &why,
				`, claim_id = $4, fulfil_note = NULL, fulfil_minutes = NULL, fulfil_photos = '{}', fulfilled_at = NULL,
				rating = NULL, rating_comment = NULL, confirmed_at = NULL`, claimID)
		case SettleCredit:
			if err := tx.transition(lw, WishConfirmed, "settle", &v.Account.ID, &why, `, confirmed_at = coalesce(w.confirmed_at, $3)`); err != nil {
				return err
			}
			return tx.credit(lw, "争议处理：认定已完成")
		case SettleNoCredit:
			if err := tx.reverse(lw, "争议处理：认定未完成"); err != nil {
				return err
			}
			return tx.transition(lw, WishClosed, "settle", &v.Account.ID, &why, `, closing_reason = $4`, why)
		}
		return Invalid("outcome", "处理结果无效")
	})
}

// wishKey is a wish's key in lists ordered by id.
func wishKey(w *Wish) Key { return idKey(w.ID) }

// WishFilter narrows a list of wishes; zero fields do not filter.
type WishFilter struct {
	States                        []WishState
	Categories                    []WishCategory
	PlaceID, BeneficiaryID        int64
	ClaimerID                     int64
	CreatedAfter, CreatedBefore   *time.Time
	DeadlineAfter, DeadlineBefore *time.Time
	Text                          string
}

// wishQuery builds the FROM … WHERE of a wish list: what v may see, then the filter.
type wishQuery struct {
	b    strings.Builder
	args []any
}

func (q *wishQuery) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *wishQuery) and(cond string) { q.b.WriteString(" AND " + cond) }

// visibleTo limits the list to what v may see, the same rules as Viewer.Access.
func (q *wishQuery) visibleTo(v *Viewer) {
	manage, _ := v.placesHolding(rolesManaging...)
	serve, serveUp := v.placesHolding(rolesServing...)
	residentID := int64(0)
	if v.Resident != nil {
		residentID = v.Resident.ID
		if v.Resident.Verified {
			serveUp = append(serveUp, v.Resident.HouseholdPath...)
		}
	}
	me := q.arg(v.Account.ID)
	q.and(`(w.submitted_by = ` + me + ` OR w.beneficiary_id = ` + q.arg(residentID) +
		` OR wp.path && ` + q.arg(pq.Array(manage)) + ` OR bh.path && ` + q.arg(pq.Array(manage)) +
		` OR EXISTS (SELECT 1 FROM wish_claims mc WHERE mc.wish_id = w.id AND mc.claimer_id = ` + me + `)` +
		` OR (w.state NOT IN ('submitted', 'rejected', 'cancelled') AND (wp.path && ` + q.arg(pq.Array(serve)) +
		` OR w.place_id = ANY(` + q.arg(pq.Array(serveUp)) + `))))`)
}

func (q *wishQuery) filter(f WishFilter) error {
	if len(f.States) > 0 {
		q.and(`w.state = ANY(` + q.arg(pq.Array(f.States)) + `::wish_state[])`)
	}
	if len(f.Categories) > 0 {
		q.and(`w.category = ANY(` + q.arg(pq.Array(f.Categories)) + `::wish_category[])`)
	}
	if f.PlaceID != 0 {
		// In a place: shown there or below it, or for someone who lives there.
		place := q.arg(pq.Array([]int64{f.PlaceID}))
		q.and(`(wp.path && ` + place + ` OR bh.path && ` + place + `)`)
	}
	if f.BeneficiaryID != 0 {
		q.and(`w.beneficiary_id = ` + q.arg(f.BeneficiaryID))
	}
	if f.ClaimerID != 0 {
		q.and(`EXISTS (SELECT 1 FROM wish_claims fc WHERE fc.wish_id = w.id AND fc.claimer_id = ` + q.arg(f.ClaimerID) + `)`)
	}
	for _, c := range []struct {
		t  *time.Time
		op string
	}{{f.CreatedAfter, "w.created_at >= "}, {f.CreatedBefore, "w.created_at < "}, {f.DeadlineAfter, "w.deadline >= "}, {f.DeadlineBefore, "w.deadline < "}} {
		if c.t != nil {
			q.and(c.op + q.arg(*c.t))
		}
	}
	words := strings.Fields(f.Text)
	if len(words) > 5 {
		return Invalid("text", "最多用 5 个词查找")
	}
	if len(words) == 0 {
		return nil
	}
	// A substring match: Chinese has no spaces between words, so 轮椅 must be found inside
	// 想要一台轮椅. wish_texts holds each wish's title and description, and its trigram index
	// serves the match for longer words.
	match := make([]string, len(words))
	for i, word := range words {
		if utf8.RuneCountInString(word) > 40 {
			return Invalid("text", "查找的词太长")
		}
		match[i] = `t.text ILIKE ` + q.arg("%"+likeEscaper.Replace(word)+"%")
	}
	q.and(`w.id IN (SELECT t.wish_id FROM wish_texts t WHERE ` + strings.Join(match, " AND ") + `)`)
	return nil
}

// wishFrom joins each wish with its place (wp) and the beneficiary's household (bh): who
// may see a wish depends on both.
const wishFrom = ` FROM wishes w JOIN places wp ON wp.id = w.place_id
	JOIN residents br ON br.id = w.beneficiary_id JOIN places bh ON bh.id = br.household_id WHERE true`

// WishOrder is how a wish list is sorted.
type WishOrder string

// Wish list orders.
const (
	WishNewest   WishOrder = "newest"
	WishDeadline WishOrder = "deadline"
)

var byDeadline = order{cols: []string{"w.deadline", "w.id"}, kinds: []string{"timestamptz", "bigint"}}

func deadlineKey(w *Wish) Key { return timeKey(w.Deadline, w.ID) }

// Wishes lists the wishes v may see that pass the filter.
func (s *Store) Wishes(ctx context.Context, v *Viewer, f WishFilter, o WishOrder, p Page) (Paged[*Wish], func(context.Context) (int, error), error) {
	if v == nil {
		return Paged[*Wish]{}, nil, needSignIn
	}
	var q wishQuery
	q.b.WriteString(wishFrom)
	q.visibleTo(v)
	if err := q.filter(f); err != nil {
		return Paged[*Wish]{}, nil, err
	}
	return s.wishList(ctx, q, o, p)
}

func (s *Store) wishList(ctx context.Context, q wishQuery, o WishOrder, p Page) (Paged[*Wish], func(context.Context) (int, error), error) {
	from, args := q.b.String(), q.args
	count := s.counter(ctx, p, from, args)
	ord, key := byIDDesc.qualified("w"), wishKey
	if o == WishDeadline {
		ord, key = byDeadline, deadlineKey
	}
	// The page reads what answering about its wishes needs in the same statement, rather
	// than a loader round per relation: the page's wishes are chosen first, then joined
	// with their relations, so the joins run for the page's rows only.
	res, err := listQueryAround(ctx, s, `SELECT w.*`+from, args, ord, func(r *wishRow) Key { return key(&r.Wish) }, p,
		func(page string) string { return `SELECT ` + wishReadColumns + ` FROM ` + page + wishReadJoins })
	if err != nil {
		return Paged[*Wish]{}, nil, err
	}
	out := Paged[*Wish]{Items: make([]*Wish, len(res.Items)), Keys: res.Keys, HasNext: res.HasNext, HasPrevious: res.HasPrevious}
	for i, r := range res.Items {
		out.Items[i] = r.wish()
	}
	return out, count, err
}

// wishRow is a row of a wish list read with wishReadColumns.
type wishRow struct {
	Wish
	Place       Place       `db:"wp"`
	Community   Place       `db:"wc"`
	Household   Place       `db:"bh"`
	Building    Place       `db:"bb"`
	Beneficiary Resident    `db:"br"`
	Claim       nullClaim   `db:"cl"`
	Claimer     nullAccount `db:"ca"`
	// ClaimerResident is the claimer's resident record, if they live here: what the
	// viewer may see of the claimer depends on it.
	ClaimerResident nullResident `db:"cr"`
}

// nullClaim and nullAccount are a claim and its claimer through a LEFT JOIN: all NULL for a
// wish with no claim.
type nullClaim struct {
	ID        *int64     `db:"id"`
	WishID    *int64     `db:"wish_id"`
	ClaimerID *int64     `db:"claimer_id"`
	ClaimedAt *time.Time `db:"claimed_at"`
	DueAt     *time.Time `db:"due_at"`
	EndedAt   *time.Time `db:"ended_at"`
	EndReason *string    `db:"end_reason"`
}

// claim is the claim of wish, nil when there is none.
func (c nullClaim) claim(wish int64) *Claim {
	if c.ID == nil {
		return nil
	}
	return &Claim{ID: *c.ID, WishID: wish, ClaimerID: *c.ClaimerID, ClaimedAt: *c.ClaimedAt, DueAt: *c.DueAt,
		EndedAt: c.EndedAt, EndReason: c.EndReason}
}

type nullResident struct {
	ID            *int64         `db:"id"`
	HouseholdID   *int64         `db:"household_id"`
	Name          *string        `db:"name"`
	Phone         *string        `db:"phone"`
	BirthDate     *time.Time     `db:"birth_date"`
	IsOwner       *bool          `db:"is_owner"`
	Tags          pq.StringArray `db:"tags"`
	VerifiedAt    *time.Time     `db:"verified_at"`
	VerifiedBy    *int64         `db:"verified_by"`
	CreatedAt     *time.Time     `db:"created_at"`
	Gender        *string        `db:"gender"`
	Relationship  *string        `db:"relationship"`
	LeftOn        *time.Time     `db:"left_on"`
	LeftReason    *string        `db:"left_reason"`
	HouseholdPath pq.Int64Array  `db:"household_path"`
}

type nullAccount struct {
	Phone     *string    `db:"phone"`
	Name      *string    `db:"name"`
	CreatedAt *time.Time `db:"created_at"`
}

func (r *wishRow) wish() *Wish {
	w := r.Wish
	b := r.Beneficiary
	b.HouseholdPath = r.Household.Path
	w.Read = &WishRead{Place: &r.Place, Community: &r.Community, Household: &r.Household, Building: &r.Building, Beneficiary: &b}
	if c := r.Claim; c.ID != nil {
		w.Read.Claim = c.claim(w.ID)
		w.Read.Claimer = &Account{ID: *c.ClaimerID, Phone: *r.Claimer.Phone, Name: *r.Claimer.Name, CreatedAt: *r.Claimer.CreatedAt}
		if cr := r.ClaimerResident; cr.ID != nil {
			w.Read.ClaimerResident = &Resident{ID: *cr.ID, HouseholdID: *cr.HouseholdID, Name: *cr.Name, Phone: cr.Phone,
				BirthDate: *cr.BirthDate, IsOwner: *cr.IsOwner, Tags: cr.Tags, AccountID: c.ClaimerID, VerifiedAt: cr.VerifiedAt,
				VerifiedBy: cr.VerifiedBy, CreatedAt: *cr.CreatedAt, Gender: cr.Gender, Relationship: cr.Relationship,
				LeftOn: cr.LeftOn, LeftReason: cr.LeftReason, HouseholdPath: cr.HouseholdPath}
		}
	}
	return &w
}

// wishReadJoins join a page of wishes (w) with what a list reads with each wish.
const wishReadJoins = ` JOIN places wp ON wp.id = w.place_id
	JOIN residents br ON br.id = w.beneficiary_id JOIN places bh ON bh.id = br.household_id
	JOIN places wc ON wc.id = w.community_id JOIN places bb ON bb.id = bh.parent_id
	LEFT JOIN wish_claims cl ON cl.id = w.claim_id LEFT JOIN accounts ca ON ca.id = cl.claimer_id
	LEFT JOIN residents cr ON cr.account_id = ca.id LEFT JOIN places ch ON ch.id = cr.household_id`

// wishReadColumns are a wishRow's columns: the wish's, then each relation's under its alias.
var wishReadColumns = wishColumns + ", " + prefixed("wp", "wp", placeColumns) + ", " + prefixed("wc", "wc", placeColumns) + ", " +
	prefixed("bh", "bh", placeColumns) + ", " + prefixed("bb", "bb", placeColumns) + ", " +
	prefixed("br", "br", "account_id, "+residentReadColumns) +
	`, EXISTS (SELECT 1 FROM household_owners o WHERE o.resident_id = br.id AND o.until IS NULL) AS "br.is_owner", ` +
	prefixed("cl", "cl", claimColumns) + ", " + prefixed("ca", "ca", "phone, name, created_at") + ", " +
	prefixed("cr", "cr", residentReadColumns) + `, EXISTS (SELECT 1 FROM household_owners o WHERE o.resident_id = cr.id AND o.until IS NULL) AS "cr.is_owner",
	ch.path AS "cr.household_path"`

// residentReadColumns are a resident's own columns, for prefixed.
const residentReadColumns = "id, household_id, name, phone, birth_date, tags, verified_at, verified_by, created_at, gender, relationship, left_on, left_reason"

// WishFeed lists the published wishes v may claim now, most urgent first. Errors:
// UNAUTHENTICATED, FORBIDDEN (neither volunteer nor party member).
func (s *Store) WishFeed(ctx context.Context, v *Viewer, p Page) (Paged[*Wish], func(context.Context) (int, error), error) {
	if v == nil {
		return Paged[*Wish]{}, nil, needSignIn
	}
	if !v.HoldsAnywhere(rolesServing...) {
		return Paged[*Wish]{}, nil, forbidden("心愿广场是志愿者和党员认领心愿的地方；请先在社区登记为志愿者")
	}
	serve, serveUp := v.placesHolding(rolesServing...)
	// Only the wish's place decides what the feed holds: wishFrom's join with the
	// beneficiary's household would run for every published wish, counted or not.
	var q wishQuery
	q.b.WriteString(` FROM wishes w JOIN places wp ON wp.id = w.place_id WHERE true`)
	q.and(`w.state = 'published' AND w.deadline > ` + q.arg(s.Now().UTC()))
	q.and(`(wp.path && ` + q.arg(pq.Array(serve)) + ` OR w.place_id = ANY(` + q.arg(pq.Array(serveUp)) + `))`)
	if v.Resident != nil {
		q.and(`w.beneficiary_id NOT IN (SELECT id FROM residents WHERE household_id = ` + q.arg(v.Resident.HouseholdID) + `)`)
	}
	return s.wishList(ctx, q, WishDeadline, p)
}

// MyWishes lists the wishes v is the beneficiary of or submitted, newest first.
func (s *Store) MyWishes(ctx context.Context, v *Viewer, states []WishState, p Page) (Paged[*Wish], func(context.Context) (int, error), error) {
	if v == nil {
		return Paged[*Wish]{}, nil, needSignIn
	}
	var q wishQuery
	q.b.WriteString(wishFrom)
	residentID := int64(0)
	if v.Resident != nil {
		residentID = v.Resident.ID
	}
	q.and(`(w.submitted_by = ` + q.arg(v.Account.ID) + ` OR w.beneficiary_id = ` + q.arg(residentID) + `)`)
	if err := q.filter(WishFilter{States: states}); err != nil {
		return Paged[*Wish]{}, nil, err
	}
	return s.wishList(ctx, q, WishNewest, p)
}

// claimOrder sorts wishes by the viewer's latest claim on each, newest first.
var claimOrder = order{cols: []string{"mc.claim_id"}, kinds: []string{"bigint"}, desc: true}

// claimedWish is a wish with the id of the viewer's latest claim on it, its list key.
type claimedWish struct {
	Wish
	LatestClaim int64 `db:"latest_claim"`
}

// MyClaims lists the wishes v has claimed, by v's latest claim on each, newest first;
// active narrows to claims still open (true) or ended (false).
func (s *Store) MyClaims(ctx context.Context, v *Viewer, active *bool, p Page) (Paged[*Wish], func(context.Context) (int, error), error) {
	if v == nil {
		return Paged[*Wish]{}, nil, needSignIn
	}
	from := ` FROM wishes w JOIN (SELECT wish_id, max(id) AS claim_id FROM wish_claims WHERE claimer_id = $1 GROUP BY wish_id) mc
		ON mc.wish_id = w.id JOIN wish_claims c ON c.id = mc.claim_id WHERE true`
	if active != nil && *active {
		from += ` AND c.ended_at IS NULL`
	} else if active != nil {
		from += ` AND c.ended_at IS NOT NULL`
	}
	args := []any{v.Account.ID}
	count := s.counter(ctx, p, from, args)
	res, err := listQuery(ctx, s, `SELECT `+wishColumns+`, mc.claim_id AS latest_claim`+from, args, claimOrder,
		func(w *claimedWish) Key { return idKey(w.LatestClaim) }, p)
	if err != nil {
		return Paged[*Wish]{}, nil, err
	}
	out := Paged[*Wish]{Keys: res.Keys, HasNext: res.HasNext, HasPrevious: res.HasPrevious}
	for _, cw := range res.Items {
		out.Items = append(out.Items, &cw.Wish)
	}
	return out, count, nil
}

// QueueKind is a staff work queue.
type QueueKind string

// Queues.
const (
	QueueReview   QueueKind = "review"
	QueueLapsing  QueueKind = "lapsing"
	QueueDisputed QueueKind = "disputed"
)

var byDueAt = order{cols: []string{"c.due_at", "w.id"}, kinds: []string{"timestamptz", "bigint"}}

type lapsingWish struct {
	Wish
	DueAt time.Time `db:"due_at"`
}

// WishQueue lists what waits for staff and grid workers in the places they manage, or in
// place (0: all of them): wishes to review and disputes, oldest first, and claims lapsing
// within the next hours, soonest first. Errors: UNAUTHENTICATED, FORBIDDEN, NOT_FOUND.
func (s *Store) WishQueue(ctx context.Context, v *Viewer, kind QueueKind, place int64, within time.Duration, p Page) (Paged[*Wish], func(context.Context) (int, error), error) {
	if v == nil {
		return Paged[*Wish]{}, nil, needSignIn
	}
	scope, _ := v.placesHolding(rolesReviewing...)
	if len(scope) == 0 {
		return Paged[*Wish]{}, nil, forbidden("待办队列供社区工作者和网格员使用")
	}
	if place != 0 {
		pl, err := s.Place(ctx, place)
		if err != nil {
			return Paged[*Wish]{}, nil, err
		}
		if !v.Holds(pl, rolesReviewing...) {
			return Paged[*Wish]{}, nil, forbidden("你不负责%s", pl.Name)
		}
		scope = []int64{place}
	}
	var q wishQuery
	if kind == QueueLapsing {
		q.b.WriteString(` FROM wishes w JOIN wish_claims c ON c.id = w.claim_id JOIN places wp ON wp.id = w.place_id
			JOIN residents br ON br.id = w.beneficiary_id JOIN places bh ON bh.id = br.household_id WHERE true`)
	} else {
		q.b.WriteString(wishFrom)
	}
	q.and(`bh.path && ` + q.arg(pq.Array(scope)))
	switch kind {
	case QueueReview:
		q.and(`w.state = 'submitted'`)
	case QueueDisputed:
		q.and(`w.state = 'disputed'`)
	case QueueLapsing:
		q.and(`w.state = 'claimed' AND c.ended_at IS NULL AND c.due_at <= ` + q.arg(s.Now().UTC().Add(within)))
		from, args := q.b.String(), q.args
		count := s.counter(ctx, p, from, args)
		res, err := listQuery(ctx, s, `SELECT `+wishColumns+`, c.due_at`+from, args, byDueAt,
			func(w *lapsingWish) Key { return timeKey(w.DueAt, w.ID) }, p)
		if err != nil {
			return Paged[*Wish]{}, nil, err
		}
		out := Paged[*Wish]{Keys: res.Keys, HasNext: res.HasNext, HasPrevious: res.HasPrevious}
		for _, lw := range res.Items {
			out.Items = append(out.Items, &lw.Wish)
		}
		return out, count, nil
	}
	from, args := q.b.String(), q.args
	count := s.counter(ctx, p, from, args)
	res, err := listQuery(ctx, s, `SELECT `+wishColumns+from, args, byID.qualified("w"), wishKey, p)
	return res, count, err
}

// VolunteerTotals are sums over a volunteer's ledger.
type VolunteerTotals struct {
	Minutes int `db:"minutes"`
	Points  int `db:"points"`
	Wishes  int `db:"wishes"`
}

// checkSeesRecord allows a volunteer's record to themself and to staff of a community where
// they hold a serving role.
func (s *Store) checkSeesRecord(ctx context.Context, v *Viewer, account int64) error {
	if v == nil {
		return needSignIn
	}
	if v.Is(account) {
		return nil
	}
	grants, err := s.ActiveGrantsByAccount(ctx, []int64{account})
	if err != nil {
		return err
	}
	for _, g := range grants[account] {
		if slices.Contains(rolesServing, g.Role) && v.Holds(&Place{ID: g.PlaceID, Path: g.PlacePath}, RoleStaff) {
			return nil
		}
	}
	return forbidden("只有本人和其服务社区的社区工作者可以查看志愿者的服务记录")
}

// VolunteerTotals sums a volunteer's ledger: totals are never stored apart from it.
func (s *Store) VolunteerTotals(ctx context.Context, v *Viewer, account int64) (VolunteerTotals, error) {
	var t VolunteerTotals
	if err := s.checkSeesRecord(ctx, v, account); err != nil {
		return t, err
	}
	err := s.get(ctx, &t, `SELECT coalesce(sum(minutes), 0) AS minutes, coalesce(sum(points), 0) AS points,
			count(*) FILTER (WHERE kind = 'credit') - count(*) FILTER (WHERE kind = 'reversal') AS wishes
		FROM volunteer_ledger WHERE account_id = $1`, account)
	return t, err
}

// Ledger lists a volunteer's ledger entries, newest first.
func (s *Store) Ledger(ctx context.Context, v *Viewer, account int64, p Page) (Paged[*LedgerEntry], func(context.Context) (int, error), error) {
	if err := s.checkSeesRecord(ctx, v, account); err != nil {
		return Paged[*LedgerEntry]{}, nil, err
	}
	const from = ` FROM volunteer_ledger l WHERE l.account_id = $1`
	res, err := listQuery(ctx, s, `SELECT l.id, l.account_id, l.wish_id, l.claim_id, l.at, l.kind, l.minutes, l.points, l.reverses_id, l.note`+from,
		[]any{account}, byIDDesc.qualified("l"), func(e *LedgerEntry) Key { return idKey(e.ID) }, p)
	return res, func(ctx context.Context) (int, error) { return s.count(ctx, from, account) }, err
}

// MaskName shows a name as its first character and a star for each other: 王*, 欧阳**.
func MaskName(name string) string {
	r := []rune(name)
	if len(r) == 0 {
		return ""
	}
	return string(r[0]) + strings.Repeat("*", len(r)-1)
}
