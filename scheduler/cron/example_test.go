package cron_test

import (
	"fmt"
	"time"

	"github.com/ezplatform/ezplatform/scheduler/cron"
)

func ExampleParse() {
	e, err := cron.Parse("0 15 10 ? * 6L") // 10:15 on the last Friday of every month
	if err != nil {
		panic(err)
	}
	for _, at := range cron.Upcoming(e, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 3) {
		fmt.Println(at.Format(time.DateTime))
	}
	// Output:
	// 2026-01-30 10:15:00
	// 2026-02-27 10:15:00
	// 2026-03-27 10:15:00
}

func ExampleParse_error() {
	_, err := cron.Parse("0 0 12 ? * 8")
	fmt.Println(err)
	// Output:
	// cron: dayOfWeek: value 8 out of range 1-7 (Quartz numbering, 1=SUN) in "0 0 12 ? * 8"
}

func ExampleExpression_Next() {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	e, err := cron.Parse("0 30 2 * * ?") // 02:30 does not exist on 2026-03-08 in New York
	if err != nil {
		panic(err)
	}
	at := time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC).In(ny)
	for range 2 {
		at = e.Next(at)
		fmt.Println(at.Format(time.DateTime + " MST"))
	}
	// Output:
	// 2026-03-08 03:00:00 EDT
	// 2026-03-09 02:30:00 EDT
}
