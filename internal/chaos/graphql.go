//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// gqlError is one GraphQL error, with the code the API puts in extensions.
type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code   string `json:"code"`
		Cursor string `json:"cursor"`
	} `json:"extensions"`
}

func (e gqlError) Error() string { return e.Extensions.Code + ": " + e.Message }

var httpClient = &http.Client{Timeout: 10 * time.Second}

// graphql posts one operation to a replica with the admin token and
// decodes data into out. A GraphQL error is returned as gqlError. An answer
// RATE_LIMITED (the per-token mutation limit; nothing was done) is retried
// after a pause, for a few seconds.
func graphql(ctx context.Context, baseURL, token, query string, vars map[string]any, out any) error {
	for try := 0; ; try++ {
		err := graphqlOnce(ctx, baseURL, token, query, vars, out)
		var ge gqlError
		if !errors.As(err, &ge) || ge.Extensions.Code != "RATE_LIMITED" || try == 100 {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func graphqlOnce(ctx context.Context, baseURL, token, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return fmt.Errorf("HTTP %d, unreadable answer: %w", resp.StatusCode, err)
	}
	if len(r.Errors) > 0 {
		return r.Errors[0]
	}
	if out != nil {
		return json.Unmarshal(r.Data, out)
	}
	return nil
}

// createDataSource creates a datasource from input (CreateDataSourceInput)
// with the admin token and returns its id.
func createDataSource(ctx context.Context, c *cluster, baseURL string, input map[string]any) (string, error) {
	var out struct {
		CreateDataSource struct {
			ID string `json:"id"`
		} `json:"createDataSource"`
	}
	err := graphql(ctx, baseURL, c.token, `mutation($in: CreateDataSourceInput!) { createDataSource(input: $in) { id } }`,
		map[string]any{"in": input}, &out)
	if err != nil {
		return "", fmt.Errorf("create %v: %w", input["name"], err)
	}
	return out.CreateDataSource.ID, nil
}
