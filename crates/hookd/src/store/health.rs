//! Whether the store can write: storage faults (a full disk, a read-only file system or database, an
//! unreachable server) told apart from errors of one statement, counted, logged once per episode, and
//! remembered so that readiness can answer 503 while writes fail and 200 again once one succeeds.

use std::sync::{
    atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering},
    Mutex,
};

use super::StoreError;

/// A fault of the storage itself, as opposed to a statement it refused: every write fails the same way
/// until an operator (or time) fixes it, so the writes of a group are failed together and the clients
/// are asked to retry later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// No space left for the database (SQLite `SQLITE_FULL`, PostgreSQL `53100 disk_full`).
    DiskFull,
    /// The file system or the database refuses writes (SQLite `SQLITE_READONLY`, PostgreSQL `25006`,
    /// e.g. a server turned standby after a failover).
    ReadOnly,
    /// The file system or the server reported an I/O error or corruption.
    Io,
    /// The server cannot be reached or is shutting down, or the pool has no connection to give.
    Unreachable,
    /// The database is locked or short of resources (connections, memory) or cancelled the statement.
    Busy,
}

impl Fault {
    /// The `kind` label of `hookd_storage_errors_total`.
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::DiskFull => "disk_full",
            Fault::ReadOnly => "read_only",
            Fault::Io => "io",
            Fault::Unreachable => "unreachable",
            Fault::Busy => "busy",
        }
    }

    /// What an operator can do about it, for the log line that opens an episode.
    fn advice(self) -> &'static str {
        match self {
            Fault::DiskFull => {
                "free space on the volume that holds the database (or grow it); publishing resumes by itself"
            }
            Fault::ReadOnly => {
                "make the database writable again (remount the data directory read-write, or point hookd at the primary server)"
            }
            Fault::Io => "check the disk and the kernel log for I/O errors",
            Fault::Unreachable => "check that the database server is up and reachable",
            Fault::Busy => "the database is overloaded or locked; check its load and connection limits",
        }
    }

    /// The fault behind `error`, if it is one of the storage rather than of the statement.
    pub fn of(error: &StoreError) -> Option<Fault> {
        match error {
            StoreError::Unavailable { fault, .. } => Some(*fault),
            StoreError::Database(e) => Self::of_sqlx(e),
            StoreError::Conflict(_)
            | StoreError::QuotaExceeded
            | StoreError::Migrate(_)
            | StoreError::Corrupt(_) => None,
        }
    }

    fn of_sqlx(error: &sqlx::Error) -> Option<Fault> {
        match error {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => Some(Fault::Unreachable),
            sqlx::Error::Database(db) => {
                if let Some(e) = db.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
                    Self::of_sqlite_code(sqlx::error::DatabaseError::code(e)?.parse().ok()?)
                } else if let Some(e) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                    Self::of_sqlstate(e.code())
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// SQLite's primary result code is the low byte of the extended one.
    fn of_sqlite_code(extended: i32) -> Option<Fault> {
        match extended & 0xff {
            13 => Some(Fault::DiskFull),          // SQLITE_FULL
            8 => Some(Fault::ReadOnly),           // SQLITE_READONLY
            10 | 11 | 14 | 26 => Some(Fault::Io), // SQLITE_IOERR, _CORRUPT, _CANTOPEN, _NOTADB
            5..=7 => Some(Fault::Busy),           // SQLITE_BUSY, _LOCKED, _NOMEM
            _ => None,
        }
    }

    fn of_sqlstate(code: &str) -> Option<Fault> {
        match code {
            "53100" => Some(Fault::DiskFull),
            "25006" => Some(Fault::ReadOnly),
            // admin_shutdown, crash_shutdown, cannot_connect_now, database_dropped
            "57P01" | "57P02" | "57P03" | "57P04" => Some(Fault::Unreachable),
            // query_canceled (the statement timeout)
            "57014" => Some(Fault::Busy),
            _ if code.starts_with("08") => Some(Fault::Unreachable),
            _ if code.starts_with("53") => Some(Fault::Busy),
            _ if code.starts_with("58") || code.starts_with("XX") => Some(Fault::Io),
            _ => None,
        }
    }
}

/// An episode's opening line is written at most this often: a disk that is nearly full lets small writes
/// through between failing large ones, and each such turn would otherwise log twice.
const LOG_EVERY_MS: i64 = 60_000;

/// The write health of one store.
#[derive(Debug, Default)]
pub struct StorageHealth {
    failing: AtomicBool,
    /// When the last write failed (ms since the epoch).
    last_failure_ms: AtomicI64,
    /// Failed writes since the episode's opening line.
    failures: AtomicU64,
    episode: Mutex<Episode>,
}

#[derive(Debug, Default)]
struct Episode {
    /// The fault of the last logged opening line, and when it was written.
    logged: Option<(Fault, i64)>,
    /// Whether the current episode's opening line was written (so its end is logged too).
    open: bool,
}

impl StorageHealth {
    /// Notes a failed write; returns its fault, or `None` for an error of the statement (not counted).
    pub fn failed(&self, error: &StoreError) -> Option<Fault> {
        let fault = Fault::of(error)?;
        let now = crate::domain::now_ms();
        metrics::counter!("hookd_storage_errors_total", "kind" => fault.as_str()).increment(1);
        self.last_failure_ms.store(now, Ordering::Relaxed);
        self.failures.fetch_add(1, Ordering::Relaxed);
        if !self.failing.swap(true, Ordering::AcqRel) {
            let mut episode = self.episode.lock().unwrap_or_else(|e| e.into_inner());
            let quiet = episode
                .logged
                .is_some_and(|(last, at)| last == fault && now - at < LOG_EVERY_MS);
            if !quiet {
                episode.logged = Some((fault, now));
                episode.open = true;
                self.failures.store(1, Ordering::Relaxed);
                tracing::error!(
                    fault = fault.as_str(), error = %error,
                    "storage cannot write: {}; writes are refused with 503 storage_unavailable and /readyz answers 503 until one succeeds",
                    fault.advice()
                );
            }
        }
        Some(fault)
    }

    /// Notes a committed write, which ends an episode of failures.
    pub fn succeeded(&self) {
        if !self.failing.load(Ordering::Acquire) || !self.failing.swap(false, Ordering::AcqRel) {
            return;
        }
        let mut episode = self.episode.lock().unwrap_or_else(|e| e.into_inner());
        if let (true, Some((fault, since))) = (episode.open, episode.logged) {
            episode.open = false;
            tracing::warn!(
                fault = fault.as_str(),
                failures = self.failures.load(Ordering::Relaxed),
                since_first_ms = crate::domain::now_ms() - since,
                "storage writes succeed again"
            );
        }
    }

    /// Notes the outcome of a write.
    pub fn note<T>(&self, result: &Result<T, StoreError>) {
        match result {
            Ok(_) => self.succeeded(),
            Err(e) => {
                self.failed(e);
            }
        }
    }

    /// Whether the last write failed; with when (ms since the epoch).
    pub fn failing_since_last(&self) -> Option<i64> {
        self.failing
            .load(Ordering::Acquire)
            .then(|| self.last_failure_ms.load(Ordering::Relaxed))
    }
}

/// Logs a failed storage operation `what`: a fault at debug level (the episode it belongs to is logged
/// once, by `health`), any other error at error level.
pub fn log_failure(health: &StorageHealth, error: &StoreError, what: &str) {
    if health.failed(error).is_some() {
        tracing::debug!(error = %error, "{what}");
    } else {
        tracing::error!(error = %error, "{what}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_and_postgres_codes_are_told_apart_from_statement_errors() {
        assert_eq!(Fault::of_sqlite_code(13), Some(Fault::DiskFull));
        assert_eq!(Fault::of_sqlite_code(8 | (1 << 8)), Some(Fault::ReadOnly)); // SQLITE_READONLY_RECOVERY
        assert_eq!(Fault::of_sqlite_code(10 | (4 << 8)), Some(Fault::Io)); // SQLITE_IOERR_FSYNC
        assert_eq!(Fault::of_sqlite_code(19), None); // SQLITE_CONSTRAINT
        assert_eq!(Fault::of_sqlite_code(787), None); // SQLITE_CONSTRAINT_FOREIGNKEY
        assert_eq!(Fault::of_sqlstate("53100"), Some(Fault::DiskFull));
        assert_eq!(Fault::of_sqlstate("25006"), Some(Fault::ReadOnly));
        assert_eq!(Fault::of_sqlstate("08006"), Some(Fault::Unreachable));
        assert_eq!(Fault::of_sqlstate("53300"), Some(Fault::Busy));
        assert_eq!(Fault::of_sqlstate("23505"), None); // unique_violation
        assert_eq!(Fault::of_sqlstate("23503"), None); // foreign_key_violation
        assert_eq!(
            Fault::of(&StoreError::Database(sqlx::Error::PoolTimedOut)),
            Some(Fault::Unreachable)
        );
        assert_eq!(Fault::of(&StoreError::QuotaExceeded), None);
    }

    fn gone() -> StoreError {
        StoreError::Unavailable {
            fault: Fault::Unreachable,
            message: "gone".into(),
        }
    }

    #[test]
    fn an_episode_opens_on_the_first_fault_and_closes_on_a_success() {
        let health = StorageHealth::default();
        assert_eq!(health.failing_since_last(), None);
        health.note::<()>(&Err(StoreError::Conflict("x".into())));
        assert_eq!(
            health.failing_since_last(),
            None,
            "a statement error is no fault"
        );
        health.note::<()>(&Err(gone()));
        health.note::<()>(&Err(gone()));
        assert!(health.failing_since_last().is_some());
        assert_eq!(health.failures.load(Ordering::Relaxed), 2);
        health.note(&Ok(()));
        assert_eq!(health.failing_since_last(), None);
        // Failing again soon after with the same fault continues the logged episode.
        health.note::<()>(&Err(gone()));
        assert!(health.failing_since_last().is_some());
        assert_eq!(health.failures.load(Ordering::Relaxed), 3);
    }
}
