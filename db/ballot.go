package db

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/lib/pq"
)

// A secret vote keeps no ballot. While it is open the database holds, per vote, the running
// sums per option (heads and area) in ballotStripes rows of ballot_sums, each sealed with
// AES-256-GCM under a key derived from the ballot key, which lives outside the database (all
// of them made, sealed zeros, when the vote opens); a cast adds its ballot to one stripe that no other cast holds, taken in random order (so
// casts do not wait on one another), and rewrites the whole stripe. A reader of the tables sees only that a stripe changed in
// the voter's transaction, never what it holds. A changeable vote also keeps each voter's
// current choice, sealed, found by the voter's replace key (an HMAC under the ballot key),
// so that a change can take it back out of the sums. At close the sums are opened, the
// result stored, and both tables emptied for the vote.
const ballotStripes = 32

// ballotSealer seals and opens what a secret vote keeps while open.
type ballotSealer struct{ aead cipher.AEAD }

func newBallotSealer(ballotKey []byte) (*ballotSealer, error) {
	// A key of its own for sealing, apart from the replace keys' HMAC.
	m := hmac.New(sha256.New, ballotKey)
	m.Write([]byte("linli ballot seal v1"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &ballotSealer{aead: aead}, nil
}

// errBallotSeal is a sealed value that does not open under this key: written under another
// ballot key, or altered in the database.
var errBallotSeal = errors.New("secret ballot data does not open with this LINLI_BALLOT_KEY (another key, or altered)")

// seal is a random nonce followed by the ciphertext; aad binds it to its row.
func (b *ballotSealer) seal(plain, aad []byte) ([]byte, error) {
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return b.aead.Seal(nonce, nonce, plain, aad), nil
}

func (b *ballotSealer) open(sealed, aad []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n {
		return nil, errBallotSeal
	}
	plain, err := b.aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, errBallotSeal
	}
	return plain, nil
}

func sumsAAD(vote int64, stripe int) []byte {
	aad := make([]byte, 0, 20)
	aad = append(aad, "sums"...)
	aad = binary.BigEndian.AppendUint64(aad, uint64(vote))
	return binary.BigEndian.AppendUint64(aad, uint64(stripe))
}

func choiceAAD(vote int64, replaceKey []byte) []byte {
	aad := make([]byte, 0, 14+len(replaceKey))
	aad = append(aad, "choice"...)
	aad = binary.BigEndian.AppendUint64(aad, uint64(vote))
	return append(aad, replaceKey...)
}

// sealSums seals per-option sums: every option's heads and area, 16 bytes each, so the
// size says nothing but the number of options.
func (b *ballotSealer) sealSums(vote int64, stripe int, sums []positionCount) ([]byte, error) {
	plain := make([]byte, 0, 16*len(sums))
	for _, s := range sums {
		plain = binary.BigEndian.AppendUint64(plain, uint64(s.Heads))
		plain = binary.BigEndian.AppendUint64(plain, uint64(s.Area))
	}
	return b.seal(plain, sumsAAD(vote, stripe))
}

// openSums adds the sealed sums of a stripe into sums (one per option).
func (b *ballotSealer) openSums(vote int64, stripe int, sealed []byte, sums []positionCount) error {
	plain, err := b.open(sealed, sumsAAD(vote, stripe))
	if err != nil {
		return err
	}
	if len(plain) != 16*len(sums) {
		return errBallotSeal
	}
	for i := range sums {
		sums[i].Heads += int64(binary.BigEndian.Uint64(plain[16*i:]))
		sums[i].Area += int64(binary.BigEndian.Uint64(plain[16*i+8:]))
	}
	return nil
}

func (b *ballotSealer) sealChoice(vote int64, replaceKey []byte, position int) ([]byte, error) {
	return b.seal(binary.BigEndian.AppendUint32(nil, uint32(position)), choiceAAD(vote, replaceKey))
}

func (b *ballotSealer) openChoice(vote int64, replaceKey, sealed []byte) (int, error) {
	plain, err := b.open(sealed, choiceAAD(vote, replaceKey))
	if err != nil {
		return 0, err
	}
	if len(plain) != 4 {
		return 0, errBallotSeal
	}
	return int(binary.BigEndian.Uint32(plain)), nil
}

// randomStripe is the stripe a cast goes to.
func randomStripe() (int, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(ballotStripes))
	if err != nil {
		return 0, err
	}
	return int(n.Int64()), nil
}

// replaceKey is HMAC-SHA256(key, vote id || resident id), both big-endian 64-bit.
func replaceKey(key []byte, vote, resident int64) []byte {
	var msg [16]byte
	binary.BigEndian.PutUint64(msg[:8], uint64(vote))
	binary.BigEndian.PutUint64(msg[8:], uint64(resident))
	h := hmac.New(sha256.New, key)
	h.Write(msg[:])
	return h.Sum(nil)
}

// ballotSealer returns the sealer under the server's ballot key, derived once.
func (s *Store) ballotSealer() (*ballotSealer, error) {
	s.sealerOnce.Do(func() {
		key, err := s.ballotKeyBytes()
		if err != nil {
			s.sealerErr = err
			return
		}
		s.sealer, s.sealerErr = newBallotSealer(key)
	})
	return s.sealer, s.sealerErr
}

// castSecret adds resident's ballot for the option at pos, with their area on the roll, to
// the stripe the cast holds of the locked open secret vote's sealed sums (options: how many
// it has); in a changeable vote it first takes their previous choice, if any, back out.
// Whatever the choice, and whether it is a first ballot or a change, the same rows are
// written in the same way. It returns the vote's turnout with this ballot: an open secret
// vote's answer shows no tallies and no roll call.
func (tx *Tx) castSecret(lv *lockedVote, sealer *ballotSealer, held *sumsStripe, resident int64, options, pos int, area int64) (VoteCount, error) {
	key, err := tx.store.ballotKeyBytes()
	if err != nil {
		return VoteCount{}, err
	}
	delta := make([]positionCount, options)
	if err := tx.sealUnsealed(lv, sealer, delta); err != nil {
		return VoteCount{}, err
	}
	delta[pos].Heads++
	delta[pos].Area += area
	if lv.Changeable {
		rk := replaceKey(key, lv.ID, resident)
		var before [][]byte
		if err := tx.selectRows(&before, `SELECT sealed FROM ballot_choices WHERE vote_id = $1 AND replace_key = $2 FOR UPDATE`,
			lv.ID, rk); err != nil {
			return VoteCount{}, err
		}
		if len(before) > 0 {
			old, err := sealer.openChoice(lv.ID, rk, before[0])
			if err != nil {
				return VoteCount{}, err
			}
			if old < 0 || old >= options {
				return VoteCount{}, errBallotSeal
			}
			delta[old].Heads--
			delta[old].Area -= area
		}
		choice, err := sealer.sealChoice(lv.ID, rk, pos)
		if err != nil {
			return VoteCount{}, err
		}
		if _, err := tx.exec(`INSERT INTO ballot_choices (vote_id, replace_key, sealed) VALUES ($1, $2, $3)
			ON CONFLICT (vote_id, replace_key) DO UPDATE SET sealed = EXCLUDED.sealed`, lv.ID, rk, choice); err != nil {
			return VoteCount{}, err
		}
	}
	return tx.addToSums(lv, sealer, held, delta)
}

// addToSums adds delta to the stripe the casts hold of the locked open secret vote's sealed
// sums, and returns the vote's turnout with them.
func (tx *Tx) addToSums(lv *lockedVote, sealer *ballotSealer, held *sumsStripe, delta []positionCount) (VoteCount, error) {
	sums := slices.Clone(delta)
	if err := sealer.openSums(lv.ID, *held.Stripe, held.Sealed, sums); err != nil {
		return VoteCount{}, err
	}
	sealed, err := sealer.sealSums(lv.ID, *held.Stripe, sums)
	if err != nil {
		return VoteCount{}, err
	}
	// The stripe written and the turnout read in one statement; the turnout stripes already
	// hold these ballots' participations.
	var t struct {
		Written int `db:"written"`
		VoteCount
	}
	if err := tx.get(&t, `WITH w AS (UPDATE ballot_sums SET sealed = $3 WHERE vote_id = $1 AND stripe = $2 RETURNING 1)
		SELECT (SELECT count(*) FROM w) AS written, `+turnoutColumns+` FROM votes v WHERE v.id = $1`,
		lv.ID, *held.Stripe, sealed); err != nil {
		return VoteCount{}, err
	}
	if t.Written != 1 {
		return VoteCount{}, fmt.Errorf("vote %d: sealed sums stripe %d not written", lv.ID, *held.Stripe)
	}
	return t.VoteCount, nil
}

// makeStripes makes every stripe of a new secret vote's sums (options: how many it has),
// sealed zeros, so that casts find a free stripe from the first ballot on: made on demand,
// the first casts at once would queue on the few made so far. Without the ballot key it makes
// none, and casts make them on demand (and report the missing key).
func (tx *Tx) makeStripes(vote int64, options int) error {
	sealer, err := tx.store.ballotSealer()
	if err != nil {
		return nil
	}
	stripes, sealed := make([]int64, ballotStripes), make([][]byte, ballotStripes)
	for i := range ballotStripes {
		stripes[i] = int64(i)
		if sealed[i], err = sealer.sealSums(vote, i, make([]positionCount, options)); err != nil {
			return err
		}
	}
	_, err = tx.exec(`INSERT INTO ballot_sums (vote_id, stripe, sealed) SELECT $1, u.stripe, u.sealed
		FROM unnest($2::smallint[], $3::bytea[]) u(stripe, sealed)`, vote, pq.Array(stripes), pq.ByteaArray(sealed))
	return err
}

// sumsStripe is the stripe of a secret vote's sealed sums that a cast holds, as last
// committed; Stripe is nil until it holds one.
type sumsStripe struct {
	Stripe *int   `db:"stripe"`
	Sealed []byte `db:"sealed"`
}

// sumsStripe returns the sealer of the vote's sums, and makes sure the cast holds a stripe:
// castQuery took one that no other cast held, if there was one; else (all held, or not all
// made yet) it takes one chosen at random, made if missing, and waits for it if held. It is
// taken before the cast's participation, as castQuery's is.
func (tx *Tx) sumsStripe(vote int64, options int, held *sumsStripe) (*ballotSealer, error) {
	sealer, err := tx.store.ballotSealer()
	if err != nil || held.Stripe != nil {
		return sealer, err
	}
	stripe, err := randomStripe()
	if err != nil {
		return nil, err
	}
	zero, err := sealer.sealSums(vote, stripe, make([]positionCount, options))
	if err != nil {
		return nil, err
	}
	// Made if missing, else locked and read as last committed (casts to the stripe queue here).
	if err := tx.get(&held.Sealed, `INSERT INTO ballot_sums (vote_id, stripe, sealed) VALUES ($1, $2, $3)
		ON CONFLICT (vote_id, stripe) DO UPDATE SET sealed = ballot_sums.sealed RETURNING sealed`, vote, stripe, zero); err != nil {
		return nil, err
	}
	held.Stripe = &stripe
	return sealer, nil
}

// sealUnsealed moves the ballots a vote had before sealed sums (ballots_unsealed, left by
// migration 0008) into delta and, for a changeable vote, into sealed choices; the first cast
// after the upgrade does it, and casts after it find nothing to move.
func (tx *Tx) sealUnsealed(lv *lockedVote, sealer *ballotSealer, delta []positionCount) error {
	if _, done := tx.store.sealedVotes.Load(lv.ID); done {
		return nil
	}
	var old []struct {
		Position   int    `db:"position"`
		Area       int64  `db:"area_dm2"`
		ReplaceKey []byte `db:"replace_key"`
	}
	if err := tx.selectRows(&old, `DELETE FROM ballots_unsealed WHERE vote_id = $1 RETURNING position, area_dm2, replace_key`,
		lv.ID); err != nil {
		return err
	}
	if len(old) == 0 {
		// None are ever added: this vote need not be looked at again.
		tx.store.sealedVotes.Store(lv.ID, struct{}{})
	}
	for _, b := range old {
		if b.Position < 0 || b.Position >= len(delta) {
			return errBallotSeal
		}
		delta[b.Position].Heads++
		delta[b.Position].Area += b.Area
		if b.ReplaceKey == nil {
			continue
		}
		choice, err := sealer.sealChoice(lv.ID, b.ReplaceKey, b.Position)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO ballot_choices (vote_id, replace_key, sealed) VALUES ($1, $2, $3)`,
			lv.ID, b.ReplaceKey, choice); err != nil {
			return err
		}
	}
	return nil
}

// secretTallies opens the sums of the locked secret vote, per option position; the ballot
// key is needed only if anything was cast.
func (tx *Tx) secretTallies(lv *lockedVote) ([]positionCount, error) {
	var counts []positionCount
	if err := tx.selectRows(&counts, `SELECT o.position, count(b.position) AS heads, coalesce(sum(b.area_dm2), 0)::bigint AS area
		FROM vote_options o LEFT JOIN ballots_unsealed b ON b.vote_id = o.vote_id AND b.position = o.position
		WHERE o.vote_id = $1 GROUP BY o.position ORDER BY o.position`, lv.ID); err != nil {
		return nil, err
	}
	var stripes []struct {
		Stripe int    `db:"stripe"`
		Sealed []byte `db:"sealed"`
	}
	if err := tx.selectRows(&stripes, `SELECT stripe, sealed FROM ballot_sums WHERE vote_id = $1`, lv.ID); err != nil {
		return nil, err
	}
	if len(stripes) == 0 {
		return counts, nil
	}
	sealer, err := tx.store.ballotSealer()
	if err != nil {
		return nil, err
	}
	for _, s := range stripes {
		if err := sealer.openSums(lv.ID, s.Stripe, s.Sealed, counts); err != nil {
			return nil, err
		}
	}
	return counts, nil
}

// forgetBallots deletes what the closed secret vote kept while open, so that only its result
// and who took part remain; who took part is written again in resident order, so the rows'
// transaction ids and order no longer tell who voted when.
func (tx *Tx) forgetBallots(vote int64) error {
	for _, q := range []string{
		`DELETE FROM ballot_sums WHERE vote_id = $1`,
		`DELETE FROM ballot_choices WHERE vote_id = $1`,
		`DELETE FROM ballots_unsealed WHERE vote_id = $1`,
		`WITH d AS (DELETE FROM vote_participation WHERE vote_id = $1 RETURNING vote_id, resident_id, head)
		INSERT INTO vote_participation (vote_id, resident_id, head) SELECT vote_id, resident_id, head FROM d ORDER BY resident_id`,
	} {
		if _, err := tx.exec(q, vote); err != nil {
			return err
		}
	}
	return nil
}

// vacuumBallots clears the dead row versions closes leave in the ballot tables (sealed, but
// readable to whoever also holds the ballot key) as soon as no transaction can still see
// them. It is best effort: VACUUM cannot run in a transaction, skips a table another VACUUM
// holds, and needs the tables' owner; autovacuum gets there later otherwise.
func (s *Store) vacuumBallots(ctx context.Context) {
	_, _ = s.DB.ExecContext(ctx, `VACUUM (SKIP_LOCKED) ballot_sums, ballot_choices, vote_turnout`)
}
