package gqlws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gorilla/websocket"
)

// conn is one WebSocket connection. Its reader runs in a goroutine of its
// own, as does each operation.
type conn struct {
	t       *Transport
	ws      *websocket.Conn
	exec    graphql.GraphExecutor
	headers http.Header
	legacy  bool // graphql-ws rather than graphql-transport-ws

	ctx    context.Context // ends with the connection
	cancel context.CancelFunc

	wmu    sync.Mutex // one writer at a time (gorilla's rule)
	closed bool       // under wmu: no more writes

	mu    sync.Mutex
	ops   map[string]*operation
	acked bool
	opCtx context.Context // what operations run in: ctx, or Init's
	opsWG sync.WaitGroup
	idle  chan struct{} // if set, closed when the last operation ends (drain)

	keepAlive *time.Timer
	lastPong  atomic.Int64 // unix nanoseconds
}

func newConn(t *Transport, ws *websocket.Conn, r *http.Request, exec graphql.GraphExecutor) *conn {
	// The request's context ends when Do returns; its values (the
	// handler's) stay.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	c := &conn{
		t: t, ws: ws, exec: exec, headers: r.Header,
		legacy: ws.Subprotocol() != TransportWS,
		ctx:    ctx, cancel: cancel, opCtx: ctx,
		ops: map[string]*operation{},
	}
	return c
}

// serve reads until the connection ends, then ends its operations.
func (c *conn) serve() {
	var stopDrain func() bool
	if c.t.Drain != nil {
		stopDrain = context.AfterFunc(c.t.Drain, c.drain)
	}
	defer func() {
		if stopDrain != nil {
			stopDrain()
		}
		if c.keepAlive != nil {
			c.keepAlive.Stop()
		}
		c.cancel()
		c.mu.Lock()
		for _, op := range c.ops {
			op.cancel()
		}
		c.mu.Unlock()
		c.opsWG.Wait()
		c.close(CloseNormal, "")
		c.linger()
	}()

	_ = c.ws.SetReadDeadline(time.Now().Add(c.t.InitTimeout))
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			var peerClosed *websocket.CloseError
			switch {
			case errors.As(err, &peerClosed), errors.Is(err, websocket.ErrReadLimit):
				c.markClosed() // gorilla has answered the peer's close, or sent 1009
			case !c.isAcked() && isTimeout(err):
				c.close(CloseInitTimeout, "Connection initialisation timeout")
			}
			return
		}
		var m message
		if err := json.Unmarshal(data, &m); err != nil || m.Type == "" {
			c.close(CloseBadRequest, "Invalid message received")
			return
		}
		if !c.handle(&m) {
			return
		}
	}
}

// drainGrace is how long a draining connection waits for its operations
// to end on their own: hub streams end with an error that carries their
// cursor, which must be sent before the close.
const drainGrace = time.Second

// drain closes the connection with 1001 (going away) once its operations
// have ended, or drainGrace has passed.
func (c *conn) drain() { c.closeWhenIdle(CloseGoingAway, "replica shutting down: reconnect") }

// closeWhenIdle closes the connection once its operations have ended, or
// drainGrace has passed: each sends how it ended first.
func (c *conn) closeWhenIdle(code int, reason string) {
	c.mu.Lock()
	var idle chan struct{}
	if len(c.ops) > 0 {
		idle = make(chan struct{})
		c.idle = idle
	}
	c.mu.Unlock()
	if idle != nil {
		timer := time.NewTimer(drainGrace)
		select {
		case <-idle:
		case <-timer.C:
		}
		timer.Stop()
	}
	c.close(code, reason)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// handle acts on one client message, and reports whether to read on.
func (c *conn) handle(m *message) bool {
	switch m.Type {
	case "connection_init":
		return c.connectionInit(m)
	case "ping":
		if !c.legacy {
			_ = c.write([]byte(`{"type":"pong"}`))
		}
		return true
	case "pong":
		c.lastPong.Store(time.Now().UnixNano())
		return true
	case "subscribe", "start":
		if !c.isAcked() {
			c.close(CloseUnauthorized, "Unauthorized")
			return false
		}
		return c.start(m)
	case "complete", "stop":
		c.stop(m.ID)
		return true
	case "connection_terminate":
		c.close(CloseNormal, "")
		return false
	}
	c.close(CloseBadRequest, fmt.Sprintf("Invalid message type %q", truncate(m.Type, 32)))
	return false
}

func (c *conn) isAcked() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.acked
}

// connectionInit runs the Init hook and acknowledges, or refuses.
func (c *conn) connectionInit(m *message) bool {
	if c.isAcked() {
		c.close(CloseTooManyInits, "Too many initialisation requests")
		return false
	}
	var payload map[string]any
	if len(m.Payload) > 0 && string(m.Payload) != "null" {
		if err := json.Unmarshal(m.Payload, &payload); err != nil {
			c.close(CloseBadRequest, "connection_init payload must be an object")
			return false
		}
	}
	opCtx := c.ctx
	if c.t.Init != nil {
		ctx, err := c.t.Init(c.ctx, payload)
		if err != nil {
			if c.legacy {
				_ = c.write(mustJSON(&message{Type: "connection_error", Payload: mustJSON(map[string]string{"message": err.Error()})}))
			}
			c.close(CloseForbidden, err.Error())
			return false
		}
		opCtx = ctx // operations run in the hook's context
	}
	c.mu.Lock()
	c.acked, c.opCtx = true, opCtx
	c.mu.Unlock()
	if opCtx != c.ctx {
		// The hook's context ending first (its credentials were revoked)
		// ends the operations, then the connection.
		context.AfterFunc(opCtx, func() {
			if c.ctx.Err() == nil {
				reason := "Forbidden"
				if cause := context.Cause(opCtx); cause != nil {
					reason = cause.Error()
				}
				c.closeWhenIdle(CloseForbidden, reason)
			}
		})
	}
	_ = c.ws.SetReadDeadline(time.Time{})
	if err := c.write([]byte(`{"type":"connection_ack"}`)); err != nil {
		return false
	}
	c.startKeepAlive()
	return true
}

// startKeepAlive pings (graphql-transport-ws) or sends "ka" (graphql-ws)
// every KeepAlive, from a timer: an idle connection holds no goroutine for
// it.
func (c *conn) startKeepAlive() {
	interval := c.t.KeepAlive
	// The peer owes a pong only from the first ping: a slow
	// connection_init must not count against it.
	c.lastPong.Store(time.Now().UnixNano())
	ping := []byte(`{"type":"ping"}`)
	if c.legacy {
		ping = []byte(`{"type":"ka"}`)
		_ = c.write(ping)
	}
	c.keepAlive = time.AfterFunc(interval, func() {
		if !c.legacy && time.Since(time.Unix(0, c.lastPong.Load())) > 2*interval {
			c.close(CloseGoingAway, "no pong within two keep-alive intervals")
			return
		}
		if c.write(ping) == nil {
			c.keepAlive.Reset(interval)
		}
	})
}

// stop ends the client's operation id.
func (c *conn) stop(id string) {
	c.mu.Lock()
	op := c.ops[id]
	c.mu.Unlock()
	if op != nil {
		op.stoppedByClient.Store(true)
		op.cancel()
	}
}

// write sends one text message.
func (c *conn) write(parts ...[]byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return errClosed
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.t.WriteTimeout))
	w, err := c.ws.NextWriter(websocket.TextMessage)
	if err == nil {
		for _, p := range parts {
			if _, err = w.Write(p); err != nil {
				break
			}
		}
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		// A peer that does not read, or is gone: let the reader end.
		c.closedLocked()
		_ = c.ws.NetConn().Close()
	}
	return err
}

// closeWait bounds the closing handshake: how long the reader waits for
// the peer's answer to a close frame, and then for the peer to hang up.
const closeWait = time.Second

// close sends a close frame with code and reason, once. The reader then
// reads until the peer answers it, or closeWait passes, and ends.
func (c *conn) close(code int, reason string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return
	}
	c.closedLocked()
	frame := websocket.FormatCloseMessage(code, truncate(reason, closeReasonMaxBytes))
	if c.ws.WriteControl(websocket.CloseMessage, frame, time.Now().Add(closeWait)) != nil {
		_ = c.ws.NetConn().Close() // no handshake with a peer that does not read
		return
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(closeWait))
}

// markClosed records that the connection sent its close frame already.
func (c *conn) markClosed() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.closedLocked()
}

// closedLocked stops writes and ends the connection's operations. The
// caller holds wmu.
func (c *conn) closedLocked() {
	c.closed = true
	c.cancel()
}

// linger closes the socket once the peer has read the close frame: it
// stops writing, and reads (discarding) until the peer hangs up or
// closeWait passes. Closing with unread input would reset the connection,
// and the peer could lose the close frame, and with it the close code.
func (c *conn) linger() {
	nc := c.ws.NetConn()
	if tcp, ok := nc.(interface{ CloseWrite() error }); ok {
		_ = tcp.CloseWrite()
	}
	_ = nc.SetReadDeadline(time.Now().Add(closeWait))
	_, _ = io.Copy(io.Discard, nc)
	_ = nc.Close()
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only called with types that marshal
	}
	return b
}

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
