/** IANA time zones the browser knows, UTC first. */
export function timeZones(): string[] {
  let zones: string[] = [];
  try {
    zones = Intl.supportedValuesOf("timeZone");
  } catch {
    // Older browsers: the datalist only offers UTC; typing any zone still works.
  }
  return ["UTC", ...zones.filter((z) => z !== "UTC")];
}

export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}
