//! Errors: one enum per domain area, each with a stable `code` (SCREAMING_SNAKE_CASE) and a clear
//! message. `Rejection` wraps them all for `apply`; it serializes as `{code, message, details}`.

use crate::units::{Fen, Points};
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
    /// Not a rejection: an offline check-in that reached the server after the grace counts for
    /// the server's day; the device shows it as a reversal naming both days.
    DayMoved { made_on: String, counted_on: String, grace_minutes: u32 },
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
    /// `quote` is the new quote as JSON (what the client shows), `actual` its total.
    PriceChanged { expected: Fen, actual: Fen, quote: Box<Value> },
    OrderNotFound { order_id: String },
    /// Paying, cancelling or expiring an order that is not awaiting payment; `status` is
    /// `paid`, `cancelled` or `refunded`.
    NotAwaitingPayment { order_id: String, status: &'static str },
    /// The store tried to expire an order before its deadline.
    PaymentWindowOpen { order_id: String, pay_by: crate::time::Instant },
    /// A payment result for another amount than the order's total: nothing changes.
    PaymentAmountMismatch { order_id: String, expected: Fen, paid: Fen },
    /// Refunding an order that was never paid (cancel it instead).
    NotPaid { order_id: String },
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

/// A change only the store makes (a payment result, an expired order) came from a member's device.
#[derive(Clone, Debug, PartialEq)]
pub enum OriginError {
    StoreOnly { mutation: &'static str },
}

/// An operator's change (§15) that does not apply to this member.
#[derive(Clone, Debug, PartialEq)]
pub enum OperatorError {
    /// The campaign already issued its coupon to this member.
    AlreadyIssued { campaign: String },
    /// The member is not in the campaign's segment now.
    NotInSegment { segment: String },
    /// Only an unused coupon can be revoked; `status` is `locked` or `used`.
    CouponNotRevocable { coupon: String, status: &'static str },
}

/// A referral (§14) that does not apply.
#[derive(Clone, Debug, PartialEq)]
pub enum ReferralError {
    NotOffered,
    OwnCode,
    /// The member accepted a code before (`code`): one referrer, never changed.
    AlreadyBound { code: String },
    /// The code's owner was referred by this member.
    Loop { code: String },
    TooLate { bind_days: u32 },
    AfterOrder,
    CodeUnknown { code: String },
    /// The store's change names a friend the referrer's state does not list.
    FriendNotFound { friend: String },
    /// The store's change does not fit where the friend stands.
    FriendSettled { friend: String, status: crate::state::FriendStatus },
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
    Origin(OriginError),
    Operator(OperatorError),
    Referral(ReferralError),
}


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
            InputError::Invalid { what, path, problem } => f.write_str(&invalid(what, path, problem)),
        }
    }
}

impl InputError {
    /// Parse JSON input, naming the path of the first problem.
    pub fn parse<T: serde::de::DeserializeOwned>(what: &'static str, text: &str) -> Result<T, InputError> {
        crate::json_path::parse(text).map_err(|e| InputError::Invalid { what, path: e.path, problem: e.problem })
    }
}

/// The one table of rejections: each stable code once, with every variant that carries it, its
/// message and its details. `code()`, `message()`, `details()`, `ALL_CODES` and the TypeScript
/// `ErrorCode` union are all generated from it. (`INVALID_PROGRAM` belongs to `ProgramError`.)
macro_rules! rejections {
    ($( $code:literal { $( $pattern:pat => ($message:expr, $details:expr $(,)?) ),+ $(,)? } )*) => {
        /// Every stable error code, for documentation and tests.
        pub const ALL_CODES: &[&str] = &["INVALID_PROGRAM", $($code),*];

        /// The TypeScript union of every code (in the package's generated types).
        pub const ERROR_CODE_TS: &str = concat!(
            "/** Every error code siyu throws or returns. */\nexport type ErrorCode =\n  | \"INVALID_PROGRAM\"",
            $( "\n  | \"", $code, "\"", )*
            ";\n"
        );

        impl Rejection {
            #[allow(unused_variables)]
            pub fn code(&self) -> &'static str {
                match self { $( $( $pattern => $code, )+ )* }
            }

            #[allow(unused_variables)]
            pub fn message(&self) -> String {
                match self { $( $( $pattern => $message, )+ )* }
            }

            #[allow(unused_variables)]
            pub fn details(&self) -> Value {
                match self { $( $( $pattern => $details, )+ )* }
            }
        }
    };
}

use Rejection as R;

rejections! {
    "INVALID_INPUT" {
        R::Input(InputError::Invalid { what, path, problem }) =>
            (invalid(what, path, problem), json!({ "input": what, "path": path, "problem": problem })),
    }
    "ALREADY_CHECKED_IN" {
        R::CheckIn(CheckInError::AlreadyCheckedIn { day }) => (format!("already checked in on {day}"), json!({ "day": day })),
    }
    "MAKEUP_NOT_OFFERED" {
        R::CheckIn(CheckInError::MakeupNotOffered) => ("this program offers no makeup check-in".into(), json!({})),
    }
    "MAKEUP_DAY_NOT_MISSED" {
        R::CheckIn(CheckInError::MakeupDayNotMissed { day, reason }) =>
            (format!("{day} is not a missed day: {reason}"), json!({ "day": day, "reason": reason })),
    }
    "MAKEUP_OUT_OF_WINDOW" {
        R::CheckIn(CheckInError::MakeupOutOfWindow { day, rule: MakeupLimit::Window { window_days } }) => (
            format!("{day} is more than {window_days} days back: outside the makeup window"),
            json!({ "day": day, "rule": "window", "windowDays": window_days }),
        ),
        R::CheckIn(CheckInError::MakeupOutOfWindow { day, rule: MakeupLimit::Cycle { cycle_start } }) => (
            format!("{day} is outside the current cycle, which started on {cycle_start}"),
            json!({ "day": day, "rule": "cycle", "cycleStart": cycle_start }),
        ),
    }
    "MAKEUP_LIMIT_REACHED" {
        R::CheckIn(CheckInError::MakeupLimitReached { max_per_month }) =>
            (format!("at most {max_per_month} makeup check-ins per month"), json!({ "maxPerMonth": max_per_month })),
    }
    "CHECK_IN_DAY_MOVED" {
        R::CheckIn(CheckInError::DayMoved { made_on, counted_on, grace_minutes }) => (
            format!("the check-in made offline on {made_on} reached the store more than {grace_minutes} minutes later: it counts for {counted_on}"),
            json!({ "madeOn": made_on, "countedOn": counted_on, "graceMinutes": grace_minutes }),
        ),
    }
    "INSUFFICIENT_POINTS" {
        R::Points(PointsError::Insufficient { needed, balance }) =>
            (format!("needs {needed} points, balance is {balance}"), json!({ "needed": needed, "balance": balance })),
    }
    "BELOW_MIN_BALANCE" {
        R::Points(PointsError::BelowMinBalance { min_balance, balance }) => (
            format!("paying with points needs a balance of at least {min_balance}, balance is {balance}"),
            json!({ "minBalance": min_balance, "balance": balance }),
        ),
    }
    "UNKNOWN_TEMPLATE" {
        R::Coupon(CouponError::UnknownTemplate { template }) => (format!("unknown coupon template {template:?}"), json!({ "template": template })),
    }
    "NOT_CLAIMABLE" {
        R::Coupon(CouponError::NotClaimable { template }) =>
            (format!("coupon {template:?} is not offered for claiming"), json!({ "template": template })),
    }
    "COUPON_ENDED" {
        R::Coupon(CouponError::Ended { template, ended_at }) =>
            (format!("coupon {template:?} has ended: its validity is over"), json!({ "template": template, "endedAt": ended_at })),
    }
    "AUDIENCE" {
        R::Coupon(CouponError::Audience { template, reason }) =>
            (format!("coupon {template:?} is not for this member: {reason}"), json!({ "template": template, "reason": reason })),
    }
    "PER_MEMBER_LIMIT" {
        R::Coupon(CouponError::PerMemberLimit { template, limit }) =>
            (format!("coupon {template:?} may be claimed {limit} time(s) per member"), json!({ "template": template, "limit": limit })),
    }
    "QUOTA_EXHAUSTED" {
        R::Coupon(CouponError::QuotaExhausted { template }) => (format!("coupon {template:?} has run out"), json!({ "template": template })),
    }
    "COUPON_NOT_FOUND" {
        R::Coupon(CouponError::CouponNotFound { coupon }) => (format!("no coupon {coupon:?} in the wallet"), json!({ "coupon": coupon })),
    }
    "COUPON_UNUSABLE" {
        R::Coupon(CouponError::CouponUnusable { coupon, reason }) =>
            (format!("coupon {coupon:?} cannot be used for this order: {reason}"), json!({ "coupon": coupon, "reason": reason })),
    }
    "EMPTY_CART" {
        R::Order(OrderError::EmptyCart) => ("the order has no lines".into(), json!({})),
    }
    "UNKNOWN_SKU" {
        R::Order(OrderError::UnknownSku { sku }) => (format!("unknown SKU {sku:?}"), json!({ "sku": sku })),
    }
    "INVALID_QUANTITY" {
        R::Order(OrderError::InvalidQuantity { sku }) => (format!("quantity of {sku:?} must be 1..=999"), json!({ "sku": sku })),
    }
    "TOO_MANY_COUPONS" {
        R::Order(OrderError::TooManyCoupons { max }) => (format!("at most {max} coupons can be chosen for one order"), json!({ "max": max })),
    }
    "TOO_MANY_LINES" {
        R::Order(OrderError::TooManyLines { max }) => (format!("a cart has at most {max} lines"), json!({ "max": max })),
    }
    "AMOUNT_TOO_LARGE" {
        R::Order(OrderError::AmountTooLarge { what }) =>
            (format!("the cart is too large to price exactly: {what} out of range"), json!({ "what": what })),
    }
    "INVALID_ORDER_ID" {
        R::Order(OrderError::InvalidOrderId) => ("order id must be 1..=64 characters".into(), json!({})),
    }
    "DUPLICATE_ORDER_ID" {
        R::Order(OrderError::DuplicateOrderId { order_id }) => (format!("order {order_id:?} already exists"), json!({ "orderId": order_id })),
    }
    "LINE_UNAVAILABLE" {
        R::Order(OrderError::LineUnavailable { sku, reason }) =>
            (format!("{sku:?} cannot be bought now: {reason}"), json!({ "sku": sku, "reason": reason })),
    }
    "PRICE_CHANGED" {
        R::Order(OrderError::PriceChanged { expected, actual, quote }) => (
            format!("the total changed from {} to {}: please confirm the new price", yuan(*expected), yuan(*actual)),
            json!({ "expected": expected, "actual": actual, "quote": quote }),
        ),
    }
    "ORDER_NOT_FOUND" {
        R::Order(OrderError::OrderNotFound { order_id }) => (format!("no order {order_id:?}"), json!({ "orderId": order_id })),
    }
    "ORDER_NOT_AWAITING_PAYMENT" {
        R::Order(OrderError::NotAwaitingPayment { order_id, status }) =>
            (format!("order {order_id:?} is not awaiting payment: it is {status}"), json!({ "orderId": order_id, "status": status })),
    }
    "PAYMENT_WINDOW_OPEN" {
        R::Order(OrderError::PaymentWindowOpen { order_id, pay_by }) =>
            (format!("order {order_id:?} can still be paid until its deadline"), json!({ "orderId": order_id, "payBy": pay_by })),
    }
    "PAYMENT_AMOUNT_MISMATCH" {
        R::Order(OrderError::PaymentAmountMismatch { order_id, expected, paid }) => (
            format!("the payment for order {order_id:?} was {}, its total is {}", yuan(*paid), yuan(*expected)),
            json!({ "orderId": order_id, "expected": expected, "paid": paid }),
        ),
    }
    "ORDER_NOT_PAID" {
        R::Order(OrderError::NotPaid { order_id }) =>
            (format!("order {order_id:?} was not paid: there is nothing to refund"), json!({ "orderId": order_id })),
    }
    "ALREADY_REFUNDED" {
        R::Order(OrderError::AlreadyRefunded { order_id }) => (format!("order {order_id:?} is already refunded"), json!({ "orderId": order_id })),
    }
    "REFUND_WINDOW_CLOSED" {
        R::Order(OrderError::RefundWindowClosed { order_id, refund_days }) => (
            format!("order {order_id:?} is past its {refund_days}-day refund window"),
            json!({ "orderId": order_id, "refundDays": refund_days }),
        ),
    }
    "UNKNOWN_REWARD" {
        R::Reward(RewardError::UnknownReward { reward }) => (format!("unknown reward {reward:?}"), json!({ "reward": reward })),
    }
    "REWARD_LIMIT_REACHED" {
        R::Reward(RewardError::LimitReached { reward, limit }) =>
            (format!("reward {reward:?} may be redeemed {limit} time(s) per member"), json!({ "reward": reward, "limit": limit })),
    }
    "OUT_OF_STOCK" {
        R::Reward(RewardError::OutOfStock { reward }) => (format!("reward {reward:?} is out of stock"), json!({ "reward": reward })),
    }
    "BIRTHDAY_ALREADY_SET" {
        R::Birthday(BirthdayError::AlreadySet) => ("the birthday is set once and cannot be changed".into(), json!({})),
    }
    "CAMPAIGN_ALREADY_ISSUED" {
        R::Operator(OperatorError::AlreadyIssued { campaign }) =>
            (format!("campaign {campaign:?} already issued its coupon to this member"), json!({ "campaign": campaign })),
    }
    "NOT_IN_SEGMENT" {
        R::Operator(OperatorError::NotInSegment { segment }) => (format!("the member is not in segment {segment:?}"), json!({ "segment": segment })),
    }
    "COUPON_NOT_REVOCABLE" {
        R::Operator(OperatorError::CouponNotRevocable { coupon, status }) =>
            (format!("coupon {coupon:?} is {status}: only an unused coupon can be revoked"), json!({ "coupon": coupon, "status": status })),
    }
    "REFERRAL_NOT_OFFERED" {
        R::Referral(ReferralError::NotOffered) => ("the store has no referral programme".into(), json!({})),
    }
    "REFERRAL_OWN_CODE" {
        R::Referral(ReferralError::OwnCode) => ("this is the member's own referral code".into(), json!({})),
    }
    "REFERRAL_ALREADY_BOUND" {
        R::Referral(ReferralError::AlreadyBound { code }) => (format!("the member already accepted referral code {code}"), json!({ "code": code })),
    }
    "REFERRAL_LOOP" {
        R::Referral(ReferralError::Loop { code }) => (format!("code {code} belongs to a member this member referred"), json!({ "code": code })),
    }
    "REFERRAL_TOO_LATE" {
        R::Referral(ReferralError::TooLate { bind_days }) => (format!("a code is accepted within {bind_days} days of joining"), json!({ "bindDays": bind_days })),
    }
    "REFERRAL_AFTER_ORDER" {
        R::Referral(ReferralError::AfterOrder) => ("a code is accepted before the first paid order".into(), json!({})),
    }
    "REFERRAL_CODE_UNKNOWN" {
        R::Referral(ReferralError::CodeUnknown { code }) => (format!("no member has referral code {code}"), json!({ "code": code })),
    }
    "REFERRAL_FRIEND_NOT_FOUND" {
        R::Referral(ReferralError::FriendNotFound { friend }) => (format!("friend {friend} is not listed"), json!({ "friend": friend })),
    }
    "REFERRAL_FRIEND_SETTLED" {
        R::Referral(ReferralError::FriendSettled { friend, status }) =>
            (format!("friend {friend} is {status:?}"), json!({ "friend": friend, "status": status })),
    }
    "STORE_ONLY" {
        R::Origin(OriginError::StoreOnly { mutation }) =>
            (format!("`{mutation}` is decided by the store, not by a member's device"), json!({ "mutation": mutation })),
    }
}

fn invalid(what: &str, path: &str, problem: &str) -> String {
    if path.is_empty() {
        format!("invalid {what}: {problem}")
    } else {
        format!("invalid {what} at {path}: {problem}")
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
    OrderError => Order, RewardError => Reward, BirthdayError => Birthday, OriginError => Origin, OperatorError => Operator, ReferralError => Referral);

/// ¥12.30 — for messages only; the UI formats money itself.
pub fn yuan(fen: Fen) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}¥{}.{:02}", abs / 100, abs % 100)
}
