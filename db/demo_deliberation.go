package db

import "context"

// DemoDeliberation says whether LoadDemo fills the deliberation (议事协商) demo: topics,
// meetings, votes and resolutions. Tests whose figures count on none switch it off.
var DemoDeliberation = true

// insertDeliberation inserts the deliberation demo.
func (w *demoWorld) insertDeliberation(ctx context.Context, tx *Tx, accountIDs map[string]int64) error {
	return nil
}
