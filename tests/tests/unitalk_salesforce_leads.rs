//! End-to-end: the UniTalk → Salesforce "Leads" template (`bundles/unitalk-salesforce/
//! leads.yaml`), edited with the emulated org's users. Calls are put in UniTalk's history,
//! the engine polls it on a manual clock, and the Salesforce emulator's leads and tasks
//! are asserted field by field.

mod sf_world;
mod support;

use ferry::runtime::Engine;
use ferry::store::StepStatus;
use ferry_connectors::unitalk::emulator::HistoryCall;
use serde_json::{Value, json};
use sf_world::{
    Crms, DISPATCHER, INTEGRATION, OLGA, OUR_NUMBER, PETRO, SALES_DESK, add_call, at, description,
    fields, id, only_with_phone, records, task_of, tasks_on,
};
use support::World;
use support::history::{counts, items, unsuccessful};

const BUNDLE: &str = "unitalk-salesforce-leads";

async fn start(edits: &[(&str, String)]) -> (Crms, World, Engine) {
    sf_world::start("leads.yaml", edits).await
}

/// The lead the template creates for a caller.
fn new_lead(phone: &str, owner: &str) -> Value {
    json!({
        "LastName": phone, "Name": phone, "Company": "[not provided]", "Phone": phone,
        "Status": "Open - Not Contacted", "LeadSource": "Phone Inquiry",
        "Description": format!("Lead from a UniTalk call to {OUR_NUMBER}"),
        "OwnerId": owner, "IsConverted": false, "UniTalk_Line__c": OUR_NUMBER,
    })
}

/// The only lead with exactly this phone.
fn lead_with(crms: &Crms, phone: &str) -> Value {
    only_with_phone(crms, "Lead", phone)
}

/// S2.1 (leads mode), S2.4, S2.6 (custom fields): an inbound call from a new number
/// creates a lead and a completed call task on it carrying the date, answered, inbound,
/// the employee, the client's and the external number and the recording link. A caller
/// whose lead holds the number written differently is found and reused. A later call
/// from the first number lands on the same lead.
#[tokio::test]
async fn s2_1_s2_4_leads_mode_creates_or_reuses_the_lead_and_logs_each_call() {
    let (crms, world, engine) = start(&[]).await;
    let known = crms.sf.seed(
        "Lead",
        json!({"LastName": "Bondarenko", "Company": "Bondarenko LLC", "Phone": "+380 (67) 000-11-22"}),
    );
    let first = add_call(
        &crms,
        HistoryCall {
            date: &at("09:41:05"),
            ..HistoryCall::default()
        },
    );
    let second = add_call(
        &crms,
        HistoryCall {
            id: 276,
            date: &at("09:45:00"),
            client: "380670001122",
            line: "2001",
            talk: 65,
            ..HistoryCall::default()
        },
    );
    engine.tick().await.unwrap();
    assert!(unsuccessful(&engine, BUNDLE).await.is_empty());

    let lead = lead_with(&crms, "380505557182");
    assert_eq!(fields(&lead), new_lead("380505557182", OLGA));
    let link = first["link"].as_str().unwrap();
    assert_eq!(
        fields(&task_of(&crms, 275)),
        json!({
            "Subject": "Inbound call from 380505557182",
            "Description": format!(
                "Date: 2026-05-14 09:41:05\nStatus: answered, inbound\nEmployee: Olga Shevchenko\n\
                 Client number: 380505557182\nExternal number: 380443334455\nRecording: {link}"
            ),
            "WhoId": id(&lead), "OwnerId": OLGA, "ActivityDate": "2026-05-14",
            "Status": "Completed", "Priority": "Normal", "IsClosed": true,
            "CallType": "Inbound", "CallDurationInSeconds": 42, "CallDisposition": "Answered",
            "CallObject": "275", "TaskSubtype": "Call", "UniTalk_Recording__c": link,
        })
    );

    // The known caller's lead is reused as it is; the call is logged on it.
    assert_eq!(records(&crms, "Lead").len(), 2, "one new lead only");
    assert_eq!(
        fields(&crms.sf.record(&known).unwrap()),
        json!({"LastName": "Bondarenko", "Name": "Bondarenko", "Company": "Bondarenko LLC",
               "Phone": "+380 (67) 000-11-22", "Status": "Open - Not Contacted",
               "OwnerId": INTEGRATION, "IsConverted": false})
    );
    let task = task_of(&crms, 276);
    assert_eq!(
        (task["WhoId"].clone(), task["OwnerId"].clone()),
        (json!(known), json!(PETRO))
    );
    assert_eq!(task["Description"], description(&second, "Petro Koval"));
    assert_eq!(task["CallDurationInSeconds"], 65);

    // Five minutes later the same caller again: the same lead, a second task.
    crms.unitalk.add_call(
        HistoryCall {
            id: 277,
            date: &at("10:02:00"),
            ..HistoryCall::default()
        }
        .record(),
    );
    support_tick(&world, &engine).await;
    assert_eq!(records(&crms, "Lead").len(), 2);
    let on_lead: Vec<Value> = tasks_on(&crms, "WhoId", &id(&lead))
        .iter()
        .map(|t| t["CallObject"].clone())
        .collect();
    assert_eq!(on_lead, [json!("275"), json!("277")]);
    assert_eq!(records(&crms, "Task").len(), 3);
}

/// Move the clock to the next poll and tick.
async fn support_tick(world: &World, engine: &Engine) {
    world.next_tick();
    engine.tick().await.unwrap();
}

/// Seed a lead for `phone` and convert it (as a user does in Salesforce); its id.
fn converted_lead(crms: &Crms, phone: &str) -> String {
    let lead = crms.sf.seed(
        "Lead",
        json!({"FirstName": "Oksana", "LastName": "Koval", "Company": "Koval Trade", "Phone": phone}),
    );
    crms.sf.convert_lead(&lead, false);
    lead
}

/// S2.2 "create a new lead" (the template's default): a call from a number whose only
/// lead was converted creates a new lead and is logged there; the converted lead is left
/// alone, and the next call from that number lands on the new lead.
#[tokio::test]
async fn s2_2_a_converted_lead_gets_a_new_lead() {
    let (crms, world, engine) = start(&[]).await;
    let converted = converted_lead(&crms, "+380 50 555 71 82");
    let before = crms.sf.record(&converted).unwrap();
    add_call(
        &crms,
        HistoryCall {
            id: 280,
            date: &at("09:30:00"),
            ..HistoryCall::default()
        },
    );
    engine.tick().await.unwrap();
    assert!(unsuccessful(&engine, BUNDLE).await.is_empty());

    let fresh = lead_with(&crms, "380505557182");
    assert_eq!(fields(&fresh), new_lead("380505557182", OLGA));
    assert_eq!(task_of(&crms, 280)["WhoId"], id(&fresh));
    assert_eq!(crms.sf.record(&converted).unwrap(), before, "untouched");
    assert!(tasks_on(&crms, "WhoId", &converted).is_empty());

    add_call(
        &crms,
        HistoryCall {
            id: 281,
            date: &at("10:03:00"),
            ..HistoryCall::default()
        },
    );
    support_tick(&world, &engine).await;
    assert_eq!(
        records(&crms, "Lead").len(),
        2,
        "the converted one and the new one"
    );
    assert_eq!(task_of(&crms, 281)["WhoId"], id(&fresh));
}

/// S2.2 "ignore the call" (switched in the template): a call from a number whose lead was
/// converted creates and logs nothing; a call from a new number is handled as usual.
#[tokio::test]
async fn s2_2_calls_of_a_converted_lead_are_ignored_when_switched() {
    let switch = (
        "converted_lead: new_lead",
        "converted_lead: ignore".to_string(),
    );
    let (crms, _world, engine) = start(&[switch]).await;
    converted_lead(&crms, "+380 50 555 71 82");
    add_call(
        &crms,
        HistoryCall {
            id: 282,
            date: &at("09:30:00"),
            ..HistoryCall::default()
        },
    );
    add_call(
        &crms,
        HistoryCall {
            id: 283,
            date: &at("09:31:00"),
            client: "380671112233",
            ..HistoryCall::default()
        },
    );
    engine.tick().await.unwrap();
    assert!(unsuccessful(&engine, BUNDLE).await.is_empty());

    let leads = records(&crms, "Lead");
    assert_eq!(leads.len(), 2, "the converted lead and the new caller's");
    let fresh = lead_with(&crms, "380671112233");
    assert_eq!(fields(&fresh), new_lead("380671112233", OLGA));
    let tasks = records(&crms, "Task");
    assert_eq!(tasks.len(), 1, "{tasks:#?}");
    assert_eq!(
        (tasks[0]["CallObject"].clone(), tasks[0]["WhoId"].clone()),
        (json!("283"), json!(id(&fresh)))
    );
    let ignored = items(&engine, BUNDLE)
        .await
        .into_iter()
        .find(|i| i.key == "282")
        .unwrap();
    let skipped: Vec<(String, StepStatus)> = ignored
        .steps
        .iter()
        .map(|s| (s.step_id.clone(), s.status))
        .collect();
    assert_eq!(
        skipped,
        [
            ("existing".to_string(), StepStatus::Succeeded),
            ("lead".to_string(), StepStatus::Skipped),
            ("call".to_string(), StepStatus::Skipped)
        ]
    );
}

/// The calls of the S2.5 tests: inbound, outbound answered and not, internal.
fn directions(crms: &Crms) {
    add_call(
        crms,
        HistoryCall {
            id: 290,
            date: &at("09:10:00"),
            ..HistoryCall::default()
        },
    );
    for (id, answered) in [(291, true), (292, false)] {
        add_call(
            crms,
            HistoryCall {
                id,
                date: &at(&format!("09:2{}:00", id - 290)),
                direction: "OUT",
                client: "380935556677",
                line: "2001",
                answered,
                ..HistoryCall::default()
            },
        );
    }
    add_call(
        crms,
        HistoryCall {
            id: 293,
            date: &at("09:40:00"),
            direction: "INNER",
            client: "2002",
            ..HistoryCall::default()
        },
    );
}

/// S2.5: by default only inbound calls create and log anything; outbound and internal
/// calls are read from the history but filtered out.
#[tokio::test]
async fn s2_5_only_inbound_calls_by_default() {
    let (crms, _world, engine) = start(&[]).await;
    directions(&crms);
    engine.tick().await.unwrap();
    let counts = counts(&engine, BUNDLE).await;
    assert_eq!((counts.succeeded, counts.filtered), (1, 3), "{counts:?}");
    assert_eq!(records(&crms, "Lead").len(), 1);
    let tasks = records(&crms, "Task");
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["CallObject"], "290");
}

/// S2.5 switched on: outbound calls, answered or not, create the lead of the number
/// dialled and are logged as outbound calls of the employee who made them; internal calls
/// still are not.
#[tokio::test]
async fn s2_5_outbound_calls_when_switched_on() {
    let switch = ("outbound_calls: false", "outbound_calls: true".to_string());
    let (crms, _world, engine) = start(&[switch]).await;
    directions(&crms);
    engine.tick().await.unwrap();
    assert!(unsuccessful(&engine, BUNDLE).await.is_empty());
    let counts = counts(&engine, BUNDLE).await;
    assert_eq!((counts.succeeded, counts.filtered), (3, 1), "{counts:?}");

    let dialled = lead_with(&crms, "380935556677");
    assert_eq!(fields(&dialled), new_lead("380935556677", PETRO));
    let history = crms.unitalk.calls();
    let answered = task_of(&crms, 291);
    assert_eq!(
        fields(&answered),
        json!({
            "Subject": "Outbound call to 380935556677",
            "Description": description(&history[1], "Petro Koval"),
            "WhoId": id(&dialled), "OwnerId": PETRO, "ActivityDate": "2026-05-14",
            "Status": "Completed", "Priority": "Normal", "IsClosed": true,
            "CallType": "Outbound", "CallDurationInSeconds": 42, "CallDisposition": "Answered",
            "CallObject": "291", "TaskSubtype": "Call",
            "UniTalk_Recording__c": history[1]["link"],
        })
    );
    assert_eq!(
        fields(&task_of(&crms, 292)),
        json!({
            "Subject": "Unanswered outbound call to 380935556677",
            "Description": description(&history[2], "Petro Koval"),
            "WhoId": id(&dialled), "OwnerId": PETRO, "ActivityDate": "2026-05-14",
            "Status": "Completed", "Priority": "Normal", "IsClosed": true,
            "CallType": "Outbound", "CallDurationInSeconds": 0, "CallDisposition": "No answer",
            "CallObject": "292", "TaskSubtype": "Call",
        })
    );
    assert_eq!(
        records(&crms, "Task").len(),
        3,
        "nothing for the internal call"
    );
}

/// S2.6: the SIP extension that took a call names the Salesforce user of the new lead
/// and the task (an extension the mapping does not list: the default user); a missed
/// call goes to the user responsible for missed calls, as an open task to call back.
#[tokio::test]
async fn s2_6_users_by_sip_extension_and_missed_calls_to_the_responsible_user() {
    let (crms, _world, engine) = start(&[]).await;
    let calls = [
        (300, "09:05:00", "380671000001", "2001", true),
        (301, "09:06:00", "380671000002", "2002", true),
        (302, "09:07:00", "380631112233", "2000", false),
    ];
    for (id, time, client, line, answered) in calls {
        add_call(
            &crms,
            HistoryCall {
                id,
                date: &at(time),
                client,
                line,
                answered,
                ..HistoryCall::default()
            },
        );
    }
    engine.tick().await.unwrap();
    assert!(unsuccessful(&engine, BUNDLE).await.is_empty());

    for (id, phone, user) in [
        (300, "380671000001", PETRO),
        (301, "380671000002", SALES_DESK),
        (302, "380631112233", DISPATCHER),
    ] {
        let lead = lead_with(&crms, phone);
        assert_eq!(lead["OwnerId"], user, "lead of call {id}");
        assert_eq!(task_of(&crms, id)["OwnerId"], user, "task of call {id}");
    }
    let missed = crms.unitalk.calls()[2].clone();
    assert_eq!(
        fields(&task_of(&crms, 302)),
        json!({
            "Subject": "Missed call from 380631112233",
            "Description": "Date: 2026-05-14 09:07:00\nStatus: missed, inbound\nEmployee: Olga Shevchenko\n\
                            Client number: 380631112233\nExternal number: 380443334455\nRecording: -",
            "WhoId": id(&lead_with(&crms, "380631112233")), "OwnerId": DISPATCHER,
            "ActivityDate": "2026-05-14", "Status": "Not Started", "Priority": "Normal",
            "IsClosed": false, "CallType": "Inbound", "CallDurationInSeconds": 0,
            "CallDisposition": "Missed", "CallObject": "302", "TaskSubtype": "Call",
        })
    );
    assert_eq!(
        task_of(&crms, 302)["Description"],
        description(&missed, "Olga Shevchenko")
    );
}
