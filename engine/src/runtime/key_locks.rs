//! Serializing items that share a dedup key.
//!
//! Search-before-create is only safe if two items with the same phone never search at
//! the same time: both would find nothing and both would create. Items run concurrently,
//! so each item first locks every dedup key it will search by (sorted, so two items never
//! wait on each other in opposite orders) and holds them until its chain is done.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

/// A set of named async locks, created on demand and dropped when unused.
#[derive(Debug, Default, Clone)]
pub struct KeyLocks {
    locks: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

/// Held keys; released on drop.
#[derive(Debug)]
pub struct HeldKeys {
    owner: KeyLocks,
    held: Vec<(String, OwnedMutexGuard<()>)>,
}

impl KeyLocks {
    /// Lock all `keys` (duplicates ignored), waiting as needed.
    pub async fn lock_all(&self, mut keys: Vec<String>) -> HeldKeys {
        keys.sort();
        keys.dedup();
        let mut held = Vec::with_capacity(keys.len());
        for key in keys {
            let lock = {
                let mut map = self.locks.lock().expect("key lock map poisoned");
                map.entry(key.clone()).or_default().clone()
            };
            held.push((key, lock.lock_owned().await));
        }
        HeldKeys {
            owner: self.clone(),
            held,
        }
    }

    /// How many keys currently have a lock object (for tests: unused ones are dropped).
    pub fn live_keys(&self) -> usize {
        self.locks.lock().expect("key lock map poisoned").len()
    }
}

impl Drop for HeldKeys {
    fn drop(&mut self) {
        let keys: Vec<String> = self.held.iter().map(|(k, _)| k.clone()).collect();
        self.held.clear();
        let mut map = self.owner.locks.lock().expect("key lock map poisoned");
        for key in keys {
            // Only the map holds it now: nobody is waiting, so forget it.
            if map.get(&key).is_some_and(|l| Arc::strong_count(l) == 1) {
                map.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn same_key_waits_other_keys_do_not() {
        let locks = KeyLocks::default();
        let first = locks.lock_all(vec!["phone:7916".into()]).await;
        let l2 = locks.clone();
        let same = tokio::spawn(async move {
            l2.lock_all(vec!["phone:7916".into(), "email:a".into()])
                .await
        });
        let other = locks.lock_all(vec!["phone:7999".into()]).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(!same.is_finished());
        drop(first);
        let held = same.await.unwrap();
        drop(held);
        drop(other);
        assert_eq!(locks.live_keys(), 0);
    }
}
