//go:build linux && (amd64 || arm64)

package discovery

import (
	"context"
	"encoding/binary"
	"io/fs"
	"slices"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// On Linux the walk uses the system calls directly: getdents64 gives each
// entry's type, so only the files a scan reports are stat'ed, with one
// fstatat relative to the directory's descriptor and no allocation. (os.Root
// stats every entry as it lists it, and allocates a FileInfo for each.)

const (
	openDirFlags   = syscall.O_RDONLY | syscall.O_DIRECTORY | syscall.O_NOFOLLOW | syscall.O_CLOEXEC | syscall.O_NONBLOCK
	direntsBufSize = 32 << 10
	atNoFollow     = 0x100 // AT_SYMLINK_NOFOLLOW
)

// fdDir is a directory open as a file descriptor.
type fdDir struct {
	fd int
	s  *scratch
}

// scratch holds the buffers that the directories of one walk share for
// listing: the walk lists a directory completely before it descends.
type scratch struct {
	dirents []byte
	names   []byte
	probe   statBuf
}

// statBuf is the scratch space of one goroutine's stats.
type statBuf struct {
	path []byte // the name, NUL-terminated
	st   syscall.Stat_t
}

func openTopDir(path string) (directory, error) {
	fd, err := retryEINTR(func() (int, error) { return syscall.Open(path, openDirFlags, 0) })
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return &fdDir{fd: fd, s: &scratch{dirents: make([]byte, direntsBufSize)}}, nil
}

func (d *fdDir) openDir(name string) (directory, error) {
	fd, err := retryEINTR(func() (int, error) { return syscall.Openat(d.fd, name, openDirFlags, 0) })
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &fdDir{fd: fd, s: d.s}, nil
}

func (d *fdDir) close() { _ = syscall.Close(d.fd) }

func (d *fdDir) list(ctx context.Context) ([]dirEntry, error) {
	// Looking up "." needs search permission, like looking up any entry.
	if err := d.stat(&dirEntry{name: "."}, &d.s.probe); err != nil {
		return nil, err
	}
	type listed struct {
		name string
		typ  fs.FileMode
		ok   bool
	}
	var (
		found []listed
		ends  []int // of each name in names
		names = d.s.names[:0]
		err   error
	)
	for {
		var n int
		n, err = retryEINTR(func() (int, error) { return syscall.Getdents(d.fd, d.s.dirents) })
		if err != nil {
			err = &fs.PathError{Op: "readdirent", Path: ".", Err: err}
			break
		}
		if n <= 0 {
			break
		}
		for buf := d.s.dirents[:n]; len(buf) > 0; {
			// struct linux_dirent64: d_ino (8 bytes), d_off (8), d_reclen
			// (2), d_type (1), then the NUL-terminated name.
			reclen := int(binary.NativeEndian.Uint16(buf[16:]))
			if reclen < 20 || reclen > len(buf) {
				err = &fs.PathError{Op: "readdirent", Path: ".", Err: syscall.EIO}
				break
			}
			rec := buf[:reclen]
			buf = buf[reclen:]
			name := rec[19:]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			if string(name) == "." || string(name) == ".." {
				continue
			}
			names = append(names, name...)
			ends = append(ends, len(names))
			typ, ok := direntType(rec[18])
			found = append(found, listed{typ: typ, ok: ok})
		}
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			break
		}
	}
	d.s.names = names
	// One string holds every name: one allocation per directory. The
	// small records are sorted, then copied into the entries.
	all := string(names)
	start := 0
	for i, end := range ends {
		found[i].name = all[start:end]
		start = end
	}
	slices.SortFunc(found, func(a, b listed) int { return strings.Compare(a.name, b.name) })
	entries := make([]dirEntry, len(found))
	for i, l := range found {
		entries[i] = dirEntry{name: l.name, typ: l.typ, typeKnown: l.ok}
	}
	return entries, err
}

func (d *fdDir) stat(e *dirEntry, buf *statBuf) error {
	buf.path = append(append(buf.path[:0], e.name...), 0)
	for {
		_, _, errno := syscall.Syscall6(sysFstatat, uintptr(d.fd), uintptr(unsafe.Pointer(&buf.path[0])),
			uintptr(unsafe.Pointer(&buf.st)), atNoFollow, 0, 0)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return &fs.PathError{Op: "lstat", Path: e.name, Err: errno}
		}
		break
	}
	e.typ = statType(buf.st.Mode)
	e.size, e.mtime = buf.st.Size, time.Unix(buf.st.Mtim.Sec, buf.st.Mtim.Nsec)
	return nil
}

func retryEINTR(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// direntType gives the type getdents64 reported; ok is false if it did not.
func direntType(t uint8) (typ fs.FileMode, ok bool) {
	switch t {
	case syscall.DT_REG:
		return 0, true
	case syscall.DT_DIR:
		return fs.ModeDir, true
	case syscall.DT_LNK:
		return fs.ModeSymlink, true
	case syscall.DT_FIFO:
		return fs.ModeNamedPipe, true
	case syscall.DT_SOCK:
		return fs.ModeSocket, true
	case syscall.DT_CHR:
		return fs.ModeDevice | fs.ModeCharDevice, true
	case syscall.DT_BLK:
		return fs.ModeDevice, true
	}
	return 0, false
}

func statType(m uint32) fs.FileMode {
	switch m & syscall.S_IFMT {
	case syscall.S_IFREG:
		return 0
	case syscall.S_IFDIR:
		return fs.ModeDir
	case syscall.S_IFLNK:
		return fs.ModeSymlink
	case syscall.S_IFIFO:
		return fs.ModeNamedPipe
	case syscall.S_IFSOCK:
		return fs.ModeSocket
	case syscall.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFBLK:
		return fs.ModeDevice
	}
	return fs.ModeIrregular
}
