//! §11 Reminders due at `now`.

use crate::coupons::CouponStatus;
use crate::program::{Points, Program};
use crate::state::MemberState;
use crate::time::{Day, Instant, MS_PER_MINUTE};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Reminder {
    /// An available coupon ends within `remindDays`.
    #[serde(rename_all = "camelCase")]
    CouponExpiring { coupon: String, template: String, name: String, valid_to: Instant, days_left: i64 },
    /// Points expire within 30 days.
    #[serde(rename_all = "camelCase")]
    PointsExpiring { points: Points, first_expiry: Instant },
    /// Not checked in today, past the reminder hour.
    #[serde(rename_all = "camelCase")]
    StreakAtRisk { streak: u32, todays_reward: Points },
    /// Member day is today or tomorrow.
    #[serde(rename_all = "camelCase")]
    MemberDay {
        #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "Day"))]
        day: Day,
        today: bool,
    },
    /// The birthday window is open and the birthday coupon is unclaimed.
    #[serde(rename_all = "camelCase")]
    BirthdayCoupon { template: String },
}

pub fn due(program: &Program, state: &MemberState, now: Instant) -> Vec<Reminder> {
    let mut out = Vec::new();
    let off = program.utc_offset_minutes;
    let today = Day::of(now, off);
    let wallet = crate::coupons::wallet(program, state, now, &[]);
    for c in wallet.expiring.iter().filter(|c| c.status == CouponStatus::Available) {
        out.push(Reminder::CouponExpiring {
            coupon: c.id.clone(),
            template: c.template.clone(),
            name: c.name.clone(),
            valid_to: c.valid_to,
            days_left: c.days_left,
        });
    }
    let (points, first_expiry) = crate::points::expiring_soon(state, now);
    if points > 0 {
        out.push(Reminder::PointsExpiring { points, first_expiry: first_expiry.unwrap_or(now) });
    }
    let streak = crate::checkin::streak(program, state, now);
    let hour = now.saturating_sub(today.start(off)) / (60 * MS_PER_MINUTE);
    if !streak.checked_in_today && hour >= program.check_in.reminder_hour as i64 {
        out.push(Reminder::StreakAtRisk { streak: streak.streak, todays_reward: streak.todays_reward });
    }
    for (day, is_today) in [(today, true), (today.plus(1), false)] {
        if crate::member_day::is_member_day(program, day) {
            out.push(Reminder::MemberDay { day, today: is_today });
            break;
        }
    }
    if crate::birthday::in_window(program, state, today) && !crate::birthday::claimed_in_year(program, state, today.year()) {
        let tier = crate::tiers::current_tier(program, state, now);
        if let Some(t) = crate::birthday::coupon_template(program, tier) {
            out.push(Reminder::BirthdayCoupon { template: t.to_string() });
        }
    }
    out
}
