//! Contacts and companies: the wire format of creates and updates, `query` lookups with
//! 204 as "nothing found", phone digits and e-mails confirmed on our side, duplicate
//! lookups, and updates that add phones and tags instead of replacing them.

use serde_json::{Value, json};

use super::{Target, execute, find, lines, writes};

#[tokio::test]
async fn create_contact_posts_an_array_with_phone_email_tags_and_custom_fields() {
    let target = Target::start().await;
    let position = target
        .emulator
        .custom_fields("contacts")
        .iter()
        .find(|f| f["code"] == "POSITION")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let visit = target
        .emulator
        .add_custom_field("contacts", json!({"name": "roistat visit", "type": "text"}));
    let out = execute(
        &*target.connector(),
        "create_contact",
        json!({"name": "Иван Петров", "first_name": "Иван", "phone": "+7 (999) 123-45-67",
               "email": "ivan@example.ru", "responsible_user_id": "5000002",
               "tags": "Ringostat Automation|звонок", "custom_fields": {
                   position.to_string(): "Директор", "roistat visit": "12345", "POSITION": null}}),
    )
    .await
    .unwrap();
    let requests = target.emulator.requests();
    // The field name was resolved through the field list (one GET), then one POST.
    assert_eq!(
        lines(&target.emulator),
        vec![
            "GET /api/v4/contacts/custom_fields?limit=50",
            "POST /api/v4/contacts"
        ]
    );
    let post = &requests[1];
    assert_eq!(
        post.header("authorization"),
        Some(format!("Bearer {}", super::TOKEN).as_str())
    );
    assert!(
        post.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(
        post.json().unwrap(),
        json!([{
            "name": "Иван Петров", "first_name": "Иван", "responsible_user_id": 5000002,
            "custom_fields_values": [
                {"field_code": "PHONE", "values": [{"value": "+7 (999) 123-45-67", "enum_code": "WORK"}]},
                {"field_code": "EMAIL", "values": [{"value": "ivan@example.ru", "enum_code": "WORK"}]},
                {"field_id": position, "values": [{"value": "Директор"}]},
                {"field_id": visit, "values": [{"value": "12345"}]},
            ],
            "_embedded": {"tags": [{"name": "Ringostat Automation"}, {"name": "звонок"}]},
        }])
    );
    let stored = &target.emulator.contacts()[0];
    assert_eq!(out["id"], stored["id"]);
    assert_eq!(
        stored["custom_fields_values"][0]["values"][0]["enum_code"],
        "WORK"
    );
    assert_eq!(stored["_embedded"]["tags"][1]["name"], "звонок");
    assert_eq!(stored["responsible_user_id"], 5000002);
}

#[tokio::test]
async fn an_unknown_custom_field_name_is_rejected_before_anything_is_sent() {
    let target = Target::start().await;
    let error = execute(
        &*target.connector(),
        "create_contact",
        json!({"name": "Иван", "custom_fields": {"utm_sourse": "ya"}}),
    )
    .await
    .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("`utm_sourse`") && text.contains("`Телефон`"),
        "{text}"
    );
    assert_eq!(error.advice(), crate::error::RetryAdvice::Never);
    assert!(writes(&target.emulator).is_empty());
}

#[tokio::test]
async fn nothing_found_is_a_204_and_found_false() {
    let target = Target::start().await;
    let connector = target.connector();
    // The emulator's answer itself: 204 and an empty body.
    let response = reqwest::Client::new()
        .get(format!(
            "{}/api/v4/contacts?query=nobody%40example.ru",
            target.emulator.base_url()
        ))
        .bearer_auth(super::TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    assert!(response.bytes().await.unwrap().is_empty());

    let out = execute(
        &*connector,
        "find_contact",
        json!({"phone": "89990000000", "email": "nobody@example.ru"}),
    )
    .await
    .unwrap();
    assert_eq!(out["found"], false);
    assert_eq!(out["id"], Value::Null);
    assert_eq!(out["lead_ids"], json!([]));
    assert!(
        find(
            &*connector,
            "create_contact",
            "phone",
            json!("+7 999 000-00-00")
        )
        .await
        .unwrap()
        .is_none()
    );
    assert!(
        find(
            &*connector,
            "create_contact",
            "email",
            json!("x@example.ru")
        )
        .await
        .unwrap()
        .is_none()
    );
    let searches = target.emulator.requests();
    assert_eq!(
        searches[1].query_param("query"),
        Some("9990000000"),
        "last 10 digits are searched"
    );
    assert_eq!(searches[1].query_param("with"), Some("leads"));
    assert_eq!(searches[2].query_param("query"), Some("nobody@example.ru"));
}

#[tokio::test]
async fn a_phone_hit_must_have_the_same_last_ten_digits() {
    let target = Target::start().await;
    // `query` matches both; only the second really has this number.
    target
        .emulator
        .add_contact_with("Заказ 9991234567", Some("+7 495 000-00-00"), None);
    target
        .emulator
        .add_contact_with("Номер длиннее", Some("+7 999 123-45-67 доб. 89"), None);
    let ivan = target.emulator.add_contact_with(
        "Иван",
        Some("8 (999) 123-45-67"),
        Some("Ivan@Example.ru"),
    );
    let lead = target
        .emulator
        .add_lead(json!({"name": "Сделка", "_embedded": {"contacts": [{"id": ivan}]}}));
    let connector = target.connector();
    let out = execute(
        &*connector,
        "find_contact",
        json!({"phone": "+79991234567"}),
    )
    .await
    .unwrap();
    assert_eq!(
        (out["found"].clone(), out["id"].clone()),
        (json!(true), json!(ivan))
    );
    assert_eq!(out["phone"], "8 (999) 123-45-67");
    assert_eq!(out["lead_ids"], json!([lead]));
    let by_email = execute(
        &*connector,
        "find_contact",
        json!({"email": "ivan@example.RU"}),
    )
    .await
    .unwrap();
    assert_eq!(by_email["id"], ivan);
    let dedup = find(&*connector, "create_contact", "phone", json!("79991234567"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dedup["id"], ivan);
    let too_short = execute(&*connector, "find_contact", json!({"phone": "12-3"}))
        .await
        .unwrap_err();
    assert!(
        too_short.to_string().contains("too few digits"),
        "{too_short}"
    );
}

#[tokio::test]
async fn update_contact_adds_phones_and_tags_instead_of_replacing_them() {
    let target = Target::start().await;
    let id = target
        .emulator
        .add_contact(json!({"name": "Иван", "custom_fields_values": [
        {"field_code": "PHONE", "values": [{"value": "+7 999 123-45-67", "enum_code": "MOB"}]}],
        "_embedded": {"tags": [{"name": "old"}]}}));
    let connector = target.connector();
    execute(&*connector, "update_contact", json!({"id": id, "phone": ["89991234567", "+7 916 000-11-22"], "tags": "old|new", "last_name": "Петров"}))
        .await
        .unwrap();
    assert_eq!(
        lines(&target.emulator),
        vec![
            format!("GET /api/v4/contacts/{id}"),
            format!("PATCH /api/v4/contacts/{id}")
        ]
    );
    let patch = target.emulator.requests()[1].json().unwrap();
    let kept = &patch["custom_fields_values"][0]["values"];
    assert_eq!(kept.as_array().unwrap().len(), 2, "{patch}");
    assert_eq!(kept[0]["value"], "+7 999 123-45-67");
    assert!(
        kept[0]["enum_id"].is_i64(),
        "the existing phone keeps its type: {patch}"
    );
    assert_eq!(
        kept[1],
        json!({"value": "+7 916 000-11-22", "enum_code": "WORK"})
    );
    assert_eq!(
        patch["_embedded"]["tags"],
        json!([{"name": "old"}, {"name": "new"}])
    );
    assert_eq!(patch["last_name"], "Петров");
    let stored = target.emulator.contact(id).unwrap();
    assert_eq!(
        stored["custom_fields_values"][0]["values"][0]["enum_code"],
        "MOB"
    );
    assert_eq!(
        stored["custom_fields_values"][0]["values"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Nothing new to add: no PATCH at all.
    target.emulator.log().clear();
    let out = execute(
        &*connector,
        "update_contact",
        json!({"id": id, "phone": "8 999 123 45 67", "tags": ["NEW"]}),
    )
    .await
    .unwrap();
    assert_eq!(out["id"], id);
    assert_eq!(
        lines(&target.emulator),
        vec![format!("GET /api/v4/contacts/{id}")]
    );

    let missing = execute(
        &*connector,
        "update_contact",
        json!({"id": 4242, "phone": "89990000000"}),
    )
    .await
    .unwrap_err();
    assert!(
        missing.to_string().contains("4242 does not exist"),
        "{missing}"
    );
}

#[tokio::test]
async fn companies_are_found_by_exact_name_and_created_with_dedup_lookups() {
    let target = Target::start().await;
    target.emulator.add_company(json!({"name": "Ромашка Плюс"}));
    let romashka = target.emulator.add_company(json!({"name": "Ромашка"}));
    let connector = target.connector();
    let out = execute(&*connector, "find_company", json!({"name": " ромашка "}))
        .await
        .unwrap();
    assert_eq!(out["id"], romashka);
    assert_eq!(
        find(&*connector, "create_company", "name", json!("РОМАШКА"))
            .await
            .unwrap()
            .unwrap()["id"],
        romashka
    );
    let created = execute(
        &*connector,
        "create_company",
        json!({"name": "Лютик", "phone": "+7 495 111-22-33", "tags": ["b2b"]}),
    )
    .await
    .unwrap();
    let post = writes(&target.emulator).pop().unwrap();
    assert_eq!(post.line(), "POST /api/v4/companies");
    assert_eq!(
        post.json().unwrap(),
        json!([{"name": "Лютик", "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+7 495 111-22-33", "enum_code": "WORK"}]}], "_embedded": {"tags": [{"name": "b2b"}]}}])
    );
    assert_eq!(created["id"], target.emulator.companies()[2]["id"]);
    let nameless = execute(&*connector, "create_company", json!({"phone": "123456"}))
        .await
        .unwrap_err();
    assert!(nameless.to_string().contains("`name`"), "{nameless}");
}
