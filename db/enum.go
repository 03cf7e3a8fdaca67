package db

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Enumerations keep one name per idea: lower_snake in SQL and Go values, the same word in
// UPPER_SNAKE in GraphQL. MarshalGQL/UnmarshalGQL let gqlgen bind the GraphQL enums to them.

// PlaceLevel is the level of a place in the tree.
type PlaceLevel string

// Place levels, top down.
const (
	LevelSubdistrict PlaceLevel = "subdistrict"
	LevelCommunity   PlaceLevel = "community"
	LevelCompound    PlaceLevel = "compound"
	LevelGrid        PlaceLevel = "grid"
	LevelBuilding    PlaceLevel = "building"
	LevelHousehold   PlaceLevel = "household"
)

var placeLevels = []PlaceLevel{LevelSubdistrict, LevelCommunity, LevelCompound, LevelGrid, LevelBuilding, LevelHousehold}

// Role is a role held in a place.
type Role string

// Roles. Being a resident is not a grant: it follows from a verified resident record.
const (
	RoleVolunteer      Role = "volunteer"
	RolePartyMember    Role = "party_member"
	RoleGridWorker     Role = "grid_worker"
	RoleBuildingLeader Role = "building_leader"
	RoleStaff          Role = "staff"
	RoleCouncilMember  Role = "council_member"
	RoleSupervisor     Role = "supervisor"
	RoleAnalyst        Role = "analyst"
	RoleAdmin          Role = "admin"
	// Migration 0022: couriers and riders who report what they see (流动网格员), and the
	// accounts of government departments (职能部门), which see only what was whistled to them.
	RoleMobileGridMember Role = "mobile_grid_member"
	RoleDepartment       Role = "department"
)

var roles = []Role{RoleVolunteer, RolePartyMember, RoleGridWorker, RoleBuildingLeader, RoleStaff,
	RoleCouncilMember, RoleSupervisor, RoleAnalyst, RoleAdmin, RoleMobileGridMember, RoleDepartment}

// ResidentTag is a protected tag on a resident.
type ResidentTag string

// Protected tags.
const (
	TagElderlyAlone    ResidentTag = "elderly_alone"
	TagMinimumIncome   ResidentTag = "minimum_income"
	TagDisabled        ResidentTag = "disabled"
	TagLeftBehindChild ResidentTag = "left_behind_child"
	TagVeteran         ResidentTag = "veteran"
	TagSpecialCare     ResidentTag = "special_care"
)

var residentTags = []ResidentTag{TagElderlyAlone, TagMinimumIncome, TagDisabled, TagLeftBehindChild, TagVeteran, TagSpecialCare}

// AuditAction is what an audit event records.
type AuditAction string

// Audit actions.
const (
	AuditAccountRegistered AuditAction = "account_registered"
	AuditLoginFailed       AuditAction = "login_failed"
	AuditLoginThrottled    AuditAction = "login_throttled"
	AuditResidentVerified  AuditAction = "resident_verified"
	AuditRoleGranted       AuditAction = "role_granted"
	AuditRoleRevoked       AuditAction = "role_revoked"
	// The roster's changes (migrations 0011 to 0014).
	AuditPlaceCreated      AuditAction = "place_created"
	AuditPlaceChanged      AuditAction = "place_changed"
	AuditPlaceMoved        AuditAction = "place_moved"
	AuditPlaceRetired      AuditAction = "place_retired"
	AuditSettingsChanged   AuditAction = "settings_changed"
	AuditResidentAdded     AuditAction = "resident_added"
	AuditResidentMoved     AuditAction = "resident_moved"
	AuditResidentLeft      AuditAction = "resident_left"
	AuditResidentCorrected AuditAction = "resident_corrected"
	AuditResidentLinked    AuditAction = "resident_linked"
	AuditOwnersSet         AuditAction = "owners_set"
	AuditNamedVoterSet     AuditAction = "named_voter_set"
	AuditRosterImported    AuditAction = "roster_imported"
	AuditRosterExported    AuditAction = "roster_exported"
	// Accounts made by an admin, and passwords changed (migration 0015).
	AuditAccountCreated  AuditAction = "account_created"
	AuditPasswordChanged AuditAction = "password_changed"
)

var auditActions = []AuditAction{AuditAccountRegistered, AuditLoginFailed, AuditLoginThrottled,
	AuditResidentVerified, AuditRoleGranted, AuditRoleRevoked,
	AuditPlaceCreated, AuditPlaceChanged, AuditPlaceMoved, AuditPlaceRetired, AuditSettingsChanged,
	AuditResidentAdded, AuditResidentMoved, AuditResidentLeft, AuditResidentCorrected, AuditResidentLinked,
	AuditOwnersSet, AuditNamedVoterSet, AuditRosterImported, AuditRosterExported,
	AuditAccountCreated, AuditPasswordChanged}

func marshalEnum[T ~string](w io.Writer, v T) {
	io.WriteString(w, strconv.Quote(strings.ToUpper(string(v))))
}

func unmarshalEnum[T ~string](dst *T, v any, valid []T, what string) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("%s must be a string", what)
	}
	t := T(strings.ToLower(s))
	if !slices.Contains(valid, t) {
		return fmt.Errorf("%s is not a valid %s", s, what)
	}
	*dst = t
	return nil
}

func (l PlaceLevel) MarshalGQL(w io.Writer)    { marshalEnum(w, l) }
func (l *PlaceLevel) UnmarshalGQL(v any) error { return unmarshalEnum(l, v, placeLevels, "PlaceLevel") }
func (r Role) MarshalGQL(w io.Writer)          { marshalEnum(w, r) }
func (r *Role) UnmarshalGQL(v any) error       { return unmarshalEnum(r, v, roles, "Role") }
func (t ResidentTag) MarshalGQL(w io.Writer)   { marshalEnum(w, t) }
func (t *ResidentTag) UnmarshalGQL(v any) error {
	return unmarshalEnum(t, v, residentTags, "ResidentTag")
}
func (a AuditAction) MarshalGQL(w io.Writer) { marshalEnum(w, a) }
func (a *AuditAction) UnmarshalGQL(v any) error {
	return unmarshalEnum(a, v, auditActions, "AuditAction")
}

// roleNames are the Chinese names used in messages.
var roleNames = map[Role]string{
	RoleVolunteer: "志愿者", RolePartyMember: "党员", RoleGridWorker: "网格员", RoleBuildingLeader: "楼栋长",
	RoleStaff: "社区工作者", RoleCouncilMember: "议事会成员", RoleSupervisor: "监委会成员",
	RoleAnalyst: "数据分析员", RoleAdmin: "管理员",
	RoleMobileGridMember: "流动网格员", RoleDepartment: "职能部门",
}

// Name is the role's Chinese name.
func (r Role) Name() string { return roleNames[r] }

var levelNames = map[PlaceLevel]string{
	LevelSubdistrict: "街道", LevelCommunity: "社区", LevelCompound: "小区", LevelGrid: "网格",
	LevelBuilding: "楼栋", LevelHousehold: "户",
}

// Name is the level's Chinese name.
func (l PlaceLevel) Name() string { return levelNames[l] }

// grantLevels says at which levels each role may be granted: a grid worker serves a grid, a
// building leader a building, and so on.
var grantLevels = map[Role][]PlaceLevel{
	RoleVolunteer:        {LevelSubdistrict, LevelCommunity, LevelCompound, LevelGrid},
	RolePartyMember:      {LevelSubdistrict, LevelCommunity, LevelCompound, LevelGrid},
	RoleGridWorker:       {LevelGrid},
	RoleBuildingLeader:   {LevelBuilding},
	RoleStaff:            {LevelSubdistrict, LevelCommunity},
	RoleCouncilMember:    {LevelCommunity},
	RoleSupervisor:       {LevelCommunity},
	RoleAnalyst:          {LevelSubdistrict, LevelCommunity},
	RoleAdmin:            {LevelSubdistrict, LevelCommunity},
	RoleMobileGridMember: {LevelCommunity, LevelGrid},
	// Held at the subdistrict, and given with a department membership (addDepartmentMember).
	RoleDepartment: {LevelSubdistrict},
}
