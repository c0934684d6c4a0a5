//! Leads and contacts by phone and e-mail: any stored formatting is found by the digits,
//! near misses are dropped, e-mail is case-insensitive and quoted safely, converted leads
//! report their contact, and duplicate search goes through the same path.

use serde_json::json;

use super::{Target, execute, find, lead, queries};

#[tokio::test]
async fn a_phone_is_found_whatever_formatting_salesforce_stored() {
    let target = Target::start().await;
    let connector = target.connector();
    let stored = target
        .emulator
        .seed("Lead", lead("Ivanov", "+7 (999) 123-45-67"));
    // Same last seven digits, another area code: must not be taken for the same number.
    target
        .emulator
        .seed("Lead", lead("Petrov", "+7 (495) 123-45-67"));
    for searched in ["79991234567", "8 999 123 45 67", "+7-999-1234567"] {
        let out = execute(&*connector, "find_lead", json!({"phone": searched}))
            .await
            .unwrap();
        assert_eq!(out["found"], true, "{searched}");
        assert_eq!(out["id"], stored.as_str(), "{searched}");
        assert_eq!(out["phone"], "+7 (999) 123-45-67");
        assert_eq!(out["matched_by"], "phone");
        assert_eq!(out["is_converted"], false);
    }
    assert_eq!(
        queries(&target.emulator)[0],
        "SELECT Id, Name, FirstName, LastName, Company, Phone, MobilePhone, Email, Status, OwnerId, IsConverted, ConvertedContactId, ConvertedAccountId, ConvertedOpportunityId, CreatedDate FROM Lead WHERE Phone LIKE '%1%2%3%4%5%6%7' OR MobilePhone LIKE '%1%2%3%4%5%6%7' ORDER BY CreatedDate DESC LIMIT 200"
    );
}

#[tokio::test]
async fn mobile_phones_count_and_the_newest_contact_wins() {
    let target = Target::start().await;
    let connector = target.connector();
    target.emulator.seed(
        "Contact",
        json!({"LastName": "Old", "MobilePhone": "380501234567"}),
    );
    let newer = target.emulator.seed(
        "Contact",
        json!({"LastName": "New", "Phone": "+380 (50) 123-45-67"}),
    );
    let out = execute(&*connector, "find_contact", json!({"phone": "0501234567"}))
        .await
        .unwrap();
    assert_eq!(out["id"], newer.as_str());
    assert_eq!(out["last_name"], "New");
}

#[tokio::test]
async fn the_email_is_searched_when_the_phone_finds_nothing() {
    let target = Target::start().await;
    let connector = target.connector();
    let id = target.emulator.seed(
        "Contact",
        json!({"LastName": "O'Brien", "Email": "O'Brien@Example.com", "Phone": "111-2222"}),
    );
    let out = execute(
        &*connector,
        "find_contact",
        json!({"phone": "+1 555 999 0000", "email": "o'brien@example.com"}),
    )
    .await
    .unwrap();
    assert_eq!(out["id"], id.as_str());
    assert_eq!(out["matched_by"], "email");
    let soql = queries(&target.emulator);
    assert_eq!(soql.len(), 2, "phone first, then e-mail: {soql:?}");
    assert!(
        soql[1].contains(r"WHERE Email = 'o\'brien@example.com'"),
        "{}",
        soql[1]
    );
}

#[tokio::test]
async fn nothing_found_answers_found_false_with_null_fields() {
    let target = Target::start().await;
    let connector = target.connector();
    let out = execute(
        &*connector,
        "find_lead",
        json!({"phone": "12345678", "email": "x@y.z"}),
    )
    .await
    .unwrap();
    assert_eq!(out["found"], false);
    assert!(
        out["id"].is_null() && out["converted_contact_id"].is_null() && out["matched_by"].is_null()
    );
    // Too short to search: no query is sent for it.
    let out = execute(&*connector, "find_lead", json!({"phone": "123"}))
        .await
        .unwrap();
    assert_eq!(out["found"], false);
    assert_eq!(queries(&target.emulator).len(), 2);
    let error = execute(&*connector, "find_lead", json!({}))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("`phone` and/or `email`"),
        "{error}"
    );
}

#[tokio::test]
async fn a_converted_lead_reports_its_contact_and_an_unconverted_one_wins() {
    let target = Target::start().await;
    let connector = target.connector();
    let old = target
        .emulator
        .seed("Lead", lead("Koval", "+380 44 333 44 55"));
    let converted = target.emulator.convert_lead(&old, true);
    let out = execute(&*connector, "find_lead", json!({"phone": "380443334455"}))
        .await
        .unwrap();
    assert_eq!(out["id"], old.as_str());
    assert_eq!(out["is_converted"], true);
    assert_eq!(out["status"], "Closed - Converted");
    assert_eq!(out["converted_contact_id"], converted.contact_id.as_str());
    assert_eq!(out["converted_account_id"], converted.account_id.as_str());
    assert_eq!(
        out["converted_opportunity_id"],
        converted.opportunity_id.as_deref().unwrap()
    );
    // S2.2 "create a new lead": once one exists, calls land on it, not the converted one.
    let fresh = target.emulator.seed("Lead", lead("Koval", "0443334455"));
    let out = execute(&*connector, "find_lead", json!({"phone": "380443334455"}))
        .await
        .unwrap();
    assert_eq!(out["id"], fresh.as_str());
    assert_eq!(out["is_converted"], false);
    // The conversion made a contact that is found by the same phone.
    let out = execute(
        &*connector,
        "find_contact",
        json!({"phone": "380443334455"}),
    )
    .await
    .unwrap();
    assert_eq!(out["id"], converted.contact_id.as_str());
    assert_eq!(out["account_id"], converted.account_id.as_str());
}

#[tokio::test]
async fn duplicate_search_of_creates_uses_the_same_lookups() {
    let target = Target::start().await;
    let connector = target.connector();
    let id = target.emulator.seed(
        "Lead",
        json!({"LastName": "A", "Company": "B", "Email": "a@b.ua"}),
    );
    let found = find(&*connector, "create_lead", "email", json!("A@B.UA"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found["id"], id.as_str());
    assert_eq!(found["found"], true);
    assert!(
        find(
            &*connector,
            "create_contact",
            "phone",
            json!("380501112233")
        )
        .await
        .unwrap()
        .is_none()
    );
    assert!(
        find(&*connector, "create_lead", "phone", json!(""))
            .await
            .unwrap()
            .is_none()
    );
    let error = find(&*connector, "create_lead", "company", json!("B"))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("no lookup by `company`"),
        "{error}"
    );
}

/// S2.2: the duplicate search of `create_lead` skips converted leads (they cannot be
/// changed and their person is a contact now), so "converted → create a new lead" gets a
/// new lead, and later calls reuse that one; `find_lead` still reports the converted one.
#[tokio::test]
async fn a_converted_lead_is_no_duplicate_of_a_new_lead() {
    let target = Target::start().await;
    let connector = target.connector();
    let old = target
        .emulator
        .seed("Lead", lead("Koval", "+380 44 333 44 55"));
    target.emulator.convert_lead(&old, false);
    assert!(
        find(&*connector, "create_lead", "phone", json!("380443334455"))
            .await
            .unwrap()
            .is_none(),
        "a converted lead is not a duplicate"
    );
    let out = execute(&*connector, "find_lead", json!({"phone": "380443334455"}))
        .await
        .unwrap();
    assert_eq!(
        (out["id"].clone(), out["is_converted"].clone()),
        (json!(old), json!(true))
    );
    let fresh = target.emulator.seed("Lead", lead("Koval", "0443334455"));
    let found = find(&*connector, "create_lead", "phone", json!("380443334455"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found["id"], fresh.as_str());
    assert_eq!(found["is_converted"], false);
    assert_eq!(found["matched_by"], "phone");
    // Contacts are never converted: the conversion's contact is a duplicate as usual.
    assert!(
        find(
            &*connector,
            "create_contact",
            "phone",
            json!("380443334455")
        )
        .await
        .unwrap()
        .is_some()
    );
}

#[tokio::test]
async fn many_candidates_are_read_across_query_pages() {
    let mut config = crate::salesforce::SalesforceEmulatorConfig::with_token(super::TOKEN);
    config.batch_size = 2;
    let target = Target::with(config).await;
    let connector = target.connector();
    // Five leads share the last seven digits; only the oldest has the searched number.
    let wanted = target
        .emulator
        .seed("Lead", lead("Wanted", "+1 (212) 555-0100"));
    for area in ["213", "214", "215", "216"] {
        target
            .emulator
            .seed("Lead", lead("Other", &format!("+1 ({area}) 555-0100")));
    }
    let out = execute(&*connector, "find_lead", json!({"phone": "12125550100"}))
        .await
        .unwrap();
    assert_eq!(out["id"], wanted.as_str());
    let pages: Vec<String> = target
        .emulator
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/services/data/v60.0/query/"))
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(pages.len(), 2, "5 candidates in batches of 2: {pages:?}");
    assert!(
        pages[0].ends_with("-2") && pages[1].ends_with("-4"),
        "{pages:?}"
    );
}
