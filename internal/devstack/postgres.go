package devstack

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const (
	// postgresSuperuser is the superuser initdb creates; URL logs in as it.
	postgresSuperuser = "ezplatform"
	// stateFileName is our record, inside the cluster directory, of the
	// generated password and the port of the last start.
	stateFileName = "ezplatform.json"

	postgresStartTimeout  = 60 * time.Second
	orphanShutdownTimeout = 30 * time.Second
	logTailLines          = 20
)

// leftoverExitTimeout is how long a backend of a killed postmaster gets to
// notice and exit before we kill it; tests shorten it.
var leftoverExitTimeout = 10 * time.Second

// PostgresOptions configures a private PostgreSQL cluster.
type PostgresOptions struct {
	// DataDir is the cluster directory. initdb creates it on the first start;
	// a relative path is made absolute. Its parent must exist or be creatable.
	DataDir string
	// Port is the TCP port on 127.0.0.1. 0 reuses the port recorded at the
	// previous start if it is free, else picks a free port and records it.
	Port int
	// BinDir holds initdb and postgres; "" means FindPostgresBinDir.
	BinDir string
	// Log receives progress lines for humans; nil discards them.
	// PostgreSQL's own output (initdb and server log) goes to DataDir+".log",
	// e.g. .ezplatform/postgres.log next to .ezplatform/postgres.
	Log io.Writer
	// Ephemeral trades durability for speed, for test suites: fsync,
	// synchronous_commit and full_page_writes are off, so an OS crash or power
	// loss can corrupt the cluster. Never set it for data anyone keeps.
	Ephemeral bool
	// Settings are more server settings (-c name=value), after the others:
	// a fault suite that kills the server keeps Ephemeral's speed but
	// wants synchronous_commit back, so that an acknowledged commit
	// survives the crash of the server (not of the machine).
	Settings map[string]string
}

// Postgres is a running PostgreSQL server started by StartPostgres.
type Postgres struct {
	dataDir  string
	logPath  string
	port     int
	password string
	log      io.Writer

	cmd  *exec.Cmd
	done chan struct{} // closed when the server process has exited
	// waitErr is cmd.Wait's result; read it only after done is closed.
	waitErr error

	stopOnce sync.Once
	stopErr  error
}

// postgresState is the content of stateFileName.
type postgresState struct {
	User     string `json:"user"`
	Password string `json:"password"`
	Port     int    `json:"port,omitempty"`
}

// StartPostgres starts the cluster in opts.DataDir, creating it with initdb
// on first use, and returns once the server accepts connections. It blocks
// for the whole startup: initdb (a few seconds, first start only), cleanup
// after a crashed earlier run, and waiting for the server to accept
// connections (up to a minute, longer while it reports crash recovery in
// progress). Cancelling ctx aborts the startup and stops the server. The
// server is a child process that outlives ctx: stop it with Stop. If this
// process dies without Stop, the server shuts down by itself on Linux
// (SIGINT via Pdeathsig) and otherwise is stopped by the next start.
func StartPostgres(ctx context.Context, opts PostgresOptions) (*Postgres, error) {
	if opts.DataDir == "" {
		return nil, errors.New("devstack: PostgresOptions.DataDir is empty")
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, err
	}
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	binDir := opts.BinDir
	if binDir == "" {
		if binDir, err = FindPostgresBinDir(); err != nil {
			return nil, err
		}
	} else if err := checkBinDir(binDir); err != nil {
		return nil, err
	}
	runAs, err := postgresOSUser()
	if err != nil {
		return nil, err
	}

	parent := filepath.Dir(dataDir)
	if err := mkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("create the parent of the PostgreSQL data directory: %w", err)
	}
	if runAs.switched() {
		if err := checkSearchable(parent, runAs); err != nil {
			return nil, err
		}
	}
	logPath := dataDir + ".log"
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the PostgreSQL log: %w", err)
	}
	defer logFile.Close() // the server keeps its own descriptor

	st, err := loadPostgresState(dataDir)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(log, "initializing PostgreSQL cluster in %s (first start, takes a few seconds)\n", dataDir)
		st, err = initCluster(ctx, dataDir, binDir, runAs, logFile, opts.Ephemeral)
	}
	if err != nil {
		return nil, err
	}
	if err := fixOwnership(dataDir, runAs, log); err != nil {
		return nil, err
	}
	if err := clearPostmasterPid(ctx, dataDir, log); err != nil {
		return nil, err
	}

	port, err := choosePort(opts.Port, st.Port, "PostgreSQL", log)
	if err != nil {
		return nil, err
	}

	p := &Postgres{
		dataDir:  dataDir,
		logPath:  logPath,
		port:     port,
		password: st.Password,
		log:      log,
		done:     make(chan struct{}),
	}
	logOffset, _ := logFile.Seek(0, io.SeekEnd)
	fmt.Fprintf(logFile, "---- %s ezplatform: starting postgres on 127.0.0.1:%d\n", time.Now().Format(time.RFC3339), port)
	args := []string{
		"-D", dataDir,
		"-c", "port=" + strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		// No Unix socket: its path would have to fit in 107 bytes and
		// clients use TCP anyway.
		"-c", "unix_socket_directories=",
		// Room for parallel test packages, each with its own pool.
		"-c", "max_connections=200",
	}
	if opts.Ephemeral {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	for _, name := range slices.Sorted(maps.Keys(opts.Settings)) {
		args = append(args, "-c", name+"="+opts.Settings[name])
	}
	p.cmd = exec.Command(filepath.Join(binDir, "postgres"), args...)
	p.cmd.Dir = parent // must be accessible to runAs; the server then moves to dataDir
	p.cmd.Env = serverEnv()
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.SysProcAttr = sysProcAttr(runAs.cred)
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s as user %s: %w", p.cmd.Path, runAs.name, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()

	err = p.waitReady(ctx, logOffset)
	if err == nil && port != st.Port {
		// Recorded only now, so that a failed start does not stick.
		st.Port = port
		err = writePostgresState(dataDir, st, runAs)
	}
	if err != nil {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = p.Stop(stopCtx)
		return nil, err
	}
	fmt.Fprintf(log, "PostgreSQL %s is accepting connections on 127.0.0.1:%d (log: %s)\n", dataDir, port, logPath)
	return p, nil
}

// URL returns a connection URL for database as the cluster's superuser, e.g.
// "postgres://ezplatform:PASSWORD@127.0.0.1:PORT/DATABASE?sslmode=disable".
func (p *Postgres) URL(database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(postgresSuperuser, p.password),
		Host:     "127.0.0.1:" + strconv.Itoa(p.port),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Port returns the TCP port the server listens on at 127.0.0.1.
func (p *Postgres) Port() int { return p.port }

// LogPath returns the file that receives PostgreSQL's own log.
func (p *Postgres) LogPath() string { return p.logPath }

// Stop shuts the server down with a fast shutdown (SIGINT: open transactions
// are rolled back, data is kept) and blocks until it has exited. If ctx ends
// first, Stop kills the server (the next start then runs crash recovery) and
// returns an error. It also returns an error if the server had already
// exited with a failure.
// Calling Stop again returns the first result.
func (p *Postgres) Stop(ctx context.Context) error {
	p.stopOnce.Do(func() { p.stopErr = p.stop(ctx) })
	return p.stopErr
}

func (p *Postgres) stop(ctx context.Context) error {
	select {
	case <-p.done:
		if p.waitErr != nil {
			return fmt.Errorf("PostgreSQL had already exited: %v; see %s", p.waitErr, p.logPath)
		}
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-ctx.Done():
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("PostgreSQL did not shut down in time (%w); killed it, the next start will run crash recovery", ctx.Err())
	}
	if p.waitErr != nil {
		return fmt.Errorf("PostgreSQL shutdown: %v; see %s", p.waitErr, p.logPath)
	}
	fmt.Fprintf(p.log, "PostgreSQL %s stopped\n", p.dataDir)
	return nil
}

// waitReady polls until the server accepts a connection, the server exits,
// ctx ends, or postgresStartTimeout passes without the server saying that it
// is starting up (crash recovery of a big cluster may take longer).
func (p *Postgres) waitReady(ctx context.Context, logOffset int64) error {
	deadline := time.Now().Add(postgresStartTimeout)
	delay := 10 * time.Millisecond
	for {
		err := p.ping(ctx)
		if err == nil {
			return nil
		}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			switch pgErr.Code {
			case "28P01", "28000": // invalid_password, invalid_authorization_specification
				return fmt.Errorf("PostgreSQL in %s rejects the password recorded in %s: %w", p.dataDir, filepath.Join(p.dataDir, stateFileName), err)
			case "57P03": // cannot_connect_now: starting up or recovering, i.e. progressing
				deadline = time.Now().Add(postgresStartTimeout)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("PostgreSQL did not accept connections on 127.0.0.1:%d within %v (last attempt: %v); last lines of %s:\n%s",
				p.port, postgresStartTimeout, err, p.logPath, p.logTail(logOffset))
		}
		select {
		case <-p.done:
			return fmt.Errorf("PostgreSQL exited during startup (%v); last lines of %s:\n%s", p.waitErr, p.logPath, p.logTail(logOffset))
		case <-ctx.Done():
			return fmt.Errorf("waiting for PostgreSQL to start: %w", ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, 500*time.Millisecond)
	}
}

func (p *Postgres) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.URL("postgres"))
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// logTail returns the last logTailLines lines written to the log since
// offset.
func (p *Postgres) logTail(offset int64) string {
	f, err := os.Open(p.logPath)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return "(" + err.Error() + ")"
	}
	b, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > logTailLines {
		lines = lines[len(lines)-logTailLines:]
	}
	return strings.Join(lines, "\n")
}

// initCluster runs initdb for dataDir. It works in a temporary sibling
// directory that it renames into place when done, so that an interrupted
// initdb never leaves a half-made cluster that a later start would trust.
func initCluster(ctx context.Context, dataDir, binDir string, runAs osUser, logFile io.Writer, ephemeral bool) (postgresState, error) {
	if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 {
		return postgresState{}, fmt.Errorf("%s is not empty but holds no cluster made by ezplatform (no PG_VERSION and %s); remove it or choose another data directory", dataDir, stateFileName)
	}
	parent, base := filepath.Split(dataDir)
	tmp := filepath.Join(parent, "."+base+".initdb")
	if err := os.RemoveAll(tmp); err != nil { // leftover of an interrupted run
		return postgresState{}, err
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return postgresState{}, err
	}
	ok := false
	defer func() {
		if !ok {
			_ = os.RemoveAll(tmp)
		}
	}()
	if err := os.Chown(tmp, int(runAs.uid), int(runAs.gid)); err != nil {
		return postgresState{}, err
	}

	st := postgresState{User: postgresSuperuser, Password: randomPassword()}
	// initdb reads the password from a file, which the server's user must be
	// able to read; it lives only until initdb is done.
	pw, err := os.CreateTemp(parent, "."+base+".pwfile-*")
	if err != nil {
		return postgresState{}, err
	}
	defer os.Remove(pw.Name())
	_, err = pw.WriteString(st.Password + "\n")
	if err == nil {
		err = pw.Chown(int(runAs.uid), int(runAs.gid))
	}
	if cerr := pw.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return postgresState{}, err
	}

	args := []string{
		"-D", tmp,
		"-U", postgresSuperuser,
		"--pwfile=" + pw.Name(),
		"--auth=scram-sha-256",
		// C locale: it exists everywhere, whatever LANG says.
		"--encoding=UTF8", "--locale=C",
		"--no-instructions",
	}
	if ephemeral {
		args = append(args, "--no-sync")
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"), args...)
	cmd.Dir = parent
	cmd.Env = serverEnv()
	cmd.Stdout = io.MultiWriter(&out, logFile)
	cmd.Stderr = cmd.Stdout
	cmd.SysProcAttr = sysProcAttr(runAs.cred)
	fmt.Fprintf(logFile, "---- %s ezplatform: initdb %s\n", time.Now().Format(time.RFC3339), dataDir)
	if err := cmd.Run(); err != nil {
		return postgresState{}, fmt.Errorf("initdb for %s as user %s failed: %w\n%s", dataDir, runAs.name, err, strings.TrimSpace(out.String()))
	}
	if err := writePostgresState(tmp, st, runAs); err != nil {
		return postgresState{}, err
	}
	_ = os.Remove(dataDir) // rename needs it gone; it is empty or missing
	if err := os.Rename(tmp, dataDir); err != nil {
		return postgresState{}, err
	}
	ok = true
	return st, nil
}

// loadPostgresState reads our state file. It returns an fs.ErrNotExist error
// only when dataDir holds no cluster at all, i.e. initdb is due.
func loadPostgresState(dataDir string) (postgresState, error) {
	var st postgresState
	b, err := os.ReadFile(filepath.Join(dataDir, stateFileName))
	if errors.Is(err, fs.ErrNotExist) {
		if _, verr := os.Stat(filepath.Join(dataDir, "PG_VERSION")); verr == nil {
			return st, fmt.Errorf("%s holds a PostgreSQL cluster that ezplatform did not create (it has no %s, so its password is unknown); choose another data directory", dataDir, stateFileName)
		}
		return st, err
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil || st.Password == "" {
		return st, fmt.Errorf("%s is damaged (no password in it); it holds the PostgreSQL password: restore it, or remove %s to start over without the data", filepath.Join(dataDir, stateFileName), dataDir)
	}
	if st.User == "" {
		st.User = postgresSuperuser
	}
	return st, nil
}

func writePostgresState(dir string, st postgresState, runAs osUser) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, stateFileName)
	if err := writeFileAtomic(path, append(b, '\n'), 0o600); err != nil {
		return err
	}
	// Same owner as the rest of the cluster directory, so that tools run as
	// that user (pg_basebackup, cp -a, rm) work on it.
	return os.Lchown(path, int(runAs.uid), int(runAs.gid))
}

// fixOwnership makes sure the cluster directory belongs to runAs with mode
// 0700, as postgres demands. As root it fixes what it can (the cluster may
// have been created by a normal user); otherwise it explains.
func fixOwnership(dataDir string, runAs osUser, log io.Writer) error {
	fi, err := os.Stat(dataDir)
	if err != nil {
		return err
	}
	if uid, ok := ownerOf(fi); ok && uid != runAs.uid {
		if os.Geteuid() != 0 {
			return fmt.Errorf("%s belongs to uid %d, but PostgreSQL must run as the owner of its data directory and this process runs as uid %d; run as that user, or `chown -R %d %s`", dataDir, uid, runAs.uid, runAs.uid, dataDir)
		}
		fmt.Fprintf(log, "giving %s to user %s (PostgreSQL must run as the owner of its data directory)\n", dataDir, runAs.name)
		if err := chownTree(dataDir, runAs); err != nil {
			return err
		}
	}
	if fi.Mode().Perm()&^0o750 != 0 {
		return os.Chmod(dataDir, 0o700)
	}
	return nil
}

// clearPostmasterPid deals with a postmaster.pid left in dataDir: the
// previous server crashed, or it still runs because its parent died without
// stopping it.
func clearPostmasterPid(ctx context.Context, dataDir string, log io.Writer) error {
	path := filepath.Join(dataDir, "postmaster.pid")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	// Line 1 is the postmaster's PID.
	lines := strings.Split(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	var stale string
	var info procInfo
	switch {
	case err != nil || pid <= 0:
		stale = "it is unreadable"
	default:
		info = inspectProcess(pid)
		switch {
		case !info.alive:
			stale = fmt.Sprintf("pid %d is not running", pid)
		case !info.postgres:
			stale = fmt.Sprintf("pid %d is %s, not PostgreSQL", pid, info.exe)
		case info.cwd != "" && !sameDir(info.cwd, dataDir):
			stale = fmt.Sprintf("pid %d is the PostgreSQL of %s", pid, info.cwd)
		}
	}
	if stale != "" {
		fmt.Fprintf(log, "recovered from a stale postmaster.pid (%s); the previous run did not shut down cleanly\n", stale)
		if err := removeIfExists(path); err != nil {
			return err
		}
		// Backends of a killed postmaster exit only when they notice; a
		// new server refuses to start while they hold the shared memory.
		return waitLeftovers(ctx, dataDir, log)
	}

	// A live server for this directory. Stop it only if nobody else owns
	// it: its parent is gone (it was re-parented to init) or is this very
	// process (a Postgres that was never stopped).
	if info.ppid != 1 && info.ppid != os.Getpid() {
		if parent := inspectProcess(info.ppid); parent.alive {
			return fmt.Errorf("PostgreSQL for %s is already running (pid %d, started by pid %d %s); stop that first (e.g. Ctrl-C in the other `ezplatform dev`, or `kill -INT %d`)", dataDir, pid, info.ppid, parent.exe, pid)
		}
	}
	fmt.Fprintf(log, "PostgreSQL (pid %d) left running by an earlier run is still serving %s; stopping it\n", pid, dataDir)
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop the PostgreSQL left running (pid %d): %w; stop it yourself with `kill -INT %d`", pid, err, pid)
	}
	ctx, cancel := context.WithTimeout(ctx, orphanShutdownTimeout)
	defer cancel()
	if err := waitUntil(ctx, func() bool { return !inspectProcess(pid).alive }); err != nil {
		return fmt.Errorf("the PostgreSQL left running (pid %d) did not stop: %w; stop it with `kill -INT %d`", pid, err, pid)
	}
	// It removes postmaster.pid itself on a clean exit.
	return removeIfExists(path)
}

// waitLeftovers waits for server processes of a dead postmaster to exit,
// and kills those still there after leftoverExitTimeout (their postmaster is
// gone, crash recovery follows anyway).
func waitLeftovers(ctx context.Context, dataDir string, log io.Writer) error {
	pids := leftoverServerProcesses(dataDir)
	if len(pids) == 0 {
		return nil
	}
	fmt.Fprintf(log, "waiting for %d leftover PostgreSQL processes of %s to exit\n", len(pids), dataDir)
	wctx, cancel := context.WithTimeout(ctx, leftoverExitTimeout)
	defer cancel()
	if waitUntil(wctx, func() bool { return len(leftoverServerProcesses(dataDir)) == 0 }) == nil {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	pids = leftoverServerProcesses(dataDir)
	fmt.Fprintf(log, "killing leftover PostgreSQL processes %v of %s\n", pids, dataDir)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	wctx, cancel = context.WithTimeout(ctx, leftoverExitTimeout)
	defer cancel()
	if err := waitUntil(wctx, func() bool { return len(leftoverServerProcesses(dataDir)) == 0 }); err != nil {
		return fmt.Errorf("leftover PostgreSQL processes %v of %s do not exit: %w", pids, dataDir, err)
	}
	return nil
}

// waitUntil polls cond with backoff until it holds or ctx ends.
func waitUntil(ctx context.Context, cond func() bool) error {
	delay := 10 * time.Millisecond
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 250*time.Millisecond)
	}
	return nil
}

func sameDir(a, b string) bool {
	if a == b {
		return true
	}
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ra == rb
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// serverEnv is our environment without PG* variables (PGDATA, PGPORT, ...),
// which would otherwise change what initdb and postgres do.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}

func randomPassword() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b) // never fails, see crypto/rand
	// Hex keeps it free of characters that need quoting in URLs or shells.
	return hex.EncodeToString(b)
}
