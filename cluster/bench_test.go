package cluster_test

import (
	"testing"

	"github.com/mlectl/mlectl/cluster"
)

// BenchmarkOwner is the per-record cost of the ingest ownership check: a
// model placed by the hash over three collectors (the slowest source).
func BenchmarkOwner(b *testing.B) {
	d := cluster.NewDirectory(cluster.Config{Name: "collector-a", URL: "http://10.0.0.1:9710", Models: []string{"demand"},
		Peers: []cluster.Peer{{Name: "collector-b", URL: "http://10.0.0.2:9710", Models: []string{"fraud"}}, {Name: "collector-c", URL: "http://10.0.0.3:9710"}}}, nil)
	for _, model := range []string{"demand", "ranker.v2"} {
		b.Run(model, func(b *testing.B) {
			for b.Loop() {
				_ = d.Owns(model)
			}
		})
	}
}

// BenchmarkHashOwner is the rendezvous hash itself over three collectors
// (Owner caches its answer per model; this is the cost of a miss).
func BenchmarkHashOwner(b *testing.B) {
	ms := members("collector-a", "collector-b", "collector-c")
	for b.Loop() {
		_ = cluster.HashOwner("ranker.v2", ms)
	}
}
