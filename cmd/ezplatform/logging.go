package main

import (
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
)

// newLogger is the replica's logger, as EZ_LOG_FORMAT (text, the default,
// or json) and EZ_LOG_LEVEL (debug, info, the default, warn or error) say.
// A value it does not know is an error that names the variable and the
// values it takes.
func newLogger(w io.Writer, getenv func(string) string) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{ReplaceAttr: redactAttr}
	switch level := strings.ToLower(strings.TrimSpace(getenv("EZ_LOG_LEVEL"))); level {
	case "", "info":
		opts.Level = slog.LevelInfo
	case "debug":
		opts.Level = slog.LevelDebug
	case "warn":
		opts.Level = slog.LevelWarn
	case "error":
		opts.Level = slog.LevelError
	default:
		return nil, fmt.Errorf("EZ_LOG_LEVEL: %q must be debug, info, warn or error", getenv("EZ_LOG_LEVEL"))
	}
	switch format := strings.ToLower(strings.TrimSpace(getenv("EZ_LOG_FORMAT"))); format {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("EZ_LOG_FORMAT: %q must be text or json", getenv("EZ_LOG_FORMAT"))
	}
}

// urlPassword matches the password of a URL's user info
// (scheme://user:password@).
var urlPassword = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^@\s]*@`)

// redactAttr hides URL passwords in string and error attributes: a
// database URL that reaches a log line through some library's error must
// not take its password along.
func redactAttr(_ []string, a slog.Attr) slog.Attr {
	var text string
	switch v := a.Value.Any().(type) {
	case string:
		text = v
	case error:
		text = v.Error()
	default:
		return a
	}
	if urlPassword.MatchString(text) {
		return slog.String(a.Key, urlPassword.ReplaceAllString(text, "${1}xxxxx@"))
	}
	return a
}
