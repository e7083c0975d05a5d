package devstack

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
)

// portFree reports whether 127.0.0.1:port can be listened on right now.
func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// freePort asks the kernel for a free port on 127.0.0.1. Another process may
// take it before we use it; that is unlikely enough for a dev machine.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port on 127.0.0.1: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// choosePort returns requested if it is set (and free), else recorded if
// that is set and free, else a free port. what names the service in
// messages.
func choosePort(requested, recorded int, what string, log io.Writer) (int, error) {
	if requested != 0 {
		if !portFree(requested) {
			return 0, fmt.Errorf("%s: port %d on 127.0.0.1 is already in use; choose another port, or 0 for a free one", what, requested)
		}
		return requested, nil
	}
	if recorded != 0 && portFree(recorded) {
		return recorded, nil
	}
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	if recorded != 0 {
		fmt.Fprintf(log, "%s: port %d of the previous start is in use; using port %d instead\n", what, recorded, port)
	}
	return port, nil
}

// writeFileAtomic replaces path with data via a temporary file and rename,
// so readers never see a half-written file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails harmlessly after the rename
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
