//! PostgreSQL with its tablespace on a full tmpfs, and with the database read-only.

use sqlx::Connection;

use crate::helpers::{PgDatabase, Receiver, Storage};

use super::*;

/// A PostgreSQL database in a tablespace on a tmpfs of its own, dropped with the tablespace and the
/// mount.
struct PgInTmpfs {
    db: Option<PgDatabase>,
    tablespace: String,
    admin_url: String,
    tmpfs: Option<Tmpfs>,
    _dir: tempfile::TempDir,
}

impl PgInTmpfs {
    async fn create(mib: u32) -> Option<Self> {
        let admin_url = std::env::var("HOOKD_TEST_DATABASE_URL").ok();
        let Some(admin_url) = admin_url else {
            // PgDatabase::create reports the skip (and fails under CI).
            PgDatabase::create().await?;
            unreachable!("HOOKD_TEST_DATABASE_URL unset, yet a database was made");
        };
        let dir = tempfile::tempdir().unwrap();
        let tmpfs = Tmpfs::mount(dir.path(), mib);
        let location = dir.path().join("pg");
        std::fs::create_dir(&location).unwrap();
        run("chown", &["postgres:postgres", location.to_str().unwrap()]);
        let tablespace = format!("hookd_ts_{}", ulid::Ulid::new().to_string().to_lowercase());
        let mut conn = sqlx::PgConnection::connect(&admin_url).await.unwrap();
        sqlx::query(&format!(
            "CREATE TABLESPACE {tablespace} LOCATION '{}'",
            location.display()
        ))
        .execute(&mut conn)
        .await
        .expect("create tablespace (the server must run on this machine)");
        let db = PgDatabase::create_with(&format!(" TABLESPACE {tablespace}")).await?;
        Some(Self {
            db: Some(db),
            tablespace,
            admin_url,
            tmpfs: Some(tmpfs),
            _dir: dir,
        })
    }
}

impl Drop for PgInTmpfs {
    fn drop(&mut self) {
        drop(self.db.take());
        crate::helpers::admin_sql(
            &self.admin_url,
            &format!("DROP TABLESPACE IF EXISTS {}", self.tablespace),
        );
        drop(self.tmpfs.take());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_with_a_full_tablespace_acknowledges_only_what_it_stores() {
    let _load = crate::helpers::LOAD.read().await;
    if root().is_none() {
        return;
    }
    let Some(mut pg) = PgInTmpfs::create(48).await else {
        return;
    };
    let storage = Storage {
        dir: tempfile::tempdir().unwrap(),
        pg: pg.db.take(),
    };
    let receiver = Receiver::start().await;
    let mut server = Server::start(storage, &receiver).await;
    let filler = Filler::new(&pg.tmpfs.as_ref().unwrap().0);
    survive(
        &mut server,
        &receiver,
        "postgres-tablespace-full",
        &["disk_full"],
        || filler.fill(),
        || filler.clear(),
    )
    .await;
    server.stop();
    pg.db = server.storage.pg.take();
    drop(server);
    drop(pg);
}

/// Switches `default_transaction_read_only` for hookd's database and ends its sessions, as a failover to
/// a standby (or back to a primary) would: hookd's pool reconnects to a server in the new mode.
async fn set_read_only(admin_url: &str, name: &str, on: bool) {
    let mut conn = sqlx::PgConnection::connect(admin_url).await.unwrap();
    sqlx::query(&format!(
        "ALTER DATABASE {name} SET default_transaction_read_only = {}",
        if on { "on" } else { "off" }
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(name)
        .execute(&mut conn)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_read_only_acknowledges_only_what_it_stores() {
    let _load = crate::helpers::LOAD.read().await;
    let Some(storage) = Storage::new(crate::helpers::Backend::Postgres).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let mut server = Server::start(storage, &receiver).await;
    let db = server.storage.pg.as_ref().unwrap();
    let (admin_url, name) = (db.admin_url.clone(), db.name.clone());
    survive(
        &mut server,
        &receiver,
        "postgres-read-only",
        &["read_only"],
        || set_read_only(&admin_url, &name, true),
        || set_read_only(&admin_url, &name, false),
    )
    .await;
}
