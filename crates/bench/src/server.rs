//! The hookd under test: child processes of the release binary on a fresh store (a temporary SQLite
//! directory, or a fresh PostgreSQL database that several processes may share), with their CPU time and
//! peak RSS read from `/proc`.

use std::{
    net::{SocketAddr, TcpListener},
    path::Path,
    process::Stdio,
    time::Duration,
};

use anyhow::{bail, Context, Result};
use sqlx::{Connection, Executor, PgConnection};
use tokio::process::{Child, Command};

use crate::client::Conn;

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
    _dir: tempfile::TempDir,
}

/// The hookd under test: one process, or several on one PostgreSQL database.
pub struct Hookd {
    nodes: Vec<Node>,
    database: Option<(String, String)>,
}

impl Hookd {
    /// Starts `nodes` processes of `bin` on `backend` (several only on PostgreSQL, all on one fresh
    /// database) and waits until each answers `/readyz`. They start one after another, so the first
    /// applies the migrations.
    pub async fn start(
        bin: &Path,
        backend: Backend,
        postgres_url: &str,
        nodes: usize,
    ) -> Result<Self> {
        if nodes > 1 && backend == Backend::Sqlite {
            bail!("several nodes need PostgreSQL; SQLite serves one process");
        }
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let (url, name) = create_database(postgres_url).await?;
                Some((postgres_url.to_owned(), name, url))
            }
        };
        let mut hookd = Self {
            nodes: Vec::new(),
            database: database
                .as_ref()
                .map(|(admin, name, _)| (admin.clone(), name.clone())),
        };
        for _ in 0..nodes.max(1) {
            let node = Node::start(bin, database.as_ref().map(|(_, _, url)| url.as_str())).await;
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
        let mut peak = 0;
        for node in &self.nodes {
            peak = peak.max(node.peak_rss()?);
        }
        Ok(peak)
    }

    /// Kills the nodes and drops their database.
    pub async fn stop(mut self) -> Result<()> {
        for node in &mut self.nodes {
            let _ = node.child.kill().await;
        }
        if let Some((url, name)) = self.database.take() {
            let mut conn = PgConnection::connect(&url).await?;
            conn.execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
                .await?;
        }
        Ok(())
    }
}

impl Node {
    /// Starts `bin` on `database_url` (a fresh SQLite directory without one).
    async fn start(bin: &Path, database_url: Option<&str>) -> Result<Self> {
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
            _dir: dir,
        };
        node.wait_ready().await?;
        Ok(node)
    }

    async fn wait_ready(&mut self) -> Result<()> {
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

    /// The process's peak resident set (`VmHWM`), in bytes.
    fn peak_rss(&self) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        let line = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .context("no VmHWM in /proc status")?;
        let kib: u64 = line
            .split_whitespace()
            .nth(1)
            .context("unreadable VmHWM")?
            .parse()?;
        Ok(kib * 1024)
    }
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
