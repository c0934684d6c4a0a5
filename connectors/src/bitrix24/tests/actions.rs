//! Each action's wire format read back from the request log, and what the portal made of
//! it; duplicate search in both "nothing found" shapes; stage semantics of a contact's deal.

use serde_json::json;

use super::{CODE, Target, body, execute};
use crate::bitrix24::emulator::{Bitrix24EmulatorConfig, EmptyDuplicates};
use crate::error::ConnectorError;
use crate::test_kit;

#[tokio::test]
async fn create_lead_posts_the_documented_fields() {
    let target = Target::start().await;
    let out = execute(
        &*target.connector(),
        "create_lead",
        json!({"title": "Звонок с сайта", "name": "Иван", "last_name": "Петров",
               "phone": "+7 916 123-45-67", "email": ["ivan@example.ru"], "source_id": "CALL",
               "status_id": null, "assigned_by_id": 7, "opportunity": "1500,5", "currency_id": "RUB",
               "comments": "Заявка", "utm_source": "yandex", "utm_medium": "cpc", "utm_campaign": "spring",
               "utm_content": "ad1", "utm_term": "окна", "fields": {"UF_CRM_CALL_ID": "call-42"}}),
    )
    .await
    .unwrap();
    assert_eq!(out["id"], json!(1));
    let calls = target.calls("crm.lead.add");
    assert_eq!(calls.len(), 1);
    let request = &calls[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, format!("/rest/1/{CODE}/crm.lead.add.json"));
    assert!(
        request
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(
        body(request),
        json!({"fields": {"TITLE": "Звонок с сайта", "NAME": "Иван", "LAST_NAME": "Петров",
                          "PHONE": [{"VALUE": "+7 916 123-45-67", "VALUE_TYPE": "WORK"}],
                          "EMAIL": [{"VALUE": "ivan@example.ru", "VALUE_TYPE": "WORK"}],
                          "SOURCE_ID": "CALL", "ASSIGNED_BY_ID": 7, "OPPORTUNITY": 1500.5,
                          "CURRENCY_ID": "RUB", "COMMENTS": "Заявка", "UTM_SOURCE": "yandex",
                          "UTM_MEDIUM": "cpc", "UTM_CAMPAIGN": "spring", "UTM_CONTENT": "ad1",
                          "UTM_TERM": "окна", "UF_CRM_CALL_ID": "call-42"},
               "params": {"REGISTER_SONET_EVENT": "Y"}})
    );
    let lead = target.emulator.lead(1).unwrap();
    assert_eq!(lead["STATUS_ID"], "NEW");
    assert_eq!(lead["OPPORTUNITY"], "1500.50");
    assert_eq!(lead["ASSIGNED_BY_ID"], "7");
    assert_eq!(lead["UF_CRM_CALL_ID"], "call-42");
    assert_eq!(lead["PHONE"][0]["VALUE"], "+7 916 123-45-67");
}

#[tokio::test]
async fn bad_inputs_are_refused_before_anything_is_sent() {
    let target = Target::start().await;
    let connector = target.connector();
    for (action, input, names) in [
        ("create_lead", json!({"name": "no title"}), "`title`"),
        (
            "create_deal",
            json!({"title": "x", "contact_id": "abc"}),
            "`contact_id`",
        ),
        (
            "create_deal",
            json!({"title": "x", "fields": {"stage_id": "NEW"}}),
            "stage_id",
        ),
        ("update_deal", json!({"id": 5}), "nothing to change"),
        ("find_duplicates", json!({}), "`email`"),
        (
            "find_duplicates",
            json!({"phone": "1", "entity_type": "DEAL"}),
            "`entity_type`",
        ),
    ] {
        let error = execute(&*connector, action, input).await.unwrap_err();
        assert!(
            matches!(error, ConnectorError::Config(_)),
            "{action}: {error:?}"
        );
        assert!(error.to_string().contains(names), "{action}: {error}");
    }
    assert!(target.emulator.requests().is_empty());
}

#[tokio::test]
async fn contacts_are_created_updated_and_found_by_phone_or_email() {
    let target = Target::start().await;
    let connector = target.connector();
    let created = execute(
        &*connector,
        "create_contact",
        json!({"name": "Анна", "phone": "79161234567", "lead_id": "3"}),
    )
    .await
    .unwrap();
    let id = created["id"].as_u64().unwrap();
    assert_eq!(
        body(&target.calls("crm.contact.add")[0])["fields"]["LEAD_ID"],
        3
    );
    execute(
        &*connector,
        "update_contact",
        json!({"id": id, "email": "anna@example.ru"}),
    )
    .await
    .unwrap();
    assert_eq!(
        body(&target.calls("crm.contact.update")[0]),
        json!({"id": id, "fields": {"EMAIL": [{"VALUE": "anna@example.ru", "VALUE_TYPE": "WORK"}]}})
    );
    let contact = target.emulator.contact(id).unwrap();
    assert_eq!(
        contact["PHONE"][0]["VALUE"], "79161234567",
        "the update kept the phone"
    );
    assert_eq!(contact["EMAIL"][0]["VALUE"], "anna@example.ru");

    let find = |key: &'static str, value: serde_json::Value| {
        let connector = connector.clone();
        async move {
            test_kit::find(connector.as_ref(), "create_contact", key, value.clone())
                .await
                .unwrap()
        }
    };
    assert_eq!(
        find("phone", json!("+7 (916) 123-45-67")).await.unwrap()["id"],
        json!(id)
    );
    assert_eq!(
        find("email", json!("ANNA@example.ru")).await.unwrap()["id"],
        json!(id)
    );
    assert!(find("phone", json!("+7 000 000-00-00")).await.is_none());
    let searches = target.calls("crm.duplicate.findbycomm");
    assert_eq!(
        body(&searches[0]),
        json!({"type": "PHONE", "values": ["+7 (916) 123-45-67"], "entity_type": "CONTACT"})
    );
    assert_eq!(body(&searches[1])["type"], "EMAIL");
    // A lead lookup searches leads only: the contact is not a lead.
    let lead = test_kit::find(
        connector.as_ref(),
        "create_lead",
        "phone",
        json!("79161234567"),
    )
    .await
    .unwrap();
    assert!(lead.is_none());
}

#[tokio::test]
async fn find_duplicates_reads_both_empty_shapes_and_real_matches() {
    for shape in [EmptyDuplicates::Array, EmptyDuplicates::Object] {
        let target = Target::start_with(Bitrix24EmulatorConfig {
            empty_duplicates: shape,
            ..Default::default()
        })
        .await;
        let connector = target.connector();
        let out = execute(
            &*connector,
            "find_duplicates",
            json!({"phone": "79160000000", "email": "x@y.ru"}),
        )
        .await
        .unwrap();
        assert_eq!(
            serde_json::Value::Object(out),
            json!({"contact_id": null, "lead_id": null, "company_id": null, "found": false}),
            "{shape:?}"
        );
        assert_eq!(target.calls("crm.duplicate.findbycomm").len(), 2);
    }
    let target = Target::start().await;
    let lead = target
        .emulator
        .add_lead(json!({"TITLE": "a", "EMAIL": [{"VALUE": "ivan@example.ru"}]}));
    let first = target
        .emulator
        .add_contact(json!({"NAME": "a", "PHONE": [{"VALUE": "+7 916 555-44-33"}]}));
    target
        .emulator
        .add_contact(json!({"NAME": "b", "PHONE": [{"VALUE": "79165554433"}]}));
    let out = execute(
        &*target.connector(),
        "find_duplicates",
        json!({"phone": "79165554433", "email": "ivan@example.ru"}),
    )
    .await
    .unwrap();
    assert_eq!(
        serde_json::Value::Object(out),
        json!({"contact_id": first, "lead_id": lead, "company_id": null, "found": true})
    );
    let searches = target.calls("crm.duplicate.findbycomm");
    assert_eq!(
        body(&searches[0]),
        json!({"type": "PHONE", "values": ["79165554433"]})
    );
}

#[tokio::test]
async fn deals_go_to_the_chosen_pipeline_and_stage() {
    let target = Target::start().await;
    let connector = target.connector();
    let contact = target.emulator.add_contact(json!({"NAME": "Олег"}));
    let out = execute(
        &*connector,
        "create_deal",
        json!({"title": "Успешный звонок", "category_id": 1, "stage_id": "C1:PREPARATION",
               "contact_id": contact, "opportunity": 2000, "source_id": "CALL", "utm_source": "google",
               "fields": {"UF_CRM_DURATION": 95}}),
    )
    .await
    .unwrap();
    let id = out["id"].as_u64().unwrap();
    assert_eq!(
        body(&target.calls("crm.deal.add")[0]),
        json!({"fields": {"TITLE": "Успешный звонок", "CATEGORY_ID": 1, "STAGE_ID": "C1:PREPARATION",
                          "CONTACT_IDS": [contact], "OPPORTUNITY": 2000.0, "SOURCE_ID": "CALL",
                          "UTM_SOURCE": "google", "UF_CRM_DURATION": 95},
               "params": {"REGISTER_SONET_EVENT": "Y"}})
    );
    let deal = target.emulator.deal(id).unwrap();
    assert_eq!(
        (
            &deal["CATEGORY_ID"],
            &deal["STAGE_ID"],
            &deal["STAGE_SEMANTIC_ID"],
            &deal["CLOSED"],
            &deal["CONTACT_ID"]
        ),
        (
            &json!("1"),
            &json!("C1:PREPARATION"),
            &json!("P"),
            &json!("N"),
            &json!(contact.to_string())
        )
    );
    // A stage of another pipeline is the portal's error, quoted.
    let error = execute(
        &*connector,
        "create_deal",
        json!({"title": "x", "category_id": 1, "stage_id": "WON"}),
    )
    .await
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("Stage 'WON' does not belong to pipeline 1"),
        "{error}"
    );
    // Moving the deal on.
    execute(
        &*connector,
        "update_deal",
        json!({"id": id, "stage_id": "C1:WON", "opportunity": "2500"}),
    )
    .await
    .unwrap();
    assert_eq!(
        body(&target.calls("crm.deal.update")[0]),
        json!({"id": id, "fields": {"STAGE_ID": "C1:WON", "OPPORTUNITY": 2500.0}})
    );
    let deal = target.emulator.deal(id).unwrap();
    assert_eq!(
        (&deal["STAGE_SEMANTIC_ID"], &deal["CLOSED"]),
        (&json!("S"), &json!("Y"))
    );
}

#[tokio::test]
async fn find_contact_deal_reports_the_newest_deal_and_its_semantics() {
    let target = Target::start().await;
    let connector = target.connector();
    let contact = target.emulator.add_contact(json!({"NAME": "Ирина"}));
    let other = target.emulator.add_contact(json!({"NAME": "Чужой"}));
    let find = |input: serde_json::Value| {
        let connector = connector.clone();
        async move {
            execute(&*connector, "find_contact_deal", input)
                .await
                .unwrap()
        }
    };
    let none = find(json!({"contact_id": contact})).await;
    assert_eq!(none["found"], false);
    assert!(none["deal_id"].is_null() && none["closed"].is_null());

    let old = target.emulator.add_contact_deal(contact, 0, "WON");
    let newest = target.emulator.add_contact_deal(contact, 0, "NEW");
    target.emulator.add_contact_deal(other, 0, "NEW");
    let pipeline_one = target.emulator.add_contact_deal(contact, 1, "C1:APOLOGY");
    let open = find(json!({"contact_id": contact, "category_id": 0})).await;
    assert_eq!(
        serde_json::Value::Object(open),
        json!({"deal_id": newest, "stage_id": "NEW", "category_id": 0, "closed": false, "semantics": "open", "found": true})
    );
    let request = target.calls("crm.deal.list").pop().unwrap();
    assert_eq!(
        body(&request),
        json!({"filter": {"CONTACT_ID": contact, "CATEGORY_ID": 0}, "order": {"ID": "DESC"},
               "select": ["ID", "STAGE_ID", "STAGE_SEMANTIC_ID", "CLOSED", "CATEGORY_ID"], "start": 0})
    );
    // Without a pipeline the newest of all is reported: "analysing failure" is lost.
    let lost = find(json!({"contact_id": contact})).await;
    assert_eq!(
        (&lost["deal_id"], &lost["semantics"], &lost["closed"]),
        (&json!(pipeline_one), &json!("lost"), &json!(true))
    );
    target.emulator.set_deal_stage(newest, "WON");
    let won = find(json!({"contact_id": contact, "category_id": "0"})).await;
    assert_eq!(
        (&won["deal_id"], &won["semantics"], &won["closed"]),
        (&json!(newest), &json!("won"), &json!(true))
    );
    target.emulator.set_deal_stage(newest, "LOSE");
    let lost = find(json!({"contact_id": contact, "category_id": 0})).await;
    assert_eq!(lost["semantics"], "lost");
    let _ = old;
}

#[tokio::test]
async fn lists_page_by_fifty_with_total_and_next() {
    let target = Target::start().await;
    for i in 0..120 {
        target
            .emulator
            .add_deal(json!({"TITLE": format!("d{i}"), "UF_CRM_X": "u"}));
    }
    let client = reqwest::Client::new();
    let page = |start: i64| {
        let url = format!(
            "{}crm.deal.list?start={start}&order[ID]=ASC&select[]=ID&select[]=TITLE",
            target.emulator.webhook_url()
        );
        let client = client.clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let first = page(0).await;
    assert_eq!(
        (
            first["result"].as_array().unwrap().len(),
            &first["next"],
            &first["total"]
        ),
        (50, &json!(50), &json!(120))
    );
    assert_eq!(
        first["result"][0],
        json!({"ID": "1", "TITLE": "d0"}),
        "only the selected fields"
    );
    let last = page(100).await;
    assert_eq!(last["result"].as_array().unwrap().len(), 20);
    assert!(last.get("next").is_none());
    assert_eq!(last["result"][19]["ID"], "120");
    let uncounted = page(-1).await;
    assert!(uncounted.get("total").is_none() && uncounted.get("next").is_none());
    // Filters with prefix operators, custom fields with UF_*.
    let url = format!("{}crm.deal.list.json", target.emulator.webhook_url());
    let filtered: serde_json::Value = client
        .post(url)
        .json(&json!({"filter": {">ID": 117, "!STAGE_ID": "WON"}, "select": ["UF_*"], "order": {"ID": "DESC"}}))
        .send().await.unwrap().json().await.unwrap();
    assert_eq!(
        filtered["result"],
        json!([{"ID": "120", "UF_CRM_X": "u"}, {"ID": "119", "UF_CRM_X": "u"}, {"ID": "118", "UF_CRM_X": "u"}])
    );
    assert_eq!(filtered["total"], 3);
}
