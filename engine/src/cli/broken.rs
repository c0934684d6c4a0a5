//! Broken connections as `ferry connections` and `ferry runs` show them: which connection
//! of which bundle, since when, the redacted reason, and how many of the bundle's items
//! wait for it, with what to do about it.

use serde::Serialize;

use super::tables::format_time;
use crate::store::{BrokenConnection, Store, StoreError, Timestamp};

/// A broken connection with its bundle's waiting items.
#[derive(Debug, Clone, Serialize)]
pub struct BrokenView {
    /// The bundle.
    pub bundle_id: String,
    /// The connection's name in the bundle.
    pub connection: String,
    /// First seen broken (epoch ms).
    pub since: Timestamp,
    /// Last seen broken (epoch ms).
    pub last_seen: Timestamp,
    /// Why (redacted).
    pub reason: String,
    /// The bundle's items waiting (for this connection or any other retry).
    pub waiting: u64,
}

/// Every broken connection, oldest first.
pub async fn broken_views(store: &dyn Store) -> Result<Vec<BrokenView>, StoreError> {
    let mut views = Vec::new();
    for BrokenConnection {
        bundle_id,
        connection,
        since,
        last_seen,
        reason,
    } in store.broken_connections().await?
    {
        let waiting = store.item_counts(Some(&bundle_id)).await?.waiting;
        views.push(BrokenView {
            bundle_id,
            connection,
            since,
            last_seen,
            reason,
            waiting,
        });
    }
    Ok(views)
}

/// What to do about a broken connection.
pub const FIX_HINT: &str = "Their items wait; none is failed for it. Fix the credentials (new tokens \
or keys in the secrets), then run `ferry connections check <bundles>`: a connection that passes \
works again and its items resume at their next retry (within 5 minutes). To send only what is \
recent and drop the rest: `ferry bundle reactivate <bundle> --resend 3d`.";

/// The broken connections as a block of text (empty when there are none).
pub fn broken_text(views: &[BrokenView]) -> String {
    if views.is_empty() {
        return String::new();
    }
    let mut text = format!("{} BROKEN CONNECTION(S):\n", views.len());
    for view in views {
        text.push_str(&format!(
            "  - bundle `{}`, connection `{}`: broken since {} UTC (last seen {}), {} item(s) waiting\n    reason: {}\n",
            view.bundle_id,
            view.connection,
            format_time(view.since),
            format_time(view.last_seen),
            view.waiting,
            view.reason,
        ));
    }
    text.push_str(FIX_HINT);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_connection_is_shown_plainly_with_what_to_do() {
        let text = broken_text(&[BrokenView {
            bundle_id: "calls".into(),
            connection: "amo".into(),
            since: 1_767_225_600_000,
            last_seen: 1_767_225_900_000,
            reason: "authentication failed (HTTP 401): token refresh refused".into(),
            waiting: 3,
        }]);
        assert!(text.starts_with("1 BROKEN CONNECTION(S):"), "{text}");
        assert!(
            text.contains("bundle `calls`, connection `amo`: broken since 2026-01-01 00:00:00 UTC")
        );
        assert!(text.contains("3 item(s) waiting"));
        assert!(text.contains("ferry connections check"));
        assert!(broken_text(&[]).is_empty());
    }
}
