//! Ladders (阶梯满减 / 满折, 每满减): an order-level discount on the eligible lines after item
//! promotions, by the highest tier reached; a tier may ship free.

use super::{base, split, Outcome, Pass, PromotionHint, PromotionStatus};
use crate::program::{Fen, BP_ONE};
use crate::program::{Promotion, PromotionTier, ThresholdBy};

/// The lines another ladder took are not eligible (at most one ladder per line); the lines of an
/// applied ladder are taken. The discount is capped at the base and split pro rata.
#[allow(clippy::too_many_arguments)]
pub(super) fn apply<'a>(
    pass: &mut Pass,
    p: &'a Promotion,
    eligible: &[bool],
    by: ThresholdBy,
    tiers: &[PromotionTier],
    every: bool,
    max_times: Option<u32>,
) -> Outcome<'a> {
    let eligible: Vec<bool> = eligible.iter().zip(&pass.laddered).map(|(e, l)| *e && !*l).collect();
    let mut outcome = Outcome::new(p, PromotionStatus::NotReached);
    if !eligible.iter().any(|e| *e) {
        return outcome;
    }
    let (fen, units) = base(pass, &eligible, &pass.amounts);
    let measure = if by == ThresholdBy::Units { units } else { fen };
    let reached = tiers.iter().rposition(|t| t.threshold <= measure);
    let discount: i128 = match (reached, every) {
        (None, _) => 0,
        (Some(_), true) => {
            let tier = &tiers[0];
            let times = i128::from(measure / tier.threshold).min(max_times.map_or(i128::MAX, i128::from));
            let next = times + 1;
            if max_times.is_none_or(|m| next <= i128::from(m)) {
                let missing = i128::from(tier.threshold) * next - i128::from(measure);
                outcome.next = Some(hint(by, missing as i64, tier));
            }
            i128::from(tier.amount_off.unwrap_or(0)) * times
        }
        (Some(k), false) => {
            let t = &tiers[k];
            match (t.amount_off, t.off_bp) {
                (Some(a), _) => i128::from(a),
                (None, Some(bp)) => i128::from(fen) * i128::from(bp) / i128::from(BP_ONE),
                (None, None) => 0,
            }
        }
    };
    if !every {
        let next = reached.map_or(0, |k| k + 1);
        if let Some(t) = tiers.get(next) {
            outcome.next = Some(hint(by, t.threshold - measure, t));
        }
    }
    let Some(k) = reached else { return outcome };
    let discount = discount.min(i128::from(fen)) as Fen;
    outcome.free_shipping = tiers[k].free_shipping;
    if discount == 0 && !outcome.free_shipping {
        return outcome;
    }
    for (l, e) in pass.laddered.iter_mut().zip(&eligible) {
        *l |= *e;
    }
    let shares = split(discount, &eligible, &pass.amounts);
    pass.take(&mut outcome, shares);
    outcome.status = PromotionStatus::Applied;
    outcome
}

fn hint(by: ThresholdBy, missing: i64, t: &PromotionTier) -> PromotionHint {
    PromotionHint { by, missing, amount_off: t.amount_off, off_bp: t.off_bp, free_shipping: t.free_shipping, gift: None }
}

