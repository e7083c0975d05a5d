import type {
  CreateDataSourceInput,
  DataSourceFieldsFragment,
  MisfirePolicy,
  OverlapPolicy,
  UpdateDataSourceInput,
} from "../gql/graphql";

// The datasource form's values, and how they become the API's inputs. Kept
// apart from the component so that the mapping is unit-tested.

export type FormValues = {
  name: string;
  description: string;
  supplierName: string;
  category: string;
  path: string;
  filePattern: string;
  enabled: boolean;
  scheduleKind: "cron" | "interval";
  cron: string;
  interval: string;
  anchor: string;
  timezone: string;
  misfirePolicy: MisfirePolicy;
  overlapPolicy: OverlapPolicy;
  paused: boolean;
  maxAttempts: string;
  runTimeout: string;
  minFileAge: string;
  hashFiles: boolean;
  maxFilesPerRun: string;
};

export const defaultValues: FormValues = {
  name: "",
  description: "",
  supplierName: "",
  category: "",
  path: "",
  filePattern: "**/*",
  enabled: true,
  scheduleKind: "cron",
  cron: "0 */5 * * * ?",
  interval: "5m",
  anchor: "",
  timezone: "UTC",
  misfirePolicy: "FIRE_ONCE",
  overlapPolicy: "SKIP",
  paused: false,
  maxAttempts: "3",
  runTimeout: "10m",
  minFileAge: "2s",
  hashFiles: false,
  maxFilesPerRun: "100000",
};

/** The form fields, by the path the server names in extensions.field. */
export const formFields = new Set([
  "name",
  "description",
  "supplierName",
  "category",
  "path",
  "filePattern",
  "enabled",
  "schedule",
  "schedule.cron",
  "schedule.interval",
  "schedule.anchor",
  "schedule.timezone",
  "schedule.misfirePolicy",
  "schedule.overlapPolicy",
  "schedule.paused",
  "maxAttempts",
  "runTimeout",
  "minFileAge",
  "hashFiles",
  "maxFilesPerRun",
]);

export const misfireHelp: Record<MisfirePolicy, string> = {
  FIRE_ONCE: "After an outage, run the latest missed slot once; record the earlier ones as missed.",
  SKIP: "After an outage, record every missed slot as missed and wait for the next one.",
  FIRE_ALL: "After an outage, run every missed slot (up to a cap); record the rest as missed.",
};

export const overlapHelp: Record<OverlapPolicy, string> = {
  SKIP: "If the previous run is still going when a slot comes due, skip the slot.",
  ALLOW: "Start the new run anyway, alongside the previous one.",
  BUFFER_ONE: "Queue the slot and run it when the previous run ends (at most one waits).",
};

export function valuesOf(ds: DataSourceFieldsFragment): FormValues {
  const s = ds.schedule;
  return {
    name: ds.name,
    description: ds.description,
    supplierName: ds.supplierName,
    category: ds.category,
    path: ds.path,
    filePattern: ds.filePattern,
    enabled: ds.enabled,
    scheduleKind: s.interval ? "interval" : "cron",
    cron: s.cron ?? "",
    interval: s.interval ?? "",
    anchor: s.interval ? s.anchor : "",
    timezone: s.timezone,
    misfirePolicy: s.misfirePolicy,
    overlapPolicy: s.overlapPolicy,
    paused: s.paused,
    maxAttempts: String(ds.maxAttempts),
    runTimeout: ds.runTimeout,
    minFileAge: ds.minFileAge,
    hashFiles: ds.hashFiles,
    maxFilesPerRun: String(ds.maxFilesPerRun),
  };
}

/**
 * A whole number as typed, or the text itself when it is not one: the
 * server then refuses it at its field, with its own message, instead of the
 * form silently sending something else.
 */
function integer(text: string): number {
  const t = text.trim();
  return /^-?\d+$/.test(t) ? Number(t) : Number.NaN;
}

function scheduleInput(v: FormValues): CreateDataSourceInput["schedule"] {
  const base = {
    timezone: v.timezone.trim() || "UTC",
    misfirePolicy: v.misfirePolicy,
    overlapPolicy: v.overlapPolicy,
    paused: v.paused,
  };
  if (v.scheduleKind === "cron") return { ...base, cron: v.cron.trim() };
  return { ...base, interval: v.interval.trim(), ...(v.anchor.trim() ? { anchor: v.anchor.trim() } : {}) };
}

/** Local checks the server would also make, found before a round trip. */
export function localErrors(v: FormValues): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const add = (field: string, message: string) => (out[field] ??= []).push(message);
  for (const [field, text] of [
    ["maxAttempts", v.maxAttempts],
    ["maxFilesPerRun", v.maxFilesPerRun],
  ] as const) {
    if (Number.isNaN(integer(text))) add(field, "Enter a whole number.");
  }
  return out;
}

export function createInput(v: FormValues): CreateDataSourceInput {
  return {
    name: v.name,
    description: v.description,
    supplierName: v.supplierName,
    category: v.category,
    path: v.path.trim(),
    filePattern: v.filePattern,
    enabled: v.enabled,
    schedule: scheduleInput(v),
    maxAttempts: integer(v.maxAttempts),
    runTimeout: v.runTimeout.trim(),
    minFileAge: v.minFileAge.trim(),
    hashFiles: v.hashFiles,
    maxFilesPerRun: integer(v.maxFilesPerRun),
  };
}

const scheduleKeys = [
  "scheduleKind",
  "cron",
  "interval",
  "anchor",
  "timezone",
  "misfirePolicy",
  "overlapPolicy",
  "paused",
] as const satisfies readonly (keyof FormValues)[];

/**
 * Only what the user changed since `loaded`: an update leaves other fields
 * as they are on the server, so two people editing different fields do not
 * undo each other. The schedule goes whole when any part of it changed.
 */
export function updateInput(loaded: FormValues, v: FormValues): UpdateDataSourceInput {
  const full = createInput(v);
  const out: UpdateDataSourceInput = {};
  const plain = [
    "name",
    "description",
    "supplierName",
    "category",
    "path",
    "filePattern",
    "enabled",
    "maxAttempts",
    "runTimeout",
    "minFileAge",
    "hashFiles",
    "maxFilesPerRun",
  ] as const;
  for (const key of plain) {
    if (loaded[key] !== v[key]) (out as Record<string, unknown>)[key] = full[key];
  }
  if (scheduleKeys.some((k) => loaded[k] !== v[k])) out.schedule = full.schedule;
  return out;
}

/** Field labels, for saying what someone else changed. */
export const fieldLabels: Record<keyof FormValues, string> = {
  name: "Name",
  description: "Description",
  supplierName: "Supplier",
  category: "Category",
  path: "Directory",
  filePattern: "File pattern",
  enabled: "Enabled",
  scheduleKind: "Schedule type",
  cron: "Cron expression",
  interval: "Interval",
  anchor: "Interval anchor",
  timezone: "Time zone",
  misfirePolicy: "Misfire policy",
  overlapPolicy: "Overlap policy",
  paused: "Paused",
  maxAttempts: "Attempts per run",
  runTimeout: "Run timeout",
  minFileAge: "Minimum file age",
  hashFiles: "Hash files",
  maxFilesPerRun: "Files per run",
};

/** The fields whose values differ between two versions of the form. */
export function changedFields(a: FormValues, b: FormValues): (keyof FormValues)[] {
  return (Object.keys(fieldLabels) as (keyof FormValues)[]).filter((k) => a[k] !== b[k]);
}

/**
 * After a conflict: their version, with the fields only this form changed
 * (since base, what both started from) kept as the form has them.
 */
export function mergeValues(base: FormValues, mine: FormValues, theirs: FormValues): FormValues {
  const out = { ...theirs };
  for (const k of Object.keys(fieldLabels) as (keyof FormValues)[]) {
    if (theirs[k] === base[k] && mine[k] !== base[k]) (out as Record<string, unknown>)[k] = mine[k];
  }
  return out;
}
