package devstack

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// osUser is the account initdb and postgres run as.
type osUser struct {
	name     string
	uid, gid uint32
	// cred is nil when the server runs as the calling user.
	cred *syscall.Credential
}

func (u osUser) switched() bool { return u.cred != nil }

// postgresOSUser picks the account for initdb and postgres: the calling user,
// or, when that is root (which PostgreSQL refuses), the "postgres" system user
// or else "nobody".
func postgresOSUser() (osUser, error) {
	if os.Geteuid() != 0 {
		name := strconv.Itoa(os.Geteuid())
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
		return osUser{name: name, uid: uint32(os.Geteuid()), gid: uint32(os.Getegid())}, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return osUser{
			name: name, uid: uint32(uid), gid: uint32(gid),
			// Groups is empty on purpose: the server gets only the primary
			// group, which is also all checkSearchable considers.
			cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)},
		}, nil
	}
	return osUser{}, errors.New("running as root, but PostgreSQL refuses to run as root and there is neither a \"postgres\" nor a \"nobody\" user to run it as; create one (e.g. `useradd --system postgres`) or run as a normal user")
}

// checkSearchable reports an error unless u can reach entries in dir, i.e.
// dir and all its ancestors have the x bit that applies to u.
func checkSearchable(dir string, u osUser) error {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return nil
		}
		perm := fi.Mode().Perm()
		var bit fs.FileMode = 0o001
		switch {
		case st.Uid == u.uid:
			bit = 0o100
		case st.Gid == u.gid:
			bit = 0o010
		}
		if perm&bit == 0 {
			return fmt.Errorf("PostgreSQL refuses to run as root, so it runs as user %q (uid %d), but that user cannot enter %s (mode %v, owner uid %d); allow it with `chmod o+x %s` or use a data directory outside it (for example not under /root or a 0700 temporary directory)",
				u.name, u.uid, d, fi.Mode(), st.Uid, d)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// mkdirAll is os.MkdirAll that also sets perm on the directories it creates,
// regardless of the umask: PostgreSQL may run as another user that must be
// able to traverse them.
func mkdirAll(dir string, perm fs.FileMode) error {
	var created []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || d == filepath.Dir(d) {
			break
		}
		created = append(created, d)
	}
	if err := os.MkdirAll(dir, perm); err != nil {
		return err
	}
	for _, d := range created {
		if err := os.Chmod(d, perm); err != nil {
			return err
		}
	}
	return nil
}

// chownTree gives dir and everything below it to u.
func chownTree(dir string, u osUser) error {
	return filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, int(u.uid), int(u.gid))
	})
}

// ownerOf returns the uid owning path.
func ownerOf(fi fs.FileInfo) (uint32, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Uid, true
}
