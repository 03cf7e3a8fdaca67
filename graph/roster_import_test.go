package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"linli/db"
	"linli/graph"
)

const importQuery = `mutation($c: ID!, $f: Upload!, $dry: Boolean!, $d: String) {
  importRoster(communityId: $c, file: $f, dryRun: $dry, planDigest: $d) {
    fileName dryRun rowCount refusedRows notInFile planDigest importedAt
    households { created changed unchanged }
    residents { created changed unchanged }
    ownerships { created changed unchanged }
    rowsCount
    rows(first: 1000) { index row action building unit room name changes reason note }
  }
}`

type importCounts struct{ Created, Changed, Unchanged int }

type importReport struct {
	FileName    string
	DryRun      bool
	RowCount    int
	RefusedRows int
	NotInFile   int
	PlanDigest  string
	ImportedAt  *string
	Households  importCounts
	Residents   importCounts
	Ownerships  importCounts
	RowsCount   int
	Rows        []struct {
		Index, Row                         int
		Action, Building, Unit, Room, Name string
		Changes                            []string
		Reason, Note                       *string
	}
}

// upload posts a GraphQL request with one file, as the multipart request spec has it.
func (e *env) upload(token, query string, vars map[string]any, fileName string, content []byte) *response {
	e.t.Helper()
	vars["f"] = nil
	ops, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("operations", string(ops))
	w.WriteField("map", `{"0": ["variables.f"]}`)
	fw, _ := w.CreateFormFile("0", fileName)
	fw.Write(content)
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/query", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.send(req)
}

// importRoster runs importRoster on the file and returns the report.
func (e *env) importRoster(token, community, fileName string, content []byte, dry bool, digest string) *importReport {
	e.t.Helper()
	vars := map[string]any{"c": community, "dry": dry}
	if digest != "" {
		vars["d"] = digest
	}
	var out struct{ ImportRoster importReport }
	e.upload(token, importQuery, vars, fileName, content).Decode(e.t, &out)
	return &out.ImportRoster
}

// rosterCounts counts the rows of every table an import may write.
func (e *env) rosterCounts() map[string]int {
	e.t.Helper()
	m := map[string]int{}
	for _, q := range []string{
		`SELECT count(*) FROM places`, `SELECT count(*) FROM residents`, `SELECT count(*) FROM residencies`,
		`SELECT count(*) FROM household_owners`, `SELECT count(*) FROM audit_events`,
	} {
		var n int
		if err := e.db.Get(&n, q); err != nil {
			e.t.Fatal(err)
		}
		m[q] = n
	}
	// A digest of every value an import may change, so an UPDATE shows too.
	var h string
	if err := e.db.Get(&h, `SELECT md5(string_agg(concat_ws('|', id, household_id, name, phone, birth_date, gender, relationship, tags, id_digest), ',' ORDER BY id))
		|| md5((SELECT string_agg(concat_ws('|', id, floor_area_dm2), ',' ORDER BY id) FROM places))
		|| md5((SELECT string_agg(concat_ws('|', id, household_id, resident_id, since, until), ',' ORDER BY id) FROM household_owners))
		FROM residents`); err != nil {
		e.t.Fatal(err)
	}
	m["values "+h] = 1
	return m
}

func sameCounts(t *testing.T, what string, before, after map[string]int) {
	t.Helper()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s: %s: got %d, want %d", what, k, after[k], v)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("%s: %s appeared", what, k)
		}
	}
}

func readSample(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../docs/roster-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestImportRosterSample brings the sample file in: the dry run reports each problem row
// with its reason and writes nothing; the real run creates exactly what the report said;
// the same file again changes nothing; an export of the roster imports as all unchanged.
func TestImportRosterSample(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff := e.login(phoneStaff)
	heping := e.placeID("和平社区")
	sample := readSample(t)

	before := e.rosterCounts()
	dry := e.importRoster(staff, heping, "roster-sample.csv", sample, true, "")
	sameCounts(t, "after the dry run", before, e.rosterCounts())
	if dry.RowCount != 21 || dry.ImportedAt != nil || !dry.DryRun {
		t.Fatalf("dry run: got %d rows, importedAt %v, want 21 rows and no importedAt", dry.RowCount, dry.ImportedAt)
	}
	refusals := map[int]string{
		5:  "与第 4 行是同一人、同一户",
		6:  "是不是「2号楼」",
		11: "手机号「1381234567」不对",
		12: "在今天之后",
		15: "同一人出现了两次：第 14 行",
		16: "与身份证号中的 1982-06-07 不符",
		18: "社区里没有楼栋「8号楼」（楼栋需先在系统中建好）",
		19: "未知标签「孤寡老人」",
	}
	byRow := map[int]int{}
	for i, r := range dry.Rows {
		if r.Row > 0 {
			byRow[r.Row] = i
		}
	}
	for row := 2; row <= 22; row++ {
		r := dry.Rows[byRow[row]]
		want, refused := refusals[row]
		switch {
		case refused && (r.Action != "REFUSE" || r.Reason == nil || !strings.Contains(*r.Reason, want)):
			t.Errorf("row %d: got %s %v, want REFUSE with a reason containing %q", row, r.Action, text(r.Reason), want)
		case !refused && r.Action != "CREATE":
			t.Errorf("row %d: got %s (%v, %s), want CREATE", row, r.Action, r.Changes, text(r.Reason))
		}
	}
	if r := dry.Rows[byRow[18]]; text(r.Reason) != refusals[18] {
		t.Errorf("row 18: got %q, want no suggestion: 8号楼 is not a typo of 7号楼", text(r.Reason))
	}
	if dry.RefusedRows != len(refusals) {
		t.Errorf("refused rows: got %d, want %d", dry.RefusedRows, len(refusals))
	}
	want := importReport{Households: importCounts{Created: 7, Unchanged: 1}, Residents: importCounts{Created: 11}, Ownerships: importCounts{Created: 9}}
	if dry.Households != want.Households || dry.Residents != want.Residents || dry.Ownerships != want.Ownerships {
		t.Errorf("dry run totals: got households %+v residents %+v ownerships %+v, want %+v %+v %+v",
			dry.Households, dry.Residents, dry.Ownerships, want.Households, want.Residents, want.Ownerships)
	}
	// 2号楼 1单元102 already has people, who are not in the file: listed, never removed.
	var living []string
	if err := e.db.Select(&living, `SELECT r.name FROM residents r JOIN places h ON h.id = r.household_id JOIN places b ON b.id = h.parent_id
		JOIN places c ON c.id = ANY(h.path) WHERE c.name = '和平社区' AND b.name = '2号楼' AND h.unit = '1单元' AND h.room = '102' ORDER BY r.id`); err != nil {
		t.Fatal(err)
	}
	if len(living) == 0 {
		t.Fatal("the demo's 2号楼 1单元102 should have residents")
	}
	var notInFile []string
	for _, r := range dry.Rows {
		if r.Action == "NOT_IN_FILE" {
			notInFile = append(notInFile, r.Name)
		}
	}
	if strings.Join(notInFile, ",") != strings.Join(living, ",") || dry.NotInFile != len(living) {
		t.Errorf("not in file: got %v (%d), want %v", notInFile, dry.NotInFile, living)
	}
	if r := dry.Rows[byRow[17]]; r.Note == nil || !strings.Contains(*r.Note, living[0]) {
		t.Errorf("row 17 (a new person in an occupied flat): note %v, want one naming %s", text(r.Note), living[0])
	}

	real := e.importRoster(staff, heping, "roster-sample.csv", sample, false, dry.PlanDigest)
	after := e.rosterCounts()
	if real.PlanDigest != dry.PlanDigest || real.ImportedAt == nil {
		t.Fatalf("real run: digest %s importedAt %v, want the dry run's digest and a time", real.PlanDigest, real.ImportedAt)
	}
	for q, d := range map[string]int{
		`SELECT count(*) FROM places`: 7, `SELECT count(*) FROM residents`: 11, `SELECT count(*) FROM residencies`: 11,
		`SELECT count(*) FROM household_owners`: 9, `SELECT count(*) FROM audit_events`: 1,
	} {
		if got := after[q] - before[q]; got != d {
			t.Errorf("%s: grew by %d, want %d", q, got, d)
		}
	}
	// One person owning three flats: one resident, three ownerships; the ID number is kept
	// only as a digest.
	var liu struct {
		N, Owned int
		Digest   []byte
	}
	if err := e.db.Get(&liu, `SELECT count(*) AS n, (array_agg(id_digest))[1] AS digest,
		(SELECT count(*) FROM household_owners o JOIN residents r ON r.id = o.resident_id WHERE r.name = '刘振华') AS owned
		FROM residents WHERE name = '刘振华'`); err != nil {
		t.Fatal(err)
	}
	if liu.N != 1 || liu.Owned != 3 || len(liu.Digest) == 0 || bytes.Contains(liu.Digest, []byte("110105197503141230")) {
		t.Errorf("刘振华: %d residents owning %d flats, digest %x; want 1 resident owning 3, with a digest", liu.N, liu.Owned, liu.Digest)
	}
	var coOwners int
	e.db.Get(&coOwners, `SELECT count(*) FROM household_owners o JOIN residents r ON r.id = o.resident_id
		WHERE r.name IN ('王建国', '李淑珍') AND o.household_id = r.household_id AND o.until IS NULL`)
	if coOwners != 2 {
		t.Errorf("co-owners of 1号楼 1单元301: got %d, want 2", coOwners)
	}
	var note string
	e.db.Get(&note, `SELECT note FROM audit_events WHERE action = 'roster_imported'`)
	if !strings.Contains(note, "roster-sample.csv") || !strings.Contains(note, "新增居民 11") {
		t.Errorf("audit note: %q", note)
	}

	// The same file again: everything unchanged (the refused rows still refused), nothing written.
	again := e.importRoster(staff, heping, "roster-sample.csv", sample, true, "")
	if again.Households.Created+again.Households.Changed+again.Residents.Created+again.Residents.Changed+
		again.Ownerships.Created+again.Ownerships.Changed != 0 || again.Residents.Unchanged != 11 || again.RefusedRows != len(refusals) {
		t.Errorf("again: got households %+v residents %+v ownerships %+v refused %d; want all unchanged",
			again.Households, again.Residents, again.Ownerships, again.RefusedRows)
	}
	e.importRoster(staff, heping, "roster-sample.csv", sample, false, again.PlanDigest)
	sameCounts(t, "after importing the same file again", after, e.rosterCounts())

	// Export the community and import the export: everything unchanged.
	var ex struct {
		RosterExport struct {
			FileName, ContentType, CSV string
			RowCount                   int
		}
	}
	e.do(staff, `query($p: ID!) { rosterExport(placeId: $p) { fileName contentType csv rowCount } }`, map[string]any{"p": heping}).Decode(t, &ex)
	if !strings.HasPrefix(ex.RosterExport.CSV, "\ufeff楼栋,单元,房号,面积,姓名") || ex.RosterExport.RowCount < 100 {
		t.Fatalf("export: %d rows, starts %q", ex.RosterExport.RowCount, ex.RosterExport.CSV[:min(60, len(ex.RosterExport.CSV))])
	}
	round := e.importRoster(staff, heping, ex.RosterExport.FileName, []byte(ex.RosterExport.CSV), true, "")
	if round.RowCount != ex.RosterExport.RowCount || round.RowsCount != round.RowCount ||
		round.Households.Created+round.Households.Changed+round.Residents.Created+round.Residents.Changed+
			round.Ownerships.Created+round.Ownerships.Changed+round.RefusedRows+round.NotInFile != 0 {
		for _, r := range round.Rows {
			if r.Action != "UNCHANGED" {
				t.Logf("row %d %s %s %s%s %s: %v %s", r.Row, r.Action, r.Building, r.Unit, r.Room, r.Name, r.Changes, text(r.Reason))
			}
		}
		t.Fatalf("re-importing the export: got %d rows, households %+v residents %+v ownerships %+v refused %d not in file %d; want all unchanged",
			round.RowCount, round.Households, round.Residents, round.Ownerships, round.RefusedRows, round.NotInFile)
	}
}

func text(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestImportRosterConflict: a real run whose plan is not the dry run's is refused and
// writes nothing; so is one without a digest.
func TestImportRosterConflict(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff := e.login(phoneStaff)
	heping := e.placeID("和平社区")
	sample := readSample(t)
	dry := e.importRoster(staff, heping, "roster-sample.csv", sample, true, "")

	// Meanwhile someone records 1号楼 1单元301, which the plan was to create.
	if _, err := e.db.Exec(`INSERT INTO places (level, parent_id, name, unit, room, floor_area_dm2, created_at)
		SELECT 'household', b.id, '1单元301', '1单元', '301', 8950, now() FROM places b JOIN places c ON c.id = ANY(b.path)
		WHERE c.name = '和平社区' AND b.name = '1号楼'`); err != nil {
		t.Fatal(err)
	}
	before := e.rosterCounts()
	vars := map[string]any{"c": heping, "dry": false, "d": dry.PlanDigest}
	e.upload(staff, importQuery, vars, "roster-sample.csv", sample).wantCode(t, "CONFLICT")
	r := e.upload(staff, importQuery, map[string]any{"c": heping, "dry": false}, "roster-sample.csv", sample)
	if r.wantCode(t, "INVALID_INPUT"); r.Field() != "planDigest" {
		t.Errorf("no digest: field %q, want planDigest", r.Field())
	}
	sameCounts(t, "after the refused runs", before, e.rosterCounts())
}

// TestImportRosterFormats: the same sheet as XLSX (dates as Excel serials) and as GB18030
// CSV (as Excel on Chinese Windows saves it) gives the same plan as UTF-8.
func TestImportRosterFormats(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff := e.login(phoneStaff)
	heping := e.placeID("和平社区")
	sample := readSample(t)
	want := e.importRoster(staff, heping, "roster-sample.csv", sample, true, "")

	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes(sample)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.importRoster(staff, heping, "roster-gbk.csv", gb, true, ""); got.PlanDigest != want.PlanDigest {
		t.Errorf("GB18030: digest %s, want %s (refused %d, want %d)", got.PlanDigest, want.PlanDigest, got.RefusedRows, want.RefusedRows)
	}
	bom := append([]byte("\ufeff"), sample...)
	if got := e.importRoster(staff, heping, "roster-bom.csv", bom, true, ""); got.PlanDigest != want.PlanDigest {
		t.Errorf("UTF-8 with BOM: digest %s, want %s", got.PlanDigest, want.PlanDigest)
	}

	f := excelize.NewFile()
	for i, line := range strings.Split(strings.TrimSpace(string(sample)), "\n") {
		for j, cell := range strings.Split(line, ",") {
			name, _ := excelize.CoordinatesToCellName(j+1, i+1)
			// Birth dates that Excel would hold as dates: serial numbers.
			if d, err := time.Parse("2006-01-02", cell); err == nil && j == 6 {
				f.SetCellValue("Sheet1", name, int(d.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours()/24))
				continue
			}
			f.SetCellValue("Sheet1", name, cell)
		}
	}
	var x bytes.Buffer
	if err := f.Write(&x); err != nil {
		t.Fatal(err)
	}
	if got := e.importRoster(staff, heping, "roster.xlsx", x.Bytes(), true, ""); got.PlanDigest != want.PlanDigest {
		t.Errorf("XLSX: digest %s, want %s (refused %d, want %d)", got.PlanDigest, want.PlanDigest, got.RefusedRows, want.RefusedRows)
	}

	// A sheet without the columns the import needs is refused naming them.
	r := e.upload(staff, importQuery, map[string]any{"c": heping, "dry": true}, "bad.csv", []byte("楼栋,姓名,手机\n1号楼,张三,13912345678\n"))
	r.wantCode(t, "INVALID_INPUT")
	if r.Field() != "file" || !strings.Contains(r.Errors[0].Message, "房号、面积、出生日期或身份证号") {
		t.Errorf("missing columns: field %q message %q", r.Field(), r.Errors[0].Message)
	}
}

// TestImportRosterLimits: an upload over the size limit is refused with a typed error
// before it is read, and changes nothing.
func TestImportRosterLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *graph.Options) { o.MaxUploadBytes = 64 << 10 })
	staff := e.login(phoneStaff)
	heping := e.placeID("和平社区")
	big := bytes.Repeat(readSample(t), 100) // about 100 KB
	before := e.rosterCounts()
	r := e.upload(staff, importQuery, map[string]any{"c": heping, "dry": true}, "big.csv", big)
	if r.Status != http.StatusRequestEntityTooLarge || r.Code() != "INVALID_INPUT" || r.Field() != "file" ||
		r.Errors[0].Extensions["reason"] != "UPLOAD_TOO_LARGE" {
		t.Errorf("over the limit: status %d, errors %+v; want 413 INVALID_INPUT on file, UPLOAD_TOO_LARGE", r.Status, r.Errors)
	}
	sameCounts(t, "after the refused upload", before, e.rosterCounts())
	// Under the limit it works.
	e.importRoster(staff, heping, "roster-sample.csv", readSample(t), true, "")
}

// TestImportRosterRowLimit: a file of one row more than the README's 200,000, well under the
// upload size limit, is refused as a whole, naming the limit, and writes nothing.
func TestImportRosterRowLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff := e.login(phoneStaff)
	var sheet bytes.Buffer
	sheet.WriteString("楼栋,单元,房号,面积,姓名,出生日期\n")
	for i := range db.MaxRosterRows + 1 {
		fmt.Fprintf(&sheet, "1号楼,1单元,%d,80,张%d,1980-01-01\n", i, i)
	}
	before := e.rosterCounts()
	r := e.upload(staff, importQuery, map[string]any{"c": e.placeID("和平社区"), "dry": true}, "rows.csv", sheet.Bytes())
	if r.Code() != "INVALID_INPUT" || r.Field() != "file" || !strings.Contains(r.Errors[0].Message, "200000") {
		t.Errorf("%d rows (%d bytes): errors %+v; want INVALID_INPUT on file naming the limit", db.MaxRosterRows+1, sheet.Len(), r.Errors)
	}
	sameCounts(t, "after the refused file", before, e.rosterCounts())
}

// TestImportRosterPermissions: only the community's staff (and admins above it) import and
// export; grid workers, staff of another community and residents are refused.
func TestImportRosterPermissions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	heping := e.placeID("和平社区")
	sample := readSample(t)
	before := e.rosterCounts()
	admin := e.login(phoneAdmin)
	dry := e.importRoster(admin, heping, "roster-sample.csv", sample, true, "")
	for _, c := range []struct {
		who, token, code string
	}{
		{"grid worker", e.login(phoneGridWorker), "FORBIDDEN"},
		{"staff of 光明社区", e.login(phoneStaffGuangming), "FORBIDDEN"},
		{"resident", e.login(phoneResident), "FORBIDDEN"},
		{"building leader", e.login(phoneBuildingLeader), "FORBIDDEN"},
		{"nobody", "", "UNAUTHENTICATED"},
	} {
		for _, dryRun := range []bool{true, false} {
			r := e.upload(c.token, importQuery, map[string]any{"c": heping, "dry": dryRun, "d": dry.PlanDigest}, "roster-sample.csv", sample)
			if r.Code() != c.code {
				t.Errorf("%s importing (dry run %v): got %q, want %s", c.who, dryRun, r.Code(), c.code)
			}
		}
		r := e.do(c.token, `query($p: ID!) { rosterExport(placeId: $p) { csv } }`, map[string]any{"p": heping})
		if r.Code() != c.code {
			t.Errorf("%s exporting: got %q, want %s", c.who, r.Code(), c.code)
		}
	}
	sameCounts(t, "after the refused imports and exports", before, e.rosterCounts())
	// The admin above the community may: the real run goes through.
	e.importRoster(admin, heping, "roster-sample.csv", sample, false, dry.PlanDigest)
	var n int
	e.db.Get(&n, `SELECT count(*) FROM audit_events WHERE action = 'roster_imported' AND actor_id = (SELECT id FROM accounts WHERE phone = $1)`, phoneAdmin)
	if n != 1 {
		t.Errorf("admin's import events: got %d, want 1", n)
	}
}
