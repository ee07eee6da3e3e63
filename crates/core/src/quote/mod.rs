//! §7 Pricing a cart: the quote, step by step, with exact allocation, the optimal coupon
//! selection and an explanation of every price.
//!
//! The steps, in order: (1) member or sale price per line, (2) the member-day discount,
//! (3) the promotions (§13: item promotions, ladders, gifts), (4) the coupons, in group order
//! (item, order, shipping), each split exactly over its lines, then shipping, (5) points on the
//! goods after coupons; then the points the order earns.
//!
//! - `request`: what a caller asks for: the lines, the coupons and the points.
//! - `explanation`: what travels back to the shopper: the quote, its lines and every saving,
//!   the usable and unusable coupons, the totals.
//! - `lines`: the checks of a cart, the price of each line (steps 1–2), the wallet sorted into
//!   candidates and unusable coupons, the points earned.
//! - `promotions`: step 3, one module per kind of promotion.
//! - `allocation`: the exact split of an amount over lines.
//! - `selection`: which coupons a quote uses, best or chosen.
//! - `settlement`: a selection applied (step 3 and shipping) and the quote finished (step 4).
//! - `oracle` (test builds only): the exhaustive selection the optimiser is checked against.

mod allocation;
mod explanation;
mod lines;
#[cfg(any(test, feature = "test-oracle"))]
mod oracle;
mod promotions;
mod request;
mod selection;
mod settlement;

pub use allocation::allocate;
pub use explanation::{
    Adjustment, AdjustmentKind, AppliedCoupon, CartCoupons, LineFlag, LineShare, PointsQuote, Quote, QuoteGift, QuoteLine, QuotePromotion, QuoteTotals, Saving,
    UnusableCoupon, UnusableReason, UsableCoupon,
};
pub use promotions::{PromotionHint, PromotionStatus};
pub use lines::earn_points;
pub use request::{cart_lines_from_json, CouponChoice, CouponMode, PointsChoice, PointsMode, QuoteRequest};

use crate::error::OrderError;
use crate::program::{Bp, CouponTemplate, Fen, Program, Tier};
use crate::state::{CouponInstance, MemberState, OrderLine};
use crate::stock::Stock;
use crate::time::Instant;

pub use crate::units::{MAX_LINES, MAX_POINTS_PER_ORDER, MAX_QTY};
/// An order uses at most one coupon per group; a few more may be offered to choose from.
pub const MAX_CHOSEN_COUPONS: usize = 20;

/// A wallet coupon that may enter the selection.
struct Candidate<'a> {
    coupon: &'a CouponInstance,
    template: &'a CouponTemplate,
    /// Lines in scope.
    eligible: Vec<bool>,
    /// Σ of the eligible lines after the member-day discount and the promotions an order with
    /// coupons keeps (before any coupon).
    base: Fen,
}

#[derive(Default)]
struct Outcome {
    goods_after_coupons: Fen,
    shipping: Fen,
    waived_by: Option<String>,
    /// Per applied coupon (index into candidates): discount and per-line shares.
    applied: Vec<(usize, Fen, Vec<Fen>)>,
}

/// The pricing of one cart for one member at one instant.
pub struct Pricer<'a> {
    program: &'a Program,
    state: &'a MemberState,
    tier: &'a Tier,
    now: Instant,
    member_day: bool,
    /// The promo points multiplier of the day: member day's or birthday's, the higher.
    promo_bp: Bp,
    lines: Vec<QuoteLine>,
    /// The catalog entry of each line.
    line_skus: Vec<&'a crate::program::Sku>,
    /// Line amounts after step 2 (0 for flagged lines).
    after_member_day: Vec<Fen>,
    stock: &'a Stock,
    /// The lines as the promotions see them.
    cart: Vec<promotions::CartLine<'a>>,
    /// Step 3 with every promotion that runs: an order without coupons.
    all: promotions::Stage<'a>,
    /// Step 3 with only the promotions that combine with coupons, when that differs: an order
    /// with coupons.
    combinable: Option<promotions::Stage<'a>>,
    candidates: Vec<Candidate<'a>>,
    unusable: Vec<UnusableCoupon>,
}

impl<'a> Pricer<'a> {
    /// The promotions' outcome an order with (or without) coupons prices from.
    fn stage(&self, with_coupons: bool) -> &promotions::Stage<'a> {
        match &self.combinable {
            Some(stage) if with_coupons => stage,
            _ => &self.all,
        }
    }
}

pub fn cart_coupons(program: &Program, state: &MemberState, stock: &Stock, lines: &[OrderLine], now: Instant) -> Result<CartCoupons, OrderError> {
    let q = Pricer::new(program, state, stock, lines, now)?.quote(&CouponChoice::Mode(CouponMode::None), PointsChoice::Amount(0));
    Ok(CartCoupons { usable: q.usable, unusable: q.unusable })
}

/// Price a cart.
pub fn quote(program: &Program, state: &MemberState, stock: &Stock, request: &QuoteRequest, now: Instant) -> Result<Quote, OrderError> {
    if let CouponChoice::Chosen(ids) = &request.coupons {
        if ids.len() > MAX_CHOSEN_COUPONS {
            return Err(OrderError::TooManyCoupons { max: MAX_CHOSEN_COUPONS });
        }
    }
    Ok(Pricer::new(program, state, stock, &request.lines, now)?.quote(&request.coupons, request.points))
}
