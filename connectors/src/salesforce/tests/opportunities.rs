//! A contact's opportunity through its contact roles (open first, closed when asked),
//! creating one with the contact as primary role, duplicate search that ignores closed
//! opportunities (S2.3 "create new"), and reopening with the stage checked first
//! (S2.3 "reopen").

use serde_json::json;

use super::{DATA, Target, execute, find, queries, writes};
use crate::error::ConnectorError;

async fn contact(target: &Target) -> String {
    target.emulator.seed(
        "Contact",
        json!({"LastName": "Client", "Phone": "+380501234567"}),
    )
}

#[tokio::test]
async fn an_opportunity_is_created_with_the_contact_as_primary_role() {
    let target = Target::start().await;
    let connector = target.connector();
    let contact = contact(&target).await;
    let out = execute(
        &*connector,
        "create_opportunity",
        json!({"name": "Call 380501234567", "stage_name": "Prospecting",
               "close_date": "2024-06-14T12:00:00+03:00", "amount": "1 200", "contact_id": contact}),
    )
    .await
    .unwrap();
    let id = out["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("006"));
    assert_eq!(out["close_date"], "2024-06-14");
    let sent = writes(&target.emulator);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].line(), format!("POST {DATA}/sobjects/Opportunity/"));
    assert_eq!(
        sent[0].json().unwrap(),
        json!({"Name": "Call 380501234567", "StageName": "Prospecting", "CloseDate": "2024-06-14", "Amount": 1200.0})
    );
    assert_eq!(
        sent[1].line(),
        format!("POST {DATA}/sobjects/OpportunityContactRole/")
    );
    assert_eq!(
        sent[1].json().unwrap(),
        json!({"OpportunityId": id, "ContactId": contact, "IsPrimary": true})
    );
    let stored = target.emulator.record(&id).unwrap();
    assert_eq!(
        (stored["IsClosed"].as_bool(), stored["IsWon"].as_bool()),
        (Some(false), Some(false))
    );
    let error = execute(
        &*connector,
        "create_opportunity",
        json!({"name": "N", "stage_name": "Imaginary", "close_date": "2024-06-14"}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "rejected (HTTP 400): INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: StageName: bad value for restricted picklist field: Imaginary (fields: StageName)"
    );
}

#[tokio::test]
async fn the_open_opportunity_wins_and_closed_ones_are_found_when_asked() {
    let target = Target::start().await;
    let connector = target.connector();
    let contact = contact(&target).await;
    let open = target
        .emulator
        .seed_opportunity(&contact, "Open one", "Qualification");
    let won = target
        .emulator
        .seed_opportunity(&contact, "Newer, won", "Closed Won");
    let other = target
        .emulator
        .seed("Contact", json!({"LastName": "Other"}));
    target
        .emulator
        .seed_opportunity(&other, "Not this contact's", "Prospecting");

    let out = execute(
        &*connector,
        "find_opportunity",
        json!({"contact_id": contact}),
    )
    .await
    .unwrap();
    assert_eq!(
        (out["found"].as_bool(), out["id"].as_str()),
        (Some(true), Some(open.as_str()))
    );
    assert_eq!(out["is_closed"], false);
    assert_eq!(out["stage_name"], "Qualification");
    let soql = queries(&target.emulator);
    assert_eq!(
        soql[0],
        format!(
            "SELECT OpportunityId FROM OpportunityContactRole WHERE ContactId = '{contact}' ORDER BY CreatedDate DESC LIMIT 200"
        )
    );
    assert!(soql[1].starts_with("SELECT Id, Name, StageName, IsClosed, IsWon, CloseDate, Amount, OwnerId, AccountId, CreatedDate FROM Opportunity WHERE Id IN ("), "{}", soql[1]);

    let out = execute(
        &*connector,
        "find_opportunity",
        json!({"contact_id": contact, "state": "closed"}),
    )
    .await
    .unwrap();
    assert_eq!(out["id"], won.as_str());
    assert_eq!(
        (out["is_closed"].as_bool(), out["is_won"].as_bool()),
        (Some(true), Some(true))
    );

    target.emulator.set_stage(&open, "Closed Lost");
    let out = execute(
        &*connector,
        "find_opportunity",
        json!({"contact_id": contact}),
    )
    .await
    .unwrap();
    assert_eq!(
        out["id"],
        won.as_str(),
        "no open one left: the newest closed one"
    );
    let out = execute(
        &*connector,
        "find_opportunity",
        json!({"contact_id": contact, "state": "open"}),
    )
    .await
    .unwrap();
    assert_eq!(out["found"], false);
    assert!(out["id"].is_null());

    let nobody = target
        .emulator
        .seed("Contact", json!({"LastName": "Nobody"}));
    let out = execute(
        &*connector,
        "find_opportunity",
        json!({"contact_id": nobody}),
    )
    .await
    .unwrap();
    assert_eq!(out["found"], false);
}

#[tokio::test]
async fn duplicate_search_by_contact_ignores_closed_opportunities() {
    let target = Target::start().await;
    let connector = target.connector();
    let contact = contact(&target).await;
    let closed = target
        .emulator
        .seed_opportunity(&contact, "Lost deal", "Closed Lost");
    assert!(
        find(
            &*connector,
            "create_opportunity",
            "contact_id",
            json!(contact)
        )
        .await
        .unwrap()
        .is_none()
    );
    let open = target
        .emulator
        .seed_opportunity(&contact, "Open deal", "Prospecting");
    let found = find(
        &*connector,
        "create_opportunity",
        "contact_id",
        json!(contact),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(found["id"], open.as_str());
    assert_ne!(found["id"], closed.as_str());
    let error = find(
        &*connector,
        "create_opportunity",
        "contact_id",
        json!("nope"),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, ConnectorError::Config(_)), "{error:?}");
}

#[tokio::test]
async fn reopening_sets_an_open_stage_checked_against_the_org() {
    let target = Target::start().await;
    let connector = target.connector();
    let contact = contact(&target).await;
    let id = target
        .emulator
        .seed_opportunity(&contact, "Lost", "Closed Lost");
    let out = execute(
        &*connector,
        "reopen_opportunity",
        json!({"id": id, "stage_name": "needs analysis", "close_date": "2024-07-31"}),
    )
    .await
    .unwrap();
    assert_eq!(out["was_closed"], true);
    assert_eq!(out["stage_name"], "Needs Analysis");
    let patch = writes(&target.emulator).pop().unwrap();
    assert_eq!(
        patch.line(),
        format!("PATCH {DATA}/sobjects/Opportunity/{id}")
    );
    assert_eq!(
        patch.json().unwrap(),
        json!({"StageName": "Needs Analysis", "CloseDate": "2024-07-31"})
    );
    let stored = target.emulator.record(&id).unwrap();
    assert_eq!(
        (stored["IsClosed"].as_bool(), stored["CloseDate"].as_str()),
        (Some(false), Some("2024-07-31"))
    );

    // Already open: left as it is, nothing written; stages are read once per connection.
    let out = execute(
        &*connector,
        "reopen_opportunity",
        json!({"id": id, "stage_name": "Prospecting"}),
    )
    .await
    .unwrap();
    assert_eq!(
        (out["was_closed"].as_bool(), out["stage_name"].as_str()),
        (Some(false), Some("Needs Analysis"))
    );
    assert_eq!(writes(&target.emulator).len(), 1);
    let stage_reads = queries(&target.emulator)
        .iter()
        .filter(|q| q.contains("FROM OpportunityStage"))
        .count();
    assert_eq!(stage_reads, 1);

    for (stage, says) in [
        ("Closed Won", "is a closed stage"),
        ("Imaginary", "not an active stage"),
    ] {
        let error = execute(
            &*connector,
            "reopen_opportunity",
            json!({"id": id, "stage_name": stage}),
        )
        .await
        .unwrap_err();
        assert!(matches!(error, ConnectorError::Config(_)), "{error:?}");
        assert!(error.to_string().contains(says), "{error}");
    }
    let error = execute(
        &*connector,
        "reopen_opportunity",
        json!({"id": "006000000000000AAA", "stage_name": "Prospecting"}),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, ConnectorError::Rejected { status: 404, .. }),
        "{error:?}"
    );
}
