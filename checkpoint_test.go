package syncd

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestCheckpointsRunOffTheWriter: the writer checkpoints only past its
// backstop, and what it writes below that is copied into the database
// file by the background checkpointer.
func TestCheckpointsRunOffTheWriter(t *testing.T) {
	db := openTemp(t)
	var pages int
	if err := db.Write.Get(&pages, "PRAGMA wal_autocheckpoint"); err != nil {
		t.Fatal(err)
	}
	if pages != writerCheckpointPages {
		t.Fatalf("writer's wal_autocheckpoint: %d, want %d", pages, writerCheckpointPages)
	}
	// About 2,000 pages of WAL: past SQLite's default threshold, which
	// would have checkpointed in one of these commits.
	big := strings.Repeat("x", 3000)
	for i := range 2000 {
		if _, err := db.Write.Exec(`INSERT INTO meta (key, value) VALUES (?, ?)`, fmt.Sprintf("k%04d", i), big); err != nil {
			t.Fatal(err)
		}
	}
	runs := db.ckpt.runs.Load()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		db.ckpt.mu.Lock()
		frames, copied := db.ckpt.walFrames, db.ckpt.copied
		db.ckpt.mu.Unlock()
		if db.ckpt.runs.Load() > runs && frames >= 2000 && copied == frames {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("background checkpoint: %d of %d frames copied", copied, frames)
		}
	}
	// Closed twice (again by openTemp's cleanup): the checkpointer's
	// second close does nothing.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
