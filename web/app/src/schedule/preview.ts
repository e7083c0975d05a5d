import { parseGoDuration } from "./duration";

/**
 * The next n slots of an anchored interval after now: slot k is
 * anchor + k·interval (docs/SCHEDULES.md), as RFC 3339 strings; null when
 * the interval or the anchor does not parse.
 */
export function intervalSlots(interval: string, anchor: string, now: number, n: number): string[] | null {
  const every = parseGoDuration(interval);
  if (every === null || every < 1000) return null;
  const origin = anchor.trim() === "" ? 0 : Date.parse(anchor);
  if (Number.isNaN(origin)) return null;
  const k = Math.floor((now - origin) / every) + 1;
  return Array.from({ length: n }, (_, i) => new Date(origin + (k + i) * every).toISOString());
}
