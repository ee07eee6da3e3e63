//! §3 Tiers: growth over the basis window, the tier at `now`, and progress.

use crate::program::{Fen, GrowthBasis, Program, Tier};
use crate::state::MemberState;
use crate::time::{Day, Instant};
use serde::Serialize;

/// First business day still inside the growth window on `today` (None = lifetime).
fn window_start(program: &Program, today: Day) -> Option<Day> {
    match program.growth {
        GrowthBasis::Lifetime => None,
        GrowthBasis::TrailingDays { days } => Some(today.plus(1 - days as i32)),
    }
}

/// Growth at `now`: paid fen of orders not refunded, placed inside the window (archived orders
/// through their running sum, or their figures while inside the window).
pub fn growth(program: &Program, state: &MemberState, now: Instant) -> Fen {
    let off = program.utc_offset_minutes;
    match window_start(program, Day::of(now, off)) {
        None => state.past.growth.saturating_add(state.paid_orders().filter(|o| o.placed_at <= now).map(|o| o.paid).sum::<Fen>()),
        Some(start) => state.order_figures().filter(|(at, _, refunded)| !refunded && *at <= now && Day::of(*at, off) >= start).map(|(_, paid, _)| paid).sum(),
    }
}

pub fn tier_for_growth(program: &Program, growth: Fen) -> &Tier {
    program.tiers.iter().rev().find(|t| t.min_growth <= growth).unwrap_or(&program.tiers[0])
}

pub fn current_tier<'p>(program: &'p Program, state: &MemberState, now: Instant) -> &'p Tier {
    tier_for_growth(program, growth(program, state, now))
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct TierProgress {
    pub tier: String,
    pub tier_name: String,
    pub growth: Fen,
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "string | null"))]
    pub next_tier: Option<String>,
    /// Growth still needed to reach the next tier (0 at the top).
    pub to_next: Fen,
    /// Progress to the next tier in bp (10000 at the top).
    pub progress_bp: i64,
    /// For a trailing window: the first day the current tier would be lost if nothing more is
    /// bought, and how much to spend before then to keep it. Null when it cannot be lost.
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "TierRisk | null"))]
    pub keep: Option<TierRisk>,
    pub perks: Vec<String>,
    pub points_multiplier_bp: i64,
    pub member_day_discount_bp: i64,
    pub early_access_minutes: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct TierRisk {
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "Day"))]
    pub drops_on: Day,
    pub spend_needed: Fen,
}

pub fn progress(program: &Program, state: &MemberState, now: Instant) -> TierProgress {
    let g = growth(program, state, now);
    let tier = tier_for_growth(program, g);
    let rank = program.tier_rank(&tier.id).unwrap_or(0);
    let next = program.tiers.get(rank + 1);
    let (to_next, progress_bp) = match next {
        Some(n) => {
            let span = (n.min_growth - tier.min_growth).max(1);
            ((n.min_growth - g).max(0), ((g - tier.min_growth) as i128 * 10_000 / span as i128) as i64)
        }
        None => (0, 10_000),
    };
    TierProgress {
        tier: tier.id.clone(),
        tier_name: tier.name.clone(),
        growth: g,
        next_tier: next.map(|n| n.id.clone()),
        to_next,
        progress_bp,
        keep: risk(program, state, now, tier),
        perks: tier.perks.clone(),
        points_multiplier_bp: tier.points_multiplier_bp,
        member_day_discount_bp: tier.member_day_discount_bp,
        early_access_minutes: tier.early_access_minutes,
    }
}

/// With a trailing window, orders age out: find the first future day when growth falls below the
/// current tier's minimum, and the spend needed before that day to stay.
fn risk(program: &Program, state: &MemberState, now: Instant, tier: &Tier) -> Option<TierRisk> {
    let GrowthBasis::TrailingDays { days } = program.growth else { return None };
    if tier.min_growth == 0 {
        return None;
    }
    let off = program.utc_offset_minutes;
    let today = Day::of(now, off);
    // The days on which an order leaves the window, in order.
    let mut leave_days: Vec<Day> = state
        .order_figures()
        .filter(|(at, _, refunded)| !refunded && *at <= now)
        .map(|(at, _, _)| Day::of(at, off).plus(days as i32))
        .filter(|d| *d > today)
        .collect();
    crate::sort::sort_by(&mut leave_days, |a, b| a.cmp(b));
    leave_days.dedup();
    for day in leave_days {
        let start = day.plus(1 - days as i32);
        let left: Fen = state
            .order_figures()
            .filter(|(at, _, refunded)| !refunded && *at <= now && Day::of(*at, off) >= start)
            .map(|(_, paid, _)| paid)
            .sum();
        if left < tier.min_growth {
            return Some(TierRisk { drops_on: day, spend_needed: tier.min_growth - left });
        }
    }
    None
}
