// Package store is EZ Platform's PostgreSQL layer. All SQL lives here.
//
// Store is one type with one file per entity. Methods are named noun first,
// then verb (DataSourceCreate, DataSourceGetByID), take a context and a
// *XxxParams, and translate database errors at the boundary: a missing row is
// ErrNotFound, a unique violation on a datasource name is ErrNameTaken. No
// method returns (nil, nil).
//
// Every write runs in one transaction that also inserts an events row and
// sends one NOTIFY, so that the change, its durable record and its
// notification commit or roll back together. Tx exposes the transaction to
// the scheduler, which shares it with River (InsertManyFastTx);
// events recorded in a Tx are inserted in one statement with one NOTIFY.
package store
