package db

import "testing"

func TestWaitText(t *testing.T) {
	for _, c := range []struct {
		seconds int
		want    string
	}{
		{1, "1 秒"}, {59, "59 秒"}, {60, "1 分钟"}, {61, "2 分钟"}, {900, "15 分钟"},
		{3599, "1 小时"}, {3540, "59 分钟"}, {3600, "1 小时"}, {5400, "1 小时 30 分钟"}, {7200, "2 小时"},
	} {
		if got := waitText(c.seconds); got != c.want {
			t.Errorf("waitText(%d): got %q, want %q", c.seconds, got, c.want)
		}
	}
}

func TestThrottleAddress(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::9", "2001:db8:1:2::/64"},
		{"", "unknown"},
	} {
		if got := throttleAddress(c.in); got != c.want {
			t.Errorf("throttleAddress(%q): got %q, want %q", c.in, got, c.want)
		}
	}
}
