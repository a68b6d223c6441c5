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

/// Two kinds of writes committed in groups. `shared`: one task takes whatever of both kinds is waiting and
/// commits it together (one transaction, one fsync, for a database with a single writer); otherwise one
/// task per kind, so that the two commit side by side on two connections.
pub struct GroupCommits<A, RA, B, RB> {
    first: mpsc::UnboundedSender<Job<A, RA>>,
    second: mpsc::UnboundedSender<Job<B, RB>>,
}

impl<A, RA, B, RB> GroupCommits<A, RA, B, RB>
where
    A: Send + 'static,
    RA: Send + 'static,
    B: Send + 'static,
    RB: Send + 'static,
{
    /// Starts the committing task(s). `commit` writes one group of each kind (either may be empty) and
    /// returns one result per item, in order. The tasks end once the handle is dropped and both queues are
    /// drained.
    pub fn spawn<F, Fut>(shared: bool, commit: F) -> Self
    where
        F: FnMut(Vec<A>, Vec<B>) -> Fut + Clone + Send + 'static,
        Fut: Future<Output = (Vec<Result<RA>>, Vec<Result<RB>>)> + Send,
    {
        let (first, mut first_jobs) = mpsc::unbounded_channel::<Job<A, RA>>();
        let (second, mut second_jobs) = mpsc::unbounded_channel::<Job<B, RB>>();
        if shared {
            let mut commit = commit;
            tokio::spawn(async move {
                let mut firsts = Vec::with_capacity(MAX_GROUP);
                let mut seconds = Vec::with_capacity(MAX_GROUP);
                loop {
                    // Both senders live in one handle, so both queues close together.
                    let received = tokio::select! {
                        n = first_jobs.recv_many(&mut firsts, MAX_GROUP) => n,
                        n = second_jobs.recv_many(&mut seconds, MAX_GROUP) => n,
                    };
                    drain(&mut first_jobs, &mut firsts);
                    drain(&mut second_jobs, &mut seconds);
                    if received == 0 && firsts.is_empty() && seconds.is_empty() {
                        break;
                    }
                    let (a, done_a) = split(&mut firsts);
                    let (b, done_b) = split(&mut seconds);
                    let (results_a, results_b) = commit(a, b).await;
                    answer(done_a, results_a);
                    answer(done_b, results_b);
                }
            });
        } else {
            let mut commit_first = commit.clone();
            tokio::spawn(async move {
                let mut group = Vec::with_capacity(MAX_GROUP);
                while first_jobs.recv_many(&mut group, MAX_GROUP).await > 0 {
                    let (items, done) = split(&mut group);
                    answer(done, commit_first(items, Vec::new()).await.0);
                }
            });
            let mut commit_second = commit;
            tokio::spawn(async move {
                let mut group = Vec::with_capacity(MAX_GROUP);
                while second_jobs.recv_many(&mut group, MAX_GROUP).await > 0 {
                    let (items, done) = split(&mut group);
                    answer(done, commit_second(Vec::new(), items).await.1);
                }
            });
        }
        Self { first, second }
    }

    /// Queues a write of the first kind and waits until its group is committed.
    pub async fn submit_first(&self, item: A) -> Result<RA> {
        submit(&self.first, item).await
    }

    /// Queues a write of the second kind and waits until its group is committed.
    pub async fn submit_second(&self, item: B) -> Result<RB> {
        submit(&self.second, item).await
    }
}

async fn submit<T, R>(queue: &mpsc::UnboundedSender<Job<T, R>>, item: T) -> Result<R> {
    let (done, result) = oneshot::channel();
    queue
        .send(Job { item, done })
        .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?;
    // A dropped sender means the committing task ended (the store is closing) before answering.
    result
        .await
        .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?
}

/// Adds what is already queued, without waiting, up to a full group.
fn drain<T, R>(jobs: &mut mpsc::UnboundedReceiver<Job<T, R>>, group: &mut Vec<Job<T, R>>) {
    while group.len() < MAX_GROUP {
        match jobs.try_recv() {
            Ok(job) => group.push(job),
            Err(_) => break,
        }
    }
}

type Answer<R> = oneshot::Sender<Result<R>>;

fn split<T, R>(group: &mut Vec<Job<T, R>>) -> (Vec<T>, Vec<Answer<R>>) {
    group.drain(..).map(|job| (job.item, job.done)).unzip()
}

fn answer<R>(done: Vec<Answer<R>>, results: Vec<Result<R>>) {
    debug_assert_eq!(results.len(), done.len());
    for (done, result) in done.into_iter().zip(results) {
        // The submitter may have gone (its request was cancelled); the write stands.
        let _ = done.send(result);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    };

    use super::*;

    /// 200 writes of each kind submitted at once, answered each with its own result, in fewer commits.
    async fn concurrent_submits(shared: bool) -> usize {
        let commits = Arc::new(AtomicUsize::new(0));
        let counter = commits.clone();
        let group = Arc::new(GroupCommits::spawn(
            shared,
            move |doubles: Vec<u32>, negations: Vec<i64>| {
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    let doubled = doubles
                        .into_iter()
                        .map(|n| {
                            if n % 7 == 0 {
                                Err(StoreError::QuotaExceeded)
                            } else {
                                Ok(n * 2)
                            }
                        })
                        .collect();
                    (doubled, negations.into_iter().map(|n| Ok(-n)).collect())
                }
            },
        ));
        let tasks: Vec<_> = (1..=200u32)
            .map(|n| {
                let group = group.clone();
                tokio::spawn(async move {
                    let (first, second) =
                        tokio::join!(group.submit_first(n), group.submit_second(i64::from(n)));
                    (n, first, second)
                })
            })
            .collect();
        for task in tasks {
            let (n, first, second) = task.await.unwrap();
            match first {
                Ok(doubled) => assert_eq!(doubled, n * 2),
                Err(StoreError::QuotaExceeded) => assert_eq!(n % 7, 0),
                Err(e) => panic!("unexpected error {e}"),
            }
            assert_eq!(second.unwrap(), -i64::from(n));
        }
        commits.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn shared_commits_take_both_kinds_together() {
        let commits = concurrent_submits(true).await;
        assert!(
            commits < 200,
            "400 concurrent writes took {commits} commits"
        );
    }

    #[tokio::test]
    async fn separate_commits_group_each_kind() {
        let commits = concurrent_submits(false).await;
        assert!(
            commits < 400,
            "400 concurrent writes took {commits} commits"
        );
        assert!(
            commits >= 2,
            "two kinds committed by one task: {commits} commits"
        );
    }
}
