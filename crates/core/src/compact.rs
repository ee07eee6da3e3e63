//! §12 History and size: what leaves a member's working state for the server's archive, and the
//! figures left in its place (`MemberState::past`). Pure: the same state and time give the same
//! result on the client and on the server, and every rule decides the same with or without it.
//!
//! What stays (everything else moves, at the time `now` it runs):
//! * check-ins from the first day of the month before the current one, and earlier months still
//!   inside the makeup window or holding a makeup made this month — whole months only;
//! * live point lots, and lots an order that can still be refunded spent or earned;
//! * the newest `LEDGER_KEPT` ledger entries;
//! * orders that can still be refunded or were placed within `KEPT_DAYS`;
//! * coupons usable now or later, those an order above used or gave, and the ones used or
//!   ended within `KEPT_DAYS` (the wallet shows them);
//! * points-mall redemptions within `KEPT_DAYS`.

use crate::checkin::{run_ending, CheckInDays};
use crate::coupons::{counts_as_claim, finished_at, SHOWN_AFTER_END_DAYS};
use crate::points::{is_live, is_pending, LEDGER_PREVIEW};
use crate::program::{GrowthBasis, Program};
use crate::state::{CheckIn, CheckInKind, CouponInstance, LedgerEntry, MemberState, Order, OrderFigure, OrderLine, OrderStatus, PointLot, Redemption};
use crate::time::{Day, Instant, MS_PER_DAY};
use serde::{Deserialize, Serialize};

/// Ledger entries kept in the state: one page, the points summary's preview.
pub const LEDGER_KEPT: usize = LEDGER_PREVIEW;
/// Days closed orders, used and ended coupons and redemptions stay before they move.
pub const KEPT_DAYS: i64 = SHOWN_AFTER_END_DAYS;
/// Days an archived order counts as recent for segments (lifecycle "loyal").
const RECENT_ORDER_DAYS: i64 = 365;

/// What moved out of the state, for the server to append to its archive.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Archived {
    pub check_ins: Vec<CheckIn>,
    pub lots: Vec<PointLot>,
    pub ledger: Vec<LedgerEntry>,
    pub orders: Vec<Order>,
    pub coupons: Vec<CouponInstance>,
    pub redemptions: Vec<Redemption>,
}

impl Archived {
    pub fn is_empty(&self) -> bool {
        self.check_ins.is_empty() && self.lots.is_empty() && self.ledger.is_empty() && self.orders.is_empty() && self.coupons.is_empty() && self.redemptions.is_empty()
    }
}

/// Moves what can no longer change or show out of `state`, at `now`.
pub fn compact(program: &Program, state: &MemberState, now: Instant) -> (MemberState, Archived) {
    let mut kept = state.clone();
    let mut archived = Archived::default();
    let kept_ms = KEPT_DAYS * MS_PER_DAY;

    // Orders that can no longer change and no longer show.
    let refund_ms = i64::from(program.refund_days) * MS_PER_DAY;
    // Closed: refunded, cancelled, or paid and past its refund window. An order awaiting payment
    // always stays.
    let closed = |o: &Order| match o.status {
        OrderStatus::AwaitingPayment => false,
        OrderStatus::Cancelled => true,
        OrderStatus::Paid => o.is_refunded() || now.saturating_sub(o.paid_time()) > refund_ms,
    };
    let (gone, stay): (Vec<Order>, Vec<Order>) = kept.orders.drain(..).partition(|o| closed(o) && now.saturating_sub(o.placed_at) > kept_ms);
    kept.orders = stay;
    // A cancelled order was never the member's purchase: it leaves for the archive and counts
    // in no figure.
    for o in gone.iter().filter(|o| o.is_paid()) {
        let past = &mut kept.past;
        past.orders = past.orders.saturating_add(1);
        if !o.coupons.is_empty() {
            past.orders_with_coupon = past.orders_with_coupon.saturating_add(1);
        }
        past.first_order_at = Some(past.first_order_at.map_or(o.placed_at, |t| t.min(o.placed_at)));
        past.last_order_at = Some(past.last_order_at.map_or(o.placed_at, |t| t.max(o.placed_at)));
        if !o.is_refunded() {
            past.growth = past.growth.saturating_add(o.paid);
        }
        past.recent_orders.push(OrderFigure {
            placed_at: o.placed_at,
            paid: if o.is_refunded() { 0 } else { o.paid },
            refunded: o.is_refunded(),
            sale_lines: o.lines.iter().filter(|l| program.limited_sale(&l.sku).is_some()).cloned().collect::<Vec<OrderLine>>(),
            promotions: o.promotions.iter().filter(|p| limits_uses(program, p, now)).cloned().collect(),
        });
    }
    archived.orders = gone;
    // Figures leave once outside every window that reads them.
    let figure_days = match program.growth {
        GrowthBasis::TrailingDays { days } => RECENT_ORDER_DAYS.max(i64::from(days) + 1),
        GrowthBasis::Lifetime => RECENT_ORDER_DAYS,
    };
    for figure in &mut kept.past.recent_orders {
        figure.sale_lines.retain(|l| program.limited_sale(&l.sku).is_some_and(|sale| now < sale.ends_at));
        figure.promotions.retain(|p| limits_uses(program, p, now));
    }
    kept.past.recent_orders
        .retain(|f| now.saturating_sub(f.placed_at) <= figure_days * MS_PER_DAY || !f.sale_lines.is_empty() || !f.promotions.is_empty());
    sort_figures(&mut kept.past.recent_orders);

    // What the orders that stay still point at.
    let order_coupons: Vec<&str> = kept.orders.iter().flat_map(|o| o.coupons.iter().chain(&o.gift)).map(String::as_str).collect();
    let order_lots: Vec<String> = kept.orders.iter().flat_map(|o| o.spent_lots.iter().map(|s| s.lot.clone()).chain(o.earned_lot.clone())).collect();

    // Coupons used or ended long enough ago.
    let (gone, stay): (Vec<CouponInstance>, Vec<CouponInstance>) = kept.coupons.drain(..).partition(|c| {
        let finished = match &c.state {
            crate::state::CouponState::Used { .. } => true,
            crate::state::CouponState::Available => now >= c.valid_to,
            crate::state::CouponState::Locked { .. } => false,
        };
        finished && now.saturating_sub(finished_at(c)) > kept_ms && !order_coupons.contains(&c.id.as_str())
    });
    kept.coupons = stay;
    for c in &gone {
        if counts_as_claim(c) {
            let n = kept.past.claims.entry(c.template.clone()).or_insert(0);
            *n = n.saturating_add(1);
        }
        if c.source == "birthday" {
            let year = program.business_day(c.claimed_at).year();
            kept.past.birthday_claim_year = Some(kept.past.birthday_claim_year.map_or(year, |y| y.max(year)));
        }
    }
    archived.coupons = gone;

    // Lots nothing can spend or restore any more.
    let (gone, stay): (Vec<PointLot>, Vec<PointLot>) = kept.lots.drain(..).partition(|l| !is_live(l, now) && !is_pending(l, now) && !order_lots.contains(&l.id));
    kept.lots = stay;
    for l in &gone {
        kept.past.expired = kept.past.expired.saturating_add(l.remaining);
    }
    archived.lots = gone;
    merge_lots(&mut kept.lots, &order_lots, now, &mut archived.lots);

    // The ledger beyond its newest page.
    let old = kept.ledger.len().saturating_sub(LEDGER_KEPT);
    let gone: Vec<LedgerEntry> = kept.ledger.drain(..old).collect();
    for e in &gone {
        let past = &mut kept.past;
        past.ledger_entries = past.ledger_entries.saturating_add(1);
        if e.delta > 0 {
            past.earned = past.earned.saturating_add(e.delta);
        } else {
            past.spent = past.spent.saturating_add(e.delta.saturating_neg());
        }
    }
    archived.ledger = gone;

    // Redemptions.
    let (gone, stay): (Vec<Redemption>, Vec<Redemption>) = kept.redemptions.drain(..).partition(|r| now.saturating_sub(r.at) > kept_ms);
    kept.redemptions = stay;
    for r in &gone {
        let n = kept.past.redemptions.entry(r.reward.clone()).or_insert(0);
        *n = n.saturating_add(1);
    }
    archived.redemptions = gone;

    // Check-ins of whole months every check-in rule has left behind.
    let horizon = check_in_horizon(program, &kept, now);
    if kept.past.check_ins_before.is_none_or(|before| horizon > before) && kept.check_ins.first().is_some_and(|c| c.day < horizon) {
        let run = run_ending(&CheckInDays::of(&kept), horizon.plus(-1), None);
        let split = kept.check_ins.partition_point(|c| c.day < horizon);
        let gone: Vec<CheckIn> = kept.check_ins.drain(..split).collect();
        let last_normal = gone.iter().filter(|c| c.kind == CheckInKind::Normal).map(|c| c.at).max();
        let past = &mut kept.past;
        past.last_check_in_at = past.last_check_in_at.max(last_normal);
        past.check_in_run = run;
        past.check_ins_before = Some(horizon);
        archived.check_ins = gone;
    }
    (kept, archived)
}

/// The first day whose check-ins stay: the first of the month before the current one, or of an
/// earlier month still inside the makeup window or holding a makeup made this month.
fn check_in_horizon(program: &Program, state: &MemberState, now: Instant) -> Day {
    let today = program.business_day(now);
    let mut first = today.first_of_month().plus(-1).first_of_month();
    if let Some(makeup) = &program.check_in.makeup {
        first = first.min(today.plus(-i32::try_from(makeup.window_days).unwrap_or(i32::MAX)));
    }
    let this_month = today.first_of_month();
    for c in &state.check_ins {
        if c.kind == CheckInKind::Makeup && program.business_day(c.at) >= this_month {
            first = first.min(c.day);
        }
    }
    first.first_of_month()
}

/// The source of a lot that holds several lots' points.
pub const MERGED: &str = "merged";

/// Live lots that expire together and that no refundable order points at become one lot: every
/// rule reads lots by expiry (spending soonest-expiring first, then oldest), so the points spent,
/// kept and expired are the same; a member who checks in daily keeps a handful of lots, not one
/// per day. The lots merged away go to the archive as the record of their credit. A pending lot
/// stays whole until it is available: a refund cancels it whole.
fn merge_lots(lots: &mut Vec<PointLot>, order_lots: &[String], now: Instant, archived: &mut Vec<PointLot>) {
    let mut groups: Vec<(Option<Instant>, Vec<usize>)> = Vec::new();
    for (i, lot) in lots.iter().enumerate() {
        if order_lots.contains(&lot.id) || is_pending(lot, now) {
            continue;
        }
        match groups.iter_mut().find(|(e, _)| *e == lot.expires_at) {
            Some((_, members)) => members.push(i),
            None => groups.push((lot.expires_at, vec![i])),
        }
    }
    let mut merged = Vec::new();
    let mut gone = vec![false; lots.len()];
    for (expires_at, mut members) in groups.into_iter().filter(|(_, m)| m.len() > 1) {
        // Named after its oldest part (lot ids are unique), or that part's name if it is a merge.
        members.sort_by(|a, b| lots[*a].earned_at.cmp(&lots[*b].earned_at).then(lots[*a].id.cmp(&lots[*b].id)));
        let oldest = &lots[members[0]];
        let id = if oldest.source == MERGED { oldest.id.clone() } else { format!("merged-{}", oldest.id) };
        let mut lot = PointLot { id: id.clone(), points: 0, remaining: 0, earned_at: Instant::MAX, expires_at, source: MERGED.into(), available_at: None };
        for &i in &members {
            let part = &lots[i];
            lot.points = lot.points.saturating_add(part.points);
            lot.remaining = lot.remaining.saturating_add(part.remaining);
            lot.earned_at = lot.earned_at.min(part.earned_at);
            gone[i] = true;
            if part.source != MERGED {
                archived.push(part.clone());
            }
        }
        merged.push(lot);
    }
    let mut i = 0;
    lots.retain(|_| {
        i += 1;
        !gone[i - 1]
    });
    lots.extend(merged);
    crate::sort::sort_by(lots, |a, b| a.earned_at.cmp(&b.earned_at).then(a.id.cmp(&b.id)));
}

fn sort_figures(figures: &mut Vec<OrderFigure>) {
    crate::sort::sort_by(figures, |a, b| a.placed_at.cmp(&b.placed_at));
}

/// Whether a promotion still runs with a per-member limit: an archived order's use of it counts.
fn limits_uses(program: &Program, id: &str, now: Instant) -> bool {
    program.promotions.iter().any(|p| p.id == id && p.per_member.is_some() && now < p.validity.to)
}

#[cfg(test)]
mod tests {
    use crate::program::Program;
    use crate::state::{LedgerEntry, MemberState, Past};

    #[test]
    fn archived_figures_at_their_limits_neither_wrap_nor_panic() {
        // `past` arrives with a state, and a state can come from JS in a snapshot.
        let mut p: serde_json::Value = serde_json::from_str(include_str!("../../../programs/health-food.json")).unwrap();
        p["growth"] = serde_json::json!({ "type": "lifetime" });
        let program = Program::from_json(&p.to_string()).unwrap();
        let mut state = MemberState::new("m1", 1_772_416_800_000);
        state.past = Past { orders: u64::MAX, orders_with_coupon: u64::MAX, earned: i64::MAX, spent: i64::MAX, expired: i64::MAX, growth: i64::MAX, ledger_entries: u64::MAX, ..Past::default() };
        state.ledger.push(LedgerEntry { at: 1_772_416_800_000, delta: -5, reason: "x".into(), lots: vec![], shortfall: 0 });
        state.ledger.push(LedgerEntry { at: 1_772_416_800_000, delta: 5, reason: "y".into(), lots: vec![], shortfall: 0 });
        let now = 1_772_416_900_000;
        let summary = crate::points::summary(&state, now);
        assert_eq!((summary.earned_total, summary.spent_total, summary.expired_total), (i64::MAX, i64::MAX, i64::MAX));
        assert_eq!(crate::tiers::growth(&program, &state, now), i64::MAX);
        let segments = crate::segments::of(&state, now);
        assert_eq!(segments.coupon_share_bp, 10_000);
        let (compacted, _) = super::compact(&program, &state, now);
        assert_eq!(compacted.past.orders, u64::MAX);
    }
}
