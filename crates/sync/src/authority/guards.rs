//! The guard rows: what a database keeps beside the member's state so that a change which may
//! happen once happens once, whichever server decides it (a check-in day, a point lot, a coupon
//! instance and its use, an order, its payment or cancellation, its refund) — and the shared
//! counters, which never go below zero. A host writes a decision's guards in its transaction;
//! one that fires (a unique key taken, a row that should be there and is not, a counter below
//! zero) means another decision got there first: roll back and decide again on fresh data.

use siyu_core::state::CheckInKind;
use siyu_core::time::Instant;
use siyu_core::Effect;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One guard write. Each says what the database does and when it fires.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(tag = "guard", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Guard {
    /// Insert `(member, day)`: unique — one check-in a business day.
    CheckIn { day: String, kind: String, at: Instant },
    /// Insert `(member, lotId)`: unique — a lot is credited once.
    Lot { lot_id: String, points: i64, earned_at: Instant },
    /// Insert `(member, couponId)`: unique — an instance is issued once; and, for a `source`
    /// starting `campaign:`, unique `(member, source)` — a campaign issues once per member.
    CouponIssued { coupon_id: String, template: String, source: String, issued_at: Instant },
    /// Insert `(member, couponId) → orderId`: unique — a coupon is held by one order.
    CouponLocked { coupon_id: String, order_id: String, at: Instant },
    /// Mark the use row of `(member, couponId, orderId)` used at `at`; when there is none (a
    /// coupon used at once), insert it, unique as for `couponLocked`.
    CouponUsed { coupon_id: String, order_id: String, at: Instant },
    /// Delete the use row of `(member, couponId)`: the coupon is back in the wallet.
    CouponReturned { coupon_id: String },
    /// Insert `(member, orderId)`: unique — an order id is placed once; with `payBy`, also
    /// insert the order's awaiting-payment row (`total`, `payBy`: the expiry sweep reads it).
    OrderPlaced { order_id: String, placed_at: Instant, total: i64, paid: i64, pay_by: Option<Instant> },
    /// Delete the awaiting-payment row of `(member, orderId)`: exactly one row, else it fires —
    /// an order is paid or cancelled once.
    OrderSettled { order_id: String },
    /// Insert `(member, orderId)` into the cancelled orders: unique.
    OrderCancelled { order_id: String, at: Instant },
    /// Set the refund time of `(member, orderId)` where none is set: exactly one row, else it
    /// fires — an order is refunded once.
    OrderRefunded { order_id: String, at: Instant },
}

impl Guard {
    /// The guard's name in a `CONFLICT` rejection's details.
    pub fn name(&self) -> &'static str {
        match self {
            Guard::CheckIn { .. } => "check_ins",
            Guard::Lot { .. } => "point_lots",
            Guard::CouponIssued { .. } => "coupons",
            Guard::CouponLocked { .. } | Guard::CouponUsed { .. } | Guard::CouponReturned { .. } => "coupon_uses",
            Guard::OrderPlaced { .. } => "orders",
            Guard::OrderSettled { .. } => "awaiting_payment",
            Guard::OrderCancelled { .. } => "cancelled_orders",
            Guard::OrderRefunded { .. } => "orders.refunded_at",
        }
    }
}

/// The guard writes of one decision's effects, in the order they are written.
pub fn guards_of(effects: &[Effect]) -> Vec<Guard> {
    let placed_here = |id: &str| effects.iter().any(|e| matches!(e, Effect::OrderPlaced { order } if order.id == id));
    let mut out = Vec::new();
    for effect in effects {
        match effect {
            Effect::CheckedIn { check_in, .. } => out.push(Guard::CheckIn {
                day: check_in.day.to_string(),
                kind: match check_in.kind {
                    CheckInKind::Normal => "normal",
                    CheckInKind::Makeup => "makeup",
                }
                .into(),
                at: check_in.at,
            }),
            Effect::PointsCredited { lot, .. } => out.push(lot_guard(lot)),
            Effect::PointsRestored { lots, .. } => out.extend(lots.iter().map(lot_guard)),
            Effect::CouponIssued { coupon } => out.push(Guard::CouponIssued {
                coupon_id: coupon.id.clone(),
                template: coupon.template.clone(),
                source: coupon.source.clone(),
                issued_at: coupon.claimed_at,
            }),
            Effect::CouponLocked { coupon, order_id, at } => out.push(Guard::CouponLocked { coupon_id: coupon.clone(), order_id: order_id.clone(), at: *at }),
            Effect::CouponUsed { coupon, order_id, at } => out.push(Guard::CouponUsed { coupon_id: coupon.clone(), order_id: order_id.clone(), at: *at }),
            Effect::CouponReturned { coupon } => out.push(Guard::CouponReturned { coupon_id: coupon.clone() }),
            Effect::OrderPlaced { order } => out.push(Guard::OrderPlaced {
                order_id: order.id.clone(),
                placed_at: order.placed_at,
                total: order.total,
                paid: order.paid,
                pay_by: order.pay_by.filter(|_| order.is_awaiting_payment()),
            }),
            // Placed and paid in one decision (a total of 0): it never waited.
            Effect::OrderPaid { order_id, .. } => {
                if !placed_here(order_id) {
                    out.push(Guard::OrderSettled { order_id: order_id.clone() });
                }
            }
            Effect::OrderCancelled { order_id, at, .. } => {
                out.push(Guard::OrderCancelled { order_id: order_id.clone(), at: *at });
                if !placed_here(order_id) {
                    out.push(Guard::OrderSettled { order_id: order_id.clone() });
                }
            }
            Effect::OrderRefunded { order_id, at, .. } => out.push(Guard::OrderRefunded { order_id: order_id.clone(), at: *at }),
            // The revoked gift leaves the member's state; its issue row stays as the guard that
            // the id was used.
            Effect::StockTaken { .. } | Effect::StockReturned { .. } | Effect::CouponRevoked { .. } | Effect::CouponWithdrawn { .. } => {}
            Effect::PointsDebited { .. } | Effect::RewardRedeemed { .. } | Effect::BirthdaySet { .. } => {}
            Effect::ReferralAccepted { .. } | Effect::ReferralFirstOrder { .. } | Effect::ReferralOrderRefunded { .. } | Effect::FriendUpdated { .. } => {}
        }
    }
    out
}

fn lot_guard(lot: &siyu_core::state::PointLot) -> Guard {
    Guard::Lot { lot_id: lot.id.clone(), points: lot.points, earned_at: lot.earned_at }
}

/// Adds the shared counters' changes of `effects` to `deltas` (by counter key; taken units are
/// negative). A host applies the non-zero ones in key order, so two transactions taking the same
/// counters lock them in the same order; a counter that would go below zero fires its guard, one
/// that does not exist (dropped from the program) is unlimited.
pub fn add_counter_deltas(deltas: &mut BTreeMap<String, i64>, effects: &[Effect]) {
    for effect in effects {
        match effect {
            Effect::StockTaken { counter, units } => *deltas.entry(counter.key()).or_default() -= i64::from(*units),
            Effect::StockReturned { counter, units } => *deltas.entry(counter.key()).or_default() += i64::from(*units),
            _ => {}
        }
    }
}
