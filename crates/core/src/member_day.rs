//! §4 Member day: the schedule, today's status, the next date and a countdown.

use crate::program::{Bp, Program, Tier, BP_ONE};
use crate::time::{Day, Instant};
use serde::Serialize;

pub fn is_member_day(program: &Program, day: Day) -> bool {
    match &program.member_day {
        None => false,
        Some(md) => md.weekdays.contains(&day.weekday()) || md.month_days.contains(&day.day_of_month()),
    }
}

/// The first member day on or after `from`, looking ahead at most 400 days.
pub fn next_member_day(program: &Program, from: Day) -> Option<Day> {
    program.member_day.as_ref()?;
    (0..400).map(|i| from.plus(i)).find(|d| is_member_day(program, *d))
}

/// The member-day points multiplier on `day` (×1 otherwise).
pub fn points_multiplier(program: &Program, day: Day) -> Bp {
    match &program.member_day {
        Some(md) if is_member_day(program, day) => md.points_multiplier_bp,
        _ => BP_ONE,
    }
}

/// The tier's extra goods discount on `day` (0 when it is not member day).
pub fn discount_bp(program: &Program, tier: &Tier, day: Day) -> Bp {
    if is_member_day(program, day) { tier.member_day_discount_bp } else { 0 }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct MemberDayStatus {
    pub configured: bool,
    pub today: bool,
    /// The next member day strictly after today's business day (or today's if it is not one).
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "Day | null"))]
    pub next: Option<Day>,
    /// Milliseconds until today's member day ends (when today) or the next one starts.
    pub countdown_ms: i64,
    pub points_multiplier_bp: Bp,
    /// The member's tier discount on member day.
    pub discount_bp: Bp,
    pub check_in_bonus_points: i64,
    /// Templates claimable only on member day.
    pub coupon_templates: Vec<String>,
}

pub fn status(program: &Program, tier: &Tier, now: Instant) -> MemberDayStatus {
    let off = program.utc_offset_minutes;
    let today = Day::of(now, off);
    let is_today = is_member_day(program, today);
    let next = next_member_day(program, today.plus(1));
    let countdown_ms = if is_today {
        today.end(off).saturating_sub(now)
    } else {
        next.map(|d| d.start(off).saturating_sub(now)).unwrap_or(0)
    };
    let md = program.member_day.as_ref();
    MemberDayStatus {
        configured: md.is_some(),
        today: is_today,
        next,
        countdown_ms,
        points_multiplier_bp: md.map(|m| m.points_multiplier_bp).unwrap_or(BP_ONE),
        discount_bp: tier.member_day_discount_bp,
        check_in_bonus_points: md.map(|m| m.check_in_bonus_points).unwrap_or(0),
        coupon_templates: program.coupon_templates.iter().filter(|t| t.audience.member_day).map(|t| t.id.clone()).collect(),
    }
}
