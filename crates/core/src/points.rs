//! §2 Points: lots, expiry, balance, spending soonest-expiring first, and the points summary.

use crate::error::PointsError;
use crate::program::{ExpiryPolicy, Points, Program};
use crate::state::{LotAmount, MemberState, PointLot};
use crate::time::{Day, Instant, MS_PER_DAY};
use serde::Serialize;

/// Points expiring within this many days are reminded and listed as "expiring".
pub const EXPIRING_WITHIN_DAYS: i64 = 30;
/// Spent points restored by a refund after their lot expired get this many days' grace.
pub const REFUND_GRACE_DAYS: i32 = 30;

/// The exclusive end of a lot earned at `earned_at` under `policy`.
pub fn expiry_of(program: &Program, earned_at: Instant) -> Option<Instant> {
    let off = program.utc_offset_minutes;
    let day = Day::of(earned_at, off);
    match program.points.expiry {
        ExpiryPolicy::Never => None,
        ExpiryPolicy::RollingDays { days } => Some(day.plus(days as i32).end(off)),
        ExpiryPolicy::YearEnd { years } => {
            let last = Day::from_ymd(day.year() + years as i32, 12, 31).unwrap_or(day);
            Some(last.end(off))
        }
    }
}

/// Spendable at `at`: points left, available and not expired.
pub fn is_live(lot: &PointLot, at: Instant) -> bool {
    lot.remaining > 0 && !is_expired(lot, at) && !is_pending(lot, at)
}

/// Waiting for its order's refund window to close (§2): shown, never spent.
pub fn is_pending(lot: &PointLot, at: Instant) -> bool {
    lot.remaining > 0 && lot.available_at.is_some_and(|a| at < a)
}

pub fn is_expired(lot: &PointLot, at: Instant) -> bool {
    lot.expires_at.is_some_and(|e| at >= e)
}

/// When points earned by an order paid at `paid_at` become available: once the longer of
/// `pendingDays` and the refund window has passed (None when both are 0: at once).
pub fn available_after_payment(program: &Program, paid_at: Instant) -> Option<Instant> {
    let days = program.points.pending_days.max(program.refund_days);
    // Refundable while `now - paidAt <= refundDays × 24 h`: available the millisecond after.
    (days > 0).then(|| paid_at.saturating_add(i64::from(days) * MS_PER_DAY).saturating_add(1))
}

/// Remaining points of lots not expired at `at`.
pub fn balance(state: &MemberState, at: Instant) -> Points {
    state.lots.iter().filter(|l| is_live(l, at)).map(|l| l.remaining).sum()
}

/// Which lots `points` would come from: soonest-expiring first, then oldest, never-expiring last.
pub fn plan_spend(state: &MemberState, points: Points, at: Instant) -> Result<Vec<LotAmount>, PointsError> {
    let available = balance(state, at);
    if points > available {
        return Err(PointsError::Insufficient { needed: points, balance: available });
    }
    let mut live: Vec<&PointLot> = state.lots.iter().filter(|l| is_live(l, at)).collect();
    crate::sort::sort_by(&mut live, |a, b| {
        let ea = a.expires_at.unwrap_or(i64::MAX);
        let eb = b.expires_at.unwrap_or(i64::MAX);
        ea.cmp(&eb).then(a.earned_at.cmp(&b.earned_at)).then(a.id.cmp(&b.id))
    });
    let mut left = points;
    let mut plan = Vec::new();
    for lot in live {
        if left == 0 {
            break;
        }
        let take = left.min(lot.remaining);
        plan.push(LotAmount { lot: lot.id.clone(), points: take });
        left -= take;
    }
    Ok(plan)
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct PointsSummary {
    pub balance: Points,
    /// Points credited but pending (§2), in no balance until their `availableAt`.
    pub pending: Points,
    /// The pending lots, soonest available first.
    pub pending_lots: Vec<PendingPoints>,
    /// Taken from the balance by orders awaiting payment: spent if they are paid, back in their
    /// lots if they are cancelled.
    pub held: Points,
    /// Points expiring within 30 days.
    pub expiring_soon: Points,
    /// Live points grouped by expiry, soonest first (the order they are spent in); the lots
    /// themselves are in `state().lots`.
    pub by_expiry: Vec<ExpiryGroup>,
    pub earned_total: Points,
    pub spent_total: Points,
    pub expired_total: Points,
    /// The newest ledger entries, newest first (at most `LEDGER_PREVIEW`; page through the rest
    /// with `ledger_page`).
    pub ledger: Vec<crate::state::LedgerEntry>,
    /// How many entries the whole ledger has.
    pub ledger_total: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct ExpiryGroup {
    /// Exclusive end; null never expires.
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "number | null"))]
    pub expires_at: Option<Instant>,
    pub points: Points,
}

/// Points waiting to become available, and why they were earned (`order:ID`, `referral:ID`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct PendingPoints {
    pub lot: String,
    pub points: Points,
    pub available_at: Instant,
    pub source: String,
}

/// Ledger entries in a points summary: a member with years of history has thousands.
pub const LEDGER_PREVIEW: usize = 20;

/// `limit` ledger entries, newest first, skipping the `offset` newest.
pub fn ledger_page(state: &MemberState, offset: usize, limit: usize) -> Vec<crate::state::LedgerEntry> {
    state.ledger.iter().rev().skip(offset).take(limit).cloned().collect()
}

/// Points of live lots expiring within 30 days of `at`, and the first of their expiries.
pub fn expiring_soon(state: &MemberState, at: Instant) -> (Points, Option<Instant>) {
    let soon = at.saturating_add(EXPIRING_WITHIN_DAYS * MS_PER_DAY);
    state
        .lots
        .iter()
        .filter(|l| is_live(l, at))
        .filter_map(|l| l.expires_at.filter(|e| *e <= soon).map(|e| (l.remaining, e)))
        .fold((0, None), |(sum, first): (Points, Option<Instant>), (n, e)| (sum + n, Some(first.map_or(e, |f| f.min(e)))))
}

pub fn summary(state: &MemberState, at: Instant) -> PointsSummary {
    let mut lots: Vec<PointLot> = state.lots.iter().filter(|l| is_live(l, at)).cloned().collect();
    crate::sort::sort_by(&mut lots, |a, b| {
        a.expires_at.unwrap_or(i64::MAX).cmp(&b.expires_at.unwrap_or(i64::MAX)).then(a.earned_at.cmp(&b.earned_at))
    });
    let (expiring_soon, _) = expiring_soon(state, at);
    let expired_total: Points = state.lots.iter().filter(|l| l.remaining > 0 && is_expired(l, at)).map(|l| l.remaining).sum();
    let mut pending_lots: Vec<PendingPoints> = state
        .lots
        .iter()
        .filter(|l| is_pending(l, at))
        .filter_map(|l| Some(PendingPoints { lot: l.id.clone(), points: l.remaining, available_at: l.available_at?, source: l.source.clone() }))
        .collect();
    crate::sort::sort_by(&mut pending_lots, |a, b| a.available_at.cmp(&b.available_at).then(a.lot.cmp(&b.lot)));
    let mut by_expiry: Vec<ExpiryGroup> = Vec::new();
    for lot in &lots {
        match by_expiry.last_mut() {
            Some(g) if g.expires_at == lot.expires_at => g.points += lot.remaining,
            _ => by_expiry.push(ExpiryGroup { expires_at: lot.expires_at, points: lot.remaining }),
        }
    }
    let past = &state.past;
    // The archived figures come with the state (a snapshot from JS too): added without wrapping.
    let earned_total = past.earned.saturating_add(state.ledger.iter().filter(|e| e.delta > 0).map(|e| e.delta).fold(0, Points::saturating_add));
    let spent_total = past.spent.saturating_sub(state.ledger.iter().filter(|e| e.delta < 0).map(|e| e.delta).fold(0, Points::saturating_add));
    let expired_total = past.expired.saturating_add(expired_total);
    PointsSummary {
        balance: balance(state, at),
        pending: pending_lots.iter().map(|l| l.points).fold(0, Points::saturating_add),
        pending_lots,
        held: state.orders.iter().filter(|o| o.is_awaiting_payment()).map(|o| o.points_used).fold(0, Points::saturating_add),
        expiring_soon,
        by_expiry,
        earned_total,
        spent_total,
        expired_total,
        ledger: ledger_page(state, 0, LEDGER_PREVIEW),
        ledger_total: state.ledger.len().saturating_add(usize::try_from(past.ledger_entries).unwrap_or(usize::MAX)),
    }
}
