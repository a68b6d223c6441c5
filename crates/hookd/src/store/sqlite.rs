//! The embedded default store: one SQLite file in WAL mode. Writes go through a single connection (SQLite
//! allows one writer at a time; queueing in the pool is cheaper than lock retries), reads through a pool.
//! A lock file next to the database keeps a second hookd process away, which is what makes releasing all
//! leases at start safe.

use std::{str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::group::GroupCommits;
use super::guards::{CallLog, Pacer, Slot};
use super::health::StorageHealth;
use super::sql::*;
use super::{
    cache_key, AccountRow, AppRow, AttemptEntryRow, AttemptOutcome, AttemptRow, DeliveryJob,
    DeliveryRow, EventInsert, EventRow, EventSearch, HealthChange, KeyRow, NewDelivery, Page,
    ReadCaches, Result, StoreError, SubscriptionRow, Writes,
};
use crate::config::SqliteSync;

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    writes: Writes,
    health: std::sync::Arc<StorageHealth>,
    caches: ReadCaches,
    /// Rates and pacing: in memory, as this process is the database's only one.
    calls: CallLog,
    pacer: Pacer,
    /// Copies the WAL back into the database file off the commit path (see `checkpoints_on`).
    checkpointer: tokio::task::JoinHandle<()>,
    _lock: std::fs::File,
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.checkpointer.abort();
    }
}

/// How often the WAL is copied back into the database file, on a connection of its own.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// The WAL size (pages of 4 KiB) at which a commit copies it back itself: only when the background
/// checkpoints have stopped keeping up (SQLite's default is 1 000, which makes one commit in a few dozen
/// wait for a checkpoint).
const COMMIT_CHECKPOINT_PAGES: u32 = 16_384;

impl SqliteStore {
    pub async fn open(url: &str, sync: SqliteSync) -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .with_context(|| format!("invalid SQLite URL {url}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match sync {
                SqliteSync::Full => SqliteSynchronous::Full,
                SqliteSync::Normal => SqliteSynchronous::Normal,
            })
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("temp_store", "memory")
            .pragma("wal_autocheckpoint", COMMIT_CHECKPOINT_PAGES.to_string());
        let path = options.get_filename().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let lock_path = path.with_extension("lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("opening {}", lock_path.display()))?;
        fs2::FileExt::try_lock_exclusive(&lock).with_context(|| {
            format!(
                "another hookd process is using {} (lock file {}); SQLite serves one process — use PostgreSQL to run several",
                path.display(),
                lock_path.display()
            )
        })?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            // After an error SQLite may roll a transaction back by itself, and the connection then
            // counts one that no longer exists: its next "transaction" would be a savepoint inside a
            // leftover one, and its "commit" would persist nothing. Such a connection is closed rather
            // than handed to the next writer. (The ping lets a rollback queued on drop run first.)
            .after_release(|conn, _| {
                Box::pin(async move {
                    sqlx::Connection::ping(conn).await?;
                    Ok(!sqlx::Connection::is_in_transaction(conn))
                })
            })
            .connect_with(options.clone())
            .await
            .with_context(|| format!("opening SQLite database {}", path.display()))?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&writer)
            .await
            .context("applying SQLite migrations")?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone().read_only(true))
            .await?;
        let health = std::sync::Arc::new(StorageHealth::default());
        let writes = Self::group_writes(&writer, &health, true);
        let checkpoints = sqlx::Connection::connect_with(&options)
            .await
            .context("opening SQLite's checkpointing connection")?;
        Ok(Self {
            writer,
            reader,
            writes,
            health,
            caches: ReadCaches::default(),
            calls: CallLog::default(),
            pacer: Pacer::default(),
            checkpointer: tokio::spawn(checkpoints_on(checkpoints)),
            _lock: lock,
        })
    }

    async fn count_call(&self, key: &str, per_second: u32) -> Result<bool> {
        Ok(self.calls.allow(key, per_second))
    }

    async fn pace_slot(&self, key: &str, per_second: u32) -> Result<Slot> {
        Ok(self.pacer.slot(key, per_second, crate::domain::now_ms()))
    }
}

impl SqliteStore {
    /// Always the walk of the due index: SQLite reads the subscription of each entry it passes from the
    /// entry itself (see `PgStore::due_with_room`).
    async fn due_with_room(
        &self,
        _tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        _room: &std::collections::HashMap<String, i64>,
        _now: i64,
        _limit: i64,
    ) -> Result<Option<Vec<(String, String)>>> {
        Ok(None)
    }

    /// Nothing to bring up to date: SQLite plans hookd's queries from the schema and its indexes alone,
    /// as no statistics are ever gathered (`ANALYZE` is never run), so a table that grew fast is planned
    /// the same as before.
    async fn analyze_stale(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
}

/// Copies the WAL back into the database file every `CHECKPOINT_EVERY`, until the store is dropped. A
/// commit would otherwise do it itself once the WAL reached SQLite's default of 1 000 pages: a few
/// milliseconds of copying and an fsync of the database file, which the publishes of that group waited for.
/// Here they wait for nothing: a passive checkpoint copies what no reader still needs while writers go on,
/// and the next write starts the WAL over once all of it is copied. A failure (a full disk) is logged and
/// tried again; commits fall back to checkpointing themselves past `COMMIT_CHECKPOINT_PAGES`.
async fn checkpoints_on(mut conn: sqlx::SqliteConnection) {
    let mut failing = false;
    loop {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        let done: std::result::Result<(i64, i64, i64), sqlx::Error> =
            sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&mut conn)
                .await;
        match done {
            Ok(_) if failing => {
                failing = false;
                tracing::info!("copying SQLite's WAL into the database file works again");
            }
            Ok(_) => {}
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "copying SQLite's WAL into the database file failed; trying again");
            }
            Err(e) => {
                tracing::debug!(error = %e, "copying SQLite's WAL into the database file failed again")
            }
        }
    }
}

/// Appends ` IN (…)` (`member`) or ` NOT IN (…)` for `ids`, given as one JSON array parameter: the text is
/// the same for any number of ids, so the statement is prepared once.
pub(crate) fn push_id_set<'q, S>(
    query: &mut sqlx::QueryBuilder<'q, sqlx::Sqlite>,
    member: bool,
    ids: impl IntoIterator<Item = &'q S>,
) where
    S: AsRef<str> + ?Sized + 'q,
{
    let ids: Vec<&str> = ids.into_iter().map(AsRef::as_ref).collect();
    let list = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".to_owned());
    query
        .push(if member { " IN" } else { " NOT IN" })
        .push(" (SELECT value FROM json_each(")
        .push_bind(list)
        .push("))");
}

impl_store!(SqliteStore, sqlx::Sqlite, backend = "sqlite");
impl_catalogs!(SqliteStore, sqlx::Sqlite);
impl_portals!(SqliteStore, sqlx::Sqlite);
impl_tenancy!(SqliteStore, sqlx::Sqlite, for_update = "");
impl_records!(SqliteStore, sqlx::Sqlite);
impl_queue!(
    SqliteStore,
    sqlx::Sqlite,
    skip_locked = "",
    stored_order = "id"
);
impl_activity!(SqliteStore, sqlx::Sqlite);
impl_guards!(SqliteStore, sqlx::Sqlite);
impl_group_writes!(SqliteStore, sqlx::Sqlite);

/// The multi-row writes, as multi-row `VALUES` statements of a few fixed row counts (see `ROWS`).
mod bulk {
    use std::{collections::HashSet, sync::OnceLock};

    use super::super::sql::{attempt_cols, delivery_rows, event_cols};
    use super::super::{AttemptOutcome, EventRow, NewDelivery, Result, StoreError};

    type Conn = sqlx::SqliteConnection;

    /// A group's rows take several statements here (SQLite runs them on the connection's thread, a short
    /// hand-off each), so every group is written in a transaction.
    pub const ATOMIC_STATEMENT: bool = false;

    /// Writes a group's rows, inside the caller's transaction, and returns which of the subscriptions
    /// `succeeded` names are not healthy (a run of failures, dead deliveries counted): the events and their
    /// deliveries; the attempted deliveries moved on, a first attempt that succeeded kept in its delivery's
    /// row and every other attempt (and a kept one whose update missed) as a row of `attempts`.
    pub async fn write_rows(
        conn: &mut Conn,
        events: &[(&EventRow, &[NewDelivery])],
        outcomes: &[&AttemptOutcome],
        succeeded: &[&str],
    ) -> Result<Vec<String>> {
        if !events.is_empty() {
            let rows: Vec<&EventRow> = events.iter().map(|(event, _)| *event).collect();
            insert_event_rows(conn, &rows).await?;
            insert_deliveries(conn, &delivery_rows(events)).await?;
        }
        if !outcomes.is_empty() {
            let finished = finish_deliveries(conn, outcomes).await?;
            let rows: Vec<&AttemptOutcome> = outcomes
                .iter()
                .copied()
                .filter(|o| !o.kept_in_delivery() || !finished.contains(&o.attempt.delivery_id))
                .collect();
            if !rows.is_empty() {
                insert_attempts(conn, &rows).await?;
            }
        }
        if succeeded.is_empty() {
            return Ok(Vec::new());
        }
        let mut select = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "SELECT id FROM subscriptions WHERE (failing_since IS NOT NULL OR dead_count > 0) AND id",
        );
        super::push_id_set(&mut select, true, succeeded.iter().copied());
        let unhealthy: Vec<(String,)> = select.build_query_as().fetch_all(&mut *conn).await?;
        Ok(unhealthy.into_iter().map(|(id,)| id).collect())
    }

    /// Rows per statement, largest first; SQLite allows 32 766 parameters. A multi-row statement is
    /// prepared once per row count and then kept in the connection's statement cache, so the rows go in
    /// chunks of these sizes only: a handful of statements per kind, each prepared once, rather than one
    /// for every group size the load happens to make (parsing those took a seventh of the writer
    /// thread's time at E = 10).
    const ROWS: [usize; 5] = [256, 64, 16, 4, 1];

    /// `rows` in chunks of the sizes of [`ROWS`], largest first.
    fn chunks<T>(mut rows: &[T]) -> impl Iterator<Item = &[T]> {
        std::iter::from_fn(move || {
            let size = ROWS.into_iter().find(|&size| size <= rows.len())?;
            let (chunk, rest) = rows.split_at(size);
            rows = rest;
            Some(chunk)
        })
    }

    /// A multi-row statement: `head`, then `VALUES` with a row of `columns` placeholders per row, then
    /// `tail`. Its text for each size of [`ROWS`] is written once and kept, so a group only binds its
    /// values (building each chunk with a `QueryBuilder`, text and arguments, was about 4 % of the
    /// instructions per delivery at E = 10 under callgrind; binding to a kept text is about half that).
    struct RowsStatement {
        head: &'static str,
        columns: usize,
        tail: &'static str,
        texts: [OnceLock<String>; ROWS.len()],
    }

    impl RowsStatement {
        const fn new(head: &'static str, columns: usize, tail: &'static str) -> Self {
            Self {
                head,
                columns,
                tail,
                texts: [const { OnceLock::new() }; ROWS.len()],
            }
        }

        /// The statement for `rows` rows, one of the sizes of [`ROWS`] (what [`chunks`] makes).
        fn text(&'static self, rows: usize) -> &'static str {
            let slot = ROWS
                .iter()
                .position(|&size| size == rows)
                .expect("chunks come in the sizes of ROWS");
            self.texts[slot].get_or_init(|| {
                let row = format!("({})", vec!["?"; self.columns].join(", "));
                format!(
                    "{}VALUES {}{}",
                    self.head,
                    vec![row; rows].join(", "),
                    self.tail
                )
            })
        }
    }

    static INSERT_EVENTS: RowsStatement =
        RowsStatement::new(concat!("INSERT INTO events (", event_cols!(), ") "), 13, "");

    static INSERT_DELIVERIES: RowsStatement = RowsStatement::new(
        "INSERT INTO deliveries (id, event_id, subscription_id, account_id, app_id, status, attempts, \
         next_attempt_at, lease_owner, lease_until, created_at, updated_at) ",
        12,
        "",
    );

    static INSERT_ATTEMPTS: RowsStatement = RowsStatement::new(
        concat!("INSERT INTO attempts (", attempt_cols!(), ") "),
        9,
        "",
    );

    /// Moves the attempted deliveries on, and keeps a first attempt that succeeded in its delivery's row.
    /// Only the lease holder does; a delivery cancelled meanwhile stays cancelled. (A VALUES list's
    /// columns are column1, column2, ….)
    static FINISH_DELIVERIES: RowsStatement = RowsStatement::new(
        "UPDATE deliveries SET status = v.column2, attempts = v.column3, next_attempt_at = v.column4, \
         lease_owner = NULL, lease_until = NULL, last_status_code = v.column5, last_error = v.column6, \
         updated_at = v.column7, last_failure = v.column9, \
         first_attempt_id = COALESCE(v.column10, first_attempt_id), \
         first_started_at = COALESCE(v.column11, first_started_at), \
         first_duration_ms = COALESCE(v.column12, first_duration_ms), \
         first_status_code = COALESCE(v.column13, first_status_code), \
         first_response_excerpt = COALESCE(v.column14, first_response_excerpt) FROM (",
        14,
        ") AS v WHERE deliveries.id = v.column1 AND deliveries.status = 'delivering' \
         AND deliveries.lease_owner = v.column8 RETURNING id",
    );

    async fn insert_event_rows(conn: &mut Conn, events: &[&EventRow]) -> Result<()> {
        for chunk in chunks(events) {
            let mut insert = sqlx::query(INSERT_EVENTS.text(chunk.len()));
            for event in chunk {
                insert = insert
                    .bind(&event.id)
                    .bind(&event.account_id)
                    .bind(&event.app_id)
                    .bind(&event.event_type)
                    .bind(&event.payload)
                    .bind(&event.channel_id)
                    .bind(&event.user_id)
                    .bind(&event.idempotency_key)
                    .bind(&event.request_hash)
                    .bind(event.created_at)
                    .bind(&event.traceparent)
                    .bind(event.schema_version)
                    .bind(&event.schema_violations);
            }
            insert
                .execute(&mut *conn)
                .await
                .map_err(StoreError::from_write)?;
        }
        Ok(())
    }

    async fn insert_deliveries(
        conn: &mut Conn,
        deliveries: &[(&EventRow, &NewDelivery)],
    ) -> Result<()> {
        for chunk in chunks(deliveries) {
            let mut insert = sqlx::query(INSERT_DELIVERIES.text(chunk.len()));
            for (event, d) in chunk {
                insert = insert
                    .bind(&d.id)
                    .bind(&event.id)
                    .bind(&d.subscription_id)
                    .bind(&event.account_id)
                    .bind(&event.app_id)
                    .bind(if d.lease.is_some() {
                        "delivering"
                    } else {
                        "pending"
                    })
                    .bind(0i64)
                    .bind(d.due_at)
                    .bind(d.lease.as_ref().map(|l| l.owner.as_str()))
                    .bind(d.lease.as_ref().map(|l| l.until))
                    .bind(event.created_at)
                    .bind(event.created_at);
            }
            insert.execute(&mut *conn).await?;
        }
        Ok(())
    }

    async fn insert_attempts(conn: &mut Conn, outcomes: &[&AttemptOutcome]) -> Result<()> {
        for chunk in chunks(outcomes) {
            let mut insert = sqlx::query(INSERT_ATTEMPTS.text(chunk.len()));
            for outcome in chunk {
                let a = &outcome.attempt;
                insert = insert
                    .bind(&a.id)
                    .bind(&a.delivery_id)
                    .bind(a.attempt_no)
                    .bind(a.started_at)
                    .bind(a.duration_ms)
                    .bind(a.status_code)
                    .bind(&a.error)
                    .bind(&a.response_excerpt)
                    .bind(&a.failure);
            }
            insert.execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// Runs [`FINISH_DELIVERIES`] for `outcomes`; returns the deliveries updated.
    async fn finish_deliveries(
        conn: &mut Conn,
        outcomes: &[&AttemptOutcome],
    ) -> Result<HashSet<String>> {
        let mut finished = HashSet::with_capacity(outcomes.len());
        for chunk in chunks(outcomes) {
            let mut update = sqlx::query_as(FINISH_DELIVERIES.text(chunk.len()));
            for outcome in chunk {
                let a = &outcome.attempt;
                let kept = outcome.kept_attempt();
                update = update
                    .bind(&a.delivery_id)
                    .bind(outcome.status.as_str())
                    .bind(a.attempt_no)
                    .bind(outcome.next_attempt_at)
                    .bind(a.status_code)
                    .bind(&a.error)
                    .bind(a.started_at + a.duration_ms)
                    .bind(&outcome.lease_owner)
                    .bind(&a.failure)
                    .bind(kept.map(|a| a.id.as_str()))
                    .bind(kept.map(|a| a.started_at))
                    .bind(kept.map(|a| a.duration_ms))
                    .bind(kept.and_then(|a| a.status_code))
                    .bind(kept.and_then(|a| a.response_excerpt.as_deref()));
            }
            let ids: Vec<(String,)> = update.fetch_all(&mut *conn).await?;
            finished.extend(ids.into_iter().map(|(id,)| id));
        }
        Ok(finished)
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn row_statements_have_a_placeholder_for_each_column_of_each_row() {
            // An insert's columns are named in its head; the update reads v.column1 to v.columnN.
            let named = |head: &str| head[head.find('(').unwrap()..].split(',').count();
            let read = |text: &str| {
                (1..=64)
                    .filter(|n| {
                        text.contains(&format!("v.column{n} "))
                            || text.contains(&format!("v.column{n},"))
                    })
                    .max()
                    .unwrap()
            };
            for (statement, columns) in [
                (&super::INSERT_EVENTS, named(super::INSERT_EVENTS.head)),
                (
                    &super::INSERT_DELIVERIES,
                    named(super::INSERT_DELIVERIES.head),
                ),
                (&super::INSERT_ATTEMPTS, named(super::INSERT_ATTEMPTS.head)),
                (
                    &super::FINISH_DELIVERIES,
                    read(super::FINISH_DELIVERIES.text(1)),
                ),
            ] {
                assert_eq!(statement.columns, columns, "{}", statement.head);
                for rows in super::ROWS {
                    let text = statement.text(rows);
                    assert_eq!(text.matches('?').count(), rows * columns, "{text}");
                    assert_eq!(text.matches("), (").count(), rows - 1, "{text}");
                    assert!(text.starts_with(statement.head) && text.ends_with(statement.tail));
                }
            }
        }

        #[test]
        fn chunks_have_few_sizes_and_keep_every_row_in_order() {
            for n in 0..1_200usize {
                let rows: Vec<usize> = (0..n).collect();
                let chunks: Vec<&[usize]> = super::chunks(&rows).collect();
                assert!(
                    chunks.iter().all(|c| super::ROWS.contains(&c.len())),
                    "{n} rows"
                );
                assert_eq!(chunks.concat(), rows, "{n} rows");
                // Greedy over sizes four apart: at most three of each smaller size.
                assert!(
                    chunks.len() <= n / 256 + 12,
                    "{n} rows in {} statements",
                    chunks.len()
                );
            }
        }
    }
}

impl SqliteStore {
    /// A payload field's value as text: a string as itself, a number as its digits, `true`/`false`;
    /// digit segments index arrays.
    fn push_payload_text(query: &mut sqlx::QueryBuilder<'_, sqlx::Sqlite>, path: &[String]) {
        let mut json_path = String::from("$");
        for segment in path {
            if segment.bytes().all(|b| b.is_ascii_digit()) {
                json_path.push_str(&format!("[{segment}]"));
            } else {
                // Segments are letters, digits, `_` and `-` (checked by the service): nothing to escape.
                json_path.push_str(&format!(".\"{segment}\""));
            }
        }
        query
            .push("(CASE json_type(payload, ")
            .push_bind(json_path.clone())
            .push(") WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(json_extract(payload, ")
            .push_bind(json_path)
            .push(") AS TEXT) END)");
    }
}

impl SqliteStore {
    /// The query plan of an event search (`EXPLAIN QUERY PLAN`), one step a line: how the indexes serve it.
    pub async fn search_plan(
        &self,
        account_id: &str,
        app_id: &str,
        search: &EventSearch,
    ) -> Result<String> {
        let page = Page {
            limit: 51,
            after: None,
        };
        self.plan_of(Self::event_search(
            account_id,
            app_id,
            search,
            &page,
            "EXPLAIN QUERY PLAN SELECT id",
        ))
        .await
    }

    /// The query plan of a page of an account's attempt feed, as [`Self::search_plan`].
    pub async fn feed_plan(
        &self,
        account_id: &str,
        app_id: Option<&str>,
        after: Option<&str>,
    ) -> Result<String> {
        self.plan_of(Self::account_attempts(
            "EXPLAIN QUERY PLAN ",
            account_id,
            app_id,
            after,
            51,
        ))
        .await
    }

    async fn plan_of(&self, mut query: sqlx::QueryBuilder<'_, sqlx::Sqlite>) -> Result<String> {
        let rows: Vec<(i64, i64, i64, String)> =
            query.build_query_as().fetch_all(&self.reader).await?;
        Ok(rows
            .into_iter()
            .map(|(_, _, _, step)| step)
            .collect::<Vec<_>>()
            .join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (frames in the WAL, frames copied into the database file), from the WAL index's header: `mxFrame`
    /// of its first copy (offset 16) and `nBackfill` of the checkpoint information after both copies
    /// (offset 96), in the machine's byte order.
    fn wal_frames(db: &std::path::Path) -> (u32, u32) {
        let shm = std::fs::read(db.with_extension("db-shm")).unwrap();
        let word = |at: usize| u32::from_ne_bytes(shm[at..at + 4].try_into().unwrap());
        (word(16), word(96))
    }

    #[tokio::test]
    async fn the_wal_is_copied_back_by_the_background_not_by_commits() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("hookd.db");
        let url = format!("sqlite://{}", db.display());
        let store = SqliteStore::open(&url, SqliteSync::Full).await.unwrap();
        sqlx::query("CREATE TABLE scratch (body BLOB)")
            .execute(&store.writer)
            .await
            .unwrap();
        // About 1 500 pages in one commit: past SQLite's default of 1 000, at which a commit would copy
        // them back itself.
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500) \
             INSERT INTO scratch SELECT randomblob(3900) FROM n",
        )
        .execute(&store.writer)
        .await
        .unwrap();
        let (frames, _) = wal_frames(&db);
        assert!(frames >= 1_500, "the WAL holds {frames} frames");
        // Copied back within a few of the background's turns, with no further commit.
        let mut copied = 0;
        for _ in 0..40 {
            tokio::time::sleep(CHECKPOINT_EVERY / 2).await;
            let (frames, backfilled) = wal_frames(&db);
            copied = backfilled;
            if backfilled == frames {
                break;
            }
        }
        assert_eq!(copied, frames, "the WAL was not copied back");
    }
}
