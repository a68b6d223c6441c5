//! CPU caps for hookd nodes (`--node-cpu`): each node process in a cgroup of its own that may use a fixed
//! share of one CPU, so that on a small machine the nodes, not the machine, are the bottleneck.
//!
//! cgroup v1 (the `cpu` controller mounted at `/sys/fs/cgroup/cpu`): `cpu.cfs_period_us` and
//! `cpu.cfs_quota_us`. cgroup v2 (`/sys/fs/cgroup/cgroup.controllers`): `cpu.max` in a child of the root,
//! whose `cgroup.subtree_control` must enable `cpu`. Either needs root.

use std::{
    io::ErrorKind,
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::{bail, Context, Result};

const V1_CPU: &str = "/sys/fs/cgroup/cpu";
const V2_ROOT: &str = "/sys/fs/cgroup";
/// The CFS period; a quota of `PERIOD_US × percent ÷ 100` in each is that share of one CPU.
const PERIOD_US: u64 = 100_000;

/// A cgroup holding one process to `percent` of a CPU. `remove` it once the process is gone; dropping it
/// unremoved tries once and warns if that fails.
pub struct CpuCap {
    dir: PathBuf,
    removed: bool,
}

impl CpuCap {
    /// Makes the cgroup `hookd-bench-<our pid>-<node>` with a quota of `percent` of one CPU.
    pub fn create(node: usize, percent: u32) -> Result<Self> {
        let name = format!("hookd-bench-{}-{node}", std::process::id());
        let quota_us = PERIOD_US * u64::from(percent) / 100;
        let v1 = Path::new(V1_CPU);
        let v2 = Path::new(V2_ROOT);
        let (dir, settings) = if v1.join("cpu.cfs_quota_us").exists() {
            (
                v1.join(name),
                vec![
                    ("cpu.cfs_period_us", PERIOD_US.to_string()),
                    ("cpu.cfs_quota_us", quota_us.to_string()),
                ],
            )
        } else if v2.join("cgroup.controllers").exists() {
            enable_v2_cpu(v2)?;
            (
                v2.join(name),
                vec![("cpu.max", format!("{quota_us} {PERIOD_US}"))],
            )
        } else {
            bail!(
                "--node-cpu needs cgroups: neither cgroup v1's cpu controller ({V1_CPU}/cpu.cfs_quota_us) nor \
                 cgroup v2 ({V2_ROOT}/cgroup.controllers) is there"
            );
        };
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating the cgroup {} (needs root)", dir.display()))?;
        let cap = Self {
            dir,
            removed: false,
        };
        for (file, value) in settings {
            cap.write(file, &value)?;
        }
        Ok(cap)
    }

    /// Moves the process `pid` (all its threads) into the cgroup.
    pub fn add(&self, pid: u32) -> Result<()> {
        self.write("cgroup.procs", &pid.to_string())
    }

    /// Removes the cgroup once its process is gone: a group still holding a task cannot be removed, and the
    /// kernel may take a moment after the exit to let go of it, so `rmdir` is retried for up to a second.
    pub async fn remove(mut self) -> Result<()> {
        self.removed = true;
        for _ in 0..100 {
            match remove_dir(&self.dir) {
                Err(e) if e.kind() == ErrorKind::ResourceBusy => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                outcome => {
                    return outcome
                        .with_context(|| format!("removing the cgroup {}", self.dir.display()))
                }
            }
        }
        bail!(
            "removing the cgroup {}: still busy after 1 s",
            self.dir.display()
        )
    }

    fn write(&self, file: &str, value: &str) -> Result<()> {
        let path = self.dir.join(file);
        std::fs::write(&path, value)
            .with_context(|| format!("writing {value} to {}", path.display()))
    }
}

impl Drop for CpuCap {
    fn drop(&mut self) {
        if !self.removed {
            if let Err(e) = remove_dir(&self.dir) {
                eprintln!(
                    "warning: could not remove the cgroup {}: {e}",
                    self.dir.display()
                );
            }
        }
    }
}

/// Makes sure the v2 root hands the `cpu` controller to its children.
fn enable_v2_cpu(root: &Path) -> Result<()> {
    let control = root.join("cgroup.subtree_control");
    let enabled = std::fs::read_to_string(&control)
        .with_context(|| format!("reading {}", control.display()))?;
    if enabled.split_whitespace().any(|c| c == "cpu") {
        return Ok(());
    }
    std::fs::write(&control, "+cpu").with_context(|| {
        format!(
            "enabling the cpu controller for child groups (writing +cpu to {})",
            control.display()
        )
    })
}

/// `rmdir` of a cgroup; one already gone is fine.
fn remove_dir(dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_dir(dir) {
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        outcome => outcome,
    }
}
