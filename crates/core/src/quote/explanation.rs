//! The results that travel to the shopper: the quote with every line's steps from list price to
//! paid, the coupons applied and why others are not, the savings, the points, the totals.

use crate::program::{Bp, Fen, Points, StackGroup};
use crate::time::Instant;
use serde::Serialize;

/// Why a line of a limited sale cannot be bought now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LineFlag {
    NotStarted,
    EarlyAccessOnly,
    Ended,
    LimitReached,
    SoldOut,
}

impl LineFlag {
    pub fn code(self) -> &'static str {
        match self {
            LineFlag::NotStarted => "NOT_STARTED",
            LineFlag::EarlyAccessOnly => "EARLY_ACCESS_ONLY",
            LineFlag::Ended => "ENDED",
            LineFlag::LimitReached => "LIMIT_REACHED",
            LineFlag::SoldOut => "SOLD_OUT",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum AdjustmentKind {
    MemberPrice,
    SalePrice,
    MemberDay,
    Promotion,
    Coupon,
    Points,
}

/// One step of a line's price: `amount` fen off, from `source` (tier id, coupon id, "points"…).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Adjustment {
    pub kind: AdjustmentKind,
    pub source: String,
    pub amount: Fen,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct QuoteLine {
    pub sku: String,
    pub name: String,
    pub qty: u32,
    /// List price of one unit.
    pub list_price: Fen,
    /// Unit price after member or sale price.
    pub unit_price: Fen,
    /// list price × qty.
    pub list_amount: Fen,
    /// unit price × qty (step 1).
    pub amount: Fen,
    /// Each step from list to paid, in order.
    pub adjustments: Vec<Adjustment>,
    /// What this line costs after every discount and points.
    pub paid: Fen,
    /// Set when a limited-sale line cannot be bought now; such a line is priced at 0.
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "LineFlag | null"))]
    pub flag: Option<LineFlag>,
    /// A gift line (满赠): the promotion that gives it. Priced 0, earns nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub gift: Option<String>,
}

/// A promotion that runs for the member and touches the cart: what it did, or why not and
/// what the cart still needs (`next`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct QuotePromotion {
    pub id: String,
    pub name: String,
    /// `nth`, `minQty`, `bundle`, `ladder` or `gift`.
    pub kind: String,
    pub status: crate::quote::PromotionStatus,
    pub with_coupons: bool,
    pub discount: Fen,
    pub free_shipping: bool,
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "QuoteGift | null"))]
    pub gift: Option<QuoteGift>,
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "PromotionHint | null"))]
    pub next: Option<crate::quote::PromotionHint>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct QuoteGift {
    pub sku: String,
    pub name: String,
    pub qty: u32,
    pub tier: u32,
    pub sold_out: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct AppliedCoupon {
    pub id: String,
    pub template: String,
    pub name: String,
    pub group: StackGroup,
    /// Fen saved (for free shipping: the fee waived).
    pub discount: Fen,
    /// How the discount is split over the lines (empty for free shipping); the shares sum to
    /// `discount` and each is also an adjustment of its line.
    pub allocation: Vec<LineShare>,
}

/// One line's share of an order-level amount.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct LineShare {
    /// Index of the line in the cart (and in `lines`).
    pub line: usize,
    pub amount: Fen,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UnusableReason {
    BelowMinSpend,
    OutOfScope,
    NotYetValid,
    Expired,
    NotStackable,
    Audience,
    /// Used by another order (e.g. redeemed from another device first).
    AlreadyUsed,
    /// Chosen, but it would save nothing on this order (a free-shipping coupon when the
    /// threshold already waives shipping): it is not applied and stays in the wallet.
    NoSaving,
    NotFound,
}

impl UnusableReason {
    pub fn text(self) -> &'static str {
        match self {
            UnusableReason::BelowMinSpend => "below its minimum spend",
            UnusableReason::OutOfScope => "no item in the cart is eligible",
            UnusableReason::NotYetValid => "not valid yet",
            UnusableReason::Expired => "expired",
            UnusableReason::NotStackable => "cannot be combined with the other coupons chosen",
            UnusableReason::Audience => "not for this member's tier",
            UnusableReason::AlreadyUsed => "already used by another order",
            UnusableReason::NoSaving => "saves nothing on this order",
            UnusableReason::NotFound => "not in the wallet",
        }
    }
}

/// A wallet coupon a cart could use: who it is and until when; the template (in `program()`)
/// has its value, threshold and scope. Kept small: a quote lists every usable coupon.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct UsableCoupon {
    pub id: String,
    pub template: String,
    pub name: String,
    pub stack_group: StackGroup,
    pub exclusive: bool,
    pub valid_to: Instant,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct UnusableCoupon {
    pub id: String,
    pub template: String,
    pub name: String,
    pub reason: UnusableReason,
    /// For BELOW_MIN_SPEND: fen still to add to the eligible items (the 凑单 hint).
    pub missing: Fen,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Saving {
    pub kind: String,
    pub source: String,
    pub amount: Fen,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct PointsQuote {
    pub balance: Points,
    pub requested: Points,
    pub used: Points,
    /// Fen paid by the points used.
    pub value: Fen,
    /// The most points this cart accepts (0 below `minBalance`).
    pub max: Points,
    pub unit: Points,
    pub redeem_rate: Points,
    /// Why no points can be used, if so: BELOW_MIN_BALANCE.
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "string | null"))]
    pub unavailable: Option<String>,
    /// Points this order earns, and the multipliers behind them.
    pub earn: Points,
    pub tier_multiplier_bp: Bp,
    pub promo_multiplier_bp: Bp,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    pub tier: String,
    pub member_day: bool,
    pub lines: Vec<QuoteLine>,
    /// Σ list amounts.
    pub list_total: Fen,
    /// After member/sale prices (step 1).
    pub goods: Fen,
    pub member_day_discount: Fen,
    /// Step 3: what the promotions took off the goods.
    pub promotion_discount: Fen,
    pub coupon_discount: Fen,
    /// Goods after steps 2–4 (the base for points and the free-shipping threshold).
    pub goods_after_coupons: Fen,
    pub points: PointsQuote,
    /// Goods after steps 2–5: what points are earned on.
    pub paid: Fen,
    pub shipping_base: Fen,
    pub shipping: Fen,
    /// "threshold", a promotion id (a ladder tier), a coupon id, or null when shipping is charged.
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "string | null"))]
    pub shipping_waived_by: Option<String>,
    pub total: Fen,
    /// list total + shipping fee − total.
    pub saved: Fen,
    pub savings: Vec<Saving>,
    /// The promotions that run for the member and touch the cart, in program order: applied,
    /// or why not, each with its hint.
    pub promotions: Vec<QuotePromotion>,
    pub coupons: Vec<AppliedCoupon>,
    /// Ids of the coupons applied, in group order: what `placeOrder` takes.
    pub coupon_ids: Vec<String>,
    /// Wallet coupons this cart could use but that are not applied (the same kind of list as
    /// `cartCoupons().usable`, which applies none).
    pub usable: Vec<UsableCoupon>,
    pub unusable: Vec<UnusableCoupon>,
    /// Whether every line can be ordered now.
    pub orderable: bool,
}

/// The figures of a priced cart without its explanation: small enough to cross as a plain value
/// that nothing in wasm memory has to outlive (a cart badge that re-prices on every change).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct QuoteTotals {
    pub total: Fen,
    pub list_total: Fen,
    pub goods: Fen,
    pub member_day_discount: Fen,
    pub promotion_discount: Fen,
    pub coupon_discount: Fen,
    pub goods_after_coupons: Fen,
    pub paid: Fen,
    pub shipping_base: Fen,
    pub shipping: Fen,
    pub saved: Fen,
    pub points_used: Points,
    pub points_earned: Points,
    pub coupon_ids: Vec<String>,
    pub orderable: bool,
}

impl From<&Quote> for QuoteTotals {
    fn from(q: &Quote) -> Self {
        QuoteTotals {
            total: q.total,
            list_total: q.list_total,
            goods: q.goods,
            member_day_discount: q.member_day_discount,
            promotion_discount: q.promotion_discount,
            coupon_discount: q.coupon_discount,
            goods_after_coupons: q.goods_after_coupons,
            paid: q.paid,
            shipping_base: q.shipping_base,
            shipping: q.shipping,
            saved: q.saved,
            points_used: q.points.used,
            points_earned: q.points.earn,
            coupon_ids: q.coupon_ids.clone(),
            orderable: q.orderable,
        }
    }
}

/// The wallet for a cart: the coupons it could use (none applied) and the others with their
/// reason (the 凑单 hint included).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct CartCoupons {
    pub usable: Vec<UsableCoupon>,
    pub unusable: Vec<UnusableCoupon>,
}
