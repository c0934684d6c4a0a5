//! End-to-end: the Calltouch ⇄ MoySklad order-status templates (S1.5, status flows) against the Calltouch and
//! MoySklad emulators, over several five-minute ticks with a manual clock (the MoySklad
//! clock frozen in step with it), asserting the exact records the emulators hold.

mod moysklad_world;
mod support;

use chrono::Duration as TimeDelta;
use moysklad_world::{
    CALL_TO_ORDER, COMPLETED_ID, Crms, ORDER_COMPLETED, ORDER_STATUS_UPDATE, REQUEST_TO_ORDER,
    STATUS_UPDATE_ID, call, counts, request, text, unsuccessful, world,
};
use serde_json::json;
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
