//! The hookd under test: a child process of the release binary on a fresh store (a temporary SQLite
//! directory or a fresh PostgreSQL database), with its CPU time and peak RSS read from `/proc`.

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

pub struct Hookd {
    pub addr: SocketAddr,
    child: Child,
    pid: u32,
    _dir: tempfile::TempDir,
    database: Option<(String, String)>,
}

impl Hookd {
    /// Starts `bin` on `backend` and waits until it answers `/readyz`.
    pub async fn start(bin: &Path, backend: Backend, postgres_url: &str) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let addr = free_port()?;
        let mut command = Command::new(bin);
        command
            .arg("serve")
            .env("HOOKD_LISTEN", addr.to_string())
            .env("HOOKD_DATA_DIR", dir.path())
            .env("HOOKD_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("HOOKD_ALLOWED_TARGETS", "127.0.0.0/8")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true);
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let (url, name) = create_database(postgres_url).await?;
                command.env("HOOKD_DATABASE_URL", &url);
                Some((postgres_url.to_owned(), name))
            }
        };
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let pid = child.id().context("hookd exited at once")?;
        let mut hookd = Self {
            addr,
            child,
            pid,
            _dir: dir,
            database,
        };
        hookd.wait_ready().await?;
        Ok(hookd)
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

    /// User plus system CPU seconds the server has used.
    pub fn cpu_seconds(&self) -> Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid))?;
        // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
        let rest = stat.rsplit_once(')').context("unreadable /proc stat")?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
        Ok(ticks as f64 / clock_ticks() as f64)
    }

    /// The server's peak resident set (`VmHWM`), in bytes.
    pub fn peak_rss(&self) -> Result<u64> {
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

    /// Kills the server and drops its database.
    pub async fn stop(mut self) -> Result<()> {
        let _ = self.child.kill().await;
        if let Some((url, name)) = self.database.take() {
            let mut conn = PgConnection::connect(&url).await?;
            conn.execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
                .await?;
        }
        Ok(())
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
