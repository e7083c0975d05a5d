//go:build chaos

package chaos

import (
	"context"
	"encoding/json"
	"fmt"
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

// subscriber follows scheduleEvents over WebSocket (graphql-transport-ws)
// on its replica, or on any live one while its own is down, and records
// every live event's cursor. Disconnected, it resumes with after = the last
// cursor it got.
type subscriber struct {
	name      string
	token     string
	replicas  func() []string // base URLs to try, its own first
	mu        sync.Mutex
	got       []cursor
	reconnect int
	lastErr   string
}

const scheduleSubscription = `subscription($after: String) { scheduleEvents(after: $after) { cursor kind } }`

func (s *subscriber) run(ctx context.Context) {
	for ctx.Err() == nil {
		for _, base := range s.replicas() {
			err := s.follow(ctx, base)
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
	vars := map[string]any{}
	if c := s.last(); c != nil {
		vars["after"] = c.String()
	}
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
			var p struct {
				Data struct {
					ScheduleEvents struct {
						Cursor string `json:"cursor"`
						Kind   string `json:"kind"`
					} `json:"scheduleEvents"`
				} `json:"data"`
				Errors []gqlError `json:"errors"`
			}
			if err := json.Unmarshal(msg.Payload, &p); err != nil {
				return err
			}
			if len(p.Errors) > 0 {
				return p.Errors[0]
			}
			ev := p.Data.ScheduleEvents
			if ev.Kind == "SNAPSHOT" {
				continue // the state at subscribe time, not a stream event
			}
			c, err := parseCursor(ev.Cursor)
			if err != nil {
				return err
			}
			s.mu.Lock()
			s.got = append(s.got, c)
			s.mu.Unlock()
		case "error":
			return fmt.Errorf("subscription error: %s", msg.Payload)
		case "complete":
			return fmt.Errorf("subscription completed")
		}
	}
}

// record returns a copy of what the subscriber got, and its reconnects.
func (s *subscriber) record() ([]cursor, int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]cursor(nil), s.got...), s.reconnect, s.lastErr
}
