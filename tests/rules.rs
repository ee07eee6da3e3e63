//! Worked examples of every rulebook section (§0–§11) on the small test program of
//! `tests/common`. docs/rules.md restates the same examples with the same numbers.

// The same tests run in the browser (`wasm-pack test --headless --chrome`): the build that ships
// is the wasm one, with its own i128 and f64 code paths.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;

use common::*;
use serde_json::json;
use siyu::apply::{apply, Ctx, Effect, Mutation};
use siyu::checkin::DayStatus;
use siyu::coupons::CouponStatus;
use siyu::program::Program;
use siyu::quote::{allocate, AdjustmentKind, CouponChoice, CouponMode, LineFlag, PointsChoice, PointsMode, UnusableReason};
use siyu::reminders::Reminder;
use siyu::segments::{Lifecycle, PriceSensitivity};
use siyu::state::{CancelledBy, CheckInKind, CouponState, LotAmount, MemberState, Order, OrderLine, OrderStatus, PointLot};
use siyu::stock::Counter;
use siyu::time::{Day, Instant, MonthDay};
use siyu::{Rejection, Stock};

fn code<T: std::fmt::Debug>(r: Result<T, Rejection>) -> String {
    match r {
        Ok(v) => panic!("expected a rejection, got {v:?}"),
        Err(e) => e.code().to_string(),
    }
}

fn rejection<T: std::fmt::Debug>(r: Result<T, Rejection>) -> Rejection {
    match r {
        Ok(v) => panic!("expected a rejection, got {v:?}"),
        Err(e) => e,
    }
}

fn ids_of(coupons: &[siyu::quote::UsableCoupon]) -> Vec<&str> {
    coupons.iter().map(|c| c.id.as_str()).collect()
}

/// (streak, cycle day, points credited) of a check-in.
fn checked(effects: &[Effect]) -> (u32, u32, i64) {
    let (streak, cycle_day) = effects
        .iter()
        .find_map(|e| match e {
            Effect::CheckedIn { streak, cycle_day, .. } => Some((*streak, *cycle_day)),
            _ => None,
        })
        .expect("a check-in effect");
    (streak, cycle_day, credited(effects))
}

fn none() -> CouponChoice {
    CouponChoice::Mode(CouponMode::None)
}

fn chosen(ids: &[&str]) -> CouponChoice {
    CouponChoice::Chosen(ids.iter().map(|s| s.to_string()).collect())
}

fn no_points() -> PointsChoice {
    PointsChoice::Amount(0)
}

// ───────────────────────────── §0 Units, time, determinism ─────────────────────────────

#[test]
fn s0_business_day_is_the_date_in_china_time() {
    let p = program();
    // 2026-11-16 23:59 China time is 15:59 UTC; one minute later it is 17 Nov in China.
    let before = at(2026, 11, 16, 23, 59);
    let after = at(2026, 11, 17, 0, 0);
    assert_eq!(before, 1_794_844_740_000); // 2026-11-16T15:59:00Z
    assert_eq!(after - before, 60_000);
    assert_eq!(p.business_day(before).to_string(), "2026-11-16");
    assert_eq!(p.business_day(after).to_string(), "2026-11-17");
    // The same instant is still 16 Nov in a UTC program.
    let utc = program_with(|v| v["utcOffsetMinutes"] = json!(0));
    assert_eq!(utc.business_day(after).to_string(), "2026-11-16");
    // Weeks start on Monday.
    assert_eq!(day(2026, 11, 16).weekday(), 1);
    assert_eq!(day(2026, 11, 22).weekday(), 7);
    assert_eq!(day(2026, 11, 22).monday(), day(2026, 11, 16));
}

#[test]
fn s0_check_ins_one_minute_apart_across_midnight_are_two_days() {
    let mut m = Member::new(program(), at(2026, 11, 16, 8, 0));
    assert_eq!(checked(&m.check_in(at(2026, 11, 16, 23, 59)).unwrap()), (1, 1, 5));
    assert_eq!(checked(&m.check_in(at(2026, 11, 17, 0, 0)).unwrap()), (2, 2, 5));
    let again = rejection(m.check_in(at(2026, 11, 17, 0, 1)));
    assert_eq!(again.code(), "ALREADY_CHECKED_IN");
    assert_eq!(again.details(), json!({ "day": "2026-11-17" }));
}

#[test]
fn s0_apply_is_pure_and_ids_come_from_client_and_mutation_id() {
    let p = program();
    let state = MemberState::new("m1", 0);
    let stock = Stock::initial(&p);
    let ctx = Ctx { now: at(2026, 11, 22, 10, 0), client_id: "phone", mutation_id: 7, stock: &stock, archived_order: None, referral_code: None };
    let m = Mutation::ClaimCoupon { template: "pct-10".into() };
    let a = apply(&p, &state, &m, &ctx).unwrap();
    let b = apply(&p, &state, &m, &ctx).unwrap();
    assert_eq!(a, b);
    assert_eq!(issued(&a.effects), vec!["phone-7-0".to_string()]);
    // Money is integer fen: ¥100.00 is 10000.
    assert_eq!(siyu::error::yuan(10000), "¥100.00");
    assert_eq!(siyu::error::yuan(-5), "-¥0.05");
}

#[test]
fn s0_mutations_are_json_with_named_paths_on_errors() {
    let m = Mutation::from_json(r#"{"name":"makeupCheckIn","args":{"day":"2026-11-19"}}"#).unwrap();
    assert_eq!(m, Mutation::MakeupCheckIn { day: day(2026, 11, 19) });
    let bad = Mutation::from_json(r#"{"name":"placeOrder","args":{"orderId":"o1","lines":[{"sku":"tea","qty":-1}],"expectedTotal":0}}"#);
    let e = rejection(bad);
    assert_eq!(e.code(), "INVALID_INPUT");
    assert_eq!(e.details()["path"], json!("args.lines[0].qty"));
}

// ───────────────────────────────────── §1 Check-in ─────────────────────────────────────

#[test]
fn s1_weekly_streak_with_day_3_and_day_7_bonuses_resets_on_monday() {
    // Mon 16 … Sun 22 Nov 2026, then Mon 23. Wed 18 is member day (+10 check-in bonus).
    let mut m = Member::new(program(), at(2026, 11, 16, 8, 0));
    let mut got = Vec::new();
    for d in 16..=23 {
        got.push(checked(&m.check_in(at(2026, 11, d, 9, 0)).unwrap()));
    }
    assert_eq!(
        got,
        vec![
            (1, 1, 5),
            (2, 2, 5),
            (3, 3, 5 + 10 + 10), // day-3 bonus + member-day bonus
            (4, 4, 5),
            (5, 5, 5),
            (6, 6, 5),
            (7, 7, 5 + 30), // day-7 bonus and a coupon
            (8, 1, 5),      // Monday: a new week, the streak goes on
        ]
    );
    assert_eq!(m.balance(at(2026, 11, 23, 10, 0)), 90);
    let coupons: Vec<_> = m.state.coupons.iter().map(|c| (c.template.as_str(), c.source.as_str())).collect();
    assert_eq!(coupons, vec![("streak-5", "checkIn")]);
}

#[test]
fn s1_streak_view_and_next_bonus() {
    let mut m = Member::new(program(), at(2026, 11, 16, 8, 0));
    for d in 16..=21 {
        m.check_in(at(2026, 11, d, 9, 0)).unwrap();
    }
    // Sunday morning, not yet checked in: yesterday's run is 6, today would be day 7.
    let s = siyu::checkin::streak(&m.program, &m.state, at(2026, 11, 22, 8, 0));
    assert_eq!((s.streak, s.cycle_day, s.checked_in_today, s.todays_reward), (6, 6, false, 35));
    let next = s.next_bonus.unwrap();
    assert_eq!((next.day, next.in_days, next.points), (7, 0, 30));
    assert_eq!(next.coupons, vec!["streak-5".to_string()]);
    // Next Monday without checking in on Sunday: the week is over, the cycle starts again.
    let s = siyu::checkin::streak(&m.program, &m.state, at(2026, 11, 23, 8, 0));
    assert_eq!((s.streak, s.cycle_day, s.todays_reward), (0, 0, 5));
    assert_eq!(s.next_bonus.map(|b| (b.day, b.in_days)), Some((3, 2)));
}

#[test]
fn s1_a_missed_day_breaks_the_streak() {
    let mut m = Member::new(program(), at(2026, 11, 16, 8, 0));
    m.check_in(at(2026, 11, 16, 9, 0)).unwrap();
    m.check_in(at(2026, 11, 17, 9, 0)).unwrap();
    // Wed 18 missed.
    assert_eq!(checked(&m.check_in(at(2026, 11, 19, 9, 0)).unwrap()), (1, 1, 5));
}

#[test]
fn s1_rolling_cycle_never_resets_but_on_a_miss() {
    let p = program_with(|v| {
        v["checkIn"]["cycle"] = json!("rolling");
        v.as_object_mut().unwrap().remove("memberDay");
    });
    let mut m = Member::new(p, at(2026, 11, 21, 8, 0));
    // Sat 21, Sun 22, Mon 23: Monday is day 3 of the streak.
    let got: Vec<_> = [21, 22, 23].iter().map(|d| checked(&m.check_in(at(2026, 11, *d, 9, 0)).unwrap())).collect();
    assert_eq!(got, vec![(1, 1, 5), (2, 2, 5), (3, 3, 15)]);
    for d in 24..=26 {
        m.check_in(at(2026, 11, d, 9, 0)).unwrap();
    }
    assert_eq!(checked(&m.check_in(at(2026, 11, 27, 9, 0)).unwrap()), (7, 7, 35));
    assert_eq!(checked(&m.check_in(at(2026, 11, 28, 9, 0)).unwrap()), (8, 8, 5));
    // Sun 29 missed: Mon 30 starts again.
    assert_eq!(checked(&m.check_in(at(2026, 11, 30, 9, 0)).unwrap()), (1, 1, 5));
}

#[test]
fn s1_monthly_cycle_resets_on_the_first() {
    let p = program_with(|v| {
        v["checkIn"]["cycle"] = json!("monthly");
        v.as_object_mut().unwrap().remove("memberDay");
    });
    let mut m = Member::new(p, at(2026, 11, 29, 8, 0));
    let mut got = Vec::new();
    for (mo, d) in [(11, 29), (11, 30), (12, 1), (12, 2), (12, 3)] {
        got.push(checked(&m.check_in(at(2026, mo, d, 9, 0)).unwrap()));
    }
    assert_eq!(got, vec![(1, 1, 5), (2, 2, 5), (3, 1, 5), (4, 2, 5), (5, 3, 15)]);
}

#[test]
fn s1_makeup_fills_a_missed_day_restores_the_streak_and_grants_nothing() {
    let mut m = Member::new(program(), at(2026, 11, 16, 8, 0));
    m.grant(200, at(2026, 11, 16, 8, 0));
    m.check_in(at(2026, 11, 16, 9, 0)).unwrap(); // Mon: +5
    // Tue 17 missed.
    assert_eq!(checked(&m.check_in(at(2026, 11, 18, 9, 0)).unwrap()), (1, 1, 15)); // Wed, member day
    // Thu 19 missed. Friday: make up Thursday and Tuesday (3 days back, the window's edge).
    let e = m.makeup(day(2026, 11, 19), at(2026, 11, 20, 9, 0)).unwrap();
    assert_eq!(credited(&e), 0);
    assert!(e.iter().any(|e| matches!(e, Effect::PointsDebited { lots, .. } if lots.iter().map(|l| l.points).sum::<i64>() == 20)));
    m.makeup(day(2026, 11, 17), at(2026, 11, 20, 9, 1)).unwrap();
    assert_eq!(m.balance(at(2026, 11, 20, 9, 1)), 200 + 5 + 15 - 40);
    // The run Mon–Fri is whole again: Friday is day 5.
    assert_eq!(checked(&m.check_in(at(2026, 11, 20, 9, 2)).unwrap()), (5, 5, 5));
    assert_eq!(m.balance(at(2026, 11, 20, 9, 2)), 185);

    // The month's calendar.
    let cal = siyu::checkin::calendar(&m.program, &m.state, 2026, 11, at(2026, 11, 20, 10, 0)).unwrap();
    let status = |d: usize| cal.days[d - 1].status;
    assert_eq!(cal.days.len(), 30);
    assert_eq!(
        (status(15), status(16), status(17), status(18), status(19), status(20), status(21)),
        (DayStatus::BeforeJoining, DayStatus::Checked, DayStatus::MadeUp, DayStatus::Checked, DayStatus::MadeUp, DayStatus::Checked, DayStatus::Future)
    );
    assert!(cal.days[17].member_day && !cal.days[18].member_day);
    assert!(!cal.days[14].can_make_up); // 15 Nov: before joining, last week, and no makeups left
    assert_eq!((cal.makeup_cost, cal.makeups_left_this_month), (Some(20), 0));
    assert_eq!(cal.streak.streak, 5);

    // Sat and Sun complete the week: the made-up days count for the day-7 bonus.
    m.check_in(at(2026, 11, 21, 9, 0)).unwrap();
    assert_eq!(checked(&m.check_in(at(2026, 11, 22, 9, 0)).unwrap()), (7, 7, 35));

    // Two makeups were made in November: a third is refused, even for a day in the window.
    let e = rejection(m.makeup(day(2026, 11, 23), at(2026, 11, 24, 9, 0)));
    assert_eq!((e.code(), e.details()), ("MAKEUP_LIMIT_REACHED", json!({ "maxPerMonth": 2 })));
    // A makeup made on 1 Dec counts for December, even for a November day.
    m.makeup(day(2026, 11, 30), at(2026, 12, 1, 9, 0)).unwrap();
    assert_eq!(checked(&m.check_in(at(2026, 12, 1, 9, 1)).unwrap()).1, 2);
}

#[test]
fn s1_makeup_window_cycle_and_cost() {
    let mut m = Member::new(program(), at(2026, 11, 16, 8, 0));
    m.grant(100, at(2026, 11, 16, 8, 0));
    let sun = at(2026, 11, 22, 9, 0);
    // Wed 18 is 4 days back: outside the 3-day window.
    let e = rejection(m.makeup(day(2026, 11, 18), sun));
    assert_eq!((e.code(), e.details()), ("MAKEUP_OUT_OF_WINDOW", json!({ "day": "2026-11-18", "rule": "window", "windowDays": 3 })));
    m.makeup(day(2026, 11, 20), sun).unwrap();
    // Monday: Sat 21 is in the window but in last week's cycle; the details name the cycle.
    let e = rejection(m.makeup(day(2026, 11, 21), at(2026, 11, 23, 9, 0)));
    assert_eq!((e.code(), e.details()), ("MAKEUP_OUT_OF_WINDOW", json!({ "day": "2026-11-21", "rule": "cycle", "cycleStart": "2026-11-23" })));
    assert!(e.message().contains("outside the current cycle"), "{}", e.message());
    // Today, the future, and a day already filled are not missed days.
    assert_eq!(code(m.makeup(day(2026, 11, 23), at(2026, 11, 23, 9, 0))), "MAKEUP_DAY_NOT_MISSED");
    assert_eq!(code(m.makeup(day(2026, 11, 24), at(2026, 11, 23, 9, 0))), "MAKEUP_DAY_NOT_MISSED");
    assert_eq!(code(m.makeup(day(2026, 11, 20), at(2026, 11, 21, 9, 0))), "MAKEUP_DAY_NOT_MISSED");
    // 80 points left: enough for 4 more makeups but the month allows one more.
    let mut poor = Member::new(program(), at(2026, 11, 16, 8, 0));
    poor.grant(10, at(2026, 11, 16, 8, 0));
    let e = rejection(poor.makeup(day(2026, 11, 21), sun));
    assert_eq!((e.code(), e.details()), ("INSUFFICIENT_POINTS", json!({ "needed": 20, "balance": 10 })));
    let p = program_with(|v| {
        v["checkIn"].as_object_mut().unwrap().remove("makeup");
    });
    let mut none = Member::new(p, 0);
    assert_eq!(code(none.makeup(day(2026, 11, 21), sun)), "MAKEUP_NOT_OFFERED");
}

// ────────────────────────────────────── §2 Points ──────────────────────────────────────

fn lot(id: &str, points: i64, earned_at: i64, expires_at: Option<i64>) -> PointLot {
    PointLot { id: id.into(), points, remaining: points, earned_at, expires_at, source: "test".into(), available_at: None }
}

#[test]
fn s2_expiry_policies() {
    let earned = at(2026, 11, 22, 12, 0);
    // yearEnd 1: through 31 Dec of next year.
    assert_eq!(siyu::points::expiry_of(&program(), earned), Some(day(2028, 1, 1).start(OFFSET)));
    let this_year = program_with(|v| v["points"]["expiry"] = json!({ "type": "yearEnd", "years": 0 }));
    assert_eq!(siyu::points::expiry_of(&this_year, earned), Some(day(2027, 1, 1).start(OFFSET)));
    // rollingDays 30: through the end of 22 Dec.
    let rolling = program_with(|v| v["points"]["expiry"] = json!({ "type": "rollingDays", "days": 30 }));
    assert_eq!(siyu::points::expiry_of(&rolling, earned), Some(day(2026, 12, 23).start(OFFSET)));
    let never = program_with(|v| v["points"]["expiry"] = json!({ "type": "never" }));
    assert_eq!(siyu::points::expiry_of(&never, earned), None);

    let mut m = Member::new(program(), earned);
    m.grant(100, earned);
    assert_eq!(m.balance(at(2027, 12, 31, 23, 59)), 100);
    assert_eq!(m.balance(at(2028, 1, 1, 0, 0)), 0);
    let s = siyu::points::summary(&m.state, at(2027, 12, 10, 0, 0));
    assert_eq!((s.balance, s.expiring_soon, s.expired_total), (100, 100, 0));
    let s = siyu::points::summary(&m.state, at(2028, 1, 2, 0, 0));
    assert_eq!((s.balance, s.expired_total, s.earned_total), (0, 100, 100));
}

#[test]
fn s2_spending_takes_soonest_expiring_then_oldest_never_expiring_last() {
    let dec1 = day(2026, 12, 1).start(OFFSET);
    let mut state = MemberState::new("m1", 0);
    state.lots = vec![
        lot("a", 100, at(2026, 11, 1, 0, 0), None),
        lot("b", 50, at(2026, 11, 10, 0, 0), Some(dec1)),
        lot("c", 80, at(2026, 11, 5, 0, 0), Some(dec1)),
        lot("d", 60, at(2026, 11, 2, 0, 0), Some(day(2027, 1, 1).start(OFFSET))),
    ];
    let now = at(2026, 11, 20, 0, 0);
    assert_eq!(siyu::points::balance(&state, now), 290);
    let plan = siyu::points::plan_spend(&state, 150, now).unwrap();
    let plan: Vec<(&str, i64)> = plan.iter().map(|l| (l.lot.as_str(), l.points)).collect();
    assert_eq!(plan, vec![("c", 80), ("b", 50), ("d", 20)]);
    let plan = siyu::points::plan_spend(&state, 290, now).unwrap();
    assert_eq!(plan.last().map(|l| (l.lot.as_str(), l.points)), Some(("a", 100)));
    // On 1 Dec lots b and c are gone: 160 left.
    assert_eq!(siyu::points::balance(&state, dec1), 160);
    assert_eq!(
        siyu::points::plan_spend(&state, 161, dec1),
        Err(siyu::error::PointsError::Insufficient { needed: 161, balance: 160 })
    );
}

#[test]
fn s2_ledger_is_append_only_and_insufficient_points_are_refused() {
    let mut m = Member::new(program(), 0);
    m.grant(499, at(2026, 11, 20, 9, 0));
    let e = rejection(m.redeem("r-coupon", at(2026, 11, 20, 10, 0)));
    assert_eq!((e.code(), e.details()), ("INSUFFICIENT_POINTS", json!({ "needed": 500, "balance": 499 })));
    m.grant(1, at(2026, 11, 20, 10, 0));
    m.redeem("r-coupon", at(2026, 11, 20, 11, 0)).unwrap();
    assert_eq!(m.balance(at(2026, 11, 20, 11, 0)), 0);
    let deltas: Vec<i64> = m.state.ledger.iter().map(|e| e.delta).collect();
    assert_eq!(deltas, vec![499, 1, -500]);
    let s = siyu::points::summary(&m.state, at(2026, 11, 20, 12, 0));
    assert_eq!((s.earned_total, s.spent_total), (500, 500));
}

#[test]
fn s2_points_as_payment_unit_cap_and_min_balance() {
    let mut m = Member::new(program(), 0);
    let thu = at(2026, 11, 19, 10, 0);
    m.grant(99, thu);
    // Below minBalance (100): no points at all.
    let q = m.quote(&[("tea", 1)], none(), PointsChoice::Mode(PointsMode::Max), thu);
    assert_eq!((q.points.max, q.points.used, q.points.unavailable.as_deref()), (0, 0, Some("BELOW_MIN_BALANCE")));
    let e = rejection(m.buy("o1", &[("tea", 1)], &[], 100, thu));
    assert_eq!((e.code(), e.details()), ("BELOW_MIN_BALANCE", json!({ "minBalance": 100, "balance": 99 })));
    m.grant(5000, thu);
    // 20 % of ¥100 = ¥20 = 2000 points at 100 points per ¥1.
    let q = m.quote(&[("tea", 1)], none(), PointsChoice::Mode(PointsMode::Max), thu);
    assert_eq!((q.points.max, q.points.used, q.points.value), (2000, 2000, 2000));
    // Requests are rounded down to the unit (100) and capped.
    let q = m.quote(&[("tea", 1)], none(), PointsChoice::Amount(250), thu);
    assert_eq!((q.points.used, q.points.value, q.total), (200, 200, 9800));
    let q = m.quote(&[("tea", 1)], none(), PointsChoice::Amount(9999), thu);
    assert_eq!(q.points.used, 2000);
    // Points do not count towards the free-shipping threshold (goods after coupons do).
    assert_eq!((q.paid, q.shipping, q.total), (8000, 0, 8000));
    // Purchase points are earned on what is paid: floor(8000 × 1 / 100) = 80.
    assert_eq!(q.points.earn, 80);
}

// ─────────────────────────────────────── §3 Tiers ──────────────────────────────────────

#[test]
fn s3_lifetime_growth_progress_and_refund_netting() {
    let mut m = Member::new(program(), at(2026, 11, 16, 8, 0));
    let p0 = siyu::tiers::progress(&m.program, &m.state, at(2026, 11, 16, 8, 0));
    assert_eq!((p0.tier.as_str(), p0.growth, p0.to_next, p0.progress_bp), ("silver", 0, 100000, 0));
    m.buy("o1", &[("tea", 6)], &[], 0, at(2026, 11, 16, 10, 0)).unwrap();
    let p1 = siyu::tiers::progress(&m.program, &m.state, at(2026, 11, 16, 11, 0));
    assert_eq!((p1.tier.as_str(), p1.growth, p1.next_tier.as_deref(), p1.to_next, p1.progress_bp), ("silver", 60000, Some("gold"), 40000, 6000));
    assert_eq!(p1.keep, None);
    m.buy("o2", &[("tea", 4)], &[], 0, at(2026, 11, 17, 10, 0)).unwrap();
    let p2 = siyu::tiers::progress(&m.program, &m.state, at(2026, 11, 17, 11, 0));
    assert_eq!((p2.tier.as_str(), p2.growth, p2.next_tier, p2.to_next, p2.progress_bp), ("gold", 100000, None, 0, 10000));
    assert_eq!((p2.points_multiplier_bp, p2.member_day_discount_bp, p2.early_access_minutes), (15000, 500, 30));
    assert_eq!(p2.keep, None); // lifetime growth cannot be lost
    // Shipping is not growth; a refund takes the order's paid amount back out.
    m.refund("o2", at(2026, 11, 18, 10, 0)).unwrap();
    assert_eq!(siyu::tiers::growth(&m.program, &m.state, at(2026, 11, 18, 11, 0)), 60000);
    assert_eq!(siyu::tiers::current_tier(&m.program, &m.state, at(2026, 11, 18, 11, 0)).id, "silver");
}

#[test]
fn s3_trailing_growth_and_the_keep_risk() {
    let p = program_with(|v| v["growth"] = json!({ "type": "trailingDays", "days": 365 }));
    let mut m = Member::new(p, at(2026, 1, 1, 8, 0));
    m.buy("o1", &[("tea", 6)], &[], 0, at(2026, 1, 10, 10, 0)).unwrap();
    m.buy("o2", &[("tea", 6)], &[], 0, at(2026, 4, 20, 10, 0)).unwrap();
    let now = at(2026, 11, 22, 10, 0);
    let pr = siyu::tiers::progress(&m.program, &m.state, now);
    assert_eq!((pr.tier.as_str(), pr.growth), ("gold", 120000));
    let keep = pr.keep.unwrap();
    // o1 leaves the 365-day window on 2027-01-10; o2's 60000 alone is 40000 short.
    assert_eq!((keep.drops_on.to_string(), keep.spend_needed), ("2027-01-10".to_string(), 40000));
    assert_eq!(siyu::tiers::growth(&m.program, &m.state, at(2027, 1, 9, 23, 59)), 120000);
    assert_eq!(siyu::tiers::growth(&m.program, &m.state, at(2027, 1, 10, 0, 0)), 60000);
    assert_eq!(siyu::tiers::current_tier(&m.program, &m.state, at(2027, 1, 10, 0, 0)).id, "silver");
}

// ───────────────────────────────────── §4 Member day ─────────────────────────────────────

#[test]
fn s4_schedule_next_date_and_countdown() {
    let p = program();
    let silver = p.tier("silver").unwrap().clone();
    assert!(siyu::member_day::is_member_day(&p, day(2026, 11, 18))); // Wednesday
    assert!(siyu::member_day::is_member_day(&p, day(2026, 12, 1))); // the 1st (a Tuesday)
    assert!(!siyu::member_day::is_member_day(&p, day(2026, 11, 19)));
    // Thursday noon: next is Wed 25, 5 days 12 hours away.
    let s = siyu::member_day::status(&p, &silver, at(2026, 11, 19, 12, 0));
    assert_eq!((s.today, s.next.map(|d| d.to_string()), s.countdown_ms), (false, Some("2026-11-25".into()), (5 * 24 + 12) * HOUR));
    // Wednesday 20:00: today, 4 hours left; the next one is Tue 1 Dec (a day of the month).
    let s = siyu::member_day::status(&p, &silver, at(2026, 11, 25, 20, 0));
    assert_eq!((s.today, s.next.map(|d| d.to_string()), s.countdown_ms), (true, Some("2026-12-01".into()), 4 * HOUR));
    assert_eq!((s.points_multiplier_bp, s.discount_bp, s.check_in_bonus_points), (20000, 200, 10));
    assert_eq!(s.coupon_templates, vec!["md-15".to_string()]);
}

#[test]
fn s4_discount_before_coupons_and_points_multiplier() {
    let mut m = Member::new(program(), at(2026, 11, 16, 8, 0));
    m.give("pct-10", "p10", at(2026, 11, 16, 8, 0));
    // Wednesday, silver (2 % member-day discount): 10000 → 9800, then 10 % off 9800 = 980.
    let q = m.quote(&[("tea", 1)], chosen(&["p10"]), no_points(), at(2026, 11, 18, 10, 0));
    assert_eq!((q.member_day, q.member_day_discount, q.coupon_discount, q.goods_after_coupons), (true, 200, 980, 8820));
    // 8820 is below the 9900 free-shipping threshold.
    assert_eq!((q.shipping, q.total), (800, 9620));
    // Points ×2 on member day: floor(8820 / 100 × 2) = 176.
    assert_eq!((q.points.promo_multiplier_bp, q.points.earn), (20000, 176));
    // Thursday: no discount, ×1.
    let q = m.quote(&[("tea", 1)], chosen(&["p10"]), no_points(), at(2026, 11, 19, 10, 0));
    assert_eq!((q.member_day_discount, q.coupon_discount, q.total, q.points.earn), (0, 1000, 9800, 90));
    // Cookies are not member-day eligible.
    let q = m.quote(&[("cookie", 1)], none(), no_points(), at(2026, 11, 18, 10, 0));
    assert_eq!(q.member_day_discount, 0);
}

#[test]
fn s4_member_day_coupons_are_claimed_on_member_day_only() {
    let mut m = Member::new(program(), at(2026, 11, 16, 8, 0));
    let e = rejection(m.claim("md-15", at(2026, 11, 19, 10, 0)));
    assert_eq!((e.code(), e.details()["reason"].clone()), ("AUDIENCE", json!("claimable on member day only")));
    let effects = m.claim("md-15", at(2026, 11, 18, 10, 0)).unwrap();
    let c = &issued_coupons(&effects)[0];
    assert_eq!(c.source, "memberDay");
    // Valid for that one day.
    assert_eq!(c.valid_to, day(2026, 11, 19).start(OFFSET));
}

#[test]
fn s4_member_day_check_in_bonus() {
    let mut m = Member::new(program(), at(2026, 11, 16, 8, 0));
    assert_eq!(checked(&m.check_in(at(2026, 12, 1, 9, 0)).unwrap()), (1, 1, 15));
}

// ────────────────────────────────────── §5 Birthday ──────────────────────────────────────

fn with_birthday(p: Program, md: &str) -> Member {
    let mut m = Member::new(p, at(2026, 1, 1, 8, 0));
    m.run(Mutation::SetBirthday { birthday: MonthDay::parse(md).unwrap() }, at(2026, 1, 1, 9, 0)).unwrap();
    m
}

#[test]
fn s5_windows_day_week_month() {
    let in_window = |window: &str, md: &str, d: Day| {
        let p = program_with(|v| v["birthday"]["window"] = json!(window));
        let m = with_birthday(p, md);
        siyu::birthday::in_window(&m.program, &m.state, d)
    };
    // Birthday Fri 20 Nov 2026.
    assert!(in_window("day", "11-20", day(2026, 11, 20)));
    assert!(!in_window("day", "11-20", day(2026, 11, 19)));
    assert!(in_window("week", "11-20", day(2026, 11, 16)));
    assert!(in_window("week", "11-20", day(2026, 11, 22)));
    assert!(!in_window("week", "11-20", day(2026, 11, 23)));
    assert!(in_window("month", "11-20", day(2026, 11, 1)));
    assert!(in_window("month", "11-20", day(2026, 11, 30)));
    assert!(!in_window("month", "11-20", day(2026, 12, 1)));
    // 1 Jan 2027 is a Friday: its week starts Mon 28 Dec 2026.
    assert!(in_window("week", "01-01", day(2026, 12, 28)));
    assert!(!in_window("week", "01-01", day(2026, 12, 27)));
    // 29 Feb falls on 28 Feb in common years.
    assert!(in_window("day", "02-29", day(2027, 2, 28)));
    assert!(in_window("day", "02-29", day(2028, 2, 29)));
}

#[test]
fn s5_birthday_is_set_once() {
    let mut m = with_birthday(program(), "11-20");
    let e = rejection(m.run(Mutation::SetBirthday { birthday: MonthDay::parse("12-01").unwrap() }, at(2026, 2, 1, 0, 0)));
    assert_eq!(e.code(), "BIRTHDAY_ALREADY_SET");
    assert_eq!(m.state.birthday.unwrap().to_string(), "11-20");
}

#[test]
fn s5_multiplier_does_not_stack_with_member_day() {
    let m = with_birthday(program(), "11-20");
    // Thursday in the birthday month: ×1.5 → floor(10000 / 100 × 1.5) = 150.
    let q = m.quote(&[("tea", 1)], none(), no_points(), at(2026, 11, 19, 10, 0));
    assert_eq!((q.points.promo_multiplier_bp, q.points.earn), (15000, 150));
    // Wednesday: member day ×2 and birthday ×1.5 → the highest, ×2: floor(9800 / 100 × 2) = 196.
    let q = m.quote(&[("tea", 1)], none(), no_points(), at(2026, 11, 18, 10, 0));
    assert_eq!((q.points.promo_multiplier_bp, q.points.earn), (20000, 196));
    // December: neither.
    let q = m.quote(&[("tea", 1)], none(), no_points(), at(2026, 12, 3, 10, 0));
    assert_eq!((q.points.promo_multiplier_bp, q.points.earn), (10000, 100));
}

#[test]
fn s5_birthday_coupon_once_per_calendar_year() {
    let mut m = with_birthday(program(), "11-20");
    assert_eq!(code(m.claim("bday", at(2026, 10, 31, 10, 0))), "AUDIENCE");
    let effects = m.claim("bday", at(2026, 11, 19, 10, 0)).unwrap();
    assert_eq!(issued_coupons(&effects)[0].source, "birthday");
    let e = rejection(m.claim("bday", at(2026, 11, 25, 10, 0)));
    assert_eq!(e.details()["reason"], json!("the birthday coupon was already claimed this year"));
    m.claim("bday", at(2027, 11, 2, 10, 0)).unwrap();
    // Without a birthday there is no window.
    let mut nobody = Member::new(program(), 0);
    assert_eq!(code(nobody.claim("bday", at(2026, 11, 19, 10, 0))), "AUDIENCE");
}

#[test]
fn s5_each_tier_claims_its_own_birthday_coupon() {
    // Silver gets the program's "bday" (¥20); gold its own "bday-gold" (¥50) instead.
    let mut silver = with_birthday(program(), "11-20");
    let e = rejection(silver.claim("bday-gold", at(2026, 11, 19, 10, 0)));
    assert_eq!(e.code(), "AUDIENCE");
    silver.claim("bday", at(2026, 11, 19, 10, 0)).unwrap();

    let mut gold = with_birthday(program(), "11-20");
    gold.buy("o1", &[("tea", 10)], &[], 0, at(2026, 11, 2, 10, 0)).unwrap();
    assert_eq!(code(gold.claim("bday", at(2026, 11, 19, 10, 0))), "AUDIENCE");
    gold.claim("bday-gold", at(2026, 11, 19, 10, 0)).unwrap();
}

// ────────────────────────────────── §6 Coupons and wallet ──────────────────────────────────

#[test]
fn s6_relative_validity_30_days_from_22_nov_runs_through_21_dec() {
    let mut m = Member::new(program(), 0);
    let claimed = at(2026, 11, 22, 10, 0);
    let id = m.claim_id("full-200-30", claimed);
    let c = m.state.coupon(&id).unwrap().clone();
    assert_eq!((c.valid_from, c.valid_to), (claimed, day(2026, 12, 22).start(OFFSET)));
    assert_eq!(siyu::coupons::status(&c, at(2026, 12, 21, 23, 59), &[]), CouponStatus::Available);
    assert_eq!(siyu::coupons::status(&c, at(2026, 12, 22, 0, 0), &[]), CouponStatus::Expired);
    let v = siyu::coupons::view(&m.program, &c, claimed, &[]).unwrap();
    assert_eq!(v.days_left, 30);
    // fromNextDay: the repurchase gift of 22 Nov runs 23 Nov … 22 Dec.
    m.give("repeat-8", "r8", claimed);
    let r = m.state.coupon("r8").unwrap().clone();
    assert_eq!((r.valid_from, r.valid_to), (day(2026, 11, 23).start(OFFSET), day(2026, 12, 23).start(OFFSET)));
    assert_eq!(siyu::coupons::status(&r, claimed, &[]), CouponStatus::NotYetValid);
}

#[test]
fn s6_fixed_validity() {
    let from = at(2026, 12, 1, 0, 0);
    let to = at(2026, 12, 13, 0, 0);
    let p = program_with(|v| v["couponTemplates"][2]["validity"] = json!({ "type": "fixed", "from": from, "to": to }));
    let mut m = Member::new(p, 0);
    let id = m.claim_id("pct-10", at(2026, 11, 22, 10, 0));
    let c = m.state.coupon(&id).unwrap();
    assert_eq!((c.valid_from, c.valid_to), (from, to));
}

#[test]
fn s6_per_member_limit_counts_claims_only() {
    let mut m = Member::new(program(), 0);
    let now = at(2026, 11, 22, 10, 0);
    m.claim("pct-10", now).unwrap();
    let e = rejection(m.claim("pct-10", now));
    assert_eq!((e.code(), e.details()), ("PER_MEMBER_LIMIT", json!({ "template": "pct-10", "limit": 1 })));
    // mall-5 (perMember 1) granted by the points mall does not use up the claim.
    m.grant(500, now);
    m.redeem("r-coupon", now).unwrap();
    m.claim("mall-5", now).unwrap();
    assert_eq!(code(m.claim("mall-5", now)), "PER_MEMBER_LIMIT");
    assert_eq!(m.state.coupons.iter().filter(|c| c.template == "mall-5").count(), 2);
}

#[test]
fn s6_total_quota_is_a_shared_counter() {
    let p = program();
    let mut stock = Stock::initial(&p);
    assert_eq!(stock.remaining(&Counter::CouponQuota("full-200-30".into())), Some(2));
    let now = at(2026, 11, 22, 10, 0);
    let mut results = Vec::new();
    for member in ["a", "b", "c"] {
        let state = MemberState::new(member, 0);
        let ctx = Ctx { now, client_id: member, mutation_id: 1, stock: &stock, archived_order: None, referral_code: None };
        let r = apply(&p, &state, &Mutation::ClaimCoupon { template: "full-200-30".into() }, &ctx);
        if let Ok(a) = &r {
            siyu::apply_stock(&mut stock, &a.effects);
        }
        results.push(r.map(|_| ()).map_err(|e| e.code()));
    }
    assert_eq!(results, vec![Ok(()), Ok(()), Err("QUOTA_EXHAUSTED")]);
    assert_eq!(stock.remaining(&Counter::CouponQuota("full-200-30".into())), Some(0));
    // A counter the client has never seen is treated as available (the server decides).
    let mut fresh = Member::new(p, 0);
    fresh.stock = Stock::default();
    fresh.claim("full-200-30", now).unwrap();
}

#[test]
fn s6_audiences() {
    let now = at(2026, 11, 19, 10, 0);
    let mut m = Member::new(program(), at(2026, 11, 1, 8, 0));
    // newMember: before the first order only.
    let mut fresh = Member::new(program(), at(2026, 11, 1, 8, 0));
    fresh.claim("newbie-3", now).unwrap();
    m.buy("o1", &[("tea", 1)], &[], 0, at(2026, 11, 2, 10, 0)).unwrap();
    assert_eq!(rejection(m.claim("newbie-3", now)).details()["reason"], json!("only for members without an order yet"));
    // minTier gold.
    assert_eq!(rejection(m.claim("gold-10", now)).details()["reason"], json!("needs a higher tier"));
    m.buy("o2", &[("tea", 9)], &[], 0, at(2026, 11, 3, 10, 0)).unwrap();
    m.claim("gold-10", now).unwrap();
    // Segments: lapsing members only (ordered before, nothing for more than 120 days).
    assert_eq!(rejection(m.claim("lapsing-20", now)).details()["reason"], json!("not in the segments this coupon is for"));
    m.claim("lapsing-20", at(2027, 3, 5, 10, 0)).unwrap();
    // Templates that are only granted, and unknown ones.
    assert_eq!(code(m.claim("new-10", now)), "NOT_CLAIMABLE");
    assert_eq!(code(m.claim("nope", now)), "UNKNOWN_TEMPLATE");
}

#[test]
fn s6_wallet_views() {
    let mut m = Member::new(program(), 0);
    m.give("new-10", "n-old", at(2026, 10, 29, 10, 0)); // through 27 Nov
    m.give("pct-10", "p-gone", at(2026, 11, 1, 10, 0)); // through 7 Nov
    m.give("full-200-30", "f30", at(2026, 11, 22, 10, 0)); // through 21 Dec
    m.give("repeat-8", "r8", at(2026, 11, 25, 10, 0)); // from 26 Nov
    m.give("snack-5", "s5", at(2026, 11, 20, 10, 0)); // through 3 Dec
    m.buy("o1", &[("nuts", 1)], &["s5"], 0, at(2026, 11, 21, 10, 0)).unwrap();
    let now = at(2026, 11, 25, 12, 0);
    let w = siyu::coupons::wallet(&m.program, &m.state, now, &[]);
    let ids = |v: &[siyu::coupons::WalletCoupon]| v.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
    // Soonest-expiring first. The first-order gift of o1, issued by its payment (the store's
    // first change), is "store-1-1".
    assert_eq!(ids(&w.available), vec!["n-old", "store-1-1", "f30", "r8"]);
    assert_eq!(ids(&w.expiring), vec!["n-old"]);
    assert_eq!(w.expiring[0].days_left, 3);
    assert_eq!(ids(&w.used), vec!["s5"]);
    assert_eq!(w.used[0].order_id.as_deref(), Some("o1"));
    assert_eq!(ids(&w.expired), vec!["p-gone"]);
    assert_eq!(w.available[3].status, CouponStatus::NotYetValid);
    // While o1 waits for the server its coupon shows as locked.
    let w = siyu::coupons::wallet(&m.program, &m.state, now, &["o1".to_string()]);
    assert_eq!(w.used[0].status, CouponStatus::Locked);
}

#[test]
fn s6_unusable_reasons_for_a_cart() {
    let mut m = Member::new(program(), 0);
    let now = at(2026, 11, 19, 10, 0);
    m.give("snack-5", "s5", now);
    m.give("full-200-30", "f30", now);
    m.give("pct-10", "p-gone", at(2026, 11, 1, 10, 0));
    m.give("repeat-8", "r8", now);
    // tea + cookie: 13000 in all but only 3000 of snacks.
    let q = m.quote(&[("tea", 1), ("cookie", 1)], CouponChoice::default(), no_points(), now);
    let reasons: Vec<(&str, UnusableReason, i64)> = q.unusable.iter().map(|u| (u.id.as_str(), u.reason, u.missing)).collect();
    assert_eq!(
        reasons,
        vec![
            ("s5", UnusableReason::BelowMinSpend, 1000), // 凑单: add ¥10 of snacks
            ("f30", UnusableReason::BelowMinSpend, 7000),
            ("p-gone", UnusableReason::Expired, 0),
            ("r8", UnusableReason::NotYetValid, 0),
        ]
    );
    let q = m.quote(&[("tea", 1)], CouponChoice::default(), no_points(), now);
    assert_eq!(q.unusable[0].reason, UnusableReason::OutOfScope);
    // Two order coupons chosen together: the second is not stackable.
    m.give("new-10", "n10", now);
    m.give("pct-10", "p10", now);
    let q = m.quote(&[("tea", 1)], chosen(&["p10", "n10"]), no_points(), now);
    assert_eq!(q.coupons.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec!["p10"]);
    assert!(q.unusable.iter().any(|u| u.id == "n10" && u.reason == UnusableReason::NotStackable));
    // The code strings.
    assert_eq!(serde_json::to_value(UnusableReason::BelowMinSpend).unwrap(), json!("BELOW_MIN_SPEND"));
}

#[test]
fn s6_audience_reason_when_the_tier_is_lost() {
    let mut m = Member::new(program(), 0);
    m.buy("o1", &[("tea", 10)], &[], 0, at(2026, 11, 16, 10, 0)).unwrap();
    m.claim("gold-10", at(2026, 11, 16, 11, 0)).unwrap();
    m.refund("o1", at(2026, 11, 17, 10, 0)).unwrap();
    let q = m.quote(&[("tea", 1)], CouponChoice::default(), no_points(), at(2026, 11, 17, 11, 0));
    let u = q.unusable.iter().find(|u| u.template == "gold-10").unwrap();
    assert_eq!(u.reason, UnusableReason::Audience);
}

#[test]
fn s6_claim_centre() {
    let mut m = Member::new(program(), 0);
    let now = at(2026, 11, 19, 10, 0);
    m.claim("pct-10", now).unwrap();
    let offers = siyu::coupons::claim_centre(&m.program, &m.state, &m.stock, now);
    let get = |id: &str| offers.iter().find(|o| o.template.id == id).unwrap();
    assert_eq!((get("pct-10").claimable, get("pct-10").reason.as_deref(), get("pct-10").claimed), (false, Some("PER_MEMBER_LIMIT"), 1));
    assert_eq!((get("md-15").claimable, get("md-15").member_day_only), (false, true));
    assert_eq!((get("full-200-30").claimable, get("full-200-30").remaining), (true, Some(2)));
    assert!(offers.iter().all(|o| o.template.id != "new-10"));
}

// ─────────────────────────────────── §7 Pricing a cart ───────────────────────────────────

/// A gold member (o1: ten teas on Mon 16 Nov, 1000 points earned) with a snack and a 满减 coupon.
fn gold_member() -> Member {
    let mut m = Member::new(program(), at(2026, 11, 16, 8, 0));
    m.buy("o1", &[("tea", 10)], &[], 0, at(2026, 11, 16, 10, 0)).unwrap();
    m.give("snack-5", "s5", at(2026, 11, 24, 10, 0));
    m.give("full-200-30", "f30", at(2026, 11, 24, 10, 0));
    m
}

#[test]
fn s7_the_quote_step_by_step() {
    let m = gold_member();
    let wed = at(2026, 11, 25, 10, 0);
    assert_eq!(m.balance(wed), 1000);
    let q = m.quote(&[("tea", 2), ("nuts", 2), ("cookie", 1)], chosen(&["s5", "f30"]), PointsChoice::Mode(PointsMode::Max), wed);
    assert_eq!((q.tier.as_str(), q.member_day), ("gold", true));
    // 1. Member prices: tea 9000 ×2, nuts 4500 ×2, cookie 3000 (no member price).
    assert_eq!((q.list_total, q.goods), (33000, 30000));
    let amounts: Vec<_> = q.lines.iter().map(|l| (l.list_amount, l.unit_price, l.amount)).collect();
    assert_eq!(amounts, vec![(20000, 9000, 18000), (10000, 4500, 9000), (3000, 3000, 3000)]);
    // 2. Gold member day 5 %: 900 + 450 (cookies are not eligible) → 28650.
    assert_eq!(q.member_day_discount, 1350);
    // 3. Item coupon snack-5: 500 over nuts 8550 / cookie 3000 → 370 / 130 (largest remainder).
    //    Order coupon 满200减30 on 28150: 3000 → 1822 / 872 / 306.
    assert_eq!(q.coupons.iter().map(|c| (c.id.as_str(), c.discount)).collect::<Vec<_>>(), vec![("s5", 500), ("f30", 3000)]);
    assert_eq!((q.coupon_discount, q.goods_after_coupons), (3500, 25150));
    // 4. Points: at most 20 % of 25150 = 5030 → 5000 in units of 100; the balance is 1000.
    assert_eq!((q.points.max, q.points.used, q.points.value), (1000, 1000, 1000));
    // 5. Shipping waived: 25150 ≥ 9900.
    assert_eq!((q.shipping_base, q.shipping, q.shipping_waived_by.as_deref()), (800, 0, Some("threshold")));
    // 6. Total.
    assert_eq!((q.paid, q.total, q.saved), (24150, 24150, 9650));
    // Points to earn: floor(24150 / 100 × 1.5 (gold) × 2 (member day)) = 724.
    assert_eq!((q.points.tier_multiplier_bp, q.points.promo_multiplier_bp, q.points.earn), (15000, 20000, 724));

    let adj = |i: usize| q.lines[i].adjustments.iter().map(|a| (a.kind, a.source.as_str(), a.amount)).collect::<Vec<_>>();
    use AdjustmentKind::*;
    assert_eq!(adj(0), vec![(MemberPrice, "gold", 2000), (MemberDay, "gold", 900), (Coupon, "f30", 1822), (Points, "points", 607)]);
    assert_eq!(
        adj(1),
        vec![(MemberPrice, "gold", 1000), (MemberDay, "gold", 450), (Coupon, "s5", 370), (Coupon, "f30", 872), (Points, "points", 291)]
    );
    assert_eq!(adj(2), vec![(Coupon, "s5", 130), (Coupon, "f30", 306), (Points, "points", 102)]);
    assert_eq!(q.lines.iter().map(|l| l.paid).collect::<Vec<_>>(), vec![14671, 7017, 2462]);
    let savings: Vec<_> = q.savings.iter().map(|s| (s.kind.as_str(), s.source.as_str(), s.amount)).collect();
    assert_eq!(
        savings,
        vec![
            ("memberPrice", "gold", 3000),
            ("memberDay", "gold", 1350),
            ("coupon", "s5", 500),
            ("coupon", "f30", 3000),
            ("points", "points", 1000),
            ("shipping", "threshold", 800),
        ]
    );
    assert_eq!(q.savings.iter().map(|s| s.amount).sum::<i64>(), q.saved);
}

#[test]
fn s7_allocation_largest_remainder_ties_to_lower_index() {
    assert_eq!(allocate(500, &[0, 8550, 3000]), vec![0, 370, 130]);
    assert_eq!(allocate(3000, &[17100, 8180, 2870]), vec![1822, 872, 306]);
    assert_eq!(allocate(100, &[1, 1, 1]), vec![34, 33, 33]);
    assert_eq!(allocate(5, &[1, 2, 3, 4]), vec![1, 1, 1, 2]);
    assert_eq!(allocate(10, &[10, 0]), vec![10, 0]);
    assert_eq!(allocate(0, &[5, 5]), vec![0, 0]);
    assert_eq!(allocate(7, &[0, 0]), vec![0, 0]);
}

#[test]
fn s7_best_selection() {
    let mut m = Member::new(program(), 0);
    let thu = at(2026, 11, 19, 10, 0);
    for (t, id) in [("snack-5", "s5"), ("pct-10", "p10"), ("new-10", "n10"), ("full-200-30", "f30"), ("ship", "ship"), ("solo-20", "solo")] {
        m.give(t, id, thu);
    }
    // tea + nuts = 15000. The exclusive 8折 saves 3000, more than 5折 … any combination.
    let q = m.quote(&[("tea", 1), ("nuts", 1)], CouponChoice::default(), no_points(), thu);
    assert_eq!(q.coupons.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec!["solo"]);
    assert_eq!(q.total, 12000);
    // Without it: snack-5 then 9折 on 14500 = 1450 → 13050 (better than ¥10 off → 13500).
    m.state.coupons.retain(|c| c.id != "solo");
    let q = m.quote(&[("tea", 1), ("nuts", 1)], CouponChoice::default(), no_points(), thu);
    assert_eq!(q.coupons.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec!["s5", "p10"]);
    assert_eq!(q.total, 13050);
    assert_eq!(ids_of(&q.usable), vec!["n10", "ship"]);
    // nuts alone = 5000: snack-5 → 4500, ¥10 off → 3500, free-shipping coupon saves the 800 fee.
    let q = m.quote(&[("nuts", 1)], CouponChoice::default(), no_points(), thu);
    let picked: Vec<_> = q.coupons.iter().map(|c| (c.id.as_str(), c.discount)).collect();
    assert_eq!(picked, vec![("s5", 500), ("n10", 1000), ("ship", 800)]);
    assert_eq!((q.shipping, q.shipping_waived_by.as_deref(), q.total), (0, Some("ship"), 3500));
    let pricer = m.pricer(&[("nuts", 1)], thu);
    assert_eq!(pricer.best_selection(), pricer.brute_force_selection());
}

#[test]
fn s7_best_selection_ties_prefer_the_soonest_expiring_copy() {
    let mut m = Member::new(program(), 0);
    let thu = at(2026, 11, 19, 10, 0);
    m.give("new-10", "n-late", thu);
    m.give("new-10", "n-early", at(2026, 11, 1, 10, 0));
    m.give("new-10", "n-mid", at(2026, 11, 10, 10, 0));
    let q = m.quote(&[("tea", 1)], CouponChoice::default(), no_points(), thu);
    assert_eq!(q.coupons.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec!["n-early"]);
}

#[test]
fn s7_a_free_shipping_coupon_is_not_spent_when_the_threshold_already_waives_shipping() {
    let mut m = Member::new(program(), 0);
    let thu = at(2026, 11, 19, 10, 0);
    // The free-shipping coupon expires first (it was granted earlier).
    m.give("ship", "ship", at(2026, 11, 10, 10, 0));
    m.give("snack-5", "s5", thu);
    m.give("pct-10", "p10", thu);
    let pricer = m.pricer(&[("tea", 1), ("nuts", 1)], thu);
    let best = pricer.best_selection();
    assert_eq!(pricer.selection_ids(&best), vec!["s5".to_string(), "p10".to_string()]);
    assert_eq!(pricer.brute_force_selection(), best.iter().copied().collect::<std::collections::BTreeSet<_>>().into_iter().collect::<Vec<_>>());
    let q = m.quote(&[("tea", 1), ("nuts", 1)], CouponChoice::default(), no_points(), thu);
    assert_eq!((q.shipping_waived_by.as_deref(), q.total), (Some("threshold"), 13050));
    assert_eq!(ids_of(&q.usable), vec!["ship"]);
    // Chosen explicitly it saves nothing and stays in the wallet after the order.
    let (q, _) = m.buy("o1", &[("tea", 1), ("nuts", 1)], &["ship"], 0, thu).unwrap();
    assert!(q.coupons.is_empty());
    assert_eq!(m.state.coupon("ship").unwrap().state, CouponState::Available);
}

#[test]
fn s7_percent_off_cap_and_min_spend_on_eligible_lines() {
    let mut m = Member::new(program(), 0);
    let thu = at(2026, 11, 19, 10, 0);
    m.give("pct-10", "p10", thu);
    // 10 % of 30000 = 3000, capped at 2000.
    let q = m.quote(&[("tea", 3)], chosen(&["p10"]), no_points(), thu);
    assert_eq!((q.coupon_discount, q.total), (2000, 28000));
    // An item coupon never takes a line below zero, and the total never goes negative.
    let q = m.quote(&[("cookie", 1)], none(), no_points(), thu);
    assert_eq!((q.goods, q.shipping, q.total, q.saved), (3000, 800, 3800, 0));
}

#[test]
fn s7_unknown_skus_and_bad_quantities() {
    let m = Member::new(program(), 0);
    let p = &m.program;
    let bad = |items: &[(&str, u32)]| {
        let r = siyu::quote::QuoteRequest { lines: lines(items), ..Default::default() };
        siyu::quote::quote(p, &m.state, &m.stock, &r, 0).map(|_| ()).map_err(|e| Rejection::from(e).code())
    };
    assert_eq!(bad(&[("tea", 0)]), Err("INVALID_QUANTITY"));
    assert_eq!(bad(&[("tea", 1000)]), Err("INVALID_QUANTITY"));
    assert_eq!(bad(&[("gin", 1)]), Err("UNKNOWN_SKU"));
    assert_eq!(bad(&[("tea", 999)]), Ok(()));
}

// ─────────────────────────────────────── §8 Orders ───────────────────────────────────────

#[test]
fn s8_place_order_rejects_a_changed_price() {
    let mut m = Member::new(program(), 0);
    // The shopper saw ¥200.00 on Tuesday and pays just after midnight: Wednesday, member day.
    let tue = m.quote(&[("tea", 2)], none(), no_points(), at(2026, 11, 24, 23, 50));
    assert_eq!(tue.total, 20000);
    let place = Mutation::PlaceOrder { order_id: "o1".into(), lines: lines(&[("tea", 2)]), coupons: vec![], points: 0, expected_total: 20000 };
    let e = rejection(m.run(place.clone(), at(2026, 11, 25, 0, 5)));
    assert_eq!(e.code(), "PRICE_CHANGED");
    assert_eq!((e.details()["expected"].clone(), e.details()["actual"].clone()), (json!(20000), json!(19600)));
    assert_eq!(e.details()["quote"]["memberDayDiscount"], json!(400));
    // One tea: 9800 falls below the free-shipping threshold, so the total goes up to 10600.
    let one = Mutation::PlaceOrder { order_id: "o1".into(), lines: lines(&[("tea", 1)]), coupons: vec![], points: 0, expected_total: 10000 };
    assert_eq!(rejection(m.run(one, at(2026, 11, 25, 0, 5))).details()["actual"], json!(10600));
    assert!(m.state.orders.is_empty());
}

#[test]
fn s8_a_placed_order_awaits_payment_holding_its_coupons_points_and_stock() {
    let mut m = gold_member();
    let wed = at(2026, 11, 25, 10, 0);
    let growth = siyu::tiers::growth(&m.program, &m.state, wed);
    let (q, effects) = m.place("o2", &[("tea", 2), ("nuts", 2), ("cookie", 1)], &["s5", "f30"], 1000, wed).unwrap();
    assert_eq!(q.total, 24150);
    let o = m.state.order("o2").unwrap().clone();
    assert_eq!((o.status, o.pay_by, o.paid_at), (OrderStatus::AwaitingPayment, Some(wed + 15 * 60_000), None));
    // Priced now, earned when paid: no credit, no gift, no growth yet.
    assert_eq!(o.points_earned, 724);
    assert_eq!(credited(&effects), 0);
    assert!(issued(&effects).is_empty());
    assert_eq!(siyu::tiers::growth(&m.program, &m.state, wed), growth);
    // The coupons are locked in it and the points held: neither can be used twice.
    assert!(matches!(&m.state.coupon("f30").unwrap().state, CouponState::Locked { order_id, .. } if order_id == "o2"));
    let w = siyu::coupons::wallet(&m.program, &m.state, wed, &[]);
    let locked: Vec<(&str, CouponStatus, Option<&str>)> = w.used.iter().map(|c| (c.id.as_str(), c.status, c.order_id.as_deref())).collect();
    assert_eq!(locked, vec![("s5", CouponStatus::Locked, Some("o2")), ("f30", CouponStatus::Locked, Some("o2"))]);
    let points = siyu::points::summary(&m.state, wed);
    assert_eq!((points.balance, points.held), (0, 1000));
    let e = rejection(m.place("o3", &[("tea", 3)], &["f30"], 0, wed));
    assert_eq!((e.code(), e.details()["reason"].clone()), ("COUPON_UNUSABLE", json!("already used by another order")));
    assert_eq!(rejection(m.place("o3", &[("tea", 3)], &[], 100, wed)).code(), "BELOW_MIN_BALANCE");
    // Its countdown, and what the shopper can do with it.
    let views = siyu::orders::views(&m.program, &m.state, wed + 5 * 60_000);
    assert_eq!((views[0].order.id.as_str(), views[0].pay_ms_left, views[0].cancellable, views[0].refundable), ("o2", Some(10 * 60_000), true, false));
    assert_eq!(siyu::orders::views(&m.program, &m.state, wed + 20 * 60_000)[0].pay_ms_left, Some(0));
    // Refunds are for paid orders; only the store confirms a payment.
    assert_eq!(rejection(m.refund("o2", wed)).code(), "ORDER_NOT_PAID");
    let forged = Mutation::ConfirmPayment { order_id: "o2".into(), amount: 24150, transaction_id: None };
    let e = rejection(m.run(forged, wed));
    assert_eq!((e.code(), e.details()), ("STORE_ONLY", json!({ "mutation": "confirmPayment" })));
}

#[test]
fn s8_the_stores_payment_result_uses_the_coupons_credits_the_points_and_gives_the_gifts() {
    let mut m = gold_member();
    let wed = at(2026, 11, 25, 10, 0);
    m.place("o2", &[("tea", 2), ("nuts", 2), ("cookie", 1)], &["s5", "f30"], 1000, wed).unwrap();
    let growth = siyu::tiers::growth(&m.program, &m.state, wed);
    // A result for another amount changes nothing.
    let before = m.state.clone();
    let short = Mutation::ConfirmPayment { order_id: "o2".into(), amount: 24149, transaction_id: Some("t1".into()) };
    let e = rejection(m.as_store(short, wed + 60_000));
    assert_eq!((e.code(), e.details()), ("PAYMENT_AMOUNT_MISMATCH", json!({ "orderId": "o2", "expected": 24150, "paid": 24149 })));
    assert_eq!(m.state, before);
    // The exact total: paid.
    let paid_at = wed + 2 * 60_000;
    let effects = m.pay("o2", paid_at).unwrap();
    let o = m.state.order("o2").unwrap().clone();
    assert_eq!((o.status, o.paid_at, o.transaction_id.as_deref()), (OrderStatus::Paid, Some(paid_at), Some("tx-o2")));
    assert!(matches!(&m.state.coupon("f30").unwrap().state, CouponState::Used { order_id, at } if order_id == "o2" && *at == paid_at));
    assert_eq!(credited(&effects), 724);
    assert_eq!(o.earned_lot.as_deref(), Some("store-2-0"));
    // Pending (§2) while the order can be refunded: 7 days after the payment.
    let points = siyu::points::summary(&m.state, paid_at);
    assert_eq!((points.balance, points.held, points.pending), (0, 0, 724));
    let available_at = paid_at + 7 * DAY + 1;
    assert_eq!(points.pending_lots.iter().map(|l| (l.lot.as_str(), l.points, l.available_at)).collect::<Vec<_>>(), vec![("store-2-0", 724, available_at)]);
    assert_eq!((m.balance(available_at - 1), m.balance(available_at)), (0, 724));
    assert_eq!(siyu::tiers::growth(&m.program, &m.state, paid_at), growth + 24150);
    let gifts = issued_coupons(&effects);
    assert_eq!(gifts.iter().map(|g| (g.template.as_str(), g.source.as_str())).collect::<Vec<_>>(), vec![("repeat-8", "repurchase")]);
    assert_eq!(o.gift.as_deref(), Some(gifts[0].id.as_str()));
    // The same result again (a repeated notification): nothing more.
    let e = rejection(m.pay("o2", paid_at + 1));
    assert_eq!((e.code(), e.details()["status"].clone()), ("ORDER_NOT_AWAITING_PAYMENT", json!("paid")));
    assert_eq!(rejection(m.run(Mutation::CancelOrder { order_id: "o2".into() }, paid_at)).code(), "ORDER_NOT_AWAITING_PAYMENT");
    // The refund window runs from the payment.
    let views = siyu::orders::views(&m.program, &m.state, paid_at + 7 * DAY);
    assert_eq!((views[0].refundable, views[0].cancellable, views[0].pay_ms_left), (true, false, None));
}

#[test]
fn s8_cancelled_by_the_shopper_or_by_its_deadline_everything_held_comes_back() {
    let p = program_with(|v| v["points"]["expiry"] = json!({ "type": "rollingDays", "days": 10 }));
    let mut m = Member::new(p, 0);
    m.grant(300, at(2026, 11, 1, 10, 0)); // through 11 Nov
    m.grant(200, at(2026, 11, 9, 10, 0)); // through 19 Nov
    let ship = m.give("ship", "ship1", at(2026, 11, 9, 10, 0));
    let placed = at(2026, 11, 11, 23, 50);
    let (q, _) = m.place("o1", &[("tea", 1)], &[], 500, placed).unwrap();
    assert_eq!(q.points.used, 500);
    assert!(q.total > 0);
    assert_eq!(m.balance(placed), 0);
    // The shopper cancels after midnight: the 300 had expired meanwhile (30 days' grace from
    // today), the 200 keep their end.
    let cancelled_at = at(2026, 11, 12, 0, 5);
    let effects = m.run(Mutation::CancelOrder { order_id: "o1".into() }, cancelled_at).unwrap();
    let restored: Vec<(i64, Option<i64>)> = effects
        .iter()
        .flat_map(|e| match e {
            Effect::PointsRestored { lots, reason, .. } if reason == "cancel:o1" => lots.iter().map(|l| (l.points, l.expires_at)).collect(),
            _ => vec![],
        })
        .collect();
    assert_eq!(restored, vec![(300, Some(day(2026, 12, 13).start(OFFSET))), (200, Some(day(2026, 11, 20).start(OFFSET)))]);
    assert_eq!(m.balance(cancelled_at), 500);
    let o = m.state.order("o1").unwrap();
    assert_eq!((o.status, o.cancelled_at, o.cancelled_by), (OrderStatus::Cancelled, Some(cancelled_at), Some(CancelledBy::Shopper)));
    assert_eq!(rejection(m.run(Mutation::CancelOrder { order_id: "o1".into() }, cancelled_at)).code(), "ORDER_NOT_AWAITING_PAYMENT");

    // A coupon and the limited-sale unit held by an order whose deadline passes.
    let start = sale_start();
    let before = m.stock.remaining(&Counter::SaleStock("honey".into()));
    let (q, _) = m.place("o2", &[("honey", 1), ("tea", 1)], &[&ship], 0, start).unwrap();
    assert!(q.total > 0);
    assert_eq!(m.stock.remaining(&Counter::SaleStock("honey".into())), before.map(|n| n - 1));
    // The unit held counts for the per-member limit.
    assert_eq!(m.quote(&[("honey", 1)], none(), no_points(), start).lines[0].flag, Some(LineFlag::LimitReached));
    let pay_by = m.state.order("o2").unwrap().pay_by.unwrap();
    let expire = Mutation::ExpireOrder { order_id: "o2".into() };
    let e = rejection(m.as_store(expire.clone(), pay_by - 1));
    assert_eq!((e.code(), e.details()), ("PAYMENT_WINDOW_OPEN", json!({ "orderId": "o2", "payBy": pay_by })));
    assert_eq!(rejection(m.run(expire.clone(), pay_by)).code(), "STORE_ONLY");
    m.as_store(expire, pay_by).unwrap();
    let o = m.state.order("o2").unwrap();
    assert_eq!((o.status, o.cancelled_by), (OrderStatus::Cancelled, Some(CancelledBy::Deadline)));
    assert_eq!(m.state.coupon(&ship).unwrap().state, CouponState::Available);
    assert_eq!(m.stock.remaining(&Counter::SaleStock("honey".into())), before);
    assert_eq!(m.quote(&[("honey", 1)], none(), no_points(), pay_by).lines[0].flag, None);
    // A payment that arrives after the cancellation is not applied.
    let e = rejection(m.pay("o2", pay_by + 60_000));
    assert_eq!((e.code(), e.details()["status"].clone()), ("ORDER_NOT_AWAITING_PAYMENT", json!("cancelled")));
    // Never paid: no first-order gift, no growth, not counted as an order.
    assert!(!m.state.has_ordered());
    assert_eq!(siyu::tiers::growth(&m.program, &m.state, pay_by), 0);
}

#[test]
fn s8_a_total_of_zero_is_paid_at_once() {
    let p = program_with(|v| {
        v["catalog"].as_array_mut().unwrap().push(json!({ "id": "sample", "name": "试用装", "category": "tea", "listPrice": 800 }));
        v["shipping"] = json!({ "baseFee": 0, "freeThreshold": 0 });
    });
    let mut m = Member::new(p, 0);
    let now = at(2026, 11, 16, 10, 0);
    let gift = m.give("new-10", "n10", now);
    let (q, effects) = m.place("o1", &[("sample", 1)], &[&gift], 0, now).unwrap();
    assert_eq!(q.total, 0);
    let o = m.state.order("o1").unwrap();
    assert_eq!((o.status, o.pay_by, o.paid_at), (OrderStatus::Paid, None, Some(now)));
    assert!(matches!(&m.state.coupon(&gift).unwrap().state, CouponState::Used { order_id, .. } if order_id == "o1"));
    // The first paid order: its gift.
    assert_eq!(issued_coupons(&effects).iter().map(|c| c.source.as_str()).collect::<Vec<_>>(), vec!["firstOrder"]);
    assert!(m.state.has_ordered());
}

#[test]
fn s8_successful_order_uses_coupons_spends_and_earns_points_and_gifts() {
    let mut m = gold_member();
    // o1 (the first order), once paid, earned 1000 points and the first-order gift.
    let gift = m.state.coupon("store-1-1").unwrap();
    assert_eq!((gift.template.as_str(), gift.source.as_str()), ("new-10", "firstOrder"));
    assert_eq!(gift.valid_to, day(2026, 12, 16).start(OFFSET));
    let wed = at(2026, 11, 25, 10, 0);
    let (q, effects) = m.buy("o2", &[("tea", 2), ("nuts", 2), ("cookie", 1)], &["s5", "f30"], 1000, wed).unwrap();
    assert_eq!(q.total, 24150);
    let o = m.state.order("o2").unwrap().clone();
    assert_eq!((o.paid, o.total, o.points_used, o.points_earned), (24150, 24150, 1000, 724));
    assert_eq!(o.line_paid, vec![14671, 7017, 2462]);
    assert_eq!(o.coupons, vec!["s5".to_string(), "f30".to_string()]);
    assert!(matches!(&m.state.coupon("f30").unwrap().state, CouponState::Used { order_id, .. } if order_id == "o2"));
    // o1's 1000 were spent; o2's 724 are pending until its refund window closes.
    assert_eq!((m.balance(wed), m.pending(wed)), (0, 724));
    assert_eq!(m.balance(wed + 7 * DAY + 1), 724);
    // Paid ≥ ¥88: the repurchase gift, valid from the next day.
    let gifts = issued_coupons(&effects);
    assert_eq!(gifts.len(), 1);
    assert_eq!((gifts[0].template.as_str(), gifts[0].source.as_str()), ("repeat-8", "repurchase"));
    assert_eq!(gifts[0].valid_from, day(2026, 11, 26).start(OFFSET));
    // Used coupons cannot be used again.
    let e = rejection(m.buy("o3", &[("tea", 3)], &["f30"], 0, wed));
    assert_eq!(e.code(), "COUPON_UNUSABLE");
    assert_eq!(e.details()["reason"], "already used by another order");
    let e = rejection(m.buy("o3", &[("tea", 3)], &["no-such-coupon"], 0, wed));
    assert_eq!(e.code(), "COUPON_NOT_FOUND");
    // A small order (¥30 < ¥88) gets no repurchase gift.
    let (_, effects) = m.buy("o3", &[("cookie", 1)], &[], 0, wed).unwrap();
    assert!(issued(&effects).is_empty());
}

#[test]
fn s8_order_input_errors() {
    let mut m = Member::new(program(), 0);
    let now = at(2026, 11, 19, 10, 0);
    let place = |id: &str, items: &[(&str, u32)], coupons: &[&str], total: i64| Mutation::PlaceOrder {
        order_id: id.into(),
        lines: lines(items),
        coupons: coupons.iter().map(|c| c.to_string()).collect(),
        points: 0,
        expected_total: total,
    };
    assert_eq!(code(m.run(place("", &[("tea", 1)], &[], 10000), now)), "INVALID_ORDER_ID");
    assert_eq!(code(m.run(place(&"x".repeat(65), &[("tea", 1)], &[], 10000), now)), "INVALID_ORDER_ID");
    assert_eq!(code(m.run(place("o1", &[], &[], 0), now)), "EMPTY_CART");
    assert_eq!(code(m.run(place("o1", &[("gin", 1)], &[], 0), now)), "UNKNOWN_SKU");
    assert_eq!(code(m.run(place("o1", &[("tea", 0)], &[], 0), now)), "INVALID_QUANTITY");
    assert_eq!(code(m.run(place("o1", &[("tea", 1)], &["nope"], 10000), now)), "COUPON_NOT_FOUND");
    m.give("snack-5", "s5", now);
    let e = rejection(m.run(place("o1", &[("tea", 1)], &["s5"], 10000), now));
    assert_eq!(e.details(), json!({ "coupon": "s5", "reason": "no item in the cart is eligible" }));
    m.run(place("o1", &[("tea", 1)], &[], 10000), now).unwrap();
    assert_eq!(code(m.run(place("o1", &[("tea", 1)], &[], 10000), now)), "DUPLICATE_ORDER_ID");
}

#[test]
fn s8_refund_restores_spent_points_with_grace_and_takes_back_earned_ones() {
    let p = program_with(|v| v["points"]["expiry"] = json!({ "type": "rollingDays", "days": 10 }));
    let mut m = Member::new(p, 0);
    m.grant(300, at(2026, 11, 1, 10, 0)); // through 11 Nov
    m.grant(200, at(2026, 11, 9, 10, 0)); // through 19 Nov
    let (q, _) = m.buy("o1", &[("tea", 1)], &[], 500, at(2026, 11, 10, 12, 0)).unwrap();
    assert_eq!((q.points.used, q.paid, q.total, q.points.earn), (500, 9500, 9500, 95));
    let spent: Vec<(String, i64)> = m.state.order("o1").unwrap().spent_lots.iter().map(|l| (l.lot.clone(), l.points)).collect();
    assert_eq!(spent, vec![("grant0-0-0".to_string(), 300), ("grant1-0-0".to_string(), 200)]);
    let refund_at = at(2026, 11, 14, 10, 0);
    assert_eq!((m.balance(refund_at), m.pending(refund_at)), (0, 95));
    let effects = m.refund("o1", refund_at).unwrap();
    let restored: Vec<(i64, Option<i64>)> = effects
        .iter()
        .flat_map(|e| match e {
            Effect::PointsRestored { lots, .. } => lots.iter().map(|l| (l.points, l.expires_at)).collect(),
            _ => vec![],
        })
        .collect();
    // The 300 had expired on 12 Nov: 30 days' grace from the refund day (through 14 Dec).
    // The 200 keep their original end (19 Nov).
    assert_eq!(restored, vec![(300, Some(day(2026, 12, 15).start(OFFSET))), (200, Some(day(2026, 11, 20).start(OFFSET)))]);
    assert!(effects.iter().any(|e| matches!(e, Effect::PointsDebited { lots, shortfall: 0, .. } if *lots == vec![LotAmount { lot: "store-1-0".into(), points: 95 }])));
    assert_eq!((m.balance(refund_at), m.pending(refund_at)), (500, 0));
    assert_eq!(m.balance(at(2026, 11, 20, 0, 0)), 300);
    assert_eq!(m.state.order("o1").unwrap().refunded_at, Some(refund_at));
}

#[test]
fn s8_refund_takes_back_earned_points_from_the_order_lot_first_with_a_shortfall() {
    let mut m = Member::new(program(), 0);
    m.grant(200, at(2026, 11, 1, 10, 0));
    m.buy("o1", &[("tea", 10)], &[], 0, at(2026, 11, 16, 10, 0)).unwrap(); // its payment earns 1000 into "store-1-0"
    let e = m.refund("o1", at(2026, 11, 17, 10, 0)).unwrap();
    // The order's own lot, not the older grant that would be spent first otherwise.
    assert!(e.iter().any(|e| matches!(e, Effect::PointsDebited { lots, shortfall: 0, .. } if *lots == vec![LotAmount { lot: "store-1-0".into(), points: 1000 }])));
    assert_eq!(m.balance(at(2026, 11, 17, 10, 0)), 200);

    // Buy, spend, refund: the earned points are pending, so they cannot be spent first (§2).
    let mut m = Member::new(program(), 0);
    m.buy("o1", &[("tea", 10)], &[], 0, at(2026, 11, 16, 10, 0)).unwrap();
    let e = rejection(m.redeem("r-coupon", at(2026, 11, 16, 11, 0)));
    assert_eq!((e.code(), e.details()["balance"].clone()), ("INSUFFICIENT_POINTS", json!(0)));

    // A lot credited before pending points existed was spendable at once; spent in the points
    // mall before the refund, only what is left is taken back.
    m.forget_pending();
    m.redeem("r-coupon", at(2026, 11, 16, 11, 0)).unwrap();
    m.redeem("r-coupon", at(2026, 11, 16, 11, 1)).unwrap();
    m.grant(300, at(2026, 11, 16, 12, 0));
    let e = m.refund("o1", at(2026, 11, 17, 10, 0)).unwrap();
    let (lots, shortfall) = e
        .iter()
        .find_map(|e| match e {
            Effect::PointsDebited { lots, shortfall, .. } => Some((lots.clone(), *shortfall)),
            _ => None,
        })
        .unwrap();
    assert_eq!(lots.iter().map(|l| l.points).sum::<i64>(), 300);
    assert_eq!(shortfall, 700);
    assert_eq!(m.balance(at(2026, 11, 17, 10, 0)), 0);
    assert_eq!(m.state.ledger.last().unwrap().shortfall, 700);
}

#[test]
fn s8_refund_returns_coupons_still_valid_and_the_window() {
    let mut m = Member::new(program(), 0);
    let wed = at(2026, 11, 25, 10, 0);
    let md = m.claim_id("md-15", wed); // valid on Wed 25 only
    m.give("snack-5", "s5", wed);
    m.buy("o1", &[("tea", 1), ("nuts", 1)], &["s5", &md], 0, wed).unwrap();
    let e = m.refund("o1", at(2026, 11, 26, 10, 0)).unwrap();
    let returned: Vec<_> = e
        .iter()
        .filter_map(|e| match e {
            Effect::CouponReturned { coupon } => Some(coupon.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(returned, vec!["s5"]);
    assert_eq!(m.state.coupon("s5").unwrap().state, CouponState::Available);
    assert!(matches!(m.state.coupon(&md).unwrap().state, CouponState::Used { .. }));
    assert_eq!(code(m.refund("o1", at(2026, 11, 26, 11, 0))), "ALREADY_REFUNDED");
    assert_eq!(code(m.refund("o9", at(2026, 11, 26, 11, 0))), "ORDER_NOT_FOUND");
    // refundDays 7: up to exactly 7 × 24 h after placing.
    m.buy("o2", &[("tea", 1)], &[], 0, wed).unwrap();
    let e = rejection(m.refund("o2", wed + 7 * DAY + 1));
    assert_eq!((e.code(), e.details()), ("REFUND_WINDOW_CLOSED", json!({ "orderId": "o2", "refundDays": 7 })));
    m.refund("o2", wed + 7 * DAY).unwrap();
}

#[test]
fn s8_first_order_gift_only_once() {
    let mut m = Member::new(program(), 0);
    let now = at(2026, 11, 19, 10, 0);
    let (_, e) = m.buy("o1", &[("cookie", 1)], &[], 0, now).unwrap();
    assert_eq!(issued_coupons(&e)[0].source, "firstOrder");
    m.refund("o1", now + HOUR).unwrap();
    let (_, e) = m.buy("o2", &[("cookie", 1)], &[], 0, now + 2 * HOUR).unwrap();
    assert!(issued(&e).is_empty());
}

#[test]
fn s8_limited_sale_flags() {
    let start = sale_start(); // Fri 20 Nov 10:00, gold may buy from 09:30
    let silver = Member::new(program(), 0);
    let flag = |m: &Member, qty: u32, now: i64| m.quote(&[("honey", qty)], none(), no_points(), now).lines[0].flag;
    assert_eq!(flag(&silver, 1, start - 60 * 60_000), Some(LineFlag::NotStarted));
    assert_eq!(flag(&silver, 1, start - 15 * 60_000), Some(LineFlag::EarlyAccessOnly));
    assert_eq!(flag(&silver, 1, start), None);
    assert_eq!(flag(&silver, 2, start), Some(LineFlag::LimitReached));
    assert_eq!(flag(&silver, 1, start + 7 * DAY), Some(LineFlag::Ended));
    let mut sold_out = Member::new(program(), 0);
    sold_out.stock.remaining.insert(Counter::SaleStock("honey".into()).key(), 0);
    assert_eq!(flag(&sold_out, 1, start), Some(LineFlag::SoldOut));
    assert_eq!(serde_json::to_value(LineFlag::EarlyAccessOnly).unwrap(), json!("EARLY_ACCESS_ONLY"));

    // A flagged line is priced at 0 and blocks placeOrder.
    let mut m = Member::new(program(), 0);
    let q = m.quote(&[("honey", 1), ("tea", 1)], none(), no_points(), start - 15 * 60_000);
    assert_eq!((q.lines[0].amount, q.lines[0].paid, q.list_total, q.total, q.orderable), (0, 0, 10000, 10000, false));
    let e = rejection(m.buy("o1", &[("honey", 1), ("tea", 1)], &[], 0, start - 15 * 60_000));
    assert_eq!((e.code(), e.details()), ("LINE_UNAVAILABLE", json!({ "sku": "honey", "reason": "EARLY_ACCESS_ONLY" })));

    // Gold buys early at the sale price (15000 beats the gold price 16000).
    let mut gold = Member::new(program(), 0);
    gold.buy("o0", &[("tea", 10)], &[], 0, at(2026, 11, 16, 10, 0)).unwrap();
    let q = gold.quote(&[("honey", 1)], none(), no_points(), start - 15 * 60_000);
    assert_eq!((q.lines[0].flag, q.lines[0].unit_price), (None, 15000));
    let adj: Vec<_> = q.lines[0].adjustments.iter().map(|a| (a.kind, a.amount)).collect();
    assert_eq!(adj, vec![(AdjustmentKind::MemberPrice, 4000), (AdjustmentKind::SalePrice, 1000)]);
    let (_, e) = gold.buy("o1", &[("honey", 1)], &[], 0, start - 15 * 60_000).unwrap();
    assert!(e.contains(&Effect::StockTaken { counter: Counter::SaleStock("honey".into()), units: 1 }));
    assert_eq!(gold.stock.remaining(&Counter::SaleStock("honey".into())), Some(1));
    assert_eq!(flag(&gold, 1, start), Some(LineFlag::LimitReached));
    // A refund gives the unit back, to the stock and to the member's limit.
    gold.refund("o1", start).unwrap();
    assert_eq!(gold.stock.remaining(&Counter::SaleStock("honey".into())), Some(2));
    assert_eq!(flag(&gold, 1, start), None);
}

#[test]
fn s8_a_sold_out_line_is_refused_for_itself_before_the_coupon_that_needed_it() {
    // 满200减30 needs the honey (150) with the cookie (30) to reach ¥200; the honey sold out.
    let start = sale_start();
    let mut m = Member::new(program(), 0);
    let coupon = m.claim_id("full-200-30", start);
    m.stock.remaining.insert(Counter::SaleStock("honey".into()).key(), 0);
    let e = rejection(m.buy("o1", &[("honey", 1), ("cookie", 2)], &[&coupon], 0, start));
    assert_eq!((e.code(), e.details()), ("LINE_UNAVAILABLE", json!({ "sku": "honey", "reason": "SOLD_OUT" })));
    // Before the sale starts, likewise: the line's own reason, not the coupon's minimum spend.
    let e = rejection(m.buy("o1", &[("honey", 1), ("cookie", 2)], &[&coupon], 0, start - 60 * 60_000));
    assert_eq!((e.code(), e.details()["reason"].as_str()), ("LINE_UNAVAILABLE", Some("NOT_STARTED")));
}

#[test]
fn s8_flagged_lines_do_not_count_as_savings() {
    // A flagged line with a member price is priced at 0: no member-price saving is claimed for it.
    let mut gold = Member::new(program(), 0);
    gold.buy("o0", &[("tea", 10)], &[], 0, at(2026, 11, 16, 10, 0)).unwrap();
    let q = gold.quote(&[("honey", 1), ("cookie", 1)], none(), no_points(), sale_start() + 7 * DAY);
    assert_eq!(q.lines[0].flag, Some(LineFlag::Ended));
    assert_eq!((q.list_total, q.total, q.saved), (3000, 3800, 0));
    assert_eq!(q.savings.iter().map(|s| s.amount).sum::<i64>(), q.saved);
}

// ───────────────────────────────────── §9 Points mall ─────────────────────────────────────

#[test]
fn s9_points_mall() {
    let mut m = Member::new(program(), 0);
    let now = at(2026, 11, 20, 10, 0);
    m.grant(4500, now);
    let e = m.redeem("r-coupon", now).unwrap();
    let c = &issued_coupons(&e)[0];
    assert_eq!((c.id.as_str(), c.template.as_str(), c.source.as_str()), ("c-1-1", "mall-5", "pointsMall"));
    assert_eq!(m.state.redemptions[0].id, "c-1-0");
    assert_eq!(m.state.redemptions[0].coupon.as_deref(), Some("c-1-1"));
    m.redeem("r-coupon", now).unwrap();
    let e = rejection(m.redeem("r-coupon", now));
    assert_eq!((e.code(), e.details()), ("REWARD_LIMIT_REACHED", json!({ "reward": "r-coupon", "limit": 2 })));
    assert_eq!(m.balance(now), 3500);
    // Goods with a stock of 1: the first member gets it.
    let e = m.redeem("r-cup", now).unwrap();
    assert!(e.contains(&Effect::StockTaken { counter: Counter::RewardStock("r-cup".into()), units: 1 }));
    assert_eq!(m.balance(now), 500);
    let mut other = Member::new(program(), 0);
    other.stock = m.stock.clone();
    other.grant(5000, now);
    assert_eq!(code(other.redeem("r-cup", now)), "OUT_OF_STOCK");
    assert_eq!(code(other.redeem("r-none", now)), "UNKNOWN_REWARD");
    // Redeeming needs the points, not minBalance.
    let mut poor = Member::new(program(), 0);
    assert_eq!(code(poor.redeem("r-coupon", now)), "INSUFFICIENT_POINTS");
}

// ───────────────────────────────────── §10 Segments ─────────────────────────────────────

fn fake_order(id: &str, placed_at: i64, coupon: bool) -> Order {
    Order {
        id: id.into(),
        placed_at,
        status: siyu::state::OrderStatus::Paid,
        pay_by: None,
        paid_at: Some(placed_at),
        transaction_id: None,
        cancelled_at: None,
        cancelled_by: None,
        lines: vec![OrderLine { sku: "tea".into(), qty: 1 }],
        promotions: vec![],
        gifts: vec![],
        gifts_sold_out: vec![],
        line_paid: vec![10000],
        coupons: if coupon { vec![format!("{id}-coupon")] } else { vec![] },
        goods: 10000,
        points_used: 0,
        points_value: 0,
        paid: 10000,
        shipping: 0,
        total: 10000,
        points_earned: 0,
        earned_lot: None,
        spent_lots: vec![],
        refunded_at: None,
        gift: None,
        gift_used_by: None,
    }
}

fn with_orders(orders: &[(i64, bool)]) -> MemberState {
    let mut s = MemberState::new("m1", 0);
    s.orders = orders.iter().enumerate().map(|(i, (t, c))| fake_order(&format!("o{i}"), *t, *c)).collect();
    s
}

#[test]
fn s10_lifecycle() {
    let now = at(2026, 11, 22, 12, 0);
    let life = |orders: &[(i64, bool)]| siyu::segments::of(&with_orders(orders), now).lifecycle;
    assert_eq!(life(&[]), Lifecycle::Prospect);
    assert_eq!(life(&[(now - 14 * DAY, false)]), Lifecycle::New);
    assert_eq!(life(&[(now - 14 * DAY - 1, false)]), Lifecycle::Active);
    let four = [(now - 300 * DAY, false), (now - 200 * DAY, false), (now - 150 * DAY, false), (now - 121 * DAY, false)];
    assert_eq!(life(&four), Lifecycle::Loyal); // loyal wins over lapsing
    assert_eq!(life(&four[1..]), Lifecycle::Lapsing);
    assert_eq!(life(&[(now - 120 * DAY, false)]), Lifecycle::Active);
    assert_eq!(life(&[(now - 366 * DAY, false), (now - 200 * DAY, false), (now - 150 * DAY, false), (now - 30 * DAY, false)]), Lifecycle::Active);
}

#[test]
fn s10_activity_and_price_sensitivity_and_tags() {
    let now = at(2026, 11, 22, 12, 0);
    let mut s = with_orders(&[(now - 40 * DAY, true), (now - 30 * DAY, true), (now - 20 * DAY, true), (now - 10 * DAY, false), (now - 5 * DAY, false)]);
    let seg = siyu::segments::of(&s, now);
    assert_eq!((seg.active_within_3_days, seg.active_within_7_days, seg.active_within_14_days), (false, true, true));
    assert_eq!((seg.coupon_share_bp, seg.price_sensitivity), (6000, Some(PriceSensitivity::High)));
    assert_eq!(seg.lifecycle, Lifecycle::Loyal);
    assert_eq!(seg.tags, vec!["activity.7d", "activity.14d", "lifecycle.loyal", "priceSensitivity.high"]);
    // A check-in counts as activity.
    s.check_ins.push(siyu::state::CheckIn { day: day(2026, 11, 21), kind: CheckInKind::Normal, at: now - DAY });
    assert!(siyu::segments::of(&s, now).active_within_3_days);
    let share = |with: usize, of: usize| {
        let orders: Vec<(i64, bool)> = (0..of).map(|i| (now - (i as i64 + 1) * DAY, i < with)).collect();
        siyu::segments::of(&with_orders(&orders), now).price_sensitivity
    };
    assert_eq!(share(1, 5), Some(PriceSensitivity::Low)); // 20 %
    assert_eq!(share(2, 5), Some(PriceSensitivity::Medium)); // 40 %
    assert_eq!(share(3, 5), Some(PriceSensitivity::High)); // 60 %
    assert_eq!(siyu::segments::of(&with_orders(&[]), now).price_sensitivity, None);
    assert_eq!(siyu::segments::of(&with_orders(&[]), now).tags, vec!["lifecycle.prospect"]);
}

// ───────────────────────────────────── §11 Reminders ─────────────────────────────────────

#[test]
fn s11_reminders_due() {
    let mut m = with_birthday(program(), "11-20");
    m.give("new-10", "n10", at(2026, 10, 29, 10, 0)); // through 27 Nov
    m.grant(100, at(2025, 6, 1, 10, 0)); // expires at the end of 2026
    // Tue 24 Nov 21:00, not checked in today. The coupon ends in 3 days and 3 hours: not yet.
    let due = siyu::reminders::due(&m.program, &m.state, at(2026, 11, 24, 21, 0));
    assert_eq!(
        due,
        vec![
            Reminder::StreakAtRisk { streak: 0, todays_reward: 5 },
            Reminder::MemberDay { day: day(2026, 11, 25), today: false },
            Reminder::BirthdayCoupon { template: "bday".into() },
        ]
    );
    // Wed 25 21:00: the coupon is 3 days from its end, member day is today.
    m.claim("bday", at(2026, 11, 25, 9, 0)).unwrap();
    let due = siyu::reminders::due(&m.program, &m.state, at(2026, 11, 25, 21, 0));
    assert_eq!(
        due,
        vec![
            Reminder::CouponExpiring {
                coupon: "n10".into(),
                template: "new-10".into(),
                name: "首单礼 ¥10".into(),
                valid_to: day(2026, 11, 28).start(OFFSET),
                days_left: 3,
            },
            Reminder::StreakAtRisk { streak: 0, todays_reward: 15 }, // 5 + member-day bonus 10
            Reminder::MemberDay { day: day(2026, 11, 25), today: true },
        ]
    );
    // 2 Dec: the points expire within 30 days; checked in, so no streak reminder.
    m.check_in(at(2026, 12, 2, 9, 0)).unwrap();
    let due = siyu::reminders::due(&m.program, &m.state, at(2026, 12, 2, 21, 0));
    assert_eq!(
        due,
        vec![
            Reminder::PointsExpiring { points: 100, first_expiry: day(2027, 1, 1).start(OFFSET) },
            Reminder::MemberDay { day: day(2026, 12, 2), today: true },
        ]
    );
    // Before the reminder hour nothing about the streak.
    let due = siyu::reminders::due(&m.program, &m.state, at(2026, 12, 3, 19, 59));
    assert!(!due.iter().any(|r| matches!(r, Reminder::StreakAtRisk { .. })));
}

// ─────────────────────────────────── Program validation ───────────────────────────────────

fn invalid(change: impl FnOnce(&mut serde_json::Value)) -> (String, String, String) {
    let mut v = program_json();
    change(&mut v);
    let Err(e) = Program::from_json(&v.to_string()) else { panic!("the program was accepted") };
    let d = e.details();
    (e.to_string(), d["path"].as_str().unwrap().to_string(), d["problem"].as_str().unwrap().to_string())
}

#[test]
fn invalid_program_errors_name_the_json_path() {
    let (text, path, problem) = invalid(|v| v["couponTemplates"][2]["kind"]["bp"] = json!(0));
    assert_eq!(text, "invalid program at couponTemplates[2].kind.bp: must be 1..=10000");
    assert_eq!((path.as_str(), problem.as_str()), ("couponTemplates[2].kind.bp", "must be 1..=10000"));
    let e = Program::from_json("{}").unwrap_err();
    assert_eq!(e.code(), "INVALID_PROGRAM");

    assert_eq!(invalid(|v| v["tiers"][1]["minGrowth"] = json!("lots")).1, "tiers[1].minGrowth");
    assert_eq!(invalid(|v| v["tiers"][1]["minGrowth"] = json!(0)).1, "tiers[1].minGrowth");
    assert_eq!(invalid(|v| v["catalog"][1]["listPrice"] = json!(-1)).1, "catalog[1].listPrice");
    assert_eq!(invalid(|v| v["catalog"][0]["memberPrices"]["platinum"] = json!(1)).1, "catalog[0].memberPrices.platinum");
    assert_eq!(invalid(|v| v["checkIn"]["streakBonuses"][1]["day"] = json!(8)).1, "checkIn.streakBonuses[1].day");
    assert_eq!(invalid(|v| v["checkIn"]["streakBonuses"][1]["coupons"][0] = json!("nope")).1, "checkIn.streakBonuses[1].coupons[0]");
    assert_eq!(invalid(|v| v["memberDay"]["weekdays"][0] = json!(8)).1, "memberDay.weekdays[0]");
    assert_eq!(invalid(|v| v["points"]["redeemRate"] = json!(300)).1, "points.unit"); // 100 points would be 33⅓ fen
    assert_eq!(invalid(|v| v["couponTemplates"][4]["stackGroup"] = json!("order")).1, "couponTemplates[4].stackGroup");
    assert_eq!(invalid(|v| v["couponTemplates"][3]["validity"]["days"] = json!(0)).1, "couponTemplates[3].validity.days");
    assert_eq!(invalid(|v| v["couponTemplates"][3]["scope"]["skus"] = json!(["tea", "gin"])).1, "couponTemplates[3].scope.skus[1]");
    assert_eq!(invalid(|v| v["couponTemplates"][3]["scope"]["excludeSkus"] = json!(["gin"])).1, "couponTemplates[3].scope.excludeSkus[0]");
    assert_eq!(invalid(|v| v["couponTemplates"][3]["scope"]["categories"] = json!(["snacks"])).1, "couponTemplates[3].scope.categories[0]");
    assert_eq!(invalid(|v| v["couponTemplates"][3]["scope"]["excludeCategories"] = json!(["tea", "x"])).1, "couponTemplates[3].scope.excludeCategories[1]");
    assert_eq!(invalid(|v| v["rewards"][0]["perMember"] = json!(0)).1, "rewards[0].perMember");
    assert_eq!(invalid(|v| v["couponTemplates"][10]["audience"]["segments"][0] = json!("vip")).1, "couponTemplates[10].audience.segments[0]");
    assert_eq!(invalid(|v| v["couponTemplates"][1]["id"] = json!("new-10")).1, "couponTemplates[1]");
    let (_, path, problem) = invalid(|v| v["couponTemplates"][0]["bogus"] = json!(1));
    assert_eq!(path, "couponTemplates[0].bogus");
    assert!(problem.starts_with("unknown field `bogus`"), "{problem}");
    assert_eq!(invalid(|v| v["limitedSales"][0]["endsAt"] = json!(0)).1, "limitedSales[0].endsAt");
    assert_eq!(invalid(|v| v["gifts"]["firstOrder"] = json!("nope")).1, "gifts.firstOrder");
    assert_eq!(invalid(|v| v["rewards"][1]["costPoints"] = json!(0)).1, "rewards[1].costPoints");
    assert_eq!(invalid(|v| v["utcOffsetMinutes"] = json!(900)).1, "utcOffsetMinutes");
}

#[test]
fn the_demo_program_loads_and_prices_a_cart() {
    // Compiled in, so that the browser run (no file system) checks it too.
    let p = Program::from_json(include_str!("../programs/health-food.json")).unwrap();
    let m = Member::new(p, 0);
    let q = m.quote(&[("almond-250", 2)], none(), no_points(), at(2026, 11, 19, 10, 0));
    assert_eq!((q.goods, q.shipping, q.total), (7980, 800, 8780));
}

#[test]
fn points_summary_groups_lots_by_expiry_and_pages_the_ledger() {
    let earned = at(2026, 3, 1, 10, 0);
    let mut m = Member::new(program(), earned);
    for i in 0..25 {
        m.grant(10 + i, earned + i * 60_000);
    }
    let s = siyu::points::summary(&m.state, at(2026, 11, 20, 12, 0));
    // Every lot earned in 2026 expires at the end of 2027: one group holding all of them.
    assert_eq!(s.by_expiry.len(), 1);
    assert_eq!(s.by_expiry[0].points, (10..35).sum::<i64>());
    assert_eq!((s.ledger.len(), s.ledger_total), (siyu::points::LEDGER_PREVIEW, 25));
    assert_eq!(s.ledger[0].delta, 34, "newest first");
    let rest = siyu::points::ledger_page(&m.state, 20, 100);
    assert_eq!(rest.iter().map(|e| e.delta).collect::<Vec<_>>(), vec![14, 13, 12, 11, 10]);
}

#[test]
fn too_many_chosen_coupons_are_refused_before_pricing() {
    let mut m = Member::new(program(), 0);
    let ids: Vec<String> = (0..21).map(|i| format!("c{i}")).collect();
    let request = siyu::quote::QuoteRequest {
        lines: vec![siyu::state::OrderLine { sku: "tea".into(), qty: 1 }],
        coupons: siyu::quote::CouponChoice::Chosen(ids.clone()),
        points: Default::default(),
    };
    let e = siyu::quote::quote(&m.program, &m.state, &m.stock, &request, at(2026, 11, 19, 10, 0)).unwrap_err();
    assert_eq!(siyu::Rejection::from(e).code(), "TOO_MANY_COUPONS");
    let order = Mutation::PlaceOrder {
        order_id: "o1".into(),
        lines: vec![siyu::state::OrderLine { sku: "tea".into(), qty: 1 }],
        coupons: ids,
        points: 0,
        expected_total: 0,
    };
    assert_eq!(m.run(order, at(2026, 11, 19, 10, 0)).unwrap_err().code(), "TOO_MANY_COUPONS");
}

// ─────────────────────── Rules of this release: each with its worked example ───────────────────────

/// (milestone days, the points credited for it by reason) of a check-in's effects.
fn milestone_of(effects: &[Effect]) -> (Option<u32>, Vec<(String, i64)>) {
    let milestone = effects.iter().find_map(|e| match e {
        Effect::CheckedIn { milestone, .. } => Some(*milestone),
        _ => None,
    });
    let credits = effects
        .iter()
        .filter_map(|e| match e {
            Effect::PointsCredited { lot, reason } => Some((reason.clone(), lot.points)),
            _ => None,
        })
        .collect();
    (milestone.expect("a check-in effect"), credits)
}

fn with_cumulative(cycle: &str, milestones: serde_json::Value) -> Program {
    program_with(|v| {
        v["checkIn"]["cycle"] = json!(cycle);
        v["checkIn"]["cumulative"] = milestones;
    })
}

#[test]
fn s1_cumulative_milestones_count_the_weeks_check_ins_and_add_to_the_days_reward() {
    let p = with_cumulative("weekly", json!([{ "days": 2, "points": 7 }, { "days": 5, "points": 20, "coupons": ["streak-5"] }, { "days": 7, "points": 50 }]));
    let mut m = Member::new(p, at(2026, 11, 16, 8, 0));
    // Mon 16: the first of the week. Tue 17 missed.
    assert_eq!(milestone_of(&m.check_in(at(2026, 11, 16, 9, 0)).unwrap()), (None, vec![("checkIn".into(), 5)]));
    // Wed 18 (member day): the week's second check-in (cycle day 1 again): base 5 and the
    // member-day 10, plus the milestone's 7.
    let wed = at(2026, 11, 18, 9, 0);
    let view = siyu::checkin::streak(&m.program, &m.state, wed);
    assert_eq!((view.cycle_day, view.todays_reward), (0, 22));
    let c = view.cumulative.unwrap();
    assert_eq!((c.count, c.first_day, c.last_day, c.next.map(|n| (n.days, n.check_ins))), (1, day(2026, 11, 16), day(2026, 11, 22), Some((2, 1))));
    let effects = m.check_in(wed).unwrap();
    assert_eq!(milestone_of(&effects), (Some(2), vec![("checkIn".into(), 15), ("checkInMilestone:2".into(), 7)]));
    let c = siyu::checkin::streak(&m.program, &m.state, wed).cumulative.unwrap();
    assert_eq!((c.count, c.reached.clone(), c.next.map(|n| (n.days, n.check_ins, n.points))), (2, vec![2], Some((5, 3, 20))));
    // Thu, Fri: nothing more; Sat 21: the fifth, with the milestone's coupon.
    for d in [19, 20] {
        assert_eq!(milestone_of(&m.check_in(at(2026, 11, d, 9, 0)).unwrap()).0, None);
    }
    let sat = at(2026, 11, 21, 9, 0);
    let effects = m.check_in(sat).unwrap();
    assert_eq!(milestone_of(&effects).0, Some(5));
    assert!(milestone_of(&effects).1.contains(&("checkInMilestone:5".into(), 20)));
    assert_eq!(issued_coupons(&effects).iter().map(|c| (c.template.as_str(), c.source.as_str())).collect::<Vec<_>>(), vec![("streak-5", "checkInMilestone")]);
    // Seven is out of reach now (one day left): no next milestone.
    let c = siyu::checkin::streak(&m.program, &m.state, sat).cumulative.unwrap();
    assert_eq!((c.count, c.reached, c.next), (5, vec![2, 5], None));
    // Sun 22: six, nothing. Mon 23: a new week counts from one.
    assert_eq!(milestone_of(&m.check_in(at(2026, 11, 22, 9, 0)).unwrap()).0, None);
    let mon = at(2026, 11, 23, 9, 0);
    assert_eq!(milestone_of(&m.check_in(mon).unwrap()), (None, vec![("checkIn".into(), 5)]));
    let cal = siyu::checkin::calendar(&m.program, &m.state, 2026, 11, mon).unwrap();
    assert_eq!(cal.streak.cumulative.map(|c| (c.count, c.next.map(|n| n.days))), Some((1, Some(2))));
}

#[test]
fn s1_a_makeup_check_in_completes_a_milestone_and_earns_nothing_itself() {
    let p = with_cumulative("weekly", json!([{ "days": 3, "points": 15 }]));
    let mut m = Member::new(p, at(2026, 11, 16, 8, 0));
    m.grant(100, at(2026, 11, 16, 8, 0));
    m.check_in(at(2026, 11, 16, 9, 0)).unwrap();
    m.check_in(at(2026, 11, 18, 9, 0)).unwrap();
    // Wed 18: fill Tue 17 (20 points): the week's third check-in completes the milestone.
    let now = at(2026, 11, 18, 10, 0);
    let effects = m.makeup(day(2026, 11, 17), now).unwrap();
    assert_eq!(milestone_of(&effects), (Some(3), vec![("checkInMilestone:3".into(), 15)]));
    assert_eq!(m.balance(now), 100 + 5 + 15 - 20 + 15, "Mon 5, Wed 5 + member day 10, the makeup −20, the milestone 15");
    // Once per week: the fourth check-in completes nothing.
    assert_eq!(milestone_of(&m.check_in(at(2026, 11, 19, 9, 0)).unwrap()).0, None);
    let c = siyu::checkin::streak(&m.program, &m.state, at(2026, 11, 19, 9, 0)).cumulative.unwrap();
    assert_eq!((c.count, c.reached), (4, vec![3]));
}

#[test]
fn s1_with_a_rolling_cycle_cumulative_check_ins_count_per_calendar_month() {
    let p = with_cumulative("rolling", json!([{ "days": 2, "points": 9 }]));
    let mut m = Member::new(p, at(2026, 11, 29, 8, 0));
    m.check_in(at(2026, 11, 29, 9, 0)).unwrap();
    assert_eq!(milestone_of(&m.check_in(at(2026, 11, 30, 9, 0)).unwrap()).0, Some(2));
    // 1 December starts a new count, though the streak goes on.
    let effects = m.check_in(at(2026, 12, 1, 9, 0)).unwrap();
    assert_eq!((checked(&effects).0, milestone_of(&effects).0), (3, None));
    assert_eq!(milestone_of(&m.check_in(at(2026, 12, 2, 9, 0)).unwrap()).0, Some(2));
}

#[test]
fn s1_cumulative_milestones_are_validated_with_their_path() {
    for (cycle, milestones, path) in [
        ("weekly", json!([{ "days": 8, "points": 1 }]), "checkIn.cumulative[0].days"),
        ("monthly", json!([{ "days": 0 }]), "checkIn.cumulative[0].days"),
        ("monthly", json!([{ "days": 10, "points": 1 }, { "days": 10, "points": 2 }]), "checkIn.cumulative[1].days"),
        ("monthly", json!([{ "days": 10, "coupons": ["nope"] }]), "checkIn.cumulative[0].coupons[0]"),
    ] {
        let (_, at_path, _) = invalid(|v| {
            v["checkIn"]["cycle"] = json!(cycle);
            v["checkIn"]["cumulative"] = milestones;
        });
        assert_eq!(at_path, path);
    }
}

#[test]
fn s1_days_before_joining_are_neither_missed_nor_makeable() {
    // Joined Fri 27 Nov: 1–26 Nov were never the member's to miss.
    let joined = at(2026, 11, 27, 10, 0);
    let mut m = Member::new(program(), joined);
    m.grant(100, joined);
    let cal = siyu::checkin::calendar(&m.program, &m.state, 2026, 11, joined).unwrap();
    assert!(cal.days[..26].iter().all(|d| d.status == DayStatus::BeforeJoining && !d.can_make_up));
    assert_eq!(cal.days[26].status, DayStatus::Today);
    let e = rejection(m.makeup(day(2026, 11, 26), joined));
    assert_eq!((e.code(), e.details()), ("MAKEUP_DAY_NOT_MISSED", json!({ "day": "2026-11-26", "reason": "the member had not joined yet" })));
    assert_eq!(m.balance(joined), 100, "nothing was spent");
}

#[test]
fn s1_a_makeup_receipt_reports_the_streak_that_streak_then_shows() {
    let mut m = Member::new(program(), at(2026, 11, 16, 8, 0));
    m.grant(100, at(2026, 11, 16, 8, 0));
    m.check_in(at(2026, 11, 16, 9, 0)).unwrap();
    m.check_in(at(2026, 11, 18, 9, 0)).unwrap();
    // Thu 19, before today's check-in: fill Tue 17.
    let now = at(2026, 11, 19, 9, 0);
    let receipt = checked(&m.makeup(day(2026, 11, 17), now).unwrap());
    let view = siyu::checkin::streak(&m.program, &m.state, now);
    assert_eq!((receipt.0, receipt.1), (view.streak, view.cycle_day));
    assert_eq!((view.streak, view.cycle_day), (3, 3));
}

#[test]
fn s2_purchase_points_are_pending_until_the_refund_window_closes() {
    // pendingDays 14 is longer than refundDays 7: pending 14 days; points last 30 days from
    // the day they become available.
    let p = program_with(|v| {
        v["points"]["pendingDays"] = json!(14);
        v["points"]["expiry"] = json!({ "type": "rollingDays", "days": 30 });
    });
    let mut m = Member::new(p, at(2026, 11, 2, 8, 0));
    let paid_at = at(2026, 11, 2, 10, 0);
    let (_, effects) = m.buy("o1", &[("tea", 10)], &[], 0, paid_at).unwrap();
    assert_eq!(credited(&effects), 1000);
    let available_at = paid_at + 14 * DAY + 1; // Mon 16 Nov 10:00:00.001
    let lot = m.state.lots.iter().find(|l| l.source == "order:o1").unwrap().clone();
    assert_eq!((lot.available_at, lot.expires_at), (Some(available_at), Some(day(2026, 12, 17).start(OFFSET))));
    let summary = siyu::points::summary(&m.state, paid_at);
    assert_eq!((summary.balance, summary.pending, summary.expiring_soon), (0, 1000, 0));
    assert_eq!(summary.pending_lots[0].available_at, available_at);
    // Never spendable while pending: not in the points mall, not as payment.
    let e = rejection(m.redeem("r-coupon", available_at - 1));
    assert_eq!((e.code(), e.details()["balance"].clone()), ("INSUFFICIENT_POINTS", json!(0)));
    let q = m.quote(&[("tea", 1)], CouponChoice::Mode(CouponMode::None), PointsChoice::Mode(PointsMode::Max), available_at - 1);
    assert_eq!((q.points.balance, q.points.used), (0, 0));
    // Available from the next millisecond on, without any event.
    assert_eq!((m.balance(available_at), m.pending(available_at)), (1000, 0));
    m.redeem("r-coupon", available_at).unwrap();
    assert_eq!(m.balance(available_at), 500);
    // Past the window the order can no longer be refunded, so nothing can cancel them.
    assert_eq!(rejection(m.refund("o1", available_at)).code(), "REFUND_WINDOW_CLOSED");
}

#[test]
fn s2_a_refund_inside_the_window_cancels_the_pending_lot_and_leaves_other_lots_alone() {
    let mut m = Member::new(program(), at(2026, 11, 16, 8, 0));
    m.grant(200, at(2026, 11, 16, 8, 0));
    m.buy("o1", &[("tea", 10)], &[], 0, at(2026, 11, 16, 10, 0)).unwrap();
    m.buy("o2", &[("tea", 3)], &[], 0, at(2026, 11, 17, 10, 0)).unwrap();
    let o2_points = m.state.order("o2").unwrap().points_earned;
    assert!(o2_points > 0);
    let refund_at = at(2026, 11, 20, 10, 0);
    assert_eq!((m.balance(refund_at), m.pending(refund_at)), (200, 1000 + o2_points));
    let effects = m.refund("o1", refund_at).unwrap();
    // The whole pending lot, nothing from the available 200 or o2's pending lot.
    let debits: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::PointsDebited { lots, shortfall, reason, .. } => Some((lots.clone(), *shortfall, reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(debits, vec![(vec![LotAmount { lot: "store-1-0".into(), points: 1000 }], 0, "refund:o1".to_string())]);
    assert_eq!((m.balance(refund_at), m.pending(refund_at)), (200, o2_points));
    let summary = siyu::points::summary(&m.state, refund_at);
    assert_eq!(summary.pending_lots.iter().map(|l| l.source.as_str()).collect::<Vec<_>>(), vec!["order:o2"]);
    assert_eq!(summary.ledger[0].delta, -1000);
    // o2's points become available when its own window closes; o1's never do.
    let o2_available = at(2026, 11, 24, 10, 0) + 1;
    assert_eq!((m.balance(o2_available - 1), m.balance(o2_available)), (200, 200 + o2_points));
}

#[test]
fn s2_a_refund_does_not_take_back_earned_points_that_expired() {
    // Points last one day: the 100 earned on Mon 16 Nov expire at the end of Tue 17.
    let p = program_with(|v| v["points"]["expiry"] = json!({ "type": "rollingDays", "days": 1 }));
    // (A lot credited before pending points existed: a pending lot's expiry runs from the day it
    // becomes available, after the refund window.)
    let mut m = Member::new(p, at(2026, 11, 16, 8, 0));
    let (_, effects) = m.buy("o1", &[("tea", 1)], &[], 0, at(2026, 11, 16, 9, 0)).unwrap();
    assert_eq!(credited(&effects), 100);
    m.forget_pending();
    for lot in &mut m.state.lots {
        lot.expires_at = siyu::points::expiry_of(&m.program, lot.earned_at);
    }
    m.grant(300, at(2026, 11, 20, 9, 0));
    let refund = m.refund("o1", at(2026, 11, 20, 10, 0)).unwrap();
    assert_eq!(m.balance(at(2026, 11, 20, 10, 0)), 300, "the expired 100 are not taken from the new lot");
    assert!(!refund.iter().any(|e| matches!(e, Effect::PointsDebited { .. })), "{refund:?}");
}

#[test]
fn s6_an_ended_template_is_neither_claimable_nor_redeemable() {
    // `old-5` was valid until Sun 15 Nov; on Thu 19 Nov it has ended.
    let p = program_with(|v| {
        v["couponTemplates"].as_array_mut().unwrap().push(json!({
            "id": "old-5", "name": "旧券", "kind": { "type": "amountOff", "amount": 500 }, "stackGroup": "order",
            "validity": { "type": "fixed", "from": at(2026, 11, 1, 0, 0), "to": day(2026, 11, 15).end(OFFSET) },
            "perMember": 1, "totalQuota": 100, "claimable": true
        }));
        v["rewards"].as_array_mut().unwrap().push(json!({ "id": "r-old", "name": "旧券", "costPoints": 500, "grants": { "type": "coupon", "template": "old-5" } }));
    });
    let now = at(2026, 11, 19, 9, 0);
    let mut m = Member::new(p, at(2026, 11, 1, 8, 0));
    m.grant(1000, now);
    let e = rejection(m.claim("old-5", now));
    assert_eq!((e.code(), e.details()["template"].clone()), ("COUPON_ENDED", json!("old-5")));
    assert_eq!(code(m.redeem("r-old", now)), "COUPON_ENDED");
    // Nothing was spent: the quota, the member's one claim, the points.
    assert_eq!(m.stock.remaining(&Counter::CouponQuota("old-5".into())), Some(100));
    assert_eq!(m.balance(now), 1000);
    assert!(m.state.coupons.is_empty());
    let offer = siyu::coupons::claim_centre(&m.program, &m.state, &m.stock, now).into_iter().find(|o| o.template.id == "old-5").unwrap();
    assert_eq!((offer.claimable, offer.reason.as_deref()), (false, Some("COUPON_ENDED")));
    // While it ran, it could be claimed.
    assert!(m.claim("old-5", at(2026, 11, 15, 9, 0)).is_ok());
}

#[test]
fn s7_best_selection_never_spends_a_coupon_that_saves_nothing_overall() {
    // One tea (10000); A = ¥1 order coupon (30 days), B = ¥8 item coupon (7 days); shipping 800,
    // free from 9900. B + A: goods 9100 + shipping 800 = 9900; A alone: 9900, shipping free.
    let p = program_with(|v| {
        let t = v["couponTemplates"].as_array_mut().unwrap();
        t.push(json!({ "id": "a-1", "name": "A", "kind": { "type": "amountOff", "amount": 100 }, "stackGroup": "order", "validity": { "type": "relative", "days": 30 } }));
        t.push(json!({ "id": "b-8", "name": "B", "kind": { "type": "amountOff", "amount": 800 }, "stackGroup": "item", "validity": { "type": "relative", "days": 7 } }));
    });
    let now = at(2026, 11, 16, 9, 0);
    let mut m = Member::new(p, now);
    m.give("a-1", "A", now);
    m.give("b-8", "B", now);
    let q = m.quote(&[("tea", 1)], CouponChoice::default(), PointsChoice::Amount(0), now);
    assert_eq!((q.total, q.coupon_ids.clone()), (9900, vec!["A".to_string()]));
    assert_eq!(ids_of(&q.usable), vec!["B"], "B stays in the wallet");
    let pricer = m.pricer(&[("tea", 1)], now);
    assert_eq!(pricer.selection_ids(&pricer.brute_force_selection()), vec!["A".to_string()]);
}

#[test]
fn s7_the_cou_dan_hint_is_measured_after_the_item_coupon() {
    let now = at(2026, 11, 16, 9, 0);
    let mut m = Member::new(program(), now);
    m.give("snack-5", "s5", now);
    m.give("full-200-30", "f30", now);
    // Tea + 2 nuts = 20000; snack-5 takes 500 off the nuts, leaving 19500 for full-200-30.
    let q = m.quote(&[("tea", 1), ("nuts", 2)], CouponChoice::Chosen(vec!["s5".into(), "f30".into()]), PointsChoice::Amount(0), now);
    let u = q.unusable.iter().find(|u| u.id == "f30").unwrap();
    assert_eq!((u.reason, u.missing), (UnusableReason::BelowMinSpend, 500));
    // Best mode: tea + 1 nuts = 15000; the best is snack-5 (14500 left), so ¥200 needs 5500 more.
    let q = m.quote(&[("tea", 1), ("nuts", 1)], CouponChoice::default(), PointsChoice::Amount(0), now);
    assert_eq!(q.coupon_ids, vec!["s5".to_string()]);
    let u = q.unusable.iter().find(|u| u.id == "f30").unwrap();
    assert_eq!((u.reason, u.missing), (UnusableReason::BelowMinSpend, 5500));
}

#[test]
fn s7_each_applied_coupon_lists_its_split_over_the_lines() {
    let now = at(2026, 11, 16, 9, 0);
    let mut m = Member::new(program(), now);
    m.give("full-200-30", "f30", now);
    let q = m.quote(&[("tea", 1), ("nuts", 2), ("cookie", 1)], CouponChoice::default(), PointsChoice::Amount(0), now);
    let c = &q.coupons[0];
    assert_eq!(c.id, "f30");
    assert_eq!(c.allocation.iter().map(|s| s.amount).sum::<i64>(), c.discount);
    for share in &c.allocation {
        let line = &q.lines[share.line];
        assert!(line.adjustments.iter().any(|a| a.kind == AdjustmentKind::Coupon && a.source == "f30" && a.amount == share.amount));
    }
}

#[test]
fn s7_carts_are_bounded_and_extreme_programs_refuse_rather_than_overflow() {
    // Each field at its largest legal figure: ¥1,000,000 a unit, 10000 points per yuan, ×100 tier
    // and promo. Together one unit would earn 10^14 points: the validator refuses the program,
    // naming the field, rather than accept one whose ordinary carts could not be priced.
    let mut v = program_json();
    v["catalog"][0]["listPrice"] = json!(100_000_000);
    v["catalog"][0]["memberPrices"] = json!({});
    v["points"]["pointsPerYuan"] = json!(10_000);
    v["tiers"][0]["pointsMultiplierBp"] = json!(1_000_000);
    v["memberDay"]["pointsMultiplierBp"] = json!(1_000_000);
    let e = Program::from_json(&v.to_string()).unwrap_err();
    assert_eq!(e.details()["path"], json!("points.pointsPerYuan"));
    assert!(e.to_string().contains("more than 1000000000000"), "{e}");
    // The largest program it takes prices the largest cart: 100 lines × 999 units at ¥1,000,000.
    v["points"]["pointsPerYuan"] = json!(1);
    v["tiers"][0]["pointsMultiplierBp"] = json!(10_000);
    v["memberDay"]["pointsMultiplierBp"] = json!(10_000);
    v["birthday"]["pointsMultiplierBp"] = json!(10_000);
    for t in v["tiers"].as_array_mut().unwrap() {
        t["pointsMultiplierBp"] = json!(10_000);
    }
    let wed = at(2026, 11, 18, 9, 0);
    let m = Member::new(load(&v), wed);
    let hundred: Vec<(&str, u32)> = vec![("tea", 999); 100];
    let request = |items: &[(&str, u32)]| siyu::quote::QuoteRequest { lines: lines(items), ..Default::default() };
    let q = siyu::quote::quote(&m.program, &m.state, &m.stock, &request(&hundred), wed).unwrap();
    assert!(q.paid > 9_000_000_000_000);
    assert_eq!(q.points.earn, q.paid / 100);
    let e = siyu::quote::quote(&m.program, &m.state, &m.stock, &request(&vec![("nuts", 1); 101]), wed).unwrap_err();
    assert_eq!(siyu::Rejection::from(e).details(), json!({ "max": 100 }));
    // Quantities are checked before any is summed.
    let e = siyu::quote::quote(&m.program, &m.state, &m.stock, &request(&[("honey", 1), ("honey", u32::MAX)]), wed).unwrap_err();
    assert_eq!(siyu::Rejection::from(e).code(), "INVALID_QUANTITY");

    // Points worth the whole cart at the largest redeem rate: used × 100 passes i64.
    let p = program_with(|v| {
        v["catalog"][0]["listPrice"] = json!(100_000_000);
        v["catalog"][0]["memberPrices"] = json!({});
        v["points"] = json!({ "pointsPerYuan": 0, "expiry": { "type": "never" }, "redeemRate": 1_000_000, "unit": 1_000_000, "maxPercentOfOrderBp": 10_000, "minBalance": 0 });
    });
    let mut m = Member::new(p, wed);
    m.grant(100_000_000_000_000_000, wed);
    let q = m.quote(&hundred, CouponChoice::Mode(CouponMode::None), PointsChoice::Mode(PointsMode::Max), wed);
    assert_eq!(q.points.value, q.goods_after_coupons);
    assert_eq!(q.points.used, q.goods_after_coupons * 10_000); // 10^6 points = ¥1
    assert!(q.points.used > i64::MAX / 100);
    assert_eq!(q.total, 0);
}

#[test]
fn s8_a_refund_revokes_the_gifts_its_order_issued() {
    let mut m = Member::new(program(), at(2026, 11, 16, 8, 0));
    // Order then refund, four times: no gift is left.
    for (i, d) in [16, 17, 19, 20].into_iter().enumerate() {
        let id = format!("o{i}");
        let (_, effects) = m.buy(&id, &[("tea", 1)], &[], 0, at(2026, 11, d, 9, 0)).unwrap();
        assert_eq!(issued(&effects).len(), 1, "order {id} issues a gift");
        let refund = m.refund(&id, at(2026, 11, d, 10, 0)).unwrap();
        assert!(refund.iter().any(|e| matches!(e, Effect::CouponRevoked { .. })));
    }
    assert!(m.state.coupons.is_empty(), "{:?}", m.state.coupons);

    // A gift already used stays with the order that used it, recorded on the refund.
    let mut m = Member::new(program(), at(2026, 11, 16, 8, 0));
    m.buy("first", &[("tea", 1)], &[], 0, at(2026, 11, 16, 9, 0)).unwrap();
    let gift = m.state.order("first").unwrap().gift.clone().unwrap();
    m.buy("second", &[("tea", 1)], &[gift.as_str()], 0, at(2026, 11, 17, 9, 0)).unwrap();
    m.refund("first", at(2026, 11, 18, 9, 0)).unwrap();
    let first = m.state.order("first").unwrap();
    assert_eq!(first.gift_used_by.as_deref(), Some("second"));
    assert!(matches!(&m.state.coupon(&gift).unwrap().state, CouponState::Used { order_id, .. } if order_id == "second"));
}

#[test]
fn s8_price_changed_carries_the_quote_in_the_shape_of_a_quote() {
    let now = at(2026, 11, 16, 9, 0);
    let mut m = Member::new(program(), now);
    m.give("full-200-30", "f30", now);
    let e = rejection(m.run(
        Mutation::PlaceOrder { order_id: "o".into(), lines: lines(&[("tea", 2)]), coupons: vec!["f30".into()], points: 0, expected_total: 1 },
        now,
    ));
    let quote = &e.details()["quote"];
    assert_eq!(quote["couponIds"], json!(["f30"]));
    assert_eq!(quote["total"], json!(17000));
}

#[test]
fn s10_price_sensitivity_compares_the_share_exactly() {
    // 2001 of 10001 orders used a coupon: 20.008 %, just over the 20 % of "low".
    let orders: Vec<(i64, bool)> = (0..10_001).map(|i| (at(2026, 1, 1, 0, 0) + i * 60_000, i < 2001)).collect();
    let s = siyu::segments::of(&with_orders(&orders), at(2026, 11, 16, 9, 0));
    assert_eq!(s.price_sensitivity, Some(PriceSensitivity::Medium));
    let orders: Vec<(i64, bool)> = (0..10_000).map(|i| (at(2026, 1, 1, 0, 0) + i * 60_000, i < 2000)).collect();
    let s = siyu::segments::of(&with_orders(&orders), at(2026, 11, 16, 9, 0));
    assert_eq!(s.price_sensitivity, Some(PriceSensitivity::Low));
}

#[test]
fn s8_negative_points_in_an_order_are_refused() {
    let now = at(2026, 11, 16, 9, 0);
    let mut m = Member::new(program(), now);
    let e = rejection(m.run(Mutation::PlaceOrder { order_id: "o".into(), lines: lines(&[("tea", 1)]), coupons: vec![], points: -100, expected_total: 10000 }, now));
    assert_eq!((e.code(), e.details()["path"].clone()), ("INVALID_INPUT", json!("points")));
}

#[test]
fn s1_the_next_bonus_counts_the_check_ins_still_needed_today_included() {
    // Weekly cycle, checked in Mon–Thu: on Friday morning day 7 needs Fri, Sat and Sun.
    let mut m = Member::new(program(), at(2026, 11, 16, 8, 0));
    for d in 16..=19 {
        m.check_in(at(2026, 11, d, 9, 0)).unwrap();
    }
    let next = siyu::checkin::streak(&m.program, &m.state, at(2026, 11, 20, 8, 0)).next_bonus.unwrap();
    assert_eq!((next.day, next.in_days, next.check_ins), (7, 2, 3));
    m.check_in(at(2026, 11, 20, 9, 0)).unwrap();
    let next = siyu::checkin::streak(&m.program, &m.state, at(2026, 11, 20, 10, 0)).next_bonus.unwrap();
    assert_eq!((next.day, next.in_days, next.check_ins), (7, 2, 2));
}

#[test]
fn s7_a_chosen_coupon_that_saves_nothing_is_reported_not_silently_dropped() {
    let thu = at(2026, 11, 19, 10, 0);
    let mut m = Member::new(program(), thu);
    m.give("ship", "ship", thu);
    // Tea + nuts = 15000 ships free by the threshold: the chosen free-shipping coupon saves nothing.
    let q = m.quote(&[("tea", 1), ("nuts", 1)], CouponChoice::Chosen(vec!["ship".into()]), no_points(), thu);
    assert!(q.coupons.is_empty());
    let u = q.unusable.iter().find(|u| u.id == "ship").unwrap();
    assert_eq!(u.reason, UnusableReason::NoSaving);
    // Placing it anyway is not an error: the coupon is just not used.
    m.buy("o1", &[("tea", 1), ("nuts", 1)], &["ship"], 0, thu).unwrap();
    assert_eq!(m.state.coupon("ship").unwrap().state, CouponState::Available);
}

#[test]
fn s8_a_refund_gives_spent_points_back_in_one_ledger_entry() {
    let p = program_with(|v| v["points"]["expiry"] = json!({ "type": "rollingDays", "days": 10 }));
    let mut m = Member::new(p, 0);
    m.grant(300, at(2026, 11, 1, 10, 0));
    m.grant(200, at(2026, 11, 9, 10, 0));
    m.buy("o1", &[("tea", 1)], &[], 500, at(2026, 11, 10, 12, 0)).unwrap();
    let before = m.state.ledger.len();
    m.refund("o1", at(2026, 11, 14, 10, 0)).unwrap();
    let entries: Vec<(i64, usize)> = m.state.ledger[before..].iter().map(|e| (e.delta, e.lots.len())).collect();
    // +500 from two lots in one entry, then the 95 earned taken back.
    assert_eq!(entries, vec![(500, 2), (-95, 1)]);
}

#[test]
fn s12_program_content_carries_names_in_other_languages_with_a_fallback() {
    let p = program_with(|v| {
        v["names"] = json!({ "en": "Little Tea Shop" });
        v["catalog"][0]["names"] = json!({ "en": "Longjing 250g", "zh-Hant": "龍井 250g" });
        v["tiers"][1]["names"] = json!({ "en": "Gold" });
    });
    assert_eq!(p.names["en"], "Little Tea Shop");
    assert_eq!((p.catalog[0].name.as_str(), p.catalog[0].names["en"].as_str()), ("龙井 250g", "Longjing 250g"));
    // The names survive a round trip; content without them has none.
    let again = Program::from_json(&serde_json::to_string(&p).unwrap()).unwrap();
    assert_eq!(again.tiers[1].names["en"], "Gold");
    assert!(again.tiers[0].names.is_empty());
    let e = Program::from_json(&{
        let mut v = program_json();
        v["rewards"][0]["names"] = json!({ "en": "" });
        v.to_string()
    })
    .unwrap_err();
    assert_eq!(e.details()["path"], json!("rewards[0].names.en"));
}

// ─────────────────────────────── §12 History and size ───────────────────────────────

#[test]
fn s12_the_past_leaves_the_state_and_every_figure_stays() {
    // Joined 1 Sep 2026, checked in every morning through Wed 25 Nov: 86 days in a row.
    let mut m = Member::new(program(), at(2026, 9, 1, 8, 0));
    for i in 0..86 {
        m.check_in(day(2026, 9, 1).plus(i).start(OFFSET) + 9 * HOUR).unwrap();
    }
    let now = at(2026, 11, 25, 12, 0);
    let (lean, moved) = siyu::compact::compact(&m.program, &m.state, now);
    // September leaves (before the previous month; the makeup window is 3 days): 30 check-ins,
    // summed as a run of 30 ending on 30 Sep. October and November stay: 31 + 25.
    assert_eq!(moved.check_ins.len(), 30);
    assert_eq!(lean.check_ins.len(), 56);
    assert_eq!((lean.past.check_ins_before, lean.past.check_in_run), (Some(day(2026, 10, 1)), 30));
    assert_eq!(siyu::checkin::streak(&m.program, &lean, now).streak, 86);
    assert_eq!(siyu::checkin::streak(&m.program, &lean, now), siyu::checkin::streak(&m.program, &m.state, now));
    // The ledger keeps its newest 20 entries; the other 66 are counted and summed.
    assert_eq!((lean.ledger.len(), moved.ledger.len(), lean.past.ledger_entries), (20, 66, 66));
    let (before, after) = (siyu::points::summary(&m.state, now), siyu::points::summary(&lean, now));
    assert_eq!((after.balance, after.earned_total, after.ledger_total), (before.balance, before.earned_total, 86));
    // Every lot is live (year-end expiry) and expires together: one merged lot holds them all.
    assert_eq!(lean.lots.len(), 1);
    assert_eq!(lean.lots[0].remaining, before.balance);
    // September's calendar is the archive's now.
    assert!(siyu::checkin::calendar(&m.program, &lean, 2026, 9, now).unwrap().archived);
    assert!(!siyu::checkin::calendar(&m.program, &lean, 2026, 10, now).unwrap().archived);
}

// §15 The store's operator: each change a mutation of the store's own client, decided by `apply`.

#[test]
fn s15_the_operator_grants_and_deducts_points_with_a_reason_and_never_below_zero() {
    let mut m = Member::new(program(), at(2026, 11, 2, 9, 0));
    let now = at(2026, 11, 26, 10, 0);
    let lot = m.next_store_object_id(0);
    let effects = m.as_store(Mutation::GrantPoints { points: 300, reason: "门店消费补录".into() }, now).unwrap();
    assert_eq!(credited(&effects), 300);
    // Granted points are usable at once (no order can be refunded to cancel them).
    assert_eq!((m.balance(now), m.pending(now)), (300, 0));
    let entry = m.state.ledger.last().unwrap();
    assert_eq!((entry.delta, entry.reason.as_str(), entry.lots[0].lot.as_str()), (300, "operator:门店消费补录", lot.as_str()));
    m.as_store(Mutation::DeductPoints { points: 120, reason: "误发更正".into() }, now).unwrap();
    assert_eq!(m.balance(now), 180);
    assert_eq!(m.state.ledger.last().unwrap().delta, -120);
    // A deduction never makes the balance negative: refused, nothing changes.
    let before = m.state.clone();
    let e = rejection(m.as_store(Mutation::DeductPoints { points: 181, reason: "误发更正".into() }, now));
    assert_eq!((e.code(), e.details()["needed"].clone(), e.details()["balance"].clone()), ("INSUFFICIENT_POINTS", json!(181), json!(180)));
    assert_eq!(m.state, before);
    // Amounts and reasons are checked; only the store makes these changes.
    for (points, reason, path) in [(0, "x", "points"), (10_000_001, "x", "points"), (5, "", "reason"), (5, "a\nb", "reason")] {
        let e = rejection(m.as_store(Mutation::GrantPoints { points, reason: reason.into() }, now));
        assert_eq!((e.code(), e.details()["path"].clone()), ("INVALID_INPUT", json!(path)));
    }
    let e = rejection(m.run(Mutation::GrantPoints { points: 5, reason: "自己加".into() }, now));
    assert_eq!((e.code(), e.details()), ("STORE_ONLY", json!({ "mutation": "grantPoints" })));
}

#[test]
fn s15_a_campaign_issues_its_coupon_once_per_member_and_only_inside_its_segment() {
    let mut m = Member::new(program(), at(2026, 11, 2, 9, 0));
    let now = at(2026, 11, 26, 10, 0);
    let win_back = |campaign: &str| Mutation::IssueCoupon { template: "lapsing-20".into(), campaign: Some(campaign.into()), segment: Some("lifecycle.prospect".into()) };
    let id = m.next_store_object_id(0);
    let effects = m.as_store(win_back("wb-1"), now).unwrap();
    assert_eq!(issued(&effects), vec![id.clone()]);
    assert_eq!(m.state.coupon(&id).unwrap().source, "campaign:wb-1");
    // The same campaign again: refused, whoever runs it; another campaign id issues again.
    let e = rejection(m.as_store(win_back("wb-1"), now));
    assert_eq!((e.code(), e.details()), ("CAMPAIGN_ALREADY_ISSUED", json!({ "campaign": "wb-1" })));
    assert_eq!(issued(&m.as_store(win_back("wb-2"), now).unwrap()).len(), 1);
    // Once the member has ordered they are no longer a prospect.
    m.buy("o1", &[("tea", 1)], &[], 0, now).unwrap();
    let e = rejection(m.as_store(win_back("wb-3"), now + 60_000));
    assert_eq!((e.code(), e.details()), ("NOT_IN_SEGMENT", json!({ "segment": "lifecycle.prospect" })));
    // A single issue ignores the claim centre's limits but not the template's existence.
    assert_eq!(issued(&m.as_store(Mutation::IssueCoupon { template: "gold-10".into(), campaign: None, segment: None }, now).unwrap()).len(), 1);
    let e = rejection(m.as_store(Mutation::IssueCoupon { template: "nope".into(), campaign: None, segment: None }, now));
    assert_eq!(e.code(), "UNKNOWN_TEMPLATE");
    let e = rejection(m.as_store(Mutation::IssueCoupon { template: "gold-10".into(), campaign: Some("bad id".into()), segment: None }, now));
    assert_eq!((e.code(), e.details()["path"].clone()), ("INVALID_INPUT", json!("campaign")));
}

#[test]
fn s15_the_operator_revokes_an_unused_coupon_but_not_one_an_order_holds_or_used() {
    let mut m = Member::new(program(), at(2026, 11, 2, 9, 0));
    let now = at(2026, 11, 26, 10, 0);
    let unused = m.give("full-200-30", "c-unused", now);
    let held = m.give("full-200-30", "c-held", now);
    m.place("o1", &[("tea", 3)], &[&held], 0, now).unwrap();
    let effects = m.as_store(Mutation::RevokeCoupon { coupon: unused.clone(), reason: "误发".into() }, now).unwrap();
    assert!(matches!(&effects[..], [Effect::CouponWithdrawn { coupon, reason, at }] if *coupon == unused && reason == "误发" && *at == now));
    assert!(m.state.coupon(&unused).is_none());
    let e = rejection(m.as_store(Mutation::RevokeCoupon { coupon: held.clone(), reason: "误发".into() }, now));
    assert_eq!((e.code(), e.details()), ("COUPON_NOT_REVOCABLE", json!({ "coupon": held, "status": "locked" })));
    m.pay("o1", now + 60_000).unwrap();
    let e = rejection(m.as_store(Mutation::RevokeCoupon { coupon: held.clone(), reason: "误发".into() }, now + 120_000));
    assert_eq!(e.details()["status"], json!("used"));
    let e = rejection(m.as_store(Mutation::RevokeCoupon { coupon: unused, reason: "误发".into() }, now));
    assert_eq!(e.code(), "COUPON_NOT_FOUND");
}

// §14 Referral. The test program: the friend gets `newbie-3` at once; the referrer 200 points and
// a `mall-5` for the friend's first paid order of at least ¥50, pending through its 7-day refund
// window; a code is accepted within 7 days of joining; at most 2 rewards a month.

/// The server's side of a referral, played by hand: what it does with the friend's effects.
fn relay(referrer: &mut Member, friend: &Member, effects: &[Effect], now: Instant) -> Vec<Result<Vec<Effect>, Rejection>> {
    let code = siyu::referral::code_of(&friend.state.member_id);
    let mut out = Vec::new();
    for e in effects {
        let m = match e {
            Effect::ReferralAccepted { at, .. } => Mutation::ReferralJoined { friend: code.clone(), name: siyu::referral::mask(&friend.state.member_id), at: *at },
            Effect::ReferralFirstOrder { order_id, .. } => {
                let o = friend.state.order(order_id).unwrap();
                Mutation::RewardReferral { friend: code.clone(), order_id: order_id.clone(), amount: o.total, at: o.paid_at.unwrap() }
            }
            Effect::ReferralOrderRefunded { order_id, .. } => Mutation::CancelReferralReward { friend: code.clone(), order_id: order_id.clone() },
            _ => continue,
        };
        out.push(referrer.as_store(m, now));
    }
    out
}

fn known() -> Option<siyu::referral::CodeLookup> {
    Some(siyu::referral::CodeLookup { known: true, owner_referred_by_member: false })
}

#[test]
fn s14_a_code_is_stable_and_a_friend_accepts_it_once_with_the_friend_coupon_at_once() {
    let code = siyu::referral::code_of("r1");
    assert_eq!(code, siyu::referral::code_of("r1"));
    assert_ne!(code, siyu::referral::code_of("r2"));
    assert!(siyu::referral::is_code(&code) && !code.contains("r1"));
    assert_eq!(siyu::referral::mask("13800001234"), "1***4");
    let joined = at(2026, 11, 20, 9, 0);
    let mut r = Member::named(program(), "r1", at(2026, 10, 1, 9, 0));
    let mut f = Member::named(program(), "f1", joined);
    let now = at(2026, 11, 23, 10, 0);
    let coupon = f.next_object_id(0);
    let effects = f.run_with(Mutation::AcceptReferral { code: code.clone() }, now, known()).unwrap();
    assert_eq!(issued(&effects), vec![coupon.clone()]);
    assert_eq!((f.state.coupon(&coupon).unwrap().template.as_str(), f.state.coupon(&coupon).unwrap().source.as_str()), ("newbie-3", "referral"));
    assert_eq!(f.state.referral.referred_by.as_ref().map(|b| b.code.as_str()), Some(code.as_str()));
    relay(&mut r, &f, &effects, now).into_iter().for_each(|x| { x.unwrap(); });
    let view = siyu::referral::view(&r.program, &r.state, now);
    assert_eq!((view.code.as_str(), view.friends.len(), view.friends[0].name.as_str(), view.friends[0].status), (code.as_str(), 1, "f***1", "joined"));
    // Once: a second code is refused, and so is the same one.
    let e = rejection(f.run_with(Mutation::AcceptReferral { code: siyu::referral::code_of("r2") }, now, known()));
    assert_eq!((e.code(), e.details()), ("REFERRAL_ALREADY_BOUND", json!({ "code": code })));
}

#[test]
fn s14_every_refusal_of_a_code_is_a_clear_rejection() {
    let joined = at(2026, 11, 20, 9, 0);
    let now = at(2026, 11, 23, 10, 0);
    let code = siyu::referral::code_of("r1");
    let mut f = Member::named(program(), "f1", joined);
    // Its own code.
    let e = rejection(f.run_with(Mutation::AcceptReferral { code: siyu::referral::code_of("f1") }, now, known()));
    assert_eq!(e.code(), "REFERRAL_OWN_CODE");
    // A loop: the code's owner was referred by this member (the server says so, or the state lists them).
    let e = rejection(f.run_with(Mutation::AcceptReferral { code: code.clone() }, now, Some(siyu::referral::CodeLookup { known: true, owner_referred_by_member: true })));
    assert_eq!((e.code(), e.details()), ("REFERRAL_LOOP", json!({ "code": code })));
    // Unknown to the server; malformed.
    let e = rejection(f.run_with(Mutation::AcceptReferral { code: code.clone() }, now, Some(siyu::referral::CodeLookup { known: false, owner_referred_by_member: false })));
    assert_eq!(e.code(), "REFERRAL_CODE_UNKNOWN");
    let e = rejection(f.run_with(Mutation::AcceptReferral { code: "abc".into() }, now, known()));
    assert_eq!((e.code(), e.details()["path"].clone()), ("INVALID_INPUT", json!("code")));
    // Too late: 7 days after joining, to the millisecond.
    let e = rejection(f.run_with(Mutation::AcceptReferral { code: code.clone() }, joined + 7 * DAY, known()));
    assert_eq!((e.code(), e.details()), ("REFERRAL_TOO_LATE", json!({ "bindDays": 7 })));
    assert!(f.run_with(Mutation::AcceptReferral { code: code.clone() }, joined + 7 * DAY - 1, None).is_ok());
    // After a paid order.
    let mut g = Member::named(program(), "g1", joined);
    g.buy("o1", &[("tea", 1)], &[], 0, now).unwrap();
    let e = rejection(g.run_with(Mutation::AcceptReferral { code: code.clone() }, now, known()));
    assert_eq!(e.code(), "REFERRAL_AFTER_ORDER");
    // A referrer cannot accept the code of a friend it referred.
    let mut r = Member::named(program(), "r1", joined);
    r.as_store(Mutation::ReferralJoined { friend: siyu::referral::code_of("f1"), name: "f***1".into(), at: now }, now).unwrap();
    let e = rejection(r.run(Mutation::AcceptReferral { code: siyu::referral::code_of("f1") }, now));
    assert_eq!(e.code(), "REFERRAL_LOOP");
    // Only the store lists friends.
    let e = rejection(r.run(Mutation::ReferralJoined { friend: code, name: "x".into(), at: now }, now));
    assert_eq!(e.code(), "STORE_ONLY");
}

#[test]
fn s14_the_referrer_is_rewarded_pending_for_the_first_paid_order_and_a_refund_cancels_it() {
    let joined = at(2026, 11, 20, 9, 0);
    let now = at(2026, 11, 23, 10, 0);
    let mut r = Member::named(program(), "r1", at(2026, 10, 1, 9, 0));
    let mut f = Member::named(program(), "f1", joined);
    let effects = f.run_with(Mutation::AcceptReferral { code: siyu::referral::code_of("r1") }, now, known()).unwrap();
    relay(&mut r, &f, &effects, now);
    // The friend's first paid order: ¥100 of tea (over the ¥50 minimum).
    let paid_at = now + 60_000;
    let (_, effects) = f.buy("o1", &[("tea", 1)], &[], 0, paid_at).unwrap();
    assert!(effects.iter().any(|e| matches!(e, Effect::ReferralFirstOrder { order_id, .. } if order_id == "o1")));
    let lot = r.next_store_object_id(0);
    let coupon = r.next_store_object_id(1);
    let rewarded = relay(&mut r, &f, &effects, paid_at).remove(0).unwrap();
    assert_eq!(credited(&rewarded), 200);
    // Pending through the friend's refund window: in no balance, shown with when.
    let available_at = paid_at + 7 * DAY + 1;
    assert_eq!((r.balance(paid_at), r.pending(paid_at)), (0, 200));
    let v = siyu::referral::view(&r.program, &r.state, paid_at);
    assert_eq!((v.friends[0].status, v.friends[0].points, v.friends[0].available_at, v.rewarded_this_month), ("pending", 200, Some(available_at), 1));
    // The reward coupon is valid from then too.
    assert_eq!(r.state.coupon(&coupon).unwrap().valid_from, available_at);
    // A second paid order is not a first one.
    let (_, later) = f.buy("o2", &[("tea", 1)], &[], 0, paid_at + DAY).unwrap();
    assert!(!later.iter().any(|e| matches!(e, Effect::ReferralFirstOrder { .. })));
    // The friend refunds the first order inside the window: the pending reward is cancelled whole.
    let refund_at = paid_at + 3 * DAY;
    let effects = f.refund("o1", refund_at).unwrap();
    let cancelled = relay(&mut r, &f, &effects, refund_at).remove(0).unwrap();
    assert!(cancelled.iter().any(|e| matches!(e, Effect::CouponWithdrawn { coupon: c, .. } if *c == coupon)));
    assert_eq!(r.state.lots.iter().find(|l| l.id == lot).unwrap().remaining, 0);
    assert_eq!((r.balance(available_at), r.pending(refund_at)), (0, 0));
    assert_eq!(siyu::referral::view(&r.program, &r.state, refund_at).friends[0].status, "cancelled");
    // Not refunded: the points become usable when the window closes.
    let mut r2 = Member::named(program(), "r2", at(2026, 10, 1, 9, 0));
    let mut f2 = Member::named(program(), "f2", joined);
    let effects = f2.run_with(Mutation::AcceptReferral { code: siyu::referral::code_of("r2") }, now, known()).unwrap();
    relay(&mut r2, &f2, &effects, now);
    let (_, effects) = f2.buy("o1", &[("tea", 1)], &[], 0, paid_at).unwrap();
    relay(&mut r2, &f2, &effects, paid_at);
    assert_eq!((r2.balance(available_at - 1), r2.balance(available_at)), (0, 200));
    assert_eq!(siyu::referral::view(&r2.program, &r2.state, available_at).friends[0].status, "rewarded");
}

#[test]
fn s14_a_small_first_order_earns_nothing_and_rewards_are_capped_per_month() {
    let joined = at(2026, 11, 20, 9, 0);
    let now = at(2026, 11, 23, 10, 0);
    let mut r = Member::named(program(), "r1", at(2026, 10, 1, 9, 0));
    let mut statuses = Vec::new();
    // Friend 0 buys ¥30 of cookies (below ¥50); friends 1–3 ¥100 of tea: 2 rewards, then the cap.
    for (i, sku) in ["cookie", "tea", "tea", "tea"].iter().enumerate() {
        let mut f = Member::named(program(), &format!("f{i}"), joined);
        let effects = f.run_with(Mutation::AcceptReferral { code: siyu::referral::code_of("r1") }, now, known()).unwrap();
        relay(&mut r, &f, &effects, now);
        let t = now + (i as i64 + 1) * 60_000;
        let (_, effects) = f.buy("o1", &[(sku, 1)], &[], 0, t).unwrap();
        relay(&mut r, &f, &effects, t).remove(0).unwrap();
    }
    for f in siyu::referral::view(&r.program, &r.state, now + DAY).friends.iter().rev() {
        statuses.push(f.status);
    }
    assert_eq!(statuses, vec!["belowMinimum", "pending", "pending", "overMonthlyCap"]);
    assert_eq!(r.pending(now + DAY), 400);
    // A new calendar month rewards again.
    let mut f = Member::named(program(), "f9", at(2026, 11, 28, 9, 0));
    let december = at(2026, 12, 1, 10, 0);
    let effects = f.run_with(Mutation::AcceptReferral { code: siyu::referral::code_of("r1") }, december, known()).unwrap();
    relay(&mut r, &f, &effects, december);
    let (_, effects) = f.buy("o1", &[("tea", 1)], &[], 0, december).unwrap();
    relay(&mut r, &f, &effects, december).remove(0).unwrap();
    assert_eq!(siyu::referral::view(&r.program, &r.state, december).friends[0].status, "pending");
    // The store's changes are decided once: the same reward again is refused.
    let again = Mutation::RewardReferral { friend: siyu::referral::code_of("f9"), order_id: "o1".into(), amount: 10000, at: december };
    assert_eq!(rejection(r.as_store(again, december)).code(), "REFERRAL_FRIEND_SETTLED");
}
