// A schedule in words, with the meaning the server's parser gives it
// (scheduler/cron, docs/SCHEDULES.md):
//
//   6 or 7 fields  Quartz  sec min hour dom month dow [year], 1=SUN … 7=SAT
//   5 fields       Unix    min hour dom month dow, 0=SUN … 6=SAT, 7=SUN, second 0
//   @descriptor    Unix    @yearly @annually @monthly @weekly @daily @midnight @hourly
//   interval       Go duration syntax ("30s", "1h30m"), anchored, real time
//
// cronstrue writes the words. Where cronstrue reads an expression differently
// from scheduler/cron, the expression is adjusted before cronstrue sees it,
// or the affected phrase is replaced (see quartzFields, unixFields and
// Descriptor). scheduler/cron/testdata/described.json pins the examples:
// the Go test checks its fire times, describe.test.ts its words.

import cronstrue from "cronstrue";

// cronstrue is CommonJS with exports.default = the class. Vitest hands
// over the class as the default export, but Vite's build (this package is
// "type": "module", so Node's interop) hands over the exports object.
const ExpressionDescriptor: typeof cronstrue =
  (cronstrue as unknown as { default?: typeof cronstrue }).default ?? cronstrue;

/** What describeSchedule and friends return for what the server would refuse. */
export const INVALID_SCHEDULE = "Invalid schedule";

/** What describeSchedule returns when there is neither cron nor interval. */
export const NO_SCHEDULE = "No schedule";

export interface ScheduleLike {
  cron?: string | null;
  interval?: string | null;
}

/**
 * The schedule in words: "Every 30 seconds", "At 10:15, on the last Friday of
 * the month", "Every 1 hour 30 minutes". Times are 24-hour wall-clock times
 * in the schedule's time zone. Never throws: what the server would refuse
 * reads INVALID_SCHEDULE, and a schedule with neither cron nor interval
 * NO_SCHEDULE.
 */
export function describeSchedule(s: ScheduleLike | null | undefined): string {
  const cron = (s?.cron ?? "").trim();
  const interval = (s?.interval ?? "").trim();
  if (cron && interval) return INVALID_SCHEDULE; // the server takes exactly one
  if (cron) return describeCron(cron);
  if (interval) return describeInterval(interval);
  return NO_SCHEDULE;
}

// ---------------------------------------------------------------------------
// Cron

type Options = ConstructorParameters<typeof cronstrue>[1];
type Locale = InstanceType<typeof cronstrue>["i18n"];

const MAX_LENGTH = 256; // scheduler/cron refuses longer expressions

/** scheduler/cron's descriptors (parse.go), as Unix expressions. */
const DESCRIPTORS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/** What cronstrue is given, and what to correct in its reading. */
interface Prepared {
  expression: string;
  quartz: boolean;
  /** Unix day fields both restricted: a day matches when either matches. */
  union?: boolean;
  /** Unix day fields, one "*…" step and one restriction: both must match. */
  intersection?: boolean;
  /** Quartz day-of-month L-nW: the weekday nearest n days before the last day. */
  nearestBeforeLast?: number;
}

/** A cron expression or @descriptor in words, or INVALID_SCHEDULE. */
export function describeCron(expression: string): string {
  try {
    const prepared = prepare(expression);
    if (!prepared) return INVALID_SCHEDULE;
    const words = new Descriptor(prepared).describe();
    // cronstrue sometimes describes what it does not understand rather
    // than refusing it.
    if (!words || /undefined|NaN|\bnull\b/.test(words)) return INVALID_SCHEDULE;
    return words;
  } catch {
    return INVALID_SCHEDULE;
  }
}

function prepare(input: string): Prepared | null {
  const text = input.trim();
  if (text === "" || input.length > MAX_LENGTH) return null;
  if (text.startsWith("@")) {
    // cronstrue knows the lower-case descriptors and @reboot; the server
    // knows these, in any case, and refuses @reboot and @every.
    const unix = /^\S+$/.test(text) ? DESCRIPTORS[text.toLowerCase()] : undefined;
    return unix ? unixFields(unix.split(" ")) : null;
  }
  // Upper case: cronstrue only knows L and W in upper case ("6l" would be
  // "Friday" rather than "the last Friday"); the server ignores case.
  const fields = text.toUpperCase().split(/\s+/);
  if (fields.length === 5) return unixFields(fields);
  if (fields.length === 6 || fields.length === 7) return quartzFields(fields);
  return null;
}

const PLAIN = /^[0-9A-Z*/,-]+$/;

function quartzFields(fields: string[]): Prepared | null {
  const [sec, min, hour, dom, month, dow, year = "*"] = fields as [
    string, string, string, string, string, string, string?,
  ];
  for (const f of [sec, min, hour, month, year]) if (!PLAIN.test(f)) return null;
  const prepared: Prepared = { expression: "", quartz: true };

  // Day of month: ? * plain, or one of L L-n LW L-nW nW standing alone.
  let d = dom;
  if (d === "?") d = "*";
  else if (/[LW]/.test(d)) {
    const last = /^L(?:-(\d{1,2}))?(W?)$/.exec(d);
    if (last) {
      const n = Number(last[1] ?? 0);
      if (n > 30) return null;
      if (last[2]) {
        if (n === 0) d = "LW";
        else {
          // cronstrue refuses L-nW; it reads L-n, and Descriptor words it.
          d = `L-${n}`;
          prepared.nearestBeforeLast = n;
        }
      } else {
        d = n === 0 ? "L" : `L-${n}`; // not "0 days before the last day"
      }
    } else if (!/^\d{1,2}W$/.test(d)) return null;
  } else if (!PLAIN.test(d)) return null;

  // Day of week: ? * plain, or one of L nL n#k standing alone.
  let w = dow;
  if (w === "?") w = "*";
  else if (/[L#]/.test(w)) {
    if (!/^(?:L|(?:[1-7]|[A-Z]{3})(?:L|#[1-5]))$/.test(w)) return null;
  } else if (!PLAIN.test(w)) return null;

  // Quartz refuses two day restrictions ("and" or "or"?), and so does the server.
  if (d !== "*" && w !== "*") return null;

  // Years end at 2099 (Quartz): cronstrue would say "2030 through 9999" for 2030/20.
  const y = year
    .split(",")
    .map((part) => {
      const [range, step] = part.split("/");
      if (step === undefined || range === undefined || range.includes("-")) return part;
      return range === "*" ? `1970-2099/${step}` : `${range}-2099/${step}`;
    })
    .join(",");

  // Always seven fields: with six, cronstrue guesses whether the first is
  // seconds or the last a year.
  prepared.expression = [sec, min, hour, d, month, w, y].join(" ");
  return prepared;
}

function unixFields(fields: string[]): Prepared | null {
  const [min, hour, dom, month, dow] = fields as [string, string, string, string, string];
  for (const f of [min, hour, month]) if (!PLAIN.test(f)) return null;
  // L, W and # are Quartz extensions, refused in Unix expressions.
  for (const f of [dom, dow]) if (f !== "?" && !PLAIN.test(f)) return null;
  // No day name contains L, so an L in day-of-week is Quartz's "last".
  if (/[A-Z]/.test(dom) || dow.includes("L")) return null;
  const d = dom === "?" ? "*" : dom;
  // 7 is another Sunday: cronstrue reads 0-7 as "Sunday through Sunday", and
  // lists such as 0,7 as "Sunday and Sunday".
  const w =
    dow === "?"
      ? "*"
      : [...new Set(dow.split(",").map((part) => (part === "7" ? "0" : part.replace(/^0-7(?=\/|$)/, "0-6"))))].join(",");
  // crontab(5): with both day fields restricted (neither starting with *), a
  // day matches when either matches; otherwise both must match.
  const dRestricted = !d.startsWith("*");
  const wRestricted = !w.startsWith("*");
  return {
    expression: [min, hour, d, month, w].join(" "),
    quartz: false,
    union: dRestricted && wRestricted,
    intersection: dRestricted !== wRestricted && d !== "*" && w !== "*",
  };
}

/** English with "or" where Unix day fields are alternatives. */
let unionLocale: Locale | undefined;

function orLocale(en: Locale): Locale {
  if (!unionLocale) {
    // cronstrue joins a day-of-week to a day-of-month with these two phrases
    // only (", and on Monday", ", Monday through Friday").
    unionLocale = Object.assign(Object.create(en) as Locale, {
      commaAndOnX0: () => ", or on %s",
      commaAndX0ThroughX1: () => ", or %s through %s",
    });
  }
  return unionLocale;
}

class Descriptor extends ExpressionDescriptor {
  private readonly prepared: Prepared;

  constructor(prepared: Prepared) {
    const options: Options = {
      throwExceptionOnParseError: true,
      verbose: false,
      // Quartz numbers weekdays 1=SUN … 7=SAT, Unix 0=SUN … 6=SAT (7=SUN).
      dayOfWeekStartIndexZero: !prepared.quartz,
      monthStartIndexZero: false,
      use24HourTimeFormat: true,
      trimHoursLeadingZero: false,
      locale: "en",
      logicalAndDayFields: prepared.intersection ?? false,
    };
    super(prepared.expression, options);
    this.prepared = prepared;
    if (prepared.union) this.i18n = orLocale(this.i18n);
  }

  describe(): string {
    return this.getFullDescription();
  }

  protected override getDayOfMonthDescription(): string | null {
    const n = this.prepared.nearestBeforeLast;
    if (n !== undefined) {
      return `, on the weekday nearest ${n === 1 ? "the day" : `${n} days`} before the last day of the month`;
    }
    return super.getDayOfMonthDescription();
  }
}

// ---------------------------------------------------------------------------
// Intervals

const NS = {
  ns: 1n,
  us: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
} as const;

const UNITS: Readonly<Record<string, bigint>> = {
  ns: NS.ns,
  us: NS.us,
  "µs": NS.us, // U+00B5 micro sign
  "μs": NS.us, // U+03BC Greek small letter mu
  ms: NS.ms,
  s: NS.s,
  m: NS.m,
  h: NS.h,
};

const MAX_DURATION = (1n << 63n) - 1n;

/**
 * Parses Go duration syntax as time.ParseDuration does ("1h30m", "1.5h",
 * "-2s", "0"), exactly, in nanoseconds; null where Go returns an error. The
 * server trims the text first, and so does this. (./duration.ts reads the
 * same syntax as float milliseconds, which is enough to compute slots but
 * not to name every unit of "1h0m0.5s".)
 */
export function parseGoDurationNs(input: string): bigint | null {
  let s = input.trim();
  let neg = false;
  if (s[0] === "-" || s[0] === "+") {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") return null;
  let total = 0n;
  while (s !== "") {
    if (!/^[0-9.]/.test(s)) return null;
    const m = /^([0-9]*)(?:\.([0-9]*))?/.exec(s);
    if (!m) return null;
    const [whole, intPart = "", fracPart] = m;
    if (intPart === "" && !fracPart) return null; // "." or ".s"
    s = s.slice(whole.length);
    const unitMatch = /^[^0-9.]+/.exec(s);
    if (!unitMatch) return null; // missing unit
    const unit = UNITS[unitMatch[0]];
    if (unit === undefined) return null; // unknown unit
    s = s.slice(unitMatch[0].length);

    let v = intPart === "" ? 0n : BigInt(intPart);
    if (v > (1n << 63n) / unit) return null; // overflow
    v *= unit;
    if (fracPart) {
      // As Go: the digits that fit in an int64, then float64 arithmetic.
      let f = 0n;
      let scale = 1;
      for (const c of fracPart) {
        // Go's leadingFraction drops the digits that would overflow.
        if (f > MAX_DURATION / 10n) break;
        const next = f * 10n + BigInt(c.charCodeAt(0) - 48);
        if (next > 1n << 63n) break;
        f = next;
        scale *= 10;
      }
      if (f > 0n) {
        v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
        if (v > 1n << 63n) return null;
      }
    }
    total += v;
    if (total > 1n << 63n) return null;
  }
  if (neg) return -total;
  return total > MAX_DURATION ? null : total;
}

const PARTS: ReadonlyArray<[bigint, string, string]> = [
  [NS.h, "hour", "hours"],
  [NS.m, "minute", "minutes"],
  [NS.s, "second", "seconds"],
  [NS.ms, "millisecond", "milliseconds"],
  [NS.us, "microsecond", "microseconds"],
  [NS.ns, "nanosecond", "nanoseconds"],
];

/**
 * An interval in Go duration syntax in words: "Every 30 seconds", "Every
 * hour", "Every 1 hour 30 minutes" (hours are the largest unit: an interval
 * is real time, and 24h is not always a calendar day). INVALID_SCHEDULE when
 * the text is not a positive duration. Below the server's 1s minimum it
 * still gives the words ("Every 500 milliseconds").
 */
export function describeInterval(interval: string): string {
  const ns = parseGoDurationNs(interval);
  if (ns === null || ns <= 0n) return INVALID_SCHEDULE;
  let rest = ns;
  const parts: Array<[bigint, string, string]> = [];
  for (const [size, one, many] of PARTS) {
    const n = rest / size;
    rest %= size;
    if (n > 0n) parts.push([n, one, many]);
  }
  const [first] = parts;
  if (parts.length === 1 && first && first[0] === 1n) return `Every ${first[1]}`;
  return `Every ${parts.map(([n, one, many]) => `${n} ${n === 1n ? one : many}`).join(" ")}`;
}
