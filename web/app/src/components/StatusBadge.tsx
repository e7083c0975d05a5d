import type { RunStatus } from "../gql/graphql";

const labels: Record<RunStatus, string> = {
  SCHEDULED: "Scheduled",
  RUNNING: "Running",
  RETRYING: "Retrying",
  SUCCEEDED: "Succeeded",
  FAILED: "Failed",
  SKIPPED: "Skipped",
  MISSED: "Missed",
  CANCELLED: "Cancelled",
};

export function StatusBadge({ status }: { status: RunStatus | null }) {
  if (!status) return <span className="badge badge-none">No runs yet</span>;
  return (
    <span className={`badge badge-${status.toLowerCase()}`} data-status={status}>
      {labels[status]}
    </span>
  );
}
