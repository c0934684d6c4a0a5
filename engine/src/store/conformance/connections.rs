//! Checks of connection state: OAuth2 token chains and broken connections.

use super::harness::{Fixture, T0};
use crate::store::*;

fn tokens(identity: &str, access: &str, refresh: Option<&str>, at: Timestamp) -> TokenRecord {
    TokenRecord {
        identity: identity.into(),
        access_token: access.into(),
        refresh_token: refresh.map(str::to_string),
        expires_at: Some(at + 86_400_000),
        seeds: vec!["a1b2c3".into(), "d4e5f6".into()],
        updated_at: at,
    }
}

pub(super) async fn tokens_are_replaced_per_chain_and_survive_reopen(fx: &mut dyn Fixture) {
    let chain = "amocrm:https://shop.amocrm.ru#0f1e2d";
    let other = "salesforce:https://acme.my.salesforce.com#9a8b7c";
    {
        let store = fx.store();
        assert_eq!(store.load_tokens(chain).await.unwrap(), None);
        store
            .save_tokens(tokens(chain, "acc-1", Some("ref-1"), T0))
            .await
            .unwrap();
        store
            .save_tokens(tokens(other, "acc-x", None, T0))
            .await
            .unwrap();
        // A refresh replaces the whole record, a missing refresh token included.
        let refreshed = TokenRecord {
            expires_at: None,
            seeds: vec!["a1b2c3".into()],
            ..tokens(chain, "acc-2", Some("ref-2"), T0 + 5)
        };
        store.save_tokens(refreshed.clone()).await.unwrap();
        assert_eq!(store.load_tokens(chain).await.unwrap(), Some(refreshed));
    }
    fx.reopen().await;
    let store = fx.store();
    let loaded = store.load_tokens(chain).await.unwrap().unwrap();
    assert_eq!(
        (
            loaded.access_token.as_str(),
            loaded.refresh_token.as_deref()
        ),
        ("acc-2", Some("ref-2"))
    );
    assert_eq!(loaded.seeds, vec!["a1b2c3".to_string()]);
    assert_eq!(
        store.load_tokens(other).await.unwrap(),
        Some(tokens(other, "acc-x", None, T0))
    );
    // Every worker reads what another stored.
    let workers = fx.workers(2).await;
    workers[0]
        .save_tokens(tokens(chain, "acc-3", Some("ref-3"), T0 + 9))
        .await
        .unwrap();
    let seen = workers[1].load_tokens(chain).await.unwrap().unwrap();
    assert_eq!(seen.access_token, "acc-3");
}

fn mark(bundle: &str, connection: &str, reason: &str, now: Timestamp) -> BrokenMark {
    BrokenMark {
        bundle_id: bundle.into(),
        connection: connection.into(),
        reason: reason.into(),
        now,
    }
}

pub(super) async fn broken_marks_keep_since_and_clear(fx: &mut dyn Fixture) {
    let store = fx.store();
    assert!(store.broken_connections().await.unwrap().is_empty());
    store
        .mark_connection_broken(mark("calls", "crm", "refresh refused", T0 + 10))
        .await
        .unwrap();
    store
        .mark_connection_broken(mark("leads", "crm", "401", T0))
        .await
        .unwrap();
    store
        .mark_connection_broken(mark("calls", "crm", "refresh refused again", T0 + 20))
        .await
        .unwrap();
    let broken = store.broken_connections().await.unwrap();
    assert_eq!(
        broken,
        vec![
            BrokenConnection {
                bundle_id: "leads".into(),
                connection: "crm".into(),
                since: T0,
                last_seen: T0,
                reason: "401".into(),
            },
            BrokenConnection {
                bundle_id: "calls".into(),
                connection: "crm".into(),
                since: T0 + 10,
                last_seen: T0 + 20,
                reason: "refresh refused again".into(),
            },
        ]
    );
    assert!(store.clear_connection_broken("calls", "crm").await.unwrap());
    assert!(!store.clear_connection_broken("calls", "crm").await.unwrap());
    // Broken again later: a new `since`.
    store
        .mark_connection_broken(mark("calls", "crm", "401", T0 + 99))
        .await
        .unwrap();
    let broken = store.broken_connections().await.unwrap();
    assert_eq!(broken.len(), 2);
    assert_eq!((broken[1].since, broken[1].last_seen), (T0 + 99, T0 + 99));
}
