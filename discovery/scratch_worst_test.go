package discovery

import (
	"strings"
	"testing"
	"time"
)

func TestScratchWorst(t *testing.T) {
	seg := strings.Repeat("a", 255)
	path := strings.TrimSuffix(strings.Repeat(seg+"/", 16), "/")
	deep := strings.TrimSuffix(strings.Repeat("a/", 2048), "/")
	br := strings.Repeat("{a,b}", 6)
	cases := []struct{ p, path string }{
		{"**/*" + strings.Repeat("a", 480) + "b" + br, path},
		{"**/" + strings.Repeat("*a", 240) + "b" + br, path},
		{"**/*" + strings.Repeat("?", 480) + "b" + br, path},
		{strings.Repeat("**/a/", 195) + "b" + br, deep},
		{strings.Repeat("**/*/", 195) + "b" + br, deep},
		{"{" + strings.Repeat("**/a/", 3) + ",**/a/**/}" + strings.Repeat("**/a/", 180) + "b" + br, deep},
	}
	for _, c := range cases {
		if len(c.p) > 1024 { t.Fatal(len(c.p)) }
		cp, err := CompilePattern(c.p)
		if err != nil { t.Fatal(err) }
		st := time.Now()
		m := cp.Match(c.path)
		t.Logf("%v %v %d alts %.30q", time.Since(st), m, len(cp.alts), c.p)
	}
}
