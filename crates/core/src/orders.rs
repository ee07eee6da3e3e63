//! §8 Orders: placing an order at the re-computed price, and full refunds.

use crate::effects::{credit, debit, ArchivedOrder, Ctx, Effect};
use crate::error::{CouponError, InputError, OrderError, PointsError, Rejection};
use crate::program::{Points, Program};
use crate::quote::{CouponChoice, PointsChoice, Pricer, UnusableReason};
use crate::state::{CouponState, LotAmount, MemberState, Order, OrderLine, PointLot};
use crate::stock::Counter;
use crate::time::MS_PER_DAY;

pub const MAX_ORDER_ID_LEN: usize = 64;

#[allow(clippy::too_many_arguments)]
pub fn place(
    program: &Program,
    state: &MemberState,
    order_id: &str,
    lines: &[OrderLine],
    coupons: &[String],
    points: Points,
    expected_total: i64,
    ctx: &Ctx,
) -> Result<Vec<Effect>, Rejection> {
    if order_id.is_empty() || order_id.len() > MAX_ORDER_ID_LEN {
        return Err(OrderError::InvalidOrderId.into());
    }
    if state.order(order_id).is_some() || ctx.archived_order.is_some() {
        return Err(OrderError::DuplicateOrderId { order_id: order_id.into() }.into());
    }
    if lines.is_empty() {
        return Err(OrderError::EmptyCart.into());
    }
    if points < 0 {
        return Err(InputError::Invalid { what: "placeOrder", path: "points".into(), problem: "must be 0 or more".into() }.into());
    }
    if coupons.len() > crate::quote::MAX_CHOSEN_COUPONS {
        return Err(OrderError::TooManyCoupons { max: crate::quote::MAX_CHOSEN_COUPONS }.into());
    }
    let pricer = Pricer::new(program, state, ctx.stock, lines, ctx.now)?;
    let quote = pricer.quote(&CouponChoice::Chosen(coupons.to_vec()), PointsChoice::Amount(points));
    // A line that cannot be bought is the reason first: a coupon that needed it for its minimum
    // spend would otherwise be blamed for it.
    if let Some(line) = quote.lines.iter().find(|l| l.flag.is_some()) {
        let reason = line.flag.map(|f| f.code()).unwrap_or("");
        return Err(OrderError::LineUnavailable { sku: line.sku.clone(), reason }.into());
    }
    // A chosen coupon that would save nothing is simply not used (it stays in the wallet).
    if let Some(u) = quote.unusable.iter().find(|u| coupons.contains(&u.id) && u.reason != UnusableReason::NoSaving) {
        let reason = match u.reason {
            UnusableReason::NotFound => return Err(CouponError::CouponNotFound { coupon: u.id.clone() }.into()),
            r => r.text(),
        };
        return Err(CouponError::CouponUnusable { coupon: u.id.clone(), reason }.into());
    }
    if points > 0 && quote.points.unavailable.is_some() {
        return Err(PointsError::BelowMinBalance { min_balance: program.points.min_balance, balance: quote.points.balance }.into());
    }
    if quote.total != expected_total {
        // Through text, so the quote has one serializer in the module, not two.
        let json = serde_json::to_string(&quote).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(serde_json::Value::Null);
        return Err(OrderError::PriceChanged { expected: expected_total, actual: quote.total, quote: Box::new(json) }.into());
    }
    let mut effects = Vec::new();
    let mut spent_lots = Vec::new();
    if quote.points.used > 0 {
        let spend = debit(state, quote.points.used, &format!("order:{order_id}"), ctx.now)?;
        if let Effect::PointsDebited { lots, .. } = &spend {
            spent_lots = lots.clone();
        }
        effects.push(spend);
    }
    for c in &quote.coupons {
        effects.push(Effect::CouponUsed { coupon: c.id.clone(), order_id: order_id.into(), at: ctx.now });
    }
    for line in lines {
        if program.limited_sale(&line.sku).is_some() {
            effects.push(Effect::StockTaken { counter: Counter::SaleStock(line.sku.clone()), units: line.qty });
        }
    }
    let earn = quote.points.earn;
    let earned_lot = (earn > 0).then(|| ctx.id(0));
    // Gifts: the first-order gift after the first paid order, a repurchase gift after later ones.
    // A template whose fixed validity has ended would give a coupon born expired: none is issued.
    let gift_template = if !state.has_ordered() {
        program.gifts.first_order.as_deref().map(|t| (t, "firstOrder"))
    } else {
        program.gifts.repurchase.as_ref().filter(|r| quote.paid >= r.min_paid).map(|r| (r.template.as_str(), "repurchase"))
    }
    .and_then(|(t, source)| Some((program.template(t)?, source)))
    .filter(|(t, _)| crate::coupons::ended_at(t, ctx.now).is_none());
    let gift = gift_template.map(|(template, source)| crate::coupons::issue(program, template, ctx.id(1), source, ctx.now));
    effects.push(Effect::OrderPlaced {
        order: Order {
            id: order_id.into(),
            placed_at: ctx.now,
            lines: lines.to_vec(),
            line_paid: quote.lines.iter().map(|l| l.paid).collect(),
            coupons: quote.coupons.iter().map(|c| c.id.clone()).collect(),
            goods: quote.goods,
            points_used: quote.points.used,
            points_value: quote.points.value,
            paid: quote.paid,
            shipping: quote.shipping,
            total: quote.total,
            points_earned: earn,
            earned_lot,
            spent_lots,
            refunded_at: None,
            gift: gift.as_ref().map(|c| c.id.clone()),
            gift_used_by: None,
        },
    });
    if earn > 0 {
        effects.push(credit(program, ctx, 0, earn, &format!("order:{order_id}")));
    }
    if let Some(coupon) = gift {
        effects.push(Effect::CouponIssued { coupon });
    }
    Ok(effects)
}

pub fn refund(program: &Program, state: &MemberState, order_id: &str, ctx: &Ctx) -> Result<Vec<Effect>, Rejection> {
    let Some(order) = state.order(order_id) else {
        // An archived order was refunded or is past its refund window: that is why it left.
        return Err(match ctx.archived_order {
            Some(ArchivedOrder { refunded: true }) => OrderError::AlreadyRefunded { order_id: order_id.into() },
            Some(ArchivedOrder { refunded: false }) => OrderError::RefundWindowClosed { order_id: order_id.into(), refund_days: program.refund_days },
            None => OrderError::OrderNotFound { order_id: order_id.into() },
        }
        .into());
    };
    if order.is_refunded() {
        return Err(OrderError::AlreadyRefunded { order_id: order_id.into() }.into());
    }
    if ctx.now.saturating_sub(order.placed_at) > program.refund_days as i64 * MS_PER_DAY {
        return Err(OrderError::RefundWindowClosed { order_id: order_id.into(), refund_days: program.refund_days }.into());
    }
    let off = program.utc_offset_minutes;
    let mut effects = Vec::new();
    // 1. Restore spent points with their original expiry (30 days' grace if already expired),
    //    as one ledger entry however many lots they came from.
    let restored: Vec<PointLot> = order
        .spent_lots
        .iter()
        .enumerate()
        .map(|(n, spent)| {
            let original = state.lots.iter().find(|l| l.id == spent.lot);
            let expires_at = match original {
                None => crate::points::expiry_of(program, ctx.now),
                Some(l) => l.expires_at.map(|e| if e <= ctx.now { program.business_day(ctx.now).plus(crate::points::REFUND_GRACE_DAYS).end(off) } else { e }),
            };
            PointLot { id: ctx.id(n + 1), points: spent.points, remaining: spent.points, earned_at: ctx.now, expires_at, source: format!("refund:{order_id}") }
        })
        .collect();
    if !restored.is_empty() {
        effects.push(Effect::PointsRestored { lots: restored, reason: format!("refund:{order_id}"), at: ctx.now });
    }
    // 2. Take back the earned points: from the order's own lot first, then soonest-expiring,
    //    at most the balance; the shortfall is recorded. Earned points that expired unspent
    //    gave the member nothing: they are not taken back from other lots.
    if order.points_earned > 0 {
        let mut after = state.clone();
        crate::effects::apply_effects(&mut after, &effects);
        let mut plan: Vec<LotAmount> = Vec::new();
        let mut left = order.points_earned;
        if let Some(lot) = order.earned_lot.as_ref().and_then(|id| after.lots.iter_mut().find(|l| l.id == *id)) {
            let take = lot.remaining.min(left);
            if crate::points::is_live(lot, ctx.now) {
                if take > 0 {
                    plan.push(LotAmount { lot: lot.id.clone(), points: take });
                }
                lot.remaining -= take;
            }
            left -= take;
        }
        let rest = left.min(crate::points::balance(&after, ctx.now));
        if rest > 0 {
            plan.extend(crate::points::plan_spend(&after, rest, ctx.now)?);
        }
        let shortfall = left - rest;
        if !plan.is_empty() || shortfall > 0 {
            effects.push(Effect::PointsDebited { lots: plan, reason: format!("refund:{order_id}"), shortfall, at: ctx.now });
        }
    }
    // 3. Coupons still inside their validity come back.
    for id in &order.coupons {
        if let Some(c) = state.coupon(id) {
            if matches!(&c.state, CouponState::Used { order_id: o, .. } if o == order_id) && ctx.now < c.valid_to {
                effects.push(Effect::CouponReturned { coupon: id.clone() });
            }
        }
    }
    for line in &order.lines {
        if program.limited_sale(&line.sku).is_some() {
            effects.push(Effect::StockReturned { counter: Counter::SaleStock(line.sku.clone()), units: line.qty });
        }
    }
    // 4. The gift this order issued goes back while unused, so order-then-refund farms nothing;
    //    a gift already used stays with the order that used it and is recorded on the refund.
    let mut gift_used_by = None;
    if let Some(gift) = order.gift.as_ref().and_then(|id| state.coupon(id)) {
        match &gift.state {
            CouponState::Available => effects.push(Effect::CouponRevoked { coupon: gift.id.clone(), order_id: order_id.into() }),
            CouponState::Used { order_id: used_by, .. } => gift_used_by = Some(used_by.clone()),
        }
    }
    effects.push(Effect::OrderRefunded { order_id: order_id.into(), at: ctx.now, gift_used_by });
    Ok(effects)
}
