// Package proccpu reads the CPU time processes have used from /proc, so that
// benchmarks and the fault suite can say what a workload cost each of them:
// this process, and a PostgreSQL server with all its backends, live or gone.
package proccpu

import (
	"os"
	"strconv"
	"strings"
)

// Seconds is the CPU time (user and system) that pid has used. With
// children, it adds that of every live process whose parent pid is and of
// those it has reaped: a PostgreSQL postmaster's backends. It is 0 where
// /proc cannot tell (the process is gone, or not Linux).
func Seconds(pid int, children bool) float64 {
	_, own, ok := stat(strconv.Itoa(pid))
	if !ok {
		return 0
	}
	total := own[0] + own[1]
	if children {
		total += own[2] + own[3]
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			if ppid, f, ok := stat(e.Name()); ok && ppid == pid {
				total += f[0] + f[1]
			}
		}
	}
	return total
}

// Parent is pid's parent process id, or 0 if /proc cannot tell: the
// postmaster of a PostgreSQL backend (pg_backend_pid()).
func Parent(pid int) int {
	ppid, _, _ := stat(strconv.Itoa(pid))
	return ppid
}

// stat reads /proc/p/stat: the parent pid, and utime, stime, cutime and
// cstime in seconds. The fields after the command's closing parenthesis
// are the 3rd onwards: ppid is the 2nd of them, the times the 12th to 15th,
// in USER_HZ (100 on Linux).
func stat(p string) (ppid int, times []float64, ok bool) {
	b, err := os.ReadFile("/proc/" + p + "/stat")
	if err != nil {
		return 0, nil, false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 15 {
		return 0, nil, false
	}
	ppid, _ = strconv.Atoi(f[1])
	for _, v := range f[11:15] {
		n, _ := strconv.ParseFloat(v, 64)
		times = append(times, n/100)
	}
	return ppid, times, true
}
