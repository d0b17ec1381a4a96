//! A bounded, thread-safe LRU map.

use std::{hash::Hash, sync::Mutex};

use schnellru::{ByLength, LruMap};

/// An LRU map of at most `len` entries behind a mutex. The lock is held only for one
/// lookup or insert, never across an await.
pub(crate) struct Cache<K: Hash + Eq, V: Clone> {
    map: Mutex<LruMap<K, V, ByLength>>,
}

impl<K: Hash + Eq, V: Clone> Cache<K, V> {
    /// A cache holding at most `len` entries (0 disables caching).
    pub(crate) fn new(len: u32) -> Self {
        Self {
            map: Mutex::new(LruMap::new(ByLength::new(len))),
        }
    }

    /// The cached value, marking it recently used.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        // A poisoned lock only means another thread panicked mid-insert; the map itself is
        // still a valid LRU, so keep using it.
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key).cloned()
    }

    /// Inserts or replaces, evicting the least recently used entry when full.
    pub(crate) fn insert(&self, key: K, value: V) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(key, value);
    }

    /// Number of entries (for tests and metrics).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded() {
        let c = Cache::new(2);
        c.insert(1, "a");
        c.insert(2, "b");
        assert_eq!(c.get(&1), Some("a"));
        c.insert(3, "c");
        assert_eq!(c.len(), 2);
        assert_eq!(c.get(&2), None, "least recently used is evicted");
        assert_eq!(c.get(&1), Some("a"));
        let off = Cache::new(0);
        off.insert(1, 1);
        assert_eq!(off.get(&1), None);
    }
}
