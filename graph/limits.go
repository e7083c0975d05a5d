package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// maxPageSize caps the page size of every connection.
const maxPageSize = 100

// pageSize checks a connection's first argument; nil means 20.
func pageSize(first *int) (int, error) {
	size := 20
	if first != nil {
		size = *first
	}
	if size < 1 || size > maxPageSize {
		return 0, newFieldError(CodeValidation, "first", "first must be between 1 and %d, got %d", maxPageSize, size)
	}
	return size, nil
}

// maxFileDays caps filesPerDay's days argument.
const maxFileDays = 90

// fileDays checks filesPerDay's days argument; nil means 14.
func fileDays(days *int) (int, error) {
	n := 14
	if days != nil {
		n = *days
	}
	if n < 1 || n > maxFileDays {
		return 0, newFieldError(CodeValidation, "days", "days must be between 1 and %d, got %d", maxFileDays, n)
	}
	return n, nil
}

// depthLimit refuses operations nested deeper than max. Introspection is
// exempt: GraphiQL's own introspection query is deep, and its cost is bounded
// by the schema, not by the data.
type depthLimit struct{ max int }

var (
	_ graphql.HandlerExtension        = depthLimit{}
	_ graphql.OperationContextMutator = depthLimit{}
)

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (d depthLimit) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(rc.Operation.SelectionSet, 0); depth > d.max {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("the operation is nested %d levels deep; the limit is %d", depth, d.max),
			Extensions: map[string]any{"code": "DEPTH_LIMIT_EXCEEDED"},
		}
	}
	return nil
}

// selectionDepth returns the deepest field nesting of set below depth.
// Fragment spreads are followed, each fragment measured once: a fragment
// spread twice in a fragment spread twice … would otherwise cost 2^n.
func selectionDepth(set ast.SelectionSet, depth int) int {
	return depth + relativeDepth(set, map[string]int{})
}

func relativeDepth(set ast.SelectionSet, fragments map[string]int) int {
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				continue
			}
			d = 1 + relativeDepth(s.SelectionSet, fragments)
		case *ast.InlineFragment:
			d = relativeDepth(s.SelectionSet, fragments)
		case *ast.FragmentSpread:
			if s.Definition == nil {
				continue
			}
			var ok bool
			if d, ok = fragments[s.Name]; !ok {
				d = relativeDepth(s.Definition.SelectionSet, fragments)
				fragments[s.Name] = d
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// aliasLimit refuses operations with more than max aliased fields.
type aliasLimit struct{ max int }

var (
	_ graphql.HandlerExtension        = aliasLimit{}
	_ graphql.OperationContextMutator = aliasLimit{}
)

func (aliasLimit) ExtensionName() string                   { return "AliasLimit" }
func (aliasLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (a aliasLimit) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil || a.max <= 0 {
		return nil
	}
	if n := countAliases(rc.Operation.SelectionSet, map[string]bool{}); n > a.max {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("the operation has %d aliased fields; the limit is %d", n, a.max),
			Extensions: map[string]any{"code": "ALIAS_LIMIT_EXCEEDED"},
		}
	}
	return nil
}

// countAliases counts the aliased fields of set, each fragment's once (see
// selectionDepth).
func countAliases(set ast.SelectionSet, seen map[string]bool) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				n++
			}
			n += countAliases(s.SelectionSet, seen)
		case *ast.InlineFragment:
			n += countAliases(s.SelectionSet, seen)
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				n += countAliases(s.Definition.SelectionSet, seen)
			}
		}
	}
	return n
}

// fieldLimit refuses operations that select more than max fields once
// their fragments are spread. It runs before every other check: gqlgen's
// complexity and execution spread fragments anew at each use, so a
// document of a few kilobytes whose fragments spread each other twice
// would otherwise cost 2^n.
type fieldLimit struct{ max int }

var (
	_ graphql.HandlerExtension        = fieldLimit{}
	_ graphql.OperationContextMutator = fieldLimit{}
)

func (fieldLimit) ExtensionName() string                   { return "FieldLimit" }
func (fieldLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (f fieldLimit) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil || f.max <= 0 {
		return nil
	}
	if n := spreadSize(rc.Operation.SelectionSet, map[string]int{}, f.max); n > f.max {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("the operation selects more than %d fields once its fragments are spread", f.max),
			Extensions: map[string]any{"code": "FIELD_LIMIT_EXCEEDED"},
		}
	}
	return nil
}

// spreadSize counts the fields of set with its fragments spread, each
// fragment's size computed once; it stops counting past limit.
func spreadSize(set ast.SelectionSet, fragments map[string]int, limit int) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			n += 1 + spreadSize(s.SelectionSet, fragments, limit)
		case *ast.InlineFragment:
			n += spreadSize(s.SelectionSet, fragments, limit)
		case *ast.FragmentSpread:
			if s.Definition == nil {
				continue
			}
			size, ok := fragments[s.Name]
			if !ok {
				size = spreadSize(s.Definition.SelectionSet, fragments, limit)
				fragments[s.Name] = size
			}
			n += size
		}
		if n > limit {
			return n
		}
	}
	return n
}
