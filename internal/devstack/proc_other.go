//go:build unix && !linux

package devstack

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// sysProcAttr returns the attributes for initdb and postgres: their own
// process group, so that a Ctrl-C in the terminal reaches only us and we shut
// PostgreSQL down in order. Without Linux's Pdeathsig, a server whose parent
// died keeps running until the next start finds and stops it.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Credential: cred}
}

// procInfo is what we know about a running process.
type procInfo struct {
	alive    bool
	postgres bool   // its executable is postgres (or postmaster)
	exe      string // executable or command name, for messages
	cwd      string // working directory; "" if unknown
	ppid     int
}

// inspectProcess asks ps(1) about pid; the working directory stays unknown.
func inspectProcess(pid int) procInfo {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return procInfo{}
	}
	out, err := exec.Command("ps", "-o", "stat=,ppid=,comm=", "-p", strconv.Itoa(pid)).Output()
	if err != nil {
		return procInfo{alive: true}
	}
	f := strings.Fields(string(out))
	if len(f) < 3 || strings.HasPrefix(f[0], "Z") {
		return procInfo{}
	}
	info := procInfo{alive: true, exe: strings.Join(f[2:], " ")}
	info.ppid, _ = strconv.Atoi(f[1])
	base := filepath.Base(info.exe)
	info.postgres = base == "postgres" || base == "postmaster"
	return info
}

// leftoverServerProcesses would list postgres processes working in dataDir;
// finding them needs /proc, so this returns none.
func leftoverServerProcesses(dataDir string) []int { return nil }
