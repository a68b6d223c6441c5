//! The PostgreSQL store, for deployments that want a server database or several hookd processes. Rows
//! are claimed with `FOR UPDATE SKIP LOCKED`, so concurrent dispatchers never lease the same delivery.

use std::{
    str::FromStr,
    sync::atomic::{AtomicI64, Ordering},
    time::Duration,
};

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::Connection;

use super::group::GroupCommits;
use super::guards::{interval_ms, millis, Slot, HOLD};
use super::health::StorageHealth;
use super::sql::*;
use super::{
    cache_key, AccountRow, AppRow, AttemptEntryRow, AttemptOutcome, AttemptRow, DeliveryJob,
    DeliveryRow, EventInsert, EventRow, EventSearch, HealthChange, KeyRow, NewDelivery, Page,
    ReadCaches, Result, StoreError, SubscriptionRow, Writes,
};

pub struct PgStore {
    writer: PgPool,
    reader: PgPool,
    writes: Writes,
    health: std::sync::Arc<StorageHealth>,
    caches: ReadCaches,
    /// When a claim last walked the whole due index (see [`PgStore::due_with_room`]), in ms.
    last_walk_ms: AtomicI64,
}

/// The longest a claim goes by [`PgStore::due_with_room`] alone before it walks the whole due index again,
/// which finds what that leaves out: subscriptions with no attempt in flight here, fifo ones.
const WALK_EVERY_MS: i64 = 1_000;

/// A connection once the server accepts one: tried again with backoff (250 ms doubling to 5 s), each
/// failure logged, until `timeout` has passed; then the last failure with how long it was tried. A
/// database starting beside hookd (a compose file, a pod), restarting, or out of connection slots is
/// waited for rather than ending the start-up.
async fn first_connection(
    options: &PgConnectOptions,
    redacted: &str,
    timeout: Duration,
) -> anyhow::Result<PgConnection> {
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(250);
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let error = match PgConnection::connect_with(options).await {
            Ok(conn) => {
                if attempt > 1 {
                    tracing::info!(attempt, "connected to PostgreSQL at {redacted}");
                }
                return Ok(conn);
            }
            Err(e) => e,
        };
        let waited = started.elapsed();
        if waited + pause > timeout {
            return Err(anyhow::Error::new(error).context(format!(
                "connecting to PostgreSQL at {redacted}: gave up after {attempt} attempts in {} ms \
                 (database_connect_timeout_ms = {})",
                waited.as_millis(),
                timeout.as_millis()
            )));
        }
        tracing::warn!(
            attempt,
            error = %error,
            "PostgreSQL at {redacted} is not accepting connections; trying again in {} ms",
            pause.as_millis()
        );
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

impl PgStore {
    /// Connects (trying again for up to `connect_timeout` while the server does not accept), applies
    /// the migrations (on a connection of their own, without the statement timeout: a migration may
    /// rewrite a large table) and opens a pool of `max_connections` whose statements are cancelled after
    /// `statement_timeout_ms` (0: never).
    pub async fn open(
        url: &str,
        max_connections: u32,
        statement_timeout_ms: u64,
        connect_timeout: Duration,
    ) -> anyhow::Result<Self> {
        let redacted = crate::domain::url::redact(url);
        let options = PgConnectOptions::from_str(url)
            .with_context(|| format!("invalid PostgreSQL URL {redacted}"))?;
        {
            let mut conn = first_connection(&options, &redacted, connect_timeout).await?;
            // The migrator holds an advisory lock, so nodes starting together migrate once.
            sqlx::migrate!("./migrations/postgres")
                .run(&mut conn)
                .await
                .context("applying PostgreSQL migrations")?;
            conn.close().await?;
        }
        let options = if statement_timeout_ms > 0 {
            options.options([("statement_timeout", statement_timeout_ms.to_string())])
        } else {
            options
        };
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .with_context(|| format!("connecting to PostgreSQL at {redacted}"))?;
        let health = std::sync::Arc::new(StorageHealth::default());
        let writes = Self::group_writes(&pool, &health, false);
        Ok(Self {
            writer: pool.clone(),
            reader: pool,
            writes,
            health,
            caches: ReadCaches::default(),
            last_walk_ms: AtomicI64::new(i64::MIN),
        })
    }

    /// The sliding window in one statement: the key's row holds its call times of the last second (by
    /// the database's clock); the upsert's row lock orders concurrent calls, and a call is added only
    /// while fewer than `per_second` are recent.
    async fn count_call(&self, key: &str, per_second: u32) -> Result<bool> {
        let counted = sqlx::query(
            "INSERT INTO call_windows AS w (key, calls) \
             VALUES ($1, ARRAY[(extract(epoch FROM clock_timestamp()) * 1000)::int8]) \
             ON CONFLICT (key) DO UPDATE \
             SET calls = ARRAY(SELECT c FROM unnest(w.calls) c WHERE c > excluded.calls[1] - $2) || excluded.calls[1] \
             WHERE (SELECT count(*) FROM unnest(w.calls) c WHERE c > excluded.calls[1] - $2) < $3",
        )
        .bind(key)
        .bind(super::guards::WINDOW.as_millis() as i64)
        .bind(i64::from(per_second))
        .execute(&self.writer)
        .await
        .map_err(StoreError::from_write)?;
        Ok(counted.rows_affected() == 1)
    }

    /// The cell rate algorithm in one statement: the key's row holds when its next slot opens (database
    /// clock); a slot no more than the hold away is taken and the row moved on by one interval.
    async fn pace_slot(&self, key: &str, per_second: u32) -> Result<Slot> {
        let interval = interval_ms(per_second);
        let hold = HOLD.as_millis() as f64;
        let wait: Option<(f64,)> = sqlx::query_as(
            "WITH clock AS (SELECT extract(epoch FROM clock_timestamp())::float8 * 1000 AS now) \
             INSERT INTO pace_slots AS p (key, next_at) SELECT $1, now + $2 FROM clock \
             ON CONFLICT (key) DO UPDATE SET next_at = greatest(p.next_at, excluded.next_at - $2) + $2 \
             WHERE p.next_at - (excluded.next_at - $2) <= $3 \
             RETURNING next_at - $2 - (SELECT now FROM clock)",
        )
        .bind(key)
        .bind(interval)
        .bind(hold)
        .fetch_optional(&self.writer)
        .await
        .map_err(StoreError::from_write)?;
        if let Some((wait,)) = wait {
            return Ok(Slot::Wait(millis(wait)));
        }
        let (due,): (f64,) = sqlx::query_as(
            "SELECT next_at - extract(epoch FROM clock_timestamp())::float8 * 1000 FROM pace_slots WHERE key = $1",
        )
        .bind(key)
        .fetch_one(&self.reader)
        .await?;
        Ok(Slot::Defer(millis(due.ceil())))
    }
}

impl PgStore {
    /// The oldest due deliveries of the subscriptions with attempts in flight here and room for more (at
    /// most their room each, `limit` in all), read by `deliveries_due_by_subscription`; `None` when they
    /// are fewer than `limit`, or the whole due index was last walked `WALK_EVERY_MS` ago or more, and the
    /// claim is to walk it.
    ///
    /// A claim walks `deliveries_due` from its head and passes the entries of subscriptions at their cap.
    /// A subscription whose receiver is slow keeps its slots taken and its backlog at that head, and here
    /// the walk reads each passed entry's row (the visibility map of a queue table is never current), so
    /// a claim costs more the more such a backlog holds: 5-25 ms per claim with two slow receivers among
    /// twenty. This read costs a few entries per subscription with room, however long those backlogs are.
    async fn due_with_room(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        room: &std::collections::HashMap<String, i64>,
        now: i64,
        limit: i64,
    ) -> Result<Option<Vec<(String, String)>>> {
        let last = self.last_walk_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= WALK_EVERY_MS {
            self.last_walk_ms.store(now, Ordering::Relaxed);
            return Ok(None);
        }
        let (ids, rooms): (Vec<&str>, Vec<i64>) = room
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(id, n)| (id.as_str(), *n))
            .unzip();
        if rooms.iter().sum::<i64>() < limit {
            return Ok(None);
        }
        // A fifo subscription's next delivery is its oldest unfinished one, which the walk checks.
        let due: Vec<(String, String)> = sqlx::query_as(
            "SELECT c.id, c.subscription_id FROM unnest($1::text[], $2::bigint[]) AS w(subscription_id, room) \
             JOIN subscriptions s ON s.id = w.subscription_id \
             CROSS JOIN LATERAL (SELECT d.id, d.subscription_id, d.next_attempt_at FROM deliveries d \
                 WHERE d.subscription_id = w.subscription_id AND d.status IN ('pending', 'retrying') \
                 AND d.next_attempt_at <= $3 ORDER BY d.next_attempt_at, d.id LIMIT w.room) c \
             WHERE s.status = 'enabled' AND s.ordering <> 'fifo' \
             ORDER BY c.next_attempt_at, c.id LIMIT $4",
        )
        .bind(ids)
        .bind(rooms)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut **tx)
        .await?;
        Ok((due.len() as i64 >= limit).then_some(due))
    }

    /// Analyses the queue's tables whose rows changed by more than autovacuum's default rule (50 rows plus
    /// a tenth of the table) since their statistics were gathered, and those whose size the planner has
    /// wrong by more than a tenth (twenty subscriptions never analysed are fewer than 50 changes, and are
    /// planned as one). Autovacuum does the same within a minute when it runs, but it may be off, and
    /// until then a table that grew from empty in seconds is planned as if it were still empty: with
    /// 80 000 deliveries due and a hundred subscriptions never analysed, a claim read every due delivery,
    /// per subscription, and took 0.4 to 0.9 s instead of 6 ms.
    async fn analyze_stale(&self) -> Result<Vec<String>> {
        let stale: Vec<(String,)> = sqlx::query_as(
            "SELECT s.relname::text FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid \
             WHERE s.relid IN ('deliveries'::regclass, 'subscriptions'::regclass, 'events'::regclass, 'attempts'::regclass) \
             AND (s.n_mod_since_analyze > 50 + s.n_live_tup / 10 \
                  OR abs(s.n_live_tup - greatest(c.reltuples, 0)) > 5 + s.n_live_tup / 10)",
        )
        .fetch_all(&self.reader)
        .await?;
        for (table,) in &stale {
            // The names come from the fixed list above.
            sqlx::query(&format!("ANALYZE {table}"))
                .execute(&self.writer)
                .await?;
        }
        Ok(stale.into_iter().map(|(table,)| table).collect())
    }
}

/// Appends `= ANY (…)` (`member`) or `<> ALL (…)` for `ids`, given as one array parameter: the text is the
/// same for any number of ids, so the statement is prepared once.
pub(crate) fn push_id_set<'q, S>(
    query: &mut sqlx::QueryBuilder<'q, sqlx::Postgres>,
    member: bool,
    ids: impl IntoIterator<Item = &'q S>,
) where
    S: AsRef<str> + ?Sized + 'q,
{
    let ids: Vec<String> = ids.into_iter().map(|id| id.as_ref().to_owned()).collect();
    query
        .push(if member { " = ANY (" } else { " <> ALL (" })
        .push_bind(ids)
        .push("::text[])");
}

impl_store!(PgStore, sqlx::Postgres, backend = "postgres");
impl_catalogs!(PgStore, sqlx::Postgres);
impl_portals!(PgStore, sqlx::Postgres);
impl_tenancy!(PgStore, sqlx::Postgres, for_update = " FOR UPDATE");
impl_records!(PgStore, sqlx::Postgres);
impl_queue!(
    PgStore,
    sqlx::Postgres,
    skip_locked = " FOR UPDATE OF d SKIP LOCKED",
    stored_order = "seq"
);
impl_activity!(PgStore, sqlx::Postgres);
impl_guards!(PgStore, sqlx::Postgres);
impl_group_writes!(PgStore, sqlx::Postgres);

/// The multi-row writes, each one statement with one array parameter per column. The text never changes
/// with the number of rows, so each is parsed and planned once per connection (a `VALUES` list of n rows
/// would be a new statement, prepared anew, for every n). Each kind of group is a single statement, atomic
/// by itself: it needs no transaction around it, and costs one round trip to the server.
mod bulk {
    use super::super::sql::{attempt_cols, delivery_rows, event_cols};
    use super::super::{AttemptOutcome, EventRow, NewDelivery, Result, StoreError};

    /// Each of [`write_rows`]' kinds of rows is written by one statement, so a group of one kind needs no
    /// transaction.
    pub const ATOMIC_STATEMENT: bool = true;

    /// One column of `rows`.
    fn col<'r, T: 'r, V>(rows: &'r [T], f: impl Fn(&'r T) -> V) -> Vec<V> {
        rows.iter().map(f).collect()
    }

    /// Writes a group's rows and returns which of the subscriptions `succeeded` names are not healthy (a
    /// run of failures, dead deliveries counted): the events with their deliveries in one statement
    /// ([`INSERT_EVENTS`]), the outcomes in another ([`FINISH_DELIVERIES`]).
    pub async fn write_rows(
        conn: &mut sqlx::PgConnection,
        events: &[(&EventRow, &[NewDelivery])],
        outcomes: &[&AttemptOutcome],
        succeeded: &[&str],
    ) -> Result<Vec<String>> {
        if !events.is_empty() {
            insert_events(conn, events).await?;
        }
        if outcomes.is_empty() {
            return Ok(Vec::new());
        }
        finish_deliveries(conn, outcomes, succeeded).await
    }

    /// The events (`$1`–`$13`) and their deliveries (`$14`–`$22`). The deliveries' reference to their
    /// event is checked at the end of the statement, when the events are in.
    const INSERT_EVENTS: &str = concat!(
        "WITH e AS (INSERT INTO events (",
        event_cols!(),
        ") SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
         $7::text[], $8::text[], $9::text[], $10::bigint[], $11::text[], $12::bigint[], $13::text[])) \
         INSERT INTO deliveries (id, event_id, subscription_id, account_id, app_id, status, attempts, \
         next_attempt_at, lease_owner, lease_until, created_at, updated_at) \
         SELECT v.id, v.event_id, v.subscription_id, v.account_id, v.app_id, \
         CASE WHEN v.lease_owner IS NULL THEN 'pending' ELSE 'delivering' END, 0, v.due_at, v.lease_owner, \
         v.lease_until, v.created_at, v.created_at \
         FROM unnest($14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::bigint[], \
         $20::text[], $21::bigint[], $22::bigint[]) \
         AS v(id, event_id, subscription_id, account_id, app_id, due_at, lease_owner, lease_until, created_at)"
    );

    async fn insert_events(
        conn: &mut sqlx::PgConnection,
        items: &[(&EventRow, &[NewDelivery])],
    ) -> Result<()> {
        let deliveries = delivery_rows(items);
        sqlx::query(INSERT_EVENTS)
            .bind(col(items, |(e, _)| e.id.as_str()))
            .bind(col(items, |(e, _)| e.account_id.as_str()))
            .bind(col(items, |(e, _)| e.app_id.as_str()))
            .bind(col(items, |(e, _)| e.event_type.as_str()))
            .bind(col(items, |(e, _)| e.payload.as_str()))
            .bind(col(items, |(e, _)| e.channel_id.as_deref()))
            .bind(col(items, |(e, _)| e.user_id.as_deref()))
            .bind(col(items, |(e, _)| e.idempotency_key.as_deref()))
            .bind(col(items, |(e, _)| e.request_hash.as_deref()))
            .bind(col(items, |(e, _)| e.created_at))
            .bind(col(items, |(e, _)| e.traceparent.as_deref()))
            .bind(col(items, |(e, _)| e.schema_version))
            .bind(col(items, |(e, _)| e.schema_violations.as_deref()))
            .bind(col(&deliveries, |(_, d)| d.id.as_str()))
            .bind(col(&deliveries, |(e, _)| e.id.as_str()))
            .bind(col(&deliveries, |(_, d)| d.subscription_id.as_str()))
            .bind(col(&deliveries, |(e, _)| e.account_id.as_str()))
            .bind(col(&deliveries, |(e, _)| e.app_id.as_str()))
            .bind(col(&deliveries, |(_, d)| d.due_at))
            .bind(col(&deliveries, |(_, d)| {
                d.lease.as_ref().map(|l| l.owner.as_str())
            }))
            .bind(col(&deliveries, |(_, d)| d.lease.as_ref().map(|l| l.until)))
            .bind(col(&deliveries, |(e, _)| e.created_at))
            .execute(conn)
            .await
            .map_err(StoreError::from_write)?;
        Ok(())
    }

    /// The outcomes (`$1`–`$14`), and the subscriptions whose health to check (`$15`). The attempted
    /// deliveries are moved on, by their lease holder only (a delivery cancelled meanwhile stays cancelled),
    /// and a first attempt that succeeded is kept in its delivery's row. Every other attempt becomes a row
    /// of `attempts`, and so does a kept one whose update missed (the lease was lost), so that no attempt
    /// goes unrecorded. Returns the subscriptions of `$15` that are not healthy.
    ///
    /// The status check is written `status || ''` so that no partial index holding leased deliveries
    /// (`deliveries_leased`, `deliveries_unfinished`) can serve it: deliveries are leased for milliseconds,
    /// so the statistics rarely see one, and the planner took such an index for one row and joined the
    /// whole batch against every delivery in it. Under a backlog of a million deliveries that was 1.1 s per
    /// batch of 512 outcomes instead of a few milliseconds through the key.
    pub(super) const FINISH_DELIVERIES: &str = concat!(
        "WITH v AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], \
         $6::text[], $7::bigint[], $8::text[], $9::text[], $10::bool[], $11::text[], $12::bigint[], \
         $13::bigint[], $14::text[]) \
         AS v(id, status, attempts, next_attempt_at, status_code, error, updated_at, lease_owner, failure, \
         kept, attempt_id, started_at, duration_ms, excerpt)), \
         f AS (UPDATE deliveries SET status = v.status, attempts = v.attempts, \
         next_attempt_at = v.next_attempt_at, lease_owner = NULL, lease_until = NULL, \
         last_status_code = v.status_code, last_error = v.error, updated_at = v.updated_at, \
         last_failure = v.failure, \
         first_attempt_id = CASE WHEN v.kept THEN v.attempt_id ELSE deliveries.first_attempt_id END, \
         first_started_at = CASE WHEN v.kept THEN v.started_at ELSE deliveries.first_started_at END, \
         first_duration_ms = CASE WHEN v.kept THEN v.duration_ms ELSE deliveries.first_duration_ms END, \
         first_status_code = CASE WHEN v.kept THEN v.status_code ELSE deliveries.first_status_code END, \
         first_response_excerpt = CASE WHEN v.kept THEN v.excerpt ELSE deliveries.first_response_excerpt END \
         FROM v WHERE deliveries.id = v.id AND deliveries.status || '' = 'delivering' \
         AND deliveries.lease_owner = v.lease_owner RETURNING deliveries.id), \
         a AS (INSERT INTO attempts (",
        attempt_cols!(),
        ") SELECT v.attempt_id, v.id, v.attempts, v.started_at, v.duration_ms, v.status_code, v.error, \
         v.excerpt, v.failure FROM v WHERE NOT v.kept OR v.id NOT IN (SELECT id FROM f)) \
         SELECT id FROM subscriptions WHERE (failing_since IS NOT NULL OR dead_count > 0) \
         AND id = ANY ($15::text[])"
    );

    async fn finish_deliveries(
        conn: &mut sqlx::PgConnection,
        outcomes: &[&AttemptOutcome],
        succeeded: &[&str],
    ) -> Result<Vec<String>> {
        let unhealthy: Vec<(String,)> = sqlx::query_as(FINISH_DELIVERIES)
            .bind(col(outcomes, |o| o.attempt.delivery_id.as_str()))
            .bind(col(outcomes, |o| o.status.as_str()))
            .bind(col(outcomes, |o| o.attempt.attempt_no))
            .bind(col(outcomes, |o| o.next_attempt_at))
            .bind(col(outcomes, |o| o.attempt.status_code))
            .bind(col(outcomes, |o| o.attempt.error.as_deref()))
            .bind(col(outcomes, |o| {
                o.attempt.started_at + o.attempt.duration_ms
            }))
            .bind(col(outcomes, |o| o.lease_owner.as_str()))
            .bind(col(outcomes, |o| o.attempt.failure.as_deref()))
            .bind(col(outcomes, |o| o.kept_in_delivery()))
            .bind(col(outcomes, |o| o.attempt.id.as_str()))
            .bind(col(outcomes, |o| o.attempt.started_at))
            .bind(col(outcomes, |o| o.attempt.duration_ms))
            .bind(col(outcomes, |o| o.attempt.response_excerpt.as_deref()))
            .bind(succeeded)
            .fetch_all(conn)
            .await?;
        Ok(unhealthy.into_iter().map(|(id,)| id).collect())
    }
}

/// A scratch database for unit tests, on the server `HOOKD_TEST_DATABASE_URL` names.
#[cfg(test)]
pub(crate) struct ScratchDatabase {
    admin_url: String,
    name: String,
    /// The scratch database's URL.
    pub url: String,
}

#[cfg(test)]
impl ScratchDatabase {
    /// A new empty database; `None` (the test is skipped, and says so) when `HOOKD_TEST_DATABASE_URL` is
    /// unset, which fails the test under CI.
    pub async fn create() -> Option<Self> {
        use sqlx::Executor;
        let Ok(admin_url) = std::env::var("HOOKD_TEST_DATABASE_URL") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "HOOKD_TEST_DATABASE_URL must be set in CI"
            );
            eprintln!("SKIPPED: PostgreSQL test — set HOOKD_TEST_DATABASE_URL");
            return None;
        };
        let name = format!(
            "hookd_unit_{}",
            ulid::Ulid::new().to_string().to_lowercase()
        );
        let mut admin = PgConnection::connect(&admin_url).await.unwrap();
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap();
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&name);
        Some(Self {
            admin_url,
            name,
            url: url.to_string(),
        })
    }

    /// Drops the database, closing whatever connections are still open to it.
    pub async fn drop(self) {
        use sqlx::Executor;
        let mut admin = PgConnection::connect(&self.admin_url).await.unwrap();
        admin
            .execute(format!("DROP DATABASE {} WITH (FORCE)", self.name).as_str())
            .await
            .unwrap();
    }
}

impl PgStore {
    /// A payload field's value as text (`#>>`): a string as itself, a number as its digits, `true`/`false`.
    fn push_payload_text(query: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>, path: &[String]) {
        query
            .push("(payload::jsonb #>> ")
            .push_bind(path.to_vec())
            .push("::text[])");
    }
}

impl PgStore {
    /// The query plan of an event search (`EXPLAIN`): how the indexes serve it.
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
            "EXPLAIN SELECT id",
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
            "EXPLAIN ", account_id, app_id, after, 51,
        ))
        .await
    }

    /// The generic plan (the one a prepared statement settles on) of the statement finishing a batch of
    /// attempted deliveries: it should reach them through the key, whatever the statistics say.
    pub async fn finish_plan(&self) -> Result<String> {
        let mut tx = self.reader.begin().await?;
        let statement = format!(
            "SET LOCAL plan_cache_mode = force_generic_plan; PREPARE hookd_finish_plan AS {}",
            bulk::FINISH_DELIVERIES
        );
        sqlx::raw_sql(&statement).execute(&mut *tx).await?;
        let rows: Vec<(String,)> = sqlx::query_as(
            "EXPLAIN EXECUTE hookd_finish_plan(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
        )
        .fetch_all(&mut *tx)
        .await?;
        sqlx::raw_sql("DEALLOCATE hookd_finish_plan")
            .execute(&mut *tx)
            .await?;
        tx.rollback().await?;
        Ok(plan_text(rows))
    }

    async fn plan_of(&self, mut query: sqlx::QueryBuilder<'_, sqlx::Postgres>) -> Result<String> {
        let rows: Vec<(String,)> = query.build_query_as().fetch_all(&self.reader).await?;
        Ok(plan_text(rows))
    }
}

/// An `EXPLAIN`'s rows as one text, a line each.
fn plan_text(rows: Vec<(String,)>) -> String {
    rows.into_iter()
        .map(|(line,)| line)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pool's connections carry the configured statement timeout. Needs PostgreSQL
    /// (`HOOKD_TEST_DATABASE_URL`); under CI its absence fails the test.
    #[tokio::test]
    async fn statements_time_out_as_configured() {
        let Some(db) = ScratchDatabase::create().await else {
            return;
        };
        let store = PgStore::open(&db.url, 2, 1_500, Duration::ZERO)
            .await
            .unwrap();
        let timeout: String = sqlx::query_scalar("SHOW statement_timeout")
            .fetch_one(&store.writer)
            .await
            .unwrap();
        let slow = sqlx::query("SELECT pg_sleep(3)")
            .execute(&store.writer)
            .await;
        store.writer.close().await;
        drop(store);
        db.drop().await;
        assert_eq!(timeout, "1500ms");
        let err = slow.expect_err("a 3 s statement outlived the 1.5 s timeout");
        assert!(
            err.to_string().contains("statement timeout"),
            "unexpected error: {err}"
        );
    }

    /// A store on a scratch database holding account `acc_1` and its app `app_1`, then `statements`; `None`
    /// without PostgreSQL (see `ScratchDatabase::create`).
    async fn store_with_app(statements: &[&str]) -> Option<(ScratchDatabase, PgStore)> {
        let db = ScratchDatabase::create().await?;
        let store = PgStore::open(&db.url, 2, 0, Duration::ZERO).await.unwrap();
        let app = [
            "INSERT INTO accounts (id, name, products, created_at) VALUES ('acc_1', 'a', '', 0)",
            "INSERT INTO apps (account_id, id, kind, max_subscriptions, created_at, updated_at) \
             VALUES ('acc_1', 'app_1', 'native', 100, 0, 0)",
        ];
        for statement in app.iter().chain(statements) {
            sqlx::query(statement).execute(&store.writer).await.unwrap();
        }
        Some((db, store))
    }

    /// While a subscription is at its cap, a claim takes the due work of subscriptions with attempts in
    /// flight and room by subscription (never a disabled or fifo one's), walks the whole due index when that
    /// falls short of the claim, and walks it at least every `WALK_EVERY_MS` all the same, so that due work
    /// of a subscription with nothing in flight is not passed over for long.
    #[tokio::test]
    async fn claims_beside_a_full_subscription_go_by_subscription_and_still_walk() {
        use crate::store::Queue;
        let Some((db, store)) = store_with_app(&[
            "INSERT INTO subscriptions (id, account_id, app_id, url, status, event_types, users, format, \
             secrets, headers, created_at, updated_at, ordering) SELECT s.id, 'acc_1', 'app_1', \
             'https://example.com', s.status, '[]', '[]', 'native', '', '{}', 0, 0, s.ordering \
             FROM (VALUES ('full', 'enabled', 'none'), ('room', 'enabled', 'none'), ('idle', 'enabled', 'none'), \
             ('fifo', 'enabled', 'fifo'), ('off', 'disabled', 'none')) AS s(id, status, ordering)",
            "INSERT INTO events (id, account_id, app_id, event_type, payload, created_at) \
             VALUES ('evt_1', 'acc_1', 'app_1', 't', '{}', 0)",
            // Due at: idle 1, 2, 4, 7; full 3 and 8-17; off 5, 6; fifo 18, 19; room 20-27.
            "INSERT INTO deliveries (id, event_id, subscription_id, account_id, app_id, status, attempts, \
             next_attempt_at, created_at, updated_at) SELECT d.sub || '_' || d.due, 'evt_1', d.sub, 'acc_1', \
             'app_1', 'pending', 0, d.due, 0, 0 FROM (SELECT 'idle', unnest(ARRAY[1, 2, 4, 7]) \
             UNION ALL SELECT 'full', unnest(ARRAY[3]) UNION ALL SELECT 'full', generate_series(8, 17) \
             UNION ALL SELECT 'off', unnest(ARRAY[5, 6]) UNION ALL SELECT 'room', generate_series(20, 27) \
             UNION ALL SELECT 'fifo', unnest(ARRAY[18, 19])) AS d(sub, due)",
        ])
        .await
        else {
            return;
        };
        let room: std::collections::HashMap<String, i64> =
            [("full", 0), ("room", 8), ("fifo", 3), ("off", 3)]
                .into_iter()
                .map(|(id, n)| (id.to_owned(), n))
                .collect();
        let t = 1_000_000;
        let mut claimed = Vec::new();
        for (now, limit) in [
            (t, 2),
            (t + 10, 3),
            (t + 20, 2),
            (t + WALK_EVERY_MS + 20, 2),
            (t + WALK_EVERY_MS + 30, 4),
        ] {
            let jobs = store
                .claim_due("node_1", now, now + 60_000, limit, &room, 64)
                .await
                .unwrap();
            let mut ids: Vec<String> = jobs.into_iter().map(|j| j.delivery_id).collect();
            ids.sort();
            claimed.push(ids);
        }
        store.writer.close().await;
        drop(store);
        db.drop().await;
        assert_eq!(
            claimed,
            [
                // The first claim walks the due index: the oldest of the subscriptions with room.
                vec!["idle_1", "idle_2"],
                // By subscription: idle's older ones wait, and neither fifo nor the disabled one is read.
                vec!["room_20", "room_21", "room_22"],
                vec!["room_23", "room_24"],
                // A second after the last walk, the next claim walks again and finds idle's.
                vec!["idle_4", "idle_7"],
                // Room has three left for a claim of four: it walks, and fifo's oldest comes too.
                vec!["fifo_18", "room_25", "room_26", "room_27"],
            ]
        );
    }

    /// Tables that changed are analysed, a small one too, until the planner's estimates are right; a table
    /// that did not change is not.
    #[tokio::test]
    async fn stale_statistics_are_refreshed_once() {
        let Some((db, store)) = store_with_app(&[]).await else {
            return;
        };
        sqlx::query(
            "INSERT INTO subscriptions (id, account_id, app_id, url, status, event_types, users, format, \
             secrets, headers, created_at, updated_at) SELECT 'sub_' || n, 'acc_1', 'app_1', \
             'https://example.com', 'enabled', '[]', '[]', 'native', '', '{}', 0, 0 \
             FROM generate_series(1, 20) AS n",
        )
        .execute(&store.writer)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO events (id, account_id, app_id, event_type, payload, created_at) \
             SELECT 'evt_' || n, 'acc_1', 'app_1', 't', '{}', n FROM generate_series(1, 3000) AS n",
        )
        .execute(&store.writer)
        .await
        .unwrap();
        // Statistics of committed transactions reach pg_stat_user_tables a second or so later, each
        // connection's on its own: the tables may be analysed in separate calls, and one again once the
        // rest of its changes arrive. Within a few seconds every changed table is analysed, then none.
        let mut analysed = std::collections::BTreeSet::new();
        let mut quiet = 0;
        for _ in 0..100 {
            let tables = store.analyze_stale().await.unwrap();
            quiet = if tables.is_empty() { quiet + 1 } else { 0 };
            analysed.extend(tables);
            if analysed.len() == 2 && quiet >= 30 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let estimates: Vec<(String, f32)> = sqlx::query_as(
            "SELECT relname::text, reltuples FROM pg_class \
             WHERE relname IN ('events', 'subscriptions', 'deliveries') ORDER BY relname",
        )
        .fetch_all(&store.reader)
        .await
        .unwrap();
        store.writer.close().await;
        store.reader.close().await;
        drop(store);
        db.drop().await;
        assert_eq!(
            analysed.into_iter().collect::<Vec<_>>(),
            ["events", "subscriptions"],
            "3 000 new events and 20 subscriptions; deliveries did not change"
        );
        assert!(
            quiet >= 30,
            "a table is still analysed again and again, 3 s after the last change"
        );
        assert_eq!(
            estimates,
            [
                ("deliveries".to_owned(), -1.0),
                ("events".to_owned(), 3000.0),
                ("subscriptions".to_owned(), 20.0)
            ],
            "the planner's row estimates after the analyses"
        );
    }
}
