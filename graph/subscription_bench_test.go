package graph_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/hub"
	"github.com/ezplatform/ezplatform/store"
)

// Subscription fan-out benchmarks, through the real hub, the gqlgen handler
// and coder/websocket, on real PostgreSQL and real sockets. Figures and the
// machine are in docs/BENCHMARKS.md. Reproduce with:
//
//	go test ./graph -run '^$' -bench 'WebSocketFanout10k|HubFanout1000' -benchtime 1x -timeout 30m
//
// The WebSocket clients run in a child process (this test binary, running
// BenchmarkWebSocketFanoutClients), so that the server's memory and CPU are
// measured apart from the clients'. Both processes read the same wall clock,
// so commit → delivery is measured across them.

// Environment of the client process.
const (
	fanoutURLEnv     = "EZ_BENCH_FANOUT_URL"
	fanoutClientsEnv = "EZ_BENCH_FANOUT_CLIENTS"
	fanoutEventsEnv  = "EZ_BENCH_FANOUT_EVENTS"
	fanoutReportEnv  = "EZ_BENCH_FANOUT_REPORT"
)

// Lines the client process prints when it reaches a phase.
const (
	fanoutSubscribedLine = "fanout-clients: subscribed"
	fanoutDeliveredLine  = "fanout-clients: delivered"
)

// fanoutDialConcurrency bounds the clients that are connecting at once, so
// that the server's accept backlog is not overwhelmed.
const fanoutDialConcurrency = 50

// fanoutSubscription follows every schedule, so that every client gets
// every event.
const fanoutSubscription = `subscription { scheduleEvents { cursor kind occurredAt dataSourceId paused } }`

// fanoutClientReport is what the client process hands back.
type fanoutClientReport struct {
	// Received holds, per client, the receive time (Unix ns) of each
	// event after the snapshot, in stream order; 0 if it never came.
	Received [][]int64
	// Extra counts events received beyond the expected number: duplicates.
	Extra int64
	// Failures counts clients that ended early, by reason.
	Failures map[string]int
	// MemBefore and MemAfter are the heap and stack in use before dialing
	// and once every client got its snapshot, after a GC.
	MemBefore, MemAfter uint64
	// SubscribeTime is from the first dial to the last snapshot.
	SubscribeTime time.Duration
	// CPUSubscribed and CPUDelivered are the process's CPU time when every
	// client had subscribed, and when every client had every event.
	CPUSubscribed, CPUDelivered time.Duration
}

// BenchmarkWebSocketFanout10k: 10,000 graphql-transport-ws clients on one
// replica follow scheduleEvents; schedule changes, each committed by
// store.DataSourceUpdate, come 100 ms apart (50 of them: the load of the
// target) and 1 s apart (20: a load this machine can sustain). Reports
// commit → delivery latency over every delivery, and the server's memory
// and CPU per subscriber and per event.
func BenchmarkWebSocketFanout10k(b *testing.B) {
	for _, c := range []struct {
		spacing time.Duration
		events  int
	}{{100 * time.Millisecond, 50}, {time.Second, 20}} {
		b.Run(fmt.Sprintf("spacing=%v", c.spacing), func(b *testing.B) { benchPauseFanout(b, 10_000, c.events, c.spacing) })
	}
}

// loopbackMessageBytes is the size of BenchmarkLoopbackFloor10k's
// messages: about that of a fan-out benchmark's `next` message.
const loopbackMessageBytes = 200

// BenchmarkLoopbackFloor10k is the floor under BenchmarkWebSocketFanout10k
// on this machine: the same 10,000 clients in a child process and the same
// 20 events 1 s apart, but over plain TCP. Each connection has a goroutine
// that writes a fixed-size message when woken, as each subscription has;
// no HTTP, WebSocket framing, JSON, GraphQL or database. What is left is
// the kernel's loopback TCP (one write and one read per delivery) and Go's
// scheduler, on the 2 cores both processes share.
func BenchmarkLoopbackFloor10k(b *testing.B) {
	const clients, events = 10_000, 20
	raiseFileLimit(b)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	defer ln.Close()
	msg := bytes.Repeat([]byte{'x'}, loopbackMessageBytes)
	var (
		mu    sync.Mutex
		wakes []chan struct{}
	)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wake := make(chan struct{}, 1)
			mu.Lock()
			wakes = append(wakes, wake)
			mu.Unlock()
			go func() {
				defer conn.Close()
				if _, err := conn.Write(msg); err != nil { // the "snapshot"
					return
				}
				for range wake {
					if _, err := conn.Write(msg); err != nil {
						return
					}
				}
			}()
		}
	}()
	registered := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(wakes)
	}
	benchClientFanout(b, "tcp://"+ln.Addr().String(), registered, clients, events, func(ctx context.Context) []int64 {
		committed := make([]int64, events)
		for k := range events {
			time.Sleep(time.Second)
			committed[k] = time.Now().UnixNano()
			mu.Lock()
			for _, wake := range wakes {
				wake <- struct{}{}
			}
			mu.Unlock()
		}
		return committed
	})
	mu.Lock()
	for _, wake := range wakes {
		close(wake)
	}
	mu.Unlock()
}

func benchPauseFanout(b *testing.B, clients, events int, spacing time.Duration) {
	raiseFileLimit(b)
	tb := setup(b)
	id := uuid.MustParse(tb.create(b, "fanout")["id"].(string))
	benchWebSocketFanout(b, tb, clients, events, func(ctx context.Context) []int64 {
		committed := make([]int64, events)
		tick := time.NewTicker(spacing)
		defer tick.Stop()
		for k := range events {
			paused := k%2 == 0
			_, err := tb.store.DataSourceUpdate(ctx, &store.DataSourceUpdateParams{ID: id, Paused: &paused})
			require.NoError(b, err)
			committed[k] = time.Now().UnixNano()
			<-tick.C
		}
		return committed
	})
}

// BenchmarkHubFanout1000: how many events per second one replica fans out
// to 1,000 subscribers that all follow every schedule. Events are
// RUN_SCHEDULED, committed as the planner commits them (RunsInsert, one
// transaction per batch), as fast as the committers go: two for the hub
// variants, one for the WebSocket variant.
//
//   - hub/batch=N: 1,000 hub.Subscribe streams, each drained by a goroutine.
//     A stream the hub cuts off resubscribes from its cursor, as a client
//     would; cut-offs are reported.
//   - websocket/batch=100: 1,000 graphql-transport-ws clients in a child
//     process, as BenchmarkWebSocketFanout10k.
func BenchmarkHubFanout1000(b *testing.B) {
	for _, c := range []struct{ batch, events int }{{1, 2_000}, {100, 10_000}, {1000, 10_000}} {
		b.Run(fmt.Sprintf("hub/batch=%d", c.batch), func(b *testing.B) { benchHubFanout(b, 1000, c.batch, c.events, 0) })
	}
	b.Run("websocket/batch=100", func(b *testing.B) {
		const clients, batch, events = 1000, 100, 2_000
		raiseFileLimit(b)
		tb := setup(b)
		id := uuid.MustParse(tb.create(b, "fanout")["id"].(string))
		benchWebSocketFanout(b, tb, clients, events, func(ctx context.Context) []int64 {
			committed := make([]int64, events)
			// One committer: the stream then orders batches as they were
			// committed, so event k's commit time is known.
			commitRunBatches(b, tb, id, 1, batch, events, func(first int, at int64) {
				for k := first; k < first+batch; k++ {
					committed[k] = at
				}
			})
			return committed
		})
		b.ReportMetric(float64(events), "events")
	})
}

// benchWebSocketFanout starts the client process, waits until every client
// has subscribed, runs commit (which returns the commit time of each event,
// in stream order) and reports what the clients saw.
func benchWebSocketFanout(b *testing.B, tb *testBundle, clients, events int, commit func(ctx context.Context) []int64) {
	// A stream registers with the hub just after it sent the snapshot.
	benchClientFanout(b, "ws"+strings.TrimPrefix(tb.server.URL, "http"), tb.hub.Subscribers, clients, events, commit)
}

// benchClientFanout runs the client process against url; registered says
// how many clients the server counts.
func benchClientFanout(b *testing.B, url string, registered func() int, clients, events int, commit func(ctx context.Context) []int64) {
	ctx := b.Context()
	runtime.GC()
	serverBefore, goroutinesBefore := memStats(), runtime.NumGoroutine()

	reportPath := filepath.Join(b.TempDir(), "clients.gob")
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^BenchmarkWebSocketFanoutClients$",
		"-test.benchtime=1x", "-test.timeout=30m")
	cmd.Env = append(os.Environ(),
		fanoutURLEnv+"="+url,
		fanoutClientsEnv+"="+strconv.Itoa(clients),
		fanoutEventsEnv+"="+strconv.Itoa(events),
		fanoutReportEnv+"="+reportPath)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(b, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(b, err)
	require.NoError(b, cmd.Start())
	exited := make(chan error, 1)
	lines := make(chan string, 16)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			if line := scanner.Text(); strings.HasPrefix(line, "fanout-clients:") {
				lines <- line
			}
		}
		exited <- cmd.Wait()
	}()
	defer func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill() // a no-op once it has exited
	}()
	waitLine := func(want string, timeout time.Duration) bool {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		for {
			select {
			case line := <-lines:
				if line == want {
					return true
				}
			case err := <-exited:
				require.Failf(b, "client process exited", "waiting for %q: %v", want, err)
			case <-timer.C:
				return false
			}
		}
	}

	require.True(b, waitLine(fanoutSubscribedLine, 20*time.Minute), "clients did not subscribe")
	deadline := time.Now().Add(time.Minute)
	for registered() < clients && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	subscribers := registered()
	runtime.GC()
	serverAfter, goroutinesAfter := memStats(), runtime.NumGoroutine()

	cpuStart, start := cpuTime(), time.Now().UnixNano()
	committed := commit(ctx)
	require.Len(b, committed, events)
	delivered := waitLine(fanoutDeliveredLine, 2*time.Minute)
	cpuEnd := cpuTime()
	require.NoError(b, stdin.Close()) // the clients stop and write their report
	require.NoError(b, <-exited)

	f, err := os.Open(reportPath)
	require.NoError(b, err)
	defer f.Close()
	var report fanoutClientReport
	require.NoError(b, gob.NewDecoder(f).Decode(&report))

	// perEvent: commit → the last client got it, for events every
	// client got.
	var latencies, perEvent []time.Duration
	lost, last := 0, start
	for k := range events {
		var slowest time.Duration
		lostBefore := lost
		for _, received := range report.Received {
			if received[k] == 0 {
				lost++
				continue
			}
			d := time.Duration(received[k] - committed[k])
			latencies = append(latencies, d)
			slowest = max(slowest, d)
			last = max(last, received[k])
		}
		if lost == lostBefore {
			perEvent = append(perEvent, slowest)
		}
	}
	b.Logf("%d clients subscribed in %v; server registered %d; all delivered: %v; lost %d of %d deliveries; duplicates %d; client failures %v",
		clients, report.SubscribeTime.Round(time.Millisecond), subscribers, delivered, lost, clients*events, report.Extra, report.Failures)
	reportPercentiles(b, "delivery", latencies)
	if len(perEvent) > 0 {
		reportPercentiles(b, "event-all-delivered", perEvent)
	}
	b.ReportMetric(float64(len(latencies))/time.Duration(last-start).Seconds(), "deliveries/s")
	b.ReportMetric(float64(lost), "lost-deliveries")
	perSub := func(after, before uint64) float64 {
		return float64(int64(after)-int64(before)) / float64(clients) / 1024
	}
	b.Logf("server per subscriber: heap %.1f KB, stacks %.1f KB, %.1f goroutines",
		perSub(serverAfter.HeapInuse, serverBefore.HeapInuse), perSub(serverAfter.StackInuse, serverBefore.StackInuse),
		float64(goroutinesAfter-goroutinesBefore)/float64(clients))
	b.ReportMetric(perSub(serverAfter.HeapInuse+serverAfter.StackInuse, serverBefore.HeapInuse+serverBefore.StackInuse), "server-KB/sub")
	b.ReportMetric(float64(int64(report.MemAfter)-int64(report.MemBefore))/float64(clients)/1024, "client-KB/conn")
	b.ReportMetric(float64((cpuEnd-cpuStart).Microseconds())/1000/float64(events), "server-CPU-ms/event")
	b.ReportMetric(float64((report.CPUDelivered-report.CPUSubscribed).Microseconds())/1000/float64(events), "client-CPU-ms/event")
}

// BenchmarkWebSocketFanoutClients is the client process of the WebSocket
// fan-out benchmarks; it does nothing on its own. It opens the clients,
// prints fanoutSubscribedLine once each has its snapshot, then
// fanoutDeliveredLine once each has every event, and writes its report
// when its stdin closes.
func BenchmarkWebSocketFanoutClients(b *testing.B) {
	url := os.Getenv(fanoutURLEnv)
	if url == "" {
		b.Skip("the client process of the WebSocket fan-out benchmarks")
	}
	clients, err := strconv.Atoi(os.Getenv(fanoutClientsEnv))
	require.NoError(b, err)
	events, err := strconv.Atoi(os.Getenv(fanoutEventsEnv))
	require.NoError(b, err)
	raiseFileLimit(b)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_, _ = bufio.NewReader(os.Stdin).ReadString(0) // until EOF
		cancel()
	}()

	report := fanoutClientReport{Received: make([][]int64, clients), Failures: map[string]int{}}
	var (
		mu         sync.Mutex
		subscribed sync.WaitGroup
		running    sync.WaitGroup
		finished   atomic.Int64
		allDone    = make(chan struct{})
		extra      atomic.Int64
		dialSlots  = make(chan struct{}, fanoutDialConcurrency)
	)
	finish := func(failure string) {
		if failure != "" {
			mu.Lock()
			report.Failures[failure]++
			mu.Unlock()
		}
		if finished.Add(1) == int64(clients) {
			close(allDone)
		}
	}
	runtime.GC()
	report.MemBefore = memInUse()
	start := time.Now()
	subscribed.Add(clients)
	running.Add(clients)
	for i := range clients {
		report.Received[i] = make([]int64, events)
		go func() {
			defer running.Done()
			c := fanoutClient{url: url, received: report.Received[i], extra: &extra}
			c.run(ctx, dialSlots, subscribed.Done, finish)
		}()
	}
	subscribed.Wait()
	report.SubscribeTime = time.Since(start)
	runtime.GC()
	report.MemAfter = memInUse()
	report.CPUSubscribed = cpuTime()
	fmt.Println(fanoutSubscribedLine)

	select {
	case <-allDone:
		report.CPUDelivered = cpuTime()
		fmt.Println(fanoutDeliveredLine)
	case <-ctx.Done():
		report.CPUDelivered = cpuTime()
	}
	<-ctx.Done()
	running.Wait()
	report.Extra = extra.Load()

	f, err := os.Create(os.Getenv(fanoutReportEnv))
	require.NoError(b, err)
	require.NoError(b, gob.NewEncoder(f).Encode(&report))
	require.NoError(b, f.Close())
}

// fanoutClient is one graphql-transport-ws client of the fan-out benchmarks.
type fanoutClient struct {
	url      string
	conn     *websocket.Conn
	raw      net.Conn // BenchmarkLoopbackFloor10k: plain TCP instead
	buf      [loopbackMessageBytes]byte
	received []int64
	extra    *atomic.Int64
	lastCode string // extensions.code of the last error message
	msg      bytes.Buffer
}

// run subscribes, holding a dial slot until it has its snapshot, then
// calls subscribed. It records the receive time of each event and calls
// complete once: with "" when it has every event, or with why it ended
// early. It keeps reading, to answer pings, until ctx ends.
func (c *fanoutClient) run(ctx context.Context, dialSlots chan struct{}, subscribed func(), complete func(failure string)) {
	dialSlots <- struct{}{}
	failure := c.subscribe(ctx)
	<-dialSlots
	subscribed()
	if failure != "" {
		complete(failure)
		return
	}
	// Reads wait on the socket alone, as the floor's do: closing it ends
	// them. (A read with a cancellable context costs coder/websocket a
	// wake-up of its timeout goroutine per message.)
	if c.raw != nil {
		defer c.raw.Close()
		context.AfterFunc(ctx, func() { c.raw.Close() })
	} else {
		defer c.conn.CloseNow()
		context.AfterFunc(ctx, func() { c.conn.CloseNow() })
	}
	got := 0
	for {
		typ, err := c.next(context.Background())
		now := time.Now().UnixNano()
		switch {
		case err != nil:
			if got < len(c.received) {
				complete("read: " + errorClass(err))
			}
			return
		case typ == "next" && got < len(c.received):
			c.received[got] = now
			got++
			if got == len(c.received) {
				complete("")
			}
		case typ == "next":
			c.extra.Add(1)
		default:
			if got < len(c.received) {
				complete("message " + typ + " " + c.lastCode)
			}
			return
		}
	}
}

func (c *fanoutClient) subscribe(ctx context.Context) string {
	dialCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if addr, ok := strings.CutPrefix(c.url, "tcp://"); ok {
		return c.dialRaw(dialCtx, addr)
	}
	conn, _, err := websocket.Dial(dialCtx, c.url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return "dial: " + errorClass(err)
	}
	c.conn = conn
	steps := []struct {
		send   string
		expect string
	}{
		{`{"type":"connection_init","payload":{}}`, "connection_ack"},
		{`{"id":"1","type":"subscribe","payload":{"query":` + strconv.Quote(fanoutSubscription) + `}}`, "next"},
	}
	for _, step := range steps {
		if err := conn.Write(dialCtx, websocket.MessageText, []byte(step.send)); err != nil {
			conn.CloseNow()
			return "write: " + errorClass(err)
		}
		typ, err := c.next(dialCtx)
		if err != nil {
			conn.CloseNow()
			return "subscribe: " + errorClass(err)
		}
		if typ != step.expect {
			conn.CloseNow()
			return "subscribe: got " + typ
		}
	}
	return ""
}

// dialRaw connects to BenchmarkLoopbackFloor10k's server, and reads its
// first message (the snapshot's stand-in).
func (c *fanoutClient) dialRaw(ctx context.Context, addr string) string {
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return "dial: " + errorClass(err)
	}
	c.raw = conn
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	defer stop()
	if _, err := c.next(ctx); err != nil {
		conn.Close()
		return "read: " + errorClass(err)
	}
	return ""
}

// next returns the type of the next message that is not a ping, after
// answering pings.
func (c *fanoutClient) next(ctx context.Context) (string, error) {
	if c.raw != nil {
		// The raw floor: fixed-size messages, no framing, no JSON.
		if _, err := io.ReadFull(c.raw, c.buf[:]); err != nil {
			return "", err
		}
		return "next", nil
	}
	for {
		_, r, err := c.conn.Reader(ctx)
		if err != nil {
			return "", err
		}
		c.msg.Reset()
		if _, err := c.msg.ReadFrom(r); err != nil {
			return "", err
		}
		data := c.msg.Bytes()
		var m struct {
			Type string `json:"type"`
		}
		// The server writes the type before the payload: read it there,
		// without decoding a payload the benchmark does not look at.
		if typ, ok := messageType(data); ok {
			m.Type = typ
		} else if err := json.Unmarshal(data, &m); err != nil {
			return "", fmt.Errorf("decode %q: %w", data, err)
		}
		if m.Type == "error" {
			var e struct {
				Payload []struct {
					Extensions struct {
						Code string `json:"code"`
					} `json:"extensions"`
				} `json:"payload"`
			}
			if json.Unmarshal(data, &e) == nil && len(e.Payload) > 0 {
				c.lastCode = e.Payload[0].Extensions.Code
			}
		}
		switch m.Type {
		case "ping":
			if err := c.conn.Write(ctx, websocket.MessageText, []byte(`{"type":"pong"}`)); err != nil {
				return "", err
			}
		case "pong":
		default:
			return m.Type, nil
		}
	}
}

// messageType finds a graphql-transport-ws message's type among its
// leading members (`{"id":"1","type":"next",...`), or says it cannot.
func messageType(data []byte) (string, bool) {
	const key = `"type":"`
	head := data[:min(len(data), 64)]
	i := bytes.Index(head, []byte(key))
	if i < 0 {
		return "", false
	}
	rest := head[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return "", false
	}
	return string(rest[:j]), true
}

// benchHubFanout commits events in batches to a hub with subs subscribers
// and reports the rate at which every subscriber got every event. With
// buffer > 0 the subscribers follow a hub of their own with that buffer.
func benchHubFanout(b *testing.B, subs, batch, events, buffer int) {
	tb := setup(b)
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	h := tb.hub
	if buffer > 0 {
		h = hub.New(tb.store, hub.Options{Buffer: buffer, Logger: slog.New(slog.DiscardHandler)})
		hubDone := make(chan struct{})
		go func() {
			defer close(hubDone)
			h.Run(ctx)
		}()
		defer func() { cancel(); <-hubDone }()
	}
	id := uuid.MustParse(tb.create(b, "fanout")["id"].(string))
	head, err := tb.store.EventHead(ctx)
	require.NoError(b, err)

	var (
		finished  atomic.Int64
		allDone   = make(chan struct{})
		cutOffs   atomic.Int64
		lastGot   = make([]int64, subs)
		failures  = make(chan error, subs)
		draining  sync.WaitGroup
		extraMsgs atomic.Int64
	)
	draining.Add(subs)
	for i := range subs {
		go func() {
			defer draining.Done()
			after, got := head, 0
			for {
				st, err := h.Subscribe(ctx, hub.SubscribeParams{Topic: hub.TopicSchedules, After: &after})
				if err != nil {
					failures <- err
					return
				}
				for m := range st.All() {
					after = m.Cursor
					got++
					switch {
					case got == events:
						lastGot[i] = time.Now().UnixNano()
						if finished.Add(1) == int64(subs) {
							close(allDone)
						}
					case got > events:
						extraMsgs.Add(1)
					}
				}
				var ended *hub.StreamError
				if !errors.As(st.Err(), &ended) {
					if err := st.Err(); err != nil {
						failures <- err
					}
					return // ctx ended
				}
				// Cut off: resume from the cursor, as a client would.
				cutOffs.Add(1)
				after = ended.Cursor
			}
		}()
	}
	deadline := time.Now().Add(time.Minute)
	for h.Subscribers() < subs && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.Equal(b, subs, h.Subscribers())

	start := time.Now()
	commitRunBatches(b, tb, id, 2, batch, events, func(int, int64) {})
	commitTime := time.Since(start)
	select {
	case <-allDone:
	case <-time.After(5 * time.Minute):
		require.Failf(b, "not every subscriber got every event", "%d of %d did", finished.Load(), subs)
	}
	elapsed := time.Duration(slices.Max(lastGot) - start.UnixNano())
	cancel()
	draining.Wait()
	close(failures)
	for err := range failures {
		require.NoError(b, err)
	}
	require.Zero(b, extraMsgs.Load(), "duplicate deliveries")

	b.Logf("%d events in batches of %d: committed in %v, all delivered to %d subscribers after %v; %d cut-offs",
		events, batch, commitTime.Round(time.Millisecond), subs, elapsed.Round(time.Millisecond), cutOffs.Load())
	b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(events)*float64(subs)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(float64(events)/commitTime.Seconds(), "committed-events/s")
	b.ReportMetric(float64(cutOffs.Load()), "cut-offs")
}

// commitRunBatches commits events RUN_SCHEDULED events of datasource id,
// batch per transaction (as the planner does), from committers goroutines
// as fast as they go. committed gets each batch's first event index, in
// the order batches were taken, and its commit time.
func commitRunBatches(b *testing.B, tb *testBundle, id uuid.UUID, committers, batch, events int, committed func(first int, at int64)) {
	require.Zero(b, events%batch)
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var (
		wg   sync.WaitGroup
		next atomic.Int64
	)
	for range committers {
		wg.Go(func() {
			for {
				n := int(next.Add(1) - 1)
				if n*batch >= events {
					return
				}
				inserts := make([]store.RunInsert, batch)
				for i := range inserts {
					inserts[i] = store.RunInsert{DataSourceID: id, ScheduledFor: base.Add(time.Duration(n*batch+i) * time.Second),
						Trigger: store.TriggerSchedule, Status: store.RunScheduled, MaxAttempts: 1}
				}
				err := tb.store.InTx(b.Context(), func(tx *store.Tx) error {
					_, err := tx.RunsInsert(b.Context(), inserts)
					return err
				})
				if err != nil {
					b.Error(err)
					return
				}
				committed(n*batch, time.Now().UnixNano())
			}
		})
	}
	wg.Wait()
}

// reportPercentiles reports p50, p99 and the maximum of samples, in ms.
func reportPercentiles(b *testing.B, name string, samples []time.Duration) {
	b.Helper()
	require.NotEmpty(b, samples, name)
	slices.Sort(samples)
	pct := func(p float64) float64 {
		return float64(samples[min(int(float64(len(samples))*p), len(samples)-1)].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), name+"-p50-ms")
	b.ReportMetric(pct(0.99), name+"-p99-ms")
	b.ReportMetric(float64(samples[len(samples)-1].Microseconds())/1000, name+"-max-ms")
}

// memInUse is the heap and the stacks in use, in bytes.
func memInUse() uint64 {
	m := memStats()
	return m.HeapInuse + m.StackInuse
}

func memStats() *runtime.MemStats {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return &m
}

// cpuTime is the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// raiseFileLimit raises the soft limit on open files to the hard limit:
// 10,000 sockets on each side need it.
func raiseFileLimit(b *testing.B) {
	var lim syscall.Rlimit
	require.NoError(b, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim))
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		require.NoError(b, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim))
	}
}

// errorClass shortens an error to its kind, so that failures group.
func errorClass(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}
