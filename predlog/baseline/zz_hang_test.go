package baseline

import (
	"bytes"
	"math/rand/v2"
	"os"
	"testing"
	"time"
)

func TestZZHang(t *testing.T) {
	if os.Getenv("ZZ") == "" {
		t.Skip()
	}
	seeds := []string{"testdata/bike_hour.parquet", "testdata/adult.parquet"}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 3000; i++ {
		b, _ := os.ReadFile(seeds[i%2])
		for k := 0; k < 1+rng.IntN(4); k++ {
			switch rng.IntN(3) {
			case 0:
				b[rng.IntN(len(b))] = byte(rng.Uint32())
			case 1:
				p := len(b) - 1 - rng.IntN(600)
				b[p] = byte(rng.Uint32())
			case 2:
				p := rng.IntN(len(b))
				b[p] ^= 1 << rng.IntN(8)
			}
		}
		done := make(chan error, 1)
		start := time.Now()
		go func() { _, err := ReadParquet(bytes.NewReader(b), int64(len(b))); done <- err }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			os.WriteFile("/tmp/hang.parquet", b, 0o644)
			t.Fatalf("input %d hangs (%s)", i, time.Since(start))
		}
	}
}
