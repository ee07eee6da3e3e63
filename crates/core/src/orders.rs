//! §8 Orders and payment: placing an order at the re-computed price (awaiting payment while its
//! total is above 0: coupons locked, points and stock held, nothing earned), the store's payment
//! result (coupons used, points earned, growth, gifts), cancellation by the shopper or the
//! deadline (everything held comes back), and full refunds of paid orders.

use crate::effects::{credit_pending, debit, ArchivedOrder, Ctx, Effect};
use crate::error::{CouponError, InputError, OrderError, PointsError, Rejection};
use crate::program::{Points, Program};
use crate::quote::{CouponChoice, PointsChoice, Pricer, PromotionStatus, UnusableReason};
use crate::state::{CancelledBy, CouponState, LotAmount, MemberState, Order, OrderGift, OrderLine, OrderStatus, PointLot};
use crate::stock::Counter;
use crate::time::{Instant, MS_PER_DAY, MS_PER_MINUTE};

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
    // Held, not spent: taken from their lots now so they cannot be spent twice, given back if
    // the order is cancelled.
    if quote.points.used > 0 {
        let spend = debit(state, quote.points.used, &format!("order:{order_id}"), ctx.now)?;
        if let Effect::PointsDebited { lots, .. } = &spend {
            spent_lots = lots.clone();
        }
        effects.push(spend);
    }
    for c in &quote.coupons {
        effects.push(Effect::CouponLocked { coupon: c.id.clone(), order_id: order_id.into(), at: ctx.now });
    }
    for line in lines {
        if program.limited_sale(&line.sku).is_some() {
            effects.push(Effect::StockTaken { counter: Counter::SaleStock(line.sku.clone()), units: line.qty });
        }
    }
    // The promotions it used, and the gifts they give, held like limited-sale stock.
    let applied = quote.promotions.iter().filter(|p| p.status == PromotionStatus::Applied);
    let promotions: Vec<String> = applied.clone().map(|p| p.id.clone()).collect();
    let gifts: Vec<OrderGift> = applied
        .filter_map(|p| p.gift.as_ref().map(|g| OrderGift { promotion: p.id.clone(), tier: g.tier, sku: g.sku.clone(), qty: g.qty }))
        .collect();
    let gifts_sold_out: Vec<String> = quote.promotions.iter().filter(|p| p.status == PromotionStatus::GiftSoldOut).map(|p| p.id.clone()).collect();
    for g in &gifts {
        if gift_has_stock(program, g) {
            effects.push(Effect::StockTaken { counter: Counter::gift(&g.promotion, g.tier as usize), units: g.qty });
        }
    }
    let order = Order {
        id: order_id.into(),
        placed_at: ctx.now,
        status: OrderStatus::AwaitingPayment,
        pay_by: (quote.total > 0).then(|| ctx.now.saturating_add(i64::from(program.payment.window_minutes) * MS_PER_MINUTE)),
        paid_at: None,
        transaction_id: None,
        cancelled_at: None,
        cancelled_by: None,
        lines: lines.to_vec(),
        promotions,
        gifts,
        gifts_sold_out,
        line_paid: quote.lines.iter().take(lines.len()).map(|l| l.paid).collect(),
        coupons: quote.coupons.iter().map(|c| c.id.clone()).collect(),
        goods: quote.goods,
        points_used: quote.points.used,
        points_value: quote.points.value,
        paid: quote.paid,
        shipping: quote.shipping,
        total: quote.total,
        points_earned: quote.points.earn,
        earned_lot: None,
        spent_lots,
        refunded_at: None,
        gift: None,
        gift_used_by: None,
    };
    effects.push(Effect::OrderPlaced { order: order.clone() });
    // Nothing to pay: paid at once.
    if order.total == 0 {
        effects.extend(paid_effects(program, state, &order, None, ctx));
    }
    Ok(effects)
}

/// §8 Paid: only the store decides it, from the provider's verified result for the exact total.
pub fn confirm_payment(program: &Program, state: &MemberState, order_id: &str, amount: i64, transaction_id: Option<&str>, ctx: &Ctx) -> Result<Vec<Effect>, Rejection> {
    let order = awaiting(state, order_id, ctx)?;
    if amount != order.total {
        return Err(OrderError::PaymentAmountMismatch { order_id: order_id.into(), expected: order.total, paid: amount }.into());
    }
    Ok(paid_effects(program, state, order, transaction_id, ctx))
}

/// What paying an order (awaiting payment in `state`, or just placed) decides: its coupons used,
/// its purchase points credited, the first-order or repurchase gift issued. Growth and the
/// held points and stock follow from the order being paid. Ids: the lot `ctx.id(0)`, the gift
/// `ctx.id(1)`.
fn paid_effects(program: &Program, state: &MemberState, order: &Order, transaction_id: Option<&str>, ctx: &Ctx) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in &order.coupons {
        effects.push(Effect::CouponUsed { coupon: c.clone(), order_id: order.id.clone(), at: ctx.now });
    }
    let earned_lot = (order.points_earned > 0).then(|| ctx.id(0));
    if order.points_earned > 0 {
        let available_at = crate::points::available_after_payment(program, ctx.now);
        effects.push(credit_pending(program, ctx, 0, order.points_earned, &format!("order:{}", order.id), available_at));
    }
    // Gifts: the first-order gift after the first paid order, a repurchase gift after later ones.
    // A template whose fixed validity has ended would give a coupon born expired: none is issued.
    let gift_template = if !state.has_ordered() {
        program.gifts.first_order.as_deref().map(|t| (t, "firstOrder"))
    } else {
        program.gifts.repurchase.as_ref().filter(|r| order.paid >= r.min_paid).map(|r| (r.template.as_str(), "repurchase"))
    }
    .and_then(|(t, source)| Some((program.template(t)?, source)))
    .filter(|(t, _)| crate::coupons::ended_at(t, ctx.now).is_none());
    let gift = gift_template.map(|(template, source)| crate::coupons::issue(program, template, ctx.id(1), source, ctx.now));
    effects.push(Effect::OrderPaid {
        order_id: order.id.clone(),
        at: ctx.now,
        transaction_id: transaction_id.map(str::to_string),
        earned_lot,
        gift: gift.as_ref().map(|c| c.id.clone()),
    });
    if let Some(coupon) = gift {
        effects.push(Effect::CouponIssued { coupon });
    }
    // A referred member's first paid order: the referrer's reward is decided on it (§14).
    effects.extend(crate::referral::first_order(state, &order.id));
    effects
}

/// §8 Cancelled, by the shopper or (the store) by the deadline: the held points go back to their
/// lots with their expiry, the locked coupons to the wallet, the held stock to the shelf.
pub fn cancel(state: &MemberState, order_id: &str, by: CancelledBy, program: &Program, ctx: &Ctx) -> Result<Vec<Effect>, Rejection> {
    let order = awaiting(state, order_id, ctx)?;
    if let (CancelledBy::Deadline, Some(pay_by)) = (by, order.pay_by) {
        if ctx.now < pay_by {
            return Err(OrderError::PaymentWindowOpen { order_id: order_id.into(), pay_by }.into());
        }
    }
    let mut effects = Vec::new();
    if let Some(restored) = restore_spent(program, state, order, &format!("cancel:{order_id}"), ctx) {
        effects.push(restored);
    }
    for id in &order.coupons {
        if state.coupon(id).is_some_and(|c| matches!(&c.state, CouponState::Locked { order_id: o, .. } if o == order_id)) {
            effects.push(Effect::CouponReturned { coupon: id.clone() });
        }
    }
    effects.extend(return_stock(program, order));
    effects.push(Effect::OrderCancelled { order_id: order_id.into(), at: ctx.now, by });
    Ok(effects)
}

/// The order, if it is awaiting payment.
fn awaiting<'s>(state: &'s MemberState, order_id: &str, ctx: &Ctx) -> Result<&'s Order, Rejection> {
    let Some(order) = state.order(order_id) else {
        // An archived order is closed: refunded, cancelled or past its refund window.
        return Err(match ctx.archived_order {
            Some(archived) => OrderError::NotAwaitingPayment { order_id: order_id.into(), status: archived.status() },
            None => OrderError::OrderNotFound { order_id: order_id.into() },
        }
        .into());
    };
    match order.status {
        OrderStatus::AwaitingPayment => Ok(order),
        OrderStatus::Paid if order.is_refunded() => Err(OrderError::NotAwaitingPayment { order_id: order_id.into(), status: "refunded" }.into()),
        OrderStatus::Paid => Err(OrderError::NotAwaitingPayment { order_id: order_id.into(), status: "paid" }.into()),
        OrderStatus::Cancelled => Err(OrderError::NotAwaitingPayment { order_id: order_id.into(), status: "cancelled" }.into()),
    }
}

/// The points an order took, given back as new lots with their original expiry (30 days' grace
/// if it has passed), as one ledger entry however many lots they came from. Ids `ctx.id(1..)`.
fn restore_spent(program: &Program, state: &MemberState, order: &Order, reason: &str, ctx: &Ctx) -> Option<Effect> {
    let off = program.utc_offset_minutes;
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
            PointLot { id: ctx.id(n + 1), points: spent.points, remaining: spent.points, earned_at: ctx.now, expires_at, source: reason.to_string(), available_at: None }
        })
        .collect();
    (!restored.is_empty()).then(|| Effect::PointsRestored { lots: restored, reason: reason.to_string(), at: ctx.now })
}

/// The limited-sale units and the gifts an order held or took, back to their shared stock.
fn return_stock(program: &Program, order: &Order) -> Vec<Effect> {
    let sale = order
        .lines
        .iter()
        .filter(|line| program.limited_sale(&line.sku).is_some())
        .map(|line| Effect::StockReturned { counter: Counter::SaleStock(line.sku.clone()), units: line.qty });
    let gifts = order
        .gifts
        .iter()
        .filter(|g| gift_has_stock(program, g))
        .map(|g| Effect::StockReturned { counter: Counter::gift(&g.promotion, g.tier as usize), units: g.qty });
    sale.chain(gifts).collect()
}

/// Whether the gift's tier keeps a shared stock (in the program as it is now).
fn gift_has_stock(program: &Program, gift: &OrderGift) -> bool {
    program.promotions.iter().any(|p| {
        p.id == gift.promotion
            && matches!(&p.rule, crate::program::PromotionRule::Gift { tiers, .. } if tiers.get(gift.tier as usize).is_some_and(|t| t.stock.is_some()))
    })
}

/// An order as the shopper sees it at `now`: its countdown while it awaits payment, and what can
/// be done with it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    #[serde(flatten)]
    pub order: Order,
    /// Milliseconds left to pay (0 once the deadline has passed: the store cancels it); null
    /// unless awaiting payment.
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "number | null"))]
    pub pay_ms_left: Option<i64>,
    pub cancellable: bool,
    pub refundable: bool,
}

/// The orders in the working state, newest first (older ones are in the archive).
pub fn views(program: &Program, state: &MemberState, now: Instant) -> Vec<OrderView> {
    let refund_ms = i64::from(program.refund_days) * MS_PER_DAY;
    let mut views: Vec<OrderView> = state
        .orders
        .iter()
        .map(|o| OrderView {
            pay_ms_left: deadline(o).map(|by| by.saturating_sub(now).max(0)),
            cancellable: o.is_awaiting_payment(),
            refundable: o.is_paid() && !o.is_refunded() && now.saturating_sub(o.paid_time()) <= refund_ms,
            order: o.clone(),
        })
        .collect();
    crate::sort::sort_by(&mut views, |a, b| b.order.placed_at.cmp(&a.order.placed_at).then(b.order.id.cmp(&a.order.id)));
    views
}

/// When an order awaiting payment stops waiting.
pub fn deadline(order: &Order) -> Option<Instant> {
    order.is_awaiting_payment().then_some(order.pay_by).flatten()
}

pub fn refund(program: &Program, state: &MemberState, order_id: &str, ctx: &Ctx) -> Result<Vec<Effect>, Rejection> {
    let Some(order) = state.order(order_id) else {
        // An archived order was refunded or is past its refund window: that is why it left.
        return Err(match ctx.archived_order {
            Some(ArchivedOrder { refunded: true, .. }) => OrderError::AlreadyRefunded { order_id: order_id.into() },
            Some(ArchivedOrder { cancelled: true, .. }) => OrderError::NotPaid { order_id: order_id.into() },
            Some(ArchivedOrder { .. }) => OrderError::RefundWindowClosed { order_id: order_id.into(), refund_days: program.refund_days },
            None => OrderError::OrderNotFound { order_id: order_id.into() },
        }
        .into());
    };
    if order.is_refunded() {
        return Err(OrderError::AlreadyRefunded { order_id: order_id.into() }.into());
    }
    if !order.is_paid() {
        return Err(OrderError::NotPaid { order_id: order_id.into() }.into());
    }
    if ctx.now.saturating_sub(order.paid_time()) > program.refund_days as i64 * MS_PER_DAY {
        return Err(OrderError::RefundWindowClosed { order_id: order_id.into(), refund_days: program.refund_days }.into());
    }
    let mut effects = Vec::new();
    // 1. Restore spent points with their original expiry (30 days' grace if already expired).
    if let Some(restored) = restore_spent(program, state, order, &format!("refund:{order_id}"), ctx) {
        effects.push(restored);
    }
    // 2. Take back the earned points: from the order's own lot first — while it is pending
    //    (§2) that cancels it whole —, then soonest-expiring, at most the balance; the
    //    shortfall is recorded. Earned points that expired unspent gave the member nothing:
    //    they are not taken back from other lots.
    if order.points_earned > 0 {
        let mut after = state.clone();
        crate::effects::apply_effects(&mut after, &effects);
        let mut plan: Vec<LotAmount> = Vec::new();
        let mut left = order.points_earned;
        if let Some(lot) = order.earned_lot.as_ref().and_then(|id| after.lots.iter_mut().find(|l| l.id == *id)) {
            let take = lot.remaining.min(left);
            if !crate::points::is_expired(lot, ctx.now) {
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
    effects.extend(return_stock(program, order));
    // 4. The gift this order issued goes back while unused, so order-then-refund farms nothing;
    //    a gift already used stays with the order that used it and is recorded on the refund.
    let mut gift_used_by = None;
    if let Some(gift) = order.gift.as_ref().and_then(|id| state.coupon(id)) {
        match &gift.state {
            CouponState::Available => effects.push(Effect::CouponRevoked { coupon: gift.id.clone(), order_id: order_id.into() }),
            CouponState::Used { order_id: used_by, .. } | CouponState::Locked { order_id: used_by, .. } => gift_used_by = Some(used_by.clone()),
        }
    }
    effects.push(Effect::OrderRefunded { order_id: order_id.into(), at: ctx.now, gift_used_by });
    effects.extend(crate::referral::refunded(state, order_id));
    Ok(effects)
}
