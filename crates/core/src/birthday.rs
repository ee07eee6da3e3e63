//! §5 Birthday: the window around the member's birthday, its multiplier and its coupon.

use crate::program::{Bp, BirthdayWindow, Program, Tier, BP_ONE};
use crate::state::MemberState;
use crate::time::{Day, MonthDay};

/// The first and last day of the birthday window that contains or follows `today`'s year.
pub fn window(program: &Program, birthday: MonthDay, year: i32) -> Option<(Day, Day)> {
    let rules = program.birthday.as_ref()?;
    let day = birthday.in_year(year);
    Some(match rules.window {
        BirthdayWindow::Day => (day, day),
        BirthdayWindow::Week => (day.monday(), day.monday().plus(6)),
        BirthdayWindow::Month => {
            let first = day.first_of_month();
            (first, first.plus(crate::time::days_in_month(year, birthday.month) as i32 - 1))
        }
    })
}

/// Whether `today` is inside the member's birthday window (false without a birthday).
pub fn in_window(program: &Program, state: &MemberState, today: Day) -> bool {
    let Some(b) = state.birthday else { return false };
    // A week window of a birthday near New Year can straddle years: check both.
    [today.year() - 1, today.year(), today.year() + 1]
        .iter()
        .filter_map(|y| window(program, b, *y))
        .any(|(from, to)| from <= today && today <= to)
}

pub fn points_multiplier(program: &Program, state: &MemberState, today: Day) -> Bp {
    match &program.birthday {
        Some(rules) if in_window(program, state, today) => rules.points_multiplier_bp,
        _ => BP_ONE,
    }
}

/// The birthday coupon template for this tier: the tier's own, else the program's.
pub fn coupon_template<'p>(program: &'p Program, tier: &'p Tier) -> Option<&'p str> {
    tier.birthday_coupon.as_deref().or(program.birthday.as_ref()?.coupon.as_deref())
}

/// Whether a birthday coupon was already claimed in `year` (calendar year of the claim).
pub fn claimed_in_year(program: &Program, state: &MemberState, year: i32) -> bool {
    state.past.birthday_claim_year == Some(year)
        || state
        .coupons
        .iter()
        .any(|c| c.source == "birthday" && Day::of(c.claimed_at, program.utc_offset_minutes).year() == year)
}
