//! On the store itself, both backends: the indexes serve the common event searches and the attempt feed
//! (their query plans name them), finishing deliveries goes by key on PostgreSQL, and each app's retention
//! decides when its payloads are dropped.

use hookd::{
    config::SqliteSync,
    store::{EventSearch, PgStore, Queue, SqliteStore},
};

use crate::helpers::PgDatabase;

const DAY_MS: i64 = 86_400_000;

/// The searches the console and the API make most: all of an app's events, by type, by type prefix, by
/// channel, by time, by a payload field; and the indexes that may serve each (for a type prefix that many
/// events have, walking the app's index newest first and stopping at a page is as good as the type index;
/// a payload field is read from the app's events, found by any index that begins with the app).
fn searches() -> Vec<(&'static str, EventSearch, &'static [&'static str])> {
    let t = |s: &str| Some(s.to_owned());
    vec![
        ("newest", EventSearch::default(), &["events_app"]),
        (
            "type",
            EventSearch {
                event_type: t("order.created"),
                ..EventSearch::default()
            },
            &["events_app_type"],
        ),
        (
            "type prefix",
            EventSearch {
                type_prefix: t("order."),
                ..EventSearch::default()
            },
            &["events_app_type", "events_app"],
        ),
        (
            "channel",
            EventSearch {
                channel_id: t("web"),
                ..EventSearch::default()
            },
            &["events_app_channel"],
        ),
        (
            "time",
            EventSearch {
                after: Some(1_000),
                before: Some(2_000),
                ..EventSearch::default()
            },
            &["events_app", "events_pkey"],
        ),
        (
            "payload field",
            EventSearch {
                payload: vec![(vec!["n".into()], "7".into())],
                ..EventSearch::default()
            },
            &["events_app", "events_app_type"],
        ),
    ]
}

/// Seeds an account, apps `shop` (the server's retention) and `brief` (one day), and `n` events of `shop`
/// plus `4 n` of another app, over 20 types and 1 channel in 7.
const SEED: &[&str] = &[
    "INSERT INTO accounts (id, name, parent_id, products, created_at) VALUES ('acc', 'a', NULL, '[]', 0)",
    "INSERT INTO apps (account_id, id, kind, name, max_subscriptions, created_at, updated_at, retention_ms) VALUES \
     ('acc', 'shop', 'native', NULL, 100, 0, 0, NULL), ('acc', 'other', 'native', NULL, 100, 0, 0, NULL), \
     ('acc', 'brief', 'native', NULL, 100, 0, 0, 86400000)",
];

fn events_sql(app: &str, n: i64, series: &str) -> String {
    format!(
        "INSERT INTO events (id, account_id, app_id, event_type, payload, channel_id, created_at) \
         SELECT 'evt_{app}_' || i, 'acc', '{app}', CASE WHEN i % 20 < 3 THEN 'order.t' || (i % 20) ELSE 'type' || (i % 20) END, \
         '{{\"n\": ' || i || '}}', CASE WHEN i % 7 = 0 THEN 'web' END, i FROM {series} WHERE i <= {n}"
    )
}

/// The numbers 1 to 20 000, as a table `s(i)`, for the seeding statements.
const SQLITE_SERIES: &str =
    "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 20000) SELECT i FROM s)";
const PG_SERIES: &str = "generate_series(1, 20000) AS s(i)";

/// Seeds `$pool` with 5 000 events of `shop` and 20 000 of `other` (numbered from `$series`), and for each
/// app what `$more(app, n)` adds after its events.
macro_rules! seed_events {
    ($pool:expr, $series:expr, $more:expr) => {
        for (app, n) in [("shop", 5_000), ("other", 20_000)] {
            let more: Option<String> = $more(app, n);
            for sql in std::iter::once(events_sql(app, n, $series)).chain(more) {
                sqlx::query(&sql).execute($pool).await.unwrap();
            }
        }
    };
}

/// A store on a fresh SQLite database, and a pool of its own on it, seeded with `SEED`. The directory
/// holds the database: keep it for as long as both are used.
async fn open_sqlite() -> (tempfile::TempDir, SqliteStore, sqlx::SqlitePool) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("hookd.db").display());
    let store = SqliteStore::open(&url, SqliteSync::Normal).await.unwrap();
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    for sql in SEED {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    (dir, store, pool)
}

/// The same on a fresh PostgreSQL database; `None` without PostgreSQL (see [`PgDatabase::create`]).
async fn open_postgres() -> Option<(PgDatabase, PgStore, sqlx::PgPool)> {
    let db = PgDatabase::create().await?;
    let store = PgStore::open(&db.url, 4, 0, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    for sql in SEED {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    Some((db, store, pool))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_searches_use_the_indexes() {
    let (_dir, store, pool) = open_sqlite().await;
    seed_events!(&pool, SQLITE_SERIES, |_, _| None);
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    for (what, search, indexes) in searches() {
        let plan = store.search_plan("acc", "shop", &search).await.unwrap();
        println!("SQLite, {what}:\n{plan}\n");
        let uses = |index: &&str| plan.contains(&format!("INDEX {index} "));
        assert!(
            indexes.iter().any(uses),
            "{what} uses one of {indexes:?}:\n{plan}"
        );
        assert!(
            !plan.contains("SCAN events\n") && !plan.ends_with("SCAN events"),
            "{what}: no full scan:\n{plan}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_searches_use_the_indexes() {
    let Some((_db, store, pool)) = open_postgres().await else {
        return;
    };
    seed_events!(&pool, PG_SERIES, |_, _| None);
    sqlx::query("ANALYZE events").execute(&pool).await.unwrap();
    for (what, search, indexes) in searches() {
        let plan = store.search_plan("acc", "shop", &search).await.unwrap();
        println!("PostgreSQL, {what}:\n{plan}\n");
        let uses = |index: &&str| {
            plan.contains(&format!("using {index} "))
                || plan.contains(&format!("Index Scan on {index} "))
        };
        assert!(
            indexes.iter().any(uses),
            "{what} uses one of {indexes:?}:\n{plan}"
        );
        assert!(
            !plan.contains("Seq Scan on events"),
            "{what}: no full scan:\n{plan}"
        );
    }
    drop(store);
    pool.close().await;
}

/// The pages of an account's attempt feed the console asks for: `(what, app, after)`.
const FEED_PAGES: [(&str, Option<&str>, Option<&str>); 3] = [
    ("the newest", None, None),
    ("an app's newest", Some("shop"), None),
    ("after a cursor", None, Some("att_shop_100")),
];

/// The index that reads a page of the first attempts kept in deliveries' rows in order, for one account.
const FEED_INDEX: &str = "deliveries_account_first";

/// A delivery of each of `app`'s first `n` events (from `series`), its first attempt kept in its row.
fn kept_deliveries_sql(app: &str, n: i64, series: &str) -> String {
    format!(
        "INSERT INTO deliveries (id, event_id, subscription_id, account_id, app_id, status, attempts, created_at, \
         updated_at, first_attempt_id, first_started_at, first_duration_ms, first_status_code) \
         SELECT 'dlv_{app}_' || i, 'evt_{app}_' || i, 'sub_{app}', 'acc', '{app}', 'succeeded', 1, i, i, \
         'att_{app}_' || i, i, 3, 200 FROM {series} WHERE i <= {n}"
    )
}

/// Statistics are never gathered on SQLite, so the plan is what the schema alone gives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_feed_reads_kept_attempts_in_order() {
    let (_dir, store, pool) = open_sqlite().await;
    seed_events!(&pool, SQLITE_SERIES, |app, n| Some(kept_deliveries_sql(
        app,
        n,
        SQLITE_SERIES
    )));
    for (what, app, after) in FEED_PAGES {
        let plan = store.feed_plan("acc", app, after).await.unwrap();
        println!("SQLite, {what}:\n{plan}\n");
        let kept = plan
            .split("CO-ROUTINE kept_in_delivery")
            .nth(1)
            .and_then(|rest| rest.split("SCAN kept_in_delivery").next())
            .unwrap_or_default();
        assert!(
            kept.contains(&format!("INDEX {FEED_INDEX} ")) && !kept.contains("TEMP B-TREE"),
            "{what} reads the kept attempts in order through {FEED_INDEX}, unsorted:\n{plan}"
        );
    }
    drop(store);
    pool.close().await;
}

/// [`open_postgres`] seeded with the two apps' events, a delivery of each whose first attempt is kept, and
/// analysed: every delivery finished, none leased.
async fn postgres_with_kept_deliveries() -> Option<(PgDatabase, PgStore, sqlx::PgPool)> {
    let (db, store, pool) = open_postgres().await?;
    seed_events!(&pool, PG_SERIES, |app, n| Some(kept_deliveries_sql(
        app, n, PG_SERIES
    )));
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    Some((db, store, pool))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_feed_reads_kept_attempts_in_order() {
    let Some((_db, store, pool)) = postgres_with_kept_deliveries().await else {
        return;
    };
    for (what, app, after) in FEED_PAGES {
        let plan = store.feed_plan("acc", app, after).await.unwrap();
        println!("PostgreSQL, {what}:\n{plan}\n");
        assert!(
            plan.contains(&format!(" using {FEED_INDEX} ")),
            "{what} reads the kept attempts through {FEED_INDEX}:\n{plan}"
        );
    }
    drop(store);
    pool.close().await;
}

/// Finishing a batch of attempted deliveries reaches them by key even when the statistics were gathered
/// while none was leased (deliveries are leased for milliseconds): the partial indexes that hold leased
/// deliveries then look like one row, and a plan through one joined every batch against all they hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_finishing_deliveries_goes_by_key() {
    let Some((_db, store, pool)) = postgres_with_kept_deliveries().await else {
        return;
    };
    let plan = store.finish_plan().await.unwrap();
    println!("PostgreSQL, finishing deliveries:\n{plan}\n");
    assert!(
        plan.contains(" using deliveries_pkey ")
            && !plan.contains("deliveries_leased")
            && !plan.contains("deliveries_unfinished"),
        "the finished deliveries are found by key:\n{plan}"
    );
    drop(store);
    pool.close().await;
}

/// Two events two days old, one of `shop` and one of `brief`; each sweep of `$store` drops what its app's
/// retention (or the server's, `keep_ms`) lets go. `$pool` reaches the same database.
macro_rules! expires_by_app {
    ($store:expr, $pool:expr) => {{
        let now = 10 * DAY_MS;
        let old = now - 2 * DAY_MS;
        sqlx::query(
            "INSERT INTO events (id, account_id, app_id, event_type, payload, created_at, schema_violations) VALUES \
             ('evt_s', 'acc', 'shop', 't', '{\"a\": 1}', $1, NULL), \
             ('evt_b', 'acc', 'brief', 't', '{\"a\": 1}', $1, '[{\"path\": \"/a\", \"message\": \"1 is not a string\"}]')",
        )
        .bind(old)
        .execute($pool)
        .await
        .unwrap();
        let payload_of = |id: &'static str| {
            sqlx::query_scalar::<_, String>("SELECT payload FROM events WHERE id = $1")
                .bind(id)
                .fetch_one($pool)
        };
        $store.expire(30 * DAY_MS, now, 100).await.unwrap();
        assert_eq!(payload_of("evt_b").await.unwrap(), "null", "brief keeps a day");
        let violations: Option<String> =
            sqlx::query_scalar("SELECT schema_violations FROM events WHERE id = 'evt_b'")
                .fetch_one($pool)
                .await
                .unwrap();
        assert_eq!(violations, None, "violations quote the payload: they go with it");
        assert_eq!(payload_of("evt_s").await.unwrap(), "{\"a\": 1}", "shop keeps the server's 30 days");
        $store.expire(DAY_MS / 24, now, 100).await.unwrap();
        assert_eq!(payload_of("evt_s").await.unwrap(), "null", "the server's retention applies to shop");
    }};
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_apps_have_their_own_retention() {
    let (_dir, store, pool) = open_sqlite().await;
    expires_by_app!(store, &pool);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_apps_have_their_own_retention() {
    let Some((_db, store, pool)) = open_postgres().await else {
        return;
    };
    expires_by_app!(store, &pool);
    drop(store);
    pool.close().await;
}
