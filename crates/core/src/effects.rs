//! The engine's vocabulary of change: what `apply` is given besides the state (`Ctx`), what it
//! decides (`Effect`s), how effects change a state and the shared counters, and the two effects
//! every rule that moves points makes (`credit`, `debit`). Below `apply` and the rules that use it.

use crate::error::Rejection;
use crate::program::{Points, Program};
use crate::state::{CancelledBy, CheckIn, CouponState, Friend, LedgerEntry, LotAmount, MemberState, Order, OrderStatus, PointLot, Redemption, ReferredBy};
use crate::stock::{Counter, Stock};
use crate::time::{Instant, MonthDay};
use serde::{Deserialize, Serialize};

/// What `apply` is given besides the state.
#[derive(Clone, Copy, Debug)]
pub struct Ctx<'a> {
    pub now: Instant,
    pub client_id: &'a str,
    pub mutation_id: u64,
    /// Shared counters as the applier knows them (authoritative on the server).
    pub stock: &'a Stock,
    /// When the mutation names an order that is not in the state: the archive's word on it
    /// (the server looks it up; a client without the archive passes None).
    pub archived_order: Option<ArchivedOrder>,
    /// When the mutation accepts a referral code: the server's word on it (§14; a device passes
    /// None and decides on what its state knows).
    pub referral_code: Option<CodeLookup>,
}

/// What the server knows of a code a member accepts: whether it is any member's, and whether
/// that member was referred by this one (a loop). A device without the server passes none and
/// decides optimistically on what its state knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CodeLookup {
    pub known: bool,
    pub owner_referred_by_member: bool,
}

/// What the archive says of an order id the member's state no longer holds: it was refunded,
/// cancelled unpaid, or (neither) paid and past its refund window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArchivedOrder {
    pub refunded: bool,
    pub cancelled: bool,
}

impl ArchivedOrder {
    pub fn of(order: &Order) -> ArchivedOrder {
        ArchivedOrder { refunded: order.is_refunded(), cancelled: order.status == OrderStatus::Cancelled }
    }

    /// The status an order-awaiting-payment error names.
    pub fn status(self) -> &'static str {
        if self.refunded {
            "refunded"
        } else if self.cancelled {
            "cancelled"
        } else {
            "paid"
        }
    }
}

impl Ctx<'_> {
    /// The n-th id this mutation creates.
    pub fn id(&self, n: usize) -> String {
        format!("{}-{}-{}", self.client_id, self.mutation_id, n)
    }
}

/// One change to the member's state (or to a shared counter).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Effect {
    #[serde(rename_all = "camelCase")]
    CheckedIn {
        check_in: CheckIn,
        streak: u32,
        cycle_day: u32,
        /// The cumulative milestone (its `days`) this check-in completed (§1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
        milestone: Option<u32>,
    },
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
    /// Held by an order awaiting payment.
    #[serde(rename_all = "camelCase")]
    CouponLocked { coupon: String, order_id: String, at: Instant },
    /// Back to available: the order that held or used it was cancelled or refunded.
    #[serde(rename_all = "camelCase")]
    CouponReturned { coupon: String },
    /// A gift coupon taken back, unused, by the refund of the order that issued it.
    #[serde(rename_all = "camelCase")]
    CouponRevoked { coupon: String, order_id: String },
    /// An unused coupon the store's operator took back (§15), with the reason the member reads.
    #[serde(rename_all = "camelCase")]
    CouponWithdrawn { coupon: String, reason: String, at: Instant },
    #[serde(rename_all = "camelCase")]
    OrderPlaced { order: Order },
    /// The store confirmed the payment: with the lot its points went to and the gift it issued.
    #[serde(rename_all = "camelCase")]
    OrderPaid {
        order_id: String,
        at: Instant,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
        transaction_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
        earned_lot: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
        gift: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    OrderCancelled { order_id: String, at: Instant, by: CancelledBy },
    #[serde(rename_all = "camelCase")]
    OrderRefunded {
        order_id: String,
        at: Instant,
        /// The order's gift coupon when it was already used (by this order id) and so stays.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
        gift_used_by: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    RewardRedeemed { redemption: Redemption },
    /// The member accepted a referral code (§14).
    #[serde(rename_all = "camelCase")]
    ReferralAccepted { code: String, at: Instant },
    /// A referred member paid their first order: the referrer's reward is decided on it.
    #[serde(rename_all = "camelCase")]
    ReferralFirstOrder { code: String, order_id: String },
    /// A referred member's first order was refunded: the referrer's reward is cancelled.
    #[serde(rename_all = "camelCase")]
    ReferralOrderRefunded { code: String, order_id: String },
    /// A friend the member referred, listed or changed.
    #[serde(rename_all = "camelCase")]
    FriendUpdated { friend: Friend },
    #[serde(rename_all = "camelCase")]
    BirthdaySet {
        #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "MonthDay"))]
        birthday: MonthDay,
    },
    #[serde(rename_all = "camelCase")]
    StockTaken { counter: Counter, units: u32 },
    #[serde(rename_all = "camelCase")]
    StockReturned { counter: Counter, units: u32 },
}

/// The outcome of an accepted mutation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Applied {
    pub effects: Vec<Effect>,
}

/// A new lot of `points` earned now, with the program's expiry.
pub fn credit(program: &Program, ctx: &Ctx, n: usize, points: Points, reason: &str) -> Effect {
    credit_pending(program, ctx, n, points, reason, None)
}

/// A new lot of `points` earned now, pending until `available_at` (§2) when given: its expiry
/// runs from the day it becomes available.
pub fn credit_pending(program: &Program, ctx: &Ctx, n: usize, points: Points, reason: &str, available_at: Option<Instant>) -> Effect {
    Effect::PointsCredited {
        lot: PointLot {
            id: ctx.id(n),
            points,
            remaining: points,
            earned_at: ctx.now,
            expires_at: crate::points::expiry_of(program, available_at.unwrap_or(ctx.now)),
            source: reason.to_string(),
            available_at,
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
            Effect::CouponLocked { coupon, order_id, at } => {
                if let Some(c) = state.coupons.iter_mut().find(|c| c.id == *coupon) {
                    c.state = CouponState::Locked { order_id: order_id.clone(), at: *at };
                }
            }
            Effect::CouponReturned { coupon } => {
                if let Some(c) = state.coupons.iter_mut().find(|c| c.id == *coupon) {
                    c.state = CouponState::Available;
                }
            }
            Effect::CouponRevoked { coupon, .. } | Effect::CouponWithdrawn { coupon, .. } => state.coupons.retain(|c| c.id != *coupon),
            Effect::OrderPlaced { order } => state.orders.push(order.clone()),
            Effect::OrderPaid { order_id, at, transaction_id, earned_lot, gift } => {
                if let Some(o) = state.orders.iter_mut().find(|o| o.id == *order_id) {
                    o.status = OrderStatus::Paid;
                    o.paid_at = Some(*at);
                    o.transaction_id.clone_from(transaction_id);
                    o.earned_lot.clone_from(earned_lot);
                    o.gift.clone_from(gift);
                }
            }
            Effect::OrderCancelled { order_id, at, by } => {
                if let Some(o) = state.orders.iter_mut().find(|o| o.id == *order_id) {
                    o.status = OrderStatus::Cancelled;
                    o.cancelled_at = Some(*at);
                    o.cancelled_by = Some(*by);
                }
            }
            Effect::OrderRefunded { order_id, at, gift_used_by } => {
                if let Some(o) = state.orders.iter_mut().find(|o| o.id == *order_id) {
                    o.refunded_at = Some(*at);
                    o.gift_used_by.clone_from(gift_used_by);
                }
            }
            Effect::RewardRedeemed { redemption } => state.redemptions.push(redemption.clone()),
            Effect::BirthdaySet { birthday } => state.birthday = Some(*birthday),
            Effect::ReferralAccepted { code, at } => state.referral.referred_by = Some(ReferredBy { code: code.clone(), at: *at, first_order: None }),
            Effect::ReferralFirstOrder { order_id, .. } => {
                if let Some(by) = state.referral.referred_by.as_mut() {
                    by.first_order = Some(order_id.clone());
                }
            }
            Effect::ReferralOrderRefunded { .. } => {}
            Effect::FriendUpdated { friend } => {
                let r = &mut state.referral;
                match r.friends.iter_mut().find(|f| f.code == friend.code) {
                    Some(f) => *f = friend.clone(),
                    None => {
                        r.friends.push(friend.clone());
                        if r.friends.len() > crate::state::MAX_FRIENDS_KEPT {
                            r.friends.remove(0);
                            r.friends_before = r.friends_before.saturating_add(1);
                        }
                    }
                }
            }
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

