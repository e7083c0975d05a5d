package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// DefaultClusterToken is the initial cluster token of StartMember unless
// MemberOptions.ClusterToken says otherwise. Members of one cluster must
// agree on it.
const DefaultClusterToken = "ezplatform-cluster"

// MemberOptions configures one member of a multi-member etcd cluster.
type MemberOptions struct {
	// Name identifies the member; it must appear in InitialCluster.
	Name string
	// Dir holds the member's data (created with mode 0700).
	Dir string
	// ClientURL and PeerURL are where the member serves clients and its
	// peers, e.g. http://127.0.0.1:2381 and http://127.0.0.1:2382.
	ClientURL string
	PeerURL   string
	// InitialCluster lists every member as name=peer-URL, comma-separated,
	// e.g. "m1=http://127.0.0.1:2382,m2=...". It is read on the first start
	// only; a restart reads the membership from Dir.
	InitialCluster string
	// ClusterToken tells clusters apart; "" means DefaultClusterToken.
	ClusterToken string
	// Log receives etcd's own log (warnings and errors, as JSON lines);
	// nil discards it.
	Log io.Writer
}

// Check reports everything wrong with opts at once; StartMember checks
// too.
func (opts MemberOptions) Check() error {
	var errs []error
	if opts.Name == "" {
		errs = append(errs, errors.New("the member needs a name"))
	}
	if opts.Dir == "" {
		errs = append(errs, errors.New("the member needs a data directory"))
	}
	if _, err := memberURL("client URL", opts.ClientURL); err != nil {
		errs = append(errs, err)
	}
	if _, err := memberURL("peer URL", opts.PeerURL); err != nil {
		errs = append(errs, err)
	}
	if opts.ClientURL != "" && opts.ClientURL == opts.PeerURL {
		errs = append(errs, fmt.Errorf("client URL and peer URL are both %s; they need ports of their own", opts.ClientURL))
	}
	members, err := parseInitialCluster(opts.InitialCluster)
	if err != nil {
		errs = append(errs, err)
	} else if opts.Name != "" {
		switch peer, ok := members[opts.Name]; {
		case !ok:
			errs = append(errs, fmt.Errorf("initial cluster %q has no member named %q", opts.InitialCluster, opts.Name))
		case peer != opts.PeerURL:
			errs = append(errs, fmt.Errorf("initial cluster gives member %q the peer URL %s, but its peer URL is %s", opts.Name, peer, opts.PeerURL))
		}
	}
	return errors.Join(errs...)
}

// memberURL parses an http URL with an explicit host and port, the only
// kind a member listens on.
func memberURL(what, raw string) (url.URL, error) {
	if raw == "" {
		return url.URL{}, fmt.Errorf("the member needs a %s", what)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Port() == "" || u.Hostname() == "" || (u.Path != "" && u.Path != "/") {
		return url.URL{}, fmt.Errorf("%s %q must look like http://127.0.0.1:2381", what, raw)
	}
	if net.ParseIP(u.Hostname()) == nil {
		// etcd listens on IP addresses only.
		return url.URL{}, fmt.Errorf("%s %q must name an IP address, such as 127.0.0.1", what, raw)
	}
	u.Path = ""
	return *u, nil
}

// parseInitialCluster reads "name=peer-URL,..." into a map.
func parseInitialCluster(list string) (map[string]string, error) {
	if strings.TrimSpace(list) == "" {
		return nil, errors.New("the initial cluster is empty; list every member as name=http://IP:PEER-PORT, comma-separated")
	}
	members := make(map[string]string)
	for _, item := range strings.Split(list, ",") {
		name, peer, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("initial cluster entry %q must be name=http://IP:PEER-PORT", item)
		}
		if _, err := memberURL("peer URL of member "+name, peer); err != nil {
			return nil, err
		}
		if _, dup := members[name]; dup {
			return nil, fmt.Errorf("initial cluster names member %q twice", name)
		}
		members[name] = peer
	}
	return members, nil
}

// StartMember starts one member of a multi-member etcd cluster in this
// process and blocks until it serves clients, which needs a quorum: with
// three members, it returns once a second member runs. It fails when ctx
// ends first, or etcd stops with an error. The member runs until Close;
// [Etcd.Failed] reports a later failure.
//
// Unlike StartEtcd, the ports are the caller's: the members' peer URLs are
// stored in each member's data, so a member must come back on the same
// ones.
func StartMember(ctx context.Context, opts MemberOptions) (*Etcd, error) {
	if err := opts.Check(); err != nil {
		return nil, fmt.Errorf("etcd member: %w", err)
	}
	clientURL, _ := memberURL("client URL", opts.ClientURL)
	peerURL, _ := memberURL("peer URL", opts.PeerURL)
	dir, err := etcdDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	lg := zap.New(zapcore.NewCore(
		zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()),
		zapcore.AddSync(log),
		zap.WarnLevel,
	))
	token := opts.ClusterToken
	if token == "" {
		token = DefaultClusterToken
	}

	cfg := embed.NewConfig()
	cfg.Name = opts.Name
	cfg.Dir = dir
	cfg.ListenClientUrls = []url.URL{clientURL}
	cfg.AdvertiseClientUrls = []url.URL{clientURL}
	cfg.ListenPeerUrls = []url.URL{peerURL}
	cfg.AdvertisePeerUrls = []url.URL{peerURL}
	cfg.InitialCluster = opts.InitialCluster
	cfg.InitialClusterToken = token
	cfg.ClusterState = embed.ClusterStateFlagNew
	cfg.Logger = "zap"
	cfg.LogLevel = "warn"
	// As in StartEtcd: election leases churn forever.
	cfg.AutoCompactionMode = "periodic"
	cfg.AutoCompactionRetention = "1h"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(lg)

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		_ = lg.Sync()
		return nil, fmt.Errorf("start etcd member %s in %s: %w", opts.Name, dir, err)
	}
	ed := &Etcd{etcd: e, endpoints: []string{clientURL.String()}}
	select {
	case <-e.Server.ReadyNotify():
		return ed, nil
	case err = <-e.Err():
		err = fmt.Errorf("etcd member %s failed while starting: %w", opts.Name, err)
	case <-e.Server.StopNotify():
		err = fmt.Errorf("etcd member %s stopped while starting", opts.Name)
	case <-ctx.Done():
		err = fmt.Errorf("starting etcd member %s: %w", opts.Name, ctx.Err())
	}
	// Before it is ready, embed's Close waits for client listeners that
	// never start; a stopping server makes them give up.
	e.Server.Stop()
	ed.Close()
	return nil, err
}

// Failed returns a channel that yields why the running etcd stopped: a
// listener failed, or the server stopped (removed from the cluster, or
// Close). Each call watches anew.
func (e *Etcd) Failed() <-chan error {
	failed := make(chan error, 1)
	go func() {
		select {
		case err := <-e.etcd.Err():
			failed <- err
		case <-e.etcd.Server.StopNotify():
			failed <- errors.New("etcd server stopped")
		}
	}()
	return failed
}
