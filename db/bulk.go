package db

import (
	"slices"
	"time"
)

// What the tools that fill a database in bulk (db/demo, db/district) need from the domain:
// they write rows the way the service would, many at a time, rather than through its
// one-at-a-time API, so they must share its calendar, its levels and its ballot seals.

// China is the time zone every day and deadline of the service is counted in (CST, UTC+8).
var China = china

// ChinaDay is the day of t in China, as a date at UTC midnight.
func ChinaDay(t time.Time) time.Time { return chinaDay(t) }

// AdultBorn returns the last birth date of someone aged 18 on the day of now, China time.
func AdultBorn(now time.Time) time.Time { return adultBorn(now) }

// PlaceLevels lists the place levels from the top (subdistrict) down (household).
func PlaceLevels() []PlaceLevel { return slices.Clone(placeLevels) }

// GrantLevels lists the levels at which role may be held.
func GrantLevels(role Role) []PlaceLevel { return slices.Clone(grantLevels[role]) }

// BallotStripes is how many sealed stripes each open secret vote's sums are spread over.
const BallotStripes = ballotStripes

// BallotCount is the heads and area of the ballots for one option position.
type BallotCount = positionCount

// BallotSealer seals an open secret vote's sums and changeable choices in the format and
// under the key castBallot uses, for writers of many ballots at once.
type BallotSealer struct{ s *ballotSealer }

// NewBallotSealer returns the sealer under ballotKey (LINLI_BALLOT_KEY's bytes).
func NewBallotSealer(ballotKey []byte) (*BallotSealer, error) {
	s, err := newBallotSealer(ballotKey)
	if err != nil {
		return nil, err
	}
	return &BallotSealer{s}, nil
}

// BallotSealer returns the sealer under the server's ballot key.
func (tx *Tx) BallotSealer() (*BallotSealer, error) {
	s, err := tx.store.ballotSealer()
	if err != nil {
		return nil, err
	}
	return &BallotSealer{s}, nil
}

// SealSums seals one stripe of a vote's sums, one BallotCount per option position.
func (b *BallotSealer) SealSums(vote int64, stripe int, sums []BallotCount) ([]byte, error) {
	return b.s.sealSums(vote, stripe, sums)
}

// SealChoice seals a changeable secret vote's current choice of the voter whose ReplaceKey
// is replaceKey.
func (b *BallotSealer) SealChoice(vote int64, replaceKey []byte, position int) ([]byte, error) {
	return b.s.sealChoice(vote, replaceKey, position)
}

// ReplaceKey is the keyed hash under which a changeable secret vote finds a voter's choice.
func ReplaceKey(ballotKey []byte, vote, resident int64) []byte {
	return replaceKey(ballotKey, vote, resident)
}
