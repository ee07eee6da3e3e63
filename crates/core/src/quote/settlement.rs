//! A selection applied and the quote finished: the coupons in group order with their per-line
//! shares, shipping, the 凑单 hints, then points and the explanation of every price.

use super::allocation::{allocate, eligible_sum};
use super::lines::{earn_points, round_to_unit};
use super::selection::group_rank;
use super::promotions::{PromotionStatus, Stage};
use super::{Adjustment, AdjustmentKind, AppliedCoupon, LineShare, PointsQuote, Quote, QuoteGift, QuoteLine, QuotePromotion, Saving, UnusableCoupon, UnusableReason, UsableCoupon};
use super::{CouponChoice, CouponMode, Outcome, PointsChoice, PointsMode, Pricer};
use crate::program::{CouponKind, Fen, Points, StackGroup, BP_ONE};

impl Pricer<'_> {
    fn shipping_base(&self) -> Fen {
        if self.lines.iter().any(|l| l.flag.is_none()) { self.program.shipping.base_fee } else { 0 }
    }

    /// Apply the coupons `selection` (candidate indices) in group order. Err(i, reason) names the
    /// first coupon that cannot apply.
    pub(super) fn run(&self, selection: &[usize], detail: bool) -> Result<Outcome, (usize, UnusableReason)> {
        self.run_in(self.stage(!selection.is_empty()), selection, detail)
    }

    /// `run` on the amounts of one stage of promotions.
    pub(super) fn run_in(&self, stage: &Stage, selection: &[usize], detail: bool) -> Result<Outcome, (usize, UnusableReason)> {
        // Group order: item, then order, then shipping (selections are tiny: insertion sort).
        let mut order: Vec<usize> = selection.to_vec();
        for k in 1..order.len() {
            let mut j = k;
            let rank = |ci: usize| group_rank(self.candidates[ci].template.stack_group);
            while j > 0 && rank(order[j - 1]) > rank(order[j]) {
                order.swap(j - 1, j);
                j -= 1;
            }
        }
        if !detail {
            if let Some(nested) = self.nested_scopes(&order) {
                return self.run_nested(stage, &order, &nested);
            }
        }
        let mut amounts = stage.amounts.clone();
        let mut out = Outcome::default();
        let mut ship_coupon = None;
        for &ci in &order {
            let c = &self.candidates[ci];
            let base = eligible_sum(&c.eligible, &amounts);
            let Some(discount) = self.discount(ci, base)? else {
                ship_coupon = Some(ci);
                continue;
            };
            let weights: Vec<Fen> = c.eligible.iter().zip(&amounts).map(|(e, a)| if *e { *a } else { 0 }).collect();
            let shares = allocate(discount, &weights);
            for (a, s) in amounts.iter_mut().zip(&shares) {
                *a -= s;
            }
            out.applied.push((ci, discount, if detail { shares } else { Vec::new() }));
        }
        self.settle_shipping(&mut out, amounts.iter().sum(), stage.free_shipping(), ship_coupon);
        Ok(out)
    }

    /// The discount of coupon `ci` on a `base` of its eligible lines; None for free shipping;
    /// Err when the coupon does not qualify on that base.
    fn discount(&self, ci: usize, base: Fen) -> Result<Option<Fen>, (usize, UnusableReason)> {
        let t = self.candidates[ci].template;
        let shipping = t.stack_group == StackGroup::Shipping;
        if base < t.min_spend || base == 0 && !shipping {
            return Err((ci, if base == 0 { UnusableReason::OutOfScope } else { UnusableReason::BelowMinSpend }));
        }
        Ok(match t.kind {
            CouponKind::AmountOff { amount } => Some(amount.min(base)),
            CouponKind::PercentOff { bp, max_discount } => {
                let d = (base as i128 * bp as i128 / BP_ONE as i128) as Fen;
                Some(max_discount.map_or(d, |m| d.min(m)))
            }
            CouponKind::FreeShipping => None,
        })
    }

    /// Shipping after the coupons: waived by the threshold, else by a ladder tier, else by a
    /// free-shipping coupon.
    fn settle_shipping(&self, out: &mut Outcome, goods_after_coupons: Fen, by_promotion: Option<&str>, ship_coupon: Option<usize>) {
        out.goods_after_coupons = goods_after_coupons;
        let fee = self.shipping_base();
        if fee == 0 {
            out.shipping = 0;
        } else if self.program.shipping.free_threshold.is_some_and(|t| goods_after_coupons >= t) {
            out.waived_by = Some("threshold".into());
        } else if let Some(promotion) = by_promotion {
            out.waived_by = Some(promotion.into());
        } else if let Some(ci) = ship_coupon {
            out.waived_by = Some(self.candidates[ci].coupon.id.clone());
            out.applied.push((ci, fee, Vec::new()));
        } else {
            out.shipping = fee;
        }
    }

    /// When every earlier coupon's lines lie wholly inside or wholly outside each later coupon's
    /// lines, a later base is just its own base minus the earlier discounts inside it: no
    /// per-line split is needed to compare selections. Returns, for each pair (i, j) with i
    /// before j, whether i's lines are inside j's; None when the scopes overlap partially.
    fn nested_scopes(&self, order: &[usize]) -> Option<Vec<Vec<bool>>> {
        let k = order.len();
        let mut inside = vec![vec![false; k]; k];
        for i in 0..k {
            for j in i + 1..k {
                let (a, b) = (&self.candidates[order[i]].eligible, &self.candidates[order[j]].eligible);
                let (mut within, mut apart) = (true, true);
                for (x, y) in a.iter().zip(b) {
                    if *x && !*y {
                        within = false;
                    }
                    if *x && *y {
                        apart = false;
                    }
                }
                if !within && !apart {
                    return None;
                }
                inside[i][j] = within;
            }
        }
        Some(inside)
    }

    /// `run` for nested scopes, in O(coupons²) instead of O(coupons × lines).
    fn run_nested(&self, stage: &Stage, order: &[usize], inside: &[Vec<bool>]) -> Result<Outcome, (usize, UnusableReason)> {
        let mut out = Outcome::default();
        let mut ship_coupon = None;
        let mut discounts: Vec<Fen> = Vec::with_capacity(order.len());
        for (j, &ci) in order.iter().enumerate() {
            let earlier: Fen = (0..j).filter(|i| inside[*i][j]).map(|i| discounts[i]).sum();
            let base = self.candidates[ci].base - earlier;
            match self.discount(ci, base)? {
                Some(d) => {
                    discounts.push(d);
                    out.applied.push((ci, d, Vec::new()));
                }
                None => {
                    discounts.push(0);
                    ship_coupon = Some(ci);
                }
            }
        }
        let goods: Fen = stage.amounts.iter().sum::<Fen>() - discounts.iter().sum::<Fen>();
        self.settle_shipping(&mut out, goods, stage.free_shipping(), ship_coupon);
        Ok(out)
    }

    pub(super) fn total_before_points(&self, o: &Outcome) -> Fen {
        o.goods_after_coupons + o.shipping
    }

    /// The 凑单 hint of every coupon below its minimum spend, measured on its base as it would be
    /// in this order: after the applied coupons of the groups that come before its own (an
    /// order coupon's base is what is left after the item coupon), so `missing` is what the
    /// shopper must really add.
    fn measure_missing(&mut self, outcome: &Outcome, with_coupons: bool) {
        let program = self.program;
        // The line amounts each group's coupons see: worked out once per group, not per coupon.
        let mut before_group: [Option<Vec<Fen>>; 3] = [None, None, None];
        let mut measured = Vec::new();
        for (k, u) in self.unusable.iter().enumerate() {
            let Some(t) = (u.reason == UnusableReason::BelowMinSpend).then(|| program.template(&u.template)).flatten() else { continue };
            let rank = group_rank(t.stack_group);
            let amounts = before_group[rank as usize].get_or_insert_with(|| {
                let mut amounts = self.stage(with_coupons).amounts.clone();
                for (_, _, shares) in outcome.applied.iter().filter(|(ci, ..)| group_rank(self.candidates[*ci].template.stack_group) < rank) {
                    for (a, s) in amounts.iter_mut().zip(shares) {
                        *a -= s;
                    }
                }
                amounts
            });
            let eligible: Vec<bool> = self.lines.iter().zip(&self.line_skus).map(|(l, sku)| l.flag.is_none() && t.scope.covers(sku)).collect();
            measured.push((k, (t.min_spend - eligible_sum(&eligible, amounts)).max(1)));
        }
        for (k, missing) in measured {
            self.unusable[k].missing = missing;
        }
    }

    pub fn quote(mut self, coupons: &CouponChoice, points: PointsChoice) -> Quote {
        let selection = match coupons {
            CouponChoice::Mode(CouponMode::Best) => self.best_selection(),
            CouponChoice::Mode(CouponMode::None) => Vec::new(),
            CouponChoice::Chosen(ids) => self.chosen_selection(ids),
        };
        // `run` succeeded for this selection when it was chosen; an empty one always succeeds.
        let mut outcome = self.run(&selection, true).unwrap_or_default();
        // A chosen coupon that applies but saves nothing is said so, not silently dropped; the
        // order prices without it (it would otherwise cost a promotion that does not combine).
        let idle: Vec<usize> = selection.iter().copied().filter(|ci| !outcome.applied.iter().any(|(a, ..)| a == ci)).collect();
        for &ci in &idle {
            let c = &self.candidates[ci];
            self.unusable.push(UnusableCoupon {
                id: c.coupon.id.clone(),
                template: c.template.id.clone(),
                name: c.template.name.clone(),
                reason: UnusableReason::NoSaving,
                missing: 0,
            });
        }
        let mut selection = selection;
        if !idle.is_empty() {
            selection.retain(|ci| !idle.contains(ci));
            if let Ok(o) = self.run(&selection, true) {
                outcome = o;
            }
        }
        self.finish(selection, outcome, points)
    }

    fn finish(mut self, selection: Vec<usize>, outcome: Outcome, points: PointsChoice) -> Quote {
        let program = self.program;
        let with_coupons = !selection.is_empty();
        self.measure_missing(&outcome, with_coupons);
        let stage = match self.combinable.take() {
            Some(stage) if with_coupons => stage,
            _ => std::mem::take(&mut self.all),
        };
        let mut paid: Vec<Fen> = stage.amounts.clone();
        let mut coupons = Vec::new();
        let mut savings: Vec<Saving> = Vec::new();
        let mut add_saving = |kind: &str, source: &str, amount: Fen| {
            if amount <= 0 {
                return;
            }
            match savings.iter_mut().find(|s| s.kind == kind && s.source == source) {
                Some(s) => s.amount += amount,
                None => savings.push(Saving { kind: kind.into(), source: source.into(), amount }),
            }
        };
        // A flagged line is priced at 0: its member or sale price saves nothing.
        for line in self.lines.iter().filter(|l| l.flag.is_none()) {
            for adj in &line.adjustments {
                let kind = match adj.kind {
                    AdjustmentKind::MemberPrice => "memberPrice",
                    AdjustmentKind::SalePrice => "salePrice",
                    _ => "memberDay",
                };
                add_saving(kind, &adj.source, adj.amount);
            }
        }
        // Step 3: each promotion's share of each line.
        for o in stage.outcomes.iter().filter(|o| o.status == PromotionStatus::Applied) {
            add_saving("promotion", &o.promotion.id, o.discount);
            for (i, s) in o.shares.iter().enumerate().filter(|(_, s)| **s > 0) {
                self.lines[i].adjustments.push(Adjustment { kind: AdjustmentKind::Promotion, source: o.promotion.id.clone(), amount: *s });
            }
        }
        let mut coupon_discount = 0;
        for (ci, discount, shares) in &outcome.applied {
            let c = &self.candidates[*ci];
            let allocation = shares
                .iter()
                .enumerate()
                .filter(|(_, s)| **s > 0)
                .map(|(i, s)| LineShare { line: i, amount: *s })
                .collect();
            coupons.push(AppliedCoupon {
                id: c.coupon.id.clone(),
                template: c.template.id.clone(),
                name: c.template.name.clone(),
                group: c.template.stack_group,
                discount: *discount,
                allocation,
            });
            if c.template.stack_group == StackGroup::Shipping {
                add_saving("shipping", &c.coupon.id, *discount);
                continue;
            }
            coupon_discount += discount;
            add_saving("coupon", &c.coupon.id, *discount);
            for (i, s) in shares.iter().enumerate() {
                if *s > 0 {
                    paid[i] -= s;
                    self.lines[i].adjustments.push(Adjustment { kind: AdjustmentKind::Coupon, source: c.coupon.id.clone(), amount: *s });
                }
            }
        }
        // Step 4: points on the goods after coupons.
        let goods_after_coupons = outcome.goods_after_coupons;
        let balance = crate::points::balance(self.state, self.now);
        let rules = &program.points;
        let (max, unavailable) = if balance < rules.min_balance || balance <= 0 {
            (0, (balance < rules.min_balance).then(|| "BELOW_MIN_BALANCE".to_string()))
        } else {
            // i128 throughout: the cap in points is up to redeemRate/100 × the goods.
            let cap_fen = goods_after_coupons as i128 * rules.max_percent_of_order_bp as i128 / BP_ONE as i128;
            let cap_points = cap_fen * rules.redeem_rate as i128 / 100;
            (round_to_unit(Points::try_from(cap_points.min(balance as i128)).unwrap_or(balance), rules.unit), None)
        };
        let requested = match points {
            PointsChoice::Mode(PointsMode::Max) => max,
            PointsChoice::Amount(n) => n.max(0),
        };
        let used = round_to_unit(requested.min(max), rules.unit);
        // used ≤ max, whose value is at most the goods: the narrowing cannot fail.
        let value = Fen::try_from(used as i128 * 100 / rules.redeem_rate as i128).unwrap_or(0);
        if value > 0 {
            add_saving("points", "points", value);
            let shares = allocate(value, &paid);
            for (i, s) in shares.iter().enumerate() {
                if *s > 0 {
                    paid[i] -= s;
                    self.lines[i].adjustments.push(Adjustment { kind: AdjustmentKind::Points, source: "points".into(), amount: *s });
                }
            }
        }
        let paid_total = goods_after_coupons - value;
        // Waived by the threshold or a ladder tier (a coupon's waiver is among its coupons).
        if let Some(w) = outcome.waived_by.as_deref().filter(|w| !coupons.iter().any(|c| c.id == *w)) {
            add_saving("shipping", w, self.shipping_base());
        }
        for (line, p) in self.lines.iter_mut().zip(&paid) {
            line.paid = *p;
        }
        let promo = self.promo_bp;
        let earn = earn_points(program, paid_total, self.tier.points_multiplier_bp, promo);
        let selected_ids: Vec<&str> = selection.iter().map(|i| self.candidates[*i].coupon.id.as_str()).collect();
        let usable = self
            .candidates
            .iter()
            .filter(|c| !selected_ids.contains(&c.coupon.id.as_str()) && !self.unusable.iter().any(|u| u.id == c.coupon.id))
            .map(|c| UsableCoupon {
                id: c.coupon.id.clone(),
                template: c.template.id.clone(),
                name: c.template.name.clone(),
                stack_group: c.template.stack_group,
                exclusive: c.template.exclusive,
                valid_to: c.coupon.valid_to,
            })
            .collect();
        let coupon_ids = coupons.iter().map(|c| c.id.clone()).collect();
        let list_total: Fen = self.lines.iter().filter(|l| l.flag.is_none()).map(|l| l.list_amount).sum();
        let goods: Fen = self.lines.iter().map(|l| l.amount).sum();
        let member_day_discount = goods - self.after_member_day.iter().sum::<Fen>();
        let total = (paid_total + outcome.shipping).max(0);
        let shipping_base = self.shipping_base();
        let orderable = !self.lines.is_empty() && self.lines.iter().all(|l| l.flag.is_none());
        let promotion_discount = stage.discount();
        let mut promotions = Vec::with_capacity(stage.outcomes.len());
        for o in &stage.outcomes {
            let p = o.promotion;
            let applied = o.status == PromotionStatus::Applied;
            let gift = o.gift.as_ref().map(|g| QuoteGift {
                sku: g.sku.clone(),
                name: program.sku(&g.sku).map(|s| s.name.clone()).unwrap_or_default(),
                qty: g.qty,
                tier: g.tier,
                sold_out: g.sold_out,
            });
            // The gift is a price-0 line of the order, after the cart's lines.
            if let (true, Some(g), Some(sku)) = (applied, &gift, o.gift.as_ref().and_then(|g| program.sku(&g.sku))) {
                self.lines.push(QuoteLine {
                    sku: sku.id.clone(),
                    name: sku.name.clone(),
                    qty: g.qty,
                    list_price: sku.list_price,
                    unit_price: 0,
                    list_amount: sku.list_price * Fen::from(g.qty),
                    amount: 0,
                    adjustments: Vec::new(),
                    paid: 0,
                    flag: None,
                    gift: Some(p.id.clone()),
                });
            }
            promotions.push(QuotePromotion {
                id: p.id.clone(),
                name: p.name.clone(),
                kind: p.rule.kind().into(),
                status: o.status,
                with_coupons: p.with_coupons,
                discount: o.discount,
                free_shipping: applied && o.free_shipping,
                gift,
                next: o.next.clone(),
            });
        }
        Quote {
            tier: self.tier.id.clone(),
            member_day: self.member_day,
            orderable,
            lines: self.lines,
            list_total,
            goods,
            member_day_discount,
            promotion_discount,
            coupon_discount,
            goods_after_coupons,
            points: PointsQuote {
                balance,
                requested,
                used,
                value,
                max,
                unit: rules.unit,
                redeem_rate: rules.redeem_rate,
                unavailable,
                earn,
                tier_multiplier_bp: self.tier.points_multiplier_bp,
                promo_multiplier_bp: promo,
            },
            paid: paid_total,
            shipping_base,
            shipping: outcome.shipping,
            shipping_waived_by: outcome.waived_by,
            total,
            saved: list_total + shipping_base - total,
            savings,
            promotions,
            coupons,
            coupon_ids,
            usable,
            unusable: self.unusable,
        }
    }
}
