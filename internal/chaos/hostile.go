//go:build chaos

package chaos

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func init() { register(8, hostileInput) }

// What the server promises (graph.DefaultLimits, internal/server, internal/gqlws;
// docs/API.md and docs/SUBSCRIPTIONS.md), as the scenario checks it.
const (
	maxBody           = 1 << 20 // a POST body over it gets 413
	maxWSOperations   = 100     // one more subscribe gets an error message
	readHeaderTimeout = 10 * time.Second
	requestBodyLimit  = 30 * time.Second
)

// hostileInput attacks every replica at once, while the workload runs, with
// fuzzed GraphQL requests, malformed WebSocket traffic and slow-loris
// clients, and checks that each is refused with a clear error, that no
// replica crashes or stops answering, and that nothing leaks (I7).
func hostileInput(t *testing.T, ctx context.Context, su *suite) *scenario {
	s := &scenario{name: "8. Hostile input at volume (fuzzed GraphQL bodies, malformed WebSocket frames, slow-loris clients, on every replica)", from: time.Now()}
	c := su.c
	seed := hostileSeed()
	s.fact("fuzz seed: %d (CHAOS_SEED=%d repeats the same requests)", seed, seed)
	requests, loris, flood := 3000, 100, 3000
	switch {
	case su.cfg.long:
		requests, loris, flood = 10000, 200, 10000
	case su.cfg.short:
		requests, loris, flood = 1000, 20, 1000
	}

	pids := map[*replica]int{}
	logFrom := map[*replica]int64{}
	for _, r := range c.replicas {
		pids[r], logFrom[r] = r.pid(), logSize(r.log)
	}
	before := allSettledFigures(ctx, s, c)

	probe := startProbe(ctx, c)
	attackFrom := time.Now()
	var wg sync.WaitGroup
	var lorisResults []lorisResult
	wg.Go(func() { lorisResults = slowLorisAttack(ctx, s, c, loris, seed) })
	var wsResults []wsResult
	wg.Go(func() { wsResults = webSocketAttack(ctx, s, c, flood, seed) })
	tally := fuzzAttack(ctx, s, c, requests, seed)
	wg.Wait()
	attack := time.Since(attackFrom)
	probe.stop()
	s.fact("attack took %v", attack.Round(time.Millisecond))

	tally.report(s, requests)
	reportWebSocket(s, wsResults)
	reportSlowLoris(s, lorisResults)
	probe.report(s)

	// Let the attack's connections go before measuring again.
	sleep(ctx, 10*time.Second)
	after := allSettledFigures(ctx, s, c)
	for _, r := range c.replicas {
		compareFigures(s, r, before[r], after[r])
	}

	// Two costs the fuzz only hints at, measured on one replica.
	validationCost(ctx, s, c.replicas[0], c.token)
	documentCache(ctx, s, c.replicas[0], c.token, 100)
	checkSurvivors(ctx, s, c, pids, logFrom)
	return s
}

func hostileSeed() uint64 {
	if v, err := strconv.ParseUint(os.Getenv("CHAOS_SEED"), 10, 64); err == nil {
		return v
	}
	return rand.Uint64()
}

// checkSurvivors: every replica still runs with the pid it had, answers a
// normal query, and logged no panic.
func checkSurvivors(ctx context.Context, s *scenario, c *cluster, pids map[*replica]int, logFrom map[*replica]int64) {
	for _, r := range c.replicas {
		if !r.running() || r.pid() != pids[r] {
			s.finding("%s crashed under hostile input: pid %d before, running=%v with pid %d after; see %s", r.id, pids[r], r.running(), r.pid(), r.log)
			continue
		}
		if err := answersWithin(ctx, r, c.token, 30*time.Second); err != nil {
			s.finding("%s answers no normal query 30 s after the attack: %v", r.id, err)
		}
		if line, _, ok := firstLogLine(r.log, logFrom[r], "panic"); ok {
			s.finding("%s logged a panic during the attack: %q (see %s)", r.id, line, r.log)
		}
	}
}

func answersWithin(ctx context.Context, r *replica, token string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		err := graphqlOnce(ctx, r.url(), token, probeQuery, nil, nil)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		sleep(ctx, 500*time.Millisecond)
	}
}

// --- runtime figures from /metrics ---

// runtimeFigures are a replica's figures from /metrics. liveHeap is the
// heap the last collection found live: its heap goal over 1 + GOGC/100.
type runtimeFigures struct {
	goroutines, rss, heapInUse, liveHeap, gcs float64
	ok                                        bool
}

func (f runtimeFigures) String() string {
	return fmt.Sprintf("%.0f goroutines, live heap %.1f MB (heap in use %.1f MB), RSS %.1f MB", f.goroutines, f.liveHeap/1e6, f.heapInUse/1e6, f.rss/1e6)
}

func readFigures(ctx context.Context, r *replica, token string) (runtimeFigures, error) {
	values, err := readMetrics(ctx, r, token)
	if err != nil {
		return runtimeFigures{}, err
	}
	if _, ok := values["go_gc_gogc_percent"]; !ok {
		values["go_gc_gogc_percent"] = 100
	}
	names := []string{"go_goroutines", "process_resident_memory_bytes", "go_memstats_heap_inuse_bytes", "go_memstats_next_gc_bytes", "go_gc_duration_seconds_count"}
	for _, n := range names {
		if _, ok := values[n]; !ok {
			return runtimeFigures{}, fmt.Errorf("%s missing", n)
		}
	}
	return runtimeFigures{goroutines: values[names[0]], rss: values[names[1]], heapInUse: values[names[2]],
		liveHeap: values[names[3]] / (1 + values["go_gc_gogc_percent"]/100), gcs: values[names[4]], ok: true}, nil
}

// readMetrics reads a replica's /metrics: each series, labels included in
// its name, with its value.
func readMetrics(ctx context.Context, r *replica, token string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url()+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	values := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if v, err := strconv.ParseFloat(strings.TrimSpace(value), 64); ok && err == nil {
			values[name] = v
		}
	}
	return values, sc.Err()
}

// settledFigures makes the replica collect twice (a collection cannot be
// asked for remotely: requests whose bodies are garbage once answered make
// the heap reach its goal), so that liveHeap is what is live now, and
// takes the fewest goroutines of a few samples: short-lived ones come and
// go, a leak stays.
func settledFigures(ctx context.Context, s *scenario, r *replica, token string) runtimeFigures {
	first, err := readFigures(ctx, r, token)
	if err != nil {
		s.fact("%s /metrics: %v", r.id, err)
		return runtimeFigures{}
	}
	garbage := padded(`{"query":"{ viewer { role } }","variables":{"pad":"`, `"}}`, maxBody-1)
	out, sent := first, 0
	for ; out.gcs < first.gcs+2 && sent < 600 && ctx.Err() == nil; sent++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.url()+"/graphql", bytes.NewReader(garbage))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		if resp, err := httpClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if sent%5 == 4 {
			if f, err := readFigures(ctx, r, token); err == nil {
				out = f
			}
		}
	}
	if out.gcs < first.gcs+2 {
		s.fact("%s: %d garbage requests did not make it collect twice; its live heap is as of its last collection", r.id, sent)
	}
	for range 3 {
		sleep(ctx, 500*time.Millisecond)
		if f, err := readFigures(ctx, r, token); err == nil {
			out.goroutines = min(out.goroutines, f.goroutines)
		}
	}
	return out
}

// allSettledFigures measures every replica at once.
func allSettledFigures(ctx context.Context, s *scenario, c *cluster) map[*replica]runtimeFigures {
	var mu sync.Mutex
	out := map[*replica]runtimeFigures{}
	var wg sync.WaitGroup
	for _, r := range c.replicas {
		wg.Go(func() {
			f := settledFigures(ctx, s, r, c.token)
			mu.Lock()
			out[r] = f
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// compareFigures makes a leak a finding only far beyond noise: goroutines
// more than 200 above, or the live heap more than doubled and 100 MB up.
func compareFigures(s *scenario, r *replica, before, after runtimeFigures) {
	if !before.ok || !after.ok {
		s.finding("%s: /metrics could not be read before or after the attack", r.id)
		return
	}
	s.fact("%s before the attack: %v; after it settled: %v", r.id, before, after)
	if after.goroutines > before.goroutines+200 {
		s.finding("%s leaks goroutines: %.0f before the attack, %.0f after it settled", r.id, before.goroutines, after.goroutines)
	}
	if after.liveHeap > 2*before.liveHeap && after.liveHeap > before.liveHeap+100e6 {
		s.finding("%s leaks memory: live heap %.1f MB before the attack, %.1f MB after it settled", r.id, before.liveHeap/1e6, after.liveHeap/1e6)
	}
}

// --- documents that cost more than their size ---

// slowClient is for requests that may take long to answer.
var slowClient = &http.Client{Timeout: 70 * time.Second}

func postQuery(ctx context.Context, r *replica, token string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url()+"/graphql", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := slowClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// validationCost times selections of 1,000 and 8,000 copies of one field
// (the second over the field limit only), three distinct documents of each
// (the parsed-document cache would answer a repeat at once), and keeps the
// fastest of each: linear validation costs 8 × for 8 × the fields.
func validationCost(ctx context.Context, s *scenario, r *replica, token string) {
	fastest := func(n int) time.Duration {
		best := time.Duration(0)
		for k := range 3 {
			body := gqlBody(`{ viewer { `+strings.Repeat("role ", n)+`} } #`+strconv.Itoa(k)+strconv.FormatUint(rand.Uint64(), 36), nil)
			start := time.Now()
			status, b, err := postQuery(ctx, r, token, body)
			took := time.Since(start)
			if err != nil || status >= 500 {
				s.finding("%s: a selection of %d copies of one field (%d bytes) got no clear answer: HTTP %d %v", r.id, n, len(body), status, err)
				return 0
			}
			if n > 2000 && !bytes.Contains(b, []byte("FIELD_LIMIT_EXCEEDED")) {
				s.finding("%s: a selection of %d copies of one field was not refused with FIELD_LIMIT_EXCEEDED: %s", r.id, n, clip(string(b), 200))
			}
			if best == 0 || took < best {
				best = took
			}
		}
		return best
	}
	small, big := fastest(1000), fastest(8000)
	if small <= 0 || big <= 0 {
		return
	}
	ratio := float64(big) / float64(small)
	s.fact("%s: a selection of 1,000 copies of one field (5 KB) gets its answer in %v, one of 8,000 (40 KB) in %v: × %.0f for 8 × the fields",
		r.id, small.Round(time.Millisecond), big.Round(time.Millisecond), ratio)
	if ratio > 24 {
		s.finding("refusing a selection costs the square of its repeated fields: 8,000 copies of one field (a 40 KB request) took %v to refuse with FIELD_LIMIT_EXCEEDED, 1,000 copies %v to answer (× %.0f; linear is × 8). "+
			"The field limit is checked after gqlparser's validation, whose OverlappingFieldsCanBeMerged compares every pair of same-named fields; validation takes no context, so the one-minute request deadline does not stop it",
			big.Round(time.Millisecond), small.Round(time.Millisecond), ratio)
	}
}

// documentCache sends k distinct valid documents of nearly 1 MiB (a query
// and a long comment: cheap to parse and validate) and measures how much of
// them the replica keeps; then sends 1,000 distinct tiny ones, which evict
// them from a cache of 1,000 documents, and measures again.
func documentCache(ctx context.Context, s *scenario, r *replica, token string, k int) {
	before := settledFigures(ctx, s, r, token)
	for i := range k {
		head := fmt.Sprintf(`{"query":"{ viewer { role } } #%d-%d `, i, rand.Uint64())
		if _, _, err := postQuery(ctx, r, token, padded(head, `"}`, maxBody-1)); err != nil {
			s.finding("%s: a 1 MiB query with a comment got no answer: %v", r.id, err)
			return
		}
	}
	filled := settledFigures(ctx, s, r, token)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < 1000; i += 4 {
				_, _, _ = postQuery(ctx, r, token, gqlBody(fmt.Sprintf(`{ viewer { role } } #evict-%d-%d`, i, rand.Uint64()), nil))
			}
		})
	}
	wg.Wait()
	evicted := settledFigures(ctx, s, r, token)
	retained, released := filled.liveHeap-before.liveHeap, filled.liveHeap-evicted.liveHeap
	s.fact("%s: live heap %.1f MB, %.1f MB after %d distinct 1 MiB queries (a comment each), %.1f MB after 1,000 distinct tiny ones",
		r.id, before.liveHeap/1e6, filled.liveHeap/1e6, k, evicted.liveHeap/1e6)
	if !before.ok || !filled.ok || retained <= float64(k)*maxBody/2 {
		return
	}
	cause := ""
	if released > retained/2 {
		cause = "; 1,000 tiny documents released it, so the parsed-document cache (gqlgen's lru of 1,000 documents, graph/handler.go) holds it: " +
			"bounded by count, not bytes, it keeps each document's whole text, and keeps documents that the field, alias, complexity and depth limits refuse after validation"
	}
	s.finding("%s keeps what it is sent: %d distinct valid queries of 1 MiB raised its live heap by %.0f MB (%.0f%% of the bytes)%s; "+
		"1,000 such queries would hold about 1 GB per replica", r.id, k, retained/1e6, 100*retained/(float64(k)*maxBody), cause)
}

// --- normal queries meanwhile ---

const probeQuery = `{ viewer { role } dataSources(first: 1) { totalCount } }`

// probe asks every replica a normal query every 200 ms during the attack.
type probe struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	stats  map[string]*probeStats
}

type probeStats struct {
	ok, failed int
	firstErr   string
	latencies  []time.Duration
	longestGap time.Duration
}

func startProbe(ctx context.Context, c *cluster) *probe {
	ctx, cancel := context.WithCancel(ctx)
	p := &probe{cancel: cancel, stats: map[string]*probeStats{}}
	for _, r := range c.replicas {
		st := &probeStats{}
		p.stats[r.id] = st
		p.wg.Go(func() {
			lastOK := time.Now()
			for ctx.Err() == nil {
				start := time.Now()
				err := graphqlOnce(ctx, r.url(), c.token, probeQuery, nil, nil)
				p.mu.Lock()
				switch {
				case ctx.Err() != nil:
				case err != nil:
					st.failed++
					if st.firstErr == "" {
						st.firstErr = err.Error()
					}
				default:
					st.ok++
					st.latencies = append(st.latencies, time.Since(start))
					st.longestGap = max(st.longestGap, time.Since(lastOK))
					lastOK = time.Now()
				}
				p.mu.Unlock()
				sleep(ctx, 200*time.Millisecond)
			}
		})
	}
	return p
}

func (p *probe) stop() { p.cancel(); p.wg.Wait() }

func (p *probe) report(s *scenario) {
	for _, id := range slices.Sorted(maps.Keys(p.stats)) {
		st := p.stats[id]
		s.fact("normal queries to %s during the attack: %d answered, %d failed; latency p50 %v, p99 %v, max %v; longest gap between answers %v",
			id, st.ok, st.failed, percentile(st.latencies, 0.5).Round(time.Millisecond), percentile(st.latencies, 0.99).Round(time.Millisecond),
			percentile(st.latencies, 1).Round(time.Millisecond), st.longestGap.Round(time.Millisecond))
		if st.failed > 0 {
			s.fact("first failed normal query to %s: %s", id, st.firstErr)
		}
		if st.ok == 0 {
			s.finding("%s answered no normal query during the attack (%d failed: %s)", id, st.failed, st.firstErr)
		}
	}
}

// --- fuzzed GraphQL over HTTP ---

// fuzzCase is one hostile request and what the server promises for it.
type fuzzCase struct {
	kind, variant string
	method        string // "" is POST
	target        string // path and query; "" is /graphql
	body          []byte
	contentType   string // "" is application/json; "-" is none
	accept        string
	authorization string // "" is the admin token
	wantStatus    int    // 0: any clear answer
	wantCode      string // some error has this extensions.code
	wantErrors    bool   // at least one GraphQL error (the input is not valid)
	plainOK       bool   // net/http's own plain-text refusal is the answer (431)
}

// fuzzAttack sends requests fuzzed cases, spread over the replicas, from a
// few workers; case i is made from (seed, i), so a seed repeats a run.
func fuzzAttack(ctx context.Context, s *scenario, c *cluster, requests int, seed uint64) *fuzzTally {
	s.fault("%d fuzzed GraphQL requests over POST and GET /graphql, round robin over %d replicas, 6 at a time", requests, len(c.replicas))
	tally := newFuzzTally(seed)
	// A transport of its own, closed after: idle keep-alive connections
	// would count as the server's goroutines.
	tr := &http.Transport{MaxIdleConnsPerHost: 8, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 70 * time.Second}
	defer tr.CloseIdleConnections()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= requests {
					return
				}
				fc := fuzzCaseFor(seed, i)
				r := c.replicas[i%len(c.replicas)]
				tally.judge(i, r.id, fc, send(ctx, client, r, c.token, fc))
			}
		})
	}
	wg.Wait()
	return tally
}

type answer struct {
	status int
	body   []byte
	err    error
	took   time.Duration
}

func send(ctx context.Context, client *http.Client, r *replica, token string, fc fuzzCase) answer {
	method, target := cmpOr(fc.method, http.MethodPost), cmpOr(fc.target, "/graphql")
	var body io.Reader
	if fc.body != nil {
		body = bytes.NewReader(fc.body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.url()+target, body)
	if err != nil {
		return answer{err: err}
	}
	if ct := cmpOr(fc.contentType, "application/json"); ct != "-" {
		req.Header.Set("Content-Type", ct)
	}
	if fc.accept != "" {
		req.Header.Set("Accept", fc.accept)
	}
	req.Header.Set("Authorization", cmpOr(fc.authorization, "Bearer "+token))
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return answer{err: err, took: time.Since(start)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return answer{status: resp.StatusCode, body: b, err: err, took: time.Since(start)}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// fuzzTally counts what the replicas answered, and keeps one sample of each
// kind of bad answer.
type fuzzTally struct {
	seed     uint64
	mu       sync.Mutex
	statuses map[int]int
	codes    map[string]int
	kinds    map[string]int
	slowest  map[string]answerSample
	withData int
	problems map[string]*problem // unclear answers, broken promises, drops
}

type answerSample struct {
	took time.Duration
	desc string
}

type problem struct {
	count  int
	sample string
}

func newFuzzTally(seed uint64) *fuzzTally {
	return &fuzzTally{seed: seed, statuses: map[int]int{}, codes: map[string]int{}, kinds: map[string]int{},
		slowest: map[string]answerSample{}, problems: map[string]*problem{}}
}

func (t *fuzzTally) judge(i int, replicaID string, fc fuzzCase, a answer) {
	desc := fmt.Sprintf("case %d (%s, %s, %d-byte body) on %s", i, fc.kind, fc.variant, len(fc.body), replicaID)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.kinds[fc.kind]++
	if a.took > t.slowest[fc.kind].took {
		t.slowest[fc.kind] = answerSample{a.took, desc}
	}
	if a.err != nil && a.status == 0 {
		t.problem(fc.kind+": no answer (the connection dropped or timed out)", desc+": "+a.err.Error())
		return
	}
	t.statuses[a.status]++
	for _, p := range verdict(fc, a, t.codes, &t.withData) {
		t.problem(fc.kind+": "+p, fmt.Sprintf("%s: HTTP %d %s", desc, a.status, clip(string(a.body), 300)))
	}
}

func (t *fuzzTally) problem(what, sample string) {
	p := t.problems[what]
	if p == nil {
		p = &problem{sample: sample}
		t.problems[what] = p
	}
	p.count++
}

// verdict says what is wrong with an answer: a 5xx, a body that is not a
// GraphQL error, an error without a message or code, an INTERNAL error, or
// an answer other than the one the server promises for the case.
func verdict(fc fuzzCase, a answer, codes map[string]int, withData *int) []string {
	var out []string
	if a.status >= 500 {
		out = append(out, fmt.Sprintf("HTTP %d", a.status))
	}
	if fc.wantStatus != 0 && a.status != fc.wantStatus {
		out = append(out, fmt.Sprintf("HTTP %d where %d is promised", a.status, fc.wantStatus))
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(a.body, &r); err != nil {
		if !fc.plainOK {
			out = append(out, "an answer that is not JSON")
		}
		return out
	}
	seen := false
	for _, e := range r.Errors {
		code, _ := e.Extensions["code"].(string)
		codes[code]++
		seen = seen || code == fc.wantCode
		switch {
		case e.Message == "" || code == "":
			out = append(out, "an error without a message or extensions.code")
		case code == "INTERNAL":
			out = append(out, "an INTERNAL error")
		}
	}
	switch {
	case len(r.Errors) == 0 && a.status != http.StatusOK:
		out = append(out, fmt.Sprintf("HTTP %d without errors", a.status))
	case len(r.Errors) == 0 && (fc.wantErrors || fc.wantCode != ""):
		out = append(out, "answered with data where an error is due")
	case len(r.Errors) == 0:
		*withData++
	case fc.wantCode != "" && !seen:
		out = append(out, fc.wantCode+" promised, not given")
	}
	return out
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func (t *fuzzTally) report(s *scenario, requests int) {
	total := 0
	for _, n := range t.statuses {
		total += n
	}
	var statuses, codes, kinds, slowest []string
	for _, st := range slices.Sorted(maps.Keys(t.statuses)) {
		statuses = append(statuses, fmt.Sprintf("%d × %d", st, t.statuses[st]))
	}
	for _, code := range slices.Sorted(maps.Keys(t.codes)) {
		codes = append(codes, fmt.Sprintf("%s × %d", cmpOr(code, "(none)"), t.codes[code]))
	}
	for _, k := range slices.Sorted(maps.Keys(t.kinds)) {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, t.kinds[k]))
		slowest = append(slowest, fmt.Sprintf("%s %v", k, t.slowest[k].took.Round(time.Millisecond)))
	}
	s.fact("fuzzed requests sent: %d of %d (%s)", total, requests, strings.Join(kinds, ", "))
	s.fact("HTTP statuses: %s", strings.Join(statuses, ", "))
	s.fact("error codes: %s; answered with data (the fuzz happened to be valid): %d", strings.Join(codes, ", "), t.withData)
	s.fact("slowest answer per kind: %s", strings.Join(slowest, ", "))
	worst := answerSample{}
	for _, a := range t.slowest {
		if a.took > worst.took {
			worst = a
		}
	}
	s.fact("slowest answer of all: %v, %s", worst.took.Round(time.Millisecond), worst.desc)
	for _, what := range slices.Sorted(maps.Keys(t.problems)) {
		p := t.problems[what]
		s.finding("hostile HTTP request answered badly, %d × %s (seed %d); e.g. %s", p.count, what, t.seed, p.sample)
	}
}

// --- the fuzz generators ---

// gen is one case's random source.
type gen struct{ r *rand.Rand }

func (g gen) n(lo, hi int) int         { return lo + g.r.IntN(hi-lo+1) }
func (g gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g gen) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.UintN(256))
	}
	return b
}

type fuzzKind struct {
	weight int
	make   func(g gen) fuzzCase
}

var fuzzKinds = []fuzzKind{
	{10, randomBytes}, {10, truncatedJSON}, {8, mangledJSON}, {10, wrongTypes}, {10, unknownOperation},
	{3, hugeBody}, {3, nearLimitBody}, {8, deepNesting}, {2, wideSelection}, {6, manyAliases},
	{4, fragmentCycle}, {5, fragmentBomb}, {3, tooComplex}, {6, hugeVariables}, {5, badMethodOrHeaders},
	{8, getQuery}, {3, controlCharacters},
}

func fuzzCaseFor(seed uint64, i int) fuzzCase {
	g := gen{rand.New(rand.NewPCG(seed, uint64(i)))}
	total := 0
	for _, k := range fuzzKinds {
		total += k.weight
	}
	n := g.r.IntN(total)
	for _, k := range fuzzKinds {
		if n -= k.weight; n < 0 {
			fc := k.make(g)
			// The GraphQL-over-HTTP media type turns the 200 of a document
			// error into 400; either is a clear answer.
			if fc.accept == "" && g.r.IntN(3) == 0 {
				fc.accept = "application/graphql-response+json"
			}
			return fc
		}
	}
	panic("unreachable")
}

func post(kind, variant string, body []byte) fuzzCase {
	return fuzzCase{kind: kind, variant: variant, body: body}
}

func gqlBody(query string, vars map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return b
}

func (g gen) validQuery() string {
	return g.pick(`{ viewer { role } }`, `query Q { viewer { authEnabled role tokenName } }`, `{ cluster { leader { replicaId } } }`,
		`{ dataSources(first: 2) { totalCount edges { cursor node { name } } } }`, `{ cronPreview(expression: "0 */5 * * * ?") }`)
}

func randomBytes(g gen) fuzzCase {
	fc := post("random bytes", "raw", g.bytes(g.n(1, 4096)))
	fc.wantStatus, fc.wantCode = http.StatusBadRequest, "BAD_REQUEST"
	return fc
}

func truncatedJSON(g gen) fuzzCase {
	full := gqlBody(g.validQuery(), map[string]any{"n": g.n(0, 100)})
	fc := post("truncated JSON", "cut", full[:g.n(1, len(full)-1)])
	fc.wantStatus, fc.wantCode = http.StatusBadRequest, "BAD_REQUEST"
	return fc
}

// mangledJSON flips a few bytes of a valid request: it may still be valid.
func mangledJSON(g gen) fuzzCase {
	b := gqlBody(g.validQuery(), map[string]any{"after": "x"})
	for range g.n(1, 8) {
		b[g.r.IntN(len(b))] = byte(g.r.UintN(256))
	}
	return post("mangled JSON", "bytes flipped", b)
}

func wrongTypes(g gen) fuzzCase {
	q := `"{ viewer { role } }"`
	bodies := []string{
		`{"query":123}`, `{"query":["{ viewer { role } }"]}`, `{"query":{"a":1}}`, `{"query":true}`,
		`{"query":` + q + `,"variables":"x"}`, `{"query":` + q + `,"variables":[1,2]}`, `{"query":` + q + `,"variables":7}`,
		`{"query":` + q + `,"operationName":5}`, `{"query":` + q + `,"extensions":"x"}`, `[{"query":` + q + `}]`,
		q, `42`, `null`, `{}`, `{"query":"   "}`, `{"query":null}`, `{"query":` + q + `} {"query":"x"}`, `{"query":` + q + `,"query":5}`,
	}
	b := bodies[g.r.IntN(len(bodies))]
	fc := post("wrong types", b, []byte(b))
	fc.wantStatus, fc.wantCode = http.StatusBadRequest, "BAD_REQUEST"
	return fc
}

func unknownOperation(g gen) fuzzCase {
	op := g.pick(`{ dropTables }`, `mutation { dropEverything }`, `query { __schema { nope } }`, `fragment F on Viewer { role }`,
		`query($a: Int!) { viewer { role } }`, `query { viewer { role(x: 1) } }`, `{ xyz123 { abc } }`, `{ cronPreview(expression: 5) }`,
		`{ dataSource(id: "not-a-uuid") { id } }`, `query A { viewer { role } } query B { viewer { role } }`, `query Q { viewer { role } }`,
		`subscription { clusterEvents { __typename } }`, `apq-unknown`, `apq-bad`)
	fc := fuzzCase{kind: "unknown operations", variant: op, wantErrors: true}
	switch op {
	case `{ dataSource(id: "not-a-uuid") { id } }`:
		fc.body, fc.wantErrors = gqlBody(op, nil), false // null, as documented
	case `query Q { viewer { role } }`:
		fc.body, _ = json.Marshal(map[string]any{"query": op, "operationName": "Nope"})
	case `subscription { clusterEvents { __typename } }`:
		fc.body, fc.wantStatus = gqlBody(op, nil), http.StatusBadRequest
	case `apq-unknown`:
		fc.body = []byte(`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + strings.Repeat("ab", 32) + `"}}}`)
	case `apq-bad`:
		fc.body = []byte(`{"query":"{ viewer { role } }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"00"}}}`)
	default:
		fc.body = gqlBody(op, nil)
	}
	return fc
}

// hugeBody is over the 1 MiB limit (2-6 MB, or one byte over), or exactly
// at it, which must pass.
func hugeBody(g gen) fuzzCase {
	variant := g.pick("huge variable", "huge query", "huge garbage", "limit + 1", "exactly the limit")
	size := g.n(2<<20, 6<<20)
	var b []byte
	switch variant {
	case "huge query":
		b = padded(`{"query":"{ viewer { role } } #`, `"}`, size)
	case "huge garbage":
		b = g.bytes(size)
	case "limit + 1":
		b = padded(`{"query":"{ viewer { role } }","variables":{"x":"`, `"}}`, maxBody+1)
	case "exactly the limit":
		b = padded(`{"query":"{ viewer { role } }","variables":{"x":"`, `"}}`, maxBody)
	default:
		b = padded(`{"query":"query($x: String) { viewer { role } }","variables":{"x":"`, `"}}`, size)
	}
	fc := post("huge body", variant, b)
	fc.wantStatus, fc.wantCode = http.StatusRequestEntityTooLarge, "BAD_REQUEST"
	if variant == "exactly the limit" {
		fc.wantStatus, fc.wantCode = http.StatusOK, ""
	}
	return fc
}

// padded is head + As + tail, size bytes in all.
func padded(head, tail string, size int) []byte {
	b := make([]byte, 0, size)
	b = append(b, head...)
	b = append(b, bytes.Repeat([]byte("A"), size-len(head)-len(tail))...)
	return append(b, tail...)
}

func nearLimitBody(g gen) fuzzCase {
	size := g.n(300<<10, maxBody-1)
	switch variant := g.pick("huge cron literal", "huge comment", "huge whitespace"); variant {
	case "huge cron literal":
		fc := post("near-limit body", variant, padded(`{"query":"{ cronPreview(expression: \"`, `\") }"}`, size))
		fc.wantErrors = true
		return fc
	case "huge comment":
		return post("near-limit body", variant, padded(`{"query":"#`, `\n{ viewer { role } }"}`, size))
	default:
		head, tail := `{"query":"{ viewer { `, ` role } }"}`
		return post("near-limit body", variant, append(append([]byte(head), bytes.Repeat([]byte(" "), size-len(head)-len(tail))...), tail...))
	}
}

func deepNesting(g gen) fuzzCase {
	variant := g.pick("selections", "unbalanced", "list argument", "JSON variables")
	shallow := g.r.IntN(2) == 0 // within the token limit, else far beyond it
	fc := fuzzCase{kind: "deep nesting", wantErrors: true}
	switch variant {
	case "selections":
		d := pickDepth(g, shallow, 900, 1001, 30000)
		fc.body = gqlBody(`{ viewer { role `+strings.Repeat("{ f ", d)+strings.Repeat("}", d)+` } }`, nil)
		fc.wantCode = expectCode(shallow, "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED")
		fc.variant = fmt.Sprintf("%s, depth %d", variant, d)
	case "unbalanced":
		d := g.n(13, 20000)
		fc.body, fc.wantCode, fc.variant = gqlBody(strings.Repeat("{ viewer ", d), nil), "GRAPHQL_PARSE_FAILED", fmt.Sprintf("%s, depth %d", variant, d)
	case "list argument":
		d := pickDepth(g, shallow, 900, 1001, 40000)
		fc.body = gqlBody(`{ cronPreview(expression: "* * * * *", count: `+strings.Repeat("[", d)+"1"+strings.Repeat("]", d)+`) }`, nil)
		fc.wantCode = expectCode(shallow, "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED")
		fc.variant = fmt.Sprintf("%s, depth %d", variant, d)
	default:
		// encoding/json refuses nesting deeper than 10,000.
		d := pickDepth(g, shallow, 9000, 11000, 100000)
		fc.body = []byte(`{"query":"query($x: String) { viewer { role } }","variables":{"x":` + strings.Repeat("[", d) + strings.Repeat("]", d) + `}}`)
		if !shallow {
			fc.wantStatus, fc.wantCode = http.StatusBadRequest, "BAD_REQUEST"
		}
		fc.variant = fmt.Sprintf("%s, depth %d", variant, d)
	}
	return fc
}

func pickDepth(g gen, shallow bool, shallowMax, deepMin, deepMax int) int {
	if shallow {
		return g.n(13, shallowMax)
	}
	return g.n(deepMin, deepMax)
}

func expectCode(shallow bool, ifShallow, ifDeep string) string {
	if shallow {
		return ifShallow
	}
	return ifDeep
}

// wideSelection selects one field 2,001-4,000 times: over the field limit.
// (validationCost measures what more costs.)
func wideSelection(g gen) fuzzCase {
	n := g.n(2001, 4000)
	fc := post("wide selection", fmt.Sprintf("%d fields", n), gqlBody(`{ viewer { `+strings.Repeat("role ", n)+`} }`, nil))
	fc.wantCode = "FIELD_LIMIT_EXCEEDED"
	return fc
}

// manyAliases: 31-1,000 aliases, over the alias limit and within the field
// and complexity limits, which are checked first.
func manyAliases(g gen) fuzzCase {
	n := g.n(31, 1000)
	var b strings.Builder
	b.WriteString("{ ")
	for i := range n {
		fmt.Fprintf(&b, "a%d: viewer { role } ", i)
	}
	b.WriteString("}")
	fc := post("many aliases", fmt.Sprintf("%d aliases", n), gqlBody(b.String(), nil))
	fc.wantCode = "ALIAS_LIMIT_EXCEEDED"
	return fc
}

func fragmentCycle(g gen) fuzzCase {
	k := g.n(1, 200)
	var b strings.Builder
	b.WriteString("query { viewer { ...F0 } } ")
	for i := range k {
		fmt.Fprintf(&b, "fragment F%d on Viewer { role ...F%d } ", i, (i+1)%k)
	}
	fc := post("fragment cycle", fmt.Sprintf("a ring of %d", k), gqlBody(b.String(), nil))
	fc.wantCode = "GRAPHQL_VALIDATION_FAILED"
	return fc
}

// fragmentBomb: each fragment spreads the next fan times, so the document
// selects fan^levels fields once spread.
func fragmentBomb(g gen) fuzzCase {
	fan := g.n(2, 6)
	levels := g.n(12, 40)
	var b strings.Builder
	b.WriteString("query { viewer { ...F0 } } ")
	for i := range levels {
		fmt.Fprintf(&b, "fragment F%d on Viewer { %s} ", i, strings.Repeat(fmt.Sprintf("...F%d ", i+1), fan))
	}
	fmt.Fprintf(&b, "fragment F%d on Viewer { role authEnabled }", levels)
	fc := post("fragment bomb", fmt.Sprintf("%d levels, fan %d", levels, fan), gqlBody(b.String(), nil))
	fc.wantCode = "FIELD_LIMIT_EXCEEDED"
	return fc
}

func tooComplex(g gen) fuzzCase {
	q := g.pick(`{ dataSources(first: 100) { edges { node { runs(first: 100) { edges { node { id } } } } } } }`,
		`{ dataSources(first: 100) { edges { node { files(first: 100) { edges { node { path } } } } } } }`)
	fc := post("too complex", q, gqlBody(q, nil))
	fc.wantCode = "COMPLEXITY_LIMIT_EXCEEDED"
	return fc
}

func hugeVariables(g gen) fuzzCase {
	big := strings.Repeat(g.pick("A", "%", "_", "é", "\\"), g.n(100<<10, 300<<10))
	switch variant := g.pick("search", "id", "int", "cron", "many keys"); variant {
	case "search":
		return post("huge variables", "a huge search", gqlBody(`query($s: String) { dataSources(first: 1, search: $s) { totalCount } }`, map[string]any{"s": big}))
	case "id":
		// A malformed id names no datasource: null, as documented.
		return post("huge variables", "a huge id", gqlBody(`query($id: ID!) { dataSource(id: $id) { id } }`, map[string]any{"id": big}))
	case "int":
		v := g.pick(`1e300`, `99999999999999999999`, `-1`, `"x"`, `true`, `[1]`, `{"a":1}`, `2147483648`, `0.5`)
		fc := post("huge variables", "first: "+v, []byte(`{"query":"query($n: Int) { dataSources(first: $n) { totalCount } }","variables":{"n":`+v+`}}`))
		fc.wantErrors = true
		return fc
	case "cron":
		fc := post("huge variables", "a huge cron expression", gqlBody(`query($e: String!) { cronPreview(expression: $e) }`, map[string]any{"e": big}))
		fc.wantErrors = true
		return fc
	default:
		vars := map[string]any{}
		for i := range g.n(1000, 30000) {
			vars["k"+strconv.Itoa(i)] = i
		}
		return post("huge variables", fmt.Sprintf("%d undeclared variables", len(vars)), gqlBody(`{ viewer { role } }`, vars))
	}
}

func badMethodOrHeaders(g gen) fuzzCase {
	body := gqlBody(`{ viewer { role } }`, nil)
	fc := fuzzCase{kind: "bad method or headers", body: body, wantCode: "BAD_REQUEST"}
	switch fc.variant = g.pick("PUT", "DELETE", "PATCH", "OPTIONS", "text/plain", "no content type", "form", "Accept image/png",
		"unknown token", "Basic", "huge Authorization"); fc.variant {
	case "PUT", "DELETE", "PATCH", "OPTIONS":
		fc.method, fc.wantStatus = fc.variant, http.StatusMethodNotAllowed
	case "text/plain", "form", "no content type":
		fc.contentType = map[string]string{"text/plain": "text/plain", "form": "application/x-www-form-urlencoded", "no content type": "-"}[fc.variant]
		fc.wantStatus = http.StatusUnsupportedMediaType
	case "Accept image/png":
		fc.accept, fc.wantStatus = "image/png", http.StatusNotAcceptable
	case "unknown token", "Basic":
		fc.authorization = map[string]string{"unknown token": "Bearer ez_nope", "Basic": "Basic YTpi"}[fc.variant]
		fc.wantStatus, fc.wantCode = http.StatusUnauthorized, "UNAUTHENTICATED"
	default:
		// Over MaxHeaderBytes (64 KiB): net/http refuses it itself.
		fc.authorization, fc.wantStatus, fc.wantCode, fc.plainOK = "Bearer "+strings.Repeat("x", 80<<10), http.StatusRequestHeaderFieldsTooLarge, "", true
	}
	return fc
}

func getQuery(g gen) fuzzCase {
	fc := fuzzCase{kind: "GET", method: http.MethodGet}
	q := url.Values{}
	switch fc.variant = g.pick("valid", "mutation", "subscription", "no query", "bad variables", "deep", "aliases", "bomb", "garbage", "huge URL"); fc.variant {
	case "valid":
		q.Set("query", g.validQuery())
	case "mutation", "subscription":
		q.Set("query", map[string]string{"mutation": `mutation { deleteDataSource(id: "00000000-0000-0000-0000-000000000000") }`,
			"subscription": `subscription { clusterEvents { __typename } }`}[fc.variant])
		fc.wantStatus, fc.wantCode = http.StatusMethodNotAllowed, "BAD_REQUEST"
	case "no query":
		fc.wantStatus, fc.wantCode = http.StatusBadRequest, "BAD_REQUEST"
	case "bad variables":
		q.Set("query", `{ viewer { role } }`)
		q.Set("variables", g.pick("x", "[1]", "{", `"s"`))
		fc.wantStatus, fc.wantCode = http.StatusBadRequest, "BAD_REQUEST"
	case "deep":
		d := g.n(13, 900)
		q.Set("query", `{ viewer { role `+strings.Repeat("{ f ", d)+strings.Repeat("}", d)+` } }`)
		fc.wantCode = "GRAPHQL_VALIDATION_FAILED"
	case "aliases", "bomb":
		var m fuzzCase
		if fc.variant == "aliases" {
			m = manyAliases(g)
		} else {
			m = fragmentBomb(g)
		}
		var p struct{ Query string }
		_ = json.Unmarshal(m.body, &p)
		q.Set("query", p.Query)
		fc.wantCode = m.wantCode
	case "garbage":
		q.Set("query", string(g.bytes(g.n(1, 2000))))
		fc.wantErrors = true
	default:
		// Over MaxHeaderBytes: net/http answers 431 itself.
		q.Set("query", `{ viewer { role } } #`+strings.Repeat("A", g.n(80<<10, 200<<10)))
		fc.wantStatus, fc.plainOK = http.StatusRequestHeaderFieldsTooLarge, true
	}
	fc.target = "/graphql?" + q.Encode()
	return fc
}

func controlCharacters(g gen) fuzzCase {
	switch variant := g.pick("NUL", "invalid UTF-8", "BOM", "lone surrogate", "escapes"); variant {
	case "BOM":
		fc := post("control characters", variant, append([]byte("\xef\xbb\xbf"), gqlBody(`{ viewer { role } }`, nil)...))
		fc.wantStatus, fc.wantCode = http.StatusBadRequest, "BAD_REQUEST"
		return fc
	case "NUL":
		fc := post("control characters", variant, []byte(`{"query":"{ viewer \u0000 { role } }"}`))
		fc.wantCode = "GRAPHQL_PARSE_FAILED"
		return fc
	case "invalid UTF-8":
		fc := post("control characters", variant, []byte("{\"query\":\"{ viewer \xff\xfe { role } }\"}"))
		fc.wantCode = "GRAPHQL_PARSE_FAILED"
		return fc
	case "lone surrogate":
		fc := post("control characters", variant, []byte(`{"query":"{ cronPreview(expression: \"\ud800\") }"}`))
		fc.wantErrors = true
		return fc
	default:
		fc := post("control characters", variant, []byte(`{"query":"{ \u0076iewer { r\u006fle } }"}`))
		return fc
	}
}

// --- WebSocket abuse ---

// wsCase is one malformed WebSocket conversation and the close code the
// server promises for it (docs/SUBSCRIPTIONS.md).
type wsCase struct {
	name string
	want websocket.StatusCode
	play func(ctx context.Context, ws *websocket.Conn, token string, g gen) error
}

type wsResult struct {
	replica, name string
	want, got     websocket.StatusCode
	detail        string
}

const floodSubscription = `subscription { clusterEvents { __typename } }`

var wsCases = []wsCase{
	{"binary frame", 4400, func(ctx context.Context, ws *websocket.Conn, _ string, g gen) error {
		return ws.Write(ctx, websocket.MessageBinary, g.bytes(g.n(1, 4096)))
	}},
	{"non-JSON text", 4400, func(ctx context.Context, ws *websocket.Conn, _ string, g gen) error {
		return ws.Write(ctx, websocket.MessageText, []byte(g.pick("hello {", "{\"type\":", "[]", "null", "\"subscribe\"")))
	}},
	{"multi-MB frame", websocket.StatusMessageTooBig, func(ctx context.Context, ws *websocket.Conn, _ string, g gen) error {
		return ws.Write(ctx, websocket.MessageText, padded(`{"type":"connection_init","payload":{"x":"`, `"}}`, g.n(2<<20, 5<<20)))
	}},
	{"subscribe before connection_init", 4401, func(ctx context.Context, ws *websocket.Conn, _ string, _ gen) error {
		return wsSend(ctx, ws, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": floodSubscription}})
	}},
	{"duplicate ids", 4409, func(ctx context.Context, ws *websocket.Conn, token string, _ gen) error {
		if err := wsInit(ctx, ws, token); err != nil {
			return err
		}
		sub := map[string]any{"id": "dup", "type": "subscribe", "payload": map[string]any{"query": floodSubscription}}
		if err := wsSend(ctx, ws, sub); err != nil {
			return err
		}
		return wsSend(ctx, ws, sub)
	}},
	{"unknown message type", 4400, func(ctx context.Context, ws *websocket.Conn, _ string, g gen) error {
		return wsSend(ctx, ws, map[string]any{"type": g.pick("evil", "connection_ack", "next", strings.Repeat("x", 5000))})
	}},
	{"second connection_init", 4429, func(ctx context.Context, ws *websocket.Conn, token string, _ gen) error {
		if err := wsInit(ctx, ws, token); err != nil {
			return err
		}
		return wsSend(ctx, ws, map[string]any{"type": "connection_init"})
	}},
	{"bad token", 4403, func(ctx context.Context, ws *websocket.Conn, _ string, g gen) error {
		return wsSend(ctx, ws, map[string]any{"type": "connection_init", "payload": map[string]any{"authorization": g.pick("Bearer ez_nope", "nope", strings.Repeat("B", 10000))}})
	}},
	{"subscribe without id", 4400, func(ctx context.Context, ws *websocket.Conn, token string, _ gen) error {
		if err := wsInit(ctx, ws, token); err != nil {
			return err
		}
		return wsSend(ctx, ws, map[string]any{"type": "subscribe", "payload": map[string]any{"query": floodSubscription}})
	}},
	{"no connection_init", 4408, func(context.Context, *websocket.Conn, string, gen) error { return nil }},
}

// webSocketAttack plays every case twice on every replica, and floods one
// connection per replica with subscribes.
func webSocketAttack(ctx context.Context, s *scenario, c *cluster, flood int, seed uint64) []wsResult {
	s.fault("malformed WebSocket traffic (%d kinds, twice each) and %d subscribes on one connection, on each replica", len(wsCases), flood)
	var mu sync.Mutex
	var out []wsResult
	var wg sync.WaitGroup
	for ri, r := range c.replicas {
		wg.Go(func() {
			res := floodSubscribes(ctx, r, c.token, flood)
			mu.Lock()
			out = append(out, res)
			mu.Unlock()
		})
		for ci, wc := range wsCases {
			wg.Go(func() {
				for k := range 2 {
					g := gen{rand.New(rand.NewPCG(seed, uint64(1_000_000+ri*1000+ci*10+k)))}
					res := playWS(ctx, r, c.token, wc, g)
					mu.Lock()
					out = append(out, res)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	return out
}

func wsDial(ctx context.Context, r *replica) (*websocket.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(r.url(), "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	return ws, err
}

func wsSend(ctx context.Context, ws *websocket.Conn, v any) error {
	b, _ := json.Marshal(v)
	return ws.Write(ctx, websocket.MessageText, b)
}

// wsInit sends connection_init with the token and waits for the ack.
func wsInit(ctx context.Context, ws *websocket.Conn, token string) error {
	if err := wsSend(ctx, ws, map[string]any{"type": "connection_init", "payload": map[string]any{"authorization": "Bearer " + token}}); err != nil {
		return err
	}
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return fmt.Errorf("before connection_ack: %w", err)
		}
		if bytes.Contains(data, []byte(`"connection_ack"`)) {
			return nil
		}
	}
}

// playWS plays one case, then reads until the server closes.
func playWS(ctx context.Context, r *replica, token string, wc wsCase, g gen) wsResult {
	res := wsResult{replica: r.id, name: wc.name, want: wc.want, got: -1}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ws, err := wsDial(ctx, r)
	if err != nil {
		res.detail = "dial: " + err.Error()
		return res
	}
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 20)
	if err := wc.play(ctx, ws, token, g); err != nil && websocket.CloseStatus(err) == -1 {
		res.detail = "while sending: " + err.Error()
	}
	for {
		_, _, err := ws.Read(ctx)
		if err != nil {
			res.got = websocket.CloseStatus(err)
			if res.got == -1 {
				res.detail = strings.TrimPrefix(res.detail+"; read: "+err.Error(), "; ")
			}
			return res
		}
	}
}

// floodSubscribes sends flood subscribes with distinct ids on one
// connection: the first 100 run, each of the others must get an error
// message, and the connection must stay up.
func floodSubscribes(ctx context.Context, r *replica, token string, flood int) wsResult {
	res := wsResult{replica: r.id, name: "subscribe flood", want: websocket.StatusNormalClosure, got: -1}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	ws, err := wsDial(ctx, r)
	if err == nil {
		err = wsInit(ctx, ws, token)
	}
	if err != nil {
		res.detail = err.Error()
		return res
	}
	defer ws.CloseNow()
	var refused, otherErrors atomic.Int64
	readErr := make(chan error, 1)
	go func() {
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				readErr <- err
				return
			}
			if bytes.Contains(data, []byte(`"type":"error"`)) {
				if bytes.Contains(data, []byte("already runs")) {
					refused.Add(1)
				} else {
					otherErrors.Add(1)
				}
			}
		}
	}()
	for i := range flood {
		if err := wsSend(ctx, ws, map[string]any{"id": "s" + strconv.Itoa(i), "type": "subscribe", "payload": map[string]any{"query": floodSubscription}}); err != nil {
			res.detail = fmt.Sprintf("subscribe %d: %v", i, err)
			break
		}
	}
	want := int64(flood - maxWSOperations)
	for deadline := time.Now().Add(20 * time.Second); refused.Load() < want && time.Now().Before(deadline); {
		sleep(ctx, 50*time.Millisecond)
	}
	for i := range maxWSOperations {
		_ = wsSend(ctx, ws, map[string]any{"id": "s" + strconv.Itoa(i), "type": "complete"})
	}
	select {
	case err := <-readErr:
		res.detail = strings.TrimPrefix(res.detail+"; the server ended the connection: "+err.Error(), "; ")
		res.got = websocket.CloseStatus(err)
	default:
		if ws.Close(websocket.StatusNormalClosure, "") == nil {
			res.got = websocket.StatusNormalClosure
		}
	}
	res.detail = strings.TrimPrefix(fmt.Sprintf("%s; %d of %d subscribes refused (%d due), %d other errors", res.detail, refused.Load(), flood, want, otherErrors.Load()), "; ")
	if refused.Load() != want {
		res.got = -2 // a count mismatch, whatever the close
	}
	return res
}

func reportWebSocket(s *scenario, results []wsResult) {
	type key struct {
		name      string
		want, got websocket.StatusCode
	}
	counts := map[key]int{}
	var names []string
	for _, r := range results {
		k := key{r.name, r.want, r.got}
		if counts[k] == 0 && !slices.Contains(names, r.name) {
			names = append(names, r.name)
		}
		counts[k]++
		switch {
		case r.name == "subscribe flood":
			s.fact("subscribe flood on %s: %s", r.replica, r.detail)
			if r.got != r.want {
				s.finding("subscribe flood on %s: %s", r.replica, r.detail)
			}
		case r.got != r.want:
			s.finding("WebSocket %q on %s closed with %d, where %d is promised (%s)", r.name, r.replica, r.got, r.want, r.detail)
		}
	}
	var parts []string
	for _, n := range names {
		for k, c := range counts {
			if k.name == n && n != "subscribe flood" {
				parts = append(parts, fmt.Sprintf("%s → %d × %d", n, k.got, c))
			}
		}
	}
	slices.Sort(parts)
	s.fact("WebSocket close codes: %s", strings.Join(parts, "; "))
}

// --- slow-loris clients ---

type lorisResult struct {
	kind   string
	closed bool
	after  time.Duration
	status string // the answer's status line, if any
	err    string
}

// lorisKinds: headers a byte a second (net/http's ReadHeaderTimeout
// applies), nothing at all (the same), and a body a byte a second (the
// 30 s body deadline of queries applies), each with the time it gets
// before the client gives up and calls it a finding.
var lorisKinds = []struct {
	name   string
	share  int // of ten
	giveUp time.Duration
}{
	{"headers a byte a second", 5, 4 * readHeaderTimeout},
	{"connect and send nothing", 2, 4 * readHeaderTimeout},
	{"body a byte a second", 3, 2 * requestBodyLimit},
}

func slowLorisAttack(ctx context.Context, s *scenario, c *cluster, perReplica int, seed uint64) []lorisResult {
	s.fault("slow-loris: %d raw TCP connections on each replica (half drip headers, a fifth send nothing, the rest drip a body)", perReplica)
	var mu sync.Mutex
	var out []lorisResult
	var wg sync.WaitGroup
	for _, r := range c.replicas {
		for i := range perReplica {
			k := lorisKinds[0]
			switch share := i * 10 / perReplica; {
			case share >= lorisKinds[0].share+lorisKinds[1].share:
				k = lorisKinds[2]
			case share >= lorisKinds[0].share:
				k = lorisKinds[1]
			}
			wg.Go(func() {
				res := slowLoris(ctx, r.addr, c.token, k.name, k.giveUp)
				mu.Lock()
				out = append(out, res)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	return out
}

func lorisPayload(kind, addr, token string) (prefix, drip string) {
	switch kind {
	case "connect and send nothing":
		return "", ""
	case "body a byte a second":
		return "POST /graphql HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer " + token +
			"\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n", `{"query":"{ viewer { role } }", "x":"` + strings.Repeat("a", 4000)
	default:
		return "GET /graphql?query=%7Bviewer%7Brole%7D%7D HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer " + token + "\r\n",
			"X-Drip: " + strings.Repeat("a", 4000)
	}
}

// slowLoris holds one connection, dripping a byte a second, until the
// server closes it or giveUp passes.
func slowLoris(ctx context.Context, addr, token, kind string, giveUp time.Duration) lorisResult {
	res := lorisResult{kind: kind}
	start := time.Now()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		res.err = err.Error()
		return res
	}
	defer conn.Close()
	ended := make(chan string, 1)
	go func() {
		br := bufio.NewReader(conn)
		line, _ := br.ReadString('\n')
		_, _ = io.Copy(io.Discard, br)
		ended <- strings.TrimSpace(line)
	}()
	prefix, drip := lorisPayload(kind, addr, token)
	_, _ = conn.Write([]byte(prefix))
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	timeout := time.After(giveUp)
	for i := 0; ; i++ {
		select {
		case line := <-ended:
			res.closed, res.after, res.status = true, time.Since(start), line
			return res
		case <-timeout:
			res.after = time.Since(start)
			return res
		case <-ctx.Done():
			res.err = ctx.Err().Error()
			return res
		case <-tick.C:
			if drip != "" {
				_, _ = conn.Write([]byte{drip[i%len(drip)]})
			}
		}
	}
}

func reportSlowLoris(s *scenario, results []lorisResult) {
	for _, k := range lorisKinds {
		var closed []time.Duration
		statuses := map[string]int{}
		open, failed := 0, 0
		var firstErr string
		for _, r := range results {
			switch {
			case r.kind != k.name:
			case r.err != "":
				failed++
				firstErr = cmpOr(firstErr, r.err)
			case r.closed:
				closed = append(closed, r.after)
				statuses[cmpOr(r.status, "(closed without an answer)")]++
			default:
				open++
			}
		}
		var st []string
		for _, line := range slices.Sorted(maps.Keys(statuses)) {
			st = append(st, fmt.Sprintf("%s × %d", line, statuses[line]))
		}
		s.fact("slow-loris %q: %d closed by the server after %v (min) / %v (median) / %v (max); answers: %s",
			k.name, len(closed), percentile(closed, 0).Round(time.Millisecond), percentile(closed, 0.5).Round(time.Millisecond),
			percentile(closed, 1).Round(time.Millisecond), cmpOr(strings.Join(st, ", "), "none"))
		if open > 0 {
			s.finding("slow-loris %q: %d connections still open after %v (the server's deadline is %v or less)", k.name, open, k.giveUp, k.giveUp/2)
		}
		if failed > 0 {
			s.finding("slow-loris %q: %d connections failed on the client side: %s", k.name, failed, firstErr)
		}
		for line, n := range statuses {
			if line != "(closed without an answer)" && !strings.Contains(line, " 4") {
				s.finding("slow-loris %q: %d answered %q, not a 4xx", k.name, n, line)
			}
		}
	}
}
