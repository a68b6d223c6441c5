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
    hash::Hash,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

/// How long an entry is trusted.
pub const TTL: Duration = Duration::from_secs(1);

/// Entries beyond this are not kept (the map is emptied and starts over), bounding memory.
const MAX_ENTRIES: usize = 10_000;

pub struct Cached<K, V> {
    inner: Mutex<Entries<K, V>>,
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
        let entries = self.lock();
        match entries.map.get(key) {
            Some((at, value)) if at.elapsed() < TTL => Ok(value.clone()),
            _ => Err(entries.generation),
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
}
