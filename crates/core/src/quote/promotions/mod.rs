//! §7 step 3, the promotions of §13 on a cart: item promotions first (multi-buy, bundles: each
//! unit takes at most one, claimed in program order), then ladders (at most one per line), then
//! gifts, judged on the goods after item promotions. One module per kind; this one runs them in
//! that order and keeps what each did, for the totals, the explanation and the hints.
//!
//! A stage is the outcome of one set of promotions: all of those that run (no coupon in the
//! order), or only those that combine with coupons (`withCoupons`) when the order uses any.

mod bundle;
mod gift;
mod ladder;
mod multibuy;

use super::allocation::allocate;
use crate::program::{Bp, Fen, Program, Sku};
use crate::program::{BundleItem, Promotion, PromotionRule, ThresholdBy};
use crate::state::MemberState;
use crate::stock::Stock;
use crate::time::Instant;
use serde::Serialize;

/// A cart line as the promotions see it.
pub(super) struct CartLine<'a> {
    pub sku: &'a Sku,
    pub qty: u32,
    /// Neither flagged nor sold at a limited-sale price (those take no promotion).
    pub promotable: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum PromotionStatus {
    Applied,
    /// The cart holds some of its lines but not enough of them (see `next`).
    NotReached,
    /// Its gift tier is reached but the gift is out of stock.
    GiftSoldOut,
    /// The member used it as many times as it allows.
    LimitReached,
    /// It does not combine with coupons, and the order uses coupons that save more.
    NotCombined,
}

/// What the cart still needs for a promotion's next step: `missing` fen (or units with
/// `by: "units"`) for what follows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct PromotionHint {
    pub by: ThresholdBy,
    pub missing: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub amount_off: Option<Fen>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub off_bp: Option<Bp>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub free_shipping: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub gift: Option<BundleItem>,
}

impl PromotionHint {
    fn units(missing: i64, off_bp: Bp) -> PromotionHint {
        PromotionHint { by: ThresholdBy::Units, missing, amount_off: None, off_bp: Some(off_bp), free_shipping: false, gift: None }
    }
}

/// The gift a gift promotion gives (or would give, when it is sold out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Gift {
    pub tier: u32,
    pub sku: String,
    pub qty: u32,
    pub sold_out: bool,
}

/// What one promotion did to a cart.
pub(super) struct Outcome<'a> {
    pub promotion: &'a Promotion,
    pub status: PromotionStatus,
    pub discount: Fen,
    /// Per cart line (empty when the promotion saves nothing).
    pub shares: Vec<Fen>,
    pub free_shipping: bool,
    pub gift: Option<Gift>,
    pub next: Option<PromotionHint>,
}

impl<'a> Outcome<'a> {
    fn new(promotion: &'a Promotion, status: PromotionStatus) -> Outcome<'a> {
        Outcome { promotion, status, discount: 0, shares: Vec::new(), free_shipping: false, gift: None, next: None }
    }
}

/// The cart after one set of promotions.
#[derive(Default)]
pub(super) struct Stage<'a> {
    /// Per cart line, after the promotions.
    pub amounts: Vec<Fen>,
    /// Every promotion that runs for the member and touches the cart, in program order.
    pub outcomes: Vec<Outcome<'a>>,
    /// How many promotions applied: the first tie rule of best selection.
    pub applied: usize,
}

impl Stage<'_> {
    /// The promotion that waives shipping, if any (a ladder tier with free shipping).
    pub fn free_shipping(&self) -> Option<&str> {
        self.outcomes.iter().find(|o| o.status == PromotionStatus::Applied && o.free_shipping).map(|o| o.promotion.id.as_str())
    }

    pub fn discount(&self) -> Fen {
        self.outcomes.iter().map(|o| o.discount).sum()
    }
}

/// Where a promotion's pass stands: the amounts so far, the units item promotions claimed and
/// the lines ladders took.
struct Pass<'c, 'a> {
    lines: &'c [CartLine<'a>],
    amounts: Vec<Fen>,
    /// Per line: the unit price before item promotions (⌊amount / qty⌋ after the member-day
    /// discount), what every multi-buy and bundle discounts.
    unit: Vec<Fen>,
    claimed: Vec<u32>,
    laddered: Vec<bool>,
}

impl Pass<'_, '_> {
    fn unclaimed(&self, i: usize) -> u32 {
        self.lines[i].qty - self.claimed[i]
    }

    /// Take `discount` off the lines by `shares`, recording them on the outcome.
    fn take(&mut self, outcome: &mut Outcome, shares: Vec<Fen>) {
        for (a, s) in self.amounts.iter_mut().zip(&shares) {
            *a -= s;
        }
        outcome.discount = shares.iter().sum();
        outcome.shares = shares;
    }
}

/// Run the promotions that `keep` admits, of those that run for the member at `now`, on lines
/// priced at `amounts` (after the member-day discount).
#[allow(clippy::too_many_arguments)]
pub(super) fn stage<'a>(
    program: &'a Program,
    state: &MemberState,
    stock: &Stock,
    lines: &[CartLine<'_>],
    amounts: &[Fen],
    now: Instant,
    keep: impl Fn(&Promotion) -> bool,
) -> Stage<'a> {
    let mut pass = Pass {
        lines,
        amounts: amounts.to_vec(),
        unit: lines.iter().zip(amounts).map(|(l, a)| a / Fen::from(l.qty.max(1))).collect(),
        claimed: vec![0; lines.len()],
        laddered: vec![false; lines.len()],
    };
    let mut outcomes: Vec<(usize, Outcome<'a>)> = Vec::new();
    // Item promotions, then ladders, then gifts (on the goods after item promotions).
    let mut after_items: Vec<Fen> = Vec::new();
    for step in 0..3 {
        if step == 1 {
            after_items = pass.amounts.clone();
        }
        for (index, p) in program.promotions.iter().enumerate() {
            let level = match p.rule {
                PromotionRule::Nth { .. } | PromotionRule::MinQty { .. } | PromotionRule::Bundle { .. } => 0,
                PromotionRule::Ladder { .. } => 1,
                PromotionRule::Gift { .. } => 2,
            };
            if level != step {
                continue;
            }
            let eligible: Vec<bool> = lines.iter().map(|l| l.promotable && p.scope.covers(l.sku) && in_bundle(p, l.sku)).collect();
            if !eligible.iter().any(|e| *e) || !crate::promotions::runs_for(program, state, p, now) {
                continue;
            }
            let outcome = if !keep(p) {
                Outcome::new(p, PromotionStatus::NotCombined)
            } else if p.per_member.is_some_and(|limit| crate::promotions::uses(state, &p.id) >= limit) {
                Outcome::new(p, PromotionStatus::LimitReached)
            } else {
                match &p.rule {
                    PromotionRule::Nth { n, off_bp } => multibuy::nth(&mut pass, p, &eligible, *n, *off_bp),
                    PromotionRule::MinQty { qty, off_bp } => multibuy::min_qty(&mut pass, p, &eligible, *qty, *off_bp),
                    PromotionRule::Bundle { items, price, max_times } => bundle::apply(&mut pass, p, &eligible, items, *price, *max_times),
                    PromotionRule::Ladder { by, tiers, every, max_times } => ladder::apply(&mut pass, p, &eligible, *by, tiers, *every, *max_times),
                    PromotionRule::Gift { by, tiers } => gift::apply(&pass, p, &eligible, &after_items, *by, tiers, stock),
                }
            };
            outcomes.push((index, outcome));
        }
    }
    crate::sort::sort_by(&mut outcomes, |a, b| a.0.cmp(&b.0));
    let outcomes: Vec<Outcome<'a>> = outcomes.into_iter().map(|(_, o)| o).collect();
    let applied = outcomes.iter().filter(|o| o.status == PromotionStatus::Applied).count();
    Stage { amounts: pass.amounts, outcomes, applied }
}

/// A bundle takes only its own SKUs.
fn in_bundle(p: &Promotion, sku: &Sku) -> bool {
    match &p.rule {
        PromotionRule::Bundle { items, .. } => items.iter().any(|i| i.sku == sku.id),
        _ => true,
    }
}

/// Σ of the eligible lines' amounts and units.
fn base(pass: &Pass, eligible: &[bool], amounts: &[Fen]) -> (Fen, i64) {
    let mut fen = 0;
    let mut units = 0i64;
    for (i, _) in eligible.iter().enumerate().filter(|(_, e)| **e) {
        fen += amounts[i];
        units += i64::from(pass.lines[i].qty);
    }
    (fen, units)
}

/// A discount split over the eligible lines pro rata to their amounts (§7 allocation).
fn split(amount: Fen, eligible: &[bool], amounts: &[Fen]) -> Vec<Fen> {
    let weights: Vec<Fen> = eligible.iter().zip(amounts).map(|(e, a)| if *e { *a } else { 0 }).collect();
    allocate(amount, &weights)
}
