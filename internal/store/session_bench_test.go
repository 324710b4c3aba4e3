package store

import (
	"crypto/rand"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"sesame/internal/account"
)

// BenchmarkCreateSession creates sessions from 16 goroutines at once,
// as concurrent sign-ins do, on a real data file: bbolt's Batch
// coalesces them, and each also writes its account's LastLogin in the
// same transaction.
//
//	go test -run '^$' -bench CreateSession -benchtime 3000x ./internal/store/
func BenchmarkCreateSession(b *testing.B) {
	s, err := Create(filepath.Join(b.TempDir(), "sesame.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := range 100 {
		if err := s.CreateAccount(acct(fmt.Sprintf("parent.%d", i), fmt.Sprintf("p%d@exemple.fr", i))); err != nil {
			b.Fatal(err)
		}
	}
	b.SetParallelism(8) // 16 goroutines on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tok := make([]byte, 32)
			rand.Read(tok)
			i := int(tok[0]) % 100
			now := time.Now()
			if err := s.CreateSession(tok, account.Session{Account: fmt.Sprintf("parent.%d", i), Created: now, Expires: now.Add(time.Hour)}, nil); err != nil {
				b.Error(err)
			}
		}
	})
}
