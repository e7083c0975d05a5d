import { formatCount } from "../format";

type Day = { day: string; files: number; records: number };

/**
 * Files (bars) and records (the line) per day, as a small SVG; the same
 * figures are in a table for screen readers.
 */
export function FilesChart({ days }: { days: readonly Day[] }) {
  if (days.length === 0) return null;
  const width = 560;
  const height = 90;
  const step = width / days.length;
  const maxFiles = Math.max(1, ...days.map((d) => d.files));
  const maxRecords = Math.max(1, ...days.map((d) => d.records));
  const line = days
    .map((d, i) => `${(i + 0.5) * step},${height - 2 - (d.records / maxRecords) * (height - 12)}`)
    .join(" ");
  const total = days.reduce((a, d) => ({ files: a.files + d.files, records: a.records + d.records }), { files: 0, records: 0 });
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby="chart-caption" preserveAspectRatio="none">
        {days.map((d, i) => {
          const h = (d.files / maxFiles) * (height - 8);
          return (
            <rect key={d.day} className="bar" x={i * step + 2} y={height - h} width={Math.max(1, step - 4)} height={h}>
              <title>{`${d.day}: ${formatCount(d.files)} files, ${formatCount(d.records)} records`}</title>
            </rect>
          );
        })}
        <polyline className="line" points={line} fill="none" />
      </svg>
      <div className="axis small muted" aria-hidden="true">
        <span>{days[0]!.day}</span>
        <span>{days[days.length - 1]!.day}</span>
      </div>
      <figcaption id="chart-caption">
        Last {days.length} days: {formatCount(total.files)} files (bars), {formatCount(total.records)} records (line).
      </figcaption>
      <table className="visually-hidden">
        <caption>Files and records per day</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Files</th>
            <th scope="col">Records</th>
          </tr>
        </thead>
        <tbody>
          {days.map((d) => (
            <tr key={d.day}>
              <td>{d.day}</td>
              <td>{d.files}</td>
              <td>{d.records}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
