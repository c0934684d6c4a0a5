//! Lead conversion: the contact and deal it makes, the lead marked CONVERTED, and that
//! repeating it (after success or after an interruption) never makes a second deal.

use std::time::Duration;

use serde_json::json;

use super::{Target, body, execute};
use crate::emulation::Fault;

fn seed_lead(target: &Target) -> u64 {
    target.emulator.add_lead(
        json!({"TITLE": "Звонок 79161234567", "NAME": "Пётр", "SOURCE_ID": "CALL",
        "PHONE": [{"VALUE": "79161234567", "VALUE_TYPE": "MOBILE"}], "UTM_SOURCE": "yandex",
        "OPPORTUNITY": 700, "ASSIGNED_BY_ID": 5}),
    )
}

#[tokio::test]
async fn a_lead_becomes_a_contact_and_a_deal_in_the_chosen_stage() {
    let target = Target::start().await;
    let connector = target.connector();
    let lead = seed_lead(&target);
    let out = execute(
        &*connector,
        "convert_lead",
        json!({"lead_id": lead, "category_id": 1, "stage_id": "C1:NEW", "fields": {"UF_CRM_CHANNEL": "call"}}),
    )
    .await
    .unwrap();
    assert_eq!(out["deal_created"], true);
    assert_eq!(out["contact_created"], true);
    let contact = target
        .emulator
        .contact(out["contact_id"].as_u64().unwrap())
        .unwrap();
    assert_eq!(
        (&contact["NAME"], &contact["LEAD_ID"], &contact["SOURCE_ID"]),
        (&json!("Пётр"), &json!(lead.to_string()), &json!("CALL"))
    );
    assert_eq!(contact["PHONE"][0]["VALUE"], "79161234567");
    assert_eq!(contact["PHONE"][0]["VALUE_TYPE"], "MOBILE");
    let deal = target
        .emulator
        .deal(out["deal_id"].as_u64().unwrap())
        .unwrap();
    assert_eq!(
        (
            &deal["TITLE"],
            &deal["CATEGORY_ID"],
            &deal["STAGE_ID"],
            &deal["LEAD_ID"],
            &deal["CONTACT_ID"]
        ),
        (
            &json!("Звонок 79161234567"),
            &json!("1"),
            &json!("C1:NEW"),
            &json!(lead.to_string()),
            &contact["ID"]
        )
    );
    assert_eq!(
        (
            &deal["OPPORTUNITY"],
            &deal["ASSIGNED_BY_ID"],
            &deal["UTM_SOURCE"]
        ),
        (&json!("700.00"), &json!("5"), &json!("yandex"))
    );
    assert_eq!(deal["UF_CRM_CHANNEL"], "call");
    let lead_now = target.emulator.lead(lead).unwrap();
    assert_eq!(
        (
            &lead_now["STATUS_ID"],
            &lead_now["STATUS_SEMANTIC_ID"],
            &lead_now["CONTACT_ID"]
        ),
        (&json!("CONVERTED"), &json!("S"), &contact["ID"])
    );
    assert_eq!(
        body(&target.calls("crm.lead.update")[0]),
        json!({"id": lead, "fields": {"STATUS_ID": "CONVERTED", "CONTACT_ID": out["contact_id"]}})
    );
    assert_eq!(
        body(&target.calls("crm.deal.list")[0])["filter"],
        json!({"LEAD_ID": lead})
    );

    // Converting again finds what the first run made and changes nothing.
    target.emulator.log().clear();
    let again = execute(
        &*connector,
        "convert_lead",
        json!({"lead_id": lead, "category_id": 1}),
    )
    .await
    .unwrap();
    assert_eq!(
        (&again["deal_id"], &again["contact_id"]),
        (&out["deal_id"], &out["contact_id"])
    );
    assert_eq!(
        (&again["deal_created"], &again["contact_created"]),
        (&json!(false), &json!(false))
    );
    assert_eq!(
        (
            target.emulator.deals().len(),
            target.emulator.contacts().len()
        ),
        (1, 1)
    );
    assert!(
        target
            .emulator
            .requests()
            .iter()
            .all(|r| !r.path.contains(".add") && !r.path.contains(".update"))
    );
}

#[tokio::test]
async fn an_interrupted_conversion_resumes_without_duplicates() {
    let target = Target::start().await;
    let connector = target.connector();
    let lead = seed_lead(&target);
    // lead.get, deal.list, contact.list and contact.add pass; deal.add fails.
    target
        .emulator
        .faults()
        .push_times(Fault::Delay(Duration::ZERO), 4);
    target.emulator.faults().push(Fault::status(500));
    let error = execute(&*connector, "convert_lead", json!({"lead_id": lead}))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "server");
    assert_eq!(
        (
            target.emulator.deals().len(),
            target.emulator.contacts().len()
        ),
        (0, 1)
    );
    let out = execute(&*connector, "convert_lead", json!({"lead_id": lead}))
        .await
        .unwrap();
    assert_eq!(
        (out["deal_created"].clone(), out["contact_created"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(
        (
            target.emulator.deals().len(),
            target.emulator.contacts().len()
        ),
        (1, 1)
    );
    let deal = &target.emulator.deals()[0];
    assert_eq!(
        (&deal["STAGE_ID"], &deal["CONTACT_ID"]),
        (&json!("NEW"), &json!("1"))
    );
}

#[tokio::test]
async fn a_given_contact_is_used_and_an_unknown_lead_is_rejected() {
    let target = Target::start().await;
    let connector = target.connector();
    let lead = seed_lead(&target);
    let existing = target
        .emulator
        .add_contact(json!({"NAME": "Пётр", "PHONE": [{"VALUE": "79161234567"}]}));
    let out = execute(
        &*connector,
        "convert_lead",
        json!({"lead_id": lead, "contact_id": existing, "title": "Сделка"}),
    )
    .await
    .unwrap();
    assert_eq!(
        (&out["contact_id"], &out["contact_created"]),
        (&json!(existing), &json!(false))
    );
    assert_eq!(target.emulator.contacts().len(), 1);
    assert_eq!(target.emulator.deals()[0]["TITLE"], "Сделка");
    let error = execute(&*connector, "convert_lead", json!({"lead_id": 999}))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "rejected");
    assert!(error.to_string().contains("Not found"), "{error}");
}
