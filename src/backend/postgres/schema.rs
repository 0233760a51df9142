//! The tables, created and migrated at connect under an advisory lock.
//!
//! `schema_version` holds one number. Each migration moves it up by one; all run in one
//! READ COMMITTED transaction after `pg_advisory_xact_lock`, so processes opening at
//! once take turns, and each one reads the version only once it holds the lock (READ
//! COMMITTED: that read sees what the previous holder committed). The lock is one for
//! every schema in the database, because `CREATE EXTENSION` is database-wide too.

use postgres::types::Type;

use super::errors::storage;
use super::lock_key;
use super::pool::Conn;
use crate::error::{Error, Result};

/// The newest schema this build writes and reads.
pub(super) const VERSION: i32 = 1;

/// Creates or migrates the schema `s` (quoted).
pub(super) fn migrate(conn: &mut Conn, s: &str) -> Result<()> {
    conn.batch("BEGIN ISOLATION LEVEL READ COMMITTED")
        .map_err(|e| storage("starting the schema migration", &e))?;
    match migrate_in_transaction(conn, s) {
        Ok(()) => conn
            .batch("COMMIT")
            .map_err(|e| storage("committing the schema migration", &e)),
        Err(e) => {
            conn.rollback();
            Err(e)
        }
    }
}

fn migrate_in_transaction(conn: &mut Conn, s: &str) -> Result<()> {
    let key = lock_key(b"migrations", b"");
    conn.execute("SELECT pg_advisory_xact_lock($1)", &[(&key, Type::INT8)])
        .map_err(|e| storage("waiting for the schema lock", &e))?;
    conn.batch(&format!(
        "CREATE SCHEMA IF NOT EXISTS {s}; \
         CREATE TABLE IF NOT EXISTS {s}.schema_version (\
             one boolean PRIMARY KEY DEFAULT true CHECK (one), \
             version integer NOT NULL)"
    ))
    .map_err(|e| storage(&format!("creating the schema {s}"), &e))?;
    let rows = conn
        .query(&format!("SELECT version FROM {s}.schema_version"), &[])
        .map_err(|e| storage("reading the schema version", &e))?;
    let found: i32 = match rows.first() {
        Some(row) => row
            .try_get(0)
            .map_err(|_| Error::corrupted("PostgreSQL: schema_version is not a number"))?,
        None => 0,
    };
    if found > VERSION {
        return Err(Error::Storage(format!(
            "PostgreSQL: the schema {s} has version {found}, written by a newer vaultstore; \
             this build knows up to version {VERSION}: upgrade vaultstore"
        )));
    }
    for version in found + 1..=VERSION {
        apply(conn, s, version)?;
    }
    if found < VERSION {
        conn.execute(
            &format!(
                "INSERT INTO {s}.schema_version (version) VALUES ($1) \
                 ON CONFLICT (one) DO UPDATE SET version = EXCLUDED.version"
            ),
            &[(&VERSION, Type::INT4)],
        )
        .map_err(|e| storage("recording the schema version", &e))?;
    }
    Ok(())
}

fn apply(conn: &mut Conn, s: &str, version: i32) -> Result<()> {
    match version {
        1 => {
            conn.batch(&version_1(s))
                .map_err(|e| storage("creating the tables (schema version 1)", &e))?;
            name_search_index(conn, s);
            Ok(())
        }
        _ => Err(Error::Storage(format!(
            "PostgreSQL: no migration to schema version {version}"
        ))),
    }
}

/// The tables. `account` is first in every key: accounts partition the store. `active`
/// and the partial indexes serve the lists that leave archived items out.
fn version_1(s: &str) -> String {
    format!(
        "CREATE TABLE {s}.vaults (\
             account text COLLATE \"C\" NOT NULL, \
             id bytea NOT NULL CHECK (length(id) = 16), \
             created_at bigint NOT NULL, \
             search_name text NOT NULL, \
             active boolean NOT NULL, \
             record bytea NOT NULL, \
             PRIMARY KEY (account, id)); \
         CREATE INDEX vaults_active ON {s}.vaults (account, id) WHERE active; \
         CREATE INDEX vaults_id ON {s}.vaults (id); \
         CREATE TABLE {s}.credentials (\
             account text COLLATE \"C\" NOT NULL, \
             vault_id bytea NOT NULL CHECK (length(vault_id) = 16), \
             id bytea NOT NULL CHECK (length(id) = 16), \
             created_at bigint NOT NULL, \
             search_name text NOT NULL, \
             active boolean NOT NULL, \
             record bytea NOT NULL, \
             PRIMARY KEY (account, vault_id, id)); \
         CREATE INDEX credentials_active ON {s}.credentials (account, vault_id, id) \
             WHERE active; \
         CREATE INDEX credentials_id ON {s}.credentials (id); \
         CREATE TABLE {s}.tokens (\
             account text COLLATE \"C\" NOT NULL, \
             vault_id bytea NOT NULL, \
             lookup_url text COLLATE \"C\" NOT NULL, \
             credential_id bytea NOT NULL, \
             entry bytea NOT NULL, \
             PRIMARY KEY (account, vault_id, lookup_url)); \
         CREATE TABLE {s}.meta (\
             key text COLLATE \"C\" PRIMARY KEY, \
             value bytea NOT NULL); \
         COMMENT ON TABLE {s}.tokens IS \
             'Only active credentials have a token entry, so this primary key keeps one \
              active credential per URL per vault.'; \
         COMMENT ON INDEX {s}.vaults_id IS \
             'The largest id stored, read as the id floor at open (no shared counter).'"
    )
}

/// A trigram index for `name` filters (`LIKE '%…%'`), where pg_trgm can be had: it is
/// a contrib extension, and creating it may need rights the store's role lacks. Without
/// it a filtered page still works, reading the list's rows in id order.
fn name_search_index(conn: &mut Conn, s: &str) {
    // A failed statement aborts the transaction; the savepoint keeps the migration.
    if conn.batch("SAVEPOINT trgm").is_err() {
        return;
    }
    let created = conn
        .batch("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        .and_then(|()| {
            conn.query(
                "SELECT extnamespace::regnamespace::text FROM pg_extension \
                 WHERE extname = 'pg_trgm'",
                &[],
            )
        })
        .and_then(|rows| {
            let ext: String = match rows.first() {
                Some(row) => row.try_get(0)?,
                None => return Ok(()),
            };
            // `ext` is already an identifier as PostgreSQL quotes it.
            conn.batch(&format!(
                "CREATE INDEX vaults_name ON {s}.vaults \
                     USING gin (search_name {ext}.gin_trgm_ops); \
                 CREATE INDEX credentials_name ON {s}.credentials \
                     USING gin (search_name {ext}.gin_trgm_ops)"
            ))
        });
    let end = if created.is_ok() {
        "RELEASE SAVEPOINT trgm"
    } else {
        "ROLLBACK TO SAVEPOINT trgm"
    };
    // If even this fails the transaction is aborted and the version insert reports it.
    let _ = conn.batch(end);
}
