package db

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"time"
	"unicode"
)

// IDNumber is a checked 18-character resident ID number (居民身份证号码, GB 11643): 6-digit
// area code, birth date YYYYMMDD, 3-digit sequence (odd last digit: male), and a check
// character (ISO 7064 MOD 11-2). It is never stored: only IDDigest of it is.
type IDNumber struct {
	number    string // normalised: 17 digits and a digit or upper-case X
	BirthDate time.Time
	Gender    string // "male" or "female", as residents.gender
}

// String returns the normalised number. Callers must not log or store it.
func (n IDNumber) String() string { return n.number }

// idWeights are the MOD 11-2 weights 2^(17-i) mod 11 of the first 17 digits.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars maps the weighted sum mod 11 to the check character.
const idCheckChars = "10X98765432"

// IDCheckChar returns the check character for the first 17 digits of an ID number, or 0
// when first17 does not start with 17 digits.
func IDCheckChar(first17 string) byte {
	if len(first17) < 17 {
		return 0
	}
	sum := 0
	for i := 0; i < 17; i++ {
		if first17[i] < '0' || first17[i] > '9' {
			return 0
		}
		sum += int(first17[i]-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// ParseIDNumber checks an ID number as people type it (spaces, full-width digits, lower-case
// x are accepted) and returns its birth date and gender. Errors: INVALID_INPUT (field
// "idNumber") saying what is wrong, in Chinese.
func ParseIDNumber(s string) (IDNumber, error) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || r == '\u3000':
			continue
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case r == 'x' || r == 'ｘ' || r == 'Ｘ':
			b.WriteByte('X')
		default:
			b.WriteRune(r)
		}
	}
	num := b.String()
	if len(num) != 18 || strings.IndexFunc(num, func(r rune) bool { return r > unicode.MaxASCII }) >= 0 {
		return IDNumber{}, Invalid("idNumber", "身份证号位数不对：应为18位（现有%d位）", len([]rune(num)))
	}
	for i := 0; i < 17; i++ {
		if num[i] < '0' || num[i] > '9' {
			return IDNumber{}, Invalid("idNumber", "身份证号前17位只能是数字")
		}
	}
	if last := num[17]; (last < '0' || last > '9') && last != 'X' {
		return IDNumber{}, Invalid("idNumber", "身份证号最后一位只能是数字或X")
	}
	if num[0] == '0' || num[0] == '9' {
		return IDNumber{}, Invalid("idNumber", "身份证号前6位不是有效的地区码")
	}
	birth, err := time.Parse("20060102", num[6:14])
	if err != nil || birth.Year() < 1900 {
		return IDNumber{}, Invalid("idNumber", "身份证号中的出生日期不存在：%s", num[6:14])
	}
	if IDCheckChar(num) != num[17] {
		return IDNumber{}, Invalid("idNumber", "身份证号校验位不对，请核对每一位")
	}
	gender := "female"
	if (num[16]-'0')%2 == 1 {
		gender = "male"
	}
	return IDNumber{number: num, BirthDate: birth, Gender: gender}, nil
}

// idDigestLabel derives the roster's own key from the server secret, so that an ID digest
// and a ballot seal never share a key.
const idDigestLabel = "linli roster id digest v1"

// IDDigest returns the keyed digest stored in residents.id_digest: HMAC-SHA256 of the
// normalised number under HMAC-SHA256(secret, idDigestLabel). Without the secret, which
// lives outside the database, nobody can find a number from its digest by trying numbers.
func IDDigest(secret []byte, n IDNumber) []byte {
	k := hmac.New(sha256.New, secret)
	k.Write([]byte(idDigestLabel))
	m := hmac.New(sha256.New, k.Sum(nil))
	m.Write([]byte(n.number))
	return m.Sum(nil)
}

// IDDigestKey returns the server secret IDDigest takes (the ballot key, see Store.BallotKey).
func (s *Store) IDDigestKey() ([]byte, error) { return s.ballotKeyBytes() }
