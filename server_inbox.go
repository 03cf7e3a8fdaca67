package main

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"linli/db"
	"linli/graph"
)

// readNotify reads the notification worker's settings (README: Notifications). The
// sender is chosen in run, once the logger exists: a webhook when LINLI_NOTIFY_WEBHOOK is
// set, the log otherwise.
func readNotify(getenv func(string) string, num func(string, int) int, dur, every func(string, time.Duration) time.Duration) (graph.NotifySettings, string, error) {
	o, r := db.DefaultOutboxSettings, db.DefaultReminderSettings
	o.MaxAttempts = num("LINLI_NOTIFY_MAX_ATTEMPTS", o.MaxAttempts)
	o.RetryAfter = dur("LINLI_NOTIFY_RETRY_AFTER", o.RetryAfter)
	o.MaxRetryAfter = dur("LINLI_NOTIFY_MAX_RETRY_AFTER", o.MaxRetryAfter)
	r.ClaimDueWithin = dur("LINLI_REMIND_CLAIM_WITHIN", r.ClaimDueWithin)
	r.VoteClosingWithin = dur("LINLI_REMIND_VOTE_WITHIN", r.VoteClosingWithin)
	r.MeetingWithin = dur("LINLI_REMIND_MEETING_WITHIN", r.MeetingWithin)
	r.ObjectionClosingWithin = dur("LINLI_REMIND_OBJECTION_WITHIN", r.ObjectionClosingWithin)
	ns := graph.NotifySettings{Every: every("LINLI_NOTIFY_INTERVAL", 10*time.Second), Outbox: o, Reminders: r}
	hook := getenv("LINLI_NOTIFY_WEBHOOK")
	if hook != "" {
		u, err := url.Parse(hook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return ns, "", fmt.Errorf("LINLI_NOTIFY_WEBHOOK=%q: want an http or https URL", hook)
		}
	}
	return ns, hook, nil
}

// notifySender is the webhook sender for hook, or the log sender when there is none.
func notifySender(hook string, log func() graph.LogSender) db.Sender {
	if hook == "" {
		return log()
	}
	return graph.WebhookSender{URL: hook, Client: &http.Client{Timeout: db.DefaultOutboxSettings.SendTimeout}}
}
