package graph

// GlobalID is globalID, for the tests that build IDs from database rows.
var GlobalID = globalID

// ParseGlobalID is parseGlobalID, for the tests that read database ids from answers.
var ParseGlobalID = parseGlobalID

// ClientAddress is clientAddress, for the table of forwarded addresses.
var ClientAddress = clientAddress

// TypeNames are the Chinese names errors give the types of global IDs.
var TypeNames = typeNames

// OrdinaryLists has every list marshalled by gqlgen, for comparing plainLists with it.
func OrdinaryLists(o *Options) { o.ordinaryLists = true }

// SeePlainLists has seen told, for each list of wishes, whether plainLists wrote it.
func SeePlainLists(seen func(plain bool)) func(*Options) {
	return func(o *Options) { o.plainListSeen = seen }
}
