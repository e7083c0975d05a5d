-- API tokens and the audit log of mutations.

CREATE TABLE api_tokens (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text        NOT NULL CHECK (name ~ '^[A-Za-z0-9._-]{1,64}$'),
    role         text        NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    token_sha256 bytea       NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text,
    last_used_at timestamptz,
    expires_at   timestamptz,
    revoked_at   timestamptz
);
-- A name names one valid token; revoked ones keep theirs for the record.
CREATE UNIQUE INDEX api_tokens_name_key ON api_tokens (name) WHERE revoked_at IS NULL;
COMMENT ON TABLE api_tokens IS 'Bearer tokens of the API. Only the SHA-256 of each secret is stored. Revoke with UPDATE api_tokens SET revoked_at = now() WHERE name = ''…'': every replica refuses it within a second.';
COMMENT ON COLUMN api_tokens.id IS 'Row identity.';
COMMENT ON COLUMN api_tokens.name IS 'Unique among tokens that are not revoked; ezplatform token revoke NAME names it.';
COMMENT ON COLUMN api_tokens.created_at IS 'When it was created.';
COMMENT ON COLUMN api_tokens.expires_at IS 'When it stops working; NULL: never.';
COMMENT ON COLUMN api_tokens.revoked_at IS 'When it was revoked; NULL while valid.';
COMMENT ON COLUMN api_tokens.role IS 'viewer (read), editor (also change datasources), admin (also tokens, River UI).';
COMMENT ON COLUMN api_tokens.token_sha256 IS 'SHA-256 of the secret (256 random bits), which is shown once at creation.';
COMMENT ON COLUMN api_tokens.created_by IS 'Name of the token that created it; NULL for the command line.';
COMMENT ON COLUMN api_tokens.last_used_at IS 'Updated at most every few seconds per replica.';

CREATE TABLE audit_log (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at   timestamptz NOT NULL DEFAULT now(),
    token_name    text,
    role          text        NOT NULL,
    operation     text        NOT NULL,
    datasource_id uuid,
    outcome       text        NOT NULL,
    replica_id    text        NOT NULL
);
CREATE INDEX audit_log_occurred_at_idx ON audit_log (occurred_at);
CREATE INDEX audit_log_datasource_idx ON audit_log (datasource_id, occurred_at) WHERE datasource_id IS NOT NULL;
COMMENT ON TABLE audit_log IS 'Every mutation asked of the API, allowed or not: who, with which role, what, on which datasource, and how it ended.';
COMMENT ON COLUMN audit_log.id IS 'Row identity, in the order entries were written.';
COMMENT ON COLUMN audit_log.occurred_at IS 'When the mutation was asked.';
COMMENT ON COLUMN audit_log.role IS 'The role it was asked with (viewer, editor, admin).';
COMMENT ON COLUMN audit_log.datasource_id IS 'The datasource it named or created, if any.';
COMMENT ON COLUMN audit_log.replica_id IS 'The replica that served it.';
COMMENT ON COLUMN audit_log.token_name IS 'The token''s name; NULL when the replica runs without authentication.';
COMMENT ON COLUMN audit_log.operation IS 'The mutation field, such as updateDataSource.';
COMMENT ON COLUMN audit_log.outcome IS 'ok, or the error code (FORBIDDEN, VALIDATION, VERSION_CONFLICT, …).';

CREATE VIEW ops.audit AS
SELECT a.occurred_at, a.token_name, a.role, a.operation, a.datasource_id, d.name AS datasource_name, a.outcome, a.replica_id
FROM audit_log a
LEFT JOIN datasources d ON d.id = a.datasource_id
ORDER BY a.occurred_at DESC, a.id DESC;
COMMENT ON VIEW ops.audit IS 'The audit log, newest first, with datasource names.';
