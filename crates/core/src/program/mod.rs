//! The program: the merchant's configuration (catalog, tiers, check-in, points, member day,
//! birthday, coupon templates, rewards, limited sales, promotions, shipping, time zone).
//!
//! It arrives as JSON and is validated when loaded. A bad program is refused with the JSON path
//! of the first problem, never defaulted silently.

use crate::error::ProgramError;
use crate::time::{Day, Instant};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use crate::units::{Bp, Fen, Points};

mod promotions;
pub use promotions::{BundleItem, Promotion, PromotionRule, PromotionTier, ThresholdBy, Window, MAX_PROMOTIONS};

pub const BP_ONE: Bp = 10_000;

fn default_offset() -> i32 {
    480
}
fn default_bp_one() -> Bp {
    BP_ONE
}
/// ¥1,000,000: a referral threshold above any order the store prices.
const MAX_MIN_FIRST_PAID: Fen = 100_000_000;

fn default_remind_days() -> u32 {
    3
}
fn default_refund_days() -> u32 {
    7
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Program {
    /// Shown to shoppers; not used by the rules.
    #[serde(default)]
    pub name: String,
    /// The name in other languages by language tag (`en`, `zh-Hant`…); `name` is the fallback.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional, type = "Record<string, string>"))]
    pub names: Names,
    /// The business day's fixed offset east of UTC, in minutes (default +480, China time).
    #[serde(default = "default_offset")]
    pub utc_offset_minutes: i32,
    #[serde(default)]
    pub categories: Vec<Category>,
    pub catalog: Vec<Sku>,
    pub tiers: Vec<Tier>,
    pub growth: GrowthBasis,
    pub check_in: CheckInRules,
    pub points: PointsRules,
    #[serde(default)]
    pub member_day: Option<MemberDayRules>,
    #[serde(default)]
    pub birthday: Option<BirthdayRules>,
    #[serde(default)]
    pub coupon_templates: Vec<CouponTemplate>,
    #[serde(default)]
    pub gifts: Gifts,
    #[serde(default)]
    pub rewards: Vec<Reward>,
    #[serde(default)]
    pub limited_sales: Vec<LimitedSale>,
    /// §13: automatic promotions, in the order they claim units and lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub promotions: Vec<Promotion>,
    pub shipping: Shipping,
    /// Days after an order is paid within which a full refund is accepted.
    #[serde(default = "default_refund_days")]
    pub refund_days: u32,
    /// How long a placed order waits for its payment (§8).
    #[serde(default)]
    pub payment: PaymentRules,
    /// §14 Referral (老带新); none: the store has no referral.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub referral: Option<ReferralRules>,
    /// A coupon counts as "expiring" this many days before its end (default 3).
    #[serde(default = "default_remind_days")]
    pub remind_days: u32,
    /// Lookups by id, built when the program is loaded.
    #[serde(skip)]
    pub(crate) index: Index,
}

/// §8: the payment window of an order placed with a total above 0.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentRules {
    /// Minutes after placing within which the order must be paid (default 15, 1..=1440).
    #[serde(default = "default_payment_window")]
    pub window_minutes: u32,
}

fn default_payment_window() -> u32 {
    15
}

impl Default for PaymentRules {
    fn default() -> Self {
        PaymentRules { window_minutes: default_payment_window() }
    }
}

/// §14: what a friend gets on accepting a code, what the referrer gets for the friend's first
/// paid order, and the limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReferralRules {
    /// The coupon template the friend gets at once.
    pub friend_coupon: String,
    pub referrer_reward: ReferrerReward,
    /// The friend's first paid order must reach this total (fen) for the referrer's reward.
    #[serde(default)]
    pub min_first_paid: Fen,
    /// A member may accept a code within this many days of joining (1..=365).
    pub bind_days: u32,
    /// Rewards per referrer and calendar month; further friends are kept, not rewarded.
    pub max_rewards_per_month: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReferrerReward {
    /// Credited pending until the friend's order can no longer be refunded (§2).
    #[serde(default)]
    pub points: Points,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub coupon: Option<String>,
}

/// Names of program content in other languages, by language tag; shoppers' apps pick theirs and
/// fall back to `name` (the rules never read them).
pub type Names = BTreeMap<String, String>;

/// Positions by id of SKUs and templates: quotes look them up per line and per coupon.
#[derive(Clone, Debug, Default)]
pub(crate) struct Index {
    skus: BTreeMap<String, usize>,
    templates: BTreeMap<String, usize>,
    tiers: BTreeMap<String, usize>,
    sales: BTreeMap<String, usize>,
    categories: BTreeMap<String, usize>,
}

/// Position of `id` by the index, or by a scan when the program was not loaded through
/// `from_json` (then the index is empty).
fn lookup<T>(index: &BTreeMap<String, usize>, items: &[T], id: &str, id_of: impl Fn(&T) -> &str) -> Option<usize> {
    match index.get(id) {
        Some(i) => Some(*i),
        None if index.is_empty() => items.iter().position(|x| id_of(x) == id),
        None => None,
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Category {
    pub id: String,
    pub name: String,
    /// The name in other languages by language tag (`en`, `zh-Hant`…); `name` is the fallback.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional, type = "Record<string, string>"))]
    pub names: Names,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Sku {
    pub id: String,
    pub name: String,
    /// The name in other languages by language tag (`en`, `zh-Hant`…); `name` is the fallback.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional, type = "Record<string, string>"))]
    pub names: Names,
    pub category: String,
    pub list_price: Fen,
    /// Member price per tier id; a tier without one pays the list price.
    #[serde(default)]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "Record<string, number>"))]
    pub member_prices: BTreeMap<String, Fen>,
    /// Whether the member-day tier discount applies to this SKU (default true).
    #[serde(default = "yes")]
    pub member_day_eligible: bool,
    /// Optional picture or emoji for shop fronts; not used by the rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub image: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tier {
    pub id: String,
    pub name: String,
    /// The name in other languages by language tag (`en`, `zh-Hant`…); `name` is the fallback.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional, type = "Record<string, string>"))]
    pub names: Names,
    pub min_growth: Fen,
    /// Purchase points multiplier (bp, 10000 = ×1).
    #[serde(default = "default_bp_one")]
    pub points_multiplier_bp: Bp,
    /// Extra discount on member day, applied before coupons (bp off).
    #[serde(default)]
    pub member_day_discount_bp: Bp,
    /// Minutes before a limited sale's start when this tier may already buy.
    #[serde(default)]
    pub early_access_minutes: u32,
    /// The birthday coupon template of this tier (overrides the program's birthday coupon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub birthday_coupon: Option<String>,
    /// Benefits in words, for shop fronts.
    #[serde(default)]
    pub perks: Vec<String>,
    /// `perks` in other languages by language tag; `perks` is the fallback.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional, type = "Record<string, string[]>"))]
    pub perks_by_language: BTreeMap<String, Vec<String>>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(tag = "type", rename_all = "camelCase", try_from = "crate::tagged::Tagged")]
pub enum GrowthBasis {
    Lifetime,
    #[serde(rename_all = "camelCase")]
    TrailingDays { days: u32 },
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum CheckInCycle {
    /// Never resets but on a miss.
    Rolling,
    /// Resets every Monday.
    Weekly,
    /// Resets on the 1st of each month.
    Monthly,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckInRules {
    pub cycle: CheckInCycle,
    pub base_points: Points,
    /// Bonus for exactly cycle day N.
    #[serde(default)]
    pub streak_bonuses: Vec<StreakBonus>,
    /// Milestones of check-ins counted per cycle, made-up days included (累计签到, §1): the week
    /// for `weekly`, the calendar month for `monthly` and `rolling`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub cumulative: Vec<CumulativeReward>,
    #[serde(default)]
    pub makeup: Option<MakeupRules>,
    /// Local hour (0–23) after which a member not yet checked in today is reminded.
    #[serde(default = "default_reminder_hour")]
    pub reminder_hour: u8,
    /// An offline check-in that reaches the server within this many minutes of the time it was
    /// made counts for the business day of that time (rulebook §1).
    #[serde(default = "default_offline_grace_minutes")]
    pub offline_grace_minutes: u32,
}

fn default_reminder_hour() -> u8 {
    20
}

fn default_offline_grace_minutes() -> u32 {
    60
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StreakBonus {
    pub day: u32,
    #[serde(default)]
    pub points: Points,
    #[serde(default)]
    pub coupons: Vec<String>,
}

/// Granted once per (member, cycle) by the check-in that makes the cycle's count exactly `days`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CumulativeReward {
    pub days: u32,
    #[serde(default)]
    pub points: Points,
    #[serde(default)]
    pub coupons: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MakeupRules {
    pub window_days: u32,
    pub cost_points: Points,
    pub max_per_month: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PointsRules {
    /// Points per ¥1 paid.
    pub points_per_yuan: i64,
    pub expiry: ExpiryPolicy,
    /// Points worth ¥1 when paying with points.
    pub redeem_rate: i64,
    /// Points are spent in multiples of this.
    pub unit: i64,
    /// At most this share (bp) of the goods after coupons may be paid with points.
    pub max_percent_of_order_bp: Bp,
    /// Paying with points needs at least this balance.
    #[serde(default)]
    pub min_balance: Points,
    /// Purchase points (and a referrer's reward) stay pending for at least this many days after
    /// the payment, and always while the order can be refunded (§2): the longer of the two.
    #[serde(default)]
    pub pending_days: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(tag = "type", rename_all = "camelCase", try_from = "crate::tagged::Tagged")]
pub enum ExpiryPolicy {
    Never,
    /// Through the end of business day (earned day + days).
    #[serde(rename_all = "camelCase")]
    RollingDays { days: u32 },
    /// Through the end of 31 December of the year `years` after earning.
    #[serde(rename_all = "camelCase")]
    YearEnd { years: u32 },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemberDayRules {
    /// 1 = Monday … 7 = Sunday.
    #[serde(default)]
    pub weekdays: Vec<u8>,
    /// Days of the month, 1–31.
    #[serde(default)]
    pub month_days: Vec<u8>,
    #[serde(default = "default_bp_one")]
    pub points_multiplier_bp: Bp,
    /// Extra check-in points on member day.
    #[serde(default)]
    pub check_in_bonus_points: Points,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum BirthdayWindow {
    Day,
    Week,
    Month,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BirthdayRules {
    pub window: BirthdayWindow,
    #[serde(default = "default_bp_one")]
    pub points_multiplier_bp: Bp,
    /// Default birthday coupon template; a tier's own one wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub coupon: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(tag = "type", rename_all = "camelCase", try_from = "crate::tagged::Tagged")]
pub enum CouponKind {
    /// ¥ off; no threshold (无门槛) unless `minSpend` is set (满减).
    #[serde(rename_all = "camelCase")]
    AmountOff { amount: Fen },
    /// bp off (9折 = 1000), optionally capped.
    #[serde(rename_all = "camelCase")]
    PercentOff {
        bp: Bp,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
        max_discount: Option<Fen>,
    },
    FreeShipping,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum StackGroup {
    Item,
    Order,
    Shipping,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scope {
    /// Only these SKUs / categories (empty = everything).
    #[serde(default)]
    pub skus: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub exclude_skus: Vec<String>,
    #[serde(default)]
    pub exclude_categories: Vec<String>,
}

impl Scope {
    pub fn covers(&self, sku: &Sku) -> bool {
        let included = (self.skus.is_empty() && self.categories.is_empty())
            || self.skus.contains(&sku.id)
            || self.categories.contains(&sku.category);
        included
            && !self.exclude_skus.contains(&sku.id)
            && !self.exclude_categories.contains(&sku.category)
    }

    pub fn is_everything(&self) -> bool {
        self.skus.is_empty() && self.categories.is_empty() && self.exclude_skus.is_empty() && self.exclude_categories.is_empty()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(tag = "type", rename_all = "camelCase", try_from = "crate::tagged::Tagged")]
pub enum Validity {
    /// Valid from `from` (inclusive) to `to` (exclusive), instants.
    Fixed { from: Instant, to: Instant },
    /// Valid for `days` business days counting the claim day (or the next day), through the end
    /// of the last one.
    #[serde(rename_all = "camelCase")]
    Relative {
        days: u32,
        #[serde(default)]
        from_next_day: bool,
    },
}

/// Who may claim a template. Every condition set must hold; an empty audience is everyone.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Audience {
    /// Only members without a paid order yet.
    #[serde(default)]
    pub new_member: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub min_tier: Option<String>,
    /// Claimable only on member day.
    #[serde(default)]
    pub member_day: bool,
    /// Claimable only inside the member's birthday window, once per calendar year.
    #[serde(default)]
    pub birthday: bool,
    /// Any of these segments (§10), e.g. `lifecycle.lapsing`.
    #[serde(default)]
    pub segments: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CouponTemplate {
    pub id: String,
    pub name: String,
    /// The name in other languages by language tag (`en`, `zh-Hant`…); `name` is the fallback.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional, type = "Record<string, string>"))]
    pub names: Names,
    pub kind: CouponKind,
    #[serde(default)]
    pub min_spend: Fen,
    #[serde(default)]
    pub scope: Scope,
    pub stack_group: StackGroup,
    #[serde(default)]
    pub exclusive: bool,
    pub validity: Validity,
    /// At most this many claims per member (claim centre only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub per_member: Option<u32>,
    /// Total claims across all members; enforced by the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub total_quota: Option<u32>,
    #[serde(default)]
    pub audience: Audience,
    /// Listed in the claim centre. Templates that are only granted (gifts, streaks, rewards) set false.
    #[serde(default)]
    pub claimable: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Gifts {
    /// Issued after the member's first paid order (首单礼).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub first_order: Option<String>,
    /// Issued after each later paid order of at least `minPaid` (复购礼).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub repurchase: Option<RepurchaseGift>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RepurchaseGift {
    pub min_paid: Fen,
    pub template: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(tag = "type", rename_all = "camelCase", try_from = "crate::tagged::Tagged")]
pub enum RewardGrant {
    Coupon { template: String },
    /// Physical goods shipped by the merchant; the engine records the redemption.
    Goods { description: String },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Reward {
    pub id: String,
    pub name: String,
    /// The name in other languages by language tag (`en`, `zh-Hant`…); `name` is the fallback.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional, type = "Record<string, string>"))]
    pub names: Names,
    pub cost_points: Points,
    pub grants: RewardGrant,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub per_member: Option<u32>,
    /// Total stock across all members; enforced by the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub stock: Option<u32>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitedSale {
    pub sku: String,
    pub starts_at: Instant,
    pub ends_at: Instant,
    /// The sale's unit price; a lower member price still wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub sale_price: Option<Fen>,
    pub per_member: u32,
    /// Units for sale across all members; enforced by the server.
    pub stock: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Shipping {
    pub base_fee: Fen,
    /// Goods after member-day discount and coupons at or above this ship free.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub free_threshold: Option<Fen>,
}

impl Program {
    /// Parse and validate a program. Errors name the JSON path of the problem.
    pub fn from_json(text: &str) -> Result<Program, ProgramError> {
        let mut program: Program =
            crate::json_path::parse(text).map_err(|e| ProgramError::Invalid { path: e.path, problem: e.problem })?;
        // Validation looks every reference up too: with the index it stays linear in the
        // program's size (30,000 SKUs, 10,000 tiers).
        program.index = Index {
            skus: program.catalog.iter().enumerate().map(|(i, s)| (s.id.clone(), i)).collect(),
            templates: program.coupon_templates.iter().enumerate().map(|(i, t)| (t.id.clone(), i)).collect(),
            tiers: program.tiers.iter().enumerate().map(|(i, t)| (t.id.clone(), i)).collect(),
            sales: program.limited_sales.iter().enumerate().map(|(i, s)| (s.sku.clone(), i)).collect(),
            categories: program.categories.iter().enumerate().map(|(i, c)| (c.id.clone(), i)).collect(),
        };
        program.validate()?;
        Ok(program)
    }

    pub fn sku(&self, id: &str) -> Option<&Sku> {
        self.sku_index(id).and_then(|i| self.catalog.get(i))
    }

    pub fn sku_index(&self, id: &str) -> Option<usize> {
        lookup(&self.index.skus, &self.catalog, id, |s| &s.id)
    }

    pub fn tier(&self, id: &str) -> Option<&Tier> {
        self.tier_rank(id).and_then(|i| self.tiers.get(i))
    }

    pub fn tier_rank(&self, id: &str) -> Option<usize> {
        lookup(&self.index.tiers, &self.tiers, id, |t| &t.id)
    }

    /// Whether the program declares this category.
    fn has_category(&self, id: &str) -> bool {
        lookup(&self.index.categories, &self.categories, id, |c| &c.id).is_some()
    }

    pub fn template(&self, id: &str) -> Option<&CouponTemplate> {
        lookup(&self.index.templates, &self.coupon_templates, id, |t| &t.id).and_then(|i| self.coupon_templates.get(i))
    }

    pub fn reward(&self, id: &str) -> Option<&Reward> {
        self.rewards.iter().find(|r| r.id == id)
    }

    pub fn limited_sale(&self, sku: &str) -> Option<&LimitedSale> {
        lookup(&self.index.sales, &self.limited_sales, sku, |s| &s.sku).and_then(|i| self.limited_sales.get(i))
    }

    pub fn business_day(&self, now: Instant) -> Day {
        Day::of(now, self.utc_offset_minutes)
    }

    /// Semantic checks that serde cannot express.
    pub fn validate(&self) -> Result<(), ProgramError> {
        let bad = |path: String, problem: &str| Err(ProgramError::Invalid { path, problem: problem.to_string() });
        if !(-14 * 60..=14 * 60).contains(&self.utc_offset_minutes) {
            return bad("utcOffsetMinutes".into(), "must be -840..=840");
        }
        unique(self.categories.iter().map(|c| &c.id), "categories")?;
        unique(self.catalog.iter().map(|s| &s.id), "catalog")?;
        unique(self.tiers.iter().map(|t| &t.id), "tiers")?;
        unique(self.coupon_templates.iter().map(|t| &t.id), "couponTemplates")?;
        unique(self.rewards.iter().map(|r| &r.id), "rewards")?;
        unique(self.limited_sales.iter().map(|s| &s.sku), "limitedSales")?;
        let named = std::iter::once(("names".to_string(), &self.names))
            .chain(self.categories.iter().enumerate().map(|(i, c)| (format!("categories[{i}].names"), &c.names)))
            .chain(self.catalog.iter().enumerate().map(|(i, c)| (format!("catalog[{i}].names"), &c.names)))
            .chain(self.tiers.iter().enumerate().map(|(i, c)| (format!("tiers[{i}].names"), &c.names)))
            .chain(self.coupon_templates.iter().enumerate().map(|(i, c)| (format!("couponTemplates[{i}].names"), &c.names)))
            .chain(self.rewards.iter().enumerate().map(|(i, c)| (format!("rewards[{i}].names"), &c.names)))
            .chain(self.promotions.iter().enumerate().map(|(i, c)| (format!("promotions[{i}].names"), &c.names)));
        for (path, names) in named {
            if let Some((tag, _)) = names.iter().find(|(tag, name)| tag.is_empty() || tag.len() > 35 || name.is_empty()) {
                return bad(format!("{path}.{tag}"), "needs a language tag (at most 35 characters) and a non-empty name");
            }
        }
        if self.catalog.is_empty() {
            return bad("catalog".into(), "must list at least one SKU");
        }
        for (i, sku) in self.catalog.iter().enumerate() {
            if sku.id.is_empty() {
                return bad(format!("catalog[{i}].id"), "must not be empty");
            }
            if !money(sku.list_price) {
                return bad(format!("catalog[{i}].listPrice"), "must be 0..=100000000 fen");
            }
            if !self.categories.is_empty() && !self.has_category(&sku.category) {
                return bad(format!("catalog[{i}].category"), "is not a category of the program");
            }
            for (tier, price) in &sku.member_prices {
                if self.tier(tier).is_none() {
                    return bad(format!("catalog[{i}].memberPrices.{tier}"), "is not a tier of the program");
                }
                if !money(*price) {
                    return bad(format!("catalog[{i}].memberPrices.{tier}"), "must be 0..=100000000 fen");
                }
            }
        }
        if self.tiers.is_empty() {
            return bad("tiers".into(), "must list at least one tier");
        }
        if self.tiers[0].min_growth != 0 {
            return bad("tiers[0].minGrowth".into(), "must be 0: every member has the first tier");
        }
        for (i, tier) in self.tiers.iter().enumerate() {
            if i > 0 && tier.min_growth <= self.tiers[i - 1].min_growth {
                return bad(format!("tiers[{i}].minGrowth"), "must be greater than the previous tier's");
            }
            if !(1..=100 * BP_ONE).contains(&tier.points_multiplier_bp) {
                return bad(format!("tiers[{i}].pointsMultiplierBp"), "must be 1..=1000000");
            }
            if !(0..=BP_ONE).contains(&tier.member_day_discount_bp) {
                return bad(format!("tiers[{i}].memberDayDiscountBp"), "must be 0..=10000");
            }
            if let Some(t) = &tier.birthday_coupon {
                self.known_template(t, format!("tiers[{i}].birthdayCoupon"))?;
            }
        }
        if let GrowthBasis::TrailingDays { days } = self.growth {
            if days == 0 || days > 3660 {
                return bad("growth.days".into(), "must be 1..=3660");
            }
        }
        let c = &self.check_in;
        if !(0..=1_000_000).contains(&c.base_points) {
            return bad("checkIn.basePoints".into(), "must be 0..=1000000");
        }
        if c.reminder_hour > 23 {
            return bad("checkIn.reminderHour".into(), "must be 0..=23");
        }
        if c.offline_grace_minutes > 24 * 60 {
            return bad("checkIn.offlineGraceMinutes".into(), "must be 0..=1440");
        }
        for (i, b) in c.streak_bonuses.iter().enumerate() {
            let max_day = match c.cycle {
                CheckInCycle::Weekly => 7,
                CheckInCycle::Monthly => 31,
                CheckInCycle::Rolling => 3660,
            };
            if b.day == 0 || b.day > max_day {
                return bad(format!("checkIn.streakBonuses[{i}].day"), &format!("must be 1..={max_day} for this cycle"));
            }
            if !(0..=1_000_000).contains(&b.points) {
                return bad(format!("checkIn.streakBonuses[{i}].points"), "must be 0..=1000000");
            }
            for (j, t) in b.coupons.iter().enumerate() {
                self.known_template(t, format!("checkIn.streakBonuses[{i}].coupons[{j}]"))?;
            }
        }
        let period_days = if c.cycle == CheckInCycle::Weekly { 7 } else { 31 };
        for (i, r) in c.cumulative.iter().enumerate() {
            if r.days == 0 || r.days > period_days {
                return bad(format!("checkIn.cumulative[{i}].days"), &format!("must be 1..={period_days} for this cycle"));
            }
            if c.cumulative[..i].iter().any(|o| o.days == r.days) {
                return bad(format!("checkIn.cumulative[{i}].days"), "repeats an earlier milestone");
            }
            if !(0..=1_000_000).contains(&r.points) {
                return bad(format!("checkIn.cumulative[{i}].points"), "must be 0..=1000000");
            }
            for (j, t) in r.coupons.iter().enumerate() {
                self.known_template(t, format!("checkIn.cumulative[{i}].coupons[{j}]"))?;
            }
        }
        if let Some(m) = &c.makeup {
            if m.window_days == 0 || m.window_days > 31 {
                return bad("checkIn.makeup.windowDays".into(), "must be 1..=31");
            }
            if !(0..=1_000_000).contains(&m.cost_points) {
                return bad("checkIn.makeup.costPoints".into(), "must be 0..=1000000");
            }
        }
        let p = &self.points;
        if !(0..=10_000).contains(&p.points_per_yuan) {
            return bad("points.pointsPerYuan".into(), "must be 0..=10000");
        }
        if !(1..=1_000_000).contains(&p.redeem_rate) {
            return bad("points.redeemRate".into(), "must be 1..=1000000");
        }
        if !(1..=1_000_000).contains(&p.unit) {
            return bad("points.unit".into(), "must be 1..=1000000");
        }
        if (p.unit * 100) % p.redeem_rate != 0 {
            return bad("points.unit".into(), "must be worth a whole number of fen (unit × 100 divisible by redeemRate)");
        }
        if !(0..=BP_ONE).contains(&p.max_percent_of_order_bp) {
            return bad("points.maxPercentOfOrderBp".into(), "must be 0..=10000");
        }
        if p.min_balance < 0 {
            return bad("points.minBalance".into(), "must be ≥ 0");
        }
        if p.pending_days > 3650 {
            return bad("points.pendingDays".into(), "must be 0..=3650");
        }
        match p.expiry {
            ExpiryPolicy::RollingDays { days } if days == 0 || days > 36_600 => {
                return bad("points.expiry.days".into(), "must be 1..=36600");
            }
            ExpiryPolicy::YearEnd { years } if years > 100 => return bad("points.expiry.years".into(), "must be 0..=100"),
            _ => {}
        }
        if let Some(md) = &self.member_day {
            if md.weekdays.is_empty() && md.month_days.is_empty() {
                return bad("memberDay".into(), "needs weekdays or monthDays");
            }
            for (i, w) in md.weekdays.iter().enumerate() {
                if !(1..=7).contains(w) {
                    return bad(format!("memberDay.weekdays[{i}]"), "must be 1..=7 (1 = Monday)");
                }
            }
            for (i, d) in md.month_days.iter().enumerate() {
                if !(1..=31).contains(d) {
                    return bad(format!("memberDay.monthDays[{i}]"), "must be 1..=31");
                }
            }
            if !(1..=100 * BP_ONE).contains(&md.points_multiplier_bp) {
                return bad("memberDay.pointsMultiplierBp".into(), "must be 1..=1000000");
            }
            if !(0..=1_000_000).contains(&md.check_in_bonus_points) {
                return bad("memberDay.checkInBonusPoints".into(), "must be 0..=1000000");
            }
        }
        if let Some(r) = &self.referral {
            self.known_template(&r.friend_coupon, "referral.friendCoupon".into())?;
            if let Some(t) = &r.referrer_reward.coupon {
                self.known_template(t, "referral.referrerReward.coupon".into())?;
            }
            if !(0..=1_000_000).contains(&r.referrer_reward.points) {
                return bad("referral.referrerReward.points".into(), "must be 0..=1000000");
            }
            if !(0..=MAX_MIN_FIRST_PAID).contains(&r.min_first_paid) {
                return bad("referral.minFirstPaid".into(), "must be 0..=100000000 fen");
            }
            if !(1..=365).contains(&r.bind_days) {
                return bad("referral.bindDays".into(), "must be 1..=365");
            }
            if r.max_rewards_per_month > 1000 {
                return bad("referral.maxRewardsPerMonth".into(), "must be 0..=1000");
            }
        }
        if let Some(b) = &self.birthday {
            if !(1..=100 * BP_ONE).contains(&b.points_multiplier_bp) {
                return bad("birthday.pointsMultiplierBp".into(), "must be 1..=1000000");
            }
            if let Some(t) = &b.coupon {
                self.known_template(t, "birthday.coupon".into())?;
            }
        }
        for (i, t) in self.coupon_templates.iter().enumerate() {
            let at = |field: &str| format!("couponTemplates[{i}].{field}");
            match &t.kind {
                CouponKind::AmountOff { amount } if !(1..=100_000_000).contains(amount) => {
                    return bad(at("kind.amount"), "must be 1..=100000000 fen");
                }
                CouponKind::PercentOff { bp, max_discount } => {
                    if !(1..=BP_ONE).contains(bp) {
                        return bad(at("kind.bp"), "must be 1..=10000");
                    }
                    if let Some(m) = max_discount {
                        if !(1..=100_000_000).contains(m) {
                            return bad(at("kind.maxDiscount"), "must be 1..=100000000 fen");
                        }
                    }
                }
                _ => {}
            }
            let shipping_kind = matches!(t.kind, CouponKind::FreeShipping);
            if shipping_kind != (t.stack_group == StackGroup::Shipping) {
                return bad(at("stackGroup"), "free-shipping coupons, and only they, belong to the shipping group");
            }
            if !money(t.min_spend) {
                return bad(at("minSpend"), "must be 0..=100000000 fen");
            }
            self.check_scope(&t.scope, &at("scope")).map_err(|(path, problem)| ProgramError::Invalid { path, problem })?;
            match t.validity {
                Validity::Fixed { from, to } if to <= from => return bad(at("validity.to"), "must be after validity.from"),
                Validity::Relative { days, .. } if days == 0 || days > 3660 => {
                    return bad(at("validity.days"), "must be 1..=3660");
                }
                _ => {}
            }
            if t.per_member == Some(0) {
                return bad(at("perMember"), "must be at least 1 (omit it for no limit)");
            }
            self.check_audience(&t.audience, &at("audience")).map_err(|(path, problem)| ProgramError::Invalid { path, problem })?;
        }
        if let Some(t) = &self.gifts.first_order {
            self.known_template(t, "gifts.firstOrder".into())?;
        }
        if let Some(r) = &self.gifts.repurchase {
            self.known_template(&r.template, "gifts.repurchase.template".into())?;
            if !money(r.min_paid) {
                return bad("gifts.repurchase.minPaid".into(), "must be 0..=100000000 fen");
            }
        }
        for (i, r) in self.rewards.iter().enumerate() {
            if !(1..=100_000_000).contains(&r.cost_points) {
                return bad(format!("rewards[{i}].costPoints"), "must be 1..=100000000");
            }
            if r.per_member == Some(0) {
                return bad(format!("rewards[{i}].perMember"), "must be at least 1 (omit it for no limit)");
            }
            if let RewardGrant::Coupon { template } = &r.grants {
                self.known_template(template, format!("rewards[{i}].grants.template"))?;
            }
        }
        for (i, s) in self.limited_sales.iter().enumerate() {
            if self.sku(&s.sku).is_none() {
                return bad(format!("limitedSales[{i}].sku"), "is not a SKU of the catalog");
            }
            if s.ends_at <= s.starts_at {
                return bad(format!("limitedSales[{i}].endsAt"), "must be after startsAt");
            }
            if s.per_member == 0 {
                return bad(format!("limitedSales[{i}].perMember"), "must be at least 1");
            }
            if let Some(p) = s.sale_price {
                if !money(p) {
                    return bad(format!("limitedSales[{i}].salePrice"), "must be 0..=100000000 fen");
                }
            }
        }
        if !money(self.shipping.base_fee) {
            return bad("shipping.baseFee".into(), "must be 0..=100000000 fen");
        }
        if let Some(t) = self.shipping.free_threshold {
            if !money(t) {
                return bad("shipping.freeThreshold".into(), "must be 0..=100000000 fen");
            }
        }
        if self.remind_days > 365 {
            return bad("remindDays".into(), "must be 0..=365");
        }
        if self.refund_days > 3650 {
            return bad("refundDays".into(), "must be 0..=3650");
        }
        if !(1..=24 * 60).contains(&self.payment.window_minutes) {
            return bad("payment.windowMinutes".into(), "must be 1..=1440");
        }
        promotions::validate(self).map_err(|(path, problem)| ProgramError::Invalid { path, problem })?;
        self.check_largest_cart_earns_in_range()
    }

    /// Every cart the engine takes (at most MAX_LINES lines × MAX_QTY units) must price: the
    /// points the largest one could earn — the dearest list price, the highest tier multiplier and
    /// the highest of the member-day and birthday multipliers — must stay within
    /// MAX_POINTS_PER_ORDER. Each limit alone is checked above; this is their product.
    fn check_largest_cart_earns_in_range(&self) -> Result<(), ProgramError> {
        use crate::units::{MAX_LINES, MAX_POINTS_PER_ORDER, MAX_QTY};
        let prices = self.catalog.iter().flat_map(|s| std::iter::once(s.list_price).chain(s.member_prices.values().copied()));
        let dearest = prices.chain(self.limited_sales.iter().filter_map(|s| s.sale_price)).max().unwrap_or(0) as i128;
        let tier_bp = self.tiers.iter().map(|t| t.points_multiplier_bp).max().unwrap_or(BP_ONE) as i128;
        let promo_bp = [Some(BP_ONE), self.member_day.as_ref().map(|m| m.points_multiplier_bp), self.birthday.as_ref().map(|b| b.points_multiplier_bp)]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(BP_ONE) as i128;
        let goods = dearest * (MAX_LINES as i128) * (MAX_QTY as i128);
        let most = goods * self.points.points_per_yuan as i128 * tier_bp * promo_bp / (100 * BP_ONE as i128 * BP_ONE as i128);
        if most > MAX_POINTS_PER_ORDER as i128 {
            return Err(ProgramError::Invalid {
                path: "points.pointsPerYuan".into(),
                problem: format!(
                    "a cart of {MAX_LINES} lines × {MAX_QTY} units of the dearest SKU ({}) would earn {most} points with the highest tier and \
                     member-day/birthday multipliers, more than {MAX_POINTS_PER_ORDER}: lower pointsPerYuan, the multipliers or the prices",
                    crate::error::yuan(dearest as Fen)
                ),
            });
        }
        Ok(())
    }

    /// A scope names SKUs of the catalog, and categories of the program when it declares them.
    pub(crate) fn check_scope(&self, scope: &Scope, at: &str) -> Result<(), (String, String)> {
        for (list, skus) in [("skus", &scope.skus), ("excludeSkus", &scope.exclude_skus)] {
            for (j, s) in skus.iter().enumerate() {
                if self.sku(s).is_none() {
                    return Err((format!("{at}.{list}[{j}]"), "is not a SKU of the catalog".into()));
                }
            }
        }
        for (list, cats) in [("categories", &scope.categories), ("excludeCategories", &scope.exclude_categories)] {
            for (j, c) in cats.iter().enumerate() {
                if !self.categories.is_empty() && !self.has_category(c) {
                    return Err((format!("{at}.{list}[{j}]"), "is not a category of the program".into()));
                }
            }
        }
        Ok(())
    }

    /// An audience names tiers and segments that exist.
    pub(crate) fn check_audience(&self, audience: &Audience, at: &str) -> Result<(), (String, String)> {
        if let Some(tier) = &audience.min_tier {
            if self.tier(tier).is_none() {
                return Err((format!("{at}.minTier"), "is not a tier of the program".into()));
            }
        }
        for (j, s) in audience.segments.iter().enumerate() {
            if !is_known_segment(s) {
                return Err((format!("{at}.segments[{j}]"), "is not a known segment".into()));
            }
        }
        Ok(())
    }

    fn known_template(&self, id: &str, path: String) -> Result<(), ProgramError> {
        match self.template(id) {
            Some(_) => Ok(()),
            None => Err(ProgramError::Invalid { path, problem: format!("names unknown coupon template {id:?}") }),
        }
    }
}

/// Prices stay below ¥1,000,000 so that every product of amounts fits comfortably in i64/i128.
pub(crate) fn money(fen: Fen) -> bool {
    (0..=100_000_000).contains(&fen)
}

fn unique<'a>(ids: impl Iterator<Item = &'a String>, list: &str) -> Result<(), ProgramError> {
    let mut seen = std::collections::BTreeSet::new();
    for (i, id) in ids.enumerate() {
        if !seen.insert(id.as_str()) {
            return Err(ProgramError::Invalid { path: format!("{list}[{i}]"), problem: format!("duplicate id {id:?}") });
        }
    }
    Ok(())
}

impl TryFrom<crate::tagged::Tagged> for GrowthBasis {
    type Error = String;
    fn try_from(t: crate::tagged::Tagged) -> Result<Self, String> {
        match t.kind.as_str() {
            "lifetime" => t.only(&[]).map(|_| GrowthBasis::Lifetime),
            "trailingDays" => {
                t.only(&["days"])?;
                Ok(GrowthBasis::TrailingDays { days: t.need_u32("days", t.days)? })
            }
            _ => Err(t.unknown_type("`lifetime`, `trailingDays`")),
        }
    }
}

impl TryFrom<crate::tagged::Tagged> for ExpiryPolicy {
    type Error = String;
    fn try_from(t: crate::tagged::Tagged) -> Result<Self, String> {
        match t.kind.as_str() {
            "never" => t.only(&[]).map(|_| ExpiryPolicy::Never),
            "rollingDays" => {
                t.only(&["days"])?;
                Ok(ExpiryPolicy::RollingDays { days: t.need_u32("days", t.days)? })
            }
            "yearEnd" => {
                t.only(&["years"])?;
                Ok(ExpiryPolicy::YearEnd { years: t.need_u32("years", t.years)? })
            }
            _ => Err(t.unknown_type("`never`, `rollingDays`, `yearEnd`")),
        }
    }
}

impl TryFrom<crate::tagged::Tagged> for CouponKind {
    type Error = String;
    fn try_from(t: crate::tagged::Tagged) -> Result<Self, String> {
        match t.kind.as_str() {
            "amountOff" => {
                t.only(&["amount"])?;
                Ok(CouponKind::AmountOff { amount: t.need("amount", &t.amount)? })
            }
            "percentOff" => {
                t.only(&["bp", "maxDiscount"])?;
                Ok(CouponKind::PercentOff { bp: t.need("bp", &t.bp)?, max_discount: t.max_discount })
            }
            "freeShipping" => t.only(&[]).map(|_| CouponKind::FreeShipping),
            _ => Err(t.unknown_type("`amountOff`, `percentOff`, `freeShipping`")),
        }
    }
}

impl TryFrom<crate::tagged::Tagged> for Validity {
    type Error = String;
    fn try_from(t: crate::tagged::Tagged) -> Result<Self, String> {
        match t.kind.as_str() {
            "fixed" => {
                t.only(&["from", "to"])?;
                Ok(Validity::Fixed { from: t.need("from", &t.from)?, to: t.need("to", &t.to)? })
            }
            "relative" => {
                t.only(&["days", "fromNextDay"])?;
                Ok(Validity::Relative { days: t.need_u32("days", t.days)?, from_next_day: t.from_next_day.unwrap_or(false) })
            }
            _ => Err(t.unknown_type("`fixed`, `relative`")),
        }
    }
}

impl TryFrom<crate::tagged::Tagged> for RewardGrant {
    type Error = String;
    fn try_from(t: crate::tagged::Tagged) -> Result<Self, String> {
        match t.kind.as_str() {
            "coupon" => {
                t.only(&["template"])?;
                Ok(RewardGrant::Coupon { template: t.need("template", &t.template)? })
            }
            "goods" => {
                t.only(&["description"])?;
                Ok(RewardGrant::Goods { description: t.need("description", &t.description)? })
            }
            _ => Err(t.unknown_type("`coupon`, `goods`")),
        }
    }
}

/// The segment tags a coupon audience may name (computed by `segments`).
pub const KNOWN_SEGMENTS: &[&str] = &[
    "activity.3d",
    "activity.7d",
    "activity.14d",
    "lifecycle.prospect",
    "lifecycle.new",
    "lifecycle.loyal",
    "lifecycle.lapsing",
    "lifecycle.active",
    "priceSensitivity.high",
    "priceSensitivity.medium",
    "priceSensitivity.low",
];

pub fn is_known_segment(name: &str) -> bool {
    KNOWN_SEGMENTS.contains(&name)
}
