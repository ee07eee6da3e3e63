//! The member's state: everything the engine knows about one member. It changes only by
//! applying effects (see `apply`).

use crate::units::{Fen, Points};
use crate::time::{Day, Instant, MonthDay};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemberState {
    pub member_id: String,
    /// When the member joined (first seen); used for the `new member` audience and segments.
    #[serde(default)]
    pub joined_at: Instant,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional, type = "MonthDay"))]
    pub birthday: Option<MonthDay>,
    /// Check-ins in day order.
    #[serde(default)]
    pub check_ins: Vec<CheckIn>,
    /// Point lots, append-only; `remaining` goes down as points are spent or expire.
    #[serde(default)]
    pub lots: Vec<PointLot>,
    /// Every movement of points, append-only.
    #[serde(default)]
    pub ledger: Vec<LedgerEntry>,
    #[serde(default)]
    pub coupons: Vec<CouponInstance>,
    #[serde(default)]
    pub orders: Vec<Order>,
    #[serde(default)]
    pub redemptions: Vec<Redemption>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum CheckInKind {
    Normal,
    Makeup,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckIn {
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Day"))]
    pub day: Day,
    pub kind: CheckInKind,
    /// When it was recorded.
    pub at: Instant,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PointLot {
    pub id: String,
    pub points: Points,
    pub remaining: Points,
    pub earned_at: Instant,
    /// Exclusive end; `null` never expires.
    pub expires_at: Option<Instant>,
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LedgerEntry {
    pub at: Instant,
    /// Positive for credits, negative for debits.
    pub delta: Points,
    pub reason: String,
    /// The lot credited, or the lots debited with their amounts.
    pub lots: Vec<LotAmount>,
    /// Points that could not be taken back (a refund after the points were spent).
    #[serde(default)]
    pub shortfall: Points,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LotAmount {
    pub lot: String,
    pub points: Points,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(tag = "type", rename_all = "camelCase", try_from = "crate::tagged::Tagged")]
pub enum CouponState {
    Available,
    #[serde(rename_all = "camelCase")]
    Used { order_id: String, at: Instant },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CouponInstance {
    pub id: String,
    pub template: String,
    pub claimed_at: Instant,
    pub valid_from: Instant,
    /// Exclusive end.
    pub valid_to: Instant,
    /// claim, firstOrder, repurchase, checkIn, pointsMall, birthday, memberDay.
    pub source: String,
    pub state: CouponState,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderLine {
    pub sku: String,
    pub qty: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Order {
    pub id: String,
    pub placed_at: Instant,
    pub lines: Vec<OrderLine>,
    /// Paid per line, after every discount and points (the refund and growth base).
    pub line_paid: Vec<Fen>,
    pub coupons: Vec<String>,
    pub goods: Fen,
    pub points_used: Points,
    pub points_value: Fen,
    /// Goods after all discounts and points: the growth and earning base.
    pub paid: Fen,
    pub shipping: Fen,
    pub total: Fen,
    pub points_earned: Points,
    /// The lot the earned points went to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub earned_lot: Option<String>,
    /// The lots the points were spent from, to restore them on refund.
    pub spent_lots: Vec<LotAmount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub refunded_at: Option<Instant>,
    /// The gift coupon (first-order or repurchase) this order issued, revoked by its refund
    /// while unused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub gift: Option<String>,
    /// Recorded on the refund when the gift had already been used: the order that used it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub gift_used_by: Option<String>,
}

impl Order {
    pub fn is_refunded(&self) -> bool {
        self.refunded_at.is_some()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Redemption {
    pub id: String,
    pub reward: String,
    pub at: Instant,
    pub cost_points: Points,
    /// The coupon granted, for coupon rewards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub coupon: Option<String>,
}

impl MemberState {
    pub fn new(member_id: impl Into<String>, joined_at: Instant) -> MemberState {
        MemberState { member_id: member_id.into(), joined_at, ..Default::default() }
    }

    pub fn order(&self, id: &str) -> Option<&Order> {
        self.orders.iter().find(|o| o.id == id)
    }

    pub fn coupon(&self, id: &str) -> Option<&CouponInstance> {
        self.coupons.iter().find(|c| c.id == id)
    }

    pub fn paid_orders(&self) -> impl Iterator<Item = &Order> {
        self.orders.iter().filter(|o| !o.is_refunded())
    }

    pub fn checked_in(&self, day: Day) -> Option<&CheckIn> {
        self.check_ins.iter().rev().find(|c| c.day == day)
    }
}

impl TryFrom<crate::tagged::Tagged> for CouponState {
    type Error = String;
    fn try_from(t: crate::tagged::Tagged) -> Result<Self, String> {
        match t.kind.as_str() {
            "available" => t.only(&[]).map(|_| CouponState::Available),
            "used" => {
                t.only(&["orderId", "at"])?;
                Ok(CouponState::Used { order_id: t.need("orderId", &t.order_id)?, at: t.need("at", &t.at)? })
            }
            _ => Err(t.unknown_type("`available`, `used`")),
        }
    }
}
