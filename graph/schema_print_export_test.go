package graph

// PrintSchema is printSchema, for printing a schema other than linli's.
var PrintSchema = printSchema
