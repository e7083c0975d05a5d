//go:build chaos

package chaos

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

// stopGrace is how long a process gets between SIGTERM and SIGKILL.
const stopGrace = 10 * time.Second

// proc is one child process of the harness: a name, a command it can be
// started again with, and a log file of its own. The harness signals it by
// pid only, and kills it when the test ends whatever happened.
type proc struct {
	name string
	bin  string
	args []string
	env  []string
	log  string // path of its log file (appended to across starts)

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the current start has exited
}

func newProc(t *testing.T, name, bin, log string, env []string, args ...string) *proc {
	p := &proc{name: name, bin: bin, args: args, env: env, log: log}
	t.Cleanup(func() { p.stop() })
	return p
}

// start runs the process (again), its output appended to its log.
func (p *proc) start(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatalf("open %s: %v", p.log, err)
	}
	fmt.Fprintf(f, "--- %s start %v\n", time.Now().UTC().Format(time.RFC3339Nano), p.args)
	cmd := exec.Command(p.bin, p.args...)
	// Only what the process is given: no EZ_* of the caller's environment.
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, p.env...)
	cmd.Stdout, cmd.Stderr = f, f
	// A process group of its own: a Ctrl-C of `make chaos` reaches the test,
	// which then stops its children in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s: %v", p.name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(done)
	}()
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
}

func (p *proc) current() (*exec.Cmd, chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd, p.done
}

// running reports whether the latest start still runs.
func (p *proc) running() bool {
	cmd, done := p.current()
	if cmd == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

func (p *proc) pid() int {
	cmd, _ := p.current()
	if cmd == nil {
		return 0
	}
	return cmd.Process.Pid
}

// signal sends sig to the process (by its pid) if it runs.
func (p *proc) signal(sig syscall.Signal) error {
	cmd, done := p.current()
	if cmd == nil {
		return fmt.Errorf("%s never started", p.name)
	}
	select {
	case <-done:
		return fmt.Errorf("%s is not running", p.name)
	default:
	}
	return cmd.Process.Signal(sig)
}

// kill SIGKILLs the process and waits until it is gone.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	cmd, done := p.current()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%s (pid %d) did not exit on SIGKILL", p.name, cmd.Process.Pid)
	}
}

// stop sends SIGCONT (it may be frozen) and SIGTERM, then SIGKILL after
// stopGrace, and waits.
func (p *proc) stop() {
	cmd, done := p.current()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGCONT)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return
	case <-time.After(stopGrace):
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
	}
}

// waitLog waits until the log, from byte from on, matches re; it fails as
// soon as the process exits without printing it.
func (p *proc) waitLog(t *testing.T, from int64, re *regexp.Regexp, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if b, err := os.ReadFile(p.log); err == nil && int64(len(b)) >= from && re.Match(b[from:]) {
			return
		}
		if !p.running() {
			t.Fatalf("%s exited before printing %s; see %s:\n%s", p.name, re, p.log, tail(p.log, 30))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not print %s within %v; see %s:\n%s", p.name, re, within, p.log, tail(p.log, 30))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func logSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// tail returns the last n lines of the file at path.
func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := regexp.MustCompile("\n").Split(string(b), -1)
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	out := ""
	for _, l := range lines {
		out += l + "\n"
	}
	return out
}
