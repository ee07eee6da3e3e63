//! The test oracle of best selection: every set of promotions kept or dropped × every valid
//! coupon selection, tried one by one with the exact per-line split, with no shortcut.

use super::promotions::PromotionStatus;
use super::selection::every_coupon_saves;
use super::Pricer;
use crate::program::Fen;
use crate::program::Promotion;
use std::cmp::Reverse;

impl Pricer<'_> {
    /// The reference the optimiser (two stages, template dedup, nested-scope shortcut) is tested
    /// against. A promotion that does not combine with coupons may be dropped, and only for
    /// coupons: an order without coupons keeps every promotion; one with coupons keeps none of
    /// those that would apply. Ties: more promotions applied, then the coupons' tie order.
    pub fn brute_force_selection(&self) -> Vec<usize> {
        let droppable: Vec<&Promotion> = self.program.promotions.iter().filter(|p| !p.with_coupons).collect();
        let n = self.candidates.len();
        let kept_sets = 1u64 << droppable.len().min(8);
        let mut best: Option<(Fen, Reverse<usize>, Vec<usize>)> = None;
        for kept in 0..kept_sets {
            let keep = |p: &Promotion| p.with_coupons || droppable.iter().position(|d| d.id == p.id).is_some_and(|i| kept & (1 << i) != 0);
            let stage = self.stage_with(keep);
            let kept_applies = stage.outcomes.iter().any(|o| !o.promotion.with_coupons && o.status == PromotionStatus::Applied);
            for mask in 0u64..(1u64 << n.min(20)) {
                let sel: Vec<usize> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
                if sel.is_empty() && kept != kept_sets - 1 || !sel.is_empty() && kept_applies || !self.stackable(&sel) {
                    continue;
                }
                let Some(o) = self.run_in(&stage, &sel, true).ok().filter(|o| every_coupon_saves(o, sel.len())) else { continue };
                let total = self.total_before_points(&o);
                if !sel.is_empty() && self.holds_idle_coupon(&sel, total) {
                    continue;
                }
                let better = match &best {
                    None => true,
                    Some((t, a, s)) => (total, Reverse(stage.applied), self.coupon_key(&sel)) < (*t, *a, self.coupon_key(s)),
                };
                if better {
                    best = Some((total, Reverse(stage.applied), sel));
                }
            }
        }
        best.map(|(_, _, sel)| sel).unwrap_or_default()
    }
}
