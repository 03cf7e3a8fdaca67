package db

import (
	"encoding/base64"
	"strconv"
)

// GlobalID is the API's id of the thing of type typ (its GraphQL type name) with key id:
// "typ:id" in unpadded URL-safe base64. Kept here so that the types the API serves straight
// from this package can answer their id as a method, which gqlgen calls in line, where a
// resolver would cost a goroutine per object.
func GlobalID(typ string, id int64) string {
	var b [64]byte
	raw := strconv.AppendInt(append(append(b[:0], typ...), ':'), id, 10)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// NodeID is each type's id in the API: what Node.id answers.
func (x *Place) NodeID() string               { return GlobalID("Place", x.ID) }
func (x *Account) NodeID() string             { return GlobalID("Account", x.ID) }
func (x *AuditEvent) NodeID() string          { return GlobalID("AuditEvent", x.ID) }
func (x *Department) NodeID() string          { return GlobalID("Department", x.ID) }
func (x *OutboxDelivery) NodeID() string      { return GlobalID("FailedDelivery", x.ID) }
func (x *LedgerEntry) NodeID() string         { return GlobalID("LedgerEntry", x.ID) }
func (x *Meeting) NodeID() string             { return GlobalID("Meeting", x.ID) }
func (x *MemberCheckIn) NodeID() string       { return GlobalID("MemberCheckIn", x.ID) }
func (x *Need) NodeID() string                { return GlobalID("Need", x.ID) }
func (x *Objection) NodeID() string           { return GlobalID("Objection", x.ID) }
func (x *Organisation) NodeID() string        { return GlobalID("Organisation", x.ID) }
func (x *OrganisationCheckIn) NodeID() string { return GlobalID("OrganisationCheckIn", x.ID) }
func (x *Project) NodeID() string             { return GlobalID("Project", x.ID) }
func (x *Milestone) NodeID() string           { return GlobalID("ProjectMilestone", x.ID) }
func (x *Proposal) NodeID() string            { return GlobalID("Proposal", x.ID) }
func (x *Report) NodeID() string              { return GlobalID("Report", x.ID) }
func (x *Resident) NodeID() string            { return GlobalID("Resident", x.ID) }
func (x *Resolution) NodeID() string          { return GlobalID("Resolution", x.ID) }
func (x *Task) NodeID() string                { return GlobalID("ResolutionTask", x.ID) }
func (x *Resource) NodeID() string            { return GlobalID("Resource", x.ID) }
func (x *RoleGrant) NodeID() string           { return GlobalID("RoleGrant", x.ID) }
func (x *SupervisionNote) NodeID() string     { return GlobalID("SupervisionNote", x.ID) }
func (x *Topic) NodeID() string               { return GlobalID("Topic", x.ID) }
func (x *TopicComment) NodeID() string        { return GlobalID("TopicComment", x.ID) }
func (x *Visit) NodeID() string               { return GlobalID("Visit", x.ID) }
func (x *Vote) NodeID() string                { return GlobalID("Vote", x.ID) }
