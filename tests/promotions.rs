//! Worked examples of rulebook §13 (promotions) and of §7's steps, best selection and hints with
//! them, on the test program of `tests/common` (a silver member on Thursday 3 Dec 2026: list
//! prices, no member day). docs/rules.md §13 restates the same examples with the same numbers.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;

use common::*;
use serde_json::{json, Value};
use siyu::apply::{Effect, Mutation};
use siyu::program::Program;
use siyu::quote::{AdjustmentKind, CouponChoice, CouponMode, PointsChoice, PromotionStatus, Quote, UnusableReason};
use siyu::promotions::ThresholdBy;
use siyu::stock::Counter;

/// Thursday 3 Dec 2026, 10:00 China time: not a member day.
fn thu() -> i64 {
    at(2026, 12, 3, 10, 0)
}

/// A promotion running through December.
fn promo(id: &str, name: &str, rule: Value) -> Value {
    json!({ "id": id, "name": name, "validity": { "from": at(2026, 12, 1, 0, 0), "to": at(2027, 1, 1, 0, 0) }, "rule": rule })
}

fn with_promotions(promotions: Vec<Value>, change: impl FnOnce(&mut Value)) -> Program {
    program_with(|v| {
        v["promotions"] = Value::Array(promotions);
        change(v);
    })
}

fn member(promotions: Vec<Value>) -> Member {
    Member::new(with_promotions(promotions, |_| {}), at(2026, 11, 1, 10, 0))
}

fn best() -> CouponChoice {
    CouponChoice::Mode(CouponMode::Best)
}

fn none() -> CouponChoice {
    CouponChoice::Mode(CouponMode::None)
}

fn no_points() -> PointsChoice {
    PointsChoice::Amount(0)
}

fn status(q: &Quote, id: &str) -> PromotionStatus {
    q.promotions.iter().find(|p| p.id == id).unwrap_or_else(|| panic!("{id} in the quote")).status
}

/// (source, amount) of every promotion adjustment of line `i`.
fn promo_shares(q: &Quote, i: usize) -> Vec<(String, i64)> {
    q.lines[i].adjustments.iter().filter(|a| a.kind == AdjustmentKind::Promotion).map(|a| (a.source.clone(), a.amount)).collect()
}

/// Every line's steps add up to what it pays, and the lines to the goods after coupons.
fn assert_adds_up(q: &Quote) {
    for l in &q.lines {
        let taken: i64 = l.adjustments.iter().filter(|a| !matches!(a.kind, AdjustmentKind::MemberPrice | AdjustmentKind::SalePrice)).map(|a| a.amount).sum();
        assert_eq!(l.amount - taken, l.paid, "line {}", l.sku);
    }
    assert_eq!(q.lines.iter().map(|l| l.paid).sum::<i64>(), q.paid);
    assert_eq!(q.goods - q.member_day_discount - q.promotion_discount - q.coupon_discount, q.goods_after_coupons);
    assert_eq!(q.savings.iter().map(|s| s.amount).sum::<i64>(), q.saved);
}

fn half_price_tea() -> Value {
    let mut p = promo("half", "第二件半价", json!({ "type": "nth", "n": 2, "offBp": 5000 }));
    p["scope"] = json!({ "skus": ["tea"] });
    p
}

#[test]
fn s13_second_unit_half_price_over_2_3_and_4_units() {
    let m = member(vec![half_price_tea()]);
    // Tea is ¥100: 2 units → one pair, ¥50 off; 3 → still one pair, and one unit short of the next;
    // 4 → two pairs.
    let q2 = m.quote(&[("tea", 2)], none(), no_points(), thu());
    assert_eq!((q2.promotion_discount, q2.goods_after_coupons), (5000, 15000));
    let q3 = m.quote(&[("tea", 3)], none(), no_points(), thu());
    assert_eq!((q3.promotion_discount, q3.goods_after_coupons), (5000, 25000));
    let next = q3.promotions[0].next.as_ref().expect("a hint");
    assert_eq!((next.by, next.missing, next.off_bp), (ThresholdBy::Units, 1, Some(5000)));
    let q4 = m.quote(&[("tea", 4)], none(), no_points(), thu());
    assert_eq!((q4.promotion_discount, q4.goods_after_coupons), (10000, 30000));
    assert!(q4.promotions[0].next.is_none());
    // One unit: not reached, 1 more to buy.
    let q1 = m.quote(&[("tea", 1)], none(), no_points(), thu());
    assert_eq!((status(&q1, "half"), q1.promotions[0].next.as_ref().map(|n| n.missing)), (PromotionStatus::NotReached, Some(1)));
    for q in [&q1, &q2, &q3, &q4] {
        assert_adds_up(q);
    }
    assert_eq!(promo_shares(&q4, 0), vec![("half".to_string(), 10000)]);
}

#[test]
fn s13_buy_two_get_one_free_with_mixed_prices_frees_the_cheapest_of_each_three() {
    let mut p = promo("b2g1", "买二送一", json!({ "type": "nth", "n": 3, "offBp": 10000 }));
    p["scope"] = json!({ "categories": ["snack"] });
    let m = member(vec![p]);
    // Nuts ¥50 ×2 and a cookie ¥30: dearest first 50, 50, 30 → the cookie is free.
    let q = m.quote(&[("nuts", 2), ("cookie", 1)], none(), no_points(), thu());
    assert_eq!(q.promotion_discount, 3000);
    assert_eq!((promo_shares(&q, 0), promo_shares(&q, 1)), (vec![], vec![("b2g1".to_string(), 3000)]));
    // Nuts ×4 and cookies ×2 (50 50 50 50 30 30): blocks (50 50 50) (50 30 30) → one nut and one
    // cookie free.
    let q = m.quote(&[("cookie", 2), ("nuts", 4)], none(), no_points(), thu());
    assert_eq!(q.promotion_discount, 8000);
    assert_eq!((promo_shares(&q, 0), promo_shares(&q, 1)), (vec![("b2g1".to_string(), 3000)], vec![("b2g1".to_string(), 5000)]));
    assert_adds_up(&q);
}

#[test]
fn s13_n_units_m_off_and_each_unit_takes_one_item_promotion() {
    let mut three = promo("3for9", "3件9折", json!({ "type": "minQty", "qty": 3, "offBp": 1000 }));
    three["scope"] = json!({ "categories": ["snack", "tea"] });
    let m = member(vec![half_price_tea(), three]);
    // Tea ×2 takes 第二件半价 first (program order); nuts ×3 then make 3 units for 9折: 500 each.
    let q = m.quote(&[("tea", 2), ("nuts", 3)], none(), no_points(), thu());
    assert_eq!((status(&q, "half"), status(&q, "3for9")), (PromotionStatus::Applied, PromotionStatus::Applied));
    assert_eq!((promo_shares(&q, 0), promo_shares(&q, 1)), (vec![("half".to_string(), 5000)], vec![("3for9".to_string(), 1500)]));
    // Tea ×2 and nuts ×1: the teas are taken, one nut is 2 units short of 9折.
    let q = m.quote(&[("tea", 2), ("nuts", 1)], none(), no_points(), thu());
    assert_eq!((status(&q, "3for9"), q.promotions[1].next.as_ref().map(|n| n.missing)), (PromotionStatus::NotReached, Some(2)));
    assert_adds_up(&q);
}

#[test]
fn s13_a_bundle_price_split_pro_rata_over_its_units() {
    let p = promo("set", "茶+坚果 组合价 ¥130", json!({ "type": "bundle", "items": [{ "sku": "tea", "qty": 1 }, { "sku": "nuts", "qty": 1 }], "price": 13000, "maxTimes": 2 }));
    let m = member(vec![p]);
    // One set: 15000 − 13000 = 2000, split 10000 : 5000 → 1333 / 667 (largest remainder).
    let q = m.quote(&[("tea", 1), ("nuts", 1)], none(), no_points(), thu());
    assert_eq!((promo_shares(&q, 0), promo_shares(&q, 1)), (vec![("set".to_string(), 1333)], vec![("set".to_string(), 667)]));
    // Three teas and three nuts: two sets at most; the third pair pays full price.
    let q = m.quote(&[("tea", 3), ("nuts", 3)], none(), no_points(), thu());
    assert_eq!(q.promotion_discount, 4000);
    assert!(q.promotions[0].next.is_none());
    // A tea alone: one nut short of the set.
    let q = m.quote(&[("tea", 1)], none(), no_points(), thu());
    assert_eq!((status(&q, "set"), q.promotions[0].next.as_ref().map(|n| n.missing)), (PromotionStatus::NotReached, Some(1)));
    assert_adds_up(&q);
}

fn ladder() -> Value {
    promo(
        "ladder",
        "满100减10 满200减30包邮",
        json!({ "type": "ladder", "tiers": [
            { "threshold": 10000, "amountOff": 1000 },
            { "threshold": 20000, "amountOff": 3000, "freeShipping": true }
        ] }),
    )
}

#[test]
fn s13_a_ladder_applies_its_highest_tier_reached_and_hints_the_next() {
    // Without the free-shipping threshold, so the ladder's free shipping shows.
    let mut m = Member::new(with_promotions(vec![ladder()], |v| v["shipping"] = json!({ "baseFee": 800 })), at(2026, 11, 1, 10, 0));
    let q = m.quote(&[("tea", 1), ("nuts", 1)], none(), no_points(), thu());
    // 15000 reaches ¥100: ¥10 off; ¥50 more for ¥30 off and free shipping.
    assert_eq!((q.promotion_discount, q.shipping, q.total), (1000, 800, 14800));
    let next = q.promotions[0].next.as_ref().unwrap();
    assert_eq!((next.by, next.missing, next.amount_off, next.free_shipping), (ThresholdBy::Amount, 5000, Some(3000), true));
    let q = m.quote(&[("tea", 2)], none(), no_points(), thu());
    assert_eq!((q.promotion_discount, q.shipping, q.shipping_waived_by.as_deref(), q.total), (3000, 0, Some("ladder"), 17000));
    assert!(q.promotions[0].next.is_none() && q.promotions[0].free_shipping);
    assert_adds_up(&q);
    // The order records it.
    let (_, effects) = m.place("o1", &[("tea", 2)], &[], 0, thu()).unwrap();
    let placed = effects.iter().find_map(|e| match e {
        Effect::OrderPlaced { order } => Some(order.clone()),
        _ => None,
    });
    assert_eq!(placed.unwrap().promotions, vec!["ladder".to_string()]);
}

#[test]
fn s13_every_100_off_10_with_its_cap() {
    let p = promo("every", "每满100减10 最多减30", json!({ "type": "ladder", "every": true, "maxTimes": 3, "tiers": [{ "threshold": 10000, "amountOff": 1000 }] }));
    let m = member(vec![p]);
    // 25000: twice, and ¥50 more for a third time.
    let q = m.quote(&[("tea", 2), ("nuts", 1)], none(), no_points(), thu());
    assert_eq!((q.promotion_discount, q.promotions[0].next.as_ref().map(|n| n.missing)), (2000, Some(5000)));
    // 45000: capped at three times, no hint.
    let q = m.quote(&[("tea", 4), ("nuts", 1)], none(), no_points(), thu());
    assert_eq!((q.promotion_discount, q.promotions[0].next.is_none()), (3000, true));
}

#[test]
fn s13_ladder_allocation_over_three_lines_sums_exactly() {
    let p = promo("ten", "满100减10", json!({ "type": "ladder", "tiers": [{ "threshold": 10000, "amountOff": 1000 }] }));
    let m = member(vec![p]);
    // 1000 over 10000 / 5000 / 3000: 555.6 / 277.8 / 166.7 → floors 555 / 277 / 166, the two fen
    // left go to the largest remainders (nuts, then cookie).
    let q = m.quote(&[("tea", 1), ("nuts", 1), ("cookie", 1)], none(), no_points(), thu());
    let shares: Vec<i64> = (0..3).map(|i| promo_shares(&q, i)[0].1).collect();
    assert_eq!(shares, vec![555, 278, 167]);
    assert_eq!(shares.iter().sum::<i64>(), 1000);
    assert_adds_up(&q);
}

#[test]
fn s13_a_coupon_below_its_minimum_after_a_ladder_lowered_its_base() {
    let p = promo("twenty", "满200减20", json!({ "type": "ladder", "tiers": [{ "threshold": 20000, "amountOff": 2000 }] }));
    let mut m = member(vec![p]);
    m.give("full-200-30", "f30", thu());
    // Tea ×2 = 20000 reaches the ladder (before coupons); after it, 18000 is below the coupon's
    // 满200: the coupon needs ¥20 more.
    let q = m.quote(&[("tea", 2)], best(), no_points(), thu());
    assert_eq!((q.promotion_discount, q.coupon_discount, q.total), (2000, 0, 18000));
    let u = q.unusable.iter().find(|u| u.id == "f30").unwrap();
    assert_eq!((u.reason, u.missing), (UnusableReason::BelowMinSpend, 2000));
}

#[test]
fn s13_a_promotion_without_coupons_is_dropped_for_a_better_coupon_and_kept_against_a_weaker_one() {
    let mut direct = promo("direct", "满100减20 不与券同享", json!({ "type": "ladder", "tiers": [{ "threshold": 10000, "amountOff": 2000 }] }));
    direct["withCoupons"] = json!(false);
    let mut m = member(vec![direct]);
    m.give("full-200-30", "f30", thu());
    m.give("new-10", "n10", thu());
    // 20000: the promotion saves 2000, 满200减30 saves 3000 → the coupon, the promotion dropped.
    let q = m.quote(&[("tea", 2)], best(), no_points(), thu());
    assert_eq!((q.coupon_ids.clone(), q.promotion_discount, q.total), (vec!["f30".to_string()], 0, 17000));
    assert_eq!(status(&q, "direct"), PromotionStatus::NotCombined);
    assert_adds_up(&q);
    // 15000: 满200 is out of reach; ¥10 off (n10) is weaker than the promotion's ¥20 → kept.
    let q = m.quote(&[("tea", 1), ("nuts", 1)], best(), no_points(), thu());
    assert_eq!((q.coupon_ids.len(), q.promotion_discount, q.total), (0, 2000, 13000));
    assert_eq!(status(&q, "direct"), PromotionStatus::Applied);
    // The shopper may still choose the coupon: the promotion then steps aside.
    let q = m.quote(&[("tea", 1), ("nuts", 1)], CouponChoice::Chosen(vec!["n10".into()]), no_points(), thu());
    assert_eq!((q.coupon_ids.clone(), q.promotion_discount, q.total), (vec!["n10".to_string()], 0, 14000));
}

#[test]
fn s13_equal_savings_keep_the_promotion() {
    let mut direct = promo("direct", "满100减20 不与券同享", json!({ "type": "ladder", "tiers": [{ "threshold": 10000, "amountOff": 2000 }] }));
    direct["withCoupons"] = json!(false);
    let mut m = member(vec![direct]);
    m.give("pct-10", "p10", thu());
    // 20000: 9折 caps at ¥20, the promotion gives ¥20: a tie keeps the promotion (and the coupon).
    let q = m.quote(&[("tea", 2)], best(), no_points(), thu());
    assert_eq!((q.coupon_ids.len(), q.promotion_discount, q.total), (0, 2000, 18000));
}

fn gift(stock: u32) -> Value {
    promo(
        "gift",
        "满150送曲奇",
        json!({ "type": "gift", "tiers": [
            { "threshold": 15000, "gift": { "sku": "cookie", "qty": 1 }, "stock": stock },
            { "threshold": 30000, "gift": { "sku": "cookie", "qty": 2 } }
        ] }),
    )
}

#[test]
fn s13_a_gift_is_a_price_0_line_held_with_the_order_and_shown_when_sold_out() {
    let mut m = member(vec![gift(1)]);
    let q = m.quote(&[("tea", 1), ("nuts", 1)], none(), no_points(), thu());
    let line = q.lines.last().unwrap();
    assert_eq!((line.sku.as_str(), line.qty, line.paid, line.gift.as_deref()), ("cookie", 1, 0, Some("gift")));
    // The gift is not bought: the totals are those of the two lines.
    assert_eq!((q.list_total, q.total, q.points.earn), (15000, 15000, 150));
    let next = q.promotions[0].next.as_ref().unwrap();
    assert_eq!((next.missing, next.gift.as_ref().map(|g| g.qty)), (15000, Some(2)));
    assert_adds_up(&q);
    // Placing holds the gift's stock (a shared counter); cancelling returns it.
    let (_, effects) = m.place("o1", &[("tea", 1), ("nuts", 1)], &[], 0, thu()).unwrap();
    assert!(effects.contains(&Effect::StockTaken { counter: Counter::GiftStock("gift#0".into()), units: 1 }));
    let order = m.state.order("o1").unwrap();
    assert_eq!((order.gifts.len(), order.lines.len(), order.line_paid.len()), (1, 2, 2));
    // Out of stock: the next cart that reaches the tier is told, not silently left without it.
    let q = m.quote(&[("tea", 2)], none(), no_points(), thu());
    assert_eq!(status(&q, "gift"), PromotionStatus::GiftSoldOut);
    assert!(q.promotions[0].gift.as_ref().unwrap().sold_out);
    assert!(q.lines.iter().all(|l| l.gift.is_none()) && q.orderable);
    // Placed anyway, the order says which gift it could not have.
    m.place("o2", &[("tea", 2)], &[], 0, thu()).unwrap();
    assert_eq!((m.state.order("o2").unwrap().gifts.len(), m.state.order("o2").unwrap().gifts_sold_out.clone()), (0, vec!["gift".to_string()]));
    let effects = m.run(Mutation::CancelOrder { order_id: "o1".into() }, thu() + HOUR).unwrap();
    assert!(effects.contains(&Effect::StockReturned { counter: Counter::GiftStock("gift#0".into()), units: 1 }));
    let q = m.quote(&[("tea", 2)], none(), no_points(), thu() + HOUR);
    assert_eq!(status(&q, "gift"), PromotionStatus::Applied);
}

#[test]
fn s13_a_gift_threshold_is_judged_before_coupons_and_a_refund_returns_the_gift() {
    let mut m = member(vec![gift(5)]);
    m.give("full-200-30", "f30", thu());
    // 20000 − ¥30 coupon = 17000 paid; the gift's ¥150 is judged before the coupon either way.
    let (q, _) = m.buy("o1", &[("tea", 2)], &["f30"], 0, thu()).unwrap();
    assert_eq!((q.total, status(&q, "gift")), (17000, PromotionStatus::Applied));
    assert_eq!(m.stock.remaining(&Counter::GiftStock("gift#0".into())), Some(4));
    let effects = m.refund("o1", thu() + DAY).unwrap();
    assert!(effects.contains(&Effect::StockReturned { counter: Counter::GiftStock("gift#0".into()), units: 1 }));
    assert_eq!(m.stock.remaining(&Counter::GiftStock("gift#0".into())), Some(5));
}

#[test]
fn s13_a_limited_sale_line_takes_no_promotion() {
    let m = member(vec![ladder()]);
    let during = sale_start() + HOUR;
    // Honey at its sale price ¥150 and a tea ¥100: only the tea counts for the ladder (¥100 → ¥10).
    let m = Member { program: with_promotions(vec![{
        let mut l = ladder();
        l["validity"] = json!({ "from": during - DAY, "to": during + DAY });
        l
    }], |_| {}), ..m };
    let q = m.quote(&[("honey", 1), ("tea", 1)], none(), no_points(), during);
    assert_eq!(q.promotion_discount, 1000);
    assert_eq!((promo_shares(&q, 0), promo_shares(&q, 1)), (vec![], vec![("ladder".to_string(), 1000)]));
}

#[test]
fn s13_per_member_uses_are_counted_and_given_back_by_a_cancellation() {
    let mut once = half_price_tea();
    once["perMember"] = json!(1);
    let mut m = member(vec![once]);
    m.place("o1", &[("tea", 2)], &[], 0, thu()).unwrap();
    let q = m.quote(&[("tea", 2)], none(), no_points(), thu());
    assert_eq!((status(&q, "half"), q.promotion_discount), (PromotionStatus::LimitReached, 0));
    m.run(Mutation::CancelOrder { order_id: "o1".into() }, thu() + HOUR).unwrap();
    let q = m.quote(&[("tea", 2)], none(), no_points(), thu() + HOUR);
    assert_eq!(status(&q, "half"), PromotionStatus::Applied);
}

#[test]
fn s13_validity_and_audience() {
    let mut gold_only = half_price_tea();
    gold_only["audience"] = json!({ "minTier": "gold" });
    let m = member(vec![gold_only]);
    // A silver member does not see it at all.
    assert!(m.quote(&[("tea", 2)], none(), no_points(), thu()).promotions.is_empty());
    let m = member(vec![half_price_tea()]);
    // Before and after its window it does not run.
    assert!(m.quote(&[("tea", 2)], none(), no_points(), at(2026, 11, 30, 23, 59)).promotions.is_empty());
    assert!(m.quote(&[("tea", 2)], none(), no_points(), at(2027, 1, 1, 0, 0)).promotions.is_empty());
}

#[test]
fn s13_programs_with_bad_promotions_are_refused_with_the_path() {
    let bad = |rule: Value, path: &str| {
        let mut v = program_json();
        v["promotions"] = json!([promo("p", "p", rule)]);
        let e = Program::from_json(&v.to_string()).unwrap_err().to_string();
        assert!(e.contains(path), "{e} should name {path}");
    };
    bad(json!({ "type": "nth", "n": 1, "offBp": 5000 }), "promotions[0].rule.n");
    bad(json!({ "type": "nth", "n": 2, "offBp": 0 }), "promotions[0].rule.offBp");
    bad(json!({ "type": "nth", "n": 2 }), "promotions[0].rule");
    bad(json!({ "type": "ladder", "tiers": [{ "threshold": 200, "amountOff": 10 }, { "threshold": 100, "amountOff": 20 }] }), "promotions[0].rule.tiers[1].threshold");
    bad(json!({ "type": "ladder", "tiers": [{ "threshold": 100 }] }), "promotions[0].rule.tiers[0]");
    bad(json!({ "type": "gift", "tiers": [{ "threshold": 100, "gift": { "sku": "nope", "qty": 1 } }] }), "promotions[0].rule.tiers[0].gift.sku");
    bad(json!({ "type": "bundle", "items": [{ "sku": "tea", "qty": 1 }, { "sku": "tea", "qty": 2 }], "price": 100 }), "promotions[0].rule.items[1].sku");
    bad(json!({ "type": "ladder", "every": true, "tiers": [{ "threshold": 100, "offBp": 10 }] }), "promotions[0].rule.tiers");
    bad(json!({ "type": "spin", "n": 2 }), "promotions[0].rule");
}

#[test]
fn s13_promotions_round_trip_through_the_stored_program() {
    // The server stores the program as the engine writes it and reads it back on restart.
    let mut bundle = promo("set", "组合价", json!({ "type": "bundle", "items": [{ "sku": "tea", "qty": 1 }, { "sku": "nuts", "qty": 2 }], "price": 13000 }));
    bundle["names"] = json!({ "en": "Set price" });
    bundle["withCoupons"] = json!(false);
    bundle["perMember"] = json!(2);
    let every = promo("every", "每满100减10", json!({ "type": "ladder", "every": true, "maxTimes": 3, "by": "units", "tiers": [{ "threshold": 2, "amountOff": 1000 }] }));
    let p = with_promotions(vec![half_price_tea(), bundle, ladder(), every, gift(3)], |_| {});
    let again = Program::from_json(&serde_json::to_string(&p).unwrap()).unwrap();
    assert_eq!(again.promotions, p.promotions);
    assert_eq!(again.promotions[1].names["en"], "Set price");
}

#[test]
fn s13_a_member_day_discount_under_the_gift_threshold_gives_no_gift_and_two_gift_promotions_give_two_gifts() {
    // Wednesday 2 Dec is member day: silver's 2 % takes tea + nuts from 15000 to 14700, below the
    // gift's ¥150 — the gift is not granted on a total that no longer reaches it.
    let wed = at(2026, 12, 2, 10, 0);
    let m = member(vec![gift(5)]);
    let q = m.quote(&[("tea", 1), ("nuts", 1)], none(), no_points(), wed);
    assert_eq!((q.member_day_discount, status(&q, "gift")), (300, PromotionStatus::NotReached));
    assert_eq!(q.promotions[0].next.as_ref().map(|n| n.missing), Some(300));
    assert!(q.lines.iter().all(|l| l.gift.is_none()));
    // Two gift promotions reached: two gift lines, each with its promotion.
    let mut tea_gift = promo("tea-gift", "买茶送坚果", json!({ "type": "gift", "tiers": [{ "threshold": 10000, "gift": { "sku": "nuts", "qty": 1 } }] }));
    tea_gift["scope"] = json!({ "skus": ["tea"] });
    let m = member(vec![gift(5), tea_gift]);
    let q = m.quote(&[("tea", 2)], none(), no_points(), thu());
    let gifts: Vec<(&str, &str)> = q.lines.iter().filter_map(|l| l.gift.as_deref().map(|g| (g, l.sku.as_str()))).collect();
    assert_eq!(gifts, vec![("gift", "cookie"), ("tea-gift", "nuts")]);
    assert_eq!((q.total, q.list_total), (20000, 20000));
}
