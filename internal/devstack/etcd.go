package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/etcdserver/api/membership"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

const (
	// etcdName is the member name; with the peer URL it identifies the
	// member in the data, so it must stay the same across starts.
	etcdName         = "ezplatform-dev"
	etcdPortsFile    = "ports.json"
	etcdLogFile      = "etcd.log"
	etcdStartTimeout = 60 * time.Second
)

// Etcd is an embedded etcd: a single-member one started by StartEtcd, or
// one member of a cluster started by StartMember.
type Etcd struct {
	etcd      *embed.Etcd
	endpoints []string
	logFile   *os.File
	closeOnce sync.Once
}

// etcdPorts is the content of etcdPortsFile.
type etcdPorts struct {
	Client int `json:"client"`
	Peer   int `json:"peer"`
}

// StartEtcd starts an embedded single-member etcd with its data in dir and
// blocks until it serves clients, ctx ends, or a minute passes. Client and
// peer URLs are on 127.0.0.1; their ports are those recorded in
// dir/ports.json by the previous start when free, else new free ones, which
// are recorded (a changed peer port is also written to the stored
// membership). etcd's own log (warnings and errors only) goes to
// dir/etcd.log. The server runs in this process until Close.
func StartEtcd(ctx context.Context, dir string) (*Etcd, error) {
	dir, err := etcdDir(dir)
	if err != nil {
		return nil, err
	}
	var ports etcdPorts
	portsPath := filepath.Join(dir, etcdPortsFile)
	if b, err := os.ReadFile(portsPath); err == nil {
		if err := json.Unmarshal(b, &ports); err != nil {
			return nil, fmt.Errorf("%s is damaged (%v); remove it to pick new ports", portsPath, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	client, err := choosePort(0, ports.Client, "etcd client", io.Discard)
	if err != nil {
		return nil, err
	}
	peer := ports.Peer
	if peer == 0 || peer == client || !portFree(peer) {
		// A restarted member with a new peer port still works alone; the
		// stored membership is updated once it runs, see below.
		if peer, err = freePort(); err != nil {
			return nil, err
		}
		if peer == client { // the kernel handed out the same free port twice
			if peer, err = freePort(); err != nil {
				return nil, err
			}
		}
	}
	if ports != (etcdPorts{Client: client, Peer: peer}) {
		ports = etcdPorts{Client: client, Peer: peer}
		b, _ := json.Marshal(ports)
		if err := writeFileAtomic(portsPath, append(b, '\n'), 0o600); err != nil {
			return nil, err
		}
	}

	logFile, err := os.OpenFile(filepath.Join(dir, etcdLogFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	// Our own logger rather than cfg.LogOutputs, so that Close can close
	// the file.
	lg := zap.New(zapcore.NewCore(
		zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()),
		zapcore.AddSync(logFile),
		zap.WarnLevel,
	))

	clientURL := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(client)}
	peerURL := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(peer)}
	cfg := embed.NewConfig()
	cfg.Name = etcdName
	cfg.Dir = dir
	cfg.ListenClientUrls = []url.URL{clientURL}
	cfg.AdvertiseClientUrls = []url.URL{clientURL}
	cfg.ListenPeerUrls = []url.URL{peerURL}
	cfg.AdvertisePeerUrls = []url.URL{peerURL}
	// Used on the first start only; later starts read the membership from
	// the data.
	cfg.InitialCluster = etcdName + "=" + peerURL.String()
	cfg.InitialClusterToken = etcdName
	cfg.Logger = "zap"
	cfg.LogLevel = "warn"
	// Leases and election keys churn forever; without compaction a
	// long-lived dev stack would reach etcd's space quota.
	cfg.AutoCompactionMode = "periodic"
	cfg.AutoCompactionRetention = "1h"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(lg)

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		_ = lg.Sync()
		_ = logFile.Close()
		return nil, fmt.Errorf("start etcd in %s: %w (see %s)", dir, err, logFile.Name())
	}
	ed := &Etcd{etcd: e, endpoints: []string{clientURL.String()}, logFile: logFile}
	timer := time.NewTimer(etcdStartTimeout)
	defer timer.Stop()
	select {
	case <-e.Server.ReadyNotify():
		if err = updatePeerURL(ctx, e, peerURL.String()); err == nil {
			return ed, nil
		}
		err = fmt.Errorf("etcd in %s: %w", dir, err)
	case err = <-e.Err():
		err = fmt.Errorf("etcd in %s failed while starting: %w (see %s)", dir, err, logFile.Name())
	case <-ctx.Done():
		err = fmt.Errorf("starting etcd in %s: %w", dir, ctx.Err())
	case <-timer.C:
		err = fmt.Errorf("etcd in %s was not ready after %v; see %s", dir, etcdStartTimeout, logFile.Name())
	}
	ed.Close()
	return nil, err
}

// updatePeerURL records peerURL as the member's peer URL if the data from an
// earlier start says otherwise, i.e. when the recorded peer port was taken.
// A single member does not talk to peers, but the stored membership should
// not lie.
func updatePeerURL(ctx context.Context, e *embed.Etcd, peerURL string) error {
	id := e.Server.MemberID()
	m := e.Server.Cluster().Member(id)
	if m == nil || slices.Equal(m.PeerURLs, []string{peerURL}) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := e.Server.UpdateMember(ctx, membership.Member{ID: id, RaftAttributes: membership.RaftAttributes{PeerURLs: []string{peerURL}}})
	if err != nil {
		return fmt.Errorf("update the member's peer URL from %v to %s: %w", m.PeerURLs, peerURL, err)
	}
	return nil
}

// Endpoints returns the client URLs, e.g. ["http://127.0.0.1:PORT"].
func (e *Etcd) Endpoints() []string { return e.endpoints }

// Close stops etcd, blocking until its listeners are closed and its data is
// flushed (usually well under a second, at most a few seconds while client
// requests drain). Calling it again does nothing.
func (e *Etcd) Close() {
	e.closeOnce.Do(func() {
		e.etcd.Close()
		_ = e.etcd.GetLogger().Sync()
		if e.logFile != nil { // StartMember logs to its caller's writer
			_ = e.logFile.Close()
		}
	})
}

// etcdDir makes dir, absolute, with its parents, and mode 0700: etcd
// refuses (a member) or warns about (the dev stack's) anything more open.
func etcdDir(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := mkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("create the parent of the etcd directory: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("create the etcd directory: %w", err)
	}
	return dir, os.Chmod(dir, 0o700)
}
