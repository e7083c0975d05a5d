import { useNow } from "../live/hooks";
import { formatRelative, formatTime } from "../format";

/** An instant and its distance from now, updated every second. */
export function Countdown({ at, timeZone }: { at: string | null; timeZone?: string }) {
  const now = useNow();
  if (!at) return <span className="muted">—</span>;
  return (
    <time dateTime={at} title={formatTime(at, timeZone)}>
      {formatRelative(at, now)}
    </time>
  );
}
