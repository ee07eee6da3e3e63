//! Bundles (组合价 / 搭配购): whole sets of the bundle's items for the bundle's price.

use super::{Outcome, Pass, PromotionHint, PromotionStatus};
use crate::program::Fen;
use crate::program::{BundleItem, Promotion, ThresholdBy};

/// k = how many whole bundles the unclaimed units make (at most `maxTimes`); the saving
/// k × (Σ qty × unit − price), when positive, is split over the bundle's units pro rata (§7
/// allocation), and those units are claimed. Units are taken from the lines in line order.
pub(super) fn apply<'a>(pass: &mut Pass, p: &'a Promotion, eligible: &[bool], items: &[BundleItem], price: Fen, max_times: Option<u32>) -> Outcome<'a> {
    let have = |item: &BundleItem| -> u64 {
        (0..eligible.len()).filter(|i| eligible[*i] && pass.lines[*i].sku.id == item.sku).map(|i| u64::from(pass.unclaimed(i))).sum()
    };
    let whole = items.iter().map(|item| have(item) / u64::from(item.qty)).min().unwrap_or(0);
    let k = max_times.map_or(whole, |m| whole.min(u64::from(m)));
    let mut outcome = Outcome::new(p, PromotionStatus::NotReached);
    if max_times.is_none_or(|m| k < u64::from(m)) {
        // Units still missing for one bundle more.
        let missing: u64 = items.iter().map(|item| (u64::from(item.qty) * (k + 1)).saturating_sub(have(item))).sum();
        outcome.next = Some(PromotionHint { by: ThresholdBy::Units, missing: missing as i64, amount_off: None, off_bp: None, free_shipping: false, gift: None });
    }
    if k == 0 {
        return outcome;
    }
    let mut claims = vec![0u32; eligible.len()];
    for item in items {
        let mut wanted = u64::from(item.qty) * k;
        for i in (0..eligible.len()).filter(|i| eligible[*i] && pass.lines[*i].sku.id == item.sku) {
            let here = u64::from(pass.unclaimed(i)).min(wanted);
            claims[i] = here as u32;
            wanted -= here;
        }
    }
    let weights: Vec<Fen> = claims.iter().zip(&pass.unit).map(|(c, u)| Fen::from(*c) * u).collect();
    let value: Fen = weights.iter().sum();
    let saving = value - price * k as Fen;
    if saving <= 0 {
        return outcome;
    }
    for (c, k) in pass.claimed.iter_mut().zip(&claims) {
        *c += k;
    }
    pass.take(&mut outcome, super::allocate(saving, &weights));
    outcome.status = PromotionStatus::Applied;
    outcome
}
