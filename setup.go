package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/jmoiron/sqlx"

	"linli/db"
)

// setup makes a subdistrict and its first admin (linli setup): how a real deployment starts
// without the demo. Above a subdistrict there is no place to hold a role in, so the
// operator, at the server, stands there. The password comes from LINLI_SETUP_PASSWORD, not
// the command line, which other users of the machine can read. Running it again with the
// same values changes nothing; with another phone it adds another admin, with another
// subdistrict name another subdistrict.
func setup(ctx context.Context, d *sqlx.DB, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("linli setup", flag.ContinueOnError)
	flags.SetOutput(stderr)
	subdistrict := flags.String("subdistrict", "", "the subdistrict (街道) to make, or the existing one to give an admin, e.g. 幸福街道")
	phone := flags.String("phone", "", "the first admin's mobile number, with which they sign in")
	name := flags.String("name", "", "the first admin's name")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *subdistrict == "" || *phone == "" || *name == "" {
		flags.Usage()
		return errors.New("setup: -subdistrict, -phone and -name are all needed")
	}
	store := db.NewStore(d)
	res, err := store.SetUp(ctx, db.Setup{Subdistrict: *subdistrict, Phone: *phone, Name: *name, Password: getenv("LINLI_SETUP_PASSWORD")})
	if err != nil {
		var e *db.Error
		if errors.As(err, &e) && e.Field == "password" {
			return fmt.Errorf("setup: LINLI_SETUP_PASSWORD: %s", e.Message)
		}
		return fmt.Errorf("setup: %w", err)
	}
	said := func(made bool, yes, no string) string {
		if made {
			return yes
		}
		return no
	}
	fmt.Fprintf(stdout, "subdistrict %s (%s), account %s (%s), admin there (%s)\n",
		*subdistrict, said(res.MadeSubdistrict, "made", "already there"),
		*phone, said(res.MadeAccount, "made", "already there, password unchanged"),
		said(res.MadeGrant, "granted", "already"))
	return nil
}
