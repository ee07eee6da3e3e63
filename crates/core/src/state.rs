//! The member's state: everything the engine knows about one member. It changes only by
//! applying effects (see `apply`).

use crate::units::{Fen, Points};
use crate::time::{Day, Instant, MonthDay};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemberState {
    pub member_id: String,
    /// When the member joined (first seen); used for the `new member` audience and segments.
    #[serde(default)]
    pub joined_at: Instant,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional, type = "MonthDay"))]
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
    /// What compaction moved to the server's archive, as the figures the rules still read
    /// (§12; see `compact`). Empty for a member whose whole history is above.
    #[serde(default, skip_serializing_if = "Past::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub past: Past,
    /// §14: who referred this member, and the friends this member referred.
    #[serde(default, skip_serializing_if = "Referral::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub referral: Referral,
}

/// Friends a referrer's state lists (the newest); older ones are counted in `friendsBefore`.
pub const MAX_FRIENDS_KEPT: usize = 100;

/// A member's side of referral (rulebook §14). Friends are known by their referral code (never
/// their member id) and a masked name, so a referrer's device learns nothing else of them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Referral {
    /// The code this member accepted, once and for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub referred_by: Option<ReferredBy>,
    /// The friends who accepted this member's code, in the order they did (the newest
    /// `MAX_FRIENDS_KEPT`; older ones only in `friends_before`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub friends: Vec<Friend>,
    /// Friends no longer listed (the list keeps the newest).
    #[serde(default, skip_serializing_if = "is_zero")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub friends_before: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Referral {
    pub fn is_empty(&self) -> bool {
        self.referred_by.is_none() && self.friends.is_empty() && self.friends_before == 0
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReferredBy {
    pub code: String,
    pub at: Instant,
    /// The first paid order, once paid: the one the referrer's reward is decided on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub first_order: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Friend {
    /// The friend's own referral code.
    pub code: String,
    /// The friend's name as the referrer may see it (masked by the store).
    pub name: String,
    pub joined_at: Instant,
    pub status: FriendStatus,
    /// When the status last changed.
    pub at: Instant,
    /// The friend's first paid order, once there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub order_id: Option<String>,
    /// The referrer's reward: its points lot and coupon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub lot: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub coupon: Option<String>,
}

/// Where a referred friend stands. `rewarded` covers the reward while pending and once
/// available (the lot says which).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum FriendStatus {
    /// Accepted the code; no paid order yet.
    Joined,
    /// The first paid order was below `minFirstPaid`: no reward.
    BelowMinimum,
    /// The month's `maxRewardsPerMonth` was reached: kept, not rewarded.
    OverMonthlyCap,
    Rewarded,
    /// The first order was refunded inside its window: the reward was cancelled.
    Cancelled,
}

/// The archived part of a member's history, summed up: its size depends on the program's
/// windows, never on how long the member has stayed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Past {
    /// Check-ins of days before this one are archived (whole months).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional, type = "Day"))]
    pub check_ins_before: Option<Day>,
    /// Consecutive checked-in days ending the day before `checkInsBefore` (0: not checked in).
    #[serde(default)]
    pub check_in_run: u32,
    /// The latest archived check-in that was not a makeup (segments' last activity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub last_check_in_at: Option<Instant>,
    /// Archived ledger entries, and the points they earned and spent.
    #[serde(default)]
    pub ledger_entries: u64,
    #[serde(default)]
    pub earned: Points,
    #[serde(default)]
    pub spent: Points,
    /// Points of archived lots that expired unspent.
    #[serde(default)]
    pub expired: Points,
    /// Archived orders (refunded ones included), those that used a coupon, the first and the
    /// latest, and the growth of those not refunded.
    #[serde(default)]
    pub orders: u64,
    #[serde(default)]
    pub orders_with_coupon: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub first_order_at: Option<Instant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub last_order_at: Option<Instant>,
    #[serde(default)]
    pub growth: Fen,
    /// Archived orders still inside a window a rule reads: 365 days (lifecycle), the growth
    /// window (tiers) or an open limited sale.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub recent_orders: Vec<OrderFigure>,
    /// Archived coupons claimed per template (claim, birthday and member-day sources).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub claims: BTreeMap<String, u32>,
    /// The latest calendar year an archived birthday coupon was claimed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub birthday_claim_year: Option<i32>,
    /// Archived points-mall redemptions per reward.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub redemptions: BTreeMap<String, u32>,
}

impl Past {
    pub fn is_empty(&self) -> bool {
        *self == Past::default()
    }
}

/// What the rules still read of an archived order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderFigure {
    pub placed_at: Instant,
    /// Its growth: what was paid, 0 once refunded.
    pub paid: Fen,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub refunded: bool,
    /// Its lines of limited-sale products whose sale has not ended (per-member limits).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub sale_lines: Vec<OrderLine>,
    /// The promotions with per-member uses it used, while they run (their uses count it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub promotions: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum CheckInKind {
    Normal,
    Makeup,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckIn {
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "Day"))]
    pub day: Day,
    pub kind: CheckInKind,
    /// When it was recorded.
    pub at: Instant,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PointLot {
    pub id: String,
    pub points: Points,
    pub remaining: Points,
    pub earned_at: Instant,
    /// Exclusive end; `null` never expires.
    pub expires_at: Option<Instant>,
    pub source: String,
    /// Pending (§2) until this instant: counted in no balance, not spendable. Absent: available
    /// since it was earned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub available_at: Option<Instant>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
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
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LotAmount {
    pub lot: String,
    pub points: Points,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(tag = "type", rename_all = "camelCase", try_from = "crate::tagged::Tagged")]
pub enum CouponState {
    Available,
    /// Held by an order awaiting payment: used once it is paid, back to available if cancelled.
    #[serde(rename_all = "camelCase")]
    Locked { order_id: String, at: Instant },
    #[serde(rename_all = "camelCase")]
    Used { order_id: String, at: Instant },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
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
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderLine {
    pub sku: String,
    pub qty: u32,
}

/// A gift (满赠) an order received: a price-0 line of `promotion`'s `tier`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderGift {
    pub promotion: String,
    pub tier: u32,
    pub sku: String,
    pub qty: u32,
}

/// Where an order is in its life (rulebook §8). A refund is recorded on a paid order
/// (`refundedAt`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum OrderStatus {
    /// Placed with a total above 0, until `payBy`: its coupons locked, its points and stock held.
    AwaitingPayment,
    /// The store confirmed the payment (or the total was 0). Orders recorded before the payment
    /// step existed carry no status: they were paid when placed.
    #[default]
    Paid,
    /// Cancelled by the shopper or by its payment deadline: everything held came back.
    Cancelled,
}

/// Who cancelled an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum CancelledBy {
    Shopper,
    /// Its payment window passed (decided by the store).
    Deadline,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Order {
    pub id: String,
    pub placed_at: Instant,
    #[serde(default)]
    pub status: OrderStatus,
    /// The payment deadline of an order placed with a total above 0 (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub pay_by: Option<Instant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub paid_at: Option<Instant>,
    /// The payment provider's transaction, as the store recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub transaction_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub cancelled_at: Option<Instant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub cancelled_by: Option<CancelledBy>,
    pub lines: Vec<OrderLine>,
    /// The promotions it used (§13), and the gifts they gave, held and returned with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub promotions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub gifts: Vec<OrderGift>,
    /// Gift promotions whose tier the order reached while their gift was out of stock: it was
    /// placed without them, and says so.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub gifts_sold_out: Vec<String>,
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
    /// The purchase points it earns, credited when it is paid (priced when placed).
    pub points_earned: Points,
    /// The lot the earned points went to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub earned_lot: Option<String>,
    /// The lots the points were taken from (held while awaiting payment), to restore them on
    /// cancellation or refund.
    pub spent_lots: Vec<LotAmount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub refunded_at: Option<Instant>,
    /// The gift coupon (first-order or repurchase) this order issued, revoked by its refund
    /// while unused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub gift: Option<String>,
    /// Recorded on the refund when the gift had already been used: the order that used it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub gift_used_by: Option<String>,
}

impl Order {
    pub fn is_refunded(&self) -> bool {
        self.refunded_at.is_some()
    }

    /// Paid (refunded or not): it counts as an order the member made.
    pub fn is_paid(&self) -> bool {
        self.status == OrderStatus::Paid
    }

    pub fn is_awaiting_payment(&self) -> bool {
        self.status == OrderStatus::AwaitingPayment
    }

    /// When it was paid: orders recorded before the payment step were paid when placed.
    pub fn paid_time(&self) -> Instant {
        self.paid_at.unwrap_or(self.placed_at)
    }

    /// Whether it holds or took limited-sale units (per-member limits count it).
    pub fn takes_stock(&self) -> bool {
        self.is_awaiting_payment() || (self.is_paid() && !self.is_refunded())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Redemption {
    pub id: String,
    pub reward: String,
    pub at: Instant,
    pub cost_points: Points,
    /// The coupon granted, for coupon rewards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
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

    /// Paid orders not refunded: what growth counts.
    pub fn paid_orders(&self) -> impl Iterator<Item = &Order> {
        self.orders.iter().filter(|o| o.is_paid() && !o.is_refunded())
    }

    /// Orders the member made: paid ones, refunded or not (unpaid and cancelled ones are not).
    pub fn made_orders(&self) -> impl Iterator<Item = &Order> {
        self.orders.iter().filter(|o| o.is_paid())
    }

    /// Whether the member ever paid for an order (archived ones included).
    pub fn has_ordered(&self) -> bool {
        self.made_orders().next().is_some() || self.past.orders > 0
    }

    /// Every paid order's time, what it adds to growth (0 if refunded) and whether it was
    /// refunded — for the windowed rules: the archived figures, then the orders above.
    pub fn order_figures(&self) -> impl Iterator<Item = (Instant, Fen, bool)> + '_ {
        let archived = self.past.recent_orders.iter().map(|f| (f.placed_at, f.paid, f.refunded));
        archived.chain(self.made_orders().map(|o| (o.placed_at, if o.is_refunded() { 0 } else { o.paid }, o.is_refunded())))
    }

    pub fn checked_in(&self, day: Day) -> Option<&CheckIn> {
        self.check_ins.iter().rev().find(|c| c.day == day)
    }

    /// A digest of the state as JSON (FNV-1a, 64 bits, hex): a client that rebuilt the state
    /// from a patch compares it with the server's to know it holds the very same state.
    pub fn digest(&self) -> String {
        digest_json(&serde_json::to_string(self).unwrap_or_default())
    }
}

/// The digest of a state's JSON text, as `MemberState::digest` computes it.
pub fn digest_json(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

impl TryFrom<crate::tagged::Tagged> for CouponState {
    type Error = String;
    fn try_from(t: crate::tagged::Tagged) -> Result<Self, String> {
        match t.kind.as_str() {
            "available" => t.only(&[]).map(|_| CouponState::Available),
            "locked" => {
                t.only(&["orderId", "at"])?;
                Ok(CouponState::Locked { order_id: t.need("orderId", &t.order_id)?, at: t.need("at", &t.at)? })
            }
            "used" => {
                t.only(&["orderId", "at"])?;
                Ok(CouponState::Used { order_id: t.need("orderId", &t.order_id)?, at: t.need("at", &t.at)? })
            }
            _ => Err(t.unknown_type("`available`, `locked`, `used`")),
        }
    }
}
