import { useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorText } from "../api/errors";
import { useCan, useViewer } from "../auth/AuthGate";
import { roleName } from "../auth/roles";
import { Field } from "../components/Field";
import { RoleRequired } from "../components/RoleRequired";
import { ErrorState, Loading, Empty } from "../components/States";
import { RevokeDialog } from "../components/RevokeDialog";
import { SecretPanel } from "../components/SecretPanel";
import { formatTime } from "../format";
import { graphql } from "../gql";
import type { ApiTokenFieldsFragment } from "../gql/graphql";
import { emptyTokenForm, roles, tokenInput, tokenState, canRevoke, type TokenFormErrors, type TokenFormValues } from "./tokensModel";

graphql(`
  fragment ApiTokenFields on ApiToken {
    name
    role
    createdAt
    createdBy
    lastUsedAt
    expiresAt
    revokedAt
  }
`);

const TokensQuery = graphql(`
  query ApiTokens {
    apiTokens {
      ...ApiTokenFields
    }
  }
`);

const CreateTokenMutation = graphql(`
  mutation CreateApiToken($input: CreateApiTokenInput!) {
    createApiToken(input: $input) {
      secret
      token {
        ...ApiTokenFields
      }
    }
  }
`);

/** The tokens query is invalidated by any mutation returning an ApiToken, even while the list is empty. */
const tokensContext = { additionalTypenames: ["ApiToken"] };

/** ADMIN only: every API token, creating one (its secret shown once) and revoking one. */
export function TokensPage() {
  if (!useCan("manageTokens")) return <RoleRequired ability="manageTokens" doing="manage API tokens" />;
  return <Tokens />;
}

function Tokens() {
  const viewer = useViewer();
  const context = useMemo(() => tokensContext, []);
  const [result, reexecute] = useQuery({ query: TokensQuery, context });
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiTokenFieldsFragment | null>(null);
  const now = new Date();

  return (
    <section aria-labelledby="tokens-title">
      <div className="page-head">
        <div>
          <h1 id="tokens-title">API tokens</h1>
          <p className="muted">
            Every token, newest first. A token is a bearer secret: whoever holds it acts with its role. Only its SHA-256 hash is stored.
            {!viewer.authEnabled && " This replica runs without authentication, so tokens matter only once it requires them."}
          </p>
        </div>
      </div>
      {created && <SecretPanel name={created.name} secret={created.secret} onDone={() => setCreated(null)} />}
      <CreateTokenForm onCreated={(name, secret) => setCreated({ name, secret })} />
      {revoking && (
        <RevokeDialog
          name={revoking.name}
          own={viewer.authEnabled && revoking.name === viewer.tokenName}
          onCancel={() => setRevoking(null)}
          onRevoked={() => setRevoking(null)}
        />
      )}
      <h2>Tokens</h2>
      {result.error && !result.data ? (
        <ErrorState title="The tokens could not be loaded" message={errorText(result.error)} retry={() => reexecute({ requestPolicy: "network-only" })} />
      ) : !result.data ? (
        <Loading what="the tokens" />
      ) : result.data.apiTokens.length === 0 ? (
        <Empty>No tokens yet. Create one above, or on the command line with ezplatform token create.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="tokens">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {result.data.apiTokens.map((t) => {
                const state = tokenState(t, now);
                return (
                  <tr key={`${t.name}-${t.createdAt}`} data-token={t.name} data-state={state}>
                    <td className="mono">{t.name}</td>
                    <td>{roleName(t.role)}</td>
                    <td>
                      {formatTime(t.createdAt)}
                      <div className="muted small">{t.createdBy ? `by ${t.createdBy}` : "on the command line"}</div>
                    </td>
                    <td>{t.lastUsedAt ? formatTime(t.lastUsedAt) : <span className="muted">never</span>}</td>
                    <td>{t.expiresAt ? formatTime(t.expiresAt) : <span className="muted">never</span>}</td>
                    <td>
                      {state === "revoked" ? (
                        <span className="pill pill-revoked">Revoked {formatTime(t.revokedAt)}</span>
                      ) : state === "expired" ? (
                        <span className="pill pill-paused">Expired</span>
                      ) : (
                        <span className="pill pill-on">Active</span>
                      )}
                    </td>
                    <td>
                      {canRevoke(t) && (
                        <button type="button" className="danger" onClick={() => setRevoking(t)} aria-label={`Revoke ${t.name}`}>
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function CreateTokenForm({ onCreated }: { onCreated: (name: string, secret: string) => void }) {
  const [values, setValues] = useState<TokenFormValues>(emptyTokenForm);
  const [errors, setErrors] = useState<TokenFormErrors>({});
  const [state, create] = useMutation(CreateTokenMutation);
  const set = <K extends keyof TokenFormValues>(key: K, value: TokenFormValues[K]) => setValues((v) => ({ ...v, [key]: value }));
  const fieldErrors = (key: keyof TokenFormValues) => (errors[key] ? [errors[key]!] : undefined);

  return (
    <form
      className="token-form"
      aria-labelledby="create-token-title"
      onSubmit={async (e) => {
        e.preventDefault();
        const checked = tokenInput(values, new Date());
        if ("errors" in checked) {
          setErrors(checked.errors);
          return;
        }
        setErrors({});
        const result = await create({ input: checked.input });
        const made = result.data?.createApiToken;
        if (made) {
          setValues(emptyTokenForm);
          onCreated(made.token.name, made.secret);
        }
      }}
    >
      <fieldset>
        <legend id="create-token-title">Create a token</legend>
        <div className="row3">
          <Field label="Token name" errors={fieldErrors("name")} hint="Who or what uses it, e.g. ci-deploy or alice.">
            {(p) => <input {...p} value={values.name} onChange={(e) => set("name", e.target.value)} autoComplete="off" spellCheck={false} />}
          </Field>
          <Field label="Role" errors={fieldErrors("role")} hint="Viewer reads; editor also changes datasources; admin also manages tokens.">
            {(p) => (
              <select {...p} value={values.role} onChange={(e) => set("role", e.target.value as TokenFormValues["role"])}>
                {roles.map((r) => (
                  <option key={r} value={r}>
                    {roleName(r)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Expires" errors={fieldErrors("expires")} hint="Optional, in your time zone; empty: never.">
            {(p) => <input {...p} type="datetime-local" value={values.expires} onChange={(e) => set("expires", e.target.value)} />}
          </Field>
        </div>
        {state.error && (
          <p className="error-text" role="alert">
            {errorText(state.error)}
          </p>
        )}
        <div className="actions form-actions">
          <button type="submit" className="primary" disabled={state.fetching}>
            Create token
          </button>
        </div>
      </fieldset>
    </form>
  );
}
