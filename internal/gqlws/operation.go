package gqlws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// operation is one subscribe (graphql-transport-ws) or start (graphql-ws).
type operation struct {
	id     string
	cancel context.CancelFunc
	// Message prefixes, encoded once: every response of the operation
	// starts with one.
	next, errorPrefix, complete []byte

	// stoppedByClient: the client completed (stopped) the operation.
	// replaced: a graphql-ws start reused its id.
	stoppedByClient, replaced atomic.Bool

	mu        sync.Mutex
	endErrors gqlerror.List
}

func (c *conn) newOperation(id string, cancel context.CancelFunc) *operation {
	quoted := mustJSON(id)
	prefix := func(typ string) []byte {
		return append(append([]byte(`{"id":`), quoted...), `,"type":"`+typ+`"`...)
	}
	data := "next"
	if c.legacy {
		data = "data"
	}
	return &operation{
		id: id, cancel: cancel,
		next:        append(prefix(data), `,"payload":`...),
		errorPrefix: append(prefix("error"), `,"payload":`...),
		complete:    append(prefix("complete"), '}'),
	}
}

// start runs the operation m asks for, in its own goroutine.
func (c *conn) start(m *message) bool {
	if m.ID == "" {
		c.close(CloseBadRequest, "Invalid message received: "+m.Type+" needs an id")
		return false
	}
	c.mu.Lock()
	old, dup := c.ops[m.ID]
	switch {
	case dup && !c.legacy:
		c.mu.Unlock()
		c.close(CloseDuplicateID, "Subscriber for "+truncate(m.ID, 64)+" already exists")
		return false
	case dup:
		// graphql-ws (subscriptions-transport-ws) replaces it.
		old.replaced.Store(true)
		old.cancel()
	case len(c.ops) >= c.t.MaxOperations:
		c.mu.Unlock()
		err := &gqlerror.Error{Message: fmt.Sprintf("this connection already runs %d operations, the most it may: complete one first", c.t.MaxOperations)}
		return c.sendErrors(c.newOperation(m.ID, nil), err) == nil
	}
	ctx, cancel := context.WithCancel(c.opCtx)
	op := c.newOperation(m.ID, cancel)
	c.ops[m.ID] = op
	c.opsWG.Add(1)
	c.mu.Unlock()
	go c.run(ctx, op, m.Payload, time.Now())
	return true
}

// run executes op and sends its responses, then how it ended: complete,
// or error.
func (c *conn) run(ctx context.Context, op *operation, payload json.RawMessage, received time.Time) {
	defer c.opsWG.Done()
	defer func() {
		c.mu.Lock()
		if c.ops[op.id] == op {
			delete(c.ops, op.id)
		}
		if len(c.ops) == 0 && c.idle != nil {
			close(c.idle)
			c.idle = nil
		}
		c.mu.Unlock()
		op.cancel()
	}()

	ctx = graphql.StartOperationTrace(ctx)
	params := &graphql.RawParams{}
	// Variables decode as gqlgen's HTTP transports decode them (numbers
	// as json.Number), so that an operation means the same over both.
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		_ = c.sendErrors(op, &gqlerror.Error{Message: "the payload is not a GraphQL request: " + err.Error()})
		return
	}
	params.ReadTime = graphql.TraceTiming{Start: received, End: graphql.Now()}
	params.Headers = c.headers

	rc, errs := c.exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := c.exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs)
		if errcode.GetErrorKind(errs) == errcode.KindProtocol {
			_ = c.sendErrors(op, resp.Errors...)
			return
		}
		if c.sendResponse(op, resp) == nil {
			_ = c.write(op.complete)
		}
		return
	}
	ctx = graphql.WithOperationContext(ctx, rc)
	ctx = context.WithValue(ctx, operationKey{}, op)
	defer func() {
		if r := recover(); r != nil {
			err := rc.Recover(ctx, r)
			var gqlErr *gqlerror.Error
			if !errors.As(err, &gqlErr) {
				gqlErr = &gqlerror.Error{Message: "internal error"}
			}
			_ = c.sendErrors(op, gqlErr)
		}
	}()

	responses, ctx := c.exec.DispatchOperation(ctx, rc)
	for {
		resp := responses(ctx)
		if resp == nil {
			break
		}
		if c.sendResponse(op, resp) != nil {
			return
		}
	}
	op.mu.Lock()
	endErrors := op.endErrors
	op.mu.Unlock()
	switch {
	case len(endErrors) > 0:
		_ = c.sendErrors(op, endErrors...)
	case c.ctx.Err() != nil, op.replaced.Load():
	case op.stoppedByClient.Load() && !c.legacy:
		// graphql-transport-ws: after the client's complete, nothing more
		// is sent for the operation. graphql-ws acknowledges a stop.
	default:
		_ = c.write(op.complete)
	}
}

// Pieces of the messages sendResponse and sendErrors frame, shared: they
// are written on every delivery.
var (
	dataOpen = []byte(`{"data":`)
	closeOne = []byte(`}`)
	closeTwo = []byte(`}}`)
)

// sendResponse sends a next (data) message. A response that is data alone,
// as subscription events are, is framed around gqlgen's encoding rather
// than encoded again.
func (c *conn) sendResponse(op *operation, resp *graphql.Response) error {
	if DataOnly(resp) {
		return c.write(op.next, dataOpen, resp.Data, closeTwo)
	}
	payload, err := json.Marshal(resp)
	if err != nil {
		return c.sendErrors(op, &gqlerror.Error{Message: "internal error: cannot encode the response"})
	}
	return c.write(op.next, payload, closeOne)
}

// DataOnly reports whether resp is data and nothing else, as subscription
// events and most answers are: its message can be framed around gqlgen's
// encoding of the data rather than encoded again.
func DataOnly(resp *graphql.Response) bool {
	return len(resp.Errors) == 0 && len(resp.Extensions) == 0 && resp.Label == "" && resp.Path == nil &&
		resp.HasNext == nil && len(resp.Data) > 0
}

// sendErrors sends an error message, which ends the operation.
func (c *conn) sendErrors(op *operation, errs ...*gqlerror.Error) error {
	return c.write(op.errorPrefix, mustJSON(gqlerror.List(errs)), closeOne)
}
