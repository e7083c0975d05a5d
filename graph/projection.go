package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// A page of datasources or runs reads only the columns its nodes' selected
// fields need (store.DataSourceListParams.Columns). A field not listed
// here, or one that needs the whole row (a datasource's schedule and its
// resolvers), reads every column.

// dataSourceFieldColumns are the columns of each datasource field that
// needs no more than them. Fields resolved from the id alone need none
// (the id is always read).
var dataSourceFieldColumns = map[string][]string{
	"__typename": nil, "id": nil, "name": nil, "runs": nil, "files": nil, "fileTotals": nil,
	"description": {"description"}, "supplierName": {"supplier_name"}, "category": {"category"},
	"path": {"path"}, "filePattern": {"file_pattern"}, "enabled": {"enabled"},
	"maxAttempts": {"max_attempts"}, "runTimeout": {"run_timeout"}, "minFileAge": {"min_file_age"},
	"hashFiles": {"hash_files"}, "maxFilesPerRun": {"max_files_per_run"},
	"createdAt": {"created_at"}, "updatedAt": {"updated_at"}, "version": {"version"},
}

// runFieldColumns are the columns of each run field (the id, datasource_id
// and scheduled_for are always read).
var runFieldColumns = map[string][]string{
	"__typename": nil, "id": nil, "dataSourceId": nil, "scheduledFor": nil, "files": nil,
	"status": {"status"}, "trigger": {"trigger"}, "coversUntil": {"covers_until"}, "slotCount": {"slot_count"},
	"startedAt": {"started_at"}, "finishedAt": {"finished_at"}, "durationMs": {"started_at", "finished_at"},
	"attempt": {"attempt"}, "maxAttempts": {"max_attempts"}, "error": {"error"},
	"attemptErrors": {"attempt_errors"}, "replicaId": {"replica_id"}, "filesFound": {"files_found"},
	"bytesFound": {"bytes_found"}, "recordsFound": {"records_found"}, "skipped": {"skipped"},
	"skippedCount": {"skipped_count"},
}

// selectedColumns returns the columns that the object being resolved
// needs, by fieldColumns, or nil (every column) if a selected field is not
// in it.
func selectedColumns(ctx context.Context, implementors []string, fieldColumns map[string][]string) []string {
	cols, ok := appendColumns([]string{}, graphql.GetOperationContext(ctx), graphql.GetFieldContext(ctx).Field.Selections,
		implementors, fieldColumns)
	if !ok {
		return nil
	}
	return cols
}

// nodeColumns is selectedColumns for the nodes of the connection being
// resolved.
func nodeColumns(ctx context.Context, implementors []string, fieldColumns map[string][]string) []string {
	oc := graphql.GetOperationContext(ctx)
	cols := []string{}
	for _, edges := range graphql.CollectFieldsCtx(ctx, nil) {
		if edges.Name != "edges" {
			continue
		}
		for _, node := range graphql.CollectFields(oc, edges.Selections, nil) {
			if node.Name != "node" {
				continue
			}
			var ok bool
			if cols, ok = appendColumns(cols, oc, node.Selections, implementors, fieldColumns); !ok {
				return nil
			}
		}
	}
	return cols
}

func appendColumns(cols []string, oc *graphql.OperationContext, sel ast.SelectionSet, implementors []string,
	fieldColumns map[string][]string,
) ([]string, bool) {
	for _, f := range graphql.CollectFields(oc, sel, implementors) {
		need, ok := fieldColumns[f.Name]
		if !ok {
			return nil, false
		}
		cols = append(cols, need...)
	}
	return cols, true
}
