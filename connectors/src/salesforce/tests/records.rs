//! Creating and changing leads, contacts and opportunities, and upserts by external id:
//! the exact request bodies, Salesforce's validation answers turned into clear errors,
//! and nothing sent for inputs without a value.

use serde_json::json;

use super::{DATA, Target, execute, writes};
use crate::error::{ConnectorError, RetryAdvice};
use crate::salesforce::SalesforceEmulatorConfig;

#[tokio::test]
async fn a_lead_is_created_with_mapped_and_custom_fields() {
    let config = SalesforceEmulatorConfig::with_token(super::TOKEN).with_custom_field(
        "Lead",
        "Call_Source__c",
        false,
    );
    let target = Target::with(config).await;
    let connector = target.connector();
    let out = execute(
        &*connector,
        "create_lead",
        json!({
            "last_name": "380501234567", "company": "UniTalk call", "phone": "+380501234567",
            "email": "", "lead_source": "Phone Inquiry", "owner_id": "0055g00000BBBBBBBB",
            "fields": {"Call_Source__c": "Context ads", "Description": null}
        }),
    )
    .await
    .unwrap();
    let id = out["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 18);
    assert!(id.starts_with("00Q"));
    assert_eq!(out["found"], false);
    let sent = &writes(&target.emulator)[0];
    assert_eq!(sent.line(), format!("POST {DATA}/sobjects/Lead/"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(
        sent.json().unwrap(),
        json!({"LastName": "380501234567", "Company": "UniTalk call", "Phone": "+380501234567",
               "LeadSource": "Phone Inquiry", "OwnerId": "0055g00000BBBBBBBB", "Call_Source__c": "Context ads"})
    );
    let stored = target.emulator.record(&id).unwrap();
    assert_eq!(stored["Status"], "Open - Not Contacted");
    assert_eq!(stored["Name"], "380501234567");
    assert_eq!(stored["Call_Source__c"], "Context ads");
}

#[tokio::test]
async fn validation_errors_come_back_with_code_message_and_fields() {
    let target = Target::start().await;
    let connector = target.connector();
    // A company that maps to blank is not sent; Salesforce then refuses the lead.
    let error = execute(
        &*connector,
        "create_lead",
        json!({"last_name": "X", "company": " "}),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, ConnectorError::Rejected { status: 400, .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "rejected (HTTP 400): REQUIRED_FIELD_MISSING: Required fields are missing: [Company] (fields: Company)"
    );
    let error = execute(
        &*connector,
        "create_lead",
        json!({"last_name": "X", "company": "Y", "fields": {"Unknown__c": "1"}}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "rejected (HTTP 400): INVALID_FIELD: No such column 'Unknown__c' on sobject of type Lead"
    );
    let error = execute(
        &*connector,
        "create_contact",
        json!({"last_name": "X", "email": "not-an-email"}),
    )
    .await
    .unwrap_err();
    assert!(
        error.to_string().contains("INVALID_EMAIL_ADDRESS"),
        "{error}"
    );
    let error = execute(
        &*connector,
        "create_task",
        json!({"subject": "Call", "who_id": "003000000000000AAA"}),
    )
    .await
    .unwrap_err();
    assert!(
        error.to_string().contains("INVALID_CROSS_REFERENCE_KEY"),
        "{error}"
    );
    assert_eq!(error.advice(), RetryAdvice::Never);
    assert!(
        target.emulator.records("Lead").is_empty() && target.emulator.records("Task").is_empty()
    );
}

#[tokio::test]
async fn inputs_of_the_wrong_shape_are_refused_before_sending() {
    let target = Target::start().await;
    let connector = target.connector();
    for (action, input, says) in [
        (
            "update_lead",
            json!({"id": "00Q' OR Id != '", "status": "x"}),
            "input `id`",
        ),
        (
            "create_opportunity",
            json!({"name": "N", "stage_name": "Prospecting", "close_date": "30.06.2024"}),
            "input `close_date`",
        ),
        (
            "create_lead",
            json!({"last_name": "X", "company": "Y", "fields": {"LastName": "Z"}}),
            "sets LastName",
        ),
        (
            "create_lead",
            json!({"last_name": "X", "company": "Y", "fields": ["x"]}),
            "input `fields`",
        ),
        (
            "upsert_record",
            json!({"sobject": "Lead; DROP", "external_id_field": "X__c", "external_id": "1", "fields": {}}),
            "input `sobject`",
        ),
    ] {
        let error = execute(&*connector, action, input).await.unwrap_err();
        assert!(
            matches!(error, ConnectorError::Config(_)),
            "{action}: {error:?}"
        );
        assert!(error.to_string().contains(says), "{action}: {error}");
    }
    assert!(target.emulator.requests().is_empty());
}

#[tokio::test]
async fn updates_send_only_what_has_a_value_and_converted_leads_are_refused() {
    let target = Target::start().await;
    let connector = target.connector();
    let id = target
        .emulator
        .seed("Contact", json!({"LastName": "Old", "Email": "old@x.ua"}));
    execute(
        &*connector,
        "update_contact",
        json!({"id": id, "last_name": "New", "email": null, "phone": ""}),
    )
    .await
    .unwrap();
    let sent = &writes(&target.emulator)[0];
    assert_eq!(sent.line(), format!("PATCH {DATA}/sobjects/Contact/{id}"));
    assert_eq!(sent.json().unwrap(), json!({"LastName": "New"}));
    let stored = target.emulator.record(&id).unwrap();
    assert_eq!(
        (stored["LastName"].as_str(), stored["Email"].as_str()),
        (Some("New"), Some("old@x.ua"))
    );
    // Nothing to change: nothing sent.
    execute(
        &*connector,
        "update_contact",
        json!({"id": id, "email": null}),
    )
    .await
    .unwrap();
    assert_eq!(writes(&target.emulator).len(), 1);

    let lead = target
        .emulator
        .seed("Lead", super::lead("Converted", "+380 1"));
    target.emulator.convert_lead(&lead, false);
    let error = execute(
        &*connector,
        "update_lead",
        json!({"id": lead, "status": "Working"}),
    )
    .await
    .unwrap_err();
    assert!(
        error.to_string().contains("CANNOT_UPDATE_CONVERTED_LEAD"),
        "{error}"
    );
    let error = execute(
        &*connector,
        "update_lead",
        json!({"id": "00Q5g0000000999EAA", "status": "Working"}),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, ConnectorError::Rejected { status: 404, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn upserts_create_then_update_by_external_id() {
    let config = SalesforceEmulatorConfig::with_token(super::TOKEN)
        .with_custom_field("Lead", "UniTalk_Id__c", true)
        .with_custom_field("Lead", "Note__c", false);
    let target = Target::with(config).await;
    let connector = target.connector();
    let input = |company: &str| {
        json!({"sobject": "Lead", "external_id_field": "UniTalk_Id__c", "external_id": "call 77/a",
               "fields": {"LastName": "Caller", "Company": company, "UniTalk_Id__c": "ignored"}})
    };
    let first = execute(&*connector, "upsert_record", input("One"))
        .await
        .unwrap();
    assert_eq!(first["created"], true);
    let second = execute(&*connector, "upsert_record", input("Two"))
        .await
        .unwrap();
    assert_eq!(second["created"], false);
    assert_eq!(first["id"], second["id"]);
    let sent = writes(&target.emulator);
    assert_eq!(sent[0].method, "PATCH");
    assert_eq!(
        sent[0].path,
        format!("{DATA}/sobjects/Lead/UniTalk_Id__c/call%2077%2Fa")
    );
    assert_eq!(
        sent[0].json().unwrap(),
        json!({"LastName": "Caller", "Company": "One"})
    );
    let leads = target.emulator.records("Lead");
    assert_eq!(leads.len(), 1);
    assert_eq!(leads[0]["Company"], "Two");
    assert_eq!(leads[0]["UniTalk_Id__c"], "call 77/a");
    // A field not flagged External ID, and a value matching two records.
    let error = execute(
        &*connector,
        "upsert_record",
        json!({"sobject": "Lead", "external_id_field": "Note__c", "external_id": "x", "fields": {"LastName": "A"}}),
    )
    .await
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("Provided external ID field does not exist"),
        "{error}"
    );
    target.emulator.seed(
        "Lead",
        json!({"LastName": "Twin", "Company": "T", "UniTalk_Id__c": "dup"}),
    );
    target.emulator.seed(
        "Lead",
        json!({"LastName": "Twin", "Company": "T", "UniTalk_Id__c": "DUP"}),
    );
    let error = execute(
        &*connector,
        "upsert_record",
        json!({"sobject": "Lead", "external_id_field": "UniTalk_Id__c", "external_id": "dup", "fields": {"Company": "X"}}),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, ConnectorError::Rejected { status: 300, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("several records"), "{error}");
}
