//! Tasks, notes and `ensure_custom_field`.

use serde_json::json;

use super::{Target, execute, lines, writes};
use crate::test_kit::IDEMPOTENCY_KEY;

#[tokio::test]
async fn create_task_posts_an_array_with_a_unix_deadline() {
    let target = Target::start().await;
    let lead = target.emulator.add_lead(json!({"name": "Сделка"}));
    let connector = target.connector();
    let out = execute(
        &*connector,
        "create_task",
        json!({"text": "Перезвонить клиенту", "complete_till": "2024-05-14 18:00", "entity_id": lead,
               "entity_type": "lead", "responsible_user_id": 5000002, "task_type_id": 1, "duration": 900}),
    )
    .await
    .unwrap();
    let post = &writes(&target.emulator)[0];
    assert_eq!(post.line(), "POST /api/v4/tasks");
    // 18:00 at +03:00 is 15:00 UTC.
    assert_eq!(
        post.json().unwrap(),
        json!([{"text": "Перезвонить клиенту", "complete_till": 1_715_698_800, "entity_id": lead,
                "entity_type": "leads", "responsible_user_id": 5000002, "task_type_id": 1, "duration": 900}])
    );
    let task = &target.emulator.tasks()[0];
    assert_eq!(out["id"], task["id"]);
    assert_eq!(task["entity_type"], "leads");

    let error = execute(
        &*connector,
        "create_task",
        json!({"text": "x", "complete_till": "завтра"}),
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("`complete_till`"), "{error}");
    let error = execute(&*connector, "create_task", json!({"text": "x", "complete_till": 1_715_698_800, "entity_id": 424242, "entity_type": "contacts"}))
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("entity_id: [NotSupportedChoice]"),
        "{error}"
    );
    assert_eq!(target.emulator.tasks().len(), 1);
}

#[tokio::test]
async fn notes_are_common_or_call_records() {
    let target = Target::start().await;
    let contact = target
        .emulator
        .add_contact_with("Иван", Some("+79991234567"), None);
    let connector = target.connector();
    execute(&*connector, "create_note", json!({"entity_type": "contacts", "entity_id": contact, "text": "Клиент просил перезвонить"}))
        .await
        .unwrap();
    let out = execute(
        &*connector,
        "create_note",
        json!({"entity_type": "contact", "entity_id": contact, "note_type": "call_in", "phone": "+79991234567",
               "duration": "65", "source": "Ringostat", "link": "https://example.com/rec.mp3"}),
    )
    .await
    .unwrap();
    let posts = writes(&target.emulator);
    assert_eq!(
        posts[0].line(),
        format!("POST /api/v4/contacts/{contact}/notes")
    );
    assert_eq!(
        posts[0].json().unwrap(),
        json!([{"note_type": "common", "params": {"text": "Клиент просил перезвонить"}}])
    );
    assert_eq!(
        posts[1].json().unwrap(),
        json!([{"note_type": "call_in", "params": {"uniq": IDEMPOTENCY_KEY, "duration": 65, "source": "Ringostat",
                "phone": "+79991234567", "link": "https://example.com/rec.mp3"}}])
    );
    let notes = target.emulator.notes();
    assert_eq!(out["id"], notes[1]["id"]);
    assert_eq!(notes[1]["entity_id"], contact);
    let error = execute(
        &*connector,
        "create_note",
        json!({"entity_type": "tasks", "entity_id": 1, "text": "x"}),
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("`entity_type`"), "{error}");
    let error = execute(
        &*connector,
        "create_note",
        json!({"entity_type": "leads", "entity_id": 4242, "text": "x"}),
    )
    .await
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("entity_id: [NotSupportedChoice]"),
        "{error}"
    );
}

#[tokio::test]
async fn ensure_custom_field_creates_once_then_reuses_the_cached_id() {
    let target = Target::start().await;
    let connector = target.connector();
    let input = json!({"entity_type": "leads", "name": "GA client id"});
    let first = execute(&*connector, "ensure_custom_field", input.clone())
        .await
        .unwrap();
    assert_eq!(first["created"], true);
    assert_eq!(
        lines(&target.emulator),
        vec![
            "GET /api/v4/leads/custom_fields?limit=50",
            "POST /api/v4/leads/custom_fields"
        ]
    );
    assert_eq!(
        writes(&target.emulator)[0].json().unwrap(),
        json!([{"name": "GA client id", "type": "text"}])
    );
    let fields = target.emulator.custom_fields("leads");
    assert_eq!(fields.len(), 1);
    assert_eq!(first["field_id"], fields[0]["id"]);
    // Again, ignoring case: no request at all.
    let again = execute(
        &*connector,
        "ensure_custom_field",
        json!({"entity_type": "deal", "name": "ga CLIENT id"}),
    )
    .await
    .unwrap();
    assert_eq!(
        (again["field_id"].clone(), again["created"].clone()),
        (first["field_id"].clone(), json!(false))
    );
    assert_eq!(target.emulator.requests().len(), 2);
    // A field made in amoCRM meanwhile is found by re-reading the list, not created twice.
    let made = target
        .emulator
        .add_custom_field("leads", json!({"name": "Источник", "type": "text"}));
    let found = execute(
        &*connector,
        "ensure_custom_field",
        json!({"entity_type": "leads", "name": "Источник"}),
    )
    .await
    .unwrap();
    assert_eq!(
        (found["field_id"].clone(), found["created"].clone()),
        (json!(made), json!(false))
    );
    // The field is usable by name at once.
    execute(
        &*connector,
        "create_lead",
        json!({"custom_fields": {"GA client id": "GA1.2.3"}}),
    )
    .await
    .unwrap();
    assert_eq!(
        target.emulator.leads()[0]["custom_fields_values"][0]["field_id"],
        first["field_id"]
    );
}

#[tokio::test]
async fn concurrent_ensures_create_the_field_once() {
    let target = Target::start().await;
    let connector = target.connector();
    let calls = (0..8).map(|_| {
        let connector = connector.clone();
        async move {
            execute(
                &*connector,
                "ensure_custom_field",
                json!({"entity_type": "contacts", "name": "utm_source", "code": "UTM_SOURCE_X"}),
            )
            .await
            .unwrap()
        }
    });
    let results = futures::future::join_all(calls).await;
    assert_eq!(results.iter().filter(|r| r["created"] == true).count(), 1);
    assert!(
        results
            .iter()
            .all(|r| r["field_id"] == results[0]["field_id"])
    );
    let created: Vec<_> = target
        .emulator
        .custom_fields("contacts")
        .into_iter()
        .filter(|f| f["name"] == "utm_source")
        .collect();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["code"], "UTM_SOURCE_X");
    let error = execute(
        &*connector,
        "ensure_custom_field",
        json!({"entity_type": "leads", "name": "x", "type": "select"}),
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("`type`"), "{error}");
}

#[tokio::test]
async fn field_lists_are_read_page_by_page_through_links_next() {
    let target = Target::start().await;
    let mut last = 0;
    for i in 0..120 {
        last = target.emulator.add_custom_field(
            "leads",
            json!({"name": format!("Поле {i}"), "type": "text"}),
        );
    }
    let out = execute(
        &*target.connector(),
        "ensure_custom_field",
        json!({"entity_type": "leads", "name": "Поле 119"}),
    )
    .await
    .unwrap();
    assert_eq!(
        (out["field_id"].clone(), out["created"].clone()),
        (json!(last), json!(false))
    );
    let pages: Vec<_> = target
        .emulator
        .requests()
        .iter()
        .map(|r| r.query_param("page").map(str::to_string))
        .collect();
    assert_eq!(
        pages,
        vec![None, Some("2".to_string()), Some("3".to_string())]
    );
}

#[tokio::test]
async fn the_emulator_pages_lists_and_refuses_limits_over_250() {
    let target = Target::start().await;
    for i in 0..3 {
        target
            .emulator
            .add_contact(json!({"name": format!("Клиент {i}")}));
    }
    let client = reqwest::Client::new();
    let get = |query: &str| {
        client
            .get(format!(
                "{}/api/v4/contacts?{query}",
                target.emulator.base_url()
            ))
            .bearer_auth(super::TOKEN)
            .send()
    };
    let page: serde_json::Value = get("query=клиент&limit=2")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["_embedded"]["contacts"].as_array().unwrap().len(), 2);
    let next = page["_links"]["next"]["href"].as_str().unwrap();
    assert!(
        next.contains("page=2") && next.starts_with(&target.emulator.base_url()),
        "{next}"
    );
    let second: serde_json::Value = client
        .get(next)
        .bearer_auth(super::TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(second["_embedded"]["contacts"].as_array().unwrap().len(), 1);
    assert!(second["_links"].get("next").is_none());
    let response = get("limit=251").await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["validation-errors"][0]["errors"][0]["path"], "limit");
}
