//go:build chaos

package chaos

import (
	"net"
	"sync"
	"testing"
	"time"
)

// proxy is a TCP proxy on loopback that the harness puts between each
// replica and each server it talks to (PostgreSQL, every etcd member), so
// that scenario 5 can break one replica's network without touching the
// machine's: cut its connections, refuse new ones, hold bytes (a partition:
// nothing arrives until it heals, then everything does, as TCP
// retransmission would) or delay them.
type proxy struct {
	name, target string
	ln           net.Listener

	mu      sync.Mutex
	delay   time.Duration // added before each chunk is forwarded
	held    bool          // bytes wait until heal
	refuse  bool          // new connections are closed at once
	changed chan struct{} // closed and replaced when a setting changes
	conns   map[net.Conn]struct{}
}

func startProxy(t *testing.T, name, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{name: name, target: target, ln: ln, changed: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	t.Cleanup(p.close)
	go p.accept()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refuse := p.refuse
		p.mu.Unlock()
		if refuse {
			client.Close()
			continue
		}
		server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			client.Close()
			continue
		}
		p.track(client, server)
		go p.pump(client, server)
		go p.pump(server, client)
	}
}

func (p *proxy) track(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
}

// pump copies src to dst through the proxy's settings; either side's end
// closes both.
func (p *proxy) pump(src, dst net.Conn) {
	defer func() {
		src.Close()
		dst.Close()
		p.mu.Lock()
		delete(p.conns, src)
		delete(p.conns, dst)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if d := p.gate(); d > 0 {
				time.Sleep(d)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// gate waits while bytes are held, and returns the delay to add.
func (p *proxy) gate() time.Duration {
	for {
		p.mu.Lock()
		held, delay, changed := p.held, p.delay, p.changed
		p.mu.Unlock()
		if !held {
			return delay
		}
		<-changed
	}
}

func (p *proxy) set(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f()
	close(p.changed)
	p.changed = make(chan struct{})
}

// cut closes every open connection, as a reset path would; with refuse,
// new ones are closed too until heal.
func (p *proxy) cut(refuse bool) {
	p.set(func() {
		p.refuse = refuse
		for c := range p.conns {
			c.Close()
		}
	})
}

// hold stops forwarding bytes until heal.
func (p *proxy) hold() { p.set(func() { p.held = true }) }

// slow adds d before each chunk, both ways.
func (p *proxy) slow(d time.Duration) { p.set(func() { p.delay = d }) }

// heal undoes every fault.
func (p *proxy) heal() { p.set(func() { p.held, p.refuse, p.delay = false, false, 0 }) }

func (p *proxy) close() {
	p.ln.Close()
	p.cut(true)
	p.heal() // releases held pumps, which then find their connections closed
}
