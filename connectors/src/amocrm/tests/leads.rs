//! Leads: the create and update wire format, validation by the emulator (statuses outside
//! the pipeline, unknown users), and the newest-lead searches by contact and by e-mail.

use serde_json::{Value, json};

use super::{Target, execute, lines, writes};
use crate::amocrm::emulator::{LOST, WON};
use crate::error::RetryAdvice;

#[tokio::test]
async fn create_lead_posts_pipeline_status_links_tags_and_custom_fields() {
    let target = Target::start().await;
    let emulator = &target.emulator;
    let pipeline = emulator.add_pipeline("Звонки", &["Новая", "В работе"]);
    let status = emulator.status_id(pipeline, "В работе").unwrap();
    let source = emulator.add_custom_field("leads", json!({"name": "Источник", "type": "text"}));
    let contact = emulator.add_contact_with("Иван", Some("+79991234567"), None);
    let company = emulator.add_company(json!({"name": "Ромашка"}));
    let out = execute(
        &*target.connector(),
        "create_lead",
        json!({"name": "Звонок с сайта", "price": "1 500,40", "pipeline_id": pipeline, "status_id": status.to_string(),
               "responsible_user_id": 5000002, "contact_id": contact, "company_id": company,
               "tags": ["Alfa-Track", "проект"], "custom_fields": {source.to_string(): "yandex"}}),
    )
    .await
    .unwrap();
    let post = &writes(emulator)[0];
    assert_eq!(post.line(), "POST /api/v4/leads");
    assert_eq!(
        post.json().unwrap(),
        json!([{"name": "Звонок с сайта", "price": 1500, "pipeline_id": pipeline, "status_id": status,
                "responsible_user_id": 5000002,
                "custom_fields_values": [{"field_id": source, "values": [{"value": "yandex"}]}],
                "_embedded": {"tags": [{"name": "Alfa-Track"}, {"name": "проект"}],
                              "contacts": [{"id": contact}], "companies": [{"id": company}]}}])
    );
    let lead = emulator.lead(out["id"].as_i64().unwrap()).unwrap();
    assert_eq!(
        (lead["pipeline_id"].clone(), lead["status_id"].clone()),
        (json!(pipeline), json!(status))
    );
    assert_eq!(lead["_embedded"]["contacts"][0]["id"], contact);
    assert_eq!(lead["custom_fields_values"][0]["field_name"], "Источник");
}

#[tokio::test]
async fn the_emulator_refuses_statuses_outside_the_pipeline_and_unknown_users() {
    let target = Target::start().await;
    let other = target.emulator.add_pipeline("Опт", &["Новая"]);
    let foreign = target.emulator.status_id(other, "Новая").unwrap();
    let connector = target.connector();
    let error = execute(&*connector, "create_lead", json!({"status_id": foreign}))
        .await
        .unwrap_err();
    assert_eq!(error.advice(), RetryAdvice::Never);
    assert!(
        error
            .to_string()
            .contains("status_id: [NotSupportedChoice]"),
        "{error}"
    );
    let error = execute(
        &*connector,
        "create_lead",
        json!({"responsible_user_id": 77}),
    )
    .await
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("responsible_user_id: [NotSupportedChoice]"),
        "{error}"
    );
    let error = execute(&*connector, "create_lead", json!({"price": -5}))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("`price`"), "{error}");
    assert!(target.emulator.leads().is_empty());
    // Without pipeline and status: the main pipeline's first stage, named by amoCRM.
    let out = execute(&*connector, "create_lead", json!({}))
        .await
        .unwrap();
    let lead = target.emulator.lead(out["id"].as_i64().unwrap()).unwrap();
    assert_eq!(lead["pipeline_id"], target.emulator.main_pipeline_id());
    assert_eq!(lead["name"], format!("Сделка #{}", out["id"]));
}

#[tokio::test]
async fn update_lead_patches_given_fields_and_adds_tags() {
    let target = Target::start().await;
    target.emulator.set_clock(1_715_000_000);
    let id = target
        .emulator
        .add_lead(json!({"name": "Сделка", "_embedded": {"tags": [{"name": "old"}]}}));
    target.emulator.set_clock(1_715_000_600);
    let out = execute(
        &*target.connector(),
        "update_lead",
        json!({"id": id, "status_id": WON, "price": 900, "tags": "new", "name": null}),
    )
    .await
    .unwrap();
    assert_eq!(
        lines(&target.emulator),
        vec![
            format!("GET /api/v4/leads/{id}"),
            format!("PATCH /api/v4/leads/{id}")
        ]
    );
    assert_eq!(
        target.emulator.requests()[1].json().unwrap(),
        json!({"price": 900, "status_id": WON, "_embedded": {"tags": [{"name": "old"}, {"name": "new"}]}})
    );
    assert_eq!(out["updated_at"], 1_715_000_600);
    let lead = target.emulator.lead(id).unwrap();
    assert_eq!(lead["closed_at"], 1_715_000_600);
    assert_eq!(lead["name"], "Сделка");
}

/// Three leads of one contact, created a minute apart: open in the main pipeline, lost in
/// the main pipeline, open in a second pipeline (the newest).
async fn contact_with_leads(target: &Target) -> (i64, Vec<i64>, i64) {
    let emulator = &target.emulator;
    let contact = emulator.add_contact_with("Анна", None, Some("anna@example.ru"));
    let second = emulator.add_pipeline("Повторные", &["Новая"]);
    let link = json!([{"id": contact}]);
    emulator.set_clock(1_715_000_000);
    let open = emulator.add_lead(json!({"name": "A", "_embedded": {"contacts": link}}));
    emulator.set_clock(1_715_000_060);
    let lost =
        emulator.add_lead(json!({"name": "B", "status_id": LOST, "_embedded": {"contacts": link}}));
    emulator.set_clock(1_715_000_120);
    let newest = emulator
        .add_lead(json!({"name": "C", "pipeline_id": second, "_embedded": {"contacts": link}}));
    emulator.add_lead(json!({"name": "someone else's"}));
    (contact, vec![open, lost, newest], second)
}

#[tokio::test]
async fn the_newest_lead_of_a_contact_with_pipeline_and_open_filters() {
    let target = Target::start().await;
    let (contact, leads, second) = contact_with_leads(&target).await;
    let connector = target.connector();
    let main = target.emulator.main_pipeline_id();
    let newest = execute(
        &*connector,
        "find_lead_by_contact",
        json!({"contact_id": contact}),
    )
    .await
    .unwrap();
    assert_eq!(newest["found"], true);
    assert_eq!(
        (
            newest["lead_id"].clone(),
            newest["pipeline_id"].clone(),
            newest["closed"].clone()
        ),
        (json!(leads[2]), json!(second), json!(false))
    );
    assert_eq!(newest["contact_id"], contact);
    let in_main = execute(
        &*connector,
        "find_lead_by_contact",
        json!({"contact_id": contact, "pipeline_id": main}),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            in_main["lead_id"].clone(),
            in_main["status_id"].clone(),
            in_main["closed"].clone()
        ),
        (json!(leads[1]), json!(LOST), json!(true))
    );
    let open = execute(
        &*connector,
        "find_lead_by_contact",
        json!({"contact_id": contact, "pipeline_id": main, "only_open": true}),
    )
    .await
    .unwrap();
    assert_eq!(open["lead_id"], leads[0]);
    let requests = target.emulator.requests();
    assert_eq!(
        requests[0].line(),
        format!("GET /api/v4/contacts/{contact}?with=leads")
    );
    assert_eq!(
        requests[1].query_all("filter[id][]"),
        leads.iter().map(|l| l.to_string()).collect::<Vec<_>>()
    );
    let missing = execute(
        &*connector,
        "find_lead_by_contact",
        json!({"contact_id": 99}),
    )
    .await
    .unwrap();
    assert_eq!(
        (missing["found"].clone(), missing["lead_id"].clone()),
        (json!(false), Value::Null)
    );
}

#[tokio::test]
async fn the_newest_deal_by_the_contacts_email_across_contacts() {
    let target = Target::start().await;
    let (_, leads, _) = contact_with_leads(&target).await;
    // A second contact with the same e-mail (different case) and an even newer lead.
    let twin = target
        .emulator
        .add_contact_with("Анна (дубль)", None, Some("ANNA@example.ru"));
    target.emulator.set_clock(1_715_000_500);
    let newer = target
        .emulator
        .add_lead(json!({"name": "D", "_embedded": {"contacts": [{"id": twin}]}}));
    // A contact that only mentions the address elsewhere does not count.
    let noise = target
        .emulator
        .add_contact(json!({"name": "anna@example.ru друг"}));
    target.emulator.set_clock(1_715_000_900);
    target
        .emulator
        .add_lead(json!({"name": "E", "_embedded": {"contacts": [{"id": noise}]}}));
    let connector = target.connector();
    let out = execute(
        &*connector,
        "find_newest_lead_by_email",
        json!({"email": "Anna@Example.ru"}),
    )
    .await
    .unwrap();
    assert_eq!(
        (out["lead_id"].clone(), out["contact_id"].clone()),
        (json!(newer), json!(twin))
    );
    assert_eq!(out["created_at"], 1_715_000_500);
    assert!(leads.iter().all(|l| *l != newer));
    let nobody = execute(
        &*connector,
        "find_newest_lead_by_email",
        json!({"email": "nobody@example.ru"}),
    )
    .await
    .unwrap();
    assert_eq!(nobody["found"], false);
    let error = execute(
        &*connector,
        "find_newest_lead_by_email",
        json!({"email": ""}),
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("`email`"), "{error}");
}
