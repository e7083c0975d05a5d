package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoggerFormatAndLevel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		format, level string
		json          bool
		debug, info   bool
		warn          bool
	}{
		{format: "", level: "", json: false, debug: false, info: true, warn: true},
		{format: "text", level: "debug", json: false, debug: true, info: true, warn: true},
		{format: "JSON", level: "warn", json: true, debug: false, info: false, warn: true},
		{format: "json", level: "error", json: true, debug: false, info: false, warn: false},
	} {
		env := map[string]string{"EZ_LOG_FORMAT": tc.format, "EZ_LOG_LEVEL": tc.level}
		var out bytes.Buffer
		logger, err := newLogger(&out, func(k string) string { return env[k] })
		require.NoError(t, err)
		logger.Debug("d")
		logger.Info("i")
		logger.Warn("w", "k", "v")
		require.Equal(t, tc.debug, bytes.Contains(out.Bytes(), []byte("msg=d")) || bytes.Contains(out.Bytes(), []byte(`"msg":"d"`)), "%+v", tc)
		require.Equal(t, tc.info, bytes.Contains(out.Bytes(), []byte("msg=i")) || bytes.Contains(out.Bytes(), []byte(`"msg":"i"`)), "%+v", tc)
		require.Equal(t, tc.warn, bytes.Contains(out.Bytes(), []byte("msg=w")) || bytes.Contains(out.Bytes(), []byte(`"msg":"w"`)), "%+v", tc)
		if tc.json && tc.warn {
			var record map[string]any
			require.NoError(t, json.Unmarshal(bytes.TrimSpace(out.Bytes()), &record))
			require.Equal(t, "v", record["k"])
		}
	}
}

func TestLoggerRejectsBadValues(t *testing.T) {
	t.Parallel()
	_, err := newLogger(&bytes.Buffer{}, func(k string) string { return map[string]string{"EZ_LOG_LEVEL": "loud"}[k] })
	require.EqualError(t, err, `EZ_LOG_LEVEL: "loud" must be debug, info, warn or error`)
	_, err = newLogger(&bytes.Buffer{}, func(k string) string { return map[string]string{"EZ_LOG_FORMAT": "xml"}[k] })
	require.EqualError(t, err, `EZ_LOG_FORMAT: "xml" must be text or json`)

	// serve refuses to start on them, with the same message.
	var stdout, stderr bytes.Buffer
	env := map[string]string{"EZ_DATABASE_URL": "postgres://x@127.0.0.1:1/x", "EZ_ETCD_ENDPOINTS": "http://127.0.0.1:1",
		"EZ_DATA_ROOTS": t.TempDir(), "EZ_LOG_FORMAT": "xml"}
	require.Equal(t, 2, run(t.Context(), []string{"serve"}, func(k string) string { return env[k] }, &stdout, &stderr))
	require.Contains(t, stderr.String(), `EZ_LOG_FORMAT: "xml" must be text or json`)
}

// A URL's password that reaches a log line inside an error or a string
// is masked.
func TestLoggerMasksURLPasswords(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	logger, err := newLogger(&out, func(string) string { return "" })
	require.NoError(t, err)
	logger.Warn("connect failed", "error", errors.New("dial postgres://ez:s3cret@db:5432/ez: refused"),
		"url", "postgresql://ez:s3cret@db/ez", "plain", "no secret here")
	require.NotContains(t, out.String(), "s3cret")
	require.Contains(t, out.String(), "postgres://ez:xxxxx@db:5432/ez")
	require.Contains(t, out.String(), "plain=\"no secret here\"")
}
