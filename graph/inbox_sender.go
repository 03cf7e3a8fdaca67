package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"linli/db"
)

// LogSender "sends" a message by writing it to the log: the default, so a deployment with
// no gateway configured still shows what would have gone out. The phone is masked.
type LogSender struct{ Logger *slog.Logger }

// Send logs m.
func (s LogSender) Send(_ context.Context, m db.Message) error {
	s.Logger.Info("notification message", "outbox_id", m.ID, "notification_id", m.NotificationID, "channel", string(m.Channel),
		"phone", db.MaskPhone(m.Phone), "kind", string(m.Kind), "title", m.Title, "attempt", m.Attempt)
	return nil
}

// WebhookSender posts each message as JSON (db.Message) to URL: a text-message or WeChat
// gateway plugs in there. Any 2xx answer is delivered; anything else, or no answer, is tried
// again later. The Idempotency-Key header is the outbox row's id, the same on every retry
// of one message, so the gateway can drop a repeat.
type WebhookSender struct {
	URL    string
	Client *http.Client
}

// Send posts m.
func (s WebhookSender) Send(ctx context.Context, m db.Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", strconv.FormatInt(m.ID, 10))
	c := s.Client
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("gateway answered %s", res.Status)
	}
	return nil
}

// NotifySettings drive the notification worker every process runs.
type NotifySettings struct {
	// Every is how often the worker writes due reminders and sends what the outbox holds;
	// zero runs no worker in this process.
	Every     time.Duration
	Sender    db.Sender
	Outbox    db.OutboxSettings
	Reminders db.ReminderSettings
}

// RunNotifications does, every interval until ctx ends, the notification work that is due
// on its own: it writes the reminders now due (db.SendReminders) and delivers the outbox
// (db.DeliverOutbox). Every process runs it; the database hands each reminder and each
// message to one of them.
func RunNotifications(ctx context.Context, s *db.Store, ns NotifySettings, logf func(msg string, args ...any)) {
	t := time.NewTicker(ns.Every)
	defer t.Stop()
	for {
		started := time.Now()
		n, err := s.SendReminders(ctx, ns.Reminders)
		if err != nil && ctx.Err() == nil {
			logf("reminders failed", "error", err.Error())
		} else if n > 0 {
			logf("reminders written", "count", n)
		}
		s.Metrics.Sweep("reminders", n, err != nil && ctx.Err() == nil, time.Since(started))
		started = time.Now()
		delivered, failed, err := s.DeliverOutbox(ctx, ns.Sender, ns.Outbox)
		if err != nil && ctx.Err() == nil {
			logf("outbox delivery failed", "error", err.Error())
		}
		s.Metrics.Sweep("outbox", delivered, err != nil && ctx.Err() == nil, time.Since(started))
		if delivered+failed > 0 {
			logf("outbox delivered", "delivered", delivered, "failed_tries", failed)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
