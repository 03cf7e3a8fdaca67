package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"linli/db/dbtest"
)

// The browser tests drive Debian's chromium through the DevTools protocol (chromedp), against
// the real program started by startRun: the playground, /query and the demo data, as a
// volunteer would use them. Without chromium they skip, unless LINLI_BROWSER_TESTS=required
// (as .ci/run sets it), when they fail.

// findChromium returns the browser to drive, or skips the test (fails it when required).
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("LINLI_BROWSER_TESTS") == "required" {
		t.Fatal("LINLI_BROWSER_TESTS=required but chromium is not installed (apt-get install chromium fonts-wqy-microhei)")
	}
	t.Skip("chromium is not installed: the browser tests are skipped (apt-get install chromium fonts-wqy-microhei; LINLI_BROWSER_TESTS=required makes this a failure)")
	return ""
}

// screenshotDir is where screenshots go: LINLI_SCREENSHOTS, or artifacts/screenshots at the
// repository root (the tests of package main run there).
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("LINLI_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("artifacts", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shotName matches the names the tests give screenshots: <width>-<nn>-<step>.png.
var shotName = regexp.MustCompile(`^\d+-\d+-[a-z0-9-]+\.png$`)

// clearOldShots runs once a test process: its tests' screenshots are numbered together.
var clearOldShots sync.Once

// shots counts the screenshots taken so far by width, for the <nn> of the next name: one
// sequence for all the tests of the process, so that no name is used twice.
var shots = struct {
	sync.Mutex
	n map[int]int
}{n: map[int]int{}}

// browser is one chromium process with the program it tests.
type browser struct {
	srv  *running
	ctx  context.Context // the browser; each session opens its own browser context in it
	host string          // 127.0.0.1:port of the program: the only host a page may reach
	dir  string          // screenshots
}

// startBrowser starts the program (with its demo data) and chromium.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	exe := findChromium(t)
	srv := startRun(t, nil)
	u, err := url.Parse(srv.public)
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{srv: srv, host: u.Host, dir: screenshotDir(t)}
	clearOldShots.Do(func() {
		// Screenshots of an earlier run would mix with this run's under the same names.
		if old, err := os.ReadDir(b.dir); err == nil {
			for _, e := range old {
				if shotName.MatchString(e.Name()) {
					os.Remove(filepath.Join(b.dir, e.Name()))
				}
			}
		}
	})

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.WindowSize(1400, 900),
		chromedp.Flag("lang", "zh-CN"),
		// No GPU in CI; software rendering is what headless uses there anyway.
		chromedp.DisableGPU,
		// Nothing of the browser's own on the network either (the page's requests are
		// checked separately): no component updates, no domain reliability reports.
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
	)
	if os.Geteuid() == 0 {
		// CI runs as root, and chromium refuses to start its sandbox as root.
		opts = append(opts, chromedp.NoSandbox)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first Do starts the browser; its life is ctx's, so no timeout here: a start that
	// hangs is bounded by the test binary's own -timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium (%s): %v", exe, err)
	}
	b.ctx = ctx
	return b
}

// nextShot returns the file for the next screenshot at width.
func (b *browser) nextShot(width int, step string) string {
	shots.Lock()
	defer shots.Unlock()
	shots.n[width]++
	return filepath.Join(b.dir, fmt.Sprintf("%d-%02d-%s.png", width, shots.n[width], step))
}

// watch collects what must not happen in a page: a request to another host, an error in the
// console, an uncaught exception, an error in the browser's log (where CSP violations go).
type watch struct {
	host string

	mu       sync.Mutex
	problems []string
}

func (w *watch) add(format string, args ...any) {
	w.mu.Lock()
	w.problems = append(w.problems, fmt.Sprintf(format, args...))
	w.mu.Unlock()
}

// listen is a chromedp listener: it runs in the tab's event loop, so it only records.
func (w *watch) listen(ev any) {
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if !w.allowed(ev.Request.URL) {
			w.add("request to another host: %s %s", ev.Request.Method, ev.Request.URL)
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, remoteText(a))
			}
			w.add("console.%s: %s", ev.Type, strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + remoteText(d.Exception)
		}
		w.add("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, text)
	case *log.EventEntryAdded:
		if e := ev.Entry; e.Level == log.EntryLevelError {
			w.add("browser log (%s) error: %s %s", e.Source, e.Text, e.URL)
		}
	}
}

// allowed tells whether the page may request u: this program, or data in the page itself.
func (w *watch) allowed(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	switch p.Scheme {
	case "data", "blob":
		return true
	case "http", "https", "ws", "wss":
		return p.Host == w.host
	}
	return false
}

func remoteText(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	if o.Description != "" {
		return o.Description
	}
	if len(o.Value) > 0 {
		return string(o.Value)
	}
	return string(o.Type)
}

// seen returns the problems recorded so far.
func (w *watch) seen() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.problems...)
}

// waitFor waits until a problem mentioning text is recorded (events arrive on their own),
// and tells whether one was before deadline.
func (w *watch) waitFor(text string, deadline time.Time) bool {
	for {
		for _, p := range w.seen() {
			if strings.Contains(p, text) {
				return true
			}
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// session is one tab of one person's browsing at one width, with its own browser context
// (its own storage), so sessions do not sign each other in. newTab opens more tabs in it.
type session struct {
	t        *testing.T
	b        *browser
	ctx      context.Context // the tab, with no deadline: a tab whose context ends closes
	deadline time.Time       // the bound of every step: the test binary's time, as for every wait (dbtest.TimeLeft)
	width    int
	height   int
	mobile   bool
	w        *watch
}

// newSession opens a tab at width×height in a new browser context; mobile emulates a phone
// (touch, mobile viewport), and then the tests tap rather than click. The session ends, and
// its problems are reported, when the test ends.
func (b *browser) newSession(t *testing.T, width, height int, mobile bool) *session {
	t.Helper()
	w := &watch{host: b.host}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(w.listen))
	s := &session{t: t, b: b, ctx: ctx, deadline: time.Now().Add(dbtest.TimeLeft(t)), width: width, height: height, mobile: mobile, w: w}
	t.Cleanup(cancel)
	s.emulate()
	t.Cleanup(func() {
		for _, p := range w.seen() {
			t.Errorf("%dpx: %s", width, p)
		}
	})
	return s
}

// newTab opens another tab in the same browser context (the same storage), as a person
// opening the playground again would.
func (s *session) newTab() *session {
	s.t.Helper()
	ctx, cancel := chromedp.NewContext(s.ctx, chromedp.WithListener(s.w.listen))
	s.t.Cleanup(cancel)
	n := *s
	n.ctx = ctx
	n.emulate()
	return &n
}

func (s *session) emulate() {
	s.t.Helper()
	opts := []chromedp.EmulateViewportOption{}
	if s.mobile {
		opts = append(opts, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	// The first run on a tab's context opens the tab and ties it to the context it is given,
	// so this one gets the tab's own context, not the flow's deadline.
	if err := chromedp.Do(s.ctx, chromedp.EmulateViewport(int64(s.width), int64(s.height), opts...)); err != nil {
		s.t.Fatalf("%dpx: opening a tab: %v", s.width, err)
	}
}

// do runs actions; a failure names the step and leaves a screenshot of the page as it was.
func (s *session) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	ctx, cancel := context.WithDeadline(s.ctx, s.deadline)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		s.failShot(step)
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w (the test's time ran out: the page never got there)", err)
		}
		s.t.Fatalf("%dpx, %s: %v", s.width, step, err)
	}
}

// failShot keeps the page at a failure (the tab outlives the flow's deadline).
func (s *session) failShot(step string) {
	ctx, cancel := context.WithTimeout(s.ctx, 20*time.Second)
	defer cancel()
	if buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		os.WriteFile(s.b.nextShot(s.width, "failed-"+slug(step)), buf, 0o644)
	}
}

// shot saves a screenshot of what the viewport shows now, named for the step.
func (s *session) shot(step string) {
	s.t.Helper()
	ctx, cancel := context.WithDeadline(s.ctx, s.deadline)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		s.t.Fatalf("%dpx, screenshot %s: %v", s.width, step, err)
	}
	if err := os.WriteFile(s.b.nextShot(s.width, slug(step)), buf, 0o644); err != nil {
		s.t.Fatal(err)
	}
}

var notSlug = regexp.MustCompile(`[^a-z0-9]+`)

func slug(s string) string {
	return strings.Trim(notSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// open loads the playground in this tab.
func (s *session) open() {
	s.t.Helper()
	s.do("open the playground", chromedp.Navigate(s.b.srv.public+"/"), chromedp.WaitVisible(chromedp.CSS(".graphiql-container")))
}

// testID selects elements by their data-testid, the names the playground promises tests.
func testID(id string) chromedp.CSS {
	return chromedp.CSS(fmt.Sprintf(`[data-testid=%q]`, id))
}

// press activates a button the way this session's person would: a tap on a phone, a click
// elsewhere. It waits for the button to be visible and enabled first.
func (s *session) press(step string, sel chromedp.CSS) {
	s.t.Helper()
	act := chromedp.Click(sel, chromedp.NodeVisible)
	if s.mobile {
		act = chromedp.Tap(sel, chromedp.NodeVisible)
	}
	s.do(step, chromedp.WaitEnabled(sel), act)
}

// fill replaces the text of an input or textarea, as a person would: select what is there,
// delete it, type (key events, so the page sees each change).
func (s *session) fill(step string, sel chromedp.CSS, text string) {
	s.t.Helper()
	s.do(step, chromedp.WaitVisible(sel), chromedp.Focus(sel),
		chromedp.Evaluate[chromedp.Void](`document.activeElement.select()`),
		chromedp.KeyEvent(kb.Backspace), chromedp.SendKeys(sel, text))
	var got string
	if err := json.Unmarshal([]byte(s.eval(step, `document.activeElement.value`)), &got); err != nil || got != text {
		s.failShot(step)
		s.t.Fatalf("%dpx, %s: the field holds %q after typing %q", s.width, step, got, text)
	}
}

// text waits for sel to be visible and returns its text.
func (s *session) text(step string, sel chromedp.CSS) string {
	s.t.Helper()
	s.do(step, chromedp.WaitVisible(sel))
	ctx, cancel := context.WithDeadline(s.ctx, s.deadline)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		s.failShot(step)
		s.t.Fatalf("%dpx, %s: %v", s.width, step, err)
	}
	return v
}

// waitJS waits until the JavaScript expression is true (checked on every change of the page).
func (s *session) waitJS(step, expr string) {
	s.t.Helper()
	s.do(step, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.PollFunction[bool]("() => !!("+expr+")", chromedp.WithPollingMutation(),
			chromedp.WithPollingTimeout(0))(ctx, t) // bounded by the flow's deadline
		return err
	}))
}

// api is the program's GraphQL endpoint, for setting up and checking what the browser does,
// failing the given test (the program's own helpers would fail the one that started it).
func (b *browser) api(t *testing.T) *running {
	r := *b.srv
	r.t = t
	return &r
}

// publishedWish has the resident (13800000001) submit a wish, due in a few hours so that it
// is near the top of the board, and staff publish it: a wish that only this test touches.
func (b *browser) publishedWish(t *testing.T, title string) string {
	t.Helper()
	api := b.api(t)
	var sub struct{ SubmitWish struct{ ID string } }
	api.must(api.login(residentPhone), `mutation Submit($input: SubmitWishInput!) { submitWish(input: $input) { id } }`,
		map[string]any{"input": map[string]any{
			"category":    "REPAIR",
			"title":       title,
			"description": "厨房的灯不亮了，想请人帮忙换个灯泡。",
			"deadline":    time.Now().Add(3 * time.Hour).UTC().Format(time.RFC3339),
		}}, &sub)
	api.must(api.login(staffPhone), `mutation Publish($id: ID!) { reviewWish(wishId: $id, decision: PUBLISH) { state } }`,
		map[string]any{"id": sub.SubmitWish.ID}, nil)
	return sub.SubmitWish.ID
}

// The demo accounts the flows use (README, Demo sign-ins).
const (
	residentPhone  = "13800000001" // 张秀英, the beneficiary of the flows' wishes
	volunteerPhone = "13800000002" // 李志强
	partyPhone     = "13800000003" // 刘洋, whose password the bad sign-in gets wrong
	staffPhone     = "13800000006" // 陈静, who publishes the wishes
)

// signIn signs in through the playground's panel and waits until it says who is signed in.
func (s *session) signIn(phone, password, name string) {
	s.t.Helper()
	s.fill("phone", testID("signin-phone"), phone)
	s.fill("password", testID("signin-password"), password)
	s.press("sign in", testID("signin-submit"))
	s.waitText("signed in as "+name, testID("whoami"), name)
}

// signOut signs out and waits for the panel to ask for a phone number again.
func (s *session) signOut() {
	s.t.Helper()
	s.press("sign out", testID("signout"))
	s.do("signed out", chromedp.WaitVisible(testID("signin-phone")))
}

// openGuide shows the guided tasks (on a phone they may start folded away) and one tab of them.
func (s *session) openGuide(tab string) {
	s.t.Helper()
	if !s.visible(testID("guide")) {
		s.press("open the guide", testID("guide-open"))
	}
	s.press("guide tab "+tab, testID("guide-tab-"+tab))
}

// visible tells whether sel is visible now, without waiting.
func (s *session) visible(sel chromedp.CSS) bool {
	s.t.Helper()
	return s.eval("is it visible", fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.getClientRects().length > 0; })()`, string(sel))) == "true"
}

// eval returns the JSON of a JavaScript expression's value.
func (s *session) eval(step, expr string) string {
	s.t.Helper()
	ctx, cancel := context.WithDeadline(s.ctx, s.deadline)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr))
	if err != nil {
		s.failShot(step)
		s.t.Fatalf("%dpx, %s: %v", s.width, step, err)
	}
	return string(v)
}

// waitText waits until sel is visible with text containing want.
func (s *session) waitText(step string, sel chromedp.CSS, want string) {
	s.t.Helper()
	s.waitJS(step, fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.getClientRects().length > 0 && e.innerText.includes(%q); })()`, string(sel), want))
}

// card selects the wish card of one wish, and inside, the element with a data-testid.
func card(wishID string, inside ...string) chromedp.CSS {
	sel := fmt.Sprintf(`[data-testid="wish-card"][data-wish-id=%q]`, wishID)
	for _, id := range inside {
		sel += fmt.Sprintf(` [data-testid=%q]`, id)
	}
	return chromedp.CSS(sel)
}

// waitCardState waits until the wish's card is visible in the state (a WishState name).
func (s *session) waitCardState(step, wishID, state string) {
	s.t.Helper()
	s.waitJS(step, fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.getClientRects().length > 0 && (e.getAttribute('data-state') || '').toUpperCase() === %q; })()`, string(card(wishID)), state))
}

// waitEditorHas waits until GraphiQL's editor holds text: a guided button shows there the
// operation it ran.
func (s *session) waitEditorHas(step, text string) {
	s.t.Helper()
	s.waitJS(step, fmt.Sprintf(`(() => { const cm = document.querySelector('.graphiql-query-editor .CodeMirror'); return !!cm && !!cm.CodeMirror && cm.CodeMirror.getValue().includes(%q); })()`, text))
}

// waitHours waits until my-hours shows hours (a page shows 0 until the record has come).
func (s *session) waitHours(step string, hours float64) {
	s.t.Helper()
	s.waitJS(step, fmt.Sprintf(`(() => {
		const e = document.querySelector('[data-testid="my-hours"]');
		const m = e && e.getClientRects().length > 0 && e.innerText.match(/\d+(\.\d+)?/);
		return !!m && Math.abs(parseFloat(m[0]) - %v) < 0.001;
	})()`, hours))
}

// volunteerHours is the volunteer's service hours, as the API tells them.
func (b *browser) volunteerHours(t *testing.T) float64 {
	t.Helper()
	api := b.api(t)
	var got struct{ VolunteerRecord struct{ TotalHours float64 } }
	api.must(api.login(volunteerPhone), `{ volunteerRecord { totalHours } }`, nil, &got)
	return got.VolunteerRecord.TotalHours
}

// wishSeen is what the beneficiary sees of a wish.
type wishSeen struct {
	State  string
	Rating int
}

// waitWishState waits (until deadline) for the wish to reach state, as its beneficiary sees it
// through the API, and returns it.
func (b *browser) waitWishState(t *testing.T, wishID, state string, deadline time.Time) wishSeen {
	t.Helper()
	api := b.api(t)
	token := api.login(residentPhone)
	for {
		var got struct{ Node wishSeen }
		api.must(token, `query W($id: ID!) { node(id: $id) { ... on Wish { state rating } } }`, map[string]any{"id": wishID}, &got)
		if got.Node.State == state {
			return got.Node
		}
		if time.Now().After(deadline) {
			t.Fatalf("the wish is %s, want %s", got.Node.State, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitReadable waits until the readable answer (beside the raw JSON) shows text.
func (s *session) waitReadable(step, text string) {
	s.t.Helper()
	s.waitJS(step, fmt.Sprintf(`(() => { const e = document.querySelector('[data-testid="readable"]'); return !!e && e.innerText.includes(%q); })()`, text))
}
