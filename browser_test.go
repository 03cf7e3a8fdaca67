package main

import (
	"testing"

	"github.com/chromedp/chromedp"
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
