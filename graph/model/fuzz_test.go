package model_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"linli/db"
	"linli/graph/model"
)

// Fuzz targets for the hand-written parsers of client input in this package; each fails on
// a panic or on an error that is not INVALID_INPUT. CI runs each for a fixed time:
//
//	go test -run '^$' -fuzz '^FuzzTime$' -fuzztime 20s ./graph/model/

// FuzzCursor: any text is a cursor or not, without panicking, and a cursor reads back.
func FuzzCursor(f *testing.F) {
	f.Add(model.Cursor(db.Key{"2026-01-01", "5"}))
	f.Add("")
	f.Add("W10")
	f.Fuzz(func(t *testing.T, s string) {
		k, ok := model.ParseCursor(s)
		if !ok {
			return
		}
		if k2, ok := model.ParseCursor(model.Cursor(k)); !ok || len(k2) != len(k) {
			t.Fatalf("%q: key %v does not read back", s, k)
		}
	})
}

// invalidOnly fails unless err is nil or INVALID_INPUT.
func invalidOnly(t *testing.T, in any, err error) {
	t.Helper()
	var app *db.Error
	if err != nil && (!errors.As(err, &app) || app.Code != db.EINVALID) {
		t.Fatalf("%#v: error %v, want INVALID_INPUT", in, err)
	}
}

// FuzzTime: any string or number is a time or INVALID_INPUT, and a time reads back as the
// same instant.
func FuzzTime(f *testing.F) {
	for _, s := range []string{"2026-12-31T18:00:00+08:00", "2026-12-31T10:00:00.123456789Z", "2026-12-31", "not-a-time", "2026-13-45", "", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59"} {
		f.Add(s, int64(0))
	}
	f.Fuzz(func(t *testing.T, s string, n int64) {
		for _, in := range []any{s, n, json.Number(s), nil} {
			tm, err := model.UnmarshalTime(in)
			invalidOnly(t, in, err)
			if err != nil {
				continue
			}
			var b bytes.Buffer
			model.MarshalTime(tm).MarshalGQL(&b)
			var out string
			if json.Unmarshal(b.Bytes(), &out) != nil {
				t.Fatalf("%q: marshalled as %s", s, b.String())
			}
			back, err := model.UnmarshalTime(out)
			if err != nil || !back.Equal(tm) {
				t.Fatalf("%q: %s reads back as %v, %v", s, out, back, err)
			}
		}
	})
}

// FuzzDate: any string or number is a date or INVALID_INPUT.
func FuzzDate(f *testing.F) {
	for _, s := range []string{"1960-05-01", "2026-02-30", "1960-5-1", ""} {
		f.Add(s, int64(0))
	}
	f.Fuzz(func(t *testing.T, s string, n int64) {
		for _, in := range []any{s, n, nil} {
			d, err := model.UnmarshalDate(in)
			invalidOnly(t, in, err)
			if err == nil && d.Format(time.DateOnly) != s {
				t.Fatalf("%q reads as %v", s, d)
			}
		}
	})
}
