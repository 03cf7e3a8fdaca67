package graph

// GlobalID is globalID, for the tests that build IDs from database rows.
var GlobalID = globalID
