//! The hookd under test: child processes of the release binary on a fresh store (a temporary SQLite
//! directory, or a fresh PostgreSQL database that several processes may share), each optionally held to a
//! share of a CPU in a cgroup of its own, with their CPU time and RSS read from `/proc` and the size of
//! their store on disk.

use std::{
    net::{SocketAddr, TcpListener},
    path::Path,
    process::Stdio,
    time::Duration,
};

use anyhow::{bail, Context, Result};
use sqlx::{Connection, Executor, PgConnection};
use tokio::process::{Child, Command};

use crate::{cgroup::CpuCap, client::Conn};

pub const ADMIN_TOKEN: &str = "bench-admin-token-0123456789";
/// One master key for every node: nodes sharing a database must open each other's sealed secrets.
const MASTER_KEY: &str = "be0c1d2e3f405162738495a6b7c8d9eafb0c1d2e3f405162738495a6b7c8d9ea";

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// One `hookd serve` process.
struct Node {
    addr: SocketAddr,
    child: Child,
    pid: u32,
    /// Its data directory (with SQLite, where the database is).
    dir: tempfile::TempDir,
    cap: Option<CpuCap>,
}

/// A fresh PostgreSQL database of one run.
struct Database {
    /// The server's URL the benchmark was given, for dropping the database.
    admin_url: String,
    name: String,
    url: String,
}

/// The hookd under test: one process, or several on one PostgreSQL database.
pub struct Hookd {
    nodes: Vec<Node>,
    database: Option<Database>,
}

impl Hookd {
    /// Starts `nodes` processes of `bin` on `backend` (several only on PostgreSQL, all on one fresh
    /// database), each held to `cpu_percent` of one CPU if given, and waits until each answers `/readyz`.
    /// They start one after another, so the first applies the migrations.
    pub async fn start(
        bin: &Path,
        backend: Backend,
        postgres_url: &str,
        nodes: usize,
        cpu_percent: Option<u32>,
    ) -> Result<Self> {
        if nodes > 1 && backend == Backend::Sqlite {
            bail!("several nodes need PostgreSQL; SQLite serves one process");
        }
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let (url, name) = create_database(postgres_url).await?;
                Some(Database {
                    admin_url: postgres_url.to_owned(),
                    name,
                    url,
                })
            }
        };
        let url = database.as_ref().map(|d| d.url.clone());
        let mut hookd = Self {
            nodes: Vec::new(),
            database,
        };
        for index in 0..nodes.max(1) {
            let node = Node::start(bin, url.as_deref(), index, cpu_percent).await;
            match node {
                Ok(node) => hookd.nodes.push(node),
                Err(e) => {
                    hookd.stop().await?;
                    return Err(e);
                }
            }
        }
        Ok(hookd)
    }

    /// Where the nodes listen.
    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.nodes.iter().map(|n| n.addr).collect()
    }

    /// User plus system CPU seconds the nodes have used, together.
    pub fn cpu_seconds(&self) -> Result<f64> {
        self.nodes.iter().map(Node::cpu_seconds).sum()
    }

    /// The largest peak resident set (`VmHWM`) of any node, in bytes.
    pub fn peak_rss(&self) -> Result<u64> {
        self.largest("VmHWM:")
    }

    /// The largest current resident set (`VmRSS`) of any node, in bytes.
    pub fn rss(&self) -> Result<u64> {
        self.largest("VmRSS:")
    }

    fn largest(&self, field: &str) -> Result<u64> {
        let mut largest = 0;
        for node in &self.nodes {
            largest = largest.max(node.status_bytes(field)?);
        }
        Ok(largest)
    }

    /// Starts the nodes' peak resident sets afresh at their current one (`/proc/<pid>/clear_refs`), so
    /// that `peak_rss` leaves out what came before, such as a scenario's setup.
    pub fn reset_peak_rss(&self) -> Result<()> {
        for node in &self.nodes {
            let path = format!("/proc/{}/clear_refs", node.pid);
            std::fs::write(&path, "5").with_context(|| format!("writing 5 to {path}"))?;
        }
        Ok(())
    }

    /// Bytes the store takes on disk: with SQLite the files in the node's data directory (the database,
    /// its `-wal` and `-shm`), with PostgreSQL `pg_database_size` of the run's database.
    pub async fn store_bytes(&self) -> Result<u64> {
        match &self.database {
            Some(database) => {
                let mut conn = PgConnection::connect(&database.url)
                    .await
                    .with_context(|| format!("connecting to {}", database.url))?;
                let size: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
                    .fetch_one(&mut conn)
                    .await
                    .context("reading pg_database_size")?;
                conn.close().await?;
                Ok(size.try_into().unwrap_or_default())
            }
            None => {
                let mut total = 0;
                for node in &self.nodes {
                    total += files_bytes(node.dir.path())?;
                }
                Ok(total)
            }
        }
    }

    /// Kills the nodes, removes their cgroups and drops their database (all of it even when a step fails;
    /// the first failure is returned).
    pub async fn stop(mut self) -> Result<()> {
        let mut stopped = Vec::new();
        for node in self.nodes.drain(..) {
            stopped.push(node.stop().await);
        }
        if let Some(database) = self.database.take() {
            let mut conn = PgConnection::connect(&database.admin_url).await?;
            conn.execute(
                format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", database.name).as_str(),
            )
            .await?;
        }
        stopped.into_iter().collect()
    }
}

impl Node {
    /// Starts node `index` of `bin` on `database_url` (a fresh SQLite directory without one), in a cgroup
    /// of its own that holds it to `cpu_percent` of one CPU if given.
    async fn start(
        bin: &Path,
        database_url: Option<&str>,
        index: usize,
        cpu_percent: Option<u32>,
    ) -> Result<Self> {
        let cap = cpu_percent
            .map(|percent| CpuCap::create(index, percent))
            .transpose()?;
        let dir = tempfile::tempdir()?;
        let addr = free_port()?;
        let mut command = Command::new(bin);
        command
            .arg("serve")
            .env("HOOKD_LISTEN", addr.to_string())
            .env("HOOKD_DATA_DIR", dir.path())
            .env("HOOKD_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("HOOKD_MASTER_KEY", MASTER_KEY)
            .env("HOOKD_ALLOWED_TARGETS", "127.0.0.0/8")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true);
        if let Some(url) = database_url {
            command.env("HOOKD_DATABASE_URL", url);
        }
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let pid = child.id().context("hookd exited at once")?;
        let mut node = Self {
            addr,
            child,
            pid,
            dir,
            cap,
        };
        if let Err(e) = node.wait_ready().await {
            node.stop().await?;
            return Err(e);
        }
        Ok(node)
    }

    /// Kills the process, waits for it to be gone and removes its cgroup.
    async fn stop(mut self) -> Result<()> {
        // An error here means the process had exited already.
        let _ = self.child.kill().await;
        match self.cap.take() {
            Some(cap) => cap.remove().await,
            None => Ok(()),
        }
    }

    /// Puts the process into its cgroup if it has one (right after the spawn, so that it starts under its
    /// cap), then waits until it answers `/readyz`.
    async fn wait_ready(&mut self) -> Result<()> {
        if let Some(cap) = &self.cap {
            cap.add(self.pid)?;
        }
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait()? {
                bail!("hookd exited during start: {status}");
            }
            if let Ok(mut conn) = Conn::open(self.addr).await {
                if let Ok((status, _)) = conn
                    .request(hyper::Method::GET, "/readyz", &[], Default::default())
                    .await
                {
                    if status.is_success() {
                        return Ok(());
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("hookd did not become ready within 30 s")
    }

    /// User plus system CPU seconds the process has used.
    fn cpu_seconds(&self) -> Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid))?;
        // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
        let rest = stat.rsplit_once(')').context("unreadable /proc stat")?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
        Ok(ticks as f64 / clock_ticks() as f64)
    }

    /// A size field of `/proc/<pid>/status` (`VmHWM:`, `VmRSS:`), in bytes.
    fn status_bytes(&self, field: &str) -> Result<u64> {
        let path = format!("/proc/{}/status", self.pid);
        let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        let line = status
            .lines()
            .find(|l| l.starts_with(field))
            .with_context(|| format!("no {field} in {path}"))?;
        let kib: u64 = line
            .split_whitespace()
            .nth(1)
            .with_context(|| format!("unreadable {field} in {path}"))?
            .parse()?;
        Ok(kib * 1024)
    }
}

/// The total size of the files directly in `dir`.
fn files_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    let entries = std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))?;
    for entry in entries {
        match entry.and_then(|e| e.metadata()) {
            Ok(metadata) if metadata.is_file() => total += metadata.len(),
            Ok(_) => {}
            // Removed since listed (SQLite drops its `-journal` files when done with them).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| format!("reading an entry of {}", dir.display()))
            }
        }
    }
    Ok(total)
}

/// Whether the PostgreSQL server at `url` runs autovacuum (it gathers the planner's statistics too).
pub async fn autovacuum(url: &str) -> Result<bool> {
    let mut conn = PgConnection::connect(url)
        .await
        .with_context(|| format!("connecting to PostgreSQL at {url}"))?;
    let (setting,): (String,) = sqlx::query_as("SHOW autovacuum")
        .fetch_one(&mut conn)
        .await?;
    Ok(setting == "on")
}

/// A fresh database next to the one `url` names; returns its URL and name.
async fn create_database(url: &str) -> Result<(String, String)> {
    let name = format!(
        "hookd_bench_{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let mut conn = PgConnection::connect(url)
        .await
        .with_context(|| format!("connecting to PostgreSQL at {url}"))?;
    conn.execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await?;
    let mut fresh = url::Url::parse(url)?;
    fresh.set_path(&name);
    Ok((fresh.to_string(), name))
}

fn free_port() -> Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// The machine's CPU time so far, from the first line of `/proc/stat`: (idle, total) in clock ticks, where
/// idle counts `idle` and `iowait` and total every state (guest time is already inside `user`).
pub fn machine_ticks() -> Result<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let line = stat.lines().next().context("empty /proc/stat")?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(str::parse)
        .collect::<std::result::Result<_, _>>()
        .context("unreadable /proc/stat")?;
    if ticks.len() < 5 {
        bail!("unreadable /proc/stat: {line}");
    }
    Ok((ticks[3] + ticks[4], ticks.iter().sum()))
}

/// Clock ticks per second for `/proc` times (`getconf CLK_TCK`, 100 on Linux in practice).
fn clock_ticks() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}
