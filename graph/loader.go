package graph

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"linli/db"
)

// loader batches the lookups that the resolvers of one request make at about the same time
// into one query, and remembers what it found for the rest of the request. gqlgen resolves
// the items of a list concurrently, so N items asking for their household become one
// `WHERE id = ANY($1)` instead of N queries.
//
// A batch goes out once no new key has arrived for `idle` (or after `max`, or at 500 keys):
// waiting for quiet rather than a fixed window keeps a slow scheduler from splitting a batch.
type loader[V any] struct {
	fetch func(context.Context, []int64) (map[int64]V, error)
	name  string // for the batch-size metric
	ctx   context.Context
	idle  time.Duration
	max   time.Duration

	mu     sync.Mutex
	cache  map[int64]*batch[V]
	primed map[int64]V    // values at hand before anyone asked (prime)
	none   map[int64]bool // keys known to have no value (primeNone)
	open   *batch[V]
}

type batch[V any] struct {
	keys   []int64
	done   chan struct{}
	result map[int64]V
	err    error
	timer  *time.Timer
	start  time.Time
	sent   bool
}

const maxBatch = 500

func newLoader[V any](ctx context.Context, wait time.Duration, fetch func(context.Context, []int64) (map[int64]V, error)) *loader[V] {
	return &loader[V]{fetch: fetch, ctx: ctx, idle: wait, max: 20 * wait, cache: map[int64]*batch[V]{}}
}

// load returns the value for key; ok is false when there is none.
func (l *loader[V]) load(key int64) (v V, ok bool, err error) {
	l.mu.Lock()
	if v, ok := l.primed[key]; ok {
		l.mu.Unlock()
		return v, true, nil
	} else if l.none[key] {
		l.mu.Unlock()
		return v, false, nil
	}
	b := l.enqueue(key)
	l.mu.Unlock()
	return l.wait(b, key)
}

// warm asks for keys all at once, so that a caller about to load them one after another
// waits for one batch instead of one per key; it returns when they are loaded. The batch
// waits for quiet as load's do, so resolvers running side by side still share it.
func (l *loader[V]) warm(keys []int64) error { return l.warmKeys(keys, false) }

// warmKeys is warm, or with now, warm for a caller that knows it is the only one asking,
// such as a mutation building its answer: the batch goes out at once instead of after a
// quiet wait.
func (l *loader[V]) warmKeys(keys []int64, now bool) error {
	l.mu.Lock()
	batches := make([]*batch[V], len(keys))
	for i, key := range keys {
		if _, ok := l.primed[key]; !ok && !l.none[key] {
			batches[i] = l.enqueue(key)
		}
	}
	open := l.open
	l.mu.Unlock()
	if now && open != nil && slices.Contains(batches, open) {
		open.timer.Stop()
		l.dispatch(open)
	}
	for i, b := range batches {
		if b == nil {
			continue
		}
		if _, _, err := l.wait(b, keys[i]); err != nil {
			return err
		}
	}
	return nil
}

// enqueue returns the batch that has or will have key, adding it to the open batch if no
// batch has it yet. l.mu is held.
func (l *loader[V]) enqueue(key int64) *batch[V] {
	b := l.cache[key]
	if b != nil {
		return b
	}
	b = l.open
	if b == nil {
		b = &batch[V]{done: make(chan struct{}), start: time.Now()}
		l.open = b
		b.timer = time.AfterFunc(l.idle, func() { l.dispatch(b) })
	} else if time.Since(b.start) < l.max {
		b.timer.Reset(l.idle)
	}
	b.keys = append(b.keys, key)
	l.cache[key] = b
	if len(b.keys) >= maxBatch {
		b.timer.Stop()
		go l.dispatch(b)
	}
	return b
}

// wait returns key's value once its batch is back.
func (l *loader[V]) wait(b *batch[V], key int64) (v V, ok bool, err error) {
	select {
	case <-b.done:
	case <-l.ctx.Done():
		return v, false, l.ctx.Err()
	}
	if b.err != nil {
		return v, false, b.err
	}
	v, ok = b.result[key]
	return v, ok, nil
}

func (l *loader[V]) dispatch(b *batch[V]) {
	l.mu.Lock()
	if b.sent {
		l.mu.Unlock()
		return
	}
	b.sent = true
	if l.open == b {
		l.open = nil
	}
	keys := b.keys
	l.mu.Unlock()

	if req := requestFrom(l.ctx); req != nil {
		req.store.Metrics.LoaderBatch(l.name, len(keys))
	}
	b.result, b.err = l.fetch(l.ctx, keys)
	close(b.done)
}

// as names the loader in the batch-size metric.
func (l *loader[V]) as(name string) *loader[V] {
	l.name = name
	return l
}

// prime stores values already at hand, such as the rows of a list, so that asking for
// them again costs nothing.
func (l *loader[V]) prime(key int64, v V) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cache[key] != nil {
		return
	}
	if _, ok := l.primed[key]; ok {
		return
	}
	if l.primed == nil {
		l.primed = map[int64]V{}
	}
	l.primed[key] = v
}

// primeNone records that key has no value, as a statement that looked for it found.
func (l *loader[V]) primeNone(key int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.none == nil {
		l.none = map[int64]bool{}
	}
	l.none[key] = true
}

// loaders are one request's loaders.
type loaders struct {
	place             *loader[*db.Place]
	account           *loader[*db.Account]
	resident          *loader[*db.Resident]
	residentByAccount *loader[*db.Resident]
	grant             *loader[*db.RoleGrant]
	grantsByAccount   *loader[[]*db.RoleGrant]
	wish              *loader[*db.Wish]
	claim             *loader[*db.Claim]
	wishEvents        *loader[[]*db.WishEvent]
	topic             *loader[*db.Topic]
	cosignCount       *loader[int]
	cosignThreshold   *loader[int]
	cosignedByMe      *loader[bool]
	topicWishes       *loader[[]int64]
	topicEvents       *loader[[]*db.TopicEvent]
	commentCount      *loader[int]
	replies           *loader[[]*db.TopicComment]
	meeting           *loader[*db.Meeting]
	meetingTopics     *loader[[]int64]
	meetingEvents     *loader[[]*db.MeetingEvent]
	meetingCounts     *loader[*db.MeetingCounts]
	myPresence        *loader[db.MeetingPresence]
	vote              *loader[*db.Vote]
	votesByMeeting    *loader[[]int64]
	votesByTopic      *loader[[]int64]
	resolution        *loader[*db.Resolution]
	resolutionsTopic  *loader[[]*db.Resolution]
	resolutionByVote  *loader[*db.Resolution]
	objections        *loader[[]*db.Objection]
	tasks             *loader[[]*db.Task]
	reports           *loader[[]*db.TaskReport]
	supervision       *loader[[]*db.SupervisionNote]
	ratings           *loader[*db.RatingSummary]
	myRating          *loader[int]
	gridWorker        *loader[int64]
	turnoutByBuilding *loader[[]*db.BuildingTurnout]
	visits            *visitLoaders // grid work (grid_visits.go)
	orgs              *orgLoaders
	projects          *projectLoaders

	// contacts: whom the viewer is linked to by a wish (db.Contacts), read once if needed.
	contactsOnce sync.Once
	contacts     *db.Contacts
	contactsErr  error

	// commentPages holds one loader per page asked for (first, after): the topics of a
	// list asking for the same page of comments share one statement.
	store        *db.Store
	ctx          context.Context
	wait         time.Duration
	mu           sync.Mutex
	commentPages map[string]*loader[db.Paged[*db.TopicComment]]
	wishViews    map[*db.Wish]*wishViewOnce // viewWish's, under mu
}

func newLoaders(ctx context.Context, s *db.Store, wait time.Duration) *loaders {
	return &loaders{
		place:             newLoader(ctx, wait, s.PlacesByID).as("place"),
		account:           newLoader(ctx, wait, s.AccountsByID).as("account"),
		resident:          newLoader(ctx, wait, s.ResidentsByID).as("resident"),
		residentByAccount: newLoader(ctx, wait, s.ResidentsByAccount).as("residentByAccount"),
		grant:             newLoader(ctx, wait, s.GrantsByID).as("grant"),
		grantsByAccount:   newLoader(ctx, wait, s.ActiveGrantsByAccount).as("grantsByAccount"),
		wish:              newLoader(ctx, wait, s.WishesByID).as("wish"),
		claim:             newLoader(ctx, wait, s.ClaimsByID).as("claim"),
		wishEvents:        newLoader(ctx, wait, s.WishEventsByWish).as("wishEvents"),
		topic:             newLoader(ctx, wait, s.TopicsByID).as("topic"),
		cosignCount:       newLoader(ctx, wait, s.CosignCounts).as("cosignCount"),
		cosignThreshold:   newLoader(ctx, wait, s.CosignThresholds).as("cosignThreshold"),
		cosignedByMe: viewerLoader(ctx, wait, false, func(ctx context.Context, v *db.Viewer, ids []int64) (map[int64]bool, error) {
			return s.CosignedBy(ctx, v.Account.ID, ids)
		}).as("cosignedByMe"),
		topicWishes:   newLoader(ctx, wait, s.TopicWishIDs).as("topicWishes"),
		topicEvents:   newLoader(ctx, wait, s.TopicEventsByTopic).as("topicEvents"),
		commentCount:  newLoader(ctx, wait, s.CommentCounts).as("commentCount"),
		replies:       newLoader(ctx, wait, s.RepliesByComment).as("replies"),
		meeting:       newLoader(ctx, wait, s.MeetingsByID).as("meeting"),
		meetingTopics: newLoader(ctx, wait, s.MeetingTopicIDs).as("meetingTopics"),
		meetingEvents: newLoader(ctx, wait, s.MeetingEventsByMeeting).as("meetingEvents"),
		meetingCounts: newLoader(ctx, wait, s.MeetingCountsByMeeting).as("meetingCounts"),
		myPresence: viewerLoader(ctx, wait, true, func(ctx context.Context, v *db.Viewer, ids []int64) (map[int64]db.MeetingPresence, error) {
			return s.PresenceOf(ctx, v.Resident.ID, ids)
		}).as("myPresence"),
		vote: viewerLoader(ctx, wait, false, func(ctx context.Context, v *db.Viewer, ids []int64) (map[int64]*db.Vote, error) {
			vs, err := s.Votes(ctx, v, ids)
			m := make(map[int64]*db.Vote, len(vs))
			for _, vt := range vs {
				m[vt.ID] = vt
			}
			return m, err
		}).as("vote"),
		votesByMeeting:   newLoader(ctx, wait, s.VoteIDsByMeeting).as("votesByMeeting"),
		votesByTopic:     newLoader(ctx, wait, s.VoteIDsByTopic).as("votesByTopic"),
		resolution:       newLoader(ctx, wait, s.ResolutionsByID).as("resolution"),
		resolutionsTopic: newLoader(ctx, wait, s.ResolutionsByTopic).as("resolutionsTopic"),
		resolutionByVote: newLoader(ctx, wait, s.ResolutionsByVote).as("resolutionByVote"),
		objections:       newLoader(ctx, wait, s.ObjectionsByResolution).as("objections"),
		tasks:            newLoader(ctx, wait, s.TasksByResolution).as("tasks"),
		reports:          newLoader(ctx, wait, s.ReportsByTask).as("reports"),
		supervision:      newLoader(ctx, wait, s.SupervisionByTask).as("supervision"),
		ratings:          newLoader(ctx, wait, s.RatingsByResolution).as("ratings"),
		myRating: viewerLoader(ctx, wait, true, func(ctx context.Context, v *db.Viewer, ids []int64) (map[int64]int, error) {
			return s.MyRatings(ctx, v.Resident.ID, ids)
		}).as("myRating"),
		// Only when asked for: the turnout per building passes over the vote's whole roll.
		turnoutByBuilding: newLoader(ctx, wait, func(ctx context.Context, ids []int64) (map[int64][]*db.BuildingTurnout, error) {
			return s.TurnoutByBuilding(ctx, ids)
		}).as("turnoutByBuilding"),
		gridWorker:   newLoader(ctx, wait, s.GridWorkersOf).as("gridWorker"),
		visits:       newVisitLoaders(ctx, s, wait),
		orgs:         newOrgLoaders(ctx, s, wait),
		projects:     newProjectLoaders(ctx, s, wait),
		store:        s,
		ctx:          ctx,
		wait:         wait,
		commentPages: map[string]*loader[db.Paged[*db.TopicComment]]{},
	}
}

// viewerLoader is a loader whose answers depend on who asks: fetch gets the viewer, and is
// not called (nothing is found) for somebody not signed in or, when resident is set, for a
// viewer who lives nowhere here.
func viewerLoader[V any](ctx context.Context, wait time.Duration, resident bool,
	fetch func(context.Context, *db.Viewer, []int64) (map[int64]V, error)) *loader[V] {
	return newLoader(ctx, wait, func(ctx context.Context, ids []int64) (map[int64]V, error) {
		v, err := viewer(ctx)
		if err != nil || v == nil || (resident && v.Resident == nil) {
			return map[int64]V{}, err
		}
		return fetch(ctx, v, ids)
	})
}

// topicComments returns the loader of page p of topics' comments.
func (l *loaders) topicComments(p db.Page) *loader[db.Paged[*db.TopicComment]] {
	key := fmt.Sprint(p.First, p.After)
	l.mu.Lock()
	defer l.mu.Unlock()
	if cl := l.commentPages[key]; cl != nil {
		return cl
	}
	cl := newLoader(l.ctx, l.wait, func(ctx context.Context, ids []int64) (map[int64]db.Paged[*db.TopicComment], error) {
		return l.store.TopicComments(ctx, ids, p)
	})
	cl.as("topicComments")
	l.commentPages[key] = cl
	return cl
}
