//! Properties of the engine on random inputs: the points balance, one check-in a day whatever the
//! clock does, coupons used once, exact allocation, non-negative totals, the optimal coupon
//! selection against brute force, and deterministic `apply`.

// The same tests run in the browser (`wasm-pack test --headless --chrome`): the build that ships
// is the wasm one, with its own i128 and f64 code paths.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;

/// Cases per property: fewer in the browser, where a case runs several times slower.
const fn cases(native: u32) -> u32 {
    if cfg!(target_arch = "wasm32") { native / 4 } else { native }
}

use common::*;
use proptest::prelude::*;
use serde_json::json;
use siyu::apply::{apply, Ctx, Effect, Mutation};
use siyu::program::Program;
use siyu::quote::{allocate, CouponChoice, CouponMode, PointsChoice, PointsMode, Pricer};
use siyu::state::{CouponState, MemberState};
use siyu::time::{Day, Instant};

// ───────────────────────────── random member histories ─────────────────────────────

#[derive(Clone, Debug)]
enum Op {
    /// Move the clock by this many minutes (negative: a device clock going backwards).
    Advance(i64),
    CheckIn,
    Makeup(i32),
    Claim(usize),
    Redeem(usize),
    /// Lines (SKU index, qty), coupons (best, none, or wallet indices), points (-1 = max).
    Order(Vec<(usize, u32)>, Option<Vec<usize>>, i64),
    Refund(usize),
    /// The store's payment result for the n-th order: its exact total, or one fen more.
    Pay(usize, bool),
    Cancel(usize),
    /// The store expires the n-th order (refused while its window is open).
    Expire(usize),
    SetBirthday(u8, u8),
}

const SKUS: &[&str] = &["tea", "nuts", "cookie", "honey"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (-3 * 24 * 60i64..6 * 24 * 60).prop_map(Op::Advance),
        3 => Just(Op::CheckIn),
        1 => (1i32..6).prop_map(Op::Makeup),
        2 => (0usize..16).prop_map(Op::Claim),
        1 => (0usize..3).prop_map(Op::Redeem),
        3 => (
            prop::collection::vec((0usize..4, 1u32..4), 1..4),
            prop::option::of(prop::collection::vec(0usize..8, 0..3)),
            prop_oneof![Just(-1i64), 0i64..3000],
        )
            .prop_map(|(l, c, p)| Op::Order(l, c, p)),
        1 => (0usize..5).prop_map(Op::Refund),
        3 => (0usize..5, prop::bool::weighted(0.9)).prop_map(|(i, exact)| Op::Pay(i, exact)),
        1 => (0usize..5).prop_map(Op::Cancel),
        1 => (0usize..5).prop_map(Op::Expire),
        1 => (1u8..13, 1u8..29).prop_map(|(m, d)| Op::SetBirthday(m, d)),
    ]
}

/// The mutation an op stands for in the member's current state (None: nothing to do).
fn mutation(m: &Member, op: &Op, now: Instant, n: usize) -> Option<Mutation> {
    let p = &m.program;
    Some(match op {
        Op::Advance(_) => return None,
        Op::CheckIn => Mutation::CheckIn {},
        Op::Makeup(back) => Mutation::MakeupCheckIn { day: p.business_day(now).plus(-back) },
        Op::Claim(i) => Mutation::ClaimCoupon { template: p.coupon_templates.get(*i).map_or("nope".into(), |t| t.id.clone()) },
        Op::Redeem(i) => Mutation::RedeemReward { reward: p.rewards.get(*i).map_or("nope".into(), |r| r.id.clone()) },
        Op::Order(items, coupons, points) => {
            let items: Vec<(&str, u32)> = items.iter().map(|(s, q)| (SKUS[*s], *q)).collect();
            let points = if *points < 0 { PointsChoice::Mode(PointsMode::Max) } else { PointsChoice::Amount(*points) };
            let choice = match coupons {
                None => CouponChoice::Mode(CouponMode::Best),
                Some(ix) => CouponChoice::Chosen(ix.iter().filter_map(|i| m.state.coupons.get(*i)).map(|c| c.id.clone()).collect()),
            };
            let q = m.quote(&items, choice.clone(), points, now);
            // Place what the quote shows; chosen ids are passed as chosen, so unusable ones are refused.
            let coupons = match choice {
                CouponChoice::Chosen(ids) => ids,
                _ => q.coupons.iter().map(|c| c.id.clone()).collect(),
            };
            Mutation::PlaceOrder { order_id: format!("o{n}"), lines: lines(&items), coupons, points: q.points.used, expected_total: q.total }
        }
        Op::Refund(i) => Mutation::RefundOrder {
            order_id: if m.state.orders.is_empty() || *i == 0 { "none".into() } else { m.state.orders[*i % m.state.orders.len()].id.clone() },
        },
        Op::Pay(i, exact) => {
            let o = m.state.orders.get(*i % m.state.orders.len().max(1))?;
            Mutation::ConfirmPayment { order_id: o.id.clone(), amount: if *exact { o.total } else { o.total + 1 }, transaction_id: Some(format!("t{n}")) }
        }
        Op::Cancel(i) => Mutation::CancelOrder { order_id: m.state.orders.get(*i % m.state.orders.len().max(1))?.id.clone() },
        Op::Expire(i) => Mutation::ExpireOrder { order_id: m.state.orders.get(*i % m.state.orders.len().max(1))?.id.clone() },
        Op::SetBirthday(mo, d) => Mutation::SetBirthday { birthday: siyu::time::MonthDay::parse(&format!("{mo:02}-{d:02}"))? },
    })
}

fn check_invariants(m: &Member, now: Instant) -> Result<(), TestCaseError> {
    let s = &m.state;
    // Balance = Σ remaining of live lots ≥ 0 (not expired, not pending), and every lot within
    // 0..=points; pending points are in no balance.
    let unexpired = |l: &&siyu::state::PointLot| l.expires_at.is_none_or(|e| now < e);
    let pending = |l: &&siyu::state::PointLot| l.available_at.is_some_and(|a| now < a);
    let live: i64 = s.lots.iter().filter(unexpired).filter(|l| !pending(l)).map(|l| l.remaining).sum();
    prop_assert_eq!(siyu::points::balance(s, now), live);
    prop_assert!(live >= 0);
    let waiting: i64 = s.lots.iter().filter(unexpired).filter(pending).map(|l| l.remaining).sum();
    prop_assert_eq!(siyu::points::summary(s, now).pending, waiting);
    for l in &s.lots {
        prop_assert!(0 <= l.remaining && l.remaining <= l.points, "lot {:?}", l);
    }
    // The ledger accounts for every point still in a lot.
    let ledger: i64 = s.ledger.iter().map(|e| e.delta).sum();
    prop_assert_eq!(ledger, s.lots.iter().map(|l| l.remaining).sum::<i64>());
    // One check-in per business day.
    let mut days: Vec<Day> = s.check_ins.iter().map(|c| c.day).collect();
    let n = days.len();
    days.dedup();
    prop_assert_eq!(days.len(), n, "check-ins {:?}", s.check_ins);
    prop_assert!(s.check_ins.windows(2).all(|w| w[0].day < w[1].day));
    // A coupon is used by at most one live order, and a used coupon names its order.
    for c in &s.coupons {
        let users = s.paid_orders().filter(|o| o.coupons.contains(&c.id)).count();
        prop_assert!(users <= 1, "coupon {} used by {} orders", c.id, users);
        if let CouponState::Used { order_id, .. } = &c.state {
            prop_assert!(s.order(order_id).is_some_and(|o| o.coupons.contains(&c.id)));
        }
    }
    // Orders awaiting payment hold exactly their coupons and points; no other order holds any.
    for c in &s.coupons {
        if let CouponState::Locked { order_id, .. } = &c.state {
            let o = s.order(order_id);
            prop_assert!(o.is_some_and(|o| o.is_awaiting_payment() && o.coupons.contains(&c.id)), "{} locked by {}", c.id, order_id);
        }
    }
    for o in s.orders.iter().filter(|o| o.is_awaiting_payment()) {
        for id in &o.coupons {
            let locked = matches!(&s.coupon(id).unwrap().state, CouponState::Locked { order_id, .. } if *order_id == o.id);
            prop_assert!(locked, "{} not locked by {}", id, o.id);
        }
        prop_assert!(o.earned_lot.is_none() && o.gift.is_none() && o.total > 0);
    }
    let held: i64 = s.orders.iter().filter(|o| o.is_awaiting_payment()).map(|o| o.points_used).sum();
    prop_assert_eq!(siyu::points::summary(s, now).held, held);
    // Growth counts paid orders only.
    let mut unpaid = s.clone();
    unpaid.orders.retain(|o| o.is_paid());
    prop_assert_eq!(siyu::tiers::growth(&m.program, s, now), siyu::tiers::growth(&m.program, &unpaid, now));
    let mut ids: Vec<&str> = s.coupons.iter().map(|c| c.id.as_str()).chain(s.lots.iter().map(|l| l.id.as_str())).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    prop_assert_eq!(ids.len(), n, "ids are unique");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), ..ProptestConfig::default() })]

    #[test]
    fn random_histories_keep_the_books(ops in prop::collection::vec(op(), 1..40)) {
        let mut m = Member::new(program(), at(2026, 11, 10, 8, 0));
        m.grant(3000, at(2026, 11, 10, 8, 0));
        let mut now = at(2026, 11, 10, 9, 0);
        let mut used_before: Vec<String> = Vec::new();
        for (n, op) in ops.iter().enumerate() {
            if let Op::Advance(minutes) = op {
                now += minutes * 60_000;
                check_invariants(&m, now)?;
                continue;
            }
            let Some(mutation) = mutation(&m, op, now, n) else { continue };
            // Deterministic: the same input gives the same effects and ids.
            let by_store = mutation.is_store_only();
            let (client, id) = if by_store { (siyu::apply::STORE_CLIENT.to_string(), m.store_next) } else { (m.client.clone(), m.next_id) };
            let ctx = Ctx { now, client_id: &client, mutation_id: id, stock: &m.stock, archived_order: None, referral_code: None };
            let first = apply(&m.program, &m.state, &mutation, &ctx);
            let second = apply(&m.program, &m.state, &mutation, &ctx.clone());
            prop_assert_eq!(&first, &second);
            let before = m.state.clone();
            let result = if by_store { m.as_store(mutation.clone(), now) } else { m.run(mutation.clone(), now) };
            prop_assert_eq!(result.as_ref().map_err(|e| e.code()), first.as_ref().map(|a| &a.effects).map_err(|e| e.code()));
            if let Ok(effects) = &result {
                for e in effects {
                    if let Effect::CouponUsed { coupon, order_id, .. } = e {
                        // Only an available coupon is used, or one its own order held.
                        let was = &before.coupon(coupon).unwrap().state;
                        let held_by_it = matches!(was, CouponState::Locked { order_id: o, .. } if o == order_id);
                        prop_assert!(*was == CouponState::Available || held_by_it, "{:?}", was);
                        used_before.push(coupon.clone());
                    }
                }
            } else {
                prop_assert_eq!(&before, &m.state);
            }
            check_invariants(&m, now)?;
            // Quotes never go negative, explain every fen, and split exactly.
            let q = m.quote(&[("tea", 1), ("nuts", 2), ("cookie", 1)], CouponChoice::default(), PointsChoice::Mode(PointsMode::Max), now);
            prop_assert!(q.total >= 0);
            prop_assert_eq!(q.lines.iter().map(|l| l.paid).sum::<i64>(), q.paid);
            prop_assert_eq!(q.savings.iter().map(|s| s.amount).sum::<i64>(), q.saved);
        }
    }

    /// Check-ins at random instants, in any order (a device clock may jump back and forth).
    #[test]
    fn at_most_one_check_in_per_business_day(
        times in prop::collection::vec(0i64..60 * 24 * 60, 1..60),
        makeups in prop::collection::vec((any::<bool>(), 1i32..5), 1..60),
        offset in prop_oneof![Just(480), Just(0), Just(-300), Just(345)],
    ) {
        let p = program_with(|v| v["utcOffsetMinutes"] = json!(offset));
        let mut m = Member::new(p, 0);
        m.grant(1_000_000, at(2026, 1, 1, 0, 0));
        let start = at(2026, 11, 1, 0, 0);
        for (t, (makeup, back)) in times.iter().zip(makeups.iter().cycle()) {
            let now = start + t * 60_000;
            let today = m.program.business_day(now);
            let had = m.state.checked_in(today).is_some();
            let r = m.check_in(now);
            prop_assert_eq!(r.is_ok(), !had);
            if had {
                prop_assert_eq!(r.unwrap_err().code(), "ALREADY_CHECKED_IN");
            }
            if *makeup {
                let d = today.plus(-back);
                let had = m.state.checked_in(d).is_some();
                let r = m.makeup(d, now);
                if had {
                    prop_assert_eq!(r.unwrap_err().code(), "MAKEUP_DAY_NOT_MISSED");
                }
            }
            let mut days: Vec<Day> = m.state.check_ins.iter().map(|c| c.day).collect();
            let n = days.len();
            days.dedup();
            prop_assert_eq!(days.len(), n);
            let s = siyu::checkin::streak(&m.program, &m.state, now);
            prop_assert!(s.cycle_day <= s.streak.max(s.cycle_day) && s.cycle_day <= 7);
        }
    }

    #[test]
    fn allocation_is_exact_and_never_exceeds_a_line(
        weights in prop::collection::vec(0i64..2_000_000, 1..10),
        pick in 0.0f64..=1.0,
    ) {
        let total: i64 = weights.iter().sum();
        let amount = (total as f64 * pick) as i64;
        let shares = allocate(amount, &weights);
        prop_assert_eq!(shares.len(), weights.len());
        if total > 0 {
            prop_assert_eq!(shares.iter().sum::<i64>(), amount);
        }
        for (s, w) in shares.iter().zip(&weights) {
            prop_assert!(0 <= *s && s <= w, "share {} of weight {}", s, w);
            // Each share is its exact pro-rata part rounded down or up.
            let exact = amount as i128 * *w as i128;
            let floor = if total > 0 { exact / total as i128 } else { 0 };
            prop_assert!(*s as i128 == floor || *s as i128 == floor + 1);
        }
    }
}

// ─────────────────────────── best selection against brute force ───────────────────────────

#[derive(Clone, Debug)]
struct TemplateSpec {
    kind: u8,
    amount: i64,
    bp: i64,
    cap: Option<i64>,
    min_spend: i64,
    scope: u8,
    item_group: bool,
    exclusive: bool,
}

fn template_spec() -> impl Strategy<Value = TemplateSpec> {
    (0u8..5, 1i64..6000, 1i64..5000, prop::option::of(1i64..4000), prop_oneof![Just(0i64), 0i64..30000], 0u8..4, any::<bool>(), prop::bool::weighted(0.15))
        .prop_map(|(kind, amount, bp, cap, min_spend, scope, item_group, exclusive)| TemplateSpec { kind, amount, bp, cap, min_spend, scope, item_group, exclusive })
}

/// A random promotion: multi-buy, bundle, ladder (plain, 每满 or free shipping) or gift, on a
/// random scope, combining with coupons or not.
#[derive(Clone, Debug)]
struct PromoSpec {
    kind: u8,
    n: u32,
    off_bp: i64,
    threshold: i64,
    amount_off: i64,
    scope: u8,
    with_coupons: bool,
    free_shipping: bool,
}

fn promo_spec() -> impl Strategy<Value = PromoSpec> {
    (0u8..7, 2u32..4, 1i64..=10000, 1000i64..30000, 1i64..6000, 0u8..4, prop::bool::weighted(0.6), any::<bool>()).prop_map(
        |(kind, n, off_bp, threshold, amount_off, scope, with_coupons, free_shipping)| PromoSpec { kind, n, off_bp, threshold, amount_off, scope, with_coupons, free_shipping },
    )
}

fn promotion_json(i: usize, p: &PromoSpec) -> serde_json::Value {
    let rule = match p.kind {
        0 => json!({ "type": "nth", "n": p.n, "offBp": p.off_bp }),
        1 => json!({ "type": "minQty", "qty": p.n, "offBp": p.off_bp }),
        2 => json!({ "type": "bundle", "items": [{ "sku": "tea", "qty": 1 }, { "sku": SKUS[(p.n as usize) % 3 + 1], "qty": p.n - 1 }], "price": p.threshold / 2 }),
        3 => json!({ "type": "ladder", "tiers": [
            { "threshold": p.threshold, "amountOff": p.amount_off },
            { "threshold": p.threshold * 2, "offBp": p.off_bp, "freeShipping": p.free_shipping }
        ] }),
        4 => json!({ "type": "ladder", "every": true, "maxTimes": p.n, "tiers": [{ "threshold": p.threshold, "amountOff": p.amount_off }] }),
        5 => json!({ "type": "ladder", "by": "units", "tiers": [{ "threshold": p.n, "freeShipping": true }] }),
        _ => json!({ "type": "gift", "tiers": [{ "threshold": p.threshold, "gift": { "sku": "cookie", "qty": 1 }, "stock": p.n - 2 }] }),
    };
    let scope = match p.scope {
        0 => json!({}),
        1 => json!({ "categories": ["snack"] }),
        2 => json!({ "skus": ["tea", "nuts"] }),
        _ => json!({ "excludeSkus": ["cookie"] }),
    };
    json!({
        "id": format!("p{i}"), "name": format!("p{i}"), "scope": scope, "withCoupons": p.with_coupons, "rule": rule,
        "validity": { "from": at(2026, 11, 1, 0, 0), "to": at(2026, 12, 1, 0, 0) }
    })
}

fn random_program_with(specs: &[TemplateSpec], promos: &[PromoSpec]) -> Program {
    program_with(|v| {
        v["promotions"] = promos.iter().enumerate().map(|(i, p)| promotion_json(i, p)).collect();
        let templates: Vec<serde_json::Value> = specs
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let (kind, group) = match t.kind {
                    0 | 1 => (json!({ "type": "amountOff", "amount": t.amount }), if t.item_group { "item" } else { "order" }),
                    2 | 3 => {
                        let mut k = json!({ "type": "percentOff", "bp": t.bp });
                        if let Some(c) = t.cap {
                            k["maxDiscount"] = json!(c);
                        }
                        (k, if t.item_group { "item" } else { "order" })
                    }
                    _ => (json!({ "type": "freeShipping" }), "shipping"),
                };
                let scope = match t.scope {
                    0 => json!({}),
                    1 => json!({ "categories": ["snack"] }),
                    2 => json!({ "skus": ["tea"] }),
                    _ => json!({ "excludeSkus": ["cookie"] }),
                };
                json!({
                    "id": format!("t{i}"), "name": format!("t{i}"), "kind": kind, "minSpend": t.min_spend, "scope": scope,
                    "stackGroup": group, "exclusive": t.exclusive, "validity": { "type": "relative", "days": 10 }
                })
            })
            .collect();
        v["couponTemplates"] = json!(templates);
        v["gifts"] = json!({});
        v["rewards"] = json!([]);
        v["checkIn"]["streakBonuses"] = json!([]);
        v["birthday"].as_object_mut().unwrap().remove("coupon");
        v["tiers"][1].as_object_mut().unwrap().remove("birthdayCoupon");
        v.as_object_mut().unwrap().remove("referral");
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(512), ..ProptestConfig::default() })]

    #[test]
    fn best_selection_equals_brute_force(
        specs in prop::collection::vec(template_spec(), 1..8),
        promos in prop::collection::vec(promo_spec(), 0..4),
        wallet in prop::collection::vec((0usize..8, 0i64..9, any::<bool>()), 0..=12),
        cart in prop::collection::vec((0usize..4, 1u32..4), 1..4),
        day_of_month in 16u8..22,
        gold in any::<bool>(),
        points in prop_oneof![Just(-1i64), 0i64..5000],
    ) {
        let (m, now) = wallet_case(random_program_with(&specs, &promos), &wallet, day_of_month, gold);
        let items: Vec<(&str, u32)> = cart.iter().map(|(s, q)| (SKUS[*s], *q)).collect();
        let pricer = m.pricer(&items, now);
        let best = pricer.best_selection();
        let brute = pricer.brute_force_selection();
        let mut best_ids = pricer.selection_ids(&best);
        let mut brute_ids = pricer.selection_ids(&brute);
        best_ids.sort();
        brute_ids.sort();
        prop_assert_eq!(&best_ids, &brute_ids);
        // A coupon held by an order awaiting payment is never chosen again.
        let locked: Vec<&str> = m.state.coupons.iter().filter(|c| matches!(c.state, CouponState::Locked { .. })).map(|c| c.id.as_str()).collect();
        prop_assert!(best_ids.iter().all(|id| !locked.contains(&id.as_str())), "{:?} chose a locked coupon of {:?}", best_ids, locked);
        let points = if points < 0 { PointsChoice::Mode(PointsMode::Max) } else { PointsChoice::Amount(points) };
        let q_best = m.quote(&items, CouponChoice::Chosen(best_ids.clone()), points, now);
        let q_brute = m.quote(&items, CouponChoice::Chosen(brute_ids), points, now);
        let q_auto = m.quote(&items, CouponChoice::default(), points, now);
        prop_assert_eq!(q_best.total, q_brute.total);
        prop_assert_eq!(q_auto.total, q_best.total);
        // Every selected coupon is applied and saves something.
        let applied: Vec<String> = q_auto.coupons.iter().map(|c| c.id.clone()).collect();
        let mut applied_sorted = applied.clone();
        applied_sorted.sort();
        prop_assert_eq!(&applied_sorted, &best_ids);
        prop_assert!(q_auto.coupons.iter().all(|c| c.discount > 0));
        // No selection at all is never better.
        let q_none = m.quote(&items, CouponChoice::Mode(CouponMode::None), PointsChoice::Amount(0), now);
        let q_best0 = m.quote(&items, CouponChoice::Chosen(best_ids), PointsChoice::Amount(0), now);
        prop_assert!(q_best0.total <= q_none.total);
        for q in [&q_best, &q_auto, &q_none] {
            prop_assert!(q.total >= 0);
            prop_assert!(q.lines.iter().all(|l| l.paid >= 0));
            prop_assert_eq!(q.lines.iter().map(|l| l.paid).sum::<i64>(), q.paid);
            prop_assert_eq!(q.savings.iter().map(|s| s.amount).sum::<i64>(), q.saved);
            prop_assert!(q.points.used <= q.points.balance.max(0));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(512), ..ProptestConfig::default() })]

    /// Nobody spends a coupon for nothing: removing any coupon of the best selection raises the
    /// total (goods after coupons + shipping).
    #[test]
    fn no_best_selection_holds_a_coupon_whose_removal_leaves_the_total_unchanged(
        specs in prop::collection::vec(template_spec(), 1..8),
        wallet in prop::collection::vec((0usize..8, 0i64..9, any::<bool>()), 0..=12),
        cart in prop::collection::vec((0usize..4, 1u32..4), 1..4),
        day_of_month in 16u8..22,
        gold in any::<bool>(),
        promos in prop::collection::vec(promo_spec(), 0..4),
    ) {
        let (m, now) = wallet_case(random_program_with(&specs, &promos), &wallet, day_of_month, gold);
        let items: Vec<(&str, u32)> = cart.iter().map(|(s, q)| (SKUS[*s], *q)).collect();
        let pricer = m.pricer(&items, now);
        let best = pricer.best_selection();
        let total = pricer.selection_total(&best).unwrap();
        for k in 0..best.len() {
            let rest: Vec<usize> = best.iter().enumerate().filter(|(j, _)| *j != k).map(|(_, c)| *c).collect();
            if let Some(without) = pricer.selection_total(&rest) {
                prop_assert!(without > total, "removing {} leaves {} (was {})", k, without, total);
            }
        }
    }
}

/// A member of a random program holding a random wallet at a random day of the sale week.
fn wallet_case(p: Program, wallet: &[(usize, i64, bool)], day_of_month: u8, gold: bool) -> (Member, Instant) {
    let templates = p.coupon_templates.len();
    let mut m = Member::new(p, 0);
    if gold {
        m.buy("gold", &[("tea", 10)], &[], 0, at(2026, 11, 2, 10, 0)).unwrap();
    }
    m.grant(3000, at(2026, 11, 2, 10, 0));
    let now = at(2026, 11, day_of_month, 12, 0);
    for (i, (t, days_ago, later)) in wallet.iter().enumerate() {
        let t = format!("t{}", t % templates);
        // Different claim times give different expiries; some are not valid yet.
        let issued = now - days_ago * DAY + if *later { 3 * HOUR } else { 0 };
        m.give(&t, &format!("w{i:02}"), issued);
    }
    // Orders in every state: one cancelled, which gave its coupon back, and one awaiting payment
    // (past its deadline, not yet expired by the store) that holds the first coupon it can use.
    let ids: Vec<String> = m.state.coupons.iter().map(|c| c.id.clone()).collect();
    // (A promotion may make the order free: paid at once, nothing to cancel.)
    if ids.iter().any(|id| m.place("undone", &[("tea", 3)], &[id.as_str()], 0, now - 2 * HOUR).is_ok()) && m.state.order("undone").is_some_and(|o| o.is_awaiting_payment()) {
        m.run(Mutation::CancelOrder { order_id: "undone".into() }, now - 90 * 60_000).unwrap();
    }
    let _held = ids.iter().any(|id| m.place("held", &[("tea", 3)], &[id.as_str()], 0, now - HOUR).is_ok());
    (m, now)
}

#[test]
fn apply_is_deterministic_across_fresh_states() {
    // Two replicas (client and server) applying the same mutations at the same instants agree.
    let run = || {
        let mut m = Member::new(program(), at(2026, 11, 16, 8, 0));
        let mut all = Vec::new();
        for (mutation, now) in [
            (Mutation::CheckIn {}, at(2026, 11, 16, 9, 0)),
            (Mutation::ClaimCoupon { template: "pct-10".into() }, at(2026, 11, 16, 9, 1)),
            (
                Mutation::PlaceOrder { order_id: "o1".into(), lines: lines(&[("tea", 2)]), coupons: vec!["c-2-0".into()], points: 0, expected_total: 18000 },
                at(2026, 11, 16, 9, 2),
            ),
            (Mutation::ConfirmPayment { order_id: "o1".into(), amount: 18000, transaction_id: Some("tx".into()) }, at(2026, 11, 16, 9, 4)),
            (Mutation::RefundOrder { order_id: "o1".into() }, at(2026, 11, 17, 9, 0)),
        ] {
            let by_store = mutation.is_store_only();
            all.push(if by_store { m.as_store(mutation, now) } else { m.run(mutation, now) }.unwrap());
        }
        (all, m.state)
    };
    let (a, sa): (Vec<Vec<Effect>>, MemberState) = run();
    let (b, sb) = run();
    assert_eq!(a, b);
    assert_eq!(sa, sb);
    assert_eq!(serde_json::to_string(&sa).unwrap(), serde_json::to_string(&sb).unwrap());
}

#[test]
fn pricer_is_reusable_for_both_searches() {
    let mut m = Member::new(program(), 0);
    let now = at(2026, 11, 19, 10, 0);
    for (i, t) in ["snack-5", "pct-10", "new-10", "ship", "solo-20", "full-200-30"].iter().enumerate() {
        m.give(t, &format!("w{i}"), now - i as i64 * DAY);
    }
    let pricer: Pricer<'_> = m.pricer(&[("nuts", 1)], now);
    assert_eq!(pricer.best_selection(), pricer.brute_force_selection());
}

// ─────────────────────────── no panic at any instant ───────────────────────────

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(128), ..ProptestConfig::default() })]

    /// `now` comes from a device: every view and mutation copes with any instant, even absurd ones.
    #[test]
    fn any_instant_is_handled_without_panicking(
        now in prop_oneof![any::<i64>(), Just(i64::MIN), Just(i64::MAX), Just(i64::MAX - 1), -1i64..1],
        year in any::<i32>(),
        month in 0u8..14,
        trailing in any::<bool>(),
    ) {
        let p = if trailing { program_with(|v| v["growth"] = json!({ "type": "trailingDays", "days": 30 })) } else { program() };
        let mut m = Member::new(p, at(2026, 11, 1, 0, 0));
        m.grant(5000, at(2026, 11, 1, 0, 0));
        m.give("new-10", "n", at(2026, 11, 1, 0, 0));
        m.buy("o0", &[("tea", 10)], &[], 0, at(2026, 11, 2, 0, 0)).unwrap();
        m.check_in(at(2026, 11, 2, 9, 0)).unwrap();
        m.state.birthday = siyu::time::MonthDay::parse("02-29");
        let p = m.program.clone();
        let gold = p.tiers[1].clone();
        let _ = p.business_day(now);
        let _ = siyu::checkin::streak(&p, &m.state, now);
        let _ = siyu::checkin::calendar(&p, &m.state, year, month, now);
        let _ = siyu::checkin::calendar(&p, &m.state, 2026, 11, now);
        let _ = siyu::points::summary(&m.state, now);
        let _ = siyu::tiers::progress(&p, &m.state, now);
        let _ = siyu::member_day::status(&p, &gold, now);
        let _ = siyu::coupons::wallet(&p, &m.state, now, &[]);
        let _ = siyu::coupons::claim_centre(&p, &m.state, &m.stock, now);
        let _ = siyu::segments::of(&m.state, now);
        let _ = siyu::reminders::due(&p, &m.state, now);
        let q = m.quote(&[("tea", 1), ("honey", 1)], CouponChoice::default(), PointsChoice::Mode(PointsMode::Max), now);
        prop_assert!(q.total >= 0);
        for mutation in [
            Mutation::CheckIn {},
            Mutation::MakeupCheckIn { day: day(2026, 11, 1) },
            Mutation::ClaimCoupon { template: "bday".into() },
            Mutation::ClaimCoupon { template: "lapsing-20".into() },
            Mutation::RedeemReward { reward: "r-coupon".into() },
            Mutation::PlaceOrder { order_id: "o1".into(), lines: lines(&[("tea", 1)]), coupons: vec!["n".into()], points: 100, expected_total: q.total },
            Mutation::RefundOrder { order_id: "o0".into() },
        ] {
            let mut mm = Member { program: m.program.clone(), state: m.state.clone(), stock: m.stock.clone(), client: "c".into(), next_id: 9, store_next: 1 };
            let _ = mm.run(mutation, now);
            check_invariants(&mm, now)?;
        }
    }
}

// ─────────────── §12: moving the past to the archive changes no rule ───────────────

#[derive(Clone, Debug)]
enum LongOp {
    /// Move the clock forward by this many hours.
    Wait(i64),
    CheckIn,
    Makeup(i32),
    Claim(usize),
    Redeem(usize),
    /// Lines, and whether to pick the available coupons at these indices instead of the best.
    Order(Vec<(usize, u32)>, Option<Vec<usize>>),
    /// The n-th order ever placed (it may have moved to the archive).
    Refund(usize),
    /// The store's payment result for the n-th order (exact total).
    Pay(usize),
    Cancel(usize),
    Expire(usize),
    SetBirthday(u8, u8),
}

fn long_op() -> impl Strategy<Value = LongOp> {
    prop_oneof![
        4 => (1i64..24 * 20).prop_map(LongOp::Wait),
        4 => Just(LongOp::CheckIn),
        1 => (1i32..5).prop_map(LongOp::Makeup),
        2 => (0usize..16).prop_map(LongOp::Claim),
        1 => (0usize..3).prop_map(LongOp::Redeem),
        3 => (prop::collection::vec((0usize..4, 1u32..3), 1..3), prop::option::of(prop::collection::vec(0usize..6, 0..3)))
            .prop_map(|(l, c)| LongOp::Order(l, c)),
        1 => (0usize..40).prop_map(LongOp::Refund),
        3 => (0usize..40).prop_map(LongOp::Pay),
        1 => (0usize..40).prop_map(LongOp::Cancel),
        1 => (0usize..40).prop_map(LongOp::Expire),
        1 => (1u8..13, 1u8..29).prop_map(|(m, d)| LongOp::SetBirthday(m, d)),
    ]
}

/// Everything a shopper or a rule reads of a member at `now`, for comparing two members.
fn views(m: &Member, now: Instant) -> serde_json::Value {
    let (p, s) = (&m.program, &m.state);
    let today = p.business_day(now);
    let previous = today.first_of_month().plus(-1);
    let cart = lines(&[("tea", 1), ("nuts", 2), ("cookie", 1), ("honey", 1)]);
    let quote = |coupons: CouponChoice| {
        siyu::quote::quote(p, s, &m.stock, &siyu::quote::QuoteRequest { lines: cart.clone(), coupons, points: PointsChoice::Mode(PointsMode::Max) }, now)
            .map(|q| serde_json::to_value(q).unwrap())
            .map_err(|e| siyu::Rejection::from(e).code())
    };
    let tier = siyu::tiers::current_tier(p, s, now);
    json!({
        "streak": siyu::checkin::streak(p, s, now),
        "calendar": siyu::checkin::calendar(p, s, today.year(), today.month(), now),
        "previousMonth": siyu::checkin::calendar(p, s, previous.year(), previous.month(), now),
        "points": siyu::points::summary(s, now),
        "tier": siyu::tiers::progress(p, s, now),
        "memberDay": siyu::member_day::status(p, tier, now),
        "segments": siyu::segments::of(s, now),
        "wallet": siyu::coupons::wallet(p, s, now, &[]),
        "claimCentre": siyu::coupons::claim_centre(p, s, &m.stock, now),
        "reminders": siyu::reminders::due(p, s, now),
        "bestQuote": quote(CouponChoice::Mode(CouponMode::Best)).unwrap_or_else(|c| json!(c)),
        "noCouponQuote": quote(CouponChoice::Mode(CouponMode::None)).unwrap_or_else(|c| json!(c)),
    })
}

/// Lots by expiry, not by id: compaction merges live lots that expire together, so which lots a
/// debit names may differ while the points per expiry do not. Lot lists become per-expiry sums.
fn by_expiry(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| match (k.as_str(), v) {
                    ("lots" | "spentLots", Value::Array(items)) if items.iter().all(|i| i.get("lot").is_some()) => {
                        let sum: i64 = items.iter().map(|i| i["points"].as_i64().unwrap()).sum();
                        (k, json!(sum))
                    }
                    ("lots", Value::Array(items)) => {
                        let mut sums: std::collections::BTreeMap<String, i64> = Default::default();
                        for i in &items {
                            *sums.entry(i["expiresAt"].to_string()).or_default() += i["remaining"].as_i64().unwrap();
                        }
                        (k, json!(sums))
                    }
                    (_, v) => (k, by_expiry(v)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(by_expiry).collect()),
        v => v,
    }
}

/// A program whose windows the histories below cross: check-in cycle, growth basis, expiry.
fn long_program(variant: u8) -> Program {
    program_with(|p| {
        p["checkIn"]["cycle"] = json!(["weekly", "monthly", "rolling"][variant as usize % 3]);
        if variant % 2 == 1 {
            p["growth"] = json!({ "type": "trailingDays", "days": 60 });
            p["points"]["expiry"] = json!({ "type": "rollingDays", "days": 45 });
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(96), ..ProptestConfig::default() })]

    /// Two members live the same random year or two; one has its past moved to an archive
    /// after every change (as the server does after a push). Every decision and every view is
    /// the same at every step, and archive + working state = the whole history.
    #[test]
    fn compaction_changes_no_decision_and_loses_nothing(variant in 0u8..6, ops in prop::collection::vec(long_op(), 20..160)) {
        use siyu::compact::{compact, Archived};
        let start = at(2026, 1, 5, 9, 0);
        let mut full = Member::new(long_program(variant), start);
        full.grant(5000, start);
        let mut lean = Member::new(long_program(variant), start);
        lean.grant(5000, start);
        let mut archive = Archived::default();
        let mut orders: Vec<String> = Vec::new();
        let mut now = start + HOUR;
        for (n, op) in ops.iter().enumerate() {
            let p = &full.program;
            let mutation = match op {
                LongOp::Wait(hours) => {
                    now += hours * HOUR;
                    None
                }
                LongOp::CheckIn => Some(Mutation::CheckIn {}),
                LongOp::Makeup(back) => Some(Mutation::MakeupCheckIn { day: p.business_day(now).plus(-back) }),
                LongOp::Claim(i) => Some(Mutation::ClaimCoupon { template: p.coupon_templates[*i % p.coupon_templates.len()].id.clone() }),
                LongOp::Redeem(i) => Some(Mutation::RedeemReward { reward: p.rewards.get(*i).map_or("nope".into(), |r| r.id.clone()) }),
                LongOp::Order(items, chosen) => {
                    let items: Vec<(&str, u32)> = items.iter().map(|(s, q)| (SKUS[*s], *q)).collect();
                    let choice = match chosen {
                        None => CouponChoice::Mode(CouponMode::Best),
                        Some(ix) => {
                            let available: Vec<&siyu::state::CouponInstance> = full.state.coupons.iter().filter(|c| c.state == CouponState::Available).collect();
                            CouponChoice::Chosen(ix.iter().filter_map(|i| available.get(*i)).map(|c| c.id.clone()).collect())
                        }
                    };
                    let q = full.quote(&items, choice.clone(), PointsChoice::Amount(0), now);
                    let coupons = match choice {
                        CouponChoice::Chosen(ids) => ids,
                        _ => q.coupons.iter().map(|c| c.id.clone()).collect(),
                    };
                    orders.push(format!("o{n}"));
                    Some(Mutation::PlaceOrder { order_id: format!("o{n}"), lines: lines(&items), coupons, points: 0, expected_total: q.total })
                }
                LongOp::Refund(i) => Some(Mutation::RefundOrder { order_id: orders.get(*i % orders.len().max(1)).cloned().unwrap_or_else(|| "none".into()) }),
                LongOp::Pay(i) => orders.get(*i % orders.len().max(1)).map(|id| Mutation::ConfirmPayment {
                    order_id: id.clone(),
                    amount: full.state.order(id).map_or(0, |o| o.total),
                    transaction_id: None,
                }),
                LongOp::Cancel(i) => orders.get(*i % orders.len().max(1)).map(|id| Mutation::CancelOrder { order_id: id.clone() }),
                LongOp::Expire(i) => orders.get(*i % orders.len().max(1)).map(|id| Mutation::ExpireOrder { order_id: id.clone() }),
                LongOp::SetBirthday(mo, d) => siyu::time::MonthDay::parse(&format!("{mo:02}-{d:02}")).map(|birthday| Mutation::SetBirthday { birthday }),
            };
            if let Some(mutation) = mutation {
                let by_store = mutation.is_store_only();
                let expected = if by_store { full.as_store(mutation.clone(), now) } else { full.run(mutation.clone(), now) };
                // The lean member's server knows the archive: an order id it no longer holds is looked up there.
                let named = mutation.order_id().map(str::to_string);
                let archived_order = named
                    .filter(|id| lean.state.order(id).is_none())
                    .and_then(|id| archive.orders.iter().find(|o| o.id == id).map(siyu::apply::ArchivedOrder::of));
                let (client, id) = if by_store { (siyu::apply::STORE_CLIENT.to_string(), lean.store_next) } else { (lean.client.clone(), lean.next_id) };
                let ctx = Ctx { now, client_id: &client, mutation_id: id, stock: &lean.stock, archived_order, referral_code: None };
                let got = apply(&lean.program, &lean.state, &mutation, &ctx).map(|a| a.effects);
                prop_assert_eq!(got.as_ref().map(|_| ()).map_err(|e| e.code()), expected.as_ref().map(|_| ()).map_err(|e| e.code()), "step {} {:?}", n, mutation);
                prop_assert_eq!(got.as_ref().ok().map(|e| by_expiry(json!(e))), expected.as_ref().ok().map(|e| by_expiry(json!(e))), "step {} {:?}", n, mutation);
                if let Ok(effects) = &got {
                    siyu::apply::apply_effects(&mut lean.state, effects);
                    siyu::apply::apply_stock(&mut lean.stock, effects);
                    if by_store {
                        lean.store_next += 1;
                    } else {
                        lean.next_id += 1;
                    }
                }
            }
            let (compacted, moved) = compact(&lean.program, &lean.state, now);
            // Pure: the same input gives the same output.
            prop_assert_eq!(&compact(&lean.program, &lean.state, now), &(compacted.clone(), moved.clone()));
            lean.state = compacted;
            archive.check_ins.extend(moved.check_ins);
            archive.lots.extend(moved.lots);
            archive.ledger.extend(moved.ledger);
            archive.orders.extend(moved.orders);
            archive.coupons.extend(moved.coupons);
            archive.redemptions.extend(moved.redemptions);
            prop_assert_eq!(by_expiry(views(&lean, now)), by_expiry(views(&full, now)), "step {} at {}", n, now);
            prop_assert_eq!(by_expiry(json!({ "lots": lean.state.lots.iter().filter(|l| siyu::points::is_live(l, now)).collect::<Vec<_>>() })),
                by_expiry(json!({ "lots": full.state.lots.iter().filter(|l| siyu::points::is_live(l, now)).collect::<Vec<_>>() })));
        }
        // The state stays one page of ledger and the months the rules read.
        prop_assert!(lean.state.ledger.len() <= siyu::compact::LEDGER_KEPT);
        prop_assert!(lean.state.check_ins.iter().all(|c| (now - c.at) <= 100 * DAY), "{:?}", lean.state.check_ins.first());
        // Nothing is lost: archive + working state = the whole history.
        let (f, l) = (&full.state, &lean.state);
        prop_assert_eq!(archive.check_ins.len() + l.check_ins.len(), f.check_ins.len());
        prop_assert_eq!(archive.ledger.len() + l.ledger.len(), f.ledger.len());
        prop_assert_eq!(archive.ledger.iter().chain(&l.ledger).map(|e| e.delta).sum::<i64>(), f.ledger.iter().map(|e| e.delta).sum::<i64>());
        // Every lot credited is in the archive or still in the state; merged lots hold their points.
        let credited = |lots: &[siyu::state::PointLot]| lots.iter().filter(|l| l.source != siyu::compact::MERGED).count();
        prop_assert_eq!(credited(&archive.lots) + credited(&l.lots), f.lots.len());
        prop_assert_eq!(archive.orders.len() + l.orders.len(), f.orders.len());
        prop_assert_eq!(archive.orders.iter().chain(&l.orders).map(|o| o.paid).sum::<i64>(), f.orders.iter().map(|o| o.paid).sum::<i64>());
        prop_assert_eq!(archive.coupons.len() + l.coupons.len(), f.coupons.len());
        prop_assert_eq!(archive.redemptions.len() + l.redemptions.len(), f.redemptions.len());
        prop_assert_eq!(l.past.ledger_entries as usize, archive.ledger.len());
    }
}

// ───────────────────────────── the validator's extremes ─────────────────────────────

/// A limit the validator takes, or a value inside it: the extremes come up often.
fn up_to(max: i64) -> impl Strategy<Value = i64> {
    prop_oneof![2 => Just(max), 1 => Just(1i64), 3 => 1..=max]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(128), ..ProptestConfig::default() })]

    /// Every program the validator accepts prices every cart of at most 100 lines × 999 units
    /// (and the order at that price is placed), or the validator refuses it naming the field:
    /// no accepted program answers an ordinary cart AMOUNT_TOO_LARGE.
    #[test]
    fn every_program_the_validator_accepts_prices_every_cart(
        price in up_to(100_000_000),
        per_yuan in prop_oneof![Just(10_000i64), Just(0i64), 0i64..=10_000],
        tier_bp in up_to(1_000_000),
        promo_bp in up_to(1_000_000),
        lines in prop_oneof![Just(100usize), 1usize..=100],
        qty in prop_oneof![Just(999u32), 1u32..=999],
    ) {
        let mut v = program_json();
        for sku in v["catalog"].as_array_mut().unwrap() {
            sku["listPrice"] = json!(price);
            sku["memberPrices"] = json!({});
        }
        v["points"]["pointsPerYuan"] = json!(per_yuan);
        for t in v["tiers"].as_array_mut().unwrap() {
            t["pointsMultiplierBp"] = json!(tier_bp);
        }
        v["memberDay"]["pointsMultiplierBp"] = json!(promo_bp);
        v["birthday"]["pointsMultiplierBp"] = json!(promo_bp);
        match Program::from_json(&v.to_string()) {
            Err(e) => {
                let details = e.details();
                prop_assert_eq!(details["path"].as_str(), Some("points.pointsPerYuan"), "{}", e);
            }
            Ok(program) => {
                // On a member day (the promo multiplier applies), lines of the SKUs without a sale.
                let wednesday = at(2026, 11, 25, 10, 0);
                let mut m = Member::new(program, 0);
                let items: Vec<(&str, u32)> = (0..lines).map(|i| (["tea", "nuts", "cookie"][i % 3], qty)).collect();
                let q = m.quote(&items, CouponChoice::Mode(CouponMode::None), PointsChoice::Amount(0), wednesday);
                prop_assert!(q.total > 0 && q.points.earn >= 0);
                let placed = m.buy("o-big", &items, &[], 0, wednesday);
                prop_assert!(placed.is_ok(), "{:?}", placed.err());
            }
        }
    }
}
