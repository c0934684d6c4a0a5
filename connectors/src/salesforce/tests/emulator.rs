//! The emulator on the wire, with a plain HTTP client: query batches and
//! `nextRecordsUrl`, error bodies, the token endpoint's refusals, the quota header and
//! answer, and old-version upserts — so the connector's tests rest on a faithful org.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{DATA, TOKEN, Target};
use crate::salesforce::SalesforceEmulatorConfig;
use crate::salesforce::emulator::TOKEN_PATH;

async fn get(target: &Target, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", target.emulator.instance_url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn query(target: &Target, soql: &str) -> (StatusCode, Value) {
    let q: String = url::form_urlencoded::byte_serialize(soql.as_bytes()).collect();
    let (status, _, body) = get(target, &format!("{DATA}/query?q={q}")).await;
    (status, body)
}

#[tokio::test]
async fn queries_come_in_batches_linked_by_next_records_url() {
    let mut config = SalesforceEmulatorConfig::with_token(TOKEN);
    config.batch_size = 2;
    let target = Target::with(config).await;
    for i in 0..5 {
        target
            .emulator
            .seed("Contact", json!({"LastName": format!("C{i}")}));
    }
    let (status, first) = query(
        &target,
        "SELECT Id, LastName FROM Contact ORDER BY LastName DESC",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (first["totalSize"].as_u64(), first["done"].as_bool()),
        (Some(5), Some(false))
    );
    assert_eq!(first["records"][0]["LastName"], "C4");
    assert_eq!(first["records"][0]["attributes"]["type"], "Contact");
    let mut next = first["nextRecordsUrl"].as_str().unwrap().to_string();
    assert!(
        next.starts_with(&format!("{DATA}/query/01g")) && next.ends_with("-2"),
        "{next}"
    );
    let mut names = Vec::new();
    loop {
        let (status, _, page) = get(&target, &next).await;
        assert_eq!(status, StatusCode::OK);
        names.extend(
            page["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["LastName"].as_str().unwrap().to_string()),
        );
        match page["nextRecordsUrl"].as_str() {
            Some(link) => next = link.to_string(),
            None => {
                assert_eq!(page["done"], true);
                break;
            }
        }
    }
    assert_eq!(names, vec!["C2", "C1", "C0"]);
    // A finished cursor is gone.
    let (status, _, body) = get(&target, &next).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body[0]["errorCode"], "INVALID_QUERY_LOCATOR");
}

#[tokio::test]
async fn query_errors_have_salesforces_codes() {
    let target = Target::start().await;
    for (soql, code) in [
        ("SELECT Id FROM Widget", "INVALID_TYPE"),
        ("SELECT Nope FROM Lead", "INVALID_FIELD"),
        (
            "SELECT Id FROM Lead WHERE A = 'x' AND B = 'y' OR C = 'z'",
            "MALFORMED_QUERY",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate = '2024-01-01'",
            "INVALID_QUERY_FILTER_OPERATOR",
        ),
    ] {
        let (status, body) = query(&target, soql).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{soql}");
        assert_eq!(body[0]["errorCode"], code, "{soql}: {body}");
        assert!(body[0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let (status, _, body) = get(
        &target,
        "/services/data/v60.0/sobjects/Lead/00Q5g0000000001EAA",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!([{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}])
    );
    let (status, _, _) = get(&target, "/services/data/vX/limits").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_answer_reports_usage_and_the_quota_answer_is_a_403() {
    let mut config = SalesforceEmulatorConfig::with_token(TOKEN);
    config.daily_api_limit = 2;
    let target = Target::with(config).await;
    let (_, headers, body) = get(&target, &format!("{DATA}/limits")).await;
    assert_eq!(headers["sforce-limit-info"], "api-usage=1/2");
    assert_eq!(body["DailyApiRequests"], json!({"Max": 2, "Remaining": 1}));
    get(&target, &format!("{DATA}/limits")).await;
    let (status, headers, body) = get(&target, &format!("{DATA}/limits")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body,
        json!([{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
    );
    assert_eq!(headers["sforce-limit-info"], "api-usage=2/2");
}

#[tokio::test]
async fn a_missing_or_expired_token_is_invalid_session_id() {
    let target = Target::start().await;
    let response = reqwest::get(format!("{}{DATA}/limits", target.emulator.instance_url()))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Token");
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
    );
    target.emulator.expire_access_tokens();
    let (status, _, _) = get(&target, &format!("{DATA}/limits")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_session_can_time_out_after_a_number_of_requests() {
    let target = Target::start().await;
    target.emulator.expire_access_tokens_after(2);
    for _ in 0..2 {
        let (status, _, _) = get(&target, &format!("{DATA}/limits")).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _, body) = get(&target, &format!("{DATA}/limits")).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the third request: {body}"
    );
    assert_eq!(body[0]["errorCode"], "INVALID_SESSION_ID");
}

#[tokio::test]
async fn the_token_endpoint_refuses_like_salesforce() {
    let target = Target::start().await;
    let config = target.emulator.config();
    let post = |form: Vec<(&'static str, String)>| {
        let url = target.emulator.token_url();
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .form(&form)
                .send()
                .await
                .unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    let good = vec![
        ("grant_type", "refresh_token".to_string()),
        ("client_id", config.client_id.clone()),
        ("client_secret", config.client_secret.clone()),
        ("refresh_token", config.refresh_token.clone()),
    ];
    let (status, body) = post(good.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["instance_url"],
        target.emulator.instance_url().as_str()
    );
    assert!(
        body["access_token"]
            .as_str()
            .unwrap()
            .starts_with("00D5g000004XyZa!")
    );
    assert!(
        body.get("refresh_token").is_none(),
        "no rotation by default"
    );
    for (index, value, error) in [
        (1, "someone-else", "invalid_client_id"),
        (2, "wrong-secret", "invalid_client"),
        (3, "old-refresh-token", "invalid_grant"),
        (0, "password", "unsupported_grant_type"),
    ] {
        let mut form = good.clone();
        form[index].1 = value.to_string();
        let (status, body) = post(form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert_eq!(body["error"], error);
    }
    assert!(target.emulator.log().matching("POST", TOKEN_PATH).len() == 5);
}

#[tokio::test]
async fn old_api_versions_answer_an_upsert_update_with_204() {
    let config =
        SalesforceEmulatorConfig::with_token(TOKEN).with_custom_field("Contact", "Ext__c", true);
    let target = Target::with(config).await;
    target
        .emulator
        .seed("Contact", json!({"LastName": "A", "Ext__c": "e1"}));
    let patch = |version: &str| {
        reqwest::Client::new()
            .patch(format!(
                "{}/services/data/{version}/sobjects/Contact/Ext__c/e1",
                target.emulator.instance_url()
            ))
            .bearer_auth(TOKEN)
            .json(&json!({"LastName": "B"}))
            .send()
    };
    assert_eq!(
        patch("v45.0").await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let response = patch("v60.0").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap()["created"], false);
}
