package main

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"

	"linli/db/demo"
)

// viewport is a screen the playground must work on.
type viewport struct {
	name          string
	width, height int
	mobile        bool // a phone: touch, mobile viewport, taps
}

// The two screens: a desktop, and a phone at 390 px (an iPhone 12 to 15).
var viewports = []viewport{
	{"desktop", 1400, 900, false},
	{"phone", 390, 844, true},
}

// TestBrowser drives the playground in chromium at each width. One program and one browser
// serve every subtest; each subtest has its own browser context (its own storage).
func TestBrowser(t *testing.T) {
	b := startBrowser(t)

	for _, vp := range viewports {
		t.Run("loads/"+vp.name, func(t *testing.T) {
			s := b.newSession(t, vp.width, vp.height, vp.mobile)
			s.open()
			// GraphiQL is there for the developers: its editor and its run button. On a phone
			// the guide takes the whole screen, with GraphiQL behind it.
			s.do("GraphiQL's editor", chromedp.WaitReady(chromedp.CSS(".graphiql-query-editor")))
			s.do("GraphiQL's run button", chromedp.WaitReady(chromedp.CSS(".graphiql-execute-button")))
			if vp.mobile {
				s.waitJS("the guide fills the phone's width", guideFillsWidth)
			} else {
				s.do("GraphiQL's editor shown", chromedp.WaitVisible(chromedp.CSS(".graphiql-query-editor")))
			}
			s.shot("playground")
			// Text can be made larger for older eyes, and back.
			size := s.eval("text size", `getComputedStyle(document.documentElement).fontSize`)
			s.press("larger text", testID("text-size-up"))
			s.waitJS("the text is larger", fmt.Sprintf(`parseFloat(getComputedStyle(document.documentElement).fontSize) > parseFloat(%s)`, size))
			s.shot("larger-text")
			s.press("smaller text", testID("text-size-down"))
			s.waitJS("the text is back", fmt.Sprintf(`getComputedStyle(document.documentElement).fontSize === %s`, size))
			// The page's own problems (another host, console errors) are checked when it ends.
		})
	}

	// The checks above are only worth something if the watch sees what it looks for: a page
	// that reaches another host (refused by the page's CSP, itself an error in the log) and
	// writes an error to the console.
	t.Run("watch sees problems", func(t *testing.T) {
		s := b.newSession(t, 1400, 900, false)
		s.open()
		s.do("misbehave", chromedp.Evaluate[chromedp.Void](`
			console.error('probe: an error in the console');
			fetch('http://192.0.2.1/elsewhere').catch(() => {});
			setTimeout(() => { throw new Error('probe: uncaught'); }, 0);
		`))
		for _, want := range []string{"192.0.2.1", "probe: an error in the console", "probe: uncaught"} {
			if !s.w.waitFor(want, s.deadline) {
				t.Errorf("the watch did not see %q; it saw %q", want, s.w.seen())
			}
		}
		// This session's problems were wanted: they are not the page's fault.
		s.w.mu.Lock()
		s.w.problems = nil
		s.w.mu.Unlock()
	})

	for _, vp := range viewports {
		t.Run("bad sign-in/"+vp.name, func(t *testing.T) { badSignIn(t, b, vp) })
	}
	for _, vp := range viewports {
		t.Run("flow/"+vp.name, func(t *testing.T) { flow(t, b, vp) })
	}
	t.Run("release", func(t *testing.T) { release(t, b) })
}

// flow is the "done when", at one width: a volunteer signs in through the panel,
// claims a wish on the board, opens a new tab and is still signed in there, fulfils the wish
// (note and hours); the resident it is for signs in and confirms and rates it; the volunteer's
// hours then include the hours credited (hours are credited at confirmation, not before).
func flow(t *testing.T, b *browser, vp viewport) {
	wish := b.publishedWish(t, fmt.Sprintf("浏览器测试：换灯泡（%d）", vp.width))

	s := b.newSession(t, vp.width, vp.height, vp.mobile)
	s.open()
	s.shot("signed-out")
	s.signIn(volunteerPhone, demo.Password, "李志强")
	s.shot("volunteer-signed-in")

	before := b.volunteerHours(t)
	s.openGuide("mine")
	s.waitHours("my hours", before)
	s.openGuide("board")
	s.do("the wish on the board", chromedp.WaitVisible(card(wish)))
	if vp.mobile {
		// On a phone the guide is the whole screen, not a strip beside the editor.
		s.waitJS("the guide fills the phone's width", guideFillsWidth)
	}
	s.shot("board")
	s.press("claim", card(wish, "claim"))
	s.waitEditorHas("claim's operation in the editor", "claimWish")
	s.do("claim's answer", chromedp.WaitVisible(testID("toast")))
	// The readable answer names the state in Chinese, from the schema's description.
	s.waitReadable("the claim's answer in words", "已被认领")
	s.shot("claimed")
	s.openGuide("mine")
	s.waitCardState("the claim among mine", wish, "CLAIMED")
	s.shot("my-claims")

	// A second tab of the same browser: the sign-in is kept for every tab.
	tab := s.newTab()
	tab.open()
	tab.waitText("still signed in in a new tab", testID("whoami"), "李志强")
	tab.shot("new-tab")
	tab.openGuide("mine")
	tab.waitCardState("the claim in the new tab", wish, "CLAIMED")
	tab.press("fulfil", card(wish, "fulfil"))
	tab.fill("what was done", testID("fulfil-note"), "换好了灯泡，顺便检查了开关。")
	tab.fill("hours", testID("fulfil-hours"), "1.5")
	tab.shot("fulfil-form")
	tab.press("report it done", testID("fulfil-submit"))
	tab.waitEditorHas("fulfil's operation in the editor", "fulfilWish")
	tab.waitCardState("fulfilled", wish, "FULFILLED")
	tab.shot("fulfilled")
	tab.signOut()

	// The beneficiary confirms and rates it, from the same browser.
	tab.signIn(residentPhone, demo.Password, "张秀英")
	tab.openGuide("confirm")
	tab.do("the wish to confirm", chromedp.WaitVisible(card(wish)))
	tab.press("confirm", card(wish, "confirm"))
	tab.press("five stars", testID("rating-5"))
	tab.fill("comment", testID("confirm-comment"), "很及时，谢谢！")
	tab.shot("confirm-form")
	tab.press("send the confirmation", testID("confirm-submit"))
	tab.waitEditorHas("confirm's operation in the editor", "confirmWish")
	// The answer is in: the wish is confirmed, with the five stars given.
	got := b.waitWishState(t, wish, "CONFIRMED", tab.deadline)
	if got.Rating != 5 {
		t.Errorf("the wish confirmed in the playground is rated %d, want 5", got.Rating)
	}
	tab.do("confirm's answer", chromedp.WaitVisible(testID("toast")))
	tab.waitReadable("the confirmation's answer in words", "受益人已确认")
	tab.shot("confirmed")
	tab.signOut()

	// The volunteer again: the hours now include the 1.5 credited.
	tab.signIn(volunteerPhone, demo.Password, "李志强")
	tab.openGuide("mine")
	tab.waitHours("hours credited", before+1.5)
	tab.shot("hours-credited")
	if h := b.volunteerHours(t); h != before+1.5 {
		t.Errorf("the volunteer's record has %v hours, want %v (%v before, 1.5 credited)", h, before+1.5, before)
	}
}

// badSignIn: a wrong password gets a Chinese message in the panel, and no sign-in.
func badSignIn(t *testing.T, b *browser, vp viewport) {
	s := b.newSession(t, vp.width, vp.height, vp.mobile)
	s.open()
	s.fill("phone", testID("signin-phone"), partyPhone)
	s.fill("password", testID("signin-password"), "not-the-password")
	s.press("sign in", testID("signin-submit"))
	s.do("the error", chromedp.WaitVisible(testID("signin-error")))
	s.shot("bad-sign-in")
	msg := s.text("the error's text", testID("signin-error"))
	if !han.MatchString(msg) {
		t.Errorf("signin-error says %q: want a message in Chinese", msg)
	}
	if s.visible(testID("whoami")) {
		t.Errorf("after a wrong password the panel shows someone signed in: %q", s.text("whoami", testID("whoami")))
	}
}

// guideFillsWidth is true when the guide is shown across (nearly) the whole viewport.
const guideFillsWidth = `(() => {
	const g = document.querySelector('[data-testid="guide"]');
	return !!g && g.getClientRects().length > 0 && g.getBoundingClientRect().width >= 0.9 * window.innerWidth;
})()`

var han = regexp.MustCompile(`\p{Han}`)

// release: a volunteer who claimed a wish by mistake gives it up from 我的认领; the page shows
// the releaseWish it ran, and the wish is back on the board for others.
func release(t *testing.T, b *browser) {
	wish := b.publishedWish(t, "浏览器测试：认领后放弃")
	s := b.newSession(t, 1400, 900, false)
	s.open()
	s.signIn(volunteerPhone, demo.Password, "李志强")
	s.openGuide("board")
	s.press("claim", card(wish, "claim"))
	s.waitEditorHas("claim's operation in the editor", "claimWish")
	s.openGuide("mine")
	s.waitCardState("the claim among mine", wish, "CLAIMED")
	s.press("release", card(wish, "release"))
	s.waitEditorHas("release's operation in the editor", "releaseWish")
	b.waitWishState(t, wish, "PUBLISHED", s.deadline)
	s.openGuide("board")
	s.waitCardState("back on the board", wish, "PUBLISHED")
	s.shot("released")
}
