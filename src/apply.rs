//! The one pure function that decides every change:
//! `apply(program, state, mutation, ctx) -> Result<Applied, Rejection>`, and `apply_effects`,
//! the only way state changes. Client (optimistically) and server (authoritatively) run the same
//! code; every new id is derived from (clientId, mutationId), never random, and `now` is given.

use crate::error::{BirthdayError, InputError, Rejection};
use crate::program::{Points, Program};
use crate::state::{CheckIn, CheckInKind, CouponState, LedgerEntry, LotAmount, MemberState, Order, OrderLine, PointLot, Redemption};
use crate::stock::{Counter, Stock};
use crate::time::{Day, Instant, MonthDay};
use serde::{Deserialize, Serialize};

/// A member's intent. It carries no amounts the server would have to trust: prices, points and
/// the business day are recomputed from the program and the clock of whoever applies it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(tag = "name", content = "args", rename_all = "camelCase", try_from = "MutationParts")]
pub enum Mutation {
    CheckIn {},
    #[serde(rename_all = "camelCase")]
    MakeupCheckIn {
        #[cfg_attr(target_arch = "wasm32", tsify(type = "Day"))]
        day: Day,
    },
    #[serde(rename_all = "camelCase")]
    ClaimCoupon { template: String },
    #[serde(rename_all = "camelCase")]
    RedeemReward { reward: String },
    #[serde(rename_all = "camelCase")]
    PlaceOrder {
        order_id: String,
        lines: Vec<OrderLine>,
        /// Coupon instance ids (usually the quote's best selection).
        #[serde(default)]
        coupons: Vec<String>,
        #[serde(default)]
        points: Points,
        /// The total the shopper saw; a different server total is rejected PRICE_CHANGED.
        expected_total: i64,
    },
    #[serde(rename_all = "camelCase")]
    RefundOrder { order_id: String },
    #[serde(rename_all = "camelCase")]
    SetBirthday {
        #[cfg_attr(target_arch = "wasm32", tsify(type = "MonthDay"))]
        birthday: MonthDay,
    },
}

impl Mutation {
    pub fn name(&self) -> &'static str {
        match self {
            Mutation::CheckIn {} => "checkIn",
            Mutation::MakeupCheckIn { .. } => "makeupCheckIn",
            Mutation::ClaimCoupon { .. } => "claimCoupon",
            Mutation::RedeemReward { .. } => "redeemReward",
            Mutation::PlaceOrder { .. } => "placeOrder",
            Mutation::RefundOrder { .. } => "refundOrder",
            Mutation::SetBirthday { .. } => "setBirthday",
        }
    }

    /// Parse `{name, args}` JSON, naming the path of any problem.
    pub fn from_json(text: &str) -> Result<Mutation, Rejection> {
        Ok(InputError::parse::<Mutation>("mutation", text)?)
    }
}

/// How a mutation is read: `{name, args}` with one flat set of argument fields, checked per name
/// (one small decoder instead of serde's adjacently tagged enum machinery).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MutationParts {
    name: String,
    #[serde(default)]
    args: MutationArgs,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MutationArgs {
    day: Option<Day>,
    template: Option<String>,
    reward: Option<String>,
    order_id: Option<String>,
    lines: Option<Vec<OrderLine>>,
    coupons: Option<Vec<String>>,
    points: Option<Points>,
    expected_total: Option<i64>,
    birthday: Option<MonthDay>,
}

impl TryFrom<MutationParts> for Mutation {
    type Error = String;
    fn try_from(m: MutationParts) -> Result<Self, String> {
        let a = m.args;
        let present = [
            ("day", a.day.is_some()),
            ("template", a.template.is_some()),
            ("reward", a.reward.is_some()),
            ("orderId", a.order_id.is_some()),
            ("lines", a.lines.is_some()),
            ("coupons", a.coupons.is_some()),
            ("points", a.points.is_some()),
            ("expectedTotal", a.expected_total.is_some()),
            ("birthday", a.birthday.is_some()),
        ];
        let allowed: &[&str] = match m.name.as_str() {
            "checkIn" => &[],
            "makeupCheckIn" => &["day"],
            "claimCoupon" => &["template"],
            "redeemReward" => &["reward"],
            "placeOrder" => &["orderId", "lines", "coupons", "points", "expectedTotal"],
            "refundOrder" => &["orderId"],
            "setBirthday" => &["birthday"],
            other => {
                return Err(format!(
                    "unknown mutation `{other}`, expected one of checkIn, makeupCheckIn, claimCoupon, redeemReward, placeOrder, refundOrder, setBirthday"
                ))
            }
        };
        if let Some((field, _)) = present.iter().find(|(f, set)| *set && !allowed.contains(f)) {
            return Err(format!("field `{field}` does not belong to the arguments of `{}`", m.name));
        }
        let missing = |field: &str| format!("missing field `{field}` in the arguments of `{}`", m.name);
        Ok(match m.name.as_str() {
            "checkIn" => Mutation::CheckIn {},
            "makeupCheckIn" => Mutation::MakeupCheckIn { day: a.day.ok_or_else(|| missing("day"))? },
            "claimCoupon" => Mutation::ClaimCoupon { template: a.template.ok_or_else(|| missing("template"))? },
            "redeemReward" => Mutation::RedeemReward { reward: a.reward.ok_or_else(|| missing("reward"))? },
            "placeOrder" => Mutation::PlaceOrder {
                order_id: a.order_id.ok_or_else(|| missing("orderId"))?,
                lines: a.lines.ok_or_else(|| missing("lines"))?,
                coupons: a.coupons.unwrap_or_default(),
                points: a.points.unwrap_or(0),
                expected_total: a.expected_total.ok_or_else(|| missing("expectedTotal"))?,
            },
            "refundOrder" => Mutation::RefundOrder { order_id: a.order_id.ok_or_else(|| missing("orderId"))? },
            _ => Mutation::SetBirthday { birthday: a.birthday.ok_or_else(|| missing("birthday"))? },
        })
    }
}

/// What `apply` is given besides the state.
#[derive(Clone, Copy, Debug)]
pub struct Ctx<'a> {
    pub now: Instant,
    pub client_id: &'a str,
    pub mutation_id: u64,
    /// Shared counters as the applier knows them (authoritative on the server).
    pub stock: &'a Stock,
}

impl Ctx<'_> {
    /// The n-th id this mutation creates.
    pub fn id(&self, n: usize) -> String {
        format!("{}-{}-{}", self.client_id, self.mutation_id, n)
    }
}

/// One change to the member's state (or to a shared counter).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Effect {
    #[serde(rename_all = "camelCase")]
    CheckedIn { check_in: CheckIn, streak: u32, cycle_day: u32 },
    #[serde(rename_all = "camelCase")]
    PointsCredited { lot: PointLot, reason: String },
    /// Spent points given back by a refund: one new lot per lot they came from, and one ledger
    /// entry for them all.
    #[serde(rename_all = "camelCase")]
    PointsRestored { lots: Vec<PointLot>, reason: String, at: Instant },
    #[serde(rename_all = "camelCase")]
    PointsDebited { lots: Vec<LotAmount>, reason: String, shortfall: Points, at: Instant },
    #[serde(rename_all = "camelCase")]
    CouponIssued { coupon: crate::state::CouponInstance },
    #[serde(rename_all = "camelCase")]
    CouponUsed { coupon: String, order_id: String, at: Instant },
    #[serde(rename_all = "camelCase")]
    CouponReturned { coupon: String },
    /// A gift coupon taken back, unused, by the refund of the order that issued it.
    #[serde(rename_all = "camelCase")]
    CouponRevoked { coupon: String, order_id: String },
    #[serde(rename_all = "camelCase")]
    OrderPlaced { order: Order },
    #[serde(rename_all = "camelCase")]
    OrderRefunded {
        order_id: String,
        at: Instant,
        /// The order's gift coupon when it was already used (by this order id) and so stays.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(target_arch = "wasm32", tsify(optional))]
        gift_used_by: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    RewardRedeemed { redemption: Redemption },
    #[serde(rename_all = "camelCase")]
    BirthdaySet {
        #[cfg_attr(target_arch = "wasm32", tsify(type = "MonthDay"))]
        birthday: MonthDay,
    },
    #[serde(rename_all = "camelCase")]
    StockTaken { counter: Counter, units: u32 },
    #[serde(rename_all = "camelCase")]
    StockReturned { counter: Counter, units: u32 },
}

/// The outcome of an accepted mutation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Applied {
    pub effects: Vec<Effect>,
}

/// Decide a mutation. Pure: same inputs, same effects and ids.
pub fn apply(program: &Program, state: &MemberState, mutation: &Mutation, ctx: &Ctx) -> Result<Applied, Rejection> {
    let effects = match mutation {
        Mutation::CheckIn {} => check_in(program, state, ctx)?,
        Mutation::MakeupCheckIn { day } => makeup(program, state, *day, ctx)?,
        Mutation::ClaimCoupon { template } => {
            let t = crate::coupons::decide_claim(program, state, template, ctx.stock, ctx.now)?;
            let mut effects = vec![Effect::CouponIssued { coupon: crate::coupons::issue(program, t, ctx.id(0), crate::coupons::claim_source(t), ctx.now) }];
            if t.total_quota.is_some() {
                effects.push(Effect::StockTaken { counter: Counter::CouponQuota(t.id.clone()), units: 1 });
            }
            effects
        }
        Mutation::RedeemReward { reward } => crate::rewards::redeem(program, state, reward, ctx)?,
        Mutation::PlaceOrder { order_id, lines, coupons, points, expected_total } => {
            crate::orders::place(program, state, order_id, lines, coupons, *points, *expected_total, ctx)?
        }
        Mutation::RefundOrder { order_id } => crate::orders::refund(program, state, order_id, ctx)?,
        Mutation::SetBirthday { birthday } => {
            if state.birthday.is_some() {
                return Err(BirthdayError::AlreadySet.into());
            }
            vec![Effect::BirthdaySet { birthday: *birthday }]
        }
    };
    Ok(Applied { effects })
}

fn check_in(program: &Program, state: &MemberState, ctx: &Ctx) -> Result<Vec<Effect>, Rejection> {
    let d = crate::checkin::decide_check_in(program, state, ctx.now)?;
    let mut effects = vec![Effect::CheckedIn {
        check_in: CheckIn { day: d.day, kind: CheckInKind::Normal, at: ctx.now },
        streak: d.streak,
        cycle_day: d.cycle_day,
    }];
    if d.points > 0 {
        effects.push(credit(program, ctx, 0, d.points, "checkIn"));
    }
    // A streak coupon of a template that has ended would be born expired: it is not issued.
    for (i, t) in d.coupons.iter().enumerate() {
        if let Some(t) = program.template(t).filter(|t| crate::coupons::ended_at(t, ctx.now).is_none()) {
            effects.push(Effect::CouponIssued { coupon: crate::coupons::issue(program, t, ctx.id(i + 1), "checkIn", ctx.now) });
        }
    }
    Ok(effects)
}

fn makeup(program: &Program, state: &MemberState, day: Day, ctx: &Ctx) -> Result<Vec<Effect>, Rejection> {
    let cost = crate::checkin::decide_makeup(program, state, day, ctx.now)?;
    let mut effects = Vec::new();
    if cost > 0 {
        effects.push(debit(state, cost, "makeupCheckIn", ctx.now)?);
    }
    // The receipt reports the streak as `streak()` will see it once the day is filled.
    let days: std::collections::BTreeSet<Day> = state.check_ins.iter().map(|c| c.day).chain([day]).collect();
    let after = crate::checkin::streak_of(program, &days, ctx.now);
    effects.push(Effect::CheckedIn {
        check_in: CheckIn { day, kind: CheckInKind::Makeup, at: ctx.now },
        streak: after.streak,
        cycle_day: after.cycle_day,
    });
    Ok(effects)
}

/// A new lot of `points` earned now, with the program's expiry.
pub fn credit(program: &Program, ctx: &Ctx, n: usize, points: Points, reason: &str) -> Effect {
    Effect::PointsCredited {
        lot: PointLot {
            id: ctx.id(n),
            points,
            remaining: points,
            earned_at: ctx.now,
            expires_at: crate::points::expiry_of(program, ctx.now),
            source: reason.to_string(),
        },
        reason: reason.to_string(),
    }
}

/// Spend `points` soonest-expiring first, or reject INSUFFICIENT_POINTS.
pub fn debit(state: &MemberState, points: Points, reason: &str, now: Instant) -> Result<Effect, Rejection> {
    let lots = crate::points::plan_spend(state, points, now)?;
    Ok(Effect::PointsDebited { lots, reason: reason.to_string(), shortfall: 0, at: now })
}

/// Apply effects to the member's state. Counter effects are left to whoever keeps the counters
/// (see `apply_stock`).
pub fn apply_effects(state: &mut MemberState, effects: &[Effect]) {
    for effect in effects {
        match effect {
            Effect::CheckedIn { check_in, .. } => {
                let at = state.check_ins.partition_point(|c| c.day < check_in.day);
                state.check_ins.insert(at, check_in.clone());
            }
            Effect::PointsCredited { lot, reason } => {
                state.ledger.push(LedgerEntry {
                    at: lot.earned_at,
                    delta: lot.points,
                    reason: reason.clone(),
                    lots: vec![LotAmount { lot: lot.id.clone(), points: lot.points }],
                    shortfall: 0,
                });
                state.lots.push(lot.clone());
            }
            Effect::PointsRestored { lots, reason, at } => {
                state.ledger.push(LedgerEntry {
                    at: *at,
                    delta: lots.iter().map(|l| l.points).sum(),
                    reason: reason.clone(),
                    lots: lots.iter().map(|l| LotAmount { lot: l.id.clone(), points: l.points }).collect(),
                    shortfall: 0,
                });
                state.lots.extend(lots.iter().cloned());
            }
            Effect::PointsDebited { lots, reason, shortfall, at } => {
                let mut total = 0;
                for take in lots {
                    if let Some(lot) = state.lots.iter_mut().find(|l| l.id == take.lot) {
                        let n = take.points.min(lot.remaining);
                        lot.remaining -= n;
                        total += n;
                    }
                }
                state.ledger.push(LedgerEntry { at: *at, delta: -total, reason: reason.clone(), lots: lots.clone(), shortfall: *shortfall });
            }
            Effect::CouponIssued { coupon } => state.coupons.push(coupon.clone()),
            Effect::CouponUsed { coupon, order_id, at } => {
                if let Some(c) = state.coupons.iter_mut().find(|c| c.id == *coupon) {
                    c.state = CouponState::Used { order_id: order_id.clone(), at: *at };
                }
            }
            Effect::CouponReturned { coupon } => {
                if let Some(c) = state.coupons.iter_mut().find(|c| c.id == *coupon) {
                    c.state = CouponState::Available;
                }
            }
            Effect::CouponRevoked { coupon, .. } => state.coupons.retain(|c| c.id != *coupon),
            Effect::OrderPlaced { order } => state.orders.push(order.clone()),
            Effect::OrderRefunded { order_id, at, gift_used_by } => {
                if let Some(o) = state.orders.iter_mut().find(|o| o.id == *order_id) {
                    o.refunded_at = Some(*at);
                    o.gift_used_by.clone_from(gift_used_by);
                }
            }
            Effect::RewardRedeemed { redemption } => state.redemptions.push(redemption.clone()),
            Effect::BirthdaySet { birthday } => state.birthday = Some(*birthday),
            Effect::StockTaken { .. } | Effect::StockReturned { .. } => {}
        }
    }
}

/// Apply the counter effects to a stock.
pub fn apply_stock(stock: &mut Stock, effects: &[Effect]) {
    for effect in effects {
        match effect {
            Effect::StockTaken { counter, units } => stock.adjust(counter, -(*units as i64)),
            Effect::StockReturned { counter, units } => stock.adjust(counter, *units as i64),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_read_and_write_the_same_json() {
        let all = [
            Mutation::CheckIn {},
            Mutation::MakeupCheckIn { day: Day::parse("2026-11-20").unwrap() },
            Mutation::ClaimCoupon { template: "t".into() },
            Mutation::RedeemReward { reward: "r".into() },
            Mutation::PlaceOrder { order_id: "o".into(), lines: vec![OrderLine { sku: "s".into(), qty: 2 }], coupons: vec!["c".into()], points: 100, expected_total: 999 },
            Mutation::RefundOrder { order_id: "o".into() },
            Mutation::SetBirthday { birthday: MonthDay::parse("02-29").unwrap() },
        ];
        for m in all {
            let text = serde_json::to_string(&m).unwrap();
            assert_eq!(Mutation::from_json(&text).unwrap(), m, "{text}");
        }
        assert_eq!(Mutation::from_json(r#"{"name":"checkIn"}"#).unwrap(), Mutation::CheckIn {});
    }

    #[test]
    fn forged_or_malformed_arguments_are_refused() {
        let code_and_message = |text: &str| {
            let e = Mutation::from_json(text).unwrap_err();
            (e.code(), e.message())
        };
        let (code, message) = code_and_message(r#"{"name":"checkIn","args":{"points":1000}}"#);
        assert_eq!(code, "INVALID_INPUT");
        assert!(message.contains("field `points` does not belong to the arguments of `checkIn`"), "{message}");
        let (_, message) = code_and_message(r#"{"name":"placeOrder","args":{"orderId":"o","lines":[],"paid":1}}"#);
        assert!(message.contains("unknown field `paid`"), "{message}");
        let (_, message) = code_and_message(r#"{"name":"placeOrder","args":{"orderId":"o","lines":[]}}"#);
        assert!(message.contains("missing field `expectedTotal`"), "{message}");
        let (_, message) = code_and_message(r#"{"name":"fly","args":{}}"#);
        assert!(message.contains("unknown mutation `fly`"), "{message}");
        let (_, message) = code_and_message(r#"{"name":"makeupCheckIn","args":{"day":"2026-13-01"}}"#);
        assert!(message.contains("args.day"), "{message}");
    }
}
