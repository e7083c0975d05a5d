//go:build chaos

package chaos

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// cursor is a schedule stream position, "<tx_id>:<id>" (docs/SUBSCRIPTIONS.md).
type cursor struct{ tx, id uint64 }

func parseCursor(s string) (cursor, error) {
	tx, id, ok := strings.Cut(s, ":")
	if !ok {
		return cursor{}, fmt.Errorf("cursor %q is not <tx_id>:<id>", s)
	}
	a, err1 := strconv.ParseUint(tx, 10, 64)
	b, err2 := strconv.ParseUint(id, 10, 64)
	if err1 != nil || err2 != nil {
		return cursor{}, fmt.Errorf("cursor %q is not <tx_id>:<id>", s)
	}
	return cursor{a, b}, nil
}

func (c cursor) String() string { return fmt.Sprintf("%d:%d", c.tx, c.id) }
func (c cursor) less(d cursor) bool {
	return c.tx < d.tx || (c.tx == d.tx && c.id < d.id)
}

// subscriber follows scheduleEvents over WebSocket (graphql-transport-ws),
// or over SSE if sse is set, on its replica, or on any live one while its own is down, and records
// every live event's cursor. Disconnected, it resumes with after = the last
// cursor it got.
type subscriber struct {
	name      string
	token     string
	sse       bool
	fromStart bool            // subscribes after the zero cursor: every event of the stream, from its first
	replicas  func() []string // base URLs to try, its own first
	mu        sync.Mutex
	got       []cursor
	latencies []latency // of latencyKinds events (replayed ones too)
	reconnect int
	lastErr   string
	// dataSourceIDs, if set, is the page of datasources it watches, as the
	// web app does; otherwise it follows every schedule.
	dataSourceIDs []string
	// cursorsOnly: read each event's cursor without decoding the rest, so
	// that a thousand subscribers cost this machine little of its CPU.
	cursorsOnly bool
}

const scheduleSubscription = `subscription($after: String, $ids: [ID!]) { scheduleEvents(after: $after, dataSourceIds: $ids) { cursor kind occurredAt } }`

func (s *subscriber) run(ctx context.Context) {
	for ctx.Err() == nil {
		for _, base := range s.replicas() {
			follow := s.follow
			if s.sse {
				follow = s.followSSE
			}
			err := follow(ctx, base)
			if ctx.Err() != nil {
				return
			}
			s.mu.Lock()
			s.reconnect++
			if err != nil {
				s.lastErr = err.Error()
			}
			s.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
}

func (s *subscriber) last() *cursor {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.got) == 0 {
		return nil
	}
	c := s.got[len(s.got)-1]
	return &c
}

// follow runs one subscription until it ends.
func (s *subscriber) follow(ctx context.Context, base string) error {
	dialCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(dialCtx, "ws"+strings.TrimPrefix(base, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return err
	}
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 20)
	send := func(v any) error {
		b, _ := json.Marshal(v)
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return ws.Write(wctx, websocket.MessageText, b)
	}
	if err := send(map[string]any{"type": "connection_init", "payload": map[string]any{"authorization": "Bearer " + s.token}}); err != nil {
		return err
	}
	vars := s.variables()
	subscribed := false
	for {
		// A replica that is frozen or gone sends nothing: the server pings
		// every few seconds, so a long silence means a dead connection.
		rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		_, data, err := ws.Read(rctx)
		cancel()
		if err != nil {
			return err
		}
		var msg struct {
			Type    string          `json:"type"`
			Payload json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(data, &msg); err != nil {
			return fmt.Errorf("unreadable message %q: %w", data, err)
		}
		switch msg.Type {
		case "connection_ack":
			if !subscribed {
				subscribed = true
				if err := send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": scheduleSubscription, "variables": vars}}); err != nil {
					return err
				}
			}
		case "ping":
			if err := send(map[string]any{"type": "pong"}); err != nil {
				return err
			}
		case "next":
			if err := s.handle(msg.Payload); err != nil {
				return err
			}
		case "error":
			return fmt.Errorf("subscription error: %s", msg.Payload)
		case "complete":
			return fmt.Errorf("subscription completed")
		}
	}
}

// variables are the subscription's: after the last cursor it got (or the
// zero cursor, fromStart), and its datasources.
func (s *subscriber) variables() map[string]any {
	vars := map[string]any{}
	if c := s.last(); c != nil {
		vars["after"] = c.String()
	} else if s.fromStart {
		vars["after"] = cursor{}.String()
	}
	if len(s.dataSourceIDs) > 0 {
		vars["ids"] = s.dataSourceIDs
	}
	return vars
}

// handle records the event of one result, or returns its error.
func (s *subscriber) handle(payload []byte) error {
	if s.cursorsOnly {
		if c, ok := quickCursor(payload); ok {
			s.mu.Lock()
			s.got = append(s.got, c)
			s.mu.Unlock()
			return nil
		}
	}
	var p struct {
		Data struct {
			ScheduleEvents struct {
				Cursor     string    `json:"cursor"`
				Kind       string    `json:"kind"`
				OccurredAt time.Time `json:"occurredAt"`
			} `json:"scheduleEvents"`
		} `json:"data"`
		Errors []gqlError `json:"errors"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return fmt.Errorf("unreadable result %q: %w", payload, err)
	}
	if len(p.Errors) > 0 {
		return p.Errors[0]
	}
	ev := p.Data.ScheduleEvents
	if ev.Kind == "SNAPSHOT" {
		return nil // the state at subscribe time, not a stream event
	}
	c, err := parseCursor(ev.Cursor)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.got = append(s.got, c)
	if latencyKinds[ev.Kind] {
		now := time.Now()
		s.latencies = append(s.latencies, latency{at: now, d: now.Sub(ev.OccurredAt)})
	}
	s.mu.Unlock()
	return nil
}

// latencyKinds are the events whose occurredAt is close to their commit: a
// worker's short transactions. (A planner transaction is timed ahead of its
// slot and commits at it, so its RUN_SCHEDULED events occur before they
// can be seen.)
var latencyKinds = map[string]bool{"RUN_STARTED": true, "RUN_SUCCEEDED": true, "RUN_FAILED": true}

// latency is how long after it occurred an event reached the subscriber.
type latency struct {
	at time.Time
	d  time.Duration
}

// latenciesBetween returns the latencies of events received in [from, to).
func (s *subscriber) latenciesBetween(from, to time.Time) []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []time.Duration
	for _, l := range s.latencies {
		if !l.at.Before(from) && l.at.Before(to) {
			out = append(out, l.d)
		}
	}
	return out
}

// followSSE runs one subscription over server-sent events (POST with
// Accept: text/event-stream, gqlgen's transport) until it ends.
func (s *subscriber) followSSE(ctx context.Context, base string) error {
	vars := s.variables()
	body, _ := json.Marshal(map[string]any{"query": scheduleSubscription, "variables": vars})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+s.token)
	// A frozen or vanished replica sends nothing; the server writes a
	// keep-alive comment every 15 s, so a long silence means it is gone.
	idle := time.AfterFunc(35*time.Second, cancel)
	defer idle.Stop()
	resp, err := sseClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("SSE subscribe: %s", resp.Status)
	}
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(make([]byte, 64<<10), 1<<20)
	var event, data string
	for lines.Scan() {
		idle.Reset(35 * time.Second)
		line := lines.Text()
		switch {
		case line == "":
			if event == "complete" {
				return fmt.Errorf("subscription completed")
			}
			if data != "" {
				if err := s.handle([]byte(data)); err != nil {
					return err
				}
			}
			event, data = "", ""
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data += strings.TrimSpace(strings.TrimPrefix(line, "data:"))
		}
	}
	if err := lines.Err(); err != nil {
		return err
	}
	return fmt.Errorf("SSE stream ended")
}

// quickCursor finds the cursor of a stream event that is neither a
// snapshot nor an error, without decoding the result; false: decode it.
func quickCursor(payload []byte) (cursor, bool) {
	if bytes.Contains(payload, []byte(`"errors"`)) || bytes.Contains(payload, []byte(`"SNAPSHOT"`)) {
		return cursor{}, false
	}
	_, rest, ok := bytes.Cut(payload, []byte(`"cursor":"`))
	if !ok {
		return cursor{}, false
	}
	value, _, ok := bytes.Cut(rest, []byte(`"`))
	if !ok {
		return cursor{}, false
	}
	c, err := parseCursor(string(value))
	return c, err == nil
}

// sseClient has no overall timeout: a stream lasts as long as it lasts.
var sseClient = &http.Client{}

// record returns a copy of what the subscriber got, and its reconnects.
func (s *subscriber) record() ([]cursor, int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]cursor(nil), s.got...), s.reconnect, s.lastErr
}
