package devstack

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// sysProcAttr returns the attributes for initdb and postgres: their own
// process group, so that a Ctrl-C in the terminal reaches only us and we shut
// PostgreSQL down in order; and SIGINT (PostgreSQL's fast shutdown) when our
// process dies without calling Stop. The kernel delivers Pdeathsig when the
// OS thread that started the child exits; the Go runtime does not retire
// threads (only those of goroutines that exit while locked to their
// thread), so in practice that means when the process exits.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGINT, Credential: cred}
}

// procInfo is what we know about a running process.
type procInfo struct {
	alive    bool
	postgres bool   // its executable is postgres (or postmaster)
	exe      string // executable or command name, for messages
	cwd      string // working directory; "" if unknown
	ppid     int
}

// inspectProcess looks pid up in /proc. A zombie counts as not alive.
func inspectProcess(pid int) procInfo {
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return procInfo{}
	}
	// Format: pid (comm) state ppid ...; comm may itself contain ") ".
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return procInfo{}
	}
	comm := ""
	if j := bytes.IndexByte(stat, '('); j >= 0 && j < i {
		comm = string(stat[j+1 : i])
	}
	fields := bytes.Fields(stat[i+1:])
	if len(fields) < 2 || fields[0][0] == 'Z' || fields[0][0] == 'X' {
		return procInfo{}
	}
	info := procInfo{alive: true, exe: comm}
	info.ppid, _ = strconv.Atoi(string(fields[1]))
	// exe and cwd are readable only for our own processes unless we are
	// root; comm (the executable's base name) is readable for all.
	if exe, err := os.Readlink(dir + "/exe"); err == nil {
		info.exe = exe
	}
	base := filepath.Base(info.exe)
	info.postgres = base == "postgres" || base == "postmaster"
	if cwd, err := os.Readlink(dir + "/cwd"); err == nil {
		info.cwd = cwd
	}
	return info
}

// leftoverServerProcesses lists postgres processes working in dataDir (all
// server processes chdir there), e.g. backends of a postmaster that was
// killed with SIGKILL and has not noticed yet.
func leftoverServerProcesses(dataDir string) []int {
	real, err := filepath.EvalSymlinks(dataDir)
	if err != nil {
		return nil
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cwd, err := os.Readlink("/proc/" + e.Name() + "/cwd"); err != nil || cwd != real {
			continue
		}
		if info := inspectProcess(pid); info.alive && info.postgres {
			pids = append(pids, pid)
		}
	}
	return pids
}
