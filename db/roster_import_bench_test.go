package db_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"linli/db"
	"linli/db/dbtest"
)

// BenchmarkImportRoster imports a generated roster of 100,000 rows (40,000 flats in 50
// buildings, half the people with an ID number, owners, tags) into an empty community:
// a dry run, then the real run with its digest, as staff would. It reports rows per
// second for each.
//
//	go test -run '^$' -bench ImportRoster -benchtime 1x ./db/
func BenchmarkImportRoster(b *testing.B) {
	const rows = 100_000
	d, _ := dbtest.New(b)
	s := db.NewStore(d)
	s.BallotKey = bytes.Repeat([]byte{0x3c}, 32)
	sheet := generatedRoster(rows)
	var dry, real time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		community, v := benchCommunity(b, d, i)
		b.StartTimer()
		start := time.Now()
		rep, err := s.ImportRoster(context.Background(), v, community, "bench.csv", bytes.NewReader(sheet), true, nil)
		if err != nil {
			b.Fatal(err)
		}
		dry += time.Since(start)
		start = time.Now()
		done, err := s.ImportRoster(context.Background(), v, community, "bench.csv", bytes.NewReader(sheet), false, &rep.PlanDigest)
		if err != nil {
			b.Fatal(err)
		}
		real += time.Since(start)
		if done.RowCount != rows || done.Refused != 0 || done.Residents.Created != rows {
			b.Fatalf("imported %d rows: %d refused, %d residents created; want %d created", done.RowCount, done.Refused, done.Residents.Created, rows)
		}
	}
	b.ReportMetric(float64(rows*b.N)/dry.Seconds(), "dry-rows/s")
	b.ReportMetric(float64(rows*b.N)/real.Seconds(), "rows/s")
}

// benchCommunity makes an empty community with 50 buildings and a staff member of it.
func benchCommunity(b *testing.B, d *sqlx.DB, i int) (int64, *db.Viewer) {
	b.Helper()
	var sub, community, grid, account int64
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(d.Get(&sub, `INSERT INTO places (level, name) VALUES ('subdistrict', $1) RETURNING id`, fmt.Sprintf("街道%d", i)))
	must(d.Get(&community, `INSERT INTO places (level, parent_id, name) VALUES ('community', $1, '导入社区') RETURNING id`, sub))
	must(d.Get(&grid, `INSERT INTO places (level, parent_id, name) VALUES ('grid', $1, '第一网格') RETURNING id`, community))
	must(d.Get(&account, `INSERT INTO accounts (phone, name, password_hash, created_at) VALUES ($1, '社区工作者', 'x', now()) RETURNING id`,
		fmt.Sprintf("1390000%04d", i)))
	_, err := d.Exec(`INSERT INTO places (level, parent_id, name, units) SELECT 'building', $1, n || '号楼', 4 FROM generate_series(1, 50) n`, grid)
	must(err)
	return community, &db.Viewer{Account: &db.Account{ID: account},
		Grants: []*db.RoleGrant{{AccountID: account, Role: db.RoleStaff, PlaceID: community, PlacePath: []int64{sub, community}}}}
}

// generatedRoster writes n rows in the layout: 50 buildings of 4 units of 200 flats,
// two or three people a flat, the first of them the owner.
func generatedRoster(n int) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"楼栋", "单元", "房号", "面积", "姓名", "性别", "出生日期", "身份证号", "手机", "与户主关系", "是否业主", "标签"})
	family := []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"}
	given := []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超"}
	rels := []string{"户主", "配偶", "子女"}
	tags := []string{"", "", "", "", "", "", "独居老人", "低保", "残疾人", "退役军人"}
	row, flat := 0, 0
	for row < n {
		building, unit, room := flat/800+1, flat/200%4+1, flat%200
		people := 2 + flat%2
		for p := 0; p < people && row < n; p++ {
			birth := time.Date(1940+row%70, time.Month(1+row%12), 1+row%28, 0, 0, 0, 0, time.UTC)
			gender := []string{"男", "女"}[(row+p)%2]
			id := ""
			if row%2 == 0 {
				seq := 100 + row/2%900
				if (gender == "男") != (seq%2 == 1) {
					seq = (seq + 1) % 1000
					if seq < 100 {
						seq += 100
					}
				}
				first := fmt.Sprintf("110105%s%03d", birth.Format("20060102"), seq)
				// Make the number unique: the area code carries the row's thousands.
				first = fmt.Sprintf("%06d%s", 110000+row/2000, first[6:])
				id = first + string(db.IDCheckChar(first))
			}
			phone := ""
			if row%3 != 0 {
				phone = fmt.Sprintf("139%08d", row)
			}
			owner := "否"
			if p == 0 {
				owner = "是"
			}
			w.Write([]string{fmt.Sprintf("%d号楼", building), fmt.Sprintf("%d单元", unit), fmt.Sprintf("%d%02d", room/4+1, room%4+1),
				fmt.Sprintf("%d.%d", 60+flat%80, flat%10), family[row%10] + given[row/10%16] + given[row/160%16] + given[row/2560%16], gender,
				birth.Format("2006-01-02"), id, phone, rels[p], owner, tags[row%10]})
			row++
		}
		flat++
	}
	w.Flush()
	return buf.Bytes()
}
