package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/ezplatform/ezplatform/store"
)

const migrateUsage = `usage: ezplatform migrate up | down N | version | force V
  up        apply every pending migration
  down N    revert the last N migrations
  version   print the applied version, the latest known, and whether it is dirty
  force V   mark version V as applied and clean (repair after a failed migration)
The database is EZ_DATABASE_URL.
`

func runMigrate(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		_, _ = io.WriteString(stderr, migrateUsage)
		return 2
	}
	wantArgs := map[string]int{"up": 1, "version": 1, "down": 2, "force": 2}
	if n, ok := wantArgs[args[0]]; !ok || len(args) != n {
		_, _ = io.WriteString(stderr, migrateUsage)
		return 2
	}
	var number int
	if len(args) == 2 {
		n, err := strconv.Atoi(args[1])
		if err != nil || (args[0] == "down" && n < 1) || n < 0 {
			fmt.Fprintf(stderr, "ezplatform migrate %s: %q is not a valid number\n", args[0], args[1])
			return 2
		}
		number = n
	}
	url := getenv("EZ_DATABASE_URL")
	if url == "" {
		fmt.Fprintln(stderr, "ezplatform migrate: EZ_DATABASE_URL is not set (for the dev stack: env $(cat .ezplatform/stack.env) ezplatform migrate ...)")
		return 2
	}
	m, err := store.NewMigrator(url)
	if err != nil {
		fmt.Fprintf(stderr, "ezplatform migrate: %v\n", err)
		return 1
	}
	defer m.Close()

	switch args[0] {
	case "up":
		err = m.Up()
	case "down":
		err = m.Down(number)
	case "force":
		err = m.Force(number)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ezplatform migrate %s: %v\n", args[0], err)
		return 1
	}
	v, dirty, err := m.Version()
	if err != nil {
		fmt.Fprintf(stderr, "ezplatform migrate: %v\n", err)
		return 1
	}
	state := "clean"
	if dirty {
		state = "dirty"
	}
	fmt.Fprintf(stdout, "schema version %d (%s); this binary knows up to %d\n", v, state, store.LatestVersion())
	return 0
}
