//! §10 Segments and lifecycle, computed from the member's history at `now`.

use crate::state::{CheckInKind, MemberState};
use crate::time::{Instant, MS_PER_DAY};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum Lifecycle {
    Prospect,
    New,
    Loyal,
    Lapsing,
    Active,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum PriceSensitivity {
    High,
    Medium,
    Low,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Segments {
    pub active_within_3_days: bool,
    pub active_within_7_days: bool,
    pub active_within_14_days: bool,
    pub lifecycle: Lifecycle,
    /// Null before the first order.
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "PriceSensitivity | null"))]
    pub price_sensitivity: Option<PriceSensitivity>,
    /// Share of orders that used a coupon, bp.
    pub coupon_share_bp: i64,
    /// Every segment the member is in, as used by coupon audiences (`lifecycle.loyal`, …).
    pub tags: Vec<String>,
}

pub use crate::program::{is_known_segment, KNOWN_SEGMENTS};

/// The latest check-in or order at or before `now` (archived ones included).
pub fn last_activity(state: &MemberState, now: Instant) -> Option<Instant> {
    let check_in = state.check_ins.iter().filter(|c| c.kind == CheckInKind::Normal).map(|c| c.at).filter(|t| *t <= now).max();
    let order = state.made_orders().map(|o| o.placed_at).filter(|t| *t <= now).max();
    let past = &state.past;
    check_in.max(order).max(past.last_check_in_at.filter(|t| *t <= now)).max(past.last_order_at.filter(|t| *t <= now))
}

pub fn of(state: &MemberState, now: Instant) -> Segments {
    let since = |days: i64| last_activity(state, now).is_some_and(|t| now.saturating_sub(t) <= days * MS_PER_DAY);
    // Refunded orders still show the member's behaviour: they count for lifecycle and sensitivity.
    // Archived orders count through their figures (counts, first, last, the last 365 days').
    let past = &state.past;
    // Orders never paid (awaiting payment, cancelled) are not the member's purchases.
    let orders: Vec<_> = state.made_orders().filter(|o| o.placed_at <= now).collect();
    // Counted wide: the archived counts come with the state (a snapshot from JS too).
    let order_count = u128::from(past.orders) + orders.len() as u128;
    let first = orders.iter().map(|o| o.placed_at).chain(past.first_order_at).min();
    let last = orders.iter().map(|o| o.placed_at).chain(past.last_order_at).max();
    let recent = past.recent_orders.iter().map(|f| f.placed_at).chain(orders.iter().map(|o| o.placed_at)).filter(|t| now.saturating_sub(*t) <= 365 * MS_PER_DAY).count();
    let lifecycle = match (first, last) {
        (None, _) | (_, None) => Lifecycle::Prospect,
        (Some(f), _) if now.saturating_sub(f) <= 14 * MS_PER_DAY => Lifecycle::New,
        _ if recent >= 4 => Lifecycle::Loyal,
        (_, Some(l)) if now.saturating_sub(l) > 120 * MS_PER_DAY => Lifecycle::Lapsing,
        _ => Lifecycle::Active,
    };
    let with_coupon = u128::from(past.orders_with_coupon) + orders.iter().filter(|o| !o.coupons.is_empty()).count() as u128;
    let coupon_share_bp = if order_count == 0 { 0 } else { i64::try_from(with_coupon * 10_000 / order_count).unwrap_or(i64::MAX) };
    let share_at_least = |pct: u128| with_coupon * 100 >= pct * order_count;
    let share_at_most = |pct: u128| with_coupon * 100 <= pct * order_count;
    let price_sensitivity = (order_count > 0).then(|| {
        if share_at_least(60) {
            PriceSensitivity::High
        } else if share_at_most(20) {
            PriceSensitivity::Low
        } else {
            PriceSensitivity::Medium
        }
    });
    let mut tags = Vec::new();
    for (days, tag) in [(3, "activity.3d"), (7, "activity.7d"), (14, "activity.14d")] {
        if since(days) {
            tags.push(tag.to_string());
        }
    }
    tags.push(format!("lifecycle.{}", lifecycle_name(lifecycle)));
    if let Some(p) = price_sensitivity {
        tags.push(format!("priceSensitivity.{}", match p {
            PriceSensitivity::High => "high",
            PriceSensitivity::Medium => "medium",
            PriceSensitivity::Low => "low",
        }));
    }
    Segments {
        active_within_3_days: since(3),
        active_within_7_days: since(7),
        active_within_14_days: since(14),
        lifecycle,
        price_sensitivity,
        coupon_share_bp,
        tags,
    }
}

fn lifecycle_name(l: Lifecycle) -> &'static str {
    match l {
        Lifecycle::Prospect => "prospect",
        Lifecycle::New => "new",
        Lifecycle::Loyal => "loyal",
        Lifecycle::Lapsing => "lapsing",
        Lifecycle::Active => "active",
    }
}
