//! End-to-end: the UniTalk → Salesforce "Contacts" and "Contacts and opportunities"
//! templates (`bundles/unitalk-salesforce/contacts.yaml`, `contacts-opportunities.yaml`),
//! edited with the emulated org's users. Calls are put in UniTalk's history, the engine
//! polls it on a manual clock, and the Salesforce emulator's contacts, opportunities,
//! contact roles and tasks are asserted field by field.

mod sf_world;
mod support;

use ferry_connectors::unitalk::emulator::HistoryCall;
use serde_json::{Value, json};
use sf_world::{
    Crms, INTEGRATION, OLGA, OUR_NUMBER, PETRO, add_call, at, description, fields, id,
    only_with_phone, records, start, task_of, tasks_on,
};
use support::history::unsuccessful;

const CONTACTS: &str = "unitalk-salesforce-contacts";
const OPPORTUNITIES: &str = "unitalk-salesforce-opportunities";

/// The contact the templates create for a caller.
fn new_contact(phone: &str, owner: &str) -> Value {
    json!({
        "LastName": phone, "Name": phone, "Phone": phone, "LeadSource": "Phone Inquiry",
        "Description": format!("Contact from a UniTalk call to {OUR_NUMBER}"),
        "OwnerId": owner, "UniTalk_Line__c": OUR_NUMBER,
    })
}

/// The opportunity the template creates for a new caller on the test day.
fn new_opportunity(phone: &str, owner: &str) -> Value {
    json!({
        "Name": format!("Call from {phone}"), "StageName": "Prospecting",
        "CloseDate": "2026-05-14", "LeadSource": "Phone Inquiry", "OwnerId": owner,
        "IsClosed": false, "IsWon": false, "UniTalk_Line__c": OUR_NUMBER,
    })
}

/// The only contact with exactly this phone.
fn contact_with(crms: &Crms, phone: &str) -> Value {
    only_with_phone(crms, "Contact", phone)
}

/// `(OpportunityId, ContactId, IsPrimary)` of every contact role.
fn roles(crms: &Crms) -> Vec<(Value, Value, Value)> {
    records(crms, "OpportunityContactRole")
        .iter()
        .map(|r| {
            (
                r["OpportunityId"].clone(),
                r["ContactId"].clone(),
                r["IsPrimary"].clone(),
            )
        })
        .collect()
}

/// S2.1 (contacts mode), S2.4: an inbound call from a new number creates a contact and a
/// completed call task on it (no opportunity); a caller who is a contact already (made
/// by a lead conversion, the number written differently) is reused.
#[tokio::test]
async fn s2_1_s2_4_contacts_mode_creates_or_reuses_the_contact() {
    let (crms, _world, engine) = start("contacts.yaml", &[]).await;
    let lead = crms.sf.seed(
        "Lead",
        json!({"LastName": "Koval", "Company": "Koval Trade", "Phone": "+380 (67) 000-11-22"}),
    );
    let known = crms.sf.convert_lead(&lead, false).contact_id;
    let first = add_call(
        &crms,
        HistoryCall {
            date: &at("09:41:05"),
            ..HistoryCall::default()
        },
    );
    add_call(
        &crms,
        HistoryCall {
            id: 276,
            date: &at("09:45:00"),
            client: "380670001122",
            line: "2001",
            ..HistoryCall::default()
        },
    );
    engine.tick().await.unwrap();
    assert!(unsuccessful(&engine, CONTACTS).await.is_empty());

    let contact = contact_with(&crms, "380505557182");
    assert_eq!(fields(&contact), new_contact("380505557182", OLGA));
    assert_eq!(
        fields(&task_of(&crms, 275)),
        json!({
            "Subject": "Inbound call from 380505557182",
            "Description": description(&first, "Olga Shevchenko"),
            "WhoId": id(&contact), "OwnerId": OLGA, "ActivityDate": "2026-05-14",
            "Status": "Completed", "Priority": "Normal", "IsClosed": true,
            "CallType": "Inbound", "CallDurationInSeconds": 42, "CallDisposition": "Answered",
            "CallObject": "275", "TaskSubtype": "Call", "UniTalk_Recording__c": first["link"],
        })
    );
    assert_eq!(records(&crms, "Contact").len(), 2, "one new contact only");
    let reused = crms.sf.record(&known).unwrap();
    assert_eq!(
        (reused["Phone"].clone(), reused["OwnerId"].clone()),
        (json!("+380 (67) 000-11-22"), json!(INTEGRATION)),
        "the known contact is reused as it is"
    );
    assert_eq!(task_of(&crms, 276)["WhoId"], known.as_str());
    assert_eq!(task_of(&crms, 276)["OwnerId"], PETRO);
    assert!(records(&crms, "Opportunity").is_empty(), "no opportunities");
    assert_eq!(records(&crms, "Lead").len(), 1, "no leads");
}

/// S2.1 (contacts and opportunities mode), S2.4: a new caller gets a contact and an
/// opportunity with the contact as its primary contact role; the call is logged on both.
/// The next call from that number, five minutes later, lands on the same open
/// opportunity, so it shows the history of calls from the number.
#[tokio::test]
async fn s2_1_contacts_and_opportunities_mode_logs_calls_on_the_open_opportunity() {
    let (crms, world, engine) = start("contacts-opportunities.yaml", &[]).await;
    let first = add_call(
        &crms,
        HistoryCall {
            date: &at("09:41:05"),
            ..HistoryCall::default()
        },
    );
    engine.tick().await.unwrap();
    assert!(unsuccessful(&engine, OPPORTUNITIES).await.is_empty());

    let contact = contact_with(&crms, "380505557182");
    assert_eq!(fields(&contact), new_contact("380505557182", OLGA));
    let opportunities = records(&crms, "Opportunity");
    assert_eq!(opportunities.len(), 1);
    let opportunity = &opportunities[0];
    assert_eq!(fields(opportunity), new_opportunity("380505557182", OLGA));
    assert_eq!(
        roles(&crms),
        [(json!(id(opportunity)), json!(id(&contact)), json!(true))]
    );
    assert_eq!(
        fields(&task_of(&crms, 275)),
        json!({
            "Subject": "Inbound call from 380505557182",
            "Description": description(&first, "Olga Shevchenko"),
            "WhoId": id(&contact), "WhatId": id(opportunity), "OwnerId": OLGA,
            "ActivityDate": "2026-05-14", "Status": "Completed", "Priority": "Normal",
            "IsClosed": true, "CallType": "Inbound", "CallDurationInSeconds": 42,
            "CallDisposition": "Answered", "CallObject": "275", "TaskSubtype": "Call",
            "UniTalk_Recording__c": first["link"],
        })
    );

    add_call(
        &crms,
        HistoryCall {
            id: 278,
            date: &at("10:01:30"),
            line: "2001",
            ..HistoryCall::default()
        },
    );
    world.next_tick();
    engine.tick().await.unwrap();
    assert_eq!(records(&crms, "Contact").len(), 1);
    assert_eq!(records(&crms, "Opportunity").len(), 1);
    assert_eq!(roles(&crms).len(), 1);
    let history: Vec<Value> = tasks_on(&crms, "WhatId", &id(opportunity))
        .iter()
        .map(|t| json!([t["CallObject"], t["WhoId"], t["OwnerId"]]))
        .collect();
    assert_eq!(
        history,
        [
            json!(["275", id(&contact), OLGA]),
            json!(["278", id(&contact), PETRO])
        ]
    );
}

/// A known caller: a contact whose only opportunity was lost. Its ids.
fn lost_deal(crms: &Crms) -> (String, String) {
    let contact = crms.sf.seed(
        "Contact",
        json!({"FirstName": "Oksana", "LastName": "Koval", "Phone": "+380 50 555 71 82"}),
    );
    let opportunity = crms
        .sf
        .seed_opportunity(&contact, "Koval: website", "Prospecting");
    crms.sf.set_stage(&opportunity, "Closed Lost");
    (contact, opportunity)
}

/// S2.3 "reopen" (the template's default): the caller's only opportunity is closed, so
/// it is moved back to the open stage chosen in the template, with the call's date as its
/// close date, and the call is logged on it; no new opportunity.
#[tokio::test]
async fn s2_3_a_closed_opportunity_is_reopened() {
    let (crms, _world, engine) = start("contacts-opportunities.yaml", &[]).await;
    let (contact, opportunity) = lost_deal(&crms);
    add_call(
        &crms,
        HistoryCall {
            id: 310,
            date: &at("09:50:00"),
            ..HistoryCall::default()
        },
    );
    engine.tick().await.unwrap();
    assert!(unsuccessful(&engine, OPPORTUNITIES).await.is_empty());

    assert_eq!(records(&crms, "Contact").len(), 1, "the contact is reused");
    assert_eq!(records(&crms, "Opportunity").len(), 1, "no new opportunity");
    assert_eq!(
        fields(&crms.sf.record(&opportunity).unwrap()),
        json!({"Name": "Koval: website", "StageName": "Qualification",
               "CloseDate": "2026-05-14", "IsClosed": false, "IsWon": false,
               "OwnerId": INTEGRATION})
    );
    let task = task_of(&crms, 310);
    assert_eq!(
        (task["WhoId"].clone(), task["WhatId"].clone()),
        (json!(contact), json!(opportunity))
    );
}

/// S2.3 "create a new one" (switched in the template): the closed opportunity stays
/// closed, a new opportunity is created for the contact, and the call is logged there.
#[tokio::test]
async fn s2_3_a_closed_opportunity_gets_a_new_one_when_switched() {
    let switch = (
        "closed_opportunity: reopen",
        "closed_opportunity: create_new".to_string(),
    );
    let (crms, _world, engine) = start("contacts-opportunities.yaml", &[switch]).await;
    let (contact, lost) = lost_deal(&crms);
    let before = crms.sf.record(&lost).unwrap();
    add_call(
        &crms,
        HistoryCall {
            id: 311,
            date: &at("09:50:00"),
            line: "2001",
            ..HistoryCall::default()
        },
    );
    engine.tick().await.unwrap();
    assert!(unsuccessful(&engine, OPPORTUNITIES).await.is_empty());

    assert_eq!(crms.sf.record(&lost).unwrap(), before, "left closed");
    let fresh: Vec<Value> = records(&crms, "Opportunity")
        .into_iter()
        .filter(|o| o["Id"] != lost.as_str())
        .collect();
    assert_eq!(fresh.len(), 1, "{fresh:#?}");
    assert_eq!(fields(&fresh[0]), new_opportunity("380505557182", PETRO));
    assert!(roles(&crms).contains(&(json!(id(&fresh[0])), json!(contact), json!(true))));
    let task = task_of(&crms, 311);
    assert_eq!(
        (task["WhoId"].clone(), task["WhatId"].clone()),
        (json!(contact), json!(id(&fresh[0])))
    );
}
