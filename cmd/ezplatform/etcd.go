package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/ezplatform/ezplatform/internal/devstack"
)

// runEtcd runs one member of a multi-member etcd cluster in the
// foreground, until SIGINT or SIGTERM: a dev and test tool, so that
// `make cluster` and the tests can stop and restart members one by one.
// Production runs etcd's own release.
func runEtcd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("etcd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts devstack.MemberOptions
	fs.StringVar(&opts.Name, "name", "", "member name, one of those in --initial-cluster")
	fs.StringVar(&opts.Dir, "data-dir", "", "the member's data directory (created if missing)")
	fs.StringVar(&opts.ClientURL, "client-url", "", "where clients connect, e.g. http://127.0.0.1:2381")
	fs.StringVar(&opts.PeerURL, "peer-url", "", "where the other members connect, e.g. http://127.0.0.1:2382")
	fs.StringVar(&opts.InitialCluster, "initial-cluster", "", "every member as name=peer-URL, comma-separated (read on the first start only)")
	fs.StringVar(&opts.ClusterToken, "cluster-token", devstack.DefaultClusterToken, "initial cluster token; the same for every member")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ezplatform etcd: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if err := opts.Check(); err != nil {
		fmt.Fprintf(stderr, "ezplatform etcd: %v\n", err)
		return 2
	}
	// etcd's warnings and errors go to stderr; stdout has our lines only.
	opts.Log = stderr
	fmt.Fprintf(stdout, "etcd member %s starting: clients %s, peers %s; waiting for a quorum of %s\n",
		opts.Name, opts.ClientURL, opts.PeerURL, opts.InitialCluster)
	member, err := devstack.StartMember(ctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(stdout, "etcd member %s stopped before it was ready\n", opts.Name)
			return 0
		}
		fmt.Fprintf(stderr, "ezplatform etcd: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "etcd member %s ready on %s\n", opts.Name, member.Endpoints()[0])

	failed := member.Failed()
	select {
	case <-ctx.Done():
		member.Close()
		fmt.Fprintf(stdout, "etcd member %s stopped\n", opts.Name)
		return 0
	case err := <-failed:
		fmt.Fprintf(stderr, "ezplatform etcd: member %s: %v\n", opts.Name, err)
		member.Close()
		return 1
	}
}
