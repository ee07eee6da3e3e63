//! Hostile sizes, timed natively: validating very large programs (the server runs the same check
//! on `PUT /api/program`), pricing a cart against a wallet of many distinct coupons, and against
//! as many promotions as a program may hold.
//! `cargo run --release --example hostile_sizes`
use serde_json::{json, Value};
use siyu::quote::{CouponChoice, PointsChoice, QuoteRequest};
use siyu::state::{MemberState, OrderLine};
use siyu::{Effect, Program, Stock};
use std::time::Instant;

const CATEGORIES: [&str; 4] = ["nuts", "grains", "drinks", "wellness"];

fn base() -> Value {
    serde_json::from_str(include_str!("../programs/health-food.json")).expect("demo program")
}

/// The program with nothing naming its own coupon templates (gifts, rewards, streak and birthday
/// coupons), so that the templates can be replaced.
fn without_template_references(p: &mut Value) {
    p["gifts"] = json!({});
    p["rewards"] = json!([]);
    p["checkIn"]["streakBonuses"] = json!([]);
    for t in p["tiers"].as_array_mut().unwrap() {
        t.as_object_mut().unwrap().remove("birthdayCoupon");
    }
    p["birthday"].as_object_mut().unwrap().remove("coupon");
    p.as_object_mut().unwrap().remove("referral");
}

/// A member holding one coupon of every template of the program, claimed at `now`.
fn holding_every_template(program: &Program, now: i64) -> MemberState {
    let mut state = MemberState::new("m", now);
    let effects: Vec<Effect> =
        program.coupon_templates.iter().map(|t| Effect::CouponIssued { coupon: siyu::coupons::issue(program, t, format!("w-{}", t.id), "test", now) }).collect();
    siyu::apply_effects(&mut state, &effects);
    state
}

fn time<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    println!("{what:<58} {:>9.1} ms", start.elapsed().as_secs_f64() * 1000.0);
    out
}

fn main() {
    // 30,000 categories and 30,000 SKUs, each SKU in its own category.
    let mut p = base();
    p["categories"] = (0..30_000).map(|i| json!({ "id": format!("c{i}"), "name": format!("类{i}") })).collect();
    p["catalog"] = (0..30_000).map(|i| json!({ "id": format!("s{i}"), "name": format!("品{i}"), "category": format!("c{i}"), "listPrice": 1000 })).collect();
    p["couponTemplates"].as_array_mut().unwrap().iter_mut().for_each(|t| {
        t.as_object_mut().unwrap().remove("scope");
    });
    p["limitedSales"] = json!([]);
    p["promotions"] = json!([]);
    let text = p.to_string();
    time("validate: 30,000 SKUs in 30,000 categories", || Program::from_json(&text).expect("valid"));

    // 10,000 tiers, every SKU with a member price for the last one.
    let mut p = base();
    let tiers: Vec<Value> = (0..10_000).map(|i| json!({ "id": format!("t{i}"), "name": format!("级{i}"), "minGrowth": i * 100 })).collect();
    p["tiers"] = Value::Array(tiers);
    for sku in p["catalog"].as_array_mut().unwrap() {
        sku["memberPrices"] = json!({ "t9999": 100 });
    }
    for t in p["couponTemplates"].as_array_mut().unwrap() {
        t["audience"].as_object_mut().map(|a| a.remove("minTier"));
    }
    p["gifts"] = json!({});
    for t in p["couponTemplates"].as_array_mut().unwrap() {
        t.as_object_mut().unwrap().remove("audience");
    }
    let text = p.to_string();
    time("validate: 10,000 tiers", || Program::from_json(&text).expect("valid"));

    // A wallet of n distinct templates in all three groups, and a four-line cart, best coupons.
    for n in [300usize, 600, 1000] {
        let mut p = base();
        let groups = ["item", "order", "shipping"];
        p["couponTemplates"] = (0..n)
            .map(|i| {
                let group = groups[i % 3];
                let kind = if group == "shipping" { json!({ "type": "freeShipping" }) } else { json!({ "type": "amountOff", "amount": 100 + (i as i64 * 7) % 900 }) };
                json!({ "id": format!("x{i}"), "name": format!("券{i}"), "kind": kind, "minSpend": (i as i64 * 13) % 9000,
                        "stackGroup": group, "validity": { "type": "relative", "days": 1 + i % 30 } })
            })
            .collect();
        without_template_references(&mut p);
        let program = Program::from_json(&p.to_string()).expect("valid");
        let now = 1_795_572_000_000;
        let state = holding_every_template(&program, now);
        let lines = ["almond-250", "oats-1kg", "greentea-100", "chia-300"].iter().map(|s| OrderLine { sku: s.to_string(), qty: 1 }).collect();
        let request = QuoteRequest { lines, coupons: CouponChoice::default(), points: PointsChoice::Amount(0) };
        let q = time(&format!("quote, best of {n} distinct coupons in the wallet"), || {
            siyu::quote::quote(&program, &state, &Stock::initial(&program), &request, now).expect("priced")
        });
        assert!(!q.coupons.is_empty());
    }

    // The most promotions a program holds (100), of every kind, ladders and gifts with 20 tiers,
    // every other one not combining with coupons (two stages priced), on the largest cart (100
    // lines of 999 units) with 300 coupons in the wallet.
    let mut p = base();
    p["catalog"] = (0..100)
        .map(|i| json!({ "id": format!("s{i}"), "name": format!("品{i}"), "category": CATEGORIES[i % 4], "listPrice": 1000 + i * 37 }))
        .collect();
    p["limitedSales"] = json!([]);
    without_template_references(&mut p);
    let groups = ["item", "order", "shipping"];
    p["couponTemplates"] = (0..300)
        .map(|i| {
            let group = groups[i % 3];
            let kind = if group == "shipping" { json!({ "type": "freeShipping" }) } else { json!({ "type": "amountOff", "amount": 100 + (i as i64 * 7) % 900 }) };
            json!({ "id": format!("x{i}"), "name": format!("券{i}"), "kind": kind, "minSpend": (i as i64 * 13) % 9000, "stackGroup": group, "validity": { "type": "relative", "days": 30 } })
        })
        .collect();
    let tiers = |gift: bool| -> Value {
        (1..=20)
            .map(|k| if gift { json!({ "threshold": k * 50_000, "gift": { "sku": "s1", "qty": 1 }, "stock": 1000 }) } else { json!({ "threshold": k * 50_000, "amountOff": k * 1000, "freeShipping": k > 10 }) })
            .collect()
    };
    p["promotions"] = (0..100)
        .map(|i| {
            let rule = match i % 6 {
                0 => json!({ "type": "nth", "n": 2 + i % 3, "offBp": 5000 }),
                1 => json!({ "type": "minQty", "qty": 5, "offBp": 1000 }),
                2 => json!({ "type": "bundle", "items": [{ "sku": format!("s{}", i % 100), "qty": 2 }, { "sku": format!("s{}", (i + 1) % 100), "qty": 3 }], "price": 5000 }),
                3 => json!({ "type": "ladder", "tiers": tiers(false) }),
                4 => json!({ "type": "ladder", "every": true, "tiers": [{ "threshold": 10_000, "amountOff": 500 }] }),
                _ => json!({ "type": "gift", "tiers": tiers(true) }),
            };
            let category = CATEGORIES[i % 4];
            json!({ "id": format!("p{i}"), "name": format!("活动{i}"), "validity": { "from": 0, "to": 4_000_000_000_000i64 },
                    "scope": { "categories": [category] }, "withCoupons": i % 2 == 0, "rule": rule })
        })
        .collect();
    let program = time("validate: 100 promotions (20-tier ladders and gifts)", || Program::from_json(&p.to_string()).expect("valid"));
    let now = 1_795_572_000_000;
    let state = holding_every_template(&program, now);
    let lines = (0..100).map(|i| OrderLine { sku: format!("s{i}"), qty: 999 }).collect();
    let request = QuoteRequest { lines, coupons: CouponChoice::default(), points: PointsChoice::Amount(0) };
    let q = time("quote, 100 promotions, 100 lines × 999 units, 300 coupons", || {
        siyu::quote::quote(&program, &state, &Stock::initial(&program), &request, now).expect("priced")
    });
    assert!(q.promotions.iter().any(|p| p.status == siyu::quote::PromotionStatus::Applied));
    assert!(q.total >= 0 && q.lines.iter().all(|l| l.paid >= 0));
}
