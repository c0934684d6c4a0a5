//! The `poll` trigger: each pagination style, the cursor, and failures.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::{Api, build, ids, poll_all, query_value};
use crate::connector::PollRequest;
use crate::error::{ConnectorError, RetryAdvice};

fn cursor_settings() -> Value {
    json!({
        "path": "/cursor/leads",
        "items_path": "data.items",
        "pagination": {"style": "cursor_after_id", "param": "since_id"},
        "page_size": 10,
        "limit_param": "limit"
    })
}

#[tokio::test]
async fn cursor_after_id_reads_every_item_once_and_then_only_newer_ones() {
    let api = Api::start(25).await;
    let connector = api.connector(json!({}), &[]);
    let first = poll_all(&*connector, cursor_settings(), None)
        .await
        .unwrap();
    assert_eq!(ids(&first.items), (1..=25).collect::<Vec<_>>());
    assert_eq!(first.pages, 3, "10 + 10 + 5");
    assert_eq!(first.cursor, Some(json!(25)));
    let seen = api.seen();
    assert_eq!(
        query_value(&seen[0].query, "since_id"),
        None,
        "first ever poll starts at the beginning"
    );
    assert_eq!(query_value(&seen[1].query, "since_id"), Some("10"));
    assert_eq!(query_value(&seen[2].query, "since_id"), Some("20"));
    assert!(
        seen.iter()
            .all(|s| query_value(&s.query, "limit") == Some("10"))
    );

    api.add_leads(26..=28);
    let second = poll_all(&*connector, cursor_settings(), first.cursor.clone())
        .await
        .unwrap();
    assert_eq!(ids(&second.items), vec![26, 27, 28]);
    assert_eq!(second.cursor, Some(json!(28)));
    assert_eq!(query_value(&api.seen()[3].query, "since_id"), Some("25"));

    // Nothing new: no items, and the cursor does not move backwards.
    let third = poll_all(&*connector, cursor_settings(), second.cursor.clone())
        .await
        .unwrap();
    assert!(third.items.is_empty());
    assert_eq!(third.cursor, Some(json!(28)));
}

#[tokio::test]
async fn cursor_after_id_needs_item_ids() {
    let api = Api::start(3).await;
    let connector = api.connector(json!({}), &[]);
    let mut settings = cursor_settings();
    settings["id_field"] = json!("uuid");
    let err = poll_all(&*connector, settings, None).await.err().unwrap();
    assert!(matches!(err, ConnectorError::InvalidResponse(_)), "{err:?}");
    assert!(err.to_string().contains("`uuid`"), "{err}");
}

#[tokio::test]
async fn page_number_reads_until_a_short_page() {
    let api = Api::start(25).await;
    let connector = api.connector(json!({}), &[]);
    let settings = json!({
        "path": "/paged/leads",
        "query": {"status": "new"},
        "pagination": {"style": "page_number", "param": "page", "size_param": "per_page", "size": 10}
    });
    let outcome = poll_all(&*connector, settings, None).await.unwrap();
    assert_eq!(ids(&outcome.items), (1..=25).collect::<Vec<_>>());
    assert_eq!(
        outcome.cursor, None,
        "page numbers keep no cursor; item keys dedup"
    );
    let pages: Vec<_> = api
        .seen()
        .iter()
        .map(|s| query_value(&s.query, "page").unwrap().to_string())
        .collect();
    assert_eq!(pages, ["1", "2", "3"]);
    assert!(
        api.seen()
            .iter()
            .all(|s| query_value(&s.query, "status") == Some("new"))
    );

    // An exact multiple ends with one empty page.
    let api = Api::start(20).await;
    let connector = api.connector(json!({}), &[]);
    let settings = json!({
        "path": "/paged/leads",
        "pagination": {"style": "page_number", "param": "page", "size_param": "per_page", "size": 10}
    });
    let outcome = poll_all(&*connector, settings, None).await.unwrap();
    assert_eq!(ids(&outcome.items), (1..=20).collect::<Vec<_>>());
    assert_eq!(outcome.pages, 3);
}

#[tokio::test]
async fn next_link_follows_relative_and_absolute_links() {
    let api = Api::start(25).await;
    let connector = api.connector(json!({}), &[]);
    let settings = json!({
        "path": "/linked/leads",
        "items_path": "results",
        "pagination": {"style": "next_link", "path": "links.next"}
    });
    let outcome = poll_all(&*connector, settings, None).await.unwrap();
    assert_eq!(ids(&outcome.items), (1..=25).collect::<Vec<_>>());
    assert_eq!(outcome.pages, 3);
    let pages: Vec<_> = api
        .seen()
        .iter()
        .map(|s| query_value(&s.query, "page").map(str::to_string))
        .collect();
    assert_eq!(pages, [None, Some("2".into()), Some("3".into())]);
}

#[tokio::test]
async fn next_link_to_another_origin_is_refused() {
    let api = Api::start(25).await;
    // Same host, different port: a different origin.
    let other = Api::start(0).await;
    let connector = build(
        &other.base_url(),
        json!({}),
        &[("bearer_token", "tok-abcdef")],
    )
    .unwrap();
    let settings: Map<String, Value> = serde_json::from_value(json!({
        "path": "/linked/leads",
        "items_path": "results",
        "pagination": {"style": "next_link", "path": "links.next"}
    }))
    .unwrap();
    let foreign = json!({"page": 1, "url": format!("{}/linked/leads?page=2", api.base_url())});
    let err = connector
        .poll(PollRequest {
            event: "poll",
            settings: &settings,
            cursor: None,
            page: Some(&foreign),
            now: chrono::Utc::now(),
        })
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Config(_)), "{err:?}");
    assert!(
        api.seen().is_empty(),
        "nothing was sent to the other origin"
    );
}

#[tokio::test]
async fn page_tokens_never_keep_the_api_key() {
    let api = Api::start(25).await;
    let canary = "canary-Key/9x";
    let connector = api.connector(json!({"api_key_query": "api_key"}), &[("api_key", canary)]);
    let settings: Map<String, Value> = serde_json::from_value(json!({
        "path": "/linked/leads",
        "items_path": "results",
        "pagination": {"style": "next_link", "path": "links.next"}
    }))
    .unwrap();
    let page = connector
        .poll(PollRequest {
            event: "poll",
            settings: &settings,
            cursor: None,
            page: None,
            now: chrono::Utc::now(),
        })
        .await
        .unwrap();
    assert_eq!(
        query_value(&api.seen()[0].query, "api_key"),
        Some(canary),
        "the key is sent"
    );
    let token = page.next_page.unwrap().to_string();
    assert!(token.contains("page=2"), "{token}");
    assert!(
        !token.contains("canary") && !token.contains("api_key"),
        "{token}"
    );
}

#[tokio::test]
async fn a_failing_page_is_a_server_error_and_returns_nothing() {
    let api = Api::start(0).await;
    let connector = api.connector(json!({}), &[]);
    let err = poll_all(&*connector, json!({"path": "/fail"}), None)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, ConnectorError::Server { status: 500, .. }),
        "{err:?}"
    );
    assert_eq!(err.advice(), RetryAdvice::Backoff);
}

#[tokio::test]
async fn rate_limit_and_auth_failures_are_classified() {
    let api = Api::start(0).await;
    let connector = api.connector(json!({}), &[("bearer_token", "bad-token-1")]);
    let err = poll_all(&*connector, json!({"path": "/limited"}), None)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, ConnectorError::RateLimited { status: 429, .. }),
        "{err:?}"
    );
    assert_eq!(err.advice(), RetryAdvice::After(Duration::from_secs(2)));
    let err = poll_all(&*connector, json!({"path": "/protected"}), None)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, ConnectorError::Auth { status: 401, .. }),
        "{err:?}"
    );
    assert_eq!(err.advice(), RetryAdvice::ConnectionBroken);
    assert!(!err.to_string().contains("bad-token-1"), "{err}");
}

#[tokio::test]
async fn a_body_without_the_list_is_an_invalid_response() {
    let api = Api::start(3).await;
    let connector = api.connector(json!({}), &[]);
    let err = poll_all(
        &*connector,
        json!({"path": "/cursor/leads", "items_path": "data.rows"}),
        None,
    )
    .await
    .err()
    .unwrap();
    assert!(matches!(err, ConnectorError::InvalidResponse(_)), "{err:?}");
    assert!(err.to_string().contains("data.rows"), "{err}");
}

#[tokio::test]
async fn endless_pagination_stops_at_max_pages() {
    let api = Api::start(30).await;
    let connector = api.connector(json!({}), &[]);
    // The endpoint ignores `page`, so every page is full: the cap must end the poll.
    let settings = json!({
        "path": "/cursor/leads",
        "items_path": "data.items",
        "max_pages": 4,
        "pagination": {"style": "page_number", "param": "page", "size": 10}
    });
    let err = poll_all(&*connector, settings, None).await.err().unwrap();
    assert!(matches!(err, ConnectorError::Config(_)), "{err:?}");
    assert!(err.to_string().contains("max_pages"), "{err}");
    assert_eq!(api.seen().len(), 4);
}

#[tokio::test]
async fn secrets_never_appear_in_error_texts() {
    let api = Api::start(0).await;
    let key = "canary-Key/9x+1";
    let token = "canary-token-7f3";
    let with_key = api.connector(json!({"api_key_query": "apiKey"}), &[("api_key", key)]);
    let with_token = api.connector(json!({}), &[("bearer_token", token)]);
    let with_header_key = api.connector(json!({}), &[("api_key", key)]);
    let mut texts = Vec::new();
    for connector in [&with_key, &with_token, &with_header_key] {
        let err = poll_all(&**connector, json!({"path": "/fail"}), None)
            .await
            .err()
            .unwrap();
        texts.push(err.to_string());
    }
    // The server echoes the query and headers it got; check it really did.
    let seen = api.seen();
    assert_eq!(query_value(&seen[0].query, "apiKey"), Some(key));
    assert!(seen[1].headers.get("authorization").is_some());
    assert_eq!(seen[2].headers.get("x-api-key").unwrap(), key);
    // A transport failure names the URL, query string included.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let unreachable = build(
        &closed,
        json!({"api_key_query": "apiKey"}),
        &[("api_key", key)],
    )
    .unwrap();
    let err = poll_all(&*unreachable, json!({"path": "/x"}), None)
        .await
        .err()
        .unwrap();
    assert!(matches!(err, ConnectorError::Transport(_)), "{err:?}");
    texts.push(err.to_string());
    for text in texts {
        // Each text did carry the secret (the server echoed it, reqwest names the URL)...
        assert!(text.contains("[REDACTED]"), "{text}");
        // ...and none of its forms survived.
        assert!(!text.contains("canary"), "secret leaked: {text}");
        assert!(
            !text.contains("Key%2F9x") && !text.contains("Key/9x"),
            "secret leaked: {text}"
        );
    }
}
