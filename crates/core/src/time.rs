//! Instants, business days and the calendar (§0).
//!
//! An instant is milliseconds since the Unix epoch. A business day is the calendar date in the
//! program's fixed UTC offset, stored as the number of days since 1970-01-01 and written as
//! `YYYY-MM-DD` across the boundary.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Milliseconds since the Unix epoch.
pub type Instant = i64;

pub const MS_PER_DAY: i64 = 86_400_000;
pub const MS_PER_MINUTE: i64 = 60_000;

/// A calendar date (the business day), as days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i32);

impl Day {
    /// The business day containing `at` in a zone `offset_minutes` east of UTC.
    pub fn of(at: Instant, offset_minutes: i32) -> Day {
        let local = at as i128 + offset_minutes as i128 * MS_PER_MINUTE as i128;
        Day(local.div_euclid(MS_PER_DAY as i128) as i32)
    }

    /// The first instant of this business day.
    pub fn start(self, offset_minutes: i32) -> Instant {
        self.0 as i64 * MS_PER_DAY - offset_minutes as i64 * MS_PER_MINUTE
    }

    /// The first instant after this business day (exclusive end).
    pub fn end(self, offset_minutes: i32) -> Instant {
        self.plus(1).start(offset_minutes)
    }

    pub fn plus(self, days: i32) -> Day {
        Day(self.0.saturating_add(days))
    }

    /// ISO weekday: 1 = Monday … 7 = Sunday.
    pub fn weekday(self) -> u8 {
        // 1970-01-01 was a Thursday (4).
        ((self.0 as i64 + 3).rem_euclid(7) + 1) as u8
    }

    /// Monday of this day's week.
    pub fn monday(self) -> Day {
        Day(self.0 - (self.weekday() as i32 - 1))
    }

    pub fn ymd(self) -> (i32, u8, u8) {
        civil_from_days(self.0 as i64)
    }

    pub fn year(self) -> i32 {
        self.ymd().0
    }

    pub fn month(self) -> u8 {
        self.ymd().1
    }

    pub fn day_of_month(self) -> u8 {
        self.ymd().2
    }

    /// The first day of this day's month.
    pub fn first_of_month(self) -> Day {
        let (y, m, _) = self.ymd();
        Day::from_ymd(y, m, 1).unwrap_or(self)
    }

    pub fn from_ymd(year: i32, month: u8, day: u8) -> Option<Day> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Day(days_from_civil(year, month, day) as i32))
    }

    pub fn parse(text: &str) -> Option<Day> {
        let mut parts = text.splitn(3, '-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        Day::from_ymd(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        Day::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("expected a date YYYY-MM-DD, got {text:?}")))
    }
}

pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i32, m: u8, d: u8) -> i64 {
    let y = y as i64 - if m <= 2 { 1 } else { 0 };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i32, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    ((y + if m <= 2 { 1 } else { 0 }) as i32, m, d)
}

/// A birthday: month and day, written `MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonthDay {
    pub month: u8,
    pub day: u8,
}

impl MonthDay {
    pub fn parse(text: &str) -> Option<MonthDay> {
        let (m, d) = text.split_once('-')?;
        if m.len() != 2 || d.len() != 2 {
            return None;
        }
        let (month, day): (u8, u8) = (m.parse().ok()?, d.parse().ok()?);
        // 29 Feb is a valid birthday; it falls on 28 Feb in common years.
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(2000, month) {
            return None;
        }
        Some(MonthDay { month, day })
    }

    /// The date of this birthday in `year` (29 Feb → 28 Feb in common years).
    pub fn in_year(self, year: i32) -> Day {
        let day = self.day.min(days_in_month(year, self.month));
        Day::from_ymd(year, self.month, day).unwrap_or(Day(0))
    }
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

impl Serialize for MonthDay {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MonthDay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        MonthDay::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("expected a birthday MM-DD, got {text:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_day_in_china_time() {
        // 2026-11-22 00:30 in UTC+8 is 2026-11-21 16:30 UTC.
        let at = Day::from_ymd(2026, 11, 22).unwrap().start(480) + 30 * MS_PER_MINUTE;
        assert_eq!(Day::of(at, 480).to_string(), "2026-11-22");
        assert_eq!(Day::of(at, 0).to_string(), "2026-11-21");
        assert_eq!(Day::of(at - 31 * MS_PER_MINUTE, 480).to_string(), "2026-11-21");
    }

    #[test]
    fn weekdays_and_months() {
        let d = Day::parse("2026-11-22").unwrap();
        assert_eq!(d.weekday(), 7); // a Sunday
        assert_eq!(d.monday().to_string(), "2026-11-16");
        assert_eq!(d.first_of_month().to_string(), "2026-11-01");
        assert_eq!(Day::parse("2024-02-29").unwrap().plus(1).to_string(), "2024-03-01");
        assert!(Day::parse("2026-02-29").is_none());
        assert_eq!(MonthDay::parse("02-29").unwrap().in_year(2026).to_string(), "2026-02-28");
    }

    #[test]
    fn round_trip_many_days() {
        // 1900-01-01 .. 2199-12-31
        for n in -25_567..84_000 {
            let d = Day(n);
            assert_eq!(Day::parse(&d.to_string()), Some(d));
            assert_eq!(d.plus(1).weekday() % 7, (d.weekday() + 1) % 7);
        }
    }
}
