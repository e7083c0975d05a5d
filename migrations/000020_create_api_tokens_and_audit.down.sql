DROP VIEW ops.audit;
DROP TABLE audit_log;
DROP TABLE api_tokens;
