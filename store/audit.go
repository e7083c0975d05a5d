package store

import (
	"context"

	"github.com/google/uuid"
)

// AuditEntry is a row of audit_log: one mutation asked of the API.
type AuditEntry struct {
	// TokenName is nil when the replica runs without authentication.
	TokenName    *string
	Role         string
	Operation    string
	DataSourceID *uuid.UUID
	// Outcome is "ok" or the error code.
	Outcome   string
	ReplicaID string
}

// AuditRecord appends an entry to the audit log.
func (s *Store) AuditRecord(ctx context.Context, e *AuditEntry) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO audit_log (token_name, role, operation, datasource_id, outcome, replica_id)
		VALUES ($1, $2, $3, $4, $5, $6)`, e.TokenName, e.Role, e.Operation, e.DataSourceID, e.Outcome, e.ReplicaID)
	return err
}
