package letters

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// thousand is the load: 1,000 adults with two children each,
// every one with its own code and link (so 1,000 distinct QR codes).
func thousand() []Letter {
	ls := make([]Letter, 1000)
	for i := range ls {
		lang := "fr"
		if i%5 == 0 {
			lang = "en"
		}
		class := fmt.Sprintf("%de %c", 6-i%4, 'A'+rune(i%6))
		ls[i] = letter(fmt.Sprintf("parent%04d.dupont", i), "Mme", "Dupont-Lefèvre", fmt.Sprintf("Marie-Hélène %d", i), lang,
			child("Dupont-Lefèvre", "Œdipe", class), child("Dupont-Lefèvre", "Zoë", "CM2"))
		ls[i].Code = fmt.Sprintf("K7QM-%04d-9TDW", i)
		ls[i].Link = "https://parents.ecole.fr/activation?id=" + ls[i].Identifier + "&code=K7QM" + fmt.Sprintf("%04d", i) + "9TDW"
	}
	Sort(ls)
	return ls
}

// peakHeap runs f while sampling the live heap every millisecond, and
// returns the highest HeapAlloc seen above the level before f (bytes).
func peakHeap(f func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	f()
	close(done)
	<-stopped
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

// BenchmarkLetters1000 times the PDF of 1,000 letters. Besides s/op and
// B/op (with -benchmem; B/op is every byte allocated, not what is live),
// it reports peak-heap-MB: the most heap in use at once above the level
// before, sampled every millisecond. The budget: under 10 s and
// 100 MB.
//
//	go test -run '^$' -bench Letters1000 -benchmem ./internal/letters/
func BenchmarkLetters1000(b *testing.B) {
	ls := thousand()
	s := testSchool()
	var peak uint64
	b.ResetTimer()
	for b.Loop() {
		peak = max(peak, peakHeap(func() {
			if err := WritePDF(io.Discard, s, ls); err != nil {
				b.Fatal(err)
			}
		}))
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	// The process's resident high-water mark: with -run '^$' nothing but
	// this benchmark has run in it, test harness included.
	if hwm, ok := peakRSS(); ok {
		b.ReportMetric(float64(hwm)/(1<<20), "peak-RSS-MB")
	}
}

// peakRSS reads the process's peak resident memory (VmHWM) where Linux
// tells it; elsewhere the metric is not reported.
func peakRSS() (uint64, bool) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

// BenchmarkCSV1000 times the CSV of the same letters.
func BenchmarkCSV1000(b *testing.B) {
	ls := thousand()
	s := testSchool()
	for b.Loop() {
		if err := WriteCSV(io.Discard, s, ls); err != nil {
			b.Fatal(err)
		}
	}
}
