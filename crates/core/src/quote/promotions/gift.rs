//! Gifts (满赠): a price-0 line of the highest tier reached, while its shared stock lasts.

use super::{base, Gift, Outcome, Pass, PromotionHint, PromotionStatus};
use crate::program::Fen;
use crate::program::{Promotion, PromotionTier, ThresholdBy};
use crate::stock::Counter;
use crate::stock::Stock;

/// Judged on the eligible goods after item promotions, before ladders and coupons: coupons
/// never take a gift away. An out-of-stock gift is reported as such, not dropped silently.
pub(super) fn apply<'a>(pass: &Pass, p: &'a Promotion, eligible: &[bool], after_items: &[Fen], by: ThresholdBy, tiers: &[PromotionTier], stock: &Stock) -> Outcome<'a> {
    let (fen, units) = base(pass, eligible, after_items);
    let measure = if by == ThresholdBy::Units { units } else { fen };
    let reached = tiers.iter().rposition(|t| t.threshold <= measure);
    let mut outcome = Outcome::new(p, PromotionStatus::NotReached);
    if let Some(t) = tiers.get(reached.map_or(0, |k| k + 1)) {
        outcome.next = Some(PromotionHint { by, missing: t.threshold - measure, amount_off: None, off_bp: None, free_shipping: false, gift: t.gift.clone() });
    }
    let Some(k) = reached else { return outcome };
    let Some(item) = &tiers[k].gift else { return outcome };
    let sold_out = !stock.has(&Counter::gift(&p.id, k), item.qty);
    outcome.gift = Some(Gift { tier: k as u32, sku: item.sku.clone(), qty: item.qty, sold_out });
    outcome.status = if sold_out { PromotionStatus::GiftSoldOut } else { PromotionStatus::Applied };
    outcome
}
