//! End-to-end: the Calltouch ⇄ MoySklad templates (S1.5) against the Calltouch and
//! MoySklad emulators, over several five-minute ticks with a manual clock (the MoySklad
//! clock frozen in step with it), asserting the exact records the emulators hold.

mod moysklad_world;
mod support;

use chrono::Duration as TimeDelta;
use moysklad_world::{
    CALL_TO_ORDER, Crms, REQUEST_TO_ORDER, agent_id, attributes, call, request, text, unsuccessful,
    world,
};
use serde_json::{Value, json};
/// S1.5, call → deal + counterparty + customer order: one deal and one order per call,
/// one counterparty per phone whatever its spelling (an existing one is reused),
/// orders carrying the deal's number, state `Новый` and the call's attributes; nothing is
/// processed twice across ticks or an engine restart.
#[tokio::test]
async fn s1_5_call_to_order_one_counterparty_per_phone_over_ticks_and_a_restart() {
    let crms = Crms::start().await;
    let world = world();
    crms.sklad_time(&world, TimeDelta::zero());
    let existing = crms
        .sklad
        .add_counterparty(json!({"name": "Анна", "phone": "+79160000003"}))
        .unwrap();
    let existing_id = text(&existing["id"]);

    crms.calltouch
        .add_call(call(7701, "+7 (916) 000-00-01", "09:51:00"));
    crms.calltouch
        .add_call(call(7702, "79160000002", "09:52:00"));
    crms.calltouch
        .add_call(call(7703, "79160000002", "09:53:00"));

    let engine = world.engine(vec![crms.bundle(CALL_TO_ORDER)]).await;
    let report = engine.tick().await.unwrap();
    assert_eq!(report.bundles[0].poll.items_new, 3);
    assert_eq!(
        report.counts.succeeded,
        3,
        "{:#?}",
        unsuccessful(&engine).await
    );

    // Tick 2: 01 calls again, spelt another way, and the pre-existing client calls. (Two
    // calls from one phone within a tick, like 7702 and 7703, are run one after the
    // other, so the second finds the counterparty the first created.)
    world.next_tick();
    crms.sklad_time(&world, TimeDelta::zero());
    crms.calltouch
        .add_call(call(7704, "89160000001", "10:02:00"));
    crms.calltouch
        .add_call(call(7705, "8 916 000 00 03", "10:03:00"));
    let report = engine.tick().await.unwrap();
    assert_eq!(
        report.bundles[0].poll.items_new, 2,
        "only the new calls are queued"
    );
    assert_eq!(
        report.counts.succeeded,
        5,
        "{:#?}",
        unsuccessful(&engine).await
    );
    drop(engine);

    // Restart: a new engine on the same store finds nothing new.
    world.next_tick();
    let engine = world.engine(vec![crms.bundle(CALL_TO_ORDER)]).await;
    let report = engine.tick().await.unwrap();
    assert_eq!(
        report.bundles[0].poll.items_seen, 5,
        "the day is read again"
    );
    assert_eq!(report.bundles[0].poll.items_new, 0);
    assert_eq!(report.items_processed, 0);

    // (a) One Calltouch deal per call: number = call id, bound to the call, budget 0,
    // PENDING, dated with the call (Moscow time, the deals API's format).
    let mut numbers: Vec<String> = crms
        .calltouch
        .deals()
        .iter()
        .map(|d| d.order_number.clone())
        .collect();
    numbers.sort();
    assert_eq!(numbers, ["7701", "7702", "7703", "7704", "7705"]);
    let deal = crms.deal("7701").created;
    assert_eq!(
        deal["matching"],
        json!([{"type": "call", "callParams": {"callId": 7701}}])
    );
    assert_eq!(deal["status"], "PENDING");
    assert_eq!(deal["revenue"], "0.00");
    assert_eq!(deal["orderDate"], "14-05-2026 09:51:00");
    assert_eq!(
        crms.deal("7705").created["orderDate"],
        "14-05-2026 10:03:00"
    );

    // (b) One counterparty per phone: 01 (two spellings) and 02 created once, 03 reused.
    let counterparties = crms.sklad.counterparties();
    assert_eq!(counterparties.len(), 3, "{counterparties:#?}");
    assert_eq!(crms.sklad_calls("POST", "/entity/counterparty"), 2);
    let created: Vec<(String, String)> = counterparties
        .iter()
        .filter(|c| c["id"] != existing_id.as_str())
        .map(|c| (text(&c["name"]), text(&c["phone"])))
        .collect();
    assert_eq!(
        created,
        [
            (
                "Calltouch caller +7 (916) 000-00-01".to_string(),
                "79160000001".to_string()
            ),
            (
                "Calltouch caller 79160000002".to_string(),
                "79160000002".to_string()
            ),
        ]
    );

    // (c) One order per call, for the counterparty with the caller's phone, in state
    // `Новый`, issued by the configured organization, with the call's attributes.
    assert_eq!(crms.sklad.orders().len(), 5);
    assert_eq!(crms.sklad_calls("POST", "/entity/customerorder"), 5);
    let expected_agent = [
        (7701, "79160000001"),
        (7702, "79160000002"),
        (7703, "79160000002"),
        (7704, "79160000001"),
        (7705, "+79160000003"),
    ];
    for (call_id, phone) in expected_agent {
        let order = crms.order_by_code(&call_id.to_string());
        let id = text(&order["id"]);
        let agent = crms.counterparty(&agent_id(&order));
        assert_eq!(agent["phone"], phone, "order of call {call_id}");
        assert_eq!(crms.sklad.order_state_name(&id).as_deref(), Some("Новый"));
        assert!(
            text(&order["organization"]["meta"]["href"]).ends_with(&crms.sklad.organization_id())
        );
        let expected = json!({
            "source": "yandex", "medium": "cpc",
            "utm_source": "yandex", "utm_medium": "cpc", "utm_campaign": "spring",
            "utm_content": "banner-1", "utm_term": "sofa",
            "gclid": format!("GA1.2.{call_id}"),
            "tags": "press-1|sales-line|moscow",
        });
        assert_eq!(
            Value::Object(attributes(&order)),
            expected,
            "order of call {call_id}"
        );
    }
    assert_eq!(
        crms.order_by_code("7701")["description"],
        "Order from Calltouch call, number +7 (916) 000-00-01"
    );
    assert_eq!(
        agent_id(&crms.order_by_code("7705")),
        existing_id,
        "the existing client got the order"
    );
}

/// S1.5, form request → deal + counterparty + customer order: the counterparty is found
/// by phone first, then by e-mail (ignoring case); a request with neither match gets a
/// new one. Deals are numbered `request-<id>` and bound to the request.
#[tokio::test]
async fn s1_5_request_to_order_counterparty_by_phone_then_email() {
    let crms = Crms::start().await;
    let world = world();
    crms.sklad_time(&world, TimeDelta::zero());
    let olga = crms
        .sklad
        .add_counterparty(json!({"name": "Ольга", "email": "olga@example.ru"}))
        .unwrap();
    let olga_id = text(&olga["id"]);

    crms.calltouch.add_request(request(
        901,
        Some("+7 916 000-00-11"),
        Some("a@example.ru"),
        "09:41:00",
    ));
    crms.calltouch
        .add_request(request(902, None, Some(" OLGA@Example.ru "), "09:42:00"));
    crms.calltouch.add_request(request(
        903,
        Some("79160000011"),
        Some("b@example.ru"),
        "09:43:00",
    ));

    let engine = world.engine(vec![crms.bundle(REQUEST_TO_ORDER)]).await;
    let report = engine.tick().await.unwrap();
    assert_eq!(report.bundles[0].poll.items_new, 3);
    assert_eq!(
        report.counts.succeeded,
        3,
        "{:#?}",
        unsuccessful(&engine).await
    );

    // Tick 2: a new phone with a known e-mail, and a new phone without e-mail.
    world.next_tick();
    crms.sklad_time(&world, TimeDelta::zero());
    crms.calltouch.add_request(request(
        904,
        Some("79160000012"),
        Some("A@example.ru"),
        "10:01:00",
    ));
    let mut petr = request(905, Some("79160000013"), None, "10:02:00");
    petr["client"]["fio"] = json!("Пётр Иванов");
    crms.calltouch.add_request(petr);
    let report = engine.tick().await.unwrap();
    assert_eq!(
        report.bundles[0].poll.items_new, 2,
        "only the new requests are queued"
    );
    assert_eq!(
        report.counts.succeeded,
        5,
        "{:#?}",
        unsuccessful(&engine).await
    );
    drop(engine);

    world.next_tick();
    let engine = world.engine(vec![crms.bundle(REQUEST_TO_ORDER)]).await;
    let report = engine.tick().await.unwrap();
    assert_eq!(report.bundles[0].poll.items_seen, 5);
    assert_eq!(report.bundles[0].poll.items_new, 0);
    assert_eq!(report.items_processed, 0);

    // Deals: one per request, bound to it, PENDING, dated with the request.
    let mut numbers: Vec<String> = crms
        .calltouch
        .deals()
        .iter()
        .map(|d| d.order_number.clone())
        .collect();
    numbers.sort();
    assert_eq!(
        numbers,
        [
            "request-901",
            "request-902",
            "request-903",
            "request-904",
            "request-905"
        ]
    );
    let deal = crms.deal("request-904").created;
    assert_eq!(
        deal["matching"],
        json!([{"type": "request", "requestParams": {"requestId": 904}}])
    );
    assert_eq!(deal["status"], "PENDING");
    assert_eq!(deal["revenue"], "0.00");
    assert_eq!(deal["orderDate"], "14-05-2026 10:01:00");

    // Counterparties: Olga (reused by e-mail), A (phone 11, created by 901), and the one
    // for phone 13 (905). 903 found A by phone, 904 found A by e-mail.
    let counterparties = crms.sklad.counterparties();
    assert_eq!(counterparties.len(), 3, "{counterparties:#?}");
    assert_eq!(crms.sklad_calls("POST", "/entity/counterparty"), 2);
    let a = crms.counterparty(&agent_id(&crms.order_by_code("request-901")));
    assert_eq!(
        (text(&a["name"]), text(&a["phone"]), text(&a["email"])),
        (
            "+7 916 000-00-11".to_string(),
            "79160000011".to_string(),
            "a@example.ru".to_string()
        )
    );
    let expected_agent = [
        ("request-901", text(&a["id"])),
        ("request-902", olga_id.clone()),
        ("request-903", text(&a["id"])),
        ("request-904", text(&a["id"])),
    ];
    for (code, agent) in &expected_agent {
        assert_eq!(
            &agent_id(&crms.order_by_code(code)),
            agent,
            "agent of {code}"
        );
    }
    let b = crms.counterparty(&agent_id(&crms.order_by_code("request-905")));
    assert_eq!(
        (text(&b["name"]), text(&b["phone"]), b.get("email")),
        ("Пётр Иванов".to_string(), "79160000013".to_string(), None),
        "named after the form's fio"
    );
    assert_ne!(text(&b["id"]), text(&a["id"]));

    // Orders: one per request, `Новый`, with the session's source and UTM attributes.
    assert_eq!(crms.sklad.orders().len(), 5);
    for id in 901..=905 {
        let code = format!("request-{id}");
        let order = crms.order_by_code(&code);
        assert_eq!(
            crms.sklad.order_state_name(&text(&order["id"])).as_deref(),
            Some("Новый")
        );
        let expected = json!({
            "source": "google", "medium": "organic",
            "utm_source": "google", "utm_medium": "cpc", "utm_campaign": "summer",
            "utm_content": "ad-2", "utm_term": "armchair",
            "gclid": format!("GA1.2.r{id}"), "tags": "hot",
        });
        assert_eq!(Value::Object(attributes(&order)), expected, "order {code}");
    }
    assert_eq!(
        crms.order_by_code("request-901")["description"],
        "Order from Calltouch request, phone and e-mail: +7 916 000-00-11 a@example.ru"
    );
    assert_eq!(
        crms.order_by_code("request-902")["description"],
        "Order from Calltouch request, phone and e-mail: OLGA@Example.ru"
    );
}
