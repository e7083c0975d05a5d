package store

import (
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// registerUUID makes pgx encode and scan uuid.UUID as the 16 bytes it is.
// Left to itself, pgx goes through uuid.UUID's driver.Valuer and
// sql.Scanner, that is through its text form, for every value: with the
// arrays of ids that batched statements send, that was a tenth of the
// replica's CPU time at 1,000 runs/s (docs/BENCHMARKS.md).
func registerUUID(m *pgtype.Map) {
	m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{wrapUUIDEncode}, m.TryWrapEncodePlanFuncs...)
	m.TryWrapScanPlanFuncs = append([]pgtype.TryWrapScanPlanFunc{wrapUUIDScan}, m.TryWrapScanPlanFuncs...)
}

// wrapUUIDEncode also takes *uuid.UUID: pgx dereferences no pointer to a
// driver.Valuer.
func wrapUUIDEncode(value any) (pgtype.WrappedEncodePlanNextSetter, any, bool) {
	switch id := value.(type) {
	case uuid.UUID:
		return &uuidEncodePlan{}, [16]byte(id), true
	case *uuid.UUID:
		return &uuidEncodePlan{}, [16]byte{}, true
	}
	return nil, nil, false
}

type uuidEncodePlan struct{ next pgtype.EncodePlan }

func (p *uuidEncodePlan) SetNext(next pgtype.EncodePlan) { p.next = next }

func (p *uuidEncodePlan) Encode(value any, buf []byte) ([]byte, error) {
	switch id := value.(type) {
	case *uuid.UUID:
		if id == nil {
			return nil, nil // NULL
		}
		return p.next.Encode([16]byte(*id), buf)
	default:
		return p.next.Encode([16]byte(value.(uuid.UUID)), buf)
	}
}

func wrapUUIDScan(target any) (pgtype.WrappedScanPlanNextSetter, any, bool) {
	if id, ok := target.(*uuid.UUID); ok {
		return &uuidScanPlan{}, (*[16]byte)(id), true
	}
	return nil, nil, false
}

type uuidScanPlan struct{ next pgtype.ScanPlan }

func (p *uuidScanPlan) SetNext(next pgtype.ScanPlan) { p.next = next }

func (p *uuidScanPlan) Scan(src []byte, target any) error {
	return p.next.Scan(src, (*[16]byte)(target.(*uuid.UUID)))
}
