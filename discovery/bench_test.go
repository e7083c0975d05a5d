package discovery

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkScan100k scans 100 directories of 1,000 small files each, every
// file already seen unchanged, so all come out stable. After each scan it
// runs `find DIR -type f -printf '%s %T@ %p\n'`, which also stats every file,
// on the same tree (untimed), and reports the medians of both and their
// ratio: on a shared machine the two vary together more than apart.
//
//	go test ./discovery/ -run '^$' -bench BenchmarkScan100k -benchtime 5x
func BenchmarkScan100k(b *testing.B) {
	const dirs, perDir = 100, 1000
	root := b.TempDir()
	dir := filepath.Join(root, "ds")
	old := time.Now().Add(-time.Hour)
	prev := make(map[string]FileInfo, dirs*perDir)
	for d := range dirs {
		sub := filepath.Join(dir, fmt.Sprintf("d%03d", d))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := range perDir {
			name := fmt.Sprintf("f%04d.csv", f)
			path := filepath.Join(sub, name)
			if err := os.WriteFile(path, []byte("a,b\n1,2\n"), 0o644); err != nil {
				b.Fatal(err)
			}
			if err := os.Chtimes(path, old, old); err != nil {
				b.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				b.Fatal(err)
			}
			rel := filepath.Base(sub) + "/" + name
			prev[rel] = FileInfo{RelPath: rel, Size: fi.Size(), ModTime: fi.ModTime()}
		}
	}
	roots, err := NewRoots(root)
	if err != nil {
		b.Fatal(err)
	}
	pattern, err := CompilePattern("**/*.csv")
	if err != nil {
		b.Fatal(err)
	}
	opts := ScanOptions{
		Roots:      roots,
		Dir:        dir,
		Pattern:    pattern,
		MinFileAge: NoMinFileAge, // stable only through the previous look
		Previous: func(rel string) (int64, time.Time, bool) {
			f, ok := prev[rel]
			return f.Size, f.ModTime, ok
		},
	}
	_, findErr := exec.LookPath("find")
	var scans, finds []time.Duration
	for b.Loop() {
		start := time.Now()
		res, err := Scan(context.Background(), opts)
		if err != nil {
			b.Fatal(err)
		}
		scans = append(scans, time.Since(start))
		if len(res.Stable) != dirs*perDir {
			b.Fatalf("%d stable files, want %d", len(res.Stable), dirs*perDir)
		}
		if findErr == nil {
			b.StopTimer()
			start := time.Now()
			cmd := exec.Command("find", dir, "-type", "f", "-printf", `%s %T@ %p\n`)
			if err := cmd.Run(); err != nil { // output to /dev/null
				b.Fatalf("find: %v", err)
			}
			finds = append(finds, time.Since(start))
			b.StartTimer()
		}
	}
	scan := median(scans)
	b.ReportMetric(scan.Seconds()*1e3, "median-scan-ms")
	b.ReportMetric(float64(dirs*perDir)/scan.Seconds(), "files/s")
	if len(finds) > 0 {
		find := median(finds)
		b.ReportMetric(find.Seconds()*1e3, "median-find-ms")
		b.ReportMetric(scan.Seconds()/find.Seconds(), "scan/find")
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkCountCSV counts the records of a 100 MB CSV with quoted fields,
// some of them holding newlines, and logs how long `wc -l` takes on it.
//
//	go test ./discovery/ -run '^$' -bench BenchmarkCountCSV -benchtime 10x
func BenchmarkCountCSV(b *testing.B) { benchCountCSV(b, 100<<20) }

// BenchmarkCountCSV1GB is the figure: a 1 GB file, next to wc -l.
func BenchmarkCountCSV1GB(b *testing.B) { benchCountCSV(b, 1<<30) }

func benchCountCSV(b *testing.B, size int) {
	path := filepath.Join(b.TempDir(), "big.csv")
	records := writeBenchCSV(b, path, size)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ResetTimer()
	for b.Loop() {
		md, err := InspectFile(context.Background(), path, false)
		if err != nil {
			b.Fatal(err)
		}
		if md.Records != records || md.ParseError != "" {
			b.Fatalf("Records = %d, ParseError %q; want %d", md.Records, md.ParseError, records)
		}
	}
	b.StopTimer()
	perRun := b.Elapsed() / time.Duration(b.N)

	if _, err := exec.LookPath("wc"); err != nil {
		return
	}
	start := time.Now()
	if err := exec.Command("wc", "-l", path).Run(); err != nil {
		b.Logf("wc: %v", err)
		return
	}
	took := time.Since(start)
	mb := float64(fi.Size()) / 1e6
	b.Logf("InspectFile: %v (%.0f MB/s); wc -l: %v (%.0f MB/s)", perRun, mb/perRun.Seconds(), took, mb/took.Seconds())
}

// writeBenchCSV writes about size bytes of CSV to path and returns its number
// of records. Every record has quoted fields; one in ten has a quoted
// newline and an escaped quote.
func writeBenchCSV(b *testing.B, path string, size int) int64 {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	written, _ := w.WriteString("id,name,comment,amount,created\n")
	filler := strings.Repeat("lorem ipsum ", 12)
	var records int64
	for written < size {
		comment := filler
		if records%10 == 0 {
			comment = "line one\nline \"\"two\"\"\n" + filler
		}
		n, err := fmt.Fprintf(w, "%d,\"customer %d\",\"%s\",%d.%02d,2026-03-01T12:00:00Z\n", records, records, comment, records, records%100)
		if err != nil {
			b.Fatal(err)
		}
		written += n
		records++
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return records
}
