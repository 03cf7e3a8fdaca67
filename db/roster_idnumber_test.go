package db_test

import (
	"bytes"
	"testing"

	"linli/db"
)

// idNumber completes 17 digits with their check character.
func idNumber(first17 string) string { return first17 + string(db.IDCheckChar(first17)) }

func TestParseIDNumber(t *testing.T) {
	evenSeq := idNumber("11010519491231002") // last sequence digit 2: female
	female := idNumber("44030419851012004")  // last sequence digit 4: female
	odd := idNumber("32010619900307111")     // last sequence digit 1: male
	for _, c := range []struct {
		in     string
		birth  string
		gender string
	}{
		{evenSeq, "1949-12-31", "female"},
		{female, "1985-10-12", "female"},
		{odd, "1990-03-07", "male"},
		{" " + odd[:6] + " " + odd[6:14] + " " + odd[14:] + " ", "1990-03-07", "male"},
		{toFullWidth(odd), "1990-03-07", "male"},
	} {
		n, err := db.ParseIDNumber(c.in)
		if err != nil {
			t.Fatalf("ParseIDNumber(%q): %v", c.in, err)
		}
		if got := n.BirthDate.Format("2006-01-02"); got != c.birth || n.Gender != c.gender {
			t.Errorf("ParseIDNumber(%q) = %s %s, want %s %s", c.in, got, n.Gender, c.birth, c.gender)
		}
	}
	// The standard's own example, checked independently of IDCheckChar.
	if n, err := db.ParseIDNumber("11010519491231002X"); err != nil || n.Gender != "female" {
		t.Errorf("GB 11643 example refused: %v", err)
	}
	if _, err := db.ParseIDNumber("110105194912310021"); db.ErrorCode(err) != db.EINVALID {
		t.Errorf("GB 11643 example with a wrong check character accepted: %v", err)
	}
	// An X check character, typed in either case, is the same number.
	var withX string
	for seq := 100; seq < 1000; seq++ {
		s := idNumber("11010519800101" + string(rune('0'+seq/100)) + string(rune('0'+seq/10%10)) + string(rune('0'+seq%10)))
		if s[17] == 'X' {
			withX = s
			break
		}
	}
	if withX == "" {
		t.Fatal("no number with check character X found")
	}
	upper, err := db.ParseIDNumber(withX)
	if err != nil {
		t.Fatal(err)
	}
	lower, err := db.ParseIDNumber(withX[:17] + "x")
	if err != nil {
		t.Fatal(err)
	}
	key := bytes.Repeat([]byte{7}, 32)
	if !bytes.Equal(db.IDDigest(key, upper), db.IDDigest(key, lower)) {
		t.Error("x and X give different digests")
	}
	spaced, _ := db.ParseIDNumber(" " + odd[:9] + " " + odd[9:])
	plain, _ := db.ParseIDNumber(odd)
	if !bytes.Equal(db.IDDigest(key, spaced), db.IDDigest(key, plain)) {
		t.Error("spaces change the digest")
	}
	if bytes.Equal(db.IDDigest(key, plain), db.IDDigest(bytes.Repeat([]byte{8}, 32), plain)) {
		t.Error("the digest does not depend on the key")
	}
	if bytes.Contains(db.IDDigest(key, plain), []byte(odd)) || len(db.IDDigest(key, plain)) != 32 {
		t.Error("digest holds the number or has the wrong length")
	}

	wrongCheck := odd[:17] + string("0123456789"[(int(odd[17]-'0')+1)%10])
	if odd[17] == 'X' {
		wrongCheck = odd[:17] + "0"
	}
	for _, c := range []struct{ in, want string }{
		{"", "位数不对"},
		{odd[:17], "位数不对"},
		{odd + "1", "位数不对"},
		{"1101051990030711A1", "只能是数字"},
		{odd[:17] + "Y", "最后一位"},
		{idNumber("11010519900230111"), "出生日期不存在"}, // 30 February
		{idNumber("11010518000101111"), "出生日期不存在"},
		{idNumber("01010519900101111"), "地区码"},
		{wrongCheck, "校验位不对"},
		{"一二三", "位数不对"},
	} {
		_, err := db.ParseIDNumber(c.in)
		if db.ErrorCode(err) != db.EINVALID || !bytes.Contains([]byte(err.Error()), []byte(c.want)) {
			t.Errorf("ParseIDNumber(%q) = %v, want INVALID_INPUT with %q", c.in, err, c.want)
		}
	}
}

func toFullWidth(s string) string {
	r := []rune(s)
	for i, c := range r {
		if c >= '0' && c <= '9' {
			r[i] = '０' + (c - '0')
		}
	}
	return string(r)
}
