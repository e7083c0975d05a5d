package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/ezplatform/ezplatform/internal/gqlws"
)

// Media types of the GraphQL-over-HTTP specification.
const (
	mediaGraphQLResponse = "application/graphql-response+json"
	mediaJSON            = "application/json"
)

// httpTransport serves GraphQL over HTTP GET and POST as the GraphQL-over-HTTP
// specification describes (https://graphql.github.io/graphql-over-http/draft/).
// gqlgen's stock GET and POST transports differ from the spec in the details
// that clients and proxies depend on (422 for invalid documents, 406 for a
// mutation over GET, 200 for an oversized body), so this one is explicit:
//
//   - 405 (Allow: GET, POST) for other methods, and (Allow: POST) for a
//     mutation or subscription over GET;
//   - 415 for a POST that is not application/json; 413 for a body over the
//     limit; 400 for a body that is not a JSON request object;
//   - 406 when the Accept header names neither response media type;
//   - with application/graphql-response+json, 400 for a document that fails to
//     parse or validate or whose variables do not coerce; with
//     application/json, 200 for those, as the spec says for legacy clients.
//
// A request without an Accept header is answered with application/json.
type httpTransport struct {
	maxBodyBytes int64
}

var _ graphql.Transport = httpTransport{}

func (t httpTransport) Supports(r *http.Request) bool {
	return r.Header.Get("Upgrade") == "" && r.Header.Get("Accept") != "text/event-stream"
}

func (t httpTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeRequestError(w, mediaJSON, http.StatusMethodNotAllowed, "GraphQL is served over GET (queries) and POST")
		return
	}
	media, ok := negotiate(r.Header.Values("Accept"))
	if !ok {
		writeRequestError(w, mediaJSON, http.StatusNotAcceptable,
			"the Accept header must allow "+mediaGraphQLResponse+" or "+mediaJSON)
		return
	}

	params, status, msg := t.readParams(w, r)
	if status != 0 {
		writeRequestError(w, media, status, msg)
		return
	}

	start := graphql.Now()
	params.ReadTime = graphql.TraceTiming{Start: start, End: start}
	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		status := http.StatusOK
		if media == mediaGraphQLResponse {
			status = http.StatusBadRequest
		}
		writeResponse(w, media, status, exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs))
		return
	}
	if r.Method == http.MethodGet && opCtx.Operation.Operation != ast.Query {
		w.Header().Set("Allow", "POST")
		writeRequestError(w, media, http.StatusMethodNotAllowed,
			fmt.Sprintf("a %s must be sent with POST; GET is for queries only", opCtx.Operation.Operation))
		return
	}
	if opCtx.Operation.Operation == ast.Subscription {
		writeRequestError(w, media, http.StatusBadRequest,
			"a subscription needs a stream: open a WebSocket (graphql-transport-ws or graphql-ws), or POST with Accept: text/event-stream")
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	writeResponse(w, media, http.StatusOK, responses(ctx))
}

// readParams reads the request parameters. A non-zero status means the
// request is not well-formed; msg says why.
func (t httpTransport) readParams(w http.ResponseWriter, r *http.Request) (params *graphql.RawParams, status int, msg string) {
	params = &graphql.RawParams{Headers: r.Header}
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		params.Query = q.Get("query")
		params.OperationName = q.Get("operationName")
		if v := q.Get("variables"); v != "" {
			if err := decodeJSON([]byte(v), &params.Variables); err != nil {
				return nil, http.StatusBadRequest, "the variables parameter is not a JSON object: " + err.Error()
			}
		}
		if v := q.Get("extensions"); v != "" {
			if err := decodeJSON([]byte(v), &params.Extensions); err != nil {
				return nil, http.StatusBadRequest, "the extensions parameter is not a JSON object: " + err.Error()
			}
		}
	} else {
		mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mediaType != mediaJSON {
			return nil, http.StatusUnsupportedMediaType, "POST bodies must be " + mediaJSON
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, t.maxBodyBytes))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			return nil, http.StatusRequestEntityTooLarge,
				"the request body is larger than the limit of " + strconv.FormatInt(t.maxBodyBytes, 10) + " bytes"
		case err != nil:
			return nil, http.StatusBadRequest, "could not read the request body"
		}
		if err := decodeJSON(body, params); err != nil {
			return nil, http.StatusBadRequest, "the body is not a GraphQL request object: " + err.Error()
		}
		params.Headers = r.Header
	}
	if strings.TrimSpace(params.Query) == "" && params.Extensions["persistedQuery"] == nil {
		return nil, http.StatusBadRequest, "the request has no query"
	}
	return params, 0, ""
}

// decodeJSON decodes exactly one JSON value. Numbers stay json.Number so that
// large integers in variables are not rounded through float64.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return fmt.Errorf("%s must be a JSON %s", typeErr.Field, typeName(typeErr.Type.Kind().String()))
		}
		return errors.New("invalid JSON")
	}
	if dec.More() {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

func typeName(kind string) string {
	switch kind {
	case "map":
		return "object"
	case "string":
		return "string"
	}
	return kind
}

// negotiate picks the response media type from Accept headers: the one with
// the highest quality, preferring application/graphql-response+json when
// it is named explicitly. Wildcards and an absent header get application/json,
// which every client understands.
func negotiate(accept []string) (string, bool) {
	if len(accept) == 0 {
		return mediaJSON, true
	}
	best, bestQ, bestExplicit := "", -1.0, false
	for _, header := range accept {
		for part := range strings.SplitSeq(header, ",") {
			mediaType, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			q := 1.0
			if s, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(s, 64); err == nil {
					q = f
				}
			}
			if q <= 0 {
				continue
			}
			var candidate string
			explicit := true
			switch mediaType {
			case mediaGraphQLResponse, mediaJSON:
				candidate = mediaType
			case "application/*", "*/*":
				candidate, explicit = mediaJSON, false
			default:
				continue
			}
			better := q > bestQ ||
				(q == bestQ && explicit && !bestExplicit) ||
				(q == bestQ && explicit == bestExplicit && candidate == mediaGraphQLResponse)
			if better {
				best, bestQ, bestExplicit = candidate, q, explicit
			}
		}
	}
	return best, best != ""
}

func writeRequestError(w http.ResponseWriter, media string, status int, msg string) {
	writeResponse(w, media, status, &graphql.Response{Errors: gqlerror.List{{
		Message:    msg,
		Extensions: map[string]any{"code": CodeBadRequest},
	}}})
}

func writeResponse(w http.ResponseWriter, media string, status int, resp *graphql.Response) {
	var body []byte
	if gqlws.DataOnly(resp) {
		// gqlgen's encoding of the data, framed: json.Marshal would scan
		// and compact it again (a fifth of a 50-row page's CPU).
		body = make([]byte, 0, len(resp.Data)+len(`{"data":}`))
		body = append(append(append(body, `{"data":`...), resp.Data...), '}')
	} else {
		var err error
		if body, err = json.Marshal(resp); err != nil {
			body, status = []byte(`{"errors":[{"message":"internal error: response could not be encoded","extensions":{"code":"INTERNAL"}}]}`), http.StatusInternalServerError
		}
	}
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
