package integration

import (
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	floodDuration = flag.Duration("flood.duration", 0, "TestFloodGrowth: flood for this long instead of a few hundred requests (the issue's figure: 10m)")
	floodClients  = flag.Int("flood.clients", 4, "TestFloodGrowth: concurrent clients")
)

var compacted = regexp.MustCompile(`(\d+) bytes before, (\d+) after`)

// A flood of step 1 for unknown addresses, on the real binary (rate
// limits off, one client address): the data file grows by what the
// flows, codes and code logs hold while they live (30 min, a day) and
// one audit record per client and hour — at most 1 KiB of records per
// request, which sesame compact measures. Before the hourly records,
// each request also kept a 170-byte audit record for a year. By
// default a few hundred requests; -flood.duration 10m is the issue's
// 10-minute flood:
//
//	go test ./integration/ -run TestFloodGrowth -v -args -flood.duration 10m
func TestFloodGrowth(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "flood.db")
	srv := newSesame(t, data)
	srv.start()
	fresh := size(t, data)
	var n, refused atomic.Int64
	deadline := time.Now().Add(*floodDuration)
	more := func() bool {
		if *floodDuration > 0 {
			return time.Now().Before(deadline)
		}
		return n.Load() < 400
	}
	var wg sync.WaitGroup
	start := time.Now()
	for w := range *floodClients {
		wg.Go(func() {
			b := newBrowser(t, srv.base())
			for i := 0; more(); i++ {
				code, _, err := b.post("/recuperation/email", url.Values{"email": {fmt.Sprintf("inconnu%d.%d@exemple.org", w, i)}})
				if err != nil || code != http.StatusSeeOther {
					refused.Add(1)
					continue
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	if refused.Load() > 0 {
		t.Fatalf("%d step-1 requests refused", refused.Load())
	}
	srv.stop(10 * time.Second)
	grown := size(t, data)
	out := mustCLI(t, "", "compact", "--data", data)
	m := compacted.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("sesame compact: %s", out)
	}
	after, _ := strconv.ParseInt(m[2], 10, 64)
	reqs := n.Load()
	perFile := float64(grown-fresh) / float64(reqs)
	perRecord := float64(after) / float64(reqs)
	t.Logf("%d requests in %v (%.0f/s): data file %d → %d bytes (%.0f bytes per request), %d bytes after sesame compact (%.0f bytes of records per request)",
		reqs, took.Round(time.Second), float64(reqs)/took.Seconds(), fresh, grown, perFile, after, perRecord)
	if perRecord > 1024 {
		t.Errorf("%.0f bytes of records per request; the README states at most 1 KiB while flows and codes live", perRecord)
	}
}

func size(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
