//! Errors: one enum per domain area, each with a stable `code` (SCREAMING_SNAKE_CASE) and a clear
//! message. `Rejection` wraps them all for `apply`; it serializes as `{code, message, details}`.

use crate::program::{Fen, Points};
use crate::quote::Quote;
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt;

/// The program (merchant configuration) is invalid.
#[derive(Clone, Debug, PartialEq)]
pub enum ProgramError {
    Invalid { path: String, problem: String },
}

/// Input from the caller (snapshot, cart, mutation arguments) is malformed.
#[derive(Clone, Debug, PartialEq)]
pub enum InputError {
    Invalid { what: &'static str, path: String, problem: String },
}

#[derive(Clone, Debug, PartialEq)]
pub enum CheckInError {
    AlreadyCheckedIn { day: String },
    MakeupNotOffered,
    /// `reason` says which: already checked in, today or later, or before the member joined.
    MakeupDayNotMissed { day: String, reason: &'static str },
    /// `rule` says which limit the day breaks: the makeup window or the current cycle.
    MakeupOutOfWindow { day: String, rule: MakeupLimit },
    MakeupLimitReached { max_per_month: u32 },
}

/// The limit a makeup day falls outside of.
#[derive(Clone, Debug, PartialEq)]
pub enum MakeupLimit {
    /// More than `window_days` days back.
    Window { window_days: u32 },
    /// Before the first day of the current check-in cycle.
    Cycle { cycle_start: String },
}

#[derive(Clone, Debug, PartialEq)]
pub enum PointsError {
    Insufficient { needed: Points, balance: Points },
    BelowMinBalance { min_balance: Points, balance: Points },
}

#[derive(Clone, Debug, PartialEq)]
pub enum CouponError {
    UnknownTemplate { template: String },
    NotClaimable { template: String },
    /// The template's fixed validity is over: nothing it issues could be used.
    Ended { template: String, ended_at: crate::time::Instant },
    Audience { template: String, reason: &'static str },
    PerMemberLimit { template: String, limit: u32 },
    QuotaExhausted { template: String },
    CouponNotFound { coupon: String },
    CouponUnusable { coupon: String, reason: &'static str },
}

#[derive(Clone, Debug, PartialEq)]
pub enum OrderError {
    EmptyCart,
    UnknownSku { sku: String },
    InvalidQuantity { sku: String },
    TooManyCoupons { max: usize },
    TooManyLines { max: usize },
    /// The cart's amounts (e.g. the points it would earn) exceed what is priced exactly.
    AmountTooLarge { what: &'static str },
    InvalidOrderId,
    DuplicateOrderId { order_id: String },
    LineUnavailable { sku: String, reason: &'static str },
    PriceChanged { expected: Fen, quote: Box<Quote> },
    OrderNotFound { order_id: String },
    AlreadyRefunded { order_id: String },
    RefundWindowClosed { order_id: String, refund_days: u32 },
}

#[derive(Clone, Debug, PartialEq)]
pub enum RewardError {
    UnknownReward { reward: String },
    LimitReached { reward: String, limit: u32 },
    OutOfStock { reward: String },
}

#[derive(Clone, Debug, PartialEq)]
pub enum BirthdayError {
    AlreadySet,
}

/// Why a mutation was not applied.
#[derive(Clone, Debug, PartialEq)]
pub enum Rejection {
    Input(InputError),
    CheckIn(CheckInError),
    Points(PointsError),
    Coupon(CouponError),
    Order(OrderError),
    Reward(RewardError),
    Birthday(BirthdayError),
}

/// Every stable error code, for documentation and tests.
pub const ALL_CODES: &[&str] = &[
    "INVALID_PROGRAM",
    "INVALID_INPUT",
    "ALREADY_CHECKED_IN",
    "MAKEUP_NOT_OFFERED",
    "MAKEUP_DAY_NOT_MISSED",
    "MAKEUP_OUT_OF_WINDOW",
    "MAKEUP_LIMIT_REACHED",
    "INSUFFICIENT_POINTS",
    "BELOW_MIN_BALANCE",
    "UNKNOWN_TEMPLATE",
    "NOT_CLAIMABLE",
    "COUPON_ENDED",
    "AUDIENCE",
    "PER_MEMBER_LIMIT",
    "QUOTA_EXHAUSTED",
    "COUPON_NOT_FOUND",
    "COUPON_UNUSABLE",
    "EMPTY_CART",
    "UNKNOWN_SKU",
    "INVALID_QUANTITY",
    "TOO_MANY_COUPONS",
    "TOO_MANY_LINES",
    "AMOUNT_TOO_LARGE",
    "INVALID_ORDER_ID",
    "DUPLICATE_ORDER_ID",
    "LINE_UNAVAILABLE",
    "PRICE_CHANGED",
    "ORDER_NOT_FOUND",
    "ALREADY_REFUNDED",
    "REFUND_WINDOW_CLOSED",
    "UNKNOWN_REWARD",
    "REWARD_LIMIT_REACHED",
    "OUT_OF_STOCK",
    "BIRTHDAY_ALREADY_SET",
];

impl ProgramError {
    pub fn code(&self) -> &'static str {
        "INVALID_PROGRAM"
    }
    pub fn details(&self) -> Value {
        match self {
            ProgramError::Invalid { path, problem } => json!({ "path": path, "problem": problem }),
        }
    }
}

impl fmt::Display for ProgramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProgramError::Invalid { path, problem } if path.is_empty() => write!(f, "invalid program: {problem}"),
            ProgramError::Invalid { path, problem } => write!(f, "invalid program at {path}: {problem}"),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Invalid { what, path, problem } if path.is_empty() => write!(f, "invalid {what}: {problem}"),
            InputError::Invalid { what, path, problem } => write!(f, "invalid {what} at {path}: {problem}"),
        }
    }
}

impl InputError {
    /// Parse JSON input, naming the path of the first problem.
    pub fn parse<T: serde::de::DeserializeOwned>(what: &'static str, text: &str) -> Result<T, InputError> {
        crate::json_path::parse(text).map_err(|e| InputError::Invalid { what, path: e.path, problem: e.problem })
    }
}

impl Rejection {
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::Input(_) => "INVALID_INPUT",
            Rejection::CheckIn(e) => match e {
                CheckInError::AlreadyCheckedIn { .. } => "ALREADY_CHECKED_IN",
                CheckInError::MakeupNotOffered => "MAKEUP_NOT_OFFERED",
                CheckInError::MakeupDayNotMissed { .. } => "MAKEUP_DAY_NOT_MISSED",
                CheckInError::MakeupOutOfWindow { .. } => "MAKEUP_OUT_OF_WINDOW",
                CheckInError::MakeupLimitReached { .. } => "MAKEUP_LIMIT_REACHED",
            },
            Rejection::Points(e) => match e {
                PointsError::Insufficient { .. } => "INSUFFICIENT_POINTS",
                PointsError::BelowMinBalance { .. } => "BELOW_MIN_BALANCE",
            },
            Rejection::Coupon(e) => match e {
                CouponError::UnknownTemplate { .. } => "UNKNOWN_TEMPLATE",
                CouponError::NotClaimable { .. } => "NOT_CLAIMABLE",
                CouponError::Ended { .. } => "COUPON_ENDED",
                CouponError::Audience { .. } => "AUDIENCE",
                CouponError::PerMemberLimit { .. } => "PER_MEMBER_LIMIT",
                CouponError::QuotaExhausted { .. } => "QUOTA_EXHAUSTED",
                CouponError::CouponNotFound { .. } => "COUPON_NOT_FOUND",
                CouponError::CouponUnusable { .. } => "COUPON_UNUSABLE",
            },
            Rejection::Order(e) => match e {
                OrderError::EmptyCart => "EMPTY_CART",
                OrderError::UnknownSku { .. } => "UNKNOWN_SKU",
                OrderError::InvalidQuantity { .. } => "INVALID_QUANTITY",
                OrderError::TooManyCoupons { .. } => "TOO_MANY_COUPONS",
                OrderError::TooManyLines { .. } => "TOO_MANY_LINES",
                OrderError::AmountTooLarge { .. } => "AMOUNT_TOO_LARGE",
                OrderError::InvalidOrderId => "INVALID_ORDER_ID",
                OrderError::DuplicateOrderId { .. } => "DUPLICATE_ORDER_ID",
                OrderError::LineUnavailable { .. } => "LINE_UNAVAILABLE",
                OrderError::PriceChanged { .. } => "PRICE_CHANGED",
                OrderError::OrderNotFound { .. } => "ORDER_NOT_FOUND",
                OrderError::AlreadyRefunded { .. } => "ALREADY_REFUNDED",
                OrderError::RefundWindowClosed { .. } => "REFUND_WINDOW_CLOSED",
            },
            Rejection::Reward(e) => match e {
                RewardError::UnknownReward { .. } => "UNKNOWN_REWARD",
                RewardError::LimitReached { .. } => "REWARD_LIMIT_REACHED",
                RewardError::OutOfStock { .. } => "OUT_OF_STOCK",
            },
            Rejection::Birthday(BirthdayError::AlreadySet) => "BIRTHDAY_ALREADY_SET",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Rejection::Input(e) => e.to_string(),
            Rejection::CheckIn(e) => match e {
                CheckInError::AlreadyCheckedIn { day } => format!("already checked in on {day}"),
                CheckInError::MakeupNotOffered => "this program offers no makeup check-in".into(),
                CheckInError::MakeupDayNotMissed { day, reason } => format!("{day} is not a missed day: {reason}"),
                CheckInError::MakeupOutOfWindow { day, rule: MakeupLimit::Window { window_days } } => {
                    format!("{day} is more than {window_days} days back: outside the makeup window")
                }
                CheckInError::MakeupOutOfWindow { day, rule: MakeupLimit::Cycle { cycle_start } } => {
                    format!("{day} is outside the current cycle, which started on {cycle_start}")
                }
                CheckInError::MakeupLimitReached { max_per_month } => format!("at most {max_per_month} makeup check-ins per month"),
            },
            Rejection::Points(e) => match e {
                PointsError::Insufficient { needed, balance } => format!("needs {needed} points, balance is {balance}"),
                PointsError::BelowMinBalance { min_balance, balance } => {
                    format!("paying with points needs a balance of at least {min_balance}, balance is {balance}")
                }
            },
            Rejection::Coupon(e) => match e {
                CouponError::UnknownTemplate { template } => format!("unknown coupon template {template:?}"),
                CouponError::NotClaimable { template } => format!("coupon {template:?} is not offered for claiming"),
                CouponError::Ended { template, .. } => format!("coupon {template:?} has ended: its validity is over"),
                CouponError::Audience { template, reason } => format!("coupon {template:?} is not for this member: {reason}"),
                CouponError::PerMemberLimit { template, limit } => format!("coupon {template:?} may be claimed {limit} time(s) per member"),
                CouponError::QuotaExhausted { template } => format!("coupon {template:?} has run out"),
                CouponError::CouponNotFound { coupon } => format!("no coupon {coupon:?} in the wallet"),
                CouponError::CouponUnusable { coupon, reason } => format!("coupon {coupon:?} cannot be used for this order: {reason}"),
            },
            Rejection::Order(e) => match e {
                OrderError::EmptyCart => "the order has no lines".into(),
                OrderError::UnknownSku { sku } => format!("unknown SKU {sku:?}"),
                OrderError::InvalidQuantity { sku } => format!("quantity of {sku:?} must be 1..=999"),
                OrderError::TooManyCoupons { max } => format!("at most {max} coupons can be chosen for one order"),
                OrderError::TooManyLines { max } => format!("a cart has at most {max} lines"),
                OrderError::AmountTooLarge { what } => format!("the cart is too large to price exactly: {what} out of range"),
                OrderError::InvalidOrderId => "order id must be 1..=64 characters".into(),
                OrderError::DuplicateOrderId { order_id } => format!("order {order_id:?} already exists"),
                OrderError::LineUnavailable { sku, reason } => format!("{sku:?} cannot be bought now: {reason}"),
                OrderError::PriceChanged { expected, quote } => {
                    format!("the total changed from {} to {}: please confirm the new price", yuan(*expected), yuan(quote.total))
                }
                OrderError::OrderNotFound { order_id } => format!("no order {order_id:?}"),
                OrderError::AlreadyRefunded { order_id } => format!("order {order_id:?} is already refunded"),
                OrderError::RefundWindowClosed { order_id, refund_days } => {
                    format!("order {order_id:?} is past its {refund_days}-day refund window")
                }
            },
            Rejection::Reward(e) => match e {
                RewardError::UnknownReward { reward } => format!("unknown reward {reward:?}"),
                RewardError::LimitReached { reward, limit } => format!("reward {reward:?} may be redeemed {limit} time(s) per member"),
                RewardError::OutOfStock { reward } => format!("reward {reward:?} is out of stock"),
            },
            Rejection::Birthday(BirthdayError::AlreadySet) => "the birthday is set once and cannot be changed".into(),
        }
    }

    pub fn details(&self) -> Value {
        match self {
            Rejection::Input(InputError::Invalid { what, path, problem }) => json!({ "input": what, "path": path, "problem": problem }),
            Rejection::CheckIn(e) => match e {
                CheckInError::AlreadyCheckedIn { day } => json!({ "day": day }),
                CheckInError::MakeupDayNotMissed { day, reason } => json!({ "day": day, "reason": reason }),
                CheckInError::MakeupOutOfWindow { day, rule: MakeupLimit::Window { window_days } } => {
                    json!({ "day": day, "rule": "window", "windowDays": window_days })
                }
                CheckInError::MakeupOutOfWindow { day, rule: MakeupLimit::Cycle { cycle_start } } => {
                    json!({ "day": day, "rule": "cycle", "cycleStart": cycle_start })
                }
                CheckInError::MakeupLimitReached { max_per_month } => json!({ "maxPerMonth": max_per_month }),
                CheckInError::MakeupNotOffered => json!({}),
            },
            Rejection::Points(e) => match e {
                PointsError::Insufficient { needed, balance } => json!({ "needed": needed, "balance": balance }),
                PointsError::BelowMinBalance { min_balance, balance } => json!({ "minBalance": min_balance, "balance": balance }),
            },
            Rejection::Coupon(e) => match e {
                CouponError::UnknownTemplate { template }
                | CouponError::NotClaimable { template }
                | CouponError::QuotaExhausted { template } => json!({ "template": template }),
                CouponError::Ended { template, ended_at } => json!({ "template": template, "endedAt": ended_at }),
                CouponError::Audience { template, reason } => json!({ "template": template, "reason": reason }),
                CouponError::PerMemberLimit { template, limit } => json!({ "template": template, "limit": limit }),
                CouponError::CouponNotFound { coupon } => json!({ "coupon": coupon }),
                CouponError::CouponUnusable { coupon, reason } => json!({ "coupon": coupon, "reason": reason }),
            },
            Rejection::Order(e) => match e {
                OrderError::EmptyCart | OrderError::InvalidOrderId => json!({}),
                OrderError::UnknownSku { sku } | OrderError::InvalidQuantity { sku } => json!({ "sku": sku }),
                OrderError::TooManyCoupons { max } | OrderError::TooManyLines { max } => json!({ "max": max }),
                OrderError::AmountTooLarge { what } => json!({ "what": what }),
                OrderError::LineUnavailable { sku, reason } => json!({ "sku": sku, "reason": reason }),
                OrderError::PriceChanged { expected, quote } => {
                    // Through text, so the quote has one serializer in the module, not two.
                    let quote: Value = serde_json::to_string(quote).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(Value::Null);
                    json!({ "expected": expected, "actual": quote["total"], "quote": quote })
                }
                OrderError::DuplicateOrderId { order_id }
                | OrderError::OrderNotFound { order_id }
                | OrderError::AlreadyRefunded { order_id } => json!({ "orderId": order_id }),
                OrderError::RefundWindowClosed { order_id, refund_days } => json!({ "orderId": order_id, "refundDays": refund_days }),
            },
            Rejection::Reward(e) => match e {
                RewardError::UnknownReward { reward } | RewardError::OutOfStock { reward } => json!({ "reward": reward }),
                RewardError::LimitReached { reward, limit } => json!({ "reward": reward, "limit": limit }),
            },
            Rejection::Birthday(_) => json!({}),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Rejection {}
impl std::error::Error for ProgramError {}

impl Serialize for Rejection {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        json!({ "code": self.code(), "message": self.message(), "details": self.details() }).serialize(s)
    }
}

macro_rules! into_rejection {
    ($($t:ident => $v:ident),*) => {$(
        impl From<$t> for Rejection {
            fn from(e: $t) -> Self { Rejection::$v(e) }
        }
    )*};
}
into_rejection!(InputError => Input, CheckInError => CheckIn, PointsError => Points, CouponError => Coupon,
    OrderError => Order, RewardError => Reward, BirthdayError => Birthday);

/// ¥12.30 — for messages only; the UI formats money itself.
pub fn yuan(fen: Fen) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}¥{}.{:02}", abs / 100, abs % 100)
}
