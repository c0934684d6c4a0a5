//! Calls logged as tasks: the call fields and defaults on the wire, the direction
//! translated to the `CallType` picklist, custom fields, and duplicate search by the
//! call's id.

use serde_json::json;

use super::{DATA, Target, execute, find, writes};
use crate::salesforce::SalesforceEmulatorConfig;

#[tokio::test]
async fn a_call_is_logged_as_a_completed_call_task() {
    let config = SalesforceEmulatorConfig::with_token(super::TOKEN).with_custom_field(
        "Task",
        "Recording__c",
        false,
    );
    let target = Target::with(config).await;
    let connector = target.connector();
    let contact = target
        .emulator
        .seed("Contact", json!({"LastName": "Client"}));
    let opportunity = target
        .emulator
        .seed_opportunity(&contact, "Deal", "Prospecting");
    let description = "2024-05-14 10:31\nInbound, answered\nEmployee: Olga\nClient: 380501234567\nLine: 380443334455\nRecording: https://rec.example/1.mp3";
    let out = execute(
        &*connector,
        "create_task",
        json!({
            "subject": "Inbound call 380501234567", "description": description,
            "who_id": contact, "what_id": opportunity, "owner_id": "0055g00000BBBBBBBB",
            "activity_date": "2024-05-14 10:31:05", "call_type": "in", "call_duration": "42",
            "call_disposition": "Answered", "call_object": "unitalk-275",
            "fields": {"Recording__c": "https://rec.example/1.mp3"}
        }),
    )
    .await
    .unwrap();
    let id = out["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("00T"));
    let sent = &writes(&target.emulator)[0];
    assert_eq!(sent.line(), format!("POST {DATA}/sobjects/Task/"));
    assert_eq!(
        sent.json().unwrap(),
        json!({
            "Subject": "Inbound call 380501234567", "Description": description,
            "WhoId": contact, "WhatId": opportunity, "OwnerId": "0055g00000BBBBBBBB",
            "ActivityDate": "2024-05-14", "CallDurationInSeconds": 42,
            "CallDisposition": "Answered", "CallObject": "unitalk-275",
            "Recording__c": "https://rec.example/1.mp3", "CallType": "Inbound",
            "Status": "Completed", "TaskSubtype": "Call"
        })
    );
    let stored = target.emulator.record(&id).unwrap();
    assert_eq!(stored["IsClosed"], true);
    assert_eq!(stored["Priority"], "Normal");
    let found = find(
        &*connector,
        "create_task",
        "call_object",
        json!("unitalk-275"),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(found["id"], id.as_str());
    assert!(
        find(
            &*connector,
            "create_task",
            "call_object",
            json!("unitalk-276")
        )
        .await
        .unwrap()
        .is_none()
    );
}

#[tokio::test]
async fn a_lead_can_be_the_who_and_bad_call_types_are_refused() {
    let target = Target::start().await;
    let connector = target.connector();
    let lead = target
        .emulator
        .seed("Lead", super::lead("Caller", "380501234567"));
    let out = execute(
        &*connector,
        "create_task",
        json!({"subject": "Missed call", "who_id": lead, "call_type": "Outgoing", "status": "Not Started"}),
    )
    .await
    .unwrap();
    let stored = target.emulator.record(out["id"].as_str().unwrap()).unwrap();
    assert_eq!(stored["CallType"], "Outbound");
    assert_eq!(stored["Status"], "Not Started");
    assert_eq!(stored["IsClosed"], false);
    let error = execute(
        &*connector,
        "create_task",
        json!({"subject": "x", "call_type": "sideways"}),
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("input `call_type`"), "{error}");
    let error = execute(
        &*connector,
        "create_task",
        json!({"description": "no subject"}),
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("input `subject`"), "{error}");
    // An opportunity id is not a valid WhoId.
    let contact = target.emulator.seed("Contact", json!({"LastName": "C"}));
    let opportunity = target
        .emulator
        .seed_opportunity(&contact, "D", "Prospecting");
    let error = execute(
        &*connector,
        "create_task",
        json!({"subject": "x", "who_id": opportunity}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "rejected (HTTP 400): INVALID_CROSS_REFERENCE_KEY: invalid cross reference id (fields: WhoId)"
    );
}
