//! The test oracle of the coupon selection: every valid selection tried, with no shortcut.

use super::selection::every_coupon_saves;
use super::Pricer;
use crate::program::Fen;

impl Pricer<'_> {
    /// Every valid selection, tried one by one with the exact per-line split: the reference the
    /// optimiser (template dedup, nested-scope shortcut) is tested against.
    pub fn brute_force_selection(&self) -> Vec<usize> {
        let n = self.candidates.len();
        let mut best: Vec<usize> = Vec::new();
        let mut best_total = self.run(&[], true).map(|o| self.total_before_points(&o)).unwrap_or(Fen::MAX);
        for mask in 1u64..(1u64 << n.min(20)) {
            let sel: Vec<usize> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
            if !self.stackable(&sel) {
                continue;
            }
            if let Some(o) = self.run(&sel, true).ok().filter(|o| every_coupon_saves(o, sel.len())) {
                let total = self.total_before_points(&o);
                if !self.holds_idle_coupon(&sel, total) && self.better((&sel, total), (&best, best_total)) {
                    best = sel;
                    best_total = total;
                }
            }
        }
        best
    }
}
