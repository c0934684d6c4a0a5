//! End-to-end: the Calltouch ⇄ MoySklad templates (S1.5) against the Calltouch and
//! MoySklad emulators, over several five-minute ticks with a manual clock (the MoySklad
//! clock frozen in step with it), asserting the exact records the emulators hold.

mod moysklad_world;
mod support;

use chrono::Duration as TimeDelta;
use moysklad_world::{
    CALL_TO_ORDER, COMPLETED_ID, Crms, ORDER_COMPLETED, ORDER_STATUS_UPDATE, REQUEST_TO_ORDER,
    STATUS_UPDATE_ID, agent_id, attributes, counts, text, unsuccessful, world,
};
use serde_json::{Value, json};

/// A call as the calls journal returns it (with the `withCallTags` flag).
fn call(id: i64, phone: &str, time: &str) -> Value {
    json!({
        "callId": id,
        "date": format!("14/05/2026 {time}"),
        "callerNumber": phone,
        "phoneNumber": "74951112233",
        "duration": 75,
        "successful": true,
        "source": "yandex",
        "medium": "cpc",
        "utmSource": "yandex",
        "utmMedium": "cpc",
        "utmCampaign": "spring",
        "utmContent": "banner-1",
        "utmTerm": "sofa",
        "clientId": format!("GA1.2.{id}"),
        "callTags": [
            {"category": "auto", "type": "tone", "names": ["press-1"]},
            {"category": "auto", "type": "number", "names": ["sales-line", "moscow"]},
        ],
    })
}

/// A form request as the requests journal returns it; `at` is Moscow `HH:MM:SS`.
fn request(id: i64, phone: Option<&str>, email: Option<&str>, at: &str) -> Value {
    let moscow =
        chrono::NaiveDateTime::parse_from_str(&format!("2026-05-14 {at}"), "%Y-%m-%d %H:%M:%S")
            .unwrap();
    let millis = (moscow - TimeDelta::hours(3)).and_utc().timestamp_millis();
    let phones: Vec<Value> = phone
        .map(|p| json!({"phoneNumber": p, "phoneType": "MOBILE"}))
        .into_iter()
        .collect();
    let contacts: Vec<Value> = email
        .map(|e| json!({"contactType": "email", "contactValue": e}))
        .into_iter()
        .collect();
    json!({
        "requestId": id,
        "requestNumber": format!("site-{id}"),
        "date": millis,
        "dateStr": format!("14/05/2026 {at}"),
        "subject": "Callback form",
        "session": {
            "sessionId": 7000 + id, "source": "google", "medium": "organic",
            "utmSource": "google", "utmMedium": "cpc", "utmCampaign": "summer",
            "utmContent": "ad-2", "utmTerm": "armchair",
        },
        "client": {"clientId": format!("GA1.2.r{id}"), "fio": "", "phones": phones, "contacts": contacts},
        "RequestTags": [{"category": "form", "type": "manual", "names": ["hot"]}],
    })
}

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

/// S1.5, order state and payment changes flow back: with all four templates running, a
/// new order's state, a new total and a payment update the deal through the status
/// bundle; reaching `Выполнен` closes the deal as COMPLETED through the completed bundle
/// only; an order that did not come from Calltouch touches no deal; nothing is sent
/// twice across ticks or an engine restart.
#[tokio::test]
async fn s1_5_order_changes_update_the_deal_and_completion_closes_it() {
    let crms = Crms::start().await;
    let world = world();
    let all = || {
        [
            CALL_TO_ORDER,
            REQUEST_TO_ORDER,
            ORDER_STATUS_UPDATE,
            ORDER_COMPLETED,
        ]
        .map(|b| crms.bundle(b))
        .to_vec()
    };
    // A client and an order from before, entered by hand: not Calltouch's.
    crms.sklad_time(&world, TimeDelta::minutes(-30));
    let walk_in = crms
        .sklad
        .add_counterparty(json!({"name": "Walk-in", "phone": "79169999999"}))
        .unwrap();
    let manual = crms
        .sklad
        .add_order(&text(&walk_in["id"]), Some("Новый"))
        .unwrap();
    let manual_id = text(&manual["id"]);

    // Tick 1 (10:00): two calls and a request become deals and orders (stamped 10:00).
    crms.sklad_time(&world, TimeDelta::zero());
    crms.calltouch
        .add_call(call(7801, "79160000021", "09:55:00"));
    crms.calltouch
        .add_call(call(7802, "79160000022", "09:56:00"));
    crms.calltouch
        .add_request(request(950, Some("79160000023"), None, "09:57:00"));
    let engine = world.engine(all()).await;
    let report = engine.tick().await.unwrap();
    assert_eq!(
        report.counts.succeeded,
        3,
        "{:#?}",
        unsuccessful(&engine).await
    );
    let order_of = |code: &str| text(&crms.order_by_code(code)["id"]);
    let (o7801, o7802, o950) = (order_of("7801"), order_of("7802"), order_of("request-950"));

    // Tick 2 (10:05): the status bundle sees the three new orders (state `Новый`) and
    // mirrors that state on their deals; the completed bundle filters them out.
    world.next_tick();
    crms.sklad_time(&world, TimeDelta::zero());
    let report = engine.tick().await.unwrap();
    assert_eq!(
        report.counts.succeeded,
        6,
        "{:#?}",
        unsuccessful(&engine).await
    );
    assert_eq!(counts(&engine, COMPLETED_ID).await.filtered, 3);

    // Between ticks, at 10:07, managers work in MoySklad: 7801 is confirmed with a total
    // of 15 000.50 rubles; 7802 is completed at 2 500 rubles and paid; the walk-in order
    // is confirmed too.
    crms.sklad_time(&world, TimeDelta::minutes(2));
    crms.sklad.set_order_state(&o7801, "Подтвержден").unwrap();
    crms.sklad.set_sum(&o7801, 1_500_050.0).unwrap();
    crms.sklad.set_sum(&o7802, 250_000.0).unwrap();
    crms.sklad.set_order_state(&o7802, "Выполнен").unwrap();
    crms.sklad.set_payed_sum(&o7802, 250_000.0).unwrap();
    crms.sklad
        .set_order_state(&manual_id, "Подтвержден")
        .unwrap();

    // Tick 3 (10:10).
    world.next_tick();
    let report = engine.tick().await.unwrap();
    assert_eq!(
        report.counts.failed,
        0,
        "{:#?}",
        unsuccessful(&engine).await
    );
    assert_eq!(
        report.counts.succeeded, 8,
        "one update for 7801, one completion for 7802"
    );

    // At 10:12 the customer of 7801 pays 5 000 rubles; then the engine restarts.
    crms.sklad_time(&world, TimeDelta::minutes(7));
    crms.sklad.set_payed_sum(&o7801, 500_000.0).unwrap();
    drop(engine);
    world.next_tick();
    let engine = world.engine(all()).await;
    let report = engine.tick().await.unwrap(); // 10:15
    assert_eq!(
        report.counts.failed,
        0,
        "{:#?}",
        unsuccessful(&engine).await
    );
    assert_eq!(
        report.counts.succeeded, 9,
        "only the payment is new after the restart"
    );

    // At 10:17 7801 is completed.
    crms.sklad_time(&world, TimeDelta::minutes(2));
    crms.sklad.set_order_state(&o7801, "Выполнен").unwrap();
    world.next_tick();
    let report = engine.tick().await.unwrap(); // 10:20
    assert_eq!(
        report.counts.succeeded,
        10,
        "{:#?}",
        unsuccessful(&engine).await
    );
    world.next_tick();
    let report = engine.tick().await.unwrap(); // 10:25: nothing changed
    assert_eq!(report.items_processed, 0);

    // Exactly these deal updates, in this order: (status, revenue). Each carries a status
    // date in the deals API's format (the time the change was picked up).
    for deal in crms.calltouch.deals() {
        for sent in &deal.updates {
            let date = text(&sent["statusDate"]);
            assert!(
                chrono::NaiveDateTime::parse_from_str(&date, "%d-%m-%Y %H:%M:%S").is_ok(),
                "{sent}"
            );
        }
    }
    let update = |status: &str, revenue: &str| (status.to_string(), revenue.to_string());
    assert_eq!(
        crms.deal_updates("7801"),
        [
            update("Новый", "0.00"),
            update("Подтвержден", "15000.50"),
            update("Подтвержден", "15000.50"),
            update("COMPLETED", "15000.50"),
        ]
    );
    assert_eq!(
        crms.deal_updates("7802"),
        [update("Новый", "0.00"), update("COMPLETED", "2500.00")]
    );
    assert_eq!(crms.deal_updates("request-950"), [update("Новый", "0.00")]);
    assert_eq!(
        crms.calltouch.deals().len(),
        3,
        "no deal for the walk-in order"
    );
    assert_eq!(crms.deal("7801").current["status"], "COMPLETED");

    // Which bundle did what: the status bundle never touched a completed order, the
    // completed bundle never an open one, and both left the walk-in order alone.
    let status = counts(&engine, STATUS_UPDATE_ID).await;
    assert_eq!(
        (status.succeeded, status.failed),
        (5, 0),
        "Новый ×3, confirmed, paid"
    );
    assert_eq!(
        status.filtered, 3,
        "7802 completed, 7801 completed, the walk-in order"
    );
    let completed = counts(&engine, COMPLETED_ID).await;
    assert_eq!(
        (completed.succeeded, completed.failed),
        (2, 0),
        "7802 and 7801 completed"
    );
    assert_eq!(
        completed.filtered, 6,
        "Новый ×3, 7801 confirmed, 7801 paid, the walk-in order"
    );

    // Nothing was written back to MoySklad by the status bundles.
    assert_eq!(
        crms.sklad_calls("PUT", &format!("/entity/customerorder/{o950}")),
        0
    );
    assert_eq!(crms.sklad.order_state_name(&o950).as_deref(), Some("Новый"));
}

/// S1.5, the completed-order copy on its own: only orders from Calltouch that reach
/// `Выполнен` close their deal as COMPLETED with the order total (kopecks → rubles); a
/// later payment or a corrected total on a completed order is sent again, once; open
/// orders and orders entered by hand are filtered out; a restart resends nothing.
#[tokio::test]
async fn s1_5_order_completed_closes_only_calltouch_deals() {
    let crms = Crms::start().await;
    let world = world();
    let bundles = || {
        [CALL_TO_ORDER, ORDER_COMPLETED]
            .map(|b| crms.bundle(b))
            .to_vec()
    };

    crms.sklad_time(&world, TimeDelta::zero());
    crms.calltouch
        .add_call(call(7901, "79160000031", "09:58:00"));
    crms.calltouch
        .add_call(call(7902, "79160000032", "09:59:00"));
    let engine = world.engine(bundles()).await;
    let report = engine.tick().await.unwrap();
    assert_eq!(
        report.counts.succeeded,
        2,
        "{:#?}",
        unsuccessful(&engine).await
    );
    let o7901 = text(&crms.order_by_code("7901")["id"]);

    // 10:03: 7901 is completed at 9 900 rubles; an order entered by hand for a walk-in
    // client is created and completed as well.
    crms.sklad_time(&world, TimeDelta::minutes(3));
    crms.sklad.set_sum(&o7901, 990_000.0).unwrap();
    crms.sklad.set_order_state(&o7901, "Выполнен").unwrap();
    let walk_in = crms
        .sklad
        .add_counterparty(json!({"name": "Walk-in", "phone": "79169999998"}))
        .unwrap();
    let manual = crms
        .sklad
        .add_order(&text(&walk_in["id"]), Some("Новый"))
        .unwrap();
    crms.sklad
        .set_order_state(&text(&manual["id"]), "Выполнен")
        .unwrap();

    world.next_tick(); // 10:05
    let report = engine.tick().await.unwrap();
    assert_eq!(
        report.counts.failed,
        0,
        "{:#?}",
        unsuccessful(&engine).await
    );
    let completed = counts(&engine, COMPLETED_ID).await;
    assert_eq!(
        (completed.succeeded, completed.filtered),
        (1, 2),
        "7901 closed; 7902 open, walk-in by hand"
    );
    assert_eq!(
        crms.deal_updates("7901"),
        [("COMPLETED".to_string(), "9900.00".to_string())]
    );

    // 10:08: the completed order is paid; 10:11 its total is corrected.
    crms.sklad_time(&world, TimeDelta::minutes(3));
    crms.sklad.set_payed_sum(&o7901, 990_000.0).unwrap();
    world.next_tick(); // 10:10
    engine.tick().await.unwrap();
    crms.sklad_time(&world, TimeDelta::minutes(1));
    crms.sklad.set_sum(&o7901, 985_025.0).unwrap();
    drop(engine);

    world.next_tick(); // 10:15, after a restart
    let engine = world.engine(bundles()).await;
    engine.tick().await.unwrap();
    world.next_tick(); // 10:20: nothing changed
    let report = engine.tick().await.unwrap();
    assert_eq!(report.items_processed, 0);

    let completed = counts(&engine, COMPLETED_ID).await;
    assert_eq!(
        (completed.succeeded, completed.failed, completed.filtered),
        (3, 0, 2)
    );
    let update = |revenue: &str| ("COMPLETED".to_string(), revenue.to_string());
    assert_eq!(
        crms.deal_updates("7901"),
        [update("9900.00"), update("9900.00"), update("9850.25")]
    );
    assert!(
        crms.deal_updates("7902").is_empty(),
        "an open order is left alone"
    );
    assert_eq!(
        crms.calltouch.deals().len(),
        2,
        "no deal appears for the walk-in order"
    );
}
