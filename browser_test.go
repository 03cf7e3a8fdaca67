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
			// GraphiQL is there for the developers: its editor and its run button.
			s.do("GraphiQL's editor", chromedp.WaitVisible(chromedp.CSS(".graphiql-query-editor")))
			s.do("GraphiQL's run button", chromedp.WaitReady(chromedp.CSS(".graphiql-execute-button")))
			s.shot("playground")
			// The page's own problems (another host, console errors) are checked at the end.
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
}

// TestBrowserFlow is the "done when", at each width: a volunteer signs in through the
// panel, claims a wish on the board, opens a new tab and is still signed in there, fulfils the
// wish (note and hours); the resident it is for signs in and confirms and rates it; the
// volunteer's hours then include the hours credited.
func TestBrowserFlow(t *testing.T) {
	b := startBrowser(t)
	for _, vp := range viewports {
		t.Run(vp.name, func(t *testing.T) {
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
			s.shot("board")
			s.press("claim", card(wish, "claim"))
			s.waitEditorHas("claim's operation in the editor", "claimWish")
			s.do("claim's answer", chromedp.WaitVisible(testID("toast")))
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
		})
	}
}

// TestBrowserBadSignIn: a wrong password gets a Chinese message in the panel, and no sign-in.
func TestBrowserBadSignIn(t *testing.T) {
	b := startBrowser(t)
	for _, vp := range viewports {
		t.Run(vp.name, func(t *testing.T) {
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
		})
	}
}

var han = regexp.MustCompile(`\p{Han}`)
