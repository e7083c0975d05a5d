import { useEffect, useMemo, useRef, useState } from "react";
import { useClient, useMutation, useQuery } from "urql";
import { Link, useLocation } from "wouter";
import { combinedErrors, noErrors, type FormErrors } from "../api/errors";
import { useCan } from "../auth/AuthGate";
import { RoleRequired } from "../components/RoleRequired";
import { Field } from "../components/Field";
import { ErrorState, Loading } from "../components/States";
import { timeZones } from "../components/timezones";
import { formatTime } from "../format";
import { graphql } from "../gql";
import type { DataSourceFieldsFragment, MisfirePolicy, OverlapPolicy } from "../gql/graphql";
import { describeSchedule } from "../schedule/describe";
import {
  changedFields,
  createInput,
  defaultValues,
  fieldLabels,
  formFields,
  localErrors,
  mergeValues,
  misfireHelp,
  overlapHelp,
  updateInput,
  valuesOf,
  type FormValues,
} from "./formModel";
import { intervalSlots } from "../schedule/preview";

const EditQuery = graphql(`
  query DataSourceForEdit($id: ID!) {
    dataSource(id: $id) {
      ...DataSourceFields
    }
  }
`);

const CreateMutation = graphql(`
  mutation CreateDataSource($input: CreateDataSourceInput!) {
    createDataSource(input: $input) {
      ...DataSourceFields
    }
  }
`);

const UpdateMutation = graphql(`
  mutation UpdateDataSource($id: ID!, $input: UpdateDataSourceInput!, $expectedVersion: Int) {
    updateDataSource(id: $id, input: $input, expectedVersion: $expectedVersion) {
      ...DataSourceFields
    }
  }
`);

const PreviewQuery = graphql(`
  query CronPreview($expression: String!, $timezone: String) {
    cronPreview(expression: $expression, timezone: $timezone, count: 5)
  }
`);

export function NewDataSourcePage() {
  if (!useCan("editDataSources")) return <RoleRequired ability="editDataSources" doing="create datasources" />;
  return <DataSourceForm initial={defaultValues} />;
}

export function DataSourceFormPage({ id }: { id: string }) {
  if (!useCan("editDataSources")) return <RoleRequired ability="editDataSources" doing="edit datasources" />;
  return <EditDataSource id={id} />;
}

function EditDataSource({ id }: { id: string }) {
  const [result, reexecute] = useQuery({ query: EditQuery, variables: { id }, requestPolicy: "network-only" });
  if (result.error && !result.data)
    return (
      <ErrorState
        title="The datasource could not be loaded"
        message={result.error.message}
        retry={() => reexecute({ requestPolicy: "network-only" })}
      />
    );
  if (!result.data) return <Loading what="the datasource" />;
  if (!result.data.dataSource)
    return <ErrorState title="Not found" message="This datasource does not exist, or it was deleted." />;
  // Keyed by id, not version: a newer version (someone else's save, read
  // after a conflict) must not reset what this form holds.
  return <DataSourceForm key={result.data.dataSource.id} existing={result.data.dataSource} />;
}

type Conflict = { current: DataSourceFieldsFragment; changed: (keyof FormValues)[] };

function DataSourceForm({ initial, existing }: { initial?: FormValues; existing?: DataSourceFieldsFragment }) {
  const loaded = useMemo(() => (existing ? valuesOf(existing) : (initial ?? defaultValues)), [existing, initial]);
  const [values, setValues] = useState<FormValues>(loaded);
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [base, setBase] = useState<{ values: FormValues; version: number } | null>(
    existing ? { values: loaded, version: existing.version } : null,
  );
  const [, create] = useMutation(CreateMutation);
  const [, update] = useMutation(UpdateMutation);
  const client = useClient();
  const [, navigate] = useLocation();
  const [saving, setSaving] = useState(false);
  const zones = useMemo(timeZones, []);
  const formRef = useRef<HTMLFormElement>(null);
  // After a failed save, the keyboard goes to the first field at fault.
  useEffect(() => {
    if (errors === noErrors) return;
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"], .form-errors')?.focus();
  }, [errors]);

  const set = <K extends keyof FormValues>(key: K, value: FormValues[K]) =>
    setValues((v) => ({ ...v, [key]: value }));
  const fieldErrors = (field: string) => errors.fields[field];

  const save = async (overwrite?: Conflict) => {
    const local = localErrors(values);
    if (Object.keys(local).length > 0) {
      setErrors({ fields: local, general: ["Correct the fields marked below."], code: "VALIDATION" });
      return;
    }
    setSaving(true);
    setErrors(noErrors);
    const context = { additionalTypenames: ["DataSource"] };
    let savedId: string | undefined;
    let error;
    if (existing) {
      const result = await update(
        {
          id: existing.id,
          input: updateInput(overwrite ? valuesOf(overwrite.current) : base!.values, values),
          expectedVersion: overwrite ? overwrite.current.version : base!.version,
        },
        context,
      );
      savedId = result.data?.updateDataSource.id;
      error = result.error;
    } else {
      const result = await create({ input: createInput(values) }, context);
      savedId = result.data?.createDataSource.id;
      error = result.error;
    }
    setSaving(false);
    if (error) {
      const errs = combinedErrors(error, formFields);
      if (errs.code === "VERSION_CONFLICT" && existing) {
        const fresh = await client.query(EditQuery, { id: existing.id }, { requestPolicy: "network-only" }).toPromise();
        const current = fresh.data?.dataSource;
        if (current) {
          setConflict({ current, changed: changedFields(base!.values, valuesOf(current)) });
          return;
        }
      }
      setErrors(errs);
      return;
    }
    if (savedId) navigate(`/datasources/${savedId}`);
  };

  const reload = () => {
    if (!conflict) return;
    const fresh = valuesOf(conflict.current);
    setValues((mine) => mergeValues(base!.values, mine, fresh));
    setBase({ values: fresh, version: conflict.current.version });
    setConflict(null);
    setErrors(noErrors);
  };

  const overwrite = () => {
    if (!conflict) return;
    const c = conflict;
    setBase({ values: valuesOf(c.current), version: c.current.version });
    setConflict(null);
    void save(c);
  };

  return (
    <section aria-labelledby="form-title">
      <div className="page-head">
        <h1 id="form-title">{existing ? `Edit ${existing.name}` : "New datasource"}</h1>
        <Link href={existing ? `/datasources/${existing.id}` : "/"}>Cancel</Link>
      </div>
      <form
        ref={formRef}
        className="ds-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        {conflict && (
          <div className="conflict" role="alert">
            <strong>Someone else saved this datasource while you were editing it</strong> (now version{" "}
            {conflict.current.version}).{" "}
            {conflict.changed.length > 0
              ? `They changed: ${conflict.changed.map((k) => fieldLabels[k]).join(", ")}.`
              : "Their change touched nothing this form shows."}
            <div className="actions">
              <button type="button" onClick={reload}>
                Reload their version
              </button>{" "}
              <span className="muted small">(keeps your changes to the other fields)</span>
              <button type="button" className="danger" onClick={overwrite}>
                Overwrite with mine
              </button>
            </div>
          </div>
        )}
        {errors.general.length > 0 && (
          <div className="form-errors" role="alert" tabIndex={-1}>
            {errors.general.map((m, i) => (
              <p key={i}>{m}</p>
            ))}
          </div>
        )}
        <fieldset>
          <legend>Datasource</legend>
          <Field label="Name" errors={fieldErrors("name")} hint="Unique, ignoring case.">
            {(p) => <input {...p} value={values.name} required maxLength={200} onChange={(e) => set("name", e.target.value)} />}
          </Field>
          <Field label="Description" errors={fieldErrors("description")}>
            {(p) => <textarea {...p} value={values.description} rows={2} onChange={(e) => set("description", e.target.value)} />}
          </Field>
          <div className="row2">
            <Field label="Supplier" errors={fieldErrors("supplierName")}>
              {(p) => <input {...p} value={values.supplierName} onChange={(e) => set("supplierName", e.target.value)} />}
            </Field>
            <Field label="Category" errors={fieldErrors("category")}>
              {(p) => <input {...p} value={values.category} onChange={(e) => set("category", e.target.value)} />}
            </Field>
          </div>
          <Field label="Directory" errors={fieldErrors("path")} hint="Absolute path of a directory inside one of the server's data roots.">
            {(p) => (
              <input {...p} value={values.path} className="mono" placeholder="/data/inbox/supplier" onChange={(e) => set("path", e.target.value)} />
            )}
          </Field>
          <Field label="File pattern" errors={fieldErrors("filePattern")} hint="Glob relative to the directory: *, ?, **, [a-z], {a,b}.">
            {(p) => (
              <input {...p} value={values.filePattern} className="mono" onChange={(e) => set("filePattern", e.target.value)} />
            )}
          </Field>
          <label className="check">
            <input type="checkbox" checked={values.enabled} onChange={(e) => set("enabled", e.target.checked)} /> Enabled
            (a disabled datasource is kept but never scheduled)
          </label>
        </fieldset>

        <fieldset>
          <legend>Schedule</legend>
          {fieldErrors("schedule") && <ul className="field-errors">{fieldErrors("schedule")!.map((m, i) => <li key={i}>{m}</li>)}</ul>}
          <div className="segmented" role="radiogroup" aria-label="Schedule type">
            {(["cron", "interval"] as const).map((kind) => (
              <label key={kind} className="radio">
                <input
                  type="radio"
                  name="scheduleKind"
                  value={kind}
                  checked={values.scheduleKind === kind}
                  onChange={() => set("scheduleKind", kind)}
                />{" "}
                {kind === "cron" ? "Cron expression" : "Fixed interval"}
              </label>
            ))}
          </div>
          {values.scheduleKind === "cron" ? (
            <Field
              label="Cron expression"
              errors={fieldErrors("schedule.cron")}
              hint="6–7 fields: Quartz (sec min hour day month weekday [year], 1 = Sunday). 5 fields: Unix (0 = Sunday). Or @hourly, @daily…"
            >
              {(p) => <input {...p} value={values.cron} className="mono" onChange={(e) => set("cron", e.target.value)} />}
            </Field>
          ) : (
            <div className="row2">
              <Field label="Interval" errors={fieldErrors("schedule.interval")} hint='Go duration: "30s", "5m", "1h30m"; at least 1s.'>
                {(p) => <input {...p} value={values.interval} className="mono" onChange={(e) => set("interval", e.target.value)} />}
              </Field>
              <Field label="Anchor (optional)" errors={fieldErrors("schedule.anchor")} hint="RFC 3339 instant slots are counted from; default 1970-01-01T00:00:00Z.">
                {(p) => <input {...p} value={values.anchor} className="mono" placeholder="1970-01-01T00:00:00Z" onChange={(e) => set("anchor", e.target.value)} />}
              </Field>
            </div>
          )}
          <Field label="Time zone" errors={fieldErrors("schedule.timezone")} hint="IANA name; type to search.">
            {(p) => (
              <>
                <input {...p} value={values.timezone} list="timezones" autoComplete="off" onChange={(e) => set("timezone", e.target.value)} />
                <datalist id="timezones">
                  {zones.map((z) => (
                    <option key={z} value={z} />
                  ))}
                </datalist>
              </>
            )}
          </Field>
          <SchedulePreview values={values} fieldHasError={!!fieldErrors("schedule.cron") || !!fieldErrors("schedule.interval")} />
          <PolicyChoice
            legend="Misfire policy"
            name="misfirePolicy"
            value={values.misfirePolicy}
            help={misfireHelp}
            errors={fieldErrors("schedule.misfirePolicy")}
            onChange={(v) => set("misfirePolicy", v)}
          />
          <PolicyChoice
            legend="Overlap policy"
            name="overlapPolicy"
            value={values.overlapPolicy}
            help={overlapHelp}
            errors={fieldErrors("schedule.overlapPolicy")}
            onChange={(v) => set("overlapPolicy", v)}
          />
          <label className="check">
            <input type="checkbox" checked={values.paused} onChange={(e) => set("paused", e.target.checked)} /> Paused (plan
            nothing until resumed)
          </label>
        </fieldset>

        <fieldset>
          <legend>Runs and discovery</legend>
          <div className="row3">
            <Field label="Attempts per run" errors={fieldErrors("maxAttempts")} hint="1–25; retries back off 1 s, 2 s, 4 s…">
              {(p) => <input {...p} value={values.maxAttempts} inputMode="numeric" onChange={(e) => set("maxAttempts", e.target.value)} />}
            </Field>
            <Field label="Run timeout" errors={fieldErrors("runTimeout")} hint="Go duration, 1s–24h.">
              {(p) => <input {...p} value={values.runTimeout} className="mono" onChange={(e) => set("runTimeout", e.target.value)} />}
            </Field>
            <Field label="Minimum file age" errors={fieldErrors("minFileAge")} hint="How long a file must stay unchanged before it counts.">
              {(p) => <input {...p} value={values.minFileAge} className="mono" onChange={(e) => set("minFileAge", e.target.value)} />}
            </Field>
          </div>
          <div className="row3">
            <Field label="Files per run" errors={fieldErrors("maxFilesPerRun")} hint="1–1,000,000; the rest continue next run.">
              {(p) => <input {...p} value={values.maxFilesPerRun} inputMode="numeric" onChange={(e) => set("maxFilesPerRun", e.target.value)} />}
            </Field>
          </div>
          <label className="check">
            <input type="checkbox" checked={values.hashFiles} onChange={(e) => set("hashFiles", e.target.checked)} /> Compute a
            SHA-256 of each discovered file
          </label>
        </fieldset>
        <div className="actions">
          <button type="submit" className="primary" disabled={saving}>
            {saving ? "Saving…" : existing ? "Save changes" : "Create datasource"}
          </button>
        </div>
      </form>
    </section>
  );
}

function PolicyChoice<P extends MisfirePolicy | OverlapPolicy>({
  legend,
  name,
  value,
  help,
  errors,
  onChange,
}: {
  legend: string;
  name: string;
  value: P;
  help: Record<P, string>;
  errors?: readonly string[];
  onChange: (v: P) => void;
}) {
  return (
    <fieldset className="policy">
      <legend>{legend}</legend>
      {(Object.keys(help) as P[]).map((p) => (
        <label key={p} className="radio">
          <input type="radio" name={name} value={p} checked={value === p} onChange={() => onChange(p)} />{" "}
          <code>{p}</code> — {help[p]}
        </label>
      ))}
      {errors && <ul className="field-errors">{errors.map((m, i) => <li key={i}>{m}</li>)}</ul>}
    </fieldset>
  );
}

/** The schedule in words and its next fire times, as the server computes them. */
function SchedulePreview({ values, fieldHasError }: { values: FormValues; fieldHasError: boolean }) {
  const [debounced, setDebounced] = useState({ cron: values.cron, timezone: values.timezone });
  useEffect(() => {
    const t = setTimeout(() => setDebounced({ cron: values.cron.trim(), timezone: values.timezone.trim() || "UTC" }), 300);
    return () => clearTimeout(t);
  }, [values.cron, values.timezone]);
  const isCron = values.scheduleKind === "cron";
  const [preview] = useQuery({
    query: PreviewQuery,
    variables: { expression: debounced.cron, timezone: debounced.timezone },
    pause: !isCron || debounced.cron === "",
    requestPolicy: "cache-first",
  });
  const words = describeSchedule(isCron ? { cron: values.cron } : { interval: values.interval });
  let times: string[] = [];
  let problem: string | null = null;
  if (isCron) {
    times = preview.data?.cronPreview ?? [];
    problem = preview.error ? preview.error.graphQLErrors[0]?.message ?? preview.error.message : null;
  } else {
    const slots = intervalSlots(values.interval, values.anchor, Date.now(), 5);
    if (slots === null) problem = "Not a valid interval yet.";
    else times = slots;
  }
  return (
    <div className="preview" aria-live="polite">
      <div>
        <strong>{words}</strong>
      </div>
      {problem ? (
        // The field shows the server's message after a save; once is enough.
        !fieldHasError && <p className="error-text">{problem}</p>
      ) : (
        <>
          <span className="muted">Next fire times ({values.timezone || "UTC"}):</span>
          <ol className="fire-times">
            {times.map((t) => (
              <li key={t}>
                <time dateTime={t}>{formatTime(t, values.timezone || "UTC")}</time>
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}
