import { describe as suite, expect, it } from "vitest";
// Shared with scheduler/cron's TestDescribedTable, which checks that the
// server's parser fires exactly at `next`.
import table from "../../../../scheduler/cron/testdata/described.json";
import {
  describeCron,
  describeInterval,
  describeSchedule,
  INVALID_SCHEDULE,
  NO_SCHEDULE,
  parseGoDurationNs,
} from "./describe";

interface Row {
  expression: string;
  timezone: string;
  from: string;
  next: string[];
  words: string;
}

const rows: Row[] = table;

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const DAY = WEEKDAYS.join("|");
const ORDINALS = ["first", "second", "third", "fourth", "fifth"];

interface Local {
  date: string; // YYYY-MM-DD
  weekday: number; // 0 = Sunday
  day: number;
  daysInMonth: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock date of an instant in a time zone. */
function local(at: string, timeZone: string): Local {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      weekday: "long",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    });
    formats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(at)).map((p) => [p.type, p.value]));
  const year = Number(parts.year);
  const month = Number(parts.month);
  const day = Number(parts.day);
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: WEEKDAYS.indexOf(parts.weekday ?? ""),
    day,
    daysInMonth: new Date(Date.UTC(year, month, 0)).getUTCDate(),
  };
}

/** The weekdays the words allow ("Monday through Friday", "only on Sunday and Saturday"), or null. */
function namedWeekdays(words: string): Set<number> | null {
  const days = new Set<number>();
  for (const m of words.matchAll(new RegExp(`\\b(${DAY})(?: through (${DAY}))?\\b`, "g"))) {
    const from = WEEKDAYS.indexOf(m[1] ?? "");
    const to = m[2] ? WEEKDAYS.indexOf(m[2]) : from;
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d); // ranges wrap: "Friday through Monday"
      if (d === to) break;
    }
  }
  return days.size > 0 ? days : null;
}

/** Unix day fields that are alternatives: "on day 1 of the month, or on Monday". */
function namedDaysOfMonth(words: string): ((day: number) => boolean) | null {
  if (!words.includes(", or ")) return null;
  const single = /on day (\d+) of the month/.exec(words);
  if (single) return (day) => day === Number(single[1]);
  const range = /between day (\d+) and (\d+) of the month/.exec(words);
  if (range) return (day) => day >= Number(range[1]) && day <= Number(range[2]);
  return null;
}

suite("the shared table (scheduler/cron/testdata/described.json)", () => {
  it("has the examples of docs/SCHEDULES.md and scheduler/cron", () => {
    const expressions = new Set(rows.map((r) => r.expression));
    for (const e of [
      "*/30 * * * * ?", "0 * * * * ?", "0 */5 * * * ?", "0 0 */2 * * ?",
      "0 15 10 ? * 6L", "0 15 10 ? * 6#3", "0 15 10 L * ?", "0 15 10 15W * ?",
      "0 0 12 ? * MON-FRI", "0 0 12 ? * 2-6", "0 15 10 ? * 1", "0 15 10 ? * 6L 2002-2005",
      "0 15 10 LW * ?", "0 15 10 L-2 * ?",
      "*/5 * * * *", "0 9 * * 1-5", "30 2 * * 0", "0 0 1 * *", "15 10 * * 7",
      "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly",
    ]) {
      expect(expressions, e).toContain(e);
    }
  });

  for (const row of rows) {
    suite(`${row.expression} (${row.timezone})`, () => {
      it("is described as the table says", () => {
        expect(describeSchedule({ cron: row.expression })).toBe(row.words);
        expect(describeCron(row.expression)).toBe(row.words);
      });

      it("gives next as wall-clock readings in its time zone", () => {
        expect(row.next.length).toBeGreaterThanOrEqual(3);
        for (const at of row.next) {
          expect(local(at, row.timezone).date, at).toBe(at.slice(0, 10));
        }
      });

      // The cross-check with the server: a weekday numbering slip (Quartz
      // 1=SUN, Unix 0=SUN) makes the words name a day the server does not fire on.
      const weekdays = namedWeekdays(row.words);
      if (weekdays) {
        it("fires on the weekdays its words name", () => {
          const dayOfMonth = namedDaysOfMonth(row.words);
          for (const at of row.next) {
            const l = local(at, row.timezone);
            const ok = weekdays.has(l.weekday) || (dayOfMonth?.(l.day) ?? false);
            expect(ok, `${at} is a ${WEEKDAYS[l.weekday]} (${row.words})`).toBe(true);
          }
        });
      }

      const nth = new RegExp(`on the (${ORDINALS.join("|")}|last) (${DAY}) of the month`).exec(row.words);
      if (nth) {
        it(`fires on the ${nth[1]} ${nth[2]} of the month`, () => {
          for (const at of row.next) {
            const l = local(at, row.timezone);
            expect(WEEKDAYS[l.weekday], at).toBe(nth[2]);
            if (nth[1] === "last") expect(l.day + 7, at).toBeGreaterThan(l.daysInMonth);
            else expect(Math.floor((l.day - 1) / 7), at).toBe(ORDINALS.indexOf(nth[1] ?? ""));
          }
        });
      }

      // Catches reading Quartz's six fields as min hour dom month dow year.
      const time = /^At (\d\d:\d\d(?::\d\d)?)(?:,|$)/.exec(row.words);
      if (time && row.timezone === "UTC") {
        it(`fires at ${time[1]}`, () => {
          const want = time[1]?.length === 5 ? `${time[1]}:00` : time[1];
          for (const at of row.next) expect(at.slice(11, 19), at).toBe(want);
        });
      }
    });
  }
});

suite("Quartz corrections", () => {
  it.each([
    // Upper case first: cronstrue reads a lower-case l as nothing.
    ["0 15 10 ? * fril", "At 10:15, on the last Friday of the month"],
    ["0 0 12 ? * 6l", "At 12:00, on the last Friday of the month"],
    ["0 0 12 lw * ?", "At 12:00, on the last weekday of the month"],
    ["0 0 12 15w * ?", "At 12:00, on the weekday nearest day 15 of the month"],
    ["0 0 12 l-2 * ?", "At 12:00, 2 days before the last day of the month"],
    // L-nW: cronstrue refuses it.
    ["0 0 12 L-3W * ?", "At 12:00, on the weekday nearest 3 days before the last day of the month"],
    ["0 0 12 L-1W * ?", "At 12:00, on the weekday nearest the day before the last day of the month"],
    ["0 0 12 L-0W * ?", "At 12:00, on the last weekday of the month"],
    ["0 0 12 L-0 * ?", "At 12:00, on the last day of the month"],
    // Years end at 2099.
    ["0 0 0 1 1 ? 2030/20", "At 00:00, on day 1 of the month, only in January, every 20 years, 2030 through 2099"],
    ["0 0 0 1 1 ? */10", "At 00:00, on day 1 of the month, only in January, every 10 years, 1970 through 2099"],
    // Six fields are always seconds first.
    ["0 0 12 ? * 6#3", "At 12:00, on the third Friday of the month"],
    ["30 15 10 ? * 1", "At 10:15:30, only on Sunday"],
    // Quartz: 1=SUN … 7=SAT, L alone is Saturday.
    ["0 0 12 ? * 1,7", "At 12:00, only on Sunday and Saturday"],
    ["0 0 12 ? * L", "At 12:00, only on Saturday"],
    ["0 0 12 ? * 1#1", "At 12:00, on the first Sunday of the month"],
    ["0 0 12 ? * 7#2", "At 12:00, on the second Saturday of the month"],
  ])("%s", (expression, words) => {
    expect(describeCron(expression)).toBe(words);
  });
});

suite("Unix", () => {
  it.each([
    // 0=SUN, and 7 is another Sunday.
    ["0 0 * * 0", "At 00:00, only on Sunday"],
    ["0 0 * * 7", "At 00:00, only on Sunday"],
    ["0 0 * * 0,7", "At 00:00, only on Sunday"],
    ["0 0 * * 0-7", "At 00:00, Sunday through Saturday"],
    ["0 0 * * 1-5", "At 00:00, Monday through Friday"],
    // crontab(5): both day fields restricted means either; a * step in one means both.
    ["0 0 1 * 1", "At 00:00, on day 1 of the month, or on Monday"],
    ["0 12 1-7 * 1-5", "At 12:00, between day 1 and 7 of the month, or Monday through Friday"],
    ["0 0 */2 * 1", "At 00:00, every 2 days in a month, only on Monday"],
    ["0 0 15 * ?", "At 00:00, on day 15 of the month"],
  ])("%s", (expression, words) => {
    expect(describeCron(expression)).toBe(words);
  });
});

suite("descriptors", () => {
  it.each([
    ["@yearly", "0 0 1 1 *"],
    ["@annually", "0 0 1 1 *"],
    ["@monthly", "0 0 1 * *"],
    ["@weekly", "0 0 * * 0"],
    ["@daily", "0 0 * * *"],
    ["@midnight", "0 0 * * *"],
    ["@hourly", "0 * * * *"],
    ["@DAILY", "0 0 * * *"],
    [" @Weekly ", "0 0 * * 0"],
  ])("%s reads as %s", (descriptor, unix) => {
    const words = describeCron(descriptor);
    expect(words).not.toBe(INVALID_SCHEDULE);
    expect(words).toBe(describeCron(unix));
  });

  it("says what they mean", () => {
    expect(describeCron("@hourly")).toBe("Every hour");
    expect(describeCron("@daily")).toBe("At 00:00");
    expect(describeCron("@weekly")).toBe("At 00:00, only on Sunday");
    expect(describeCron("@monthly")).toBe("At 00:00, on day 1 of the month");
    expect(describeCron("@yearly")).toBe("At 00:00, on day 1 of the month, only in January");
  });

  it.each(["@reboot", "@every 5m", "@every", "@weekly 1", "@fortnightly", "@"])(
    "refuses %s as the server does",
    (descriptor) => {
      expect(describeCron(descriptor)).toBe(INVALID_SCHEDULE);
    },
  );
});

suite("intervals", () => {
  it.each([
    ["30s", "Every 30 seconds"],
    ["5m", "Every 5 minutes"],
    ["1h30m", "Every 1 hour 30 minutes"],
    ["90s", "Every 1 minute 30 seconds"],
    ["1.5h", "Every 1 hour 30 minutes"],
    ["2h0m0s", "Every 2 hours"],
    ["1h", "Every hour"],
    ["1m", "Every minute"],
    ["1s", "Every second"],
    ["2s", "Every 2 seconds"],
    ["15m", "Every 15 minutes"],
    ["24h", "Every 24 hours"],
    ["36h", "Every 36 hours"],
    ["1h1m1s", "Every 1 hour 1 minute 1 second"],
    ["+10m", "Every 10 minutes"],
    [" 10m ", "Every 10 minutes"],
    ["0.5m", "Every 30 seconds"],
    [".5h", "Every 30 minutes"],
    ["1.s", "Every second"],
    ["3600s", "Every hour"],
    ["1h60m", "Every 2 hours"],
    // Below the server's 1s minimum, but still words.
    ["500ms", "Every 500 milliseconds"],
    ["1.5s", "Every 1 second 500 milliseconds"],
    ["1µs", "Every microsecond"],
    ["1μs", "Every microsecond"],
    ["2us", "Every 2 microseconds"],
    ["7ns", "Every 7 nanoseconds"],
  ])("%s", (interval, words) => {
    expect(describeInterval(interval)).toBe(words);
    expect(describeSchedule({ interval })).toBe(words);
    expect(describeSchedule({ cron: null, interval })).toBe(words);
  });

  it.each(["", " ", "0", "0s", "-5s", "-0", "5", "5x", "m", ".", ".s", "1h.", "3m-2s", "1e3s", "1 h", "1,5h", "1H", "9223372036854775808ns", "2562047h47m16.854775808s", "PT5M"])(
    "refuses %j",
    (interval) => {
      expect(() => describeInterval(interval)).not.toThrow();
      expect(describeInterval(interval)).toBe(INVALID_SCHEDULE);
    },
  );

  // What Go's time.ParseDuration returns, in nanoseconds (null: an error).
  it.each([
    ["30s", 30000000000n],
    ["1h30m", 5400000000000n],
    ["1.5h", 5400000000000n],
    ["2h0m0s", 7200000000000n],
    ["500ms", 500000000n],
    ["1.s", 1000000000n],
    [".5s", 500000000n],
    ["0", 0n],
    ["-5s", -5000000000n],
    ["+3m", 180000000000n],
    ["1µs", 1000n],
    ["1μs", 1000n],
    ["9223372036854775807ns", 9223372036854775807n],
    ["2562047h47m16.854775807s", 9223372036854775807n],
    ["0.000000001s", 1n],
    ["1.0000000001s", 1000000000n],
    ["1.23456789012345678901234567890h", 4444444404444n],
    ["0.3333333333333333333333h", 1200000000000n],
    ["1.9999999999999999999s", 2000000000n],
    [".", null],
    ["5", null],
    ["5x", null],
    ["3m-2s", null],
    ["1h.", null],
    ["1e3s", null],
    ["9223372036854775808ns", null],
    ["2562047h47m16.854775808s", null],
  ])("parses %s as Go does", (text, ns) => {
    expect(parseGoDurationNs(text)).toBe(ns);
  });
});

suite("describeSchedule", () => {
  it("takes exactly one of cron and interval, as the server does", () => {
    expect(describeSchedule({ cron: "0 */5 * * * ?" })).toBe("Every 5 minutes");
    expect(describeSchedule({ cron: "0 */5 * * * ?", interval: null })).toBe("Every 5 minutes");
    expect(describeSchedule({ cron: " ", interval: "5m" })).toBe("Every 5 minutes");
    expect(describeSchedule({ cron: "0 */5 * * * ?", interval: "5m" })).toBe(INVALID_SCHEDULE);
    expect(describeSchedule({})).toBe(NO_SCHEDULE);
    expect(describeSchedule({ cron: null, interval: null })).toBe(NO_SCHEDULE);
    expect(describeSchedule({ cron: "", interval: "" })).toBe(NO_SCHEDULE);
    expect(describeSchedule(null)).toBe(NO_SCHEDULE);
    expect(describeSchedule(undefined)).toBe(NO_SCHEDULE);
  });

  it.each([
    "",
    "* * * *",
    "1 2 3 4 5 6 7 8",
    "0 0 12 ? * 0", // Quartz has no 0 in day-of-week
    "0 0 12 ? * 8",
    "0 0 12 15 * MON", // both day fields restricted
    "0 0 ? * * ?", // ? outside the day fields
    "0 0 12 ? * L-2",
    "0 0 12 6#3 * ?",
    "0 0 12 ? * 6#6",
    "0 0 12 ? * 6#3,2",
    "0 0 12 LW,15 * ?",
    "0 0 12 L-31 * ?",
    "0 0 12 ? * 0L",
    "0 0 12 W * ?",
    "0 0 * * 5L", // L, W and # are Quartz extensions
    "0 0 L * *",
    "0 0 15W * *",
    "0 0 * * 5#3",
    "60 * * * * ?",
    "* 24 * * *",
    "0 0 0 32 * ?",
    "0 0 0 1 13 ?",
    "0 0 0 1 1 ? 1e3",
    "abc",
    "0 0 12 * * ? * *",
    "*/0 * * * * ?",
    "* ".repeat(200),
  ])("refuses %j without throwing", (cron) => {
    expect(() => describeSchedule({ cron })).not.toThrow();
    expect(describeCron(cron)).toBe(INVALID_SCHEDULE);
  });

  it("never throws", () => {
    // Deterministic noise from the characters cron and durations are made of.
    const chars = "0123456789 */-,?LW#@.hmsuµnFRIMONSUN\t";
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let i = 0; i < 3000; i++) {
      let s = "";
      for (let j = rand(24); j > 0; j--) s += chars[rand(chars.length)];
      expect(() => describeSchedule({ cron: s })).not.toThrow();
      expect(() => describeSchedule({ interval: s })).not.toThrow();
      expect(typeof describeCron(s)).toBe("string");
    }
  });
});
