package db

import (
	"context"
	"database/sql"
	"reflect"
	"sync"
	"unsafe"

	"github.com/jmoiron/sqlx"
)

// selectStmt runs st and reads its rows into dest, as sqlx's SelectContext does. For the
// common case, a slice of plain structs (or of pointers to them) whose every column is a
// field reached without a pointer, where the fields lie is worked out once per statement
// and type, and every row is scanned into one scratch struct and copied out: sqlx finds
// each column's field by reflection again for every row, which was a tenth of a feed
// page's CPU (100 columns × 50 rows). Anything else goes to sqlx as before.
func selectStmt(ctx context.Context, st *sqlx.Stmt, q string, dest any, args ...any) error {
	slice := reflect.ValueOf(dest)
	if slice.Kind() != reflect.Pointer || slice.Elem().Kind() != reflect.Slice {
		return st.SelectContext(ctx, dest, args...)
	}
	slice = slice.Elem()
	elem, ptrs := slice.Type().Elem(), false
	if elem.Kind() == reflect.Pointer {
		elem, ptrs = elem.Elem(), true
	}
	if !plainStruct(elem) {
		return st.SelectContext(ctx, dest, args...)
	}
	rows, err := st.QueryxContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	fields, ok := fieldsOf(st, q, elem, rows)
	if !ok {
		return sqlx.StructScan(rows, dest) // sqlx says what is missing
	}
	scratch := reflect.New(elem)
	base := scratch.UnsafePointer()
	targets := make([]any, len(fields))
	for i, f := range fields {
		targets[i] = reflect.NewAt(f.typ, unsafe.Add(base, f.offset)).Interface()
	}
	row := scratch.Elem()
	for rows.Next() {
		row.SetZero()
		if err := rows.Scan(targets...); err != nil {
			return err
		}
		if ptrs {
			p := reflect.New(elem)
			p.Elem().Set(row)
			slice.Set(reflect.Append(slice, p))
		} else {
			slice.Set(reflect.Append(slice, row))
		}
	}
	return rows.Err()
}

// plainStruct reports whether sqlx would map columns to t's fields by name (rather than
// scan a column into t itself, as it does for a Scanner or a struct such as time.Time).
func plainStruct(t reflect.Type) bool {
	if t.Kind() != reflect.Struct || reflect.PointerTo(t).Implements(scannerType) {
		return false
	}
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			return true
		}
	}
	return false
}

var scannerType = reflect.TypeFor[sql.Scanner]()

// fieldAt is where a column's value goes in the row struct.
type fieldAt struct {
	offset uintptr
	typ    reflect.Type
}

type fieldsKey struct {
	q string
	t reflect.Type
}

// fieldPlans holds, per statement and row type, the columns' fields, or nil where some
// column has no field or is reached through a pointer (sqlx then does the work).
var fieldPlans sync.Map // fieldsKey -> []fieldAt

func fieldsOf(st *sqlx.Stmt, q string, t reflect.Type, rows *sqlx.Rows) ([]fieldAt, bool) {
	key := fieldsKey{q, t}
	if f, ok := fieldPlans.Load(key); ok {
		fs := f.([]fieldAt)
		return fs, fs != nil
	}
	cols, err := rows.Columns()
	if err != nil {
		return nil, false
	}
	var fields []fieldAt
	for _, path := range st.Mapper.TraversalsByName(t, cols) {
		if len(path) == 0 {
			fields = nil
			break
		}
		at := fieldAt{typ: t}
		for i, idx := range path {
			f := at.typ.Field(idx)
			at.offset += f.Offset
			at.typ = f.Type
			if i < len(path)-1 && at.typ.Kind() != reflect.Struct {
				at.typ = nil // through a pointer: sqlx allocates on the way
				break
			}
		}
		if at.typ == nil {
			fields = nil
			break
		}
		fields = append(fields, at)
	}
	fieldPlans.Store(key, fields)
	return fields, fields != nil
}
