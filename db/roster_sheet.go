package db

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// The roster sheet (花名册) in the layout communities keep: one row per person and flat.
// Columns are found by their header, whatever their order, so a sheet exported from an older
// system can be uploaded as it is.

// rosterColumn is one column of the layout.
type rosterColumn int

const (
	colBuilding rosterColumn = iota
	colUnit
	colRoom
	colArea
	colName
	colGender
	colBirthDate
	colIDNumber
	colPhone
	colRelationship
	colOwner
	colTags
	// colCompound (小区) is optional: it tells apart buildings of one name in two compounds.
	colCompound
	rosterColumns
)

// rosterHeaders are the layout's headers, in the order an export writes them.
var rosterHeaders = [rosterColumns]string{"楼栋", "单元", "房号", "面积", "姓名", "性别", "出生日期", "身份证号", "手机", "与户主关系", "是否业主", "标签", "小区"}

// rosterHeaderVariants are the other headers older systems write for the same column, as
// normHeader leaves them (half-width, no spaces, no unit in brackets).
var rosterHeaderVariants = map[string]rosterColumn{
	"楼号": colBuilding, "楼栋号": colBuilding, "楼栋名称": colBuilding, "楼宇": colBuilding, "楼幢": colBuilding, "幢号": colBuilding, "栋号": colBuilding,
	"单元号": colUnit,
	"房间号": colRoom, "户号": colRoom, "门牌号": colRoom, "房间": colRoom, "室号": colRoom,
	"建筑面积": colArea, "房屋面积": colArea, "专有部分面积": colArea, "住房面积": colArea,
	"居民姓名": colName, "名字": colName,
	"出生年月日": colBirthDate, "生日": colBirthDate,
	"身份证号码": colIDNumber, "身份证": colIDNumber, "证件号码": colIDNumber, "证件号": colIDNumber, "公民身份号码": colIDNumber,
	"手机号": colPhone, "手机号码": colPhone, "联系电话": colPhone, "电话": colPhone, "联系方式": colPhone,
	"关系": colRelationship, "户主关系": colRelationship,
	"业主": colOwner, "是否产权人": colOwner,
	"人员标签": colTags, "人员类别": colTags,
	"小区名称": colCompound, "所属小区": colCompound, "小区名": colCompound,
}

var bracketed = regexp.MustCompile(`\(.*?\)`)

// normText makes text from a sheet comparable: full-width letters, digits and brackets
// become half-width (NFKC), and surrounding spaces (full-width ones too) go.
func normText(s string) string {
	return strings.TrimSpace(norm.NFKC.String(s))
}

// normHeader reads a header cell: normText, no spaces inside, no unit in brackets (面积(㎡)).
func normHeader(s string) string {
	s = bracketed.ReplaceAllString(normText(s), "")
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

func headerColumn(cell string) (rosterColumn, bool) {
	h := normHeader(cell)
	for c, name := range rosterHeaders {
		if h == name {
			return rosterColumn(c), true
		}
	}
	c, ok := rosterHeaderVariants[h]
	return c, ok
}

// sheetRow is one data row of a sheet: its row number as a spreadsheet shows it (the header
// is row 1 in most files) and its cells by column, trimmed.
type sheetRow struct {
	line  int
	cells [rosterColumns]string
}

// sheetReader yields the rows of a sheet, one at a time, as text cells.
type sheetReader interface {
	next() ([]string, error) // io.EOF after the last row
}

// readRoster reads a roster sheet (CSV in UTF-8 or GB18030, or XLSX, told apart by content)
// and calls each with every data row. The header is the first row that is not empty; a
// sheet missing a column the layout needs is refused naming them. Errors: INVALID_INPUT
// (field "file").
func readRoster(r io.Reader, each func(sheetRow) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(4)
	var sr sheetReader
	if bytes.Equal(head, []byte("PK\x03\x04")) {
		x, err := openXLSX(br)
		if err != nil {
			return err
		}
		defer x.close()
		sr = x
	} else {
		c, err := openCSV(br)
		if err != nil {
			return err
		}
		sr = c
	}
	var cols []int // sheet column -> roster column, -1 for one not in the layout
	line := 0
	for {
		cells, err := sr.next()
		if err == io.EOF {
			break
		} else if err != nil {
			return err
		}
		line++
		if blank(cells) {
			continue
		}
		if cols == nil {
			cols, err = headerColumns(cells)
			if err != nil {
				return err
			}
			continue
		}
		row := sheetRow{line: line}
		for i, c := range cells {
			if i < len(cols) && cols[i] >= 0 {
				row.cells[cols[i]] = normText(c)
			}
		}
		if err := each(row); err != nil {
			return err
		}
	}
	if cols == nil {
		return Invalid("file", "文件是空的：第一行应是表头（楼栋、单元、房号、面积、姓名……）")
	}
	return nil
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// headerColumns finds the layout's columns in a header row, refusing a sheet that names a
// column twice or misses one the import needs.
func headerColumns(cells []string) ([]int, error) {
	cols := make([]int, len(cells))
	seen := [rosterColumns]bool{}
	for i, c := range cells {
		col, ok := headerColumn(c)
		if !ok {
			cols[i] = -1
			continue
		}
		if seen[col] {
			return nil, Invalid("file", "表头中“%s”一列出现了两次", rosterHeaders[col])
		}
		seen[col] = true
		cols[i] = int(col)
	}
	var missing []string
	for _, c := range []rosterColumn{colBuilding, colRoom, colArea, colName} {
		if !seen[c] {
			missing = append(missing, rosterHeaders[c])
		}
	}
	if !seen[colBirthDate] && !seen[colIDNumber] {
		missing = append(missing, "出生日期或身份证号")
	}
	if len(missing) > 0 {
		return nil, Invalid("file", "表头缺少这些列：%s（第一行应是表头，例如：%s）", strings.Join(missing, "、"), strings.Join(rosterHeaders[:], "、"))
	}
	return cols, nil
}

// csvSheet reads CSV. Excel on Chinese Windows saves "CSV" in GB18030 (GBK), elsewhere in
// UTF-8, often with a byte-order mark: a file that is not valid UTF-8 is read as GB18030.
type csvSheet struct{ r *csv.Reader }

func openCSV(br *bufio.Reader) (*csvSheet, error) {
	all, err := io.ReadAll(br)
	if err != nil {
		return nil, err
	}
	all = bytes.TrimPrefix(all, []byte("\xef\xbb\xbf"))
	var text io.Reader = bytes.NewReader(all)
	if !utf8.Valid(all) {
		text = transform.NewReader(bytes.NewReader(all), simplifiedchinese.GB18030.NewDecoder())
	}
	r := csv.NewReader(text)
	r.FieldsPerRecord = -1 // rows may be shorter or longer than the header
	r.LazyQuotes = true
	return &csvSheet{r: r}, nil
}

func (c *csvSheet) next() ([]string, error) {
	rec, err := c.r.Read()
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, Invalid("file", "CSV 文件第 %d 行格式不正确，无法读取", pe.Line)
	}
	return rec, err
}

// xlsxSheet reads the first worksheet of an XLSX workbook row by row (excelize's streaming
// iterator: the sheet is never held whole in memory).
type xlsxSheet struct {
	f    *excelize.File
	rows *excelize.Rows
}

func openXLSX(r io.Reader) (*xlsxSheet, error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return nil, Invalid("file", "无法读取这个 Excel 文件（只支持 .xlsx；.xls 请先在 Excel 中另存为 .xlsx 或 CSV）")
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, Invalid("file", "Excel 文件中没有工作表")
	}
	// Raw values: a date cell is read as its serial number and parsed by parseRosterDate,
	// whatever display format the sheet gave it.
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, Invalid("file", "无法读取 Excel 文件的第一个工作表")
	}
	return &xlsxSheet{f: f, rows: rows}, nil
}

func (x *xlsxSheet) next() ([]string, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, Invalid("file", "Excel 文件内容损坏，无法读取")
		}
		return nil, io.EOF
	}
	cols, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, Invalid("file", "Excel 文件内容损坏，无法读取")
	}
	return cols, nil
}

func (x *xlsxSheet) close() {
	x.rows.Close()
	x.f.Close()
}

// Cell parsers. Each returns a reason in Chinese when the cell cannot be read.

var (
	dateNumeric = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$`)
	dateChinese = regexp.MustCompile(`^(\d{4})年(\d{1,2})月(\d{1,2})日?$`)
	dateCompact = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`)
	excelSerial = regexp.MustCompile(`^\d{1,5}(\.0+)?$`)
)

// parseRosterDate reads a birth date as sheets hold it: 1990-05-03, 1990/5/3, 1990.5.3,
// 1990年5月3日, 19900503, or an Excel date serial (days since 1899-12-30).
func parseRosterDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " T"); i > 0 {
		s = s[:i] // a time of day after the date (1990-05-03 00:00:00)
	}
	var m []string
	switch {
	case dateNumeric.MatchString(s):
		m = dateNumeric.FindStringSubmatch(s)
	case dateChinese.MatchString(s):
		m = dateChinese.FindStringSubmatch(s)
	case dateCompact.MatchString(s):
		m = dateCompact.FindStringSubmatch(s)
	case excelSerial.MatchString(s):
		n, _ := strconv.Atoi(strings.SplitN(s, ".", 2)[0])
		if n < 1 {
			return time.Time{}, false
		}
		return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n), true
	default:
		return time.Time{}, false
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || t.Month() != time.Month(mo) || t.Day() != d {
		return time.Time{}, false // 2月30日
	}
	return t, true
}

var areaNumber = regexp.MustCompile(`^(\d+(?:\.\d+)?)\s*(?:m2|m²|㎡|平方米|平米|平)?$`)

// parseArea reads a floor area in m² ("89.5", "89.50㎡", "89.5平方米") as 0.01 m².
func parseArea(s string) (int64, bool) {
	m := areaNumber.FindStringSubmatch(strings.TrimSpace(strings.ReplaceAll(s, ",", "")))
	if m == nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil || f <= 0 || f > 100000 {
		return 0, false
	}
	dm2 := int64(f*100 + 0.5)
	return dm2, dm2 > 0
}

// parseYesNo reads 是否业主: 是/否, Y/N, 1/0 (and yes/no, true/false, √/×).
func parseYesNo(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "是", "y", "yes", "1", "true", "√", "业主":
		return true, true
	case "否", "n", "no", "0", "false", "×", "x":
		return false, true
	}
	return false, false
}

// normUnit writes a unit as the roster keeps it: "2单元" for 2, "2单元" or "二单元"; "" for
// none.
func normUnit(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	s = strings.TrimSuffix(s, "单元")
	if n, ok := readChineseNumber(s); ok {
		s = strconv.Itoa(n)
	}
	return s + "单元"
}

// normRoom drops what sheets add around a room number: "302室", "302号".
func normRoom(s string) string {
	s = strings.TrimSpace(s)
	for _, suf := range []string{"室", "号", "房"} {
		s = strings.TrimSuffix(s, suf)
	}
	return s
}

var chineseDigits = map[rune]int{'一': 1, '二': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9, '十': 10}

// readChineseNumber reads 1–99 written as digits or in Chinese (二, 十二, 二十一).
func readChineseNumber(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, n > 0
	}
	rs := []rune(s)
	switch {
	case len(rs) == 1:
		n, ok := chineseDigits[rs[0]]
		return n, ok
	case len(rs) == 2 && rs[0] == '十':
		n, ok := chineseDigits[rs[1]]
		return 10 + n, ok && n < 10
	case len(rs) == 2 && rs[1] == '十':
		n, ok := chineseDigits[rs[0]]
		return n * 10, ok && n < 10
	case len(rs) == 3 && rs[1] == '十':
		a, ok1 := chineseDigits[rs[0]]
		b, ok2 := chineseDigits[rs[2]]
		return a*10 + b, ok1 && ok2 && a < 10 && b < 10
	}
	return 0, false
}

var buildingNumber = regexp.MustCompile(`^([0-9一二三四五六七八九十]+)\s*(?:号楼|号|栋|幢|#|号院)?$`)

// buildingKey is how a building's name is matched: "1号楼", "1栋", "1幢", "1#" and "一号楼"
// are one building; any other name is matched as written, spaces aside.
// compoundKey makes a compound's name comparable as buildingKey does a building's.
func compoundKey(name string) string { return strings.Join(strings.Fields(normText(name)), "") }

func buildingKey(name string) string {
	s := strings.Join(strings.Fields(normText(name)), "")
	if m := buildingNumber.FindStringSubmatch(s); m != nil {
		if n, ok := readChineseNumber(m[1]); ok {
			return strconv.Itoa(n) + "号楼"
		}
	}
	return s
}

// editDistance is the Levenshtein distance in characters, for suggesting a building's name.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
