package db

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Community settings through the API: read by everyone in the community, changed by its
// staff, each change an audit event naming the old and new values and why.

// settingBound is one setting's column, its name for people and its bounds. The database
// holds the same bounds (migration 0011, community_settings_*_bounds), so what the API
// accepts the database accepts.
type settingBound struct {
	Field, Label, Unit string
	Min, Max           int
	get                func(*CommunitySettings) *int
}

// SettingBounds lists the settings in the order they are shown.
var SettingBounds = []settingBound{
	{"wishValueCapFen", "心愿价值上限", "分", 100, 500000, func(c *CommunitySettings) *int { return &c.WishValueCapFen }},
	{"claimLimit", "每人同时认领上限", "个", 1, 1000, func(c *CommunitySettings) *int { return &c.ClaimLimit }},
	{"claimHours", "认领办理时限", "小时", 1, 720, func(c *CommunitySettings) *int { return &c.ClaimHours }},
	{"pointsPerHour", "每小时服务积分", "分", 0, 1000, func(c *CommunitySettings) *int { return &c.PointsPerHour }},
	{"cosignThreshold", "议题附议人数", "人", 1, 1000, func(c *CommunitySettings) *int { return &c.CosignThreshold }},
	{"noticeDays", "决议公示天数", "天", 1, 30, func(c *CommunitySettings) *int { return &c.NoticeDays }},
}

// Settings are one community's settings.
type Settings struct {
	CommunityID int64
	CommunitySettings
}

// SettingsChange is the settings to change (nil: unchanged), keyed by SettingBounds' Field.
type SettingsChange map[string]*int

// communityFor loads a community for its settings, for field.
func (s *Store) communityFor(ctx context.Context, id int64) (*Place, error) {
	p, err := s.Place(ctx, id)
	if err != nil {
		return nil, withField(err, "communityId")
	}
	if p.Level != LevelCommunity {
		return nil, Invalid("communityId", "设置属于社区，这里是%s", p.Level.Name())
	}
	return p, nil
}

// CommunitySettingsOf returns a community's settings to anyone in it: who lives under it or
// holds a role in it, above it or under it. Errors: UNAUTHENTICATED, FORBIDDEN, NOT_FOUND,
// INVALID_INPUT (not a community).
func (s *Store) CommunitySettingsOf(ctx context.Context, v *Viewer, communityID int64) (*Settings, error) {
	if v == nil {
		return nil, needSignIn
	}
	c, err := s.communityFor(ctx, communityID)
	if err != nil {
		return nil, err
	}
	lives := v.Resident != nil && slices.Contains(v.Resident.HouseholdPath, c.ID)
	if !lives && !v.Serves(c, roles...) {
		return nil, forbidden("只有住在%s或在这里担任角色的人可以查看它的设置", c.Name)
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	cs, err := tx.settings(c.ID)
	return &Settings{c.ID, cs}, err
}

// UpdateCommunitySettings changes some of a community's settings and records the change:
// who, when, why, each old and new value. Changing nothing records nothing.
// Errors: UNAUTHENTICATED, FORBIDDEN (staff and admins of the community only), NOT_FOUND,
// INVALID_INPUT (a value out of bounds, no reason).
func (s *Store) UpdateCommunitySettings(ctx context.Context, v *Viewer, communityID int64, change SettingsChange, reason string) (*Settings, error) {
	if v == nil {
		return nil, needSignIn
	}
	c, err := s.communityFor(ctx, communityID)
	if err != nil {
		return nil, err
	}
	if !v.Holds(c, RoleStaff, RoleAdmin) {
		return nil, forbidden("只有%s的社区工作者或管理员可以修改它的设置", c.Name)
	}
	for _, b := range SettingBounds {
		if n := change[b.Field]; n != nil && (*n < b.Min || *n > b.Max) {
			return nil, Invalid(b.Field, "%s需要在 %d 到 %d %s之间", b.Label, b.Min, b.Max, b.Unit)
		}
	}
	reason, err = text("reason", "修改原因", reason, 1, 500)
	if err != nil {
		return nil, err
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	// The row is made on the first change, with the defaults; then locked, so two changes
	// at once each record the values the other left.
	if _, err := tx.exec(`INSERT INTO community_settings (community_id) VALUES ($1) ON CONFLICT DO NOTHING`, c.ID); err != nil {
		return nil, err
	}
	if _, err := tx.exec(`SELECT 1 FROM community_settings WHERE community_id = $1 FOR UPDATE`, c.ID); err != nil {
		return nil, err
	}
	old, err := tx.settings(c.ID)
	if err != nil {
		return nil, err
	}
	next := old
	var changes []string
	for _, b := range SettingBounds {
		if n := change[b.Field]; n != nil && *n != *b.get(&old) {
			changes = append(changes, fmt.Sprintf("%s：%d → %d %s", b.Label, *b.get(&old), *n, b.Unit))
			*b.get(&next) = *n
		}
	}
	if len(changes) == 0 {
		return &Settings{c.ID, old}, nil
	}
	if _, err := tx.exec(`UPDATE community_settings SET wish_value_cap_fen = $2, claim_limit = $3, claim_hours = $4,
		points_per_hour = $5, cosign_threshold = $6, notice_days = $7 WHERE community_id = $1`,
		c.ID, next.WishValueCapFen, next.ClaimLimit, next.ClaimHours, next.PointsPerHour, next.CosignThreshold, next.NoticeDays); err != nil {
		return nil, err
	}
	if err := tx.audit(auditEvent{Action: AuditSettingsChanged, ActorID: &v.Account.ID, PlaceID: &c.ID,
		Note: auditNote("修改"+c.Name+"的设置："+strings.Join(changes, "；"), &reason)}); err != nil {
		return nil, err
	}
	return &Settings{c.ID, next}, tx.Commit()
}
