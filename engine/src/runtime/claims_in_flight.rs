//! The claims of the items this engine is running, kept alive while the items run.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::SharedClock;
use crate::store::{RenewClaims, Store};

/// The claims of the items this engine is running, renewed in the background so an item
/// that runs longer than the claim lease (a slow CRM, a long chain, a wait for a dedup
/// key) is never claimed again, by another worker or this one, while it is in flight.
#[derive(Debug, Clone, Default)]
pub(super) struct ClaimsInFlight {
    held: Arc<std::sync::Mutex<HashMap<i64, String>>>,
}

impl ClaimsInFlight {
    pub(super) fn hold(&self, item_id: i64, token: &str) {
        self.held
            .lock()
            .expect("claims lock poisoned")
            .insert(item_id, token.to_string());
    }

    pub(super) fn release(&self, item_id: i64) {
        self.held
            .lock()
            .expect("claims lock poisoned")
            .remove(&item_id);
    }

    /// Renew every held claim three times per lease.
    pub(super) async fn renew_forever(
        self,
        store: std::sync::Weak<dyn Store>,
        clock: SharedClock,
        lease: Duration,
    ) {
        let mut ticks = tokio::time::interval((lease / 3).max(Duration::from_millis(100)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let items: Vec<(i64, String)> = self
                .held
                .lock()
                .expect("claims lock poisoned")
                .iter()
                .map(|(id, token)| (*id, token.clone()))
                .collect();
            if items.is_empty() {
                continue;
            }
            let Some(store) = store.upgrade() else { return };
            let renew = RenewClaims {
                items,
                now: clock.now().timestamp_millis(),
                lease_ms: lease.as_millis() as i64,
            };
            if let Err(e) = store.renew_claims(renew).await {
                // A lost claim is fenced anyway: the item's next write fails and it stops.
                tracing::warn!(error = %e, "could not renew every claim");
            }
        }
    }
}
