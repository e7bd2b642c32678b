package tsdb

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	ptsdb "github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var matcherSeries = []labels.Labels{
	labels.FromStrings("n", "1"),
	labels.FromStrings("n", "1", "i", "a"),
	labels.FromStrings("n", "1", "i", "b"),
	labels.FromStrings("n", "1", "i", "\n"),
	labels.FromStrings("n", "2"),
	labels.FromStrings("n", "2.5"),
	labels.FromStrings("n", "2", "i", "foo"),
	labels.FromStrings("n", "3", "i", "Foo", "j", "x"),
	labels.FromStrings("__name__", "up", "job", "api"),
}

func TestPostingsForMatchers(t *testing.T) {
	cases := []struct {
		ms   []*labels.Matcher
		want []string // expected label sets, as String()
	}{
		{[]*labels.Matcher{eq("n", "1")}, []string{`{i="\n", n="1"}`, `{i="a", n="1"}`, `{i="b", n="1"}`, `{n="1"}`}},
		{[]*labels.Matcher{eq("n", "1"), eq("i", "a")}, []string{`{i="a", n="1"}`}},
		{[]*labels.Matcher{eq("n", "1"), eq("i", "missing")}, nil},
		{[]*labels.Matcher{eq("missing", "")}, nil}, // filled below: everything
		{[]*labels.Matcher{eq("n", "1"), eq("i", "")}, []string{`{n="1"}`}},
		{[]*labels.Matcher{eq("n", "1"), neq("i", "")}, []string{`{i="\n", n="1"}`, `{i="a", n="1"}`, `{i="b", n="1"}`}},
		{[]*labels.Matcher{eq("n", "1"), neq("i", "a")}, []string{`{i="\n", n="1"}`, `{i="b", n="1"}`, `{n="1"}`}},
		{[]*labels.Matcher{re("n", "^1$")}, []string{`{i="\n", n="1"}`, `{i="a", n="1"}`, `{i="b", n="1"}`, `{n="1"}`}},
		{[]*labels.Matcher{re("n", "1|2")}, []string{`{i="\n", n="1"}`, `{i="a", n="1"}`, `{i="b", n="1"}`, `{i="foo", n="2"}`, `{n="1"}`, `{n="2"}`}},
		{[]*labels.Matcher{re("n", "2.*")}, []string{`{i="foo", n="2"}`, `{n="2"}`, `{n="2.5"}`}},
		{[]*labels.Matcher{eq("n", "1"), re("i", "^a?$")}, []string{`{i="a", n="1"}`, `{n="1"}`}},
		{[]*labels.Matcher{eq("n", "1"), re("i", ".*")}, []string{`{i="\n", n="1"}`, `{i="a", n="1"}`, `{i="b", n="1"}`, `{n="1"}`}},
		{[]*labels.Matcher{eq("n", "1"), re("i", ".+")}, []string{`{i="\n", n="1"}`, `{i="a", n="1"}`, `{i="b", n="1"}`}},
		{[]*labels.Matcher{eq("n", "1"), nre("i", "^a$")}, []string{`{i="\n", n="1"}`, `{i="b", n="1"}`, `{n="1"}`}},
		{[]*labels.Matcher{eq("n", "1"), nre("i", "^a?$")}, []string{`{i="\n", n="1"}`, `{i="b", n="1"}`}},
		{[]*labels.Matcher{eq("n", "1"), nre("i", "")}, []string{`{i="\n", n="1"}`, `{i="a", n="1"}`, `{i="b", n="1"}`}},
		{[]*labels.Matcher{eq("n", "1"), nre("i", ".*")}, nil},
		{[]*labels.Matcher{re("i", "(?i)foo")}, []string{`{i="Foo", j="x", n="3"}`, `{i="foo", n="2"}`}},
		{[]*labels.Matcher{re("i", "fo.*"), neq("n", "3")}, []string{`{i="foo", n="2"}`}},
		{[]*labels.Matcher{neq("n", "1"), neq("n", "2")}, []string{`{__name__="up", job="api"}`, `{i="Foo", j="x", n="3"}`, `{n="2.5"}`}},
		{[]*labels.Matcher{nre("n", "1|2.*"), re("j", "|x")}, []string{`{__name__="up", job="api"}`, `{i="Foo", j="x", n="3"}`}},
		{[]*labels.Matcher{eq("__name__", "up")}, []string{`{__name__="up", job="api"}`}},
		{[]*labels.Matcher{re("__name__", ".+")}, []string{`{__name__="up", job="api"}`}},
	}
	all := make([]string, 0, len(matcherSeries))
	for _, ls := range matcherSeries {
		all = append(all, ls.String())
	}
	slices.Sort(all)
	cases[3].want = all

	db := openTestDB(t, t.TempDir(), Options{})
	defer db.Close()
	head := prometheusHead(t)
	app := db.Appender(context.Background())
	happ := head.Appender(context.Background())
	for _, ls := range matcherSeries {
		_, err := app.Append(0, ls, 1000, 1)
		require.NoError(t, err)
		_, err = happ.Append(0, ls, 1000, 1)
		require.NoError(t, err)
	}
	require.NoError(t, app.Commit())
	require.NoError(t, happ.Commit())
	hix, err := head.Index()
	require.NoError(t, err)

	for _, c := range cases {
		t.Run(matcherName(c.ms), func(t *testing.T) {
			got := seriesStrings(db, db.ix.postingsForMatchers(c.ms...))
			require.Equal(t, c.want, got, "expectation")

			p, err := ptsdb.PostingsForMatchers(context.Background(), hix, c.ms...)
			require.NoError(t, err)
			var prom []string
			var b labels.ScratchBuilder
			var chks []chunks.Meta
			for p.Next() {
				require.NoError(t, hix.Series(p.At(), &b, &chks))
				prom = append(prom, b.Labels().String())
			}
			require.NoError(t, p.Err())
			slices.Sort(prom)
			require.Equal(t, prom, got, "same as Prometheus's PostingsForMatchers")

			// And through the querier after sealing.
			res := queryAll(t, db, 0, 2000, c.ms...)
			var viaQuery []string
			for k := range res {
				viaQuery = append(viaQuery, k)
			}
			slices.Sort(viaQuery)
			require.Equal(t, c.want, viaQuery)
		})
	}
}

func seriesStrings(db *DB, refs []uint64) []string {
	var out []string
	for _, r := range refs {
		out = append(out, db.ix.getByRef(r).lset.String())
	}
	slices.Sort(out)
	return out
}

func prometheusHead(t testing.TB) *ptsdb.Head {
	t.Helper()
	opts := ptsdb.DefaultHeadOptions()
	opts.ChunkDirRoot = t.TempDir()
	h, err := ptsdb.NewHead(nil, nil, nil, nil, opts, nil)
	require.NoError(t, err)
	require.NoError(t, h.Init(math.MinInt64))
	t.Cleanup(func() { _ = h.Close() })
	return h
}

func eq(n, v string) *labels.Matcher  { return labels.MustNewMatcher(labels.MatchEqual, n, v) }
func neq(n, v string) *labels.Matcher { return labels.MustNewMatcher(labels.MatchNotEqual, n, v) }
func re(n, v string) *labels.Matcher  { return labels.MustNewMatcher(labels.MatchRegexp, n, v) }
func nre(n, v string) *labels.Matcher { return labels.MustNewMatcher(labels.MatchNotRegexp, n, v) }

func matcherName(ms []*labels.Matcher) string {
	var s string
	for _, m := range ms {
		s += m.String() + ","
	}
	return s
}

func TestGetOrCreateRefCollision(t *testing.T) {
	ix := newSeriesIndex()
	a := labels.FromStrings("__name__", "a")
	b := labels.FromStrings("__name__", "b")
	sa, created := ix.getOrCreate(a.Hash(), a, 5)
	require.True(t, created)
	require.Equal(t, uint64(5), sa.ref)
	sb, created := ix.getOrCreate(b.Hash(), b, 5)
	require.True(t, created)
	require.NotEqual(t, uint64(5), sb.ref, "a taken ref is not reused")
	require.Same(t, sa, ix.getByRef(5))
	require.Same(t, sb, ix.getByRef(sb.ref))
	ix.remove(sa)
	require.Nil(t, ix.getByRef(5))
	require.Equal(t, []uint64{sb.ref}, ix.postingsForMatchers(re("__name__", ".+")))
}

// getByRef finds series through the ref page table, across page
// boundaries, forgets removed ones, and falls back to the stripes' maps for
// refs beyond the table.
func TestSeriesIndexGetByRefPages(t *testing.T) {
	ix := newSeriesIndex()
	var made []*memSeries
	for i := range 2*(1<<refPageBits) + 3 {
		ls := labels.FromStrings("__name__", "m", "i", fmt.Sprint(i))
		s, created := ix.getOrCreate(ls.Hash(), ls, 0)
		require.True(t, created)
		made = append(made, s)
	}
	for _, s := range made {
		require.Same(t, s, ix.getByRef(s.ref), "ref %d", s.ref)
	}
	ix.remove(made[5000])
	assert.Nil(t, ix.getByRef(made[5000].ref), "removed")
	assert.Nil(t, ix.getByRef(uint64(len(made))+1<<refPageBits), "past the table")

	ls := labels.FromStrings("__name__", "far")
	far, created := ix.getOrCreate(ls.Hash(), ls, maxPagedRef+7)
	require.True(t, created)
	require.Equal(t, uint64(maxPagedRef+7), far.ref)
	assert.Same(t, far, ix.getByRef(far.ref))
}

// Regex matchers over many values (unions of many postings lists, by
// bitmap, or all series when every value matches) select exactly the
// series a brute-force check of each series' labels selects.
func TestPostingsForManyValueRegexMatchers(t *testing.T) {
	ix := newSeriesIndex()
	var all []*memSeries
	for h := range 300 {
		for _, name := range []string{"cpu", "mem", "net"} {
			lb := labels.NewScratchBuilder(3)
			lb.Add("__name__", name)
			lb.Add("instance", fmt.Sprintf("host-%03d", h))
			if h%3 == 0 {
				lb.Add("device", fmt.Sprintf("eth%d", h%7))
			}
			lb.Sort()
			ls := lb.Labels()
			s, _ := ix.getOrCreate(ls.Hash(), ls, 0)
			all = append(all, s)
		}
	}
	for _, tc := range []struct {
		name string
		ms   []*labels.Matcher
	}{
		{"every name", []*labels.Matcher{labels.MustNewMatcher(labels.MatchRegexp, "__name__", ".+")}},
		{"half the instances", []*labels.Matcher{labels.MustNewMatcher(labels.MatchRegexp, "instance", ".*[02468]")}},
		{"instances and name", []*labels.Matcher{
			labels.MustNewMatcher(labels.MatchEqual, "__name__", "net"),
			labels.MustNewMatcher(labels.MatchRegexp, "instance", ".*[13579]"),
			labels.MustNewMatcher(labels.MatchRegexp, "device", "eth[0-3]"),
		}},
		{"not some devices", []*labels.Matcher{labels.MustNewMatcher(labels.MatchNotRegexp, "device", "eth[0-2]")}},
		{"every device", []*labels.Matcher{labels.MustNewMatcher(labels.MatchRegexp, "device", ".+")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []uint64
			for _, s := range all {
				ok := true
				for _, m := range tc.ms {
					ok = ok && m.Matches(s.lset.Get(m.Name))
				}
				if ok {
					want = append(want, s.ref)
				}
			}
			require.NotEmpty(t, want)
			require.Equal(t, want, ix.postingsForMatchers(tc.ms...))
		})
	}
}
