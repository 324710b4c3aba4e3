package invitation_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"sesame/internal/account"
	"sesame/internal/invitation"
	"sesame/internal/store"
)

// BenchmarkInviteSchool chooses and queues the invitations of a school
// of 5,000 adults with an address and no password, on a real data file:
// one read, one write transaction (5,000 accounts, messages and events).
//
//	go test -run '^$' -bench InviteSchool -benchtime 3x ./internal/invitation/
func BenchmarkInviteSchool(b *testing.B) {
	const n = 5000
	for range b.N {
		b.StopTimer()
		st, err := store.Create(filepath.Join(b.TempDir(), "sesame.db"), time.Second)
		if err != nil {
			b.Fatal(err)
		}
		now := time.Date(2026, 9, 7, 18, 0, 0, 0, time.UTC)
		put := make([]account.Account, n)
		for i := range put {
			put[i] = account.Account{ID: fmt.Sprintf("parent.%05d", i), LastName: "Parent", FirstName: fmt.Sprint(i),
				Email: fmt.Sprintf("parent%d@exemple.fr", i), State: account.Active, Created: now, Updated: now,
				Children: []account.Child{{Key: fmt.Sprint(i), LastName: "Parent", FirstName: "Léo", Class: fmt.Sprintf("%de %c", 3+i%4, 'A'+rune(i%6))}}}
		}
		if err := st.ApplyImport(put, nil, nil); err != nil {
			b.Fatal(err)
		}
		svc := &invitation.Service{Store: st, Now: func() time.Time { return now }}
		b.StartTimer()
		sel, err := svc.Select(invitation.Options{})
		if err != nil {
			b.Fatal(err)
		}
		q, err := svc.Queue(sel, invitation.Options{Rate: invitation.DefaultRate})
		if err != nil || q.Count != n {
			b.Fatalf("queued %d, %v", q.Count, err)
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
}
