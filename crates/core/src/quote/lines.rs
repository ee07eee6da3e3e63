//! The lines of a cart: the checks before pricing, each line's price (steps 1–2), the wallet
//! sorted into candidates and unusable coupons, and the points an order earns.

use super::allocation::eligible_sum;
use super::{Candidate, Pricer, MAX_LINES, MAX_POINTS_PER_ORDER, MAX_QTY};
use super::promotions::{self, CartLine, PromotionStatus};
use super::{Adjustment, AdjustmentKind, LineFlag, QuoteLine, UnusableCoupon, UnusableReason};
use crate::coupons::{status, CouponStatus};
use crate::error::OrderError;
use crate::program::{Bp, CouponTemplate, Fen, Points, Program, Tier, BP_ONE};
use crate::state::{CouponState, MemberState, OrderLine};
use crate::stock::{Counter, Stock};
use crate::time::Instant;

impl<'a> Pricer<'a> {
    pub fn new(program: &'a Program, state: &'a MemberState, stock: &'a Stock, lines: &[OrderLine], now: Instant) -> Result<Pricer<'a>, OrderError> {
        let tier = crate::tiers::current_tier(program, state, now);
        let today = program.business_day(now);
        let member_day_bp = crate::member_day::discount_bp(program, tier, today);
        let member_day = crate::member_day::is_member_day(program, today);
        let mut priced = Vec::with_capacity(lines.len());
        let mut after_member_day = Vec::with_capacity(lines.len());
        let line_skus = check_lines(program, lines)?;
        let promo = crate::member_day::points_multiplier(program, today).max(crate::birthday::points_multiplier(program, state, today));
        check_earnings_fit(program, &line_skus, lines, tier, promo)?;
        for (line, &sku) in lines.iter().zip(&line_skus) {
            let qty = line.qty as Fen;
            let flag = sale_flag(program, state, tier, stock, &line.sku, lines, now);
            let member = sku.member_prices.get(&tier.id).copied().filter(|p| *p < sku.list_price);
            let mut unit = member.unwrap_or(sku.list_price);
            let mut adjustments = Vec::new();
            if let Some(p) = member {
                adjustments.push(Adjustment { kind: AdjustmentKind::MemberPrice, source: tier.id.clone(), amount: (sku.list_price - p) * qty });
            }
            if let Some(sale) = program.limited_sale(&line.sku).filter(|_| flag.is_none()) {
                if let Some(p) = sale.sale_price.filter(|p| *p < unit) {
                    adjustments.push(Adjustment { kind: AdjustmentKind::SalePrice, source: sale.sku.clone(), amount: (unit - p) * qty });
                    unit = p;
                }
            }
            let amount = if flag.is_some() { 0 } else { unit * qty };
            let md = if sku.member_day_eligible { (amount as i128 * member_day_bp as i128 / BP_ONE as i128) as Fen } else { 0 };
            if md > 0 {
                adjustments.push(Adjustment { kind: AdjustmentKind::MemberDay, source: tier.id.clone(), amount: md });
            }
            after_member_day.push(amount - md);
            priced.push(QuoteLine {
                sku: sku.id.clone(),
                name: sku.name.clone(),
                qty: line.qty,
                list_price: sku.list_price,
                unit_price: unit,
                list_amount: sku.list_price * qty,
                amount,
                adjustments,
                paid: amount - md,
                flag,
                gift: None,
            });
        }
        let cart: Vec<CartLine<'a>> = priced
            .iter()
            .zip(&line_skus)
            .map(|(l, sku)| CartLine { sku, qty: l.qty, promotable: l.flag.is_none() && !l.adjustments.iter().any(|a| a.kind == AdjustmentKind::SalePrice) })
            .collect();
        let mut pricer = Pricer {
            program,
            state,
            tier,
            now,
            member_day,
            promo_bp: promo,
            lines: priced,
            line_skus,
            after_member_day,
            stock,
            cart,
            all: Default::default(),
            combinable: None,
            candidates: vec![],
            unusable: vec![],
        };
        pricer.all = pricer.stage_with(|_| true);
        // Only when a promotion that does not combine with coupons applies do coupons see other
        // amounts than an order without coupons.
        if pricer.all.outcomes.iter().any(|o| !o.promotion.with_coupons && o.status == PromotionStatus::Applied) {
            let mut stage = pricer.stage_with(|p| p.with_coupons);
            // One that would not apply anyway says why, not that it was dropped.
            for o in stage.outcomes.iter_mut().filter(|o| o.status == PromotionStatus::NotCombined) {
                if let Some(alone) = pricer.all.outcomes.iter().find(|a| a.promotion.id == o.promotion.id && a.status != PromotionStatus::Applied) {
                    o.status = alone.status;
                    o.next = alone.next.clone();
                    o.gift = alone.gift.clone();
                }
            }
            pricer.combinable = Some(stage);
        }
        pricer.sort_wallet();
        Ok(pricer)
    }

    /// Step 3 with the promotions `keep` admits.
    pub(super) fn stage_with(&self, keep: impl Fn(&crate::program::Promotion) -> bool) -> promotions::Stage<'a> {
        promotions::stage(self.program, self.state, self.stock, &self.cart, &self.after_member_day, self.now, keep)
    }

    /// Split the wallet into candidates (usable on their own) and unusable coupons with reasons.
    fn sort_wallet(&mut self) {
        let program = self.program;
        // Copies of a template share their lines in scope: work each template out once.
        let mut scopes: Vec<(&str, Vec<bool>, Fen)> = Vec::new();
        for coupon in &self.state.coupons {
            if coupon.state != CouponState::Available {
                continue;
            }
            let Some(template) = program.template(&coupon.template) else { continue };
            let (eligible, base) = match scopes.iter().find(|(id, ..)| *id == template.id) {
                Some((_, eligible, base)) => (eligible.clone(), *base),
                None => {
                    let eligible: Vec<bool> =
                        self.lines.iter().zip(&self.line_skus).map(|(l, sku)| l.flag.is_none() && template.scope.covers(sku)).collect();
                    // Coupon thresholds are measured after the promotions an order with coupons keeps.
                    let base = eligible_sum(&eligible, &self.stage(true).amounts);
                    scopes.push((template.id.as_str(), eligible.clone(), base));
                    (eligible, base)
                }
            };
            // An expired coupon shows among the unusable while the wallet still shows it.
            if !crate::coupons::still_shown(coupon, self.now, &[]) {
                continue;
            }
            let reason = match status(coupon, self.now, &[]) {
                CouponStatus::Expired => Some(UnusableReason::Expired),
                CouponStatus::NotYetValid => Some(UnusableReason::NotYetValid),
                _ if tier_too_low(program, self.tier, template) => Some(UnusableReason::Audience),
                _ if !eligible.iter().any(|e| *e) => Some(UnusableReason::OutOfScope),
                _ if base < template.min_spend => Some(UnusableReason::BelowMinSpend),
                _ => None,
            };
            match reason {
                Some(reason) => self.unusable.push(UnusableCoupon {
                    id: coupon.id.clone(),
                    template: template.id.clone(),
                    name: template.name.clone(),
                    reason,
                    missing: if reason == UnusableReason::BelowMinSpend { template.min_spend - base } else { 0 },
                }),
                None => self.candidates.push(Candidate { coupon, template, eligible, base }),
            }
        }
    }
}

fn tier_too_low(program: &Program, tier: &Tier, template: &CouponTemplate) -> bool {
    template.audience.min_tier.as_ref().is_some_and(|min| program.tier_rank(&tier.id) < program.tier_rank(min))
}

pub(super) fn round_to_unit(points: Points, unit: Points) -> Points {
    if points <= 0 { 0 } else { points / unit * unit }
}

/// floor(paid × pointsPerYuan / 100 × tier multiplier × promo multiplier).
/// Pricing refuses carts whose earnings could pass MAX_POINTS_PER_ORDER, so the conversion
/// cannot fail for a priced cart; it saturates rather than wraps all the same.
pub fn earn_points(program: &Program, paid: Fen, tier_bp: Bp, promo_bp: Bp) -> Points {
    Points::try_from(earn_points_wide(program, paid as i128, tier_bp, promo_bp)).unwrap_or(Points::MAX)
}

fn earn_points_wide(program: &Program, paid: i128, tier_bp: Bp, promo_bp: Bp) -> i128 {
    let n = paid.max(0) * program.points.points_per_yuan as i128 * tier_bp as i128 * promo_bp as i128;
    n / (100 * BP_ONE as i128 * BP_ONE as i128)
}

/// Every line names a catalog SKU with a quantity in 1..=MAX_QTY, and there are at most
/// MAX_LINES of them: checked before any line is priced, so no sum sees an unchecked quantity.
fn check_lines<'p>(program: &'p Program, lines: &[OrderLine]) -> Result<Vec<&'p crate::program::Sku>, OrderError> {
    if lines.len() > MAX_LINES {
        return Err(OrderError::TooManyLines { max: MAX_LINES });
    }
    lines
        .iter()
        .map(|line| {
            let sku = program.sku(&line.sku).ok_or_else(|| OrderError::UnknownSku { sku: line.sku.clone() })?;
            if line.qty == 0 || line.qty > MAX_QTY {
                return Err(OrderError::InvalidQuantity { sku: line.sku.clone() });
            }
            Ok(sku)
        })
        .collect()
}

/// Refuses a cart whose points earned could pass MAX_POINTS_PER_ORDER (the paid amount is at
/// most the list total, so the bound on the list total bounds every outcome).
fn check_earnings_fit(program: &Program, skus: &[&crate::program::Sku], lines: &[OrderLine], tier: &Tier, promo_bp: Bp) -> Result<(), OrderError> {
    let list_total: i128 = skus.iter().zip(lines).map(|(sku, l)| sku.list_price as i128 * l.qty as i128).sum();
    let most = earn_points_wide(program, list_total, tier.points_multiplier_bp, promo_bp);
    if most > MAX_POINTS_PER_ORDER as i128 {
        return Err(OrderError::AmountTooLarge { what: "points earned" });
    }
    Ok(())
}

/// The flag of a limited-sale line, if it cannot be bought now.
fn sale_flag(program: &Program, state: &MemberState, tier: &Tier, stock: &Stock, sku: &str, lines: &[OrderLine], now: Instant) -> Option<LineFlag> {
    let sale = program.limited_sale(sku)?;
    let early = |t: &Tier| t.early_access_minutes as i64 * crate::time::MS_PER_MINUTE;
    let opens = sale.starts_at - early(tier);
    if now >= sale.ends_at {
        return Some(LineFlag::Ended);
    }
    if now < opens {
        let earliest = program.tiers.iter().map(|t| sale.starts_at - early(t)).min().unwrap_or(sale.starts_at);
        return Some(if now >= earliest { LineFlag::EarlyAccessOnly } else { LineFlag::NotStarted });
    }
    let earliest = program.tiers.iter().map(|t| sale.starts_at - early(t)).min().unwrap_or(sale.starts_at);
    // Summed wide: quantities come from the cart and from a restored history.
    let archived = state.past.recent_orders.iter().filter(|f| !f.refunded).map(|f| (f.placed_at, &f.sale_lines));
    let bought: u64 = state
        .orders
        .iter()
        .filter(|o| o.takes_stock())
        .map(|o| (o.placed_at, &o.lines))
        .chain(archived)
        .filter(|(at, _)| *at >= earliest && *at < sale.ends_at)
        .flat_map(|(_, lines)| lines.iter())
        .filter(|l| l.sku == sku)
        .map(|l| l.qty as u64)
        .sum();
    let wanted: u64 = lines.iter().filter(|l| l.sku == sku).map(|l| l.qty as u64).sum();
    if bought + wanted > sale.per_member as u64 {
        return Some(LineFlag::LimitReached);
    }
    if !u32::try_from(wanted).is_ok_and(|w| stock.has(&Counter::SaleStock(sku.into()), w)) {
        return Some(LineFlag::SoldOut);
    }
    None
}
