//! The one pure function that decides every change:
//! `apply(program, state, mutation, ctx) -> Result<Applied, Rejection>`, and `apply_effects`,
//! the only way state changes. Client (optimistically) and server (authoritatively) run the same
//! code; every new id is derived from (clientId, mutationId), never random, and `now` is given.

use crate::error::{BirthdayError, InputError, OriginError, Rejection};
use crate::program::{Points, Program};
use crate::state::{CancelledBy, CheckIn, CheckInKind, MemberState, OrderLine};
use crate::stock::Counter;
use crate::time::{Day, Instant, MonthDay};
use serde::{Deserialize, Serialize};

pub use crate::effects::{apply_effects, apply_stock, credit, debit, Applied, ArchivedOrder, Ctx, Effect};

/// The client id of the store's own changes on a member's state (§15): a payment result, an
/// expired order. Members' devices cannot use it (the server reserves it), and `apply` refuses
/// the store's mutations from any other client.
pub const STORE_CLIENT: &str = "store";

/// A member's intent, or a change the store makes (§15). A member's carries no amounts the
/// server would have to trust: prices, points and the business day are recomputed from the
/// program and the clock of whoever applies it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(tag = "name", content = "args", rename_all = "camelCase", try_from = "MutationParts")]
pub enum Mutation {
    CheckIn {},
    #[serde(rename_all = "camelCase")]
    MakeupCheckIn {
        #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "Day"))]
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
    /// The shopper cancels an order awaiting payment.
    #[serde(rename_all = "camelCase")]
    CancelOrder { order_id: String },
    /// The store: the payment provider confirmed `amount` fen for the order.
    #[serde(rename_all = "camelCase")]
    ConfirmPayment {
        order_id: String,
        amount: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
        transaction_id: Option<String>,
    },
    /// The store: the order's payment window passed unpaid.
    #[serde(rename_all = "camelCase")]
    ExpireOrder { order_id: String },
    #[serde(rename_all = "camelCase")]
    SetBirthday {
        #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "MonthDay"))]
        birthday: MonthDay,
    },
    /// The store's operator credits points, with the reason the member reads.
    #[serde(rename_all = "camelCase")]
    GrantPoints { points: Points, reason: String },
    /// The store's operator takes points back (never below a zero balance).
    #[serde(rename_all = "camelCase")]
    DeductPoints { points: Points, reason: String },
    /// The store's operator gives a coupon: to this member, or as this member's share of a
    /// campaign (once per campaign) to a segment (only while the member is in it).
    #[serde(rename_all = "camelCase")]
    IssueCoupon {
        template: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
        campaign: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
        segment: Option<String>,
    },
    /// The store's operator takes back an unused coupon.
    #[serde(rename_all = "camelCase")]
    RevokeCoupon { coupon: String, reason: String },
    /// The member accepts a friend's referral code (§14).
    #[serde(rename_all = "camelCase")]
    AcceptReferral { code: String },
    /// The store, on the referrer's state: `friend` (their code, shown as `name`) accepted
    /// this member's code at `at`.
    #[serde(rename_all = "camelCase")]
    ReferralJoined { friend: String, name: String, at: Instant },
    /// The store, on the referrer's state: the friend paid their first order, `amount` fen at `at`.
    #[serde(rename_all = "camelCase")]
    RewardReferral { friend: String, order_id: String, amount: i64, at: Instant },
    /// The store, on the referrer's state: the friend's first order was refunded.
    #[serde(rename_all = "camelCase")]
    CancelReferralReward { friend: String, order_id: String },
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
            Mutation::CancelOrder { .. } => "cancelOrder",
            Mutation::ConfirmPayment { .. } => "confirmPayment",
            Mutation::ExpireOrder { .. } => "expireOrder",
            Mutation::SetBirthday { .. } => "setBirthday",
            Mutation::GrantPoints { .. } => "grantPoints",
            Mutation::DeductPoints { .. } => "deductPoints",
            Mutation::IssueCoupon { .. } => "issueCoupon",
            Mutation::RevokeCoupon { .. } => "revokeCoupon",
            Mutation::AcceptReferral { .. } => "acceptReferral",
            Mutation::ReferralJoined { .. } => "referralJoined",
            Mutation::RewardReferral { .. } => "rewardReferral",
            Mutation::CancelReferralReward { .. } => "cancelReferralReward",
        }
    }

    /// Decided by the store only (its client is `STORE_CLIENT`), never by a member's device.
    pub fn is_store_only(&self) -> bool {
        matches!(
            self,
            Mutation::ConfirmPayment { .. }
                | Mutation::ExpireOrder { .. }
                | Mutation::GrantPoints { .. }
                | Mutation::DeductPoints { .. }
                | Mutation::IssueCoupon { .. }
                | Mutation::RevokeCoupon { .. }
                | Mutation::ReferralJoined { .. }
                | Mutation::RewardReferral { .. }
                | Mutation::CancelReferralReward { .. }
        )
    }

    /// The order it names, if any.
    pub fn order_id(&self) -> Option<&str> {
        match self {
            Mutation::PlaceOrder { order_id, .. }
            | Mutation::RefundOrder { order_id }
            | Mutation::CancelOrder { order_id }
            | Mutation::ConfirmPayment { order_id, .. }
            | Mutation::ExpireOrder { order_id } => Some(order_id),
            _ => None,
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
    amount: Option<i64>,
    transaction_id: Option<String>,
    reason: Option<String>,
    campaign: Option<String>,
    segment: Option<String>,
    coupon: Option<String>,
    code: Option<String>,
    friend: Option<String>,
    name: Option<String>,
    at: Option<Instant>,
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
            ("amount", a.amount.is_some()),
            ("transactionId", a.transaction_id.is_some()),
            ("reason", a.reason.is_some()),
            ("campaign", a.campaign.is_some()),
            ("segment", a.segment.is_some()),
            ("coupon", a.coupon.is_some()),
            ("code", a.code.is_some()),
            ("friend", a.friend.is_some()),
            ("name", a.name.is_some()),
            ("at", a.at.is_some()),
        ];
        let allowed: &[&str] = match m.name.as_str() {
            "checkIn" => &[],
            "makeupCheckIn" => &["day"],
            "claimCoupon" => &["template"],
            "redeemReward" => &["reward"],
            "placeOrder" => &["orderId", "lines", "coupons", "points", "expectedTotal"],
            "refundOrder" | "cancelOrder" | "expireOrder" => &["orderId"],
            "confirmPayment" => &["orderId", "amount", "transactionId"],
            "setBirthday" => &["birthday"],
            "grantPoints" | "deductPoints" => &["points", "reason"],
            "issueCoupon" => &["template", "campaign", "segment"],
            "revokeCoupon" => &["coupon", "reason"],
            "acceptReferral" => &["code"],
            "referralJoined" => &["friend", "name", "at"],
            "rewardReferral" => &["friend", "orderId", "amount", "at"],
            "cancelReferralReward" => &["friend", "orderId"],
            other => {
                return Err(format!(
                    "unknown mutation `{other}`, expected one of checkIn, makeupCheckIn, claimCoupon, redeemReward, placeOrder, refundOrder, cancelOrder, confirmPayment, expireOrder, setBirthday, grantPoints, deductPoints, issueCoupon, revokeCoupon, acceptReferral, referralJoined, rewardReferral, cancelReferralReward"
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
            "cancelOrder" => Mutation::CancelOrder { order_id: a.order_id.ok_or_else(|| missing("orderId"))? },
            "expireOrder" => Mutation::ExpireOrder { order_id: a.order_id.ok_or_else(|| missing("orderId"))? },
            "confirmPayment" => Mutation::ConfirmPayment {
                order_id: a.order_id.ok_or_else(|| missing("orderId"))?,
                amount: a.amount.ok_or_else(|| missing("amount"))?,
                transaction_id: a.transaction_id,
            },
            "grantPoints" => Mutation::GrantPoints { points: a.points.ok_or_else(|| missing("points"))?, reason: a.reason.ok_or_else(|| missing("reason"))? },
            "deductPoints" => Mutation::DeductPoints { points: a.points.ok_or_else(|| missing("points"))?, reason: a.reason.ok_or_else(|| missing("reason"))? },
            "issueCoupon" => Mutation::IssueCoupon { template: a.template.ok_or_else(|| missing("template"))?, campaign: a.campaign, segment: a.segment },
            "revokeCoupon" => Mutation::RevokeCoupon { coupon: a.coupon.ok_or_else(|| missing("coupon"))?, reason: a.reason.ok_or_else(|| missing("reason"))? },
            "acceptReferral" => Mutation::AcceptReferral { code: a.code.ok_or_else(|| missing("code"))? },
            "referralJoined" => Mutation::ReferralJoined {
                friend: a.friend.ok_or_else(|| missing("friend"))?,
                name: a.name.ok_or_else(|| missing("name"))?,
                at: a.at.ok_or_else(|| missing("at"))?,
            },
            "rewardReferral" => Mutation::RewardReferral {
                friend: a.friend.ok_or_else(|| missing("friend"))?,
                order_id: a.order_id.ok_or_else(|| missing("orderId"))?,
                amount: a.amount.ok_or_else(|| missing("amount"))?,
                at: a.at.ok_or_else(|| missing("at"))?,
            },
            "cancelReferralReward" => Mutation::CancelReferralReward {
                friend: a.friend.ok_or_else(|| missing("friend"))?,
                order_id: a.order_id.ok_or_else(|| missing("orderId"))?,
            },
            _ => Mutation::SetBirthday { birthday: a.birthday.ok_or_else(|| missing("birthday"))? },
        })
    }
}

/// Decide a mutation. Pure: same inputs, same effects and ids.
pub fn apply(program: &Program, state: &MemberState, mutation: &Mutation, ctx: &Ctx) -> Result<Applied, Rejection> {
    if mutation.is_store_only() && ctx.client_id != STORE_CLIENT {
        return Err(OriginError::StoreOnly { mutation: mutation.name() }.into());
    }
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
        Mutation::CancelOrder { order_id } => crate::orders::cancel(state, order_id, CancelledBy::Shopper, program, ctx)?,
        Mutation::ExpireOrder { order_id } => crate::orders::cancel(state, order_id, CancelledBy::Deadline, program, ctx)?,
        Mutation::ConfirmPayment { order_id, amount, transaction_id } => {
            crate::orders::confirm_payment(program, state, order_id, *amount, transaction_id.as_deref(), ctx)?
        }
        Mutation::SetBirthday { birthday } => {
            if state.birthday.is_some() {
                return Err(BirthdayError::AlreadySet.into());
            }
            vec![Effect::BirthdaySet { birthday: *birthday }]
        }
        Mutation::GrantPoints { points, reason } => crate::operator::grant_points(program, *points, reason, ctx)?,
        Mutation::DeductPoints { points, reason } => crate::operator::deduct_points(state, *points, reason, ctx)?,
        Mutation::IssueCoupon { template, campaign, segment } => {
            crate::operator::issue_coupon(program, state, template, campaign.as_deref(), segment.as_deref(), ctx)?
        }
        Mutation::RevokeCoupon { coupon, reason } => crate::operator::revoke_coupon(state, coupon, reason, ctx)?,
        Mutation::AcceptReferral { code } => crate::referral::accept(program, state, code, ctx)?,
        Mutation::ReferralJoined { friend, name, at } => crate::referral::joined(program, state, friend, name, *at)?,
        Mutation::RewardReferral { friend, order_id, amount, at } => crate::referral::reward(program, state, friend, order_id, *amount, *at, ctx)?,
        Mutation::CancelReferralReward { friend, order_id } => crate::referral::cancel(state, friend, order_id, ctx)?,
    };
    Ok(Applied { effects })
}

fn check_in(program: &Program, state: &MemberState, ctx: &Ctx) -> Result<Vec<Effect>, Rejection> {
    let d = crate::checkin::decide_check_in(program, state, ctx.now)?;
    let mut effects = vec![Effect::CheckedIn {
        check_in: CheckIn { day: d.day, kind: CheckInKind::Normal, at: ctx.now },
        streak: d.streak,
        cycle_day: d.cycle_day,
        milestone: d.milestone.as_ref().map(|m| m.days),
    }];
    if d.points > 0 {
        effects.push(credit(program, ctx, 0, d.points, "checkIn"));
    }
    for (i, t) in d.coupons.iter().enumerate() {
        effects.extend(reward_coupon(program, t, ctx.id(i + 1), "checkIn", ctx));
    }
    if let Some(m) = &d.milestone {
        effects.extend(milestone_rewards(program, m, d.coupons.len() + 1, ctx));
    }
    Ok(effects)
}

/// A coupon a check-in grants. One of a template that has ended would be born expired: none.
fn reward_coupon(program: &Program, template: &str, id: String, source: &str, ctx: &Ctx) -> Option<Effect> {
    let t = program.template(template).filter(|t| crate::coupons::ended_at(t, ctx.now).is_none())?;
    Some(Effect::CouponIssued { coupon: crate::coupons::issue(program, t, id, source, ctx.now) })
}

/// A cumulative milestone's points and coupons, with ids from `first_id` on.
fn milestone_rewards(program: &Program, m: &crate::program::CumulativeReward, first_id: usize, ctx: &Ctx) -> Vec<Effect> {
    let reason = format!("{MILESTONE_SOURCE}:{}", m.days);
    let mut effects = Vec::new();
    if m.points > 0 {
        effects.push(credit(program, ctx, first_id, m.points, &reason));
    }
    for (j, t) in m.coupons.iter().enumerate() {
        effects.extend(reward_coupon(program, t, ctx.id(first_id + 1 + j), MILESTONE_SOURCE, ctx));
    }
    effects
}

/// The source of what a cumulative milestone grants (`checkInMilestone:N` on its points).
pub const MILESTONE_SOURCE: &str = "checkInMilestone";

fn makeup(program: &Program, state: &MemberState, day: Day, ctx: &Ctx) -> Result<Vec<Effect>, Rejection> {
    let cost = crate::checkin::decide_makeup(program, state, day, ctx.now)?;
    let mut effects = Vec::new();
    if cost > 0 {
        effects.push(debit(state, cost, "makeupCheckIn", ctx.now)?);
    }
    // The receipt reports the streak as `streak()` will see it once the day is filled.
    let before = crate::checkin::CheckInDays::of(state);
    // A made-up day earns no points itself but counts towards its period's milestones.
    let milestone = crate::checkin::milestone_completed(program, &before, day).cloned();
    let after = crate::checkin::streak_of(program, &before.with(day), ctx.now);
    effects.push(Effect::CheckedIn {
        check_in: CheckIn { day, kind: CheckInKind::Makeup, at: ctx.now },
        streak: after.streak,
        cycle_day: after.cycle_day,
        milestone: milestone.as_ref().map(|m| m.days),
    });
    if let Some(m) = &milestone {
        effects.extend(milestone_rewards(program, m, 0, ctx));
    }
    Ok(effects)
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
            Mutation::CancelOrder { order_id: "o".into() },
            Mutation::ConfirmPayment { order_id: "o".into(), amount: 999, transaction_id: Some("4200".into()) },
            Mutation::ConfirmPayment { order_id: "o".into(), amount: 999, transaction_id: None },
            Mutation::ExpireOrder { order_id: "o".into() },
            Mutation::SetBirthday { birthday: MonthDay::parse("02-29").unwrap() },
            Mutation::GrantPoints { points: 500, reason: "门店消费补积分".into() },
            Mutation::DeductPoints { points: 100, reason: "误发".into() },
            Mutation::IssueCoupon { template: "t".into(), campaign: None, segment: None },
            Mutation::IssueCoupon { template: "t".into(), campaign: Some("winback-2026-12".into()), segment: Some("lifecycle.lapsing".into()) },
            Mutation::RevokeCoupon { coupon: "c".into(), reason: "误发".into() },
            Mutation::AcceptReferral { code: "0123456789".into() },
            Mutation::ReferralJoined { friend: "ABCDEFGHJK".into(), name: "f***1".into(), at: 5 },
            Mutation::RewardReferral { friend: "ABCDEFGHJK".into(), order_id: "o".into(), amount: 5900, at: 6 },
            Mutation::CancelReferralReward { friend: "ABCDEFGHJK".into(), order_id: "o".into() },
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
