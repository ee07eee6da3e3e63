//! Browser tests through the JS API (`wasm-pack test --headless --chrome`): the values that cross
//! the boundary, the errors thrown, and a whole shopper's day.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Reflect, JSON};
use siyu::wasm::{validate_program, Mall};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const PROGRAM: &str = include_str!("../programs/health-food.json");
/// 2026-11-25 10:00 in China time, a Wednesday (member day in the demo program).
const WEDNESDAY: f64 = 1_795_572_000_000.0;

fn obj(json: &str) -> JsValue {
    JSON::parse(json).expect("test JSON")
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).expect("property")
}

fn num(v: &JsValue, key: &str) -> f64 {
    get(v, key).as_f64().unwrap_or_else(|| panic!("{key} is not a number"))
}

fn text(v: &JsValue, key: &str) -> String {
    get(v, key).as_string().unwrap_or_else(|| panic!("{key} is not a string"))
}

fn mall() -> Mall {
    Mall::new(PROGRAM.into(), obj(&format!(r#"{{"memberId":"m1","clientId":"c1","now":{WEDNESDAY}}}"#))).expect("mall")
}

/// The error thrown by a failing call: a real Error with a code.
fn error_of(result: Result<JsValue, JsValue>) -> (js_sys::Error, String) {
    let thrown = result.expect_err("should throw");
    let code = text(&thrown, "code");
    (thrown.dyn_into::<js_sys::Error>().expect("a real Error object"), code)
}

#[wasm_bindgen_test]
fn a_program_object_and_json_text_are_both_accepted() {
    let from_text = validate_program(PROGRAM.into()).expect("valid text");
    let from_object = validate_program(obj(PROGRAM)).expect("valid object");
    assert_eq!(JSON::stringify(&from_text).unwrap(), JSON::stringify(&from_object).unwrap());
    let catalog: Array = get(&from_text, "catalog").dyn_into().unwrap();
    assert_eq!(catalog.length(), 20);
}

#[wasm_bindgen_test]
fn a_bad_program_throws_invalid_program_with_its_json_path() {
    let mut program: serde_json::Value = serde_json::from_str(PROGRAM).unwrap();
    program["couponTemplates"][2]["kind"]["bp"] = 20_000.into();
    let (error, code) = error_of(validate_program(program.to_string().into()));
    assert_eq!(code, "INVALID_PROGRAM");
    assert_eq!(error.name(), "SiyuError");
    let message: String = error.message().into();
    assert!(message.contains("couponTemplates[2].kind.bp: must be 1..=10000"), "{message}");
    let details: JsValue = error.into();
    assert_eq!(text(&get(&details, "details"), "path"), "couponTemplates[2].kind.bp");
}

#[wasm_bindgen_test]
fn types_cross_the_boundary_as_documented() {
    let mut mall = mall();
    let receipt = mall.check_in(Some(WEDNESDAY.into())).expect("check in");
    assert_eq!(num(&receipt, "mutationId"), 1.0);
    let effects: Array = get(&receipt, "effects").dyn_into().unwrap();
    let checked = effects.get(0);
    assert_eq!(text(&checked, "type"), "checkedIn");
    assert_eq!(text(&get(&checked, "checkIn"), "day"), "2026-11-25");
    // Base 5 + member-day bonus 10.
    assert_eq!(num(&get(&effects.get(1), "lot"), "points"), 15.0);
    let points = mall.points(Some(WEDNESDAY.into())).unwrap();
    assert_eq!(num(&points, "balance"), 15.0);
    let status = mall.member_day(Some(WEDNESDAY.into())).unwrap();
    assert_eq!(get(&status, "today").as_bool(), Some(true));
    assert_eq!(text(&status, "next"), "2026-12-02");
    let calendar = mall.calendar(2026.into(), 11.into(), Some(WEDNESDAY.into())).unwrap();
    let days: Array = get(&calendar, "days").dyn_into().unwrap();
    assert_eq!(days.length(), 30);
    assert_eq!(text(&days.get(24), "status"), "checked");
    // The member joined today: yesterday was never theirs to miss.
    assert_eq!(text(&days.get(23), "status"), "beforeJoining");
    assert_eq!(text(&days.get(25), "status"), "future");
    let tier = mall.tier(Some(WEDNESDAY.into())).unwrap();
    assert_eq!(text(&tier, "tier"), "silver");
    assert_eq!(text(&tier, "nextTier"), "gold");
    assert!(get(&tier, "keep").is_null());
    let pending: Array = mall.pending().unwrap().dyn_into().unwrap();
    assert_eq!(text(&pending.get(0), "name"), "checkIn");
}

#[wasm_bindgen_test]
fn errors_are_real_error_objects_with_codes_and_details() {
    let mut mall = mall();
    mall.check_in(Some(WEDNESDAY.into())).unwrap();
    let (error, code) = error_of(mall.check_in(Some((WEDNESDAY + 3_600_000.0).into())));
    assert_eq!(code, "ALREADY_CHECKED_IN");
    let error: JsValue = error.into();
    assert_eq!(text(&get(&error, "details"), "day"), "2026-11-25");
    let (_, code) = error_of(mall.claim_coupon("nope".into(), Some(WEDNESDAY.into())));
    assert_eq!(code, "UNKNOWN_TEMPLATE");
    let (_, code) = error_of(mall.redeem_reward("shaker".into(), Some(WEDNESDAY.into())));
    assert_eq!(code, "INSUFFICIENT_POINTS");
    let (error, code) = error_of(mall.quote(obj(r#"{"lines":[{"sku":"almond-250","qty":"two"}]}"#), Some(WEDNESDAY.into())).map(JsValue::from));
    assert_eq!(code, "INVALID_INPUT");
    let message: String = error.message().into();
    assert!(message.contains("lines[0].qty"), "{message}");
    let (_, code) = error_of(mall.make_up_check_in_for_test("2026-02-30"));
    assert_eq!(code, "INVALID_INPUT");
    // Nothing rejected was queued.
    assert_eq!(mall.pending_count(), 1);
}

trait MakeupForTest {
    fn make_up_check_in_for_test(&mut self, day: &str) -> Result<JsValue, JsValue>;
}
impl MakeupForTest for Mall {
    fn make_up_check_in_for_test(&mut self, day: &str) -> Result<JsValue, JsValue> {
        self.makeup_check_in(day.into(), Some(WEDNESDAY.into()))
    }
}

#[wasm_bindgen_test]
fn a_shoppers_day() {
    let mut mall = mall();
    let t = WEDNESDAY;
    mall.check_in(Some(t.into())).unwrap();
    mall.claim_coupon("full-300-50".into(), Some(t.into())).unwrap();
    mall.claim_coupon("memberday-15".into(), Some(t.into())).unwrap();
    mall.claim_coupon("free-ship".into(), Some(t.into())).unwrap();
    let wallet = mall.wallet(Some(t.into())).unwrap();
    assert_eq!(Array::from(&get(&wallet, "available")).length(), 3);

    // Protein ¥299 + 2 × almonds ¥39.90 = ¥378.80 list; member day takes 2 % (silver); the best
    // single order coupon is 满300减50; shipping is free over ¥99.
    let cart = obj(r#"{"lines":[{"sku":"protein-1kg","qty":1},{"sku":"almond-250","qty":2}]}"#);
    let quote = mall.quote(cart.clone(), Some(t.into())).unwrap();
    assert_eq!(quote.list_total(), 37_880.0);
    assert_eq!(quote.member_day_discount(), 757.0);
    assert_eq!(quote.coupon_discount(), 5_000.0);
    assert_eq!(quote.shipping(), 0.0);
    assert_eq!(quote.total(), 32_123.0);
    let lines: Array = quote.lines().unwrap().dyn_into().unwrap();
    let adjustments: Array = get(&lines.get(0), "adjustments").dyn_into().unwrap();
    assert_eq!(text(&adjustments.get(0), "kind"), "memberDay");
    assert_eq!(text(&adjustments.get(1), "kind"), "coupon");
    let coupon_ids = quote.coupon_ids().unwrap();

    // The coupons a cheap cart cannot use say why, with the 凑单 hint.
    let small = mall.cart_coupons(obj(r#"[{"sku":"oats-1kg","qty":1}]"#), Some(t.into())).unwrap();
    let unusable: Array = get(&small, "unusable").dyn_into().unwrap();
    let full = unusable.iter().find(|u| text(u, "template") == "full-300-50").expect("满300减50 listed");
    assert_eq!(text(&full, "reason"), "BELOW_MIN_SPEND");
    assert_eq!(num(&full, "missing"), 30_000.0 - (3_290.0 - 65.0));

    // Ordering at the price seen succeeds; at a stale price it is refused with the new quote.
    let stale = obj(&format!(
        r#"{{"orderId":"o-1","lines":[{{"sku":"protein-1kg","qty":1}},{{"sku":"almond-250","qty":2}}],"coupons":{},"expectedTotal":30000}}"#,
        JSON::stringify(&coupon_ids).unwrap().as_string().unwrap()
    ));
    let (error, code) = error_of(mall.place_order(stale, Some(t.into())));
    assert_eq!(code, "PRICE_CHANGED");
    let error: JsValue = error.into();
    assert_eq!(num(&get(&get(&error, "details"), "quote"), "total"), 32_123.0);
    let order = obj(&format!(
        r#"{{"orderId":"o-1","lines":[{{"sku":"protein-1kg","qty":1}},{{"sku":"almond-250","qty":2}}],"coupons":{},"expectedTotal":32123}}"#,
        JSON::stringify(&coupon_ids).unwrap().as_string().unwrap()
    ));
    mall.place_order(order, Some(t.into())).unwrap();
    // Awaiting payment: 321.23 yuan × 1 point/yuan × 2 on member day = 642 points to earn once the
    // store confirms the payment; until then only the check-in's 15, and no first-order gift.
    let orders: Array = mall.orders(Some((t + 5.0 * 60_000.0).into())).unwrap().dyn_into().unwrap();
    assert_eq!(text(&orders.get(0), "status"), "awaitingPayment");
    assert_eq!(num(&orders.get(0), "pointsEarned"), 642.0);
    assert_eq!(num(&orders.get(0), "payMsLeft"), 10.0 * 60_000.0);
    assert_eq!(get(&orders.get(0), "cancellable"), JsValue::TRUE);
    assert_eq!(num(&mall.points(Some(t.into())).unwrap(), "balance"), 15.0);
    let state = mall.state().unwrap();
    let coupons: Array = get(&state, "coupons").dyn_into().unwrap();
    assert!(!coupons.iter().any(|c| text(&c, "source") == "firstOrder"), "no gift before payment");
    let wallet = mall.wallet(Some(t.into())).unwrap();
    let used: Array = get(&wallet, "used").dyn_into().unwrap();
    assert_eq!(text(&used.get(0), "status"), "locked", "the order awaiting payment locks its coupon");
    assert_eq!(mall.pending_count(), 5);

    // A snapshot restores the same member with the same queue (replayed at the given `now`, as
    // the server will decide them when they arrive).
    let snapshot = mall.snapshot().unwrap();
    let options = obj(&format!(r#"{{"memberId":"m1","clientId":"c1","now":{t}}}"#));
    Reflect::set(&options, &"snapshot".into(), &snapshot).unwrap();
    let restored = Mall::new(PROGRAM.into(), options).unwrap();
    assert_eq!(restored.pending_count(), 5);
    assert_eq!(num(&restored.points(Some(t.into())).unwrap(), "balance"), 15.0);
    // Refunds are for paid orders: this one awaits payment.
    let mut restored = restored;
    let (_, code) = error_of(restored.refund_order("o-1".into(), Some(t.into())));
    assert_eq!(code, "ORDER_NOT_PAID");
    let body = restored.push_request().unwrap();
    assert_eq!(num(&body, "protocol"), 2.0);
    assert_eq!(Array::from(&get(&body, "mutations")).length(), 5);
}

#[wasm_bindgen_test]
fn wrong_arguments_throw_invalid_input_naming_the_argument() {
    let mut mall = mall();
    let named = |r: Result<JsValue, JsValue>| {
        let (error, code) = error_of(r);
        let error: JsValue = error.into();
        (code, text(&get(&error, "details"), "path"))
    };
    assert_eq!(named(mall.claim_coupon(5.into(), None)), ("INVALID_INPUT".into(), "template".into()));
    assert_eq!(named(mall.refund_order(obj("{}"), None)), ("INVALID_INPUT".into(), "orderId".into()));
    assert_eq!(named(mall.set_birthday(1225.into(), None)), ("INVALID_INPUT".into(), "birthday".into()));
    assert_eq!(named(mall.makeup_check_in(20261125.into(), None)), ("INVALID_INPUT".into(), "day".into()));
    assert_eq!(named(mall.wallet(Some("tomorrow".into()))), ("INVALID_INPUT".into(), "now".into()));
    assert_eq!(named(mall.wallet(Some(f64::NAN.into()))), ("INVALID_INPUT".into(), "now".into()));
    // Seconds for milliseconds.
    assert_eq!(named(mall.streak(Some((WEDNESDAY / 1000.0).into()))), ("INVALID_INPUT".into(), "now".into()));
    assert_eq!(named(mall.ledger((-1.0).into(), 20.0.into())), ("INVALID_INPUT".into(), "offset".into()));
    let (_, code) = error_of(mall.quote(obj(r#"{"lines":[{"sku":"almond-250","qty":1}],"points":-100}"#), None).map(JsValue::from));
    assert_eq!(code, "INVALID_INPUT");
    // A Date is an instant.
    let date: JsValue = js_sys::Date::new(&WEDNESDAY.into()).into();
    assert_eq!(num(&mall.streak(Some(date)).unwrap(), "todaysReward"), num(&mall.streak(Some(WEDNESDAY.into())).unwrap(), "todaysReward"));
    assert_eq!(mall.pending_count(), 0);
}

#[wasm_bindgen_test]
fn a_claim_returns_its_coupon_and_cart_coupons_take_the_quote_request() {
    let mut mall = mall();
    let receipt = mall.claim_coupon("free-ship".into(), Some(WEDNESDAY.into())).unwrap();
    let coupon = get(&receipt, "coupon");
    assert_eq!(text(&coupon, "template"), "free-ship");
    assert_eq!(text(&coupon, "id"), "c1-1-0");
    let request = obj(r#"{"lines":[{"sku":"oats-1kg","qty":1}]}"#);
    let from_request = mall.cart_coupons(request, Some(WEDNESDAY.into())).unwrap();
    let from_lines = mall.cart_coupons(obj(r#"[{"sku":"oats-1kg","qty":1}]"#), Some(WEDNESDAY.into())).unwrap();
    assert_eq!(JSON::stringify(&from_request).unwrap(), JSON::stringify(&from_lines).unwrap());
    let usable: Array = get(&from_request, "usable").dyn_into().unwrap();
    assert_eq!(text(&usable.get(0), "id"), "c1-1-0", "the quote's `usable` and this one list coupons alike");
}
