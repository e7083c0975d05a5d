// Numbers, sizes, times and durations as the screens show them.

const count = new Intl.NumberFormat("en");

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : count.format(n);
}

export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatDurationMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** "in 12 s", "3 min ago": a short distance between two instants. */
export function formatRelative(at: string | null | undefined, now: number): string {
  if (!at) return "—";
  const diff = Date.parse(at) - now;
  const abs = Math.abs(diff);
  let text: string;
  if (abs < 1000) return diff >= 0 ? "now" : "just now";
  if (abs < 60_000) text = `${Math.round(abs / 1000)} s`;
  else if (abs < 3_600_000) text = `${Math.round(abs / 60_000)} min`;
  else if (abs < 86_400_000) text = `${Math.round(abs / 3_600_000)} h`;
  else text = `${Math.round(abs / 86_400_000)} d`;
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

const timeFormats = new Map<string, Intl.DateTimeFormat>();

/** An instant as a date and time in a time zone (the browser's by default). */
export function formatTime(at: string | null | undefined, timeZone?: string): string {
  if (!at) return "—";
  const key = timeZone ?? "";
  let format = timeFormats.get(key);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat("en-GB", {
        dateStyle: "medium",
        timeStyle: "medium",
        timeZone,
      });
    } catch {
      format = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "medium" });
    }
    timeFormats.set(key, format);
  }
  return format.format(new Date(at));
}
