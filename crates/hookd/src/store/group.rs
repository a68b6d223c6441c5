//! Group commit: writes submitted concurrently are committed together, in one transaction, by one task.
//! A commit (an fsync on SQLite with `synchronous=FULL`, a WAL flush on PostgreSQL) costs about the same
//! for one row as for hundreds, so under load this turns one commit per publish or per attempt into one
//! per group, while a lone write still goes out at once: the task takes whatever is queued when the
//! previous commit ends, and never waits for more. Every submitter is answered only after its write is
//! committed, so an acknowledged event is as durable as before.

use std::future::Future;

use tokio::sync::{mpsc, oneshot};

use super::{Result, StoreError};

/// The most writes committed in one transaction.
pub const MAX_GROUP: usize = 512;

struct Job<T, R> {
    item: T,
    done: oneshot::Sender<Result<R>>,
}

/// Hands items to a task that commits them in groups; see the module documentation.
pub struct GroupCommit<T, R> {
    queue: mpsc::UnboundedSender<Job<T, R>>,
}

impl<T: Send + 'static, R: Send + 'static> GroupCommit<T, R> {
    /// Starts the committing task. `commit` writes one group and returns one result per item, in order.
    /// The task ends once every `GroupCommit` handle is dropped and the queue is drained.
    pub fn spawn<F, Fut>(mut commit: F) -> Self
    where
        F: FnMut(Vec<T>) -> Fut + Send + 'static,
        Fut: Future<Output = Vec<Result<R>>> + Send,
    {
        let (queue, mut jobs) = mpsc::unbounded_channel::<Job<T, R>>();
        tokio::spawn(async move {
            let mut group = Vec::with_capacity(MAX_GROUP);
            while jobs.recv_many(&mut group, MAX_GROUP).await > 0 {
                let (items, done): (Vec<T>, Vec<_>) =
                    group.drain(..).map(|job| (job.item, job.done)).unzip();
                let results = commit(items).await;
                debug_assert_eq!(results.len(), done.len());
                for (done, result) in done.into_iter().zip(results) {
                    // The submitter may have gone (its request was cancelled); the write stands.
                    let _ = done.send(result);
                }
            }
        });
        Self { queue }
    }

    /// Queues `item` and waits until its group is committed.
    pub async fn submit(&self, item: T) -> Result<R> {
        let (done, result) = oneshot::channel();
        self.queue
            .send(Job { item, done })
            .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?;
        // A dropped sender means the committing task ended (the store is closing) before answering.
        result
            .await
            .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    };

    use super::*;

    #[tokio::test]
    async fn concurrent_submits_share_commits_and_each_gets_its_own_answer() {
        let commits = Arc::new(AtomicUsize::new(0));
        let counter = commits.clone();
        let group = Arc::new(GroupCommit::spawn(move |items: Vec<u32>| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                items
                    .into_iter()
                    .map(|n| {
                        if n % 7 == 0 {
                            Err(StoreError::QuotaExceeded)
                        } else {
                            Ok(n * 2)
                        }
                    })
                    .collect()
            }
        }));
        let tasks: Vec<_> = (1..=200u32)
            .map(|n| {
                let group = group.clone();
                tokio::spawn(async move { (n, group.submit(n).await) })
            })
            .collect();
        for task in tasks {
            let (n, result) = task.await.unwrap();
            match result {
                Ok(doubled) => assert_eq!(doubled, n * 2),
                Err(StoreError::QuotaExceeded) => assert_eq!(n % 7, 0),
                Err(e) => panic!("unexpected error {e}"),
            }
        }
        let commits = commits.load(Ordering::SeqCst);
        assert!(
            commits < 200,
            "200 concurrent writes took {commits} commits"
        );
    }
}
