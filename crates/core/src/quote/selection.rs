//! Choosing the coupons of a quote: the optimal selection, the one a shopper chose, and the
//! rules both follow (one coupon per group or one exclusive alone, every coupon saving).

use super::{Outcome, Pricer, UnusableCoupon, UnusableReason};
use crate::program::{Fen, StackGroup};
use crate::state::CouponState;
use crate::time::Instant;
use std::cmp::Ordering;

/// Expiries (soonest first), count, ids (sorted): compared in that order.
pub(super) type CouponKey<'s> = (Vec<Instant>, usize, Vec<&'s str>);

impl Pricer<'_> {
    /// The order key of a selection with equal savings: more promotions kept, then
    /// soonest-expiring coupons first, then fewer coupons, then smaller ids.
    fn tie_key(&self, selection: &[usize]) -> (std::cmp::Reverse<usize>, CouponKey<'_>) {
        (std::cmp::Reverse(self.stage(!selection.is_empty()).applied), self.coupon_key(selection))
    }

    /// The coupons' part of the tie order: soonest-expiring first, then fewer, then smaller ids.
    pub(super) fn coupon_key(&self, selection: &[usize]) -> CouponKey<'_> {
        let mut expiries: Vec<Instant> = selection.iter().map(|i| self.candidates[*i].coupon.valid_to).collect();
        crate::sort::sort_by(&mut expiries, |a, b| a.cmp(b));
        let mut ids: Vec<&str> = selection.iter().map(|i| self.candidates[*i].coupon.id.as_str()).collect();
        crate::sort::sort_by(&mut ids, |a, b| a.cmp(b));
        (expiries, selection.len(), ids)
    }

    pub(super) fn better(&self, a: (&[usize], Fen), b: (&[usize], Fen)) -> bool {
        match a.1.cmp(&b.1) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => self.tie_key(a.0) < self.tie_key(b.0),
        }
    }

    /// The optimal selection: ≤ 1 coupon per group or one exclusive coupon alone, with the
    /// lowest total (goods + shipping). A selection with a coupon that saves nothing (a
    /// free-shipping coupon when the threshold already waives shipping, a percentage that rounds
    /// to 0) is not considered: it would spend the coupon for nothing. Copies of one template are
    /// interchangeable, so only the best-ranked copy of each template is tried.
    pub fn best_selection(&self) -> Vec<usize> {
        let mut reps: Vec<usize> = Vec::new();
        for (i, c) in self.candidates.iter().enumerate() {
            match reps.iter_mut().find(|r| self.candidates[**r].template.id == c.template.id) {
                Some(r) => {
                    let cur = &self.candidates[*r].coupon;
                    if (c.coupon.valid_to, &c.coupon.id) < (cur.valid_to, &cur.id) {
                        *r = i;
                    }
                }
                None => reps.push(i),
            }
        }
        let of = |g: StackGroup| -> Vec<Option<usize>> {
            std::iter::once(None)
                .chain(reps.iter().filter(|r| !self.candidates[**r].template.exclusive && self.candidates[**r].template.stack_group == g).map(|r| Some(*r)))
                .collect()
        };
        let (items, orders, mut ships) = (of(StackGroup::Item), of(StackGroup::Order), of(StackGroup::Shipping));
        // Every free-shipping coupon that applies saves the same fee: the first that applies in
        // tie order (soonest expiry, then id) beats the rest, so the search stops there.
        crate::sort::sort_by(&mut ships, |a, b| {
            let key = |s: &Option<usize>| s.map(|i| (self.candidates[i].coupon.valid_to, self.candidates[i].coupon.id.as_str()));
            key(a).cmp(&key(b))
        });
        let mut best: Vec<usize> = Vec::new();
        let mut best_total = self.run(&[], false).map(|o| self.total_before_points(&o)).unwrap_or(Fen::MAX);
        // Tries a selection; returns the shipping it leaves when it is valid and every coupon saves.
        let mut consider = |sel: Vec<usize>, this: &Self| -> Option<Fen> {
            let o = this.run(&sel, false).ok().filter(|o| every_coupon_saves(o, sel.len()))?;
            let total = this.total_before_points(&o);
            // Checked only for a would-be winner: the smaller selections are all tried anyway.
            if this.better((&sel, total), (&best, best_total)) && !this.holds_idle_coupon(&sel, total) {
                best = sel;
                best_total = total;
            }
            Some(o.shipping)
        };
        // What shipping a coupon would see: with the promotions that combine with coupons.
        let shipping_alone = self.run_in(self.stage(true), &[], false).map(|o| o.shipping).ok();
        for i in &items {
            for o in &orders {
                let goods: Vec<usize> = [*i, *o].into_iter().flatten().collect();
                let shipping = if goods.is_empty() { shipping_alone } else { consider(goods.clone(), self) };
                // A free-shipping coupon saves only while shipping is still charged; a selection
                // that is invalid, or has a coupon saving nothing, stays so with one added.
                if shipping.is_some_and(|s| s > 0) {
                    for s in ships.iter().flatten() {
                        let mut sel = goods.clone();
                        sel.push(*s);
                        if consider(sel, self).is_some() {
                            break;
                        }
                    }
                }
            }
        }
        for r in reps.iter().filter(|r| self.candidates[**r].template.exclusive) {
            consider(vec![*r], self);
        }
        best
    }

    /// Whether removing one coupon of `sel` leaves its `total` unchanged: that coupon would be
    /// spent for nothing (e.g. an item coupon that only pushes the goods below the free-shipping
    /// threshold), so no selection may hold it.
    pub(super) fn holds_idle_coupon(&self, sel: &[usize], total: Fen) -> bool {
        !sel.is_empty()
            && (0..sel.len()).any(|k| {
                let rest: Vec<usize> = sel.iter().enumerate().filter(|(j, _)| *j != k).map(|(_, ci)| *ci).collect();
                self.run(&rest, false).is_ok_and(|o| self.total_before_points(&o) == total)
            })
    }

    /// Goods after coupons plus shipping for a selection (candidate indices), if it applies:
    /// what the selection rules compare.
    pub fn selection_total(&self, selection: &[usize]) -> Option<Fen> {
        self.run(selection, true).ok().map(|o| self.total_before_points(&o))
    }

    pub(super) fn stackable(&self, sel: &[usize]) -> bool {
        if sel.len() > 1 && sel.iter().any(|i| self.candidates[*i].template.exclusive) {
            return false;
        }
        let mut seen = [false; 3];
        sel.iter().all(|i| {
            let g = group_rank(self.candidates[*i].template.stack_group) as usize;
            !std::mem::replace(&mut seen[g], true)
        })
    }

    /// Resolve chosen coupon ids to candidates; the rest become unusable with a reason.
    pub(super) fn chosen_selection(&mut self, ids: &[String]) -> Vec<usize> {
        let mut sel: Vec<usize> = Vec::new();
        for id in ids {
            if let Some(ci) = self.candidates.iter().position(|c| c.coupon.id == *id) {
                let mut trial = sel.clone();
                trial.push(ci);
                if self.stackable(&trial) && !sel.contains(&ci) {
                    sel = trial;
                } else {
                    let c = &self.candidates[ci];
                    self.unusable.push(UnusableCoupon {
                        id: id.clone(),
                        template: c.template.id.clone(),
                        name: c.template.name.clone(),
                        reason: UnusableReason::NotStackable,
                        missing: 0,
                    });
                }
            } else if !self.unusable.iter().any(|u| u.id == *id) {
                let used = self.state.coupon(id).filter(|c| c.state != CouponState::Available);
                let template = used.and_then(|c| self.program.template(&c.template));
                self.unusable.push(UnusableCoupon {
                    id: id.clone(),
                    template: template.map(|t| t.id.clone()).unwrap_or_default(),
                    name: template.map(|t| t.name.clone()).unwrap_or_default(),
                    reason: if used.is_some() { UnusableReason::AlreadyUsed } else { UnusableReason::NotFound },
                    missing: 0,
                });
            }
        }
        // A chosen coupon that stops qualifying after the ones before it (e.g. 满减 after an item
        // coupon) is dropped and reported.
        loop {
            match self.run(&sel, false) {
                Ok(_) => return sel,
                Err((ci, reason)) => {
                    let c = &self.candidates[ci];
                    let base = c.base;
                    self.unusable.push(UnusableCoupon {
                        id: c.coupon.id.clone(),
                        template: c.template.id.clone(),
                        name: c.template.name.clone(),
                        reason,
                        missing: if reason == UnusableReason::BelowMinSpend { (c.template.min_spend - base).max(1) } else { 0 },
                    });
                    sel.retain(|i| *i != ci);
                }
            }
        }
    }

    /// Ids of the coupons a selection would use.
    pub fn selection_ids(&self, selection: &[usize]) -> Vec<String> {
        selection.iter().map(|i| self.candidates[*i].coupon.id.clone()).collect()
    }
}

/// Whether every coupon of a selection of `n` applied and saved at least one fen.
pub(super) fn every_coupon_saves(o: &Outcome, n: usize) -> bool {
    o.applied.len() == n && o.applied.iter().all(|(_, discount, _)| *discount > 0)
}

pub(super) fn group_rank(g: StackGroup) -> u8 {
    match g {
        StackGroup::Item => 0,
        StackGroup::Order => 1,
        StackGroup::Shipping => 2,
    }
}
