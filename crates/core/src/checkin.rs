//! §1 Check-in: streaks inside the cycle, rewards, makeup check-in and the month calendar.

use crate::error::{CheckInError, MakeupLimit};
use crate::program::{CheckInCycle, CumulativeReward, Points, Program, StreakBonus};
use crate::state::{CheckInKind, MemberState};
use crate::time::{days_in_month, Day, Instant};
use serde::Serialize;
use std::collections::BTreeSet;

/// The checked-in days a streak walks: the days in the state, and the run of consecutive days
/// the archive ends with (archived check-ins are older than every window a rule reads).
#[derive(Clone, Debug)]
pub struct CheckInDays {
    days: BTreeSet<Day>,
    archived_before: Option<Day>,
    archived_run: u32,
}

impl CheckInDays {
    pub fn of(state: &MemberState) -> CheckInDays {
        CheckInDays {
            days: state.check_ins.iter().map(|c| c.day).collect(),
            archived_before: state.past.check_ins_before,
            archived_run: state.past.check_in_run,
        }
    }

    /// The same days with `day` checked in too.
    pub fn with(mut self, day: Day) -> CheckInDays {
        self.days.insert(day);
        self
    }

    pub fn contains(&self, day: Day) -> bool {
        self.days.contains(&day)
    }

    /// Checked-in days from `first` through `last`. Cumulative periods are never archived
    /// (§12 keeps the month before the current one), so the state's days are all of them.
    fn count(&self, first: Day, last: Day) -> u32 {
        u32::try_from(self.days.range(first..=last).count()).unwrap_or(u32::MAX)
    }
}

/// The days cumulative check-ins count over (§1), first and last: the week for `weekly`, the
/// calendar month for `monthly` and `rolling`.
pub fn cumulative_period(cycle: CheckInCycle, day: Day) -> (Day, Day) {
    match cycle {
        CheckInCycle::Weekly => (day.monday(), day.monday().plus(6)),
        CheckInCycle::Monthly | CheckInCycle::Rolling => {
            let first = day.first_of_month();
            (first, first.plus(i32::from(days_in_month(day.year(), day.month())) - 1))
        }
    }
}

/// The milestone a check-in of `day` completes: the one whose `days` equals the period's count
/// with `day` added. The count goes up by one per check-in, so each is reached once per period.
pub fn milestone_completed<'p>(program: &'p Program, days: &CheckInDays, day: Day) -> Option<&'p CumulativeReward> {
    if days.contains(day) {
        return None;
    }
    let (first, last) = cumulative_period(program.check_in.cycle, day);
    let count = days.count(first, last).saturating_add(1);
    program.check_in.cumulative.iter().find(|r| r.days == count)
}

/// The current cycle's cumulative count and the next milestone still reachable in it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Cumulative {
    /// Check-ins in the period, made-up days included.
    pub count: u32,
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "Day"))]
    pub first_day: Day,
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "Day"))]
    pub last_day: Day,
    /// Milestones already reached in this period (their `days`).
    pub reached: Vec<u32>,
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "NextMilestone | null"))]
    pub next: Option<NextMilestone>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct NextMilestone {
    pub days: u32,
    /// Check-ins still needed.
    pub check_ins: u32,
    pub points: Points,
    pub coupons: Vec<String>,
}

/// None when the program has no cumulative rewards.
pub fn cumulative(program: &Program, days: &CheckInDays, now: Instant) -> Option<Cumulative> {
    if program.check_in.cumulative.is_empty() {
        return None;
    }
    let today = program.business_day(now);
    let (first_day, last_day) = cumulative_period(program.check_in.cycle, today);
    let count = days.count(first_day, last_day);
    // Days still open for a check-in: today (unless done) through the period's end.
    let open = u32::try_from(i64::from(last_day.0) - i64::from(today.0)).unwrap_or(0) + u32::from(!days.contains(today));
    let mut reached: Vec<u32> = program.check_in.cumulative.iter().map(|r| r.days).filter(|d| *d <= count).collect();
    reached.sort_unstable();
    let next = program
        .check_in
        .cumulative
        .iter()
        .filter(|r| r.days > count && r.days - count <= open)
        .min_by_key(|r| r.days)
        .map(|r| NextMilestone { days: r.days, check_ins: r.days - count, points: r.points, coupons: r.coupons.clone() });
    Some(Cumulative { count, first_day, last_day, reached, next })
}

/// The first day of the cycle containing `day`.
pub fn cycle_start(cycle: CheckInCycle, day: Day) -> Option<Day> {
    match cycle {
        CheckInCycle::Rolling => None,
        CheckInCycle::Weekly => Some(day.monday()),
        CheckInCycle::Monthly => Some(day.first_of_month()),
    }
}

/// Consecutive checked-in days ending on `day` (0 when `day` itself is not checked in).
pub fn run_ending(days: &CheckInDays, day: Day, floor: Option<Day>) -> u32 {
    let mut n: u32 = 0;
    let mut d = day;
    while days.contains(d) && floor.is_none_or(|f| d >= f) {
        n = n.saturating_add(1);
        d = d.plus(-1);
    }
    // Reached the archive's last day: its run goes on below, down to the floor.
    if days.archived_before.is_some_and(|before| d == before.plus(-1)) && floor.is_none_or(|f| d >= f) {
        let above_floor = floor.map_or(u32::MAX, |f| u32::try_from(i64::from(d.0) - i64::from(f.0) + 1).unwrap_or(0));
        n = n.saturating_add(days.archived_run.min(above_floor));
    }
    n
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Streak {
    /// Consecutive days ending today, or ending yesterday while today is still open.
    pub streak: u32,
    /// The streak inside the current cycle (the day of the streak table reached).
    pub cycle_day: u32,
    pub checked_in_today: bool,
    /// The next bonus of the streak table still reachable in this cycle.
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "NextBonus | null"))]
    pub next_bonus: Option<NextBonus>,
    /// Points today's check-in would give (0 once checked in), a milestone it completes included.
    pub todays_reward: Points,
    /// Cumulative check-ins in the current cycle (absent without cumulative rewards).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub cumulative: Option<Cumulative>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct NextBonus {
    pub day: u32,
    /// Days from today until the bonus day (0: today).
    pub in_days: u32,
    /// Check-ins still needed to reach it, today's included while it is not yet made.
    pub check_ins: u32,
    pub points: Points,
    pub coupons: Vec<String>,
}

pub fn streak(program: &Program, state: &MemberState, now: Instant) -> Streak {
    streak_of(program, &CheckInDays::of(state), now)
}

/// The streak over a set of checked-in days: the one source of `streak()` and of the figures a
/// makeup's receipt reports (the days with the made-up one added).
pub fn streak_of(program: &Program, days: &CheckInDays, now: Instant) -> Streak {
    let today = program.business_day(now);
    let checked = days.contains(today);
    let end = if checked { today } else { today.plus(-1) };
    let cycle = program.check_in.cycle;
    let streak = run_ending(days, end, None);
    // Yesterday's run only continues into today's cycle if today is in the same cycle.
    let cycle_day = if checked || cycle_start(cycle, today) == cycle_start(cycle, end) {
        run_ending(days, end, cycle_start(cycle, today))
    } else {
        0
    };
    let next_bonus = program
        .check_in
        .streak_bonuses
        .iter()
        .filter(|b| b.day > cycle_day)
        .filter(|b| fits_in_cycle(cycle, today, b.day, cycle_day, checked))
        .min_by_key(|b| b.day)
        .map(|b| NextBonus {
            day: b.day,
            in_days: b.day - cycle_day - if checked { 0 } else { 1 },
            check_ins: b.day - cycle_day,
            points: b.points,
            coupons: b.coupons.clone(),
        });
    let milestone = if checked { 0 } else { milestone_completed(program, days, today).map_or(0, |r| r.points) };
    let todays_reward = if checked { 0 } else { reward_points(program, today, cycle_day + 1).saturating_add(milestone) };
    Streak { streak, cycle_day, checked_in_today: checked, next_bonus, todays_reward, cumulative: cumulative(program, days, now) }
}

/// Whether streak day `n` can still be reached before the current cycle ends.
fn fits_in_cycle(cycle: CheckInCycle, today: Day, n: u32, cycle_day: u32, checked: bool) -> bool {
    let remaining_days = match cycle {
        CheckInCycle::Rolling => return true,
        CheckInCycle::Weekly => 7 - today.weekday() as u32 + 1,
        CheckInCycle::Monthly => days_in_month(today.year(), today.month()) as u32 - today.day_of_month() as u32 + 1,
    };
    let reachable = cycle_day + remaining_days - if checked { 1 } else { 0 };
    n <= reachable
}

fn bonus_for(program: &Program, n: u32) -> Option<&StreakBonus> {
    program.check_in.streak_bonuses.iter().find(|b| b.day == n)
}

/// Points for a check-in that reaches cycle day `n` on `day`.
pub fn reward_points(program: &Program, day: Day, n: u32) -> Points {
    let bonus = bonus_for(program, n).map(|b| b.points).unwrap_or(0);
    let member_day = match &program.member_day {
        Some(md) if crate::member_day::is_member_day(program, day) => md.check_in_bonus_points,
        _ => 0,
    };
    program.check_in.base_points + bonus + member_day
}

/// What a check-in now would record and grant.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckInDecision {
    pub day: Day,
    pub streak: u32,
    pub cycle_day: u32,
    pub points: Points,
    pub coupons: Vec<String>,
    /// The cumulative milestone this check-in completes, granted besides the day's reward.
    pub milestone: Option<CumulativeReward>,
}

/// When a check-in the device made at `made_at` (its offset-corrected time) and the server
/// decides at `now` counts (rulebook §1): at `made_at` when it arrives within
/// `offlineGraceMinutes` (checked in at 23:59, synced at 00:01: it keeps its day), else at `now`;
/// then, if that moves it to another business day, the notice the device shows as a reversal.
/// A time ahead of the server's counts at the server's.
pub fn counted_at(program: &Program, made_at: Instant, now: Instant) -> (Instant, Option<CheckInError>) {
    let grace = program.check_in.offline_grace_minutes as i64 * crate::time::MS_PER_MINUTE;
    // `made_at` comes from the device: checked, since any i64 can arrive.
    if made_at <= now && now.checked_sub(made_at).is_some_and(|late| late <= grace) {
        return (made_at, None);
    }
    let (made_on, counted_on) = (program.business_day(made_at), program.business_day(now));
    let moved = (made_on != counted_on).then(|| CheckInError::DayMoved {
        made_on: made_on.to_string(),
        counted_on: counted_on.to_string(),
        grace_minutes: program.check_in.offline_grace_minutes,
    });
    (now, moved)
}

pub fn decide_check_in(program: &Program, state: &MemberState, now: Instant) -> Result<CheckInDecision, CheckInError> {
    let today = program.business_day(now);
    let days = CheckInDays::of(state);
    if days.contains(today) {
        return Err(CheckInError::AlreadyCheckedIn { day: today.to_string() });
    }
    let streak = run_ending(&days, today.plus(-1), None) + 1;
    let cycle_day = run_ending(&days, today.plus(-1), cycle_start(program.check_in.cycle, today)) + 1;
    Ok(CheckInDecision {
        day: today,
        streak,
        cycle_day,
        points: reward_points(program, today, cycle_day),
        coupons: bonus_for(program, cycle_day).map(|b| b.coupons.clone()).unwrap_or_default(),
        milestone: milestone_completed(program, &days, today).cloned(),
    })
}

/// Checks a makeup check-in of `day` at `now`; returns its cost in points.
pub fn decide_makeup(program: &Program, state: &MemberState, day: Day, now: Instant) -> Result<Points, CheckInError> {
    let rules = program.check_in.makeup.as_ref().ok_or(CheckInError::MakeupNotOffered)?;
    let today = program.business_day(now);
    let not_missed = |reason| Err(CheckInError::MakeupDayNotMissed { day: day.to_string(), reason });
    if day >= today {
        return not_missed("it is today or later");
    }
    if state.checked_in(day).is_some() {
        return not_missed("it is already checked in");
    }
    if day < joined_day(program, state) {
        return not_missed("the member had not joined yet");
    }
    if let Some(start) = cycle_start(program.check_in.cycle, today).filter(|s| day < *s) {
        return Err(CheckInError::MakeupOutOfWindow { day: day.to_string(), rule: MakeupLimit::Cycle { cycle_start: start.to_string() } });
    }
    if day < today.plus(-(rules.window_days as i32)) {
        return Err(CheckInError::MakeupOutOfWindow { day: day.to_string(), rule: MakeupLimit::Window { window_days: rules.window_days } });
    }
    if makeups_in_month(program, state, today) >= rules.max_per_month {
        return Err(CheckInError::MakeupLimitReached { max_per_month: rules.max_per_month });
    }
    Ok(rules.cost_points)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum DayStatus {
    Checked,
    MadeUp,
    Missed,
    /// Before the member joined: neither missed nor makeable.
    BeforeJoining,
    /// Today, not yet checked in.
    Today,
    Future,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct CalendarDay {
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "Day"))]
    pub day: Day,
    pub status: DayStatus,
    pub member_day: bool,
    /// A missed day that a makeup check-in could fill now.
    pub can_make_up: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Calendar {
    pub year: i32,
    pub month: u8,
    pub days: Vec<CalendarDay>,
    pub streak: Streak,
    /// Cost of one makeup check-in (null when not offered).
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "number | null"))]
    pub makeup_cost: Option<Points>,
    pub makeups_left_this_month: u32,
    /// The month's check-ins are in the server's archive (`GET /api/history/calendar`): the
    /// days here do not show them.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub archived: bool,
}

pub fn calendar(program: &Program, state: &MemberState, year: i32, month: u8, now: Instant) -> Option<Calendar> {
    let first = Day::from_ymd(year, month, 1)?;
    let today = program.business_day(now);
    let joined = joined_day(program, state);
    let days = (0..days_in_month(year, month) as i32)
        .map(|i| {
            let day = first.plus(i);
            let status = match state.checked_in(day) {
                Some(c) if c.kind == CheckInKind::Makeup => DayStatus::MadeUp,
                Some(_) => DayStatus::Checked,
                None if day == today => DayStatus::Today,
                None if day > today => DayStatus::Future,
                None if day < joined => DayStatus::BeforeJoining,
                None => DayStatus::Missed,
            };
            CalendarDay {
                day,
                status,
                member_day: crate::member_day::is_member_day(program, day),
                can_make_up: status == DayStatus::Missed && decide_makeup(program, state, day, now).is_ok(),
            }
        })
        .collect();
    let makeups_left_this_month = match &program.check_in.makeup {
        None => 0,
        Some(rules) => rules.max_per_month.saturating_sub(makeups_in_month(program, state, today)),
    };
    Some(Calendar {
        year,
        month,
        days,
        streak: streak(program, state, now),
        makeup_cost: program.check_in.makeup.as_ref().map(|m| m.cost_points),
        makeups_left_this_month,
        archived: state.past.check_ins_before.is_some_and(|before| first < before),
    })
}

/// The business day the member joined: days before it were never theirs to miss.
fn joined_day(program: &Program, state: &MemberState) -> Day {
    program.business_day(state.joined_at)
}

/// Makeup check-ins made (by the day they were made) in the calendar month of `today`.
fn makeups_in_month(program: &Program, state: &MemberState, today: Day) -> u32 {
    state
        .check_ins
        .iter()
        .filter(|c| c.kind == CheckInKind::Makeup)
        .filter(|c| {
            let d = program.business_day(c.at);
            (d.year(), d.month()) == (today.year(), today.month())
        })
        .count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program() -> Program {
        Program::from_json(include_str!("../../../programs/health-food.json")).expect("demo program")
    }

    #[test]
    fn an_offline_check_in_keeps_its_day_within_the_grace_and_is_moved_with_a_notice_after() {
        let p = program(); // offlineGraceMinutes: 60 by default; China time
        let before_midnight = 1_796_227_140_000; // Wed 2 Dec 2026 23:59 +08:00
        let minute = crate::time::MS_PER_MINUTE;
        assert_eq!(counted_at(&p, before_midnight, before_midnight + 2 * minute), (before_midnight, None));
        assert_eq!(counted_at(&p, before_midnight, before_midnight + 60 * minute), (before_midnight, None));
        let late = before_midnight + 61 * minute;
        let (at, notice) = counted_at(&p, before_midnight, late);
        assert_eq!(at, late);
        let notice = crate::error::Rejection::from(notice.expect("another day"));
        assert_eq!(notice.code(), "CHECK_IN_DAY_MOVED");
        assert_eq!(notice.details(), serde_json::json!({ "madeOn": "2026-12-02", "countedOn": "2026-12-03", "graceMinutes": 60 }));
        // Late, but the same day: no notice. A device clock ahead of the server's counts now.
        assert_eq!(counted_at(&p, before_midnight - 3 * 60 * minute, before_midnight), (before_midnight, None));
        let (at, notice) = counted_at(&p, late, before_midnight);
        assert_eq!(at, before_midnight);
        assert!(notice.is_some(), "the device thought it was already the 3rd");
        // Whatever time a device sends, nothing overflows.
        assert_eq!(counted_at(&p, i64::MIN, late).0, late);
        assert_eq!(counted_at(&p, i64::MAX, late).0, late);
    }
}
