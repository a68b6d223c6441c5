//! Read-through caches of the rows every publish reads (the caller's access key, the app, the app's
//! enabled subscriptions), so that a publish costs no database read once they are warm.
//!
//! A write through this process's store clears the cache it affects once the write is committed; a read
//! that began before such a clear does not fill the cache (each clear starts a new generation). Writes made
//! by other processes on the same database (several nodes on PostgreSQL) are seen once an entry is older
//! than [`TTL`]: that is the bound on how long another node may still use a revoked key or a changed
//! subscription.

use std::{
    collections::HashMap,
    future::Future,
    hash::{BuildHasher, Hash},
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

/// How long an entry is trusted.
pub const TTL: Duration = Duration::from_secs(1);

/// Entries beyond this are not kept (the map is emptied and starts over), bounding memory.
const MAX_ENTRIES: usize = 10_000;

/// Loads of missing entries ([`Cached::get_or_load`]) take turns per stripe of keys: one key is read
/// once however many callers miss it together, and keys of different stripes load side by side.
const LOAD_STRIPES: usize = 64;

pub struct Cached<K, V> {
    inner: Mutex<Entries<K, V>>,
    loading: [tokio::sync::Mutex<()>; LOAD_STRIPES],
    stripes: std::hash::RandomState,
}

struct Entries<K, V> {
    generation: u64,
    map: HashMap<K, (Instant, Arc<V>)>,
}

impl<K: Eq + Hash, V> Default for Cached<K, V> {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Entries {
                generation: 0,
                map: HashMap::new(),
            }),
            loading: std::array::from_fn(|_| tokio::sync::Mutex::new(())),
            stripes: std::hash::RandomState::new(),
        }
    }
}

impl<K: Eq + Hash, V> Cached<K, V> {
    fn lock(&self) -> MutexGuard<'_, Entries<K, V>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The fresh entry for `key`, or the generation to hand to [`Cached::put`] after reading it.
    pub fn get<Q>(&self, key: &Q) -> Result<Arc<V>, u64>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.lookup(key).map_err(|(generation, _)| generation)
    }

    /// The fresh entry for `key`, else the generation and the expired entry if there is one.
    fn lookup<Q>(&self, key: &Q) -> Result<Arc<V>, (u64, Option<Arc<V>>)>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let entries = self.lock();
        match entries.map.get(key) {
            Some((at, value)) if at.elapsed() < TTL => Ok(value.clone()),
            expired => Err((entries.generation, expired.map(|(_, v)| v.clone()))),
        }
    }

    /// Keeps `value` read under `generation`, unless the cache was cleared since.
    pub fn put(&self, key: K, value: V, generation: u64) -> Arc<V> {
        let value = Arc::new(value);
        let mut entries = self.lock();
        if entries.generation == generation {
            if entries.map.len() >= MAX_ENTRIES {
                entries.map.clear();
            }
            entries.map.insert(key, (Instant::now(), value.clone()));
        }
        value
    }

    /// The fresh entry for `key`, else the value `load` reads (kept unless the cache was cleared
    /// meanwhile). `load` is given the expired entry, if any, to reuse what is unchanged in it. Callers
    /// missing the same key together wait for one load and share its value: when a large entry (an app's
    /// thousands of subscriptions) expires under load, it is read once, not once per waiting publish.
    pub async fn get_or_load<Q, E, F, Fut>(&self, key: &Q, load: F) -> Result<Arc<V>, E>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ToOwned<Owned = K> + ?Sized,
        F: FnOnce(Option<Arc<V>>) -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        if let Ok(value) = self.get(key) {
            return Ok(value);
        }
        let stripe = self.stripes.hash_one(key) as usize % LOAD_STRIPES;
        let _turn = self.loading[stripe].lock().await;
        // Whoever held the turn before may have loaded it.
        let (generation, expired) = match self.lookup(key) {
            Ok(value) => return Ok(value),
            Err(missing) => missing,
        };
        let value = load(expired).await?;
        Ok(self.put(key.to_owned(), value, generation))
    }

    /// Forgets every entry; reads in progress will not fill the cache.
    pub fn clear(&self) {
        let mut entries = self.lock();
        entries.generation += 1;
        entries.map.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_that_began_before_a_clear_does_not_fill_the_cache() {
        let cache: Cached<String, u32> = Cached::default();
        let generation = cache.get("k").unwrap_err();
        cache.clear();
        cache.put("k".into(), 1, generation);
        let generation = cache.get("k").expect_err("the stale read was not kept");
        cache.put("k".into(), 2, generation);
        assert_eq!(*cache.get("k").unwrap(), 2);
        cache.clear();
        assert!(cache.get("k").is_err());
    }

    #[tokio::test]
    async fn a_load_is_given_the_expired_entry_and_a_missing_one_nothing() {
        let cache: Cached<String, u32> = Cached::default();
        let first = cache.get_or_load("k", |expired| async move {
            assert!(expired.is_none(), "nothing was kept yet");
            Ok::<_, ()>(1)
        });
        assert_eq!(*first.await.unwrap(), 1);
        // Age the entry past its TTL.
        cache.lock().map.get_mut("k").unwrap().0 -= TTL;
        let second = cache.get_or_load("k", |expired| async move {
            Ok::<_, ()>(expired.map_or(0, |v| *v + 1))
        });
        assert_eq!(*second.await.unwrap(), 2);
        cache.clear();
        let third = cache.get_or_load("k", |expired| async move {
            Ok::<_, ()>(expired.map_or(0, |v| *v + 1))
        });
        assert_eq!(*third.await.unwrap(), 0, "a cleared entry is not handed on");
    }

    #[tokio::test]
    async fn callers_missing_one_key_together_load_it_once() {
        let cache: Arc<Cached<String, u32>> = Arc::new(Cached::default());
        let loads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let callers: Vec<_> = (0..16)
            .map(|_| {
                let (cache, loads) = (cache.clone(), loads.clone());
                tokio::spawn(async move {
                    cache
                        .get_or_load("k", |_| async {
                            loads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            Ok::<_, ()>(7)
                        })
                        .await
                })
            })
            .collect();
        for caller in callers {
            assert_eq!(*caller.await.unwrap().unwrap(), 7);
        }
        assert_eq!(loads.load(std::sync::atomic::Ordering::SeqCst), 1);
        // A failed load keeps nothing: the next caller loads again.
        let failed = cache
            .get_or_load("e", |_| async { Err::<u32, _>("down") })
            .await;
        assert_eq!(failed.unwrap_err(), "down");
        let loaded = cache.get_or_load("e", |_| async { Ok::<_, &str>(3) }).await;
        assert_eq!(*loaded.unwrap(), 3);
    }
}
