package demo_test

import (
	"testing"

	"linli/db/dbtest"
)

// Every test of package demo gets a fresh database of its own from dbtest.New.
func TestMain(m *testing.M) { dbtest.Main(m) }
