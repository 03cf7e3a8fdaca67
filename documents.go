package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/jmoiron/sqlx"

	"linli/db"
)

// documents registers and lists trusted documents (linli documents add|list): the
// operations a client's build may run when LINLI_TRUSTED_DOCUMENTS=on.
func documents(ctx context.Context, d *sqlx.DB, args []string, stdout io.Writer) error {
	const usage = "usage: linli documents add <manifest.json>… | linli documents list"
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "add":
		if len(args) < 2 {
			return errors.New(usage)
		}
		for _, file := range args[1:] {
			b, err := os.ReadFile(file)
			if err != nil {
				return err
			}
			docs, err := db.ParseManifest(b)
			if err != nil {
				return fmt.Errorf("%s: nothing registered: %w", file, err)
			}
			added, err := db.AddTrustedDocuments(ctx, d, docs, filepath.Base(file))
			if err != nil {
				return fmt.Errorf("%s: nothing registered: %w", file, err)
			}
			fmt.Fprintf(stdout, "%s: %d documents, %d newly registered, %d registered already\n", file, len(docs), added, len(docs)-added)
		}
		return nil
	case "list":
		docs, err := db.TrustedDocuments(ctx, d)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tADDED\tSOURCE\tDOCUMENT")
		for _, doc := range docs {
			text := strings.Join(strings.Fields(doc.Document), " ")
			if r := []rune(text); len(r) > 60 {
				text = string(r[:60]) + "…"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", doc.ID, doc.AddedAt.UTC().Format("2006-01-02 15:04"), doc.Source, text)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d documents registered\n", len(docs))
		return nil
	}
	return errors.New(usage)
}
