//! §7 Pricing a cart: the quote, step by step, with exact allocation, the optimal coupon
//! selection and an explanation of every price.

use crate::coupons::{status, CouponStatus};
use crate::error::{InputError, OrderError};
use crate::program::{Bp, CouponKind, CouponTemplate, Fen, Points, Program, StackGroup, Tier, BP_ONE};
use crate::state::{CouponInstance, CouponState, MemberState, OrderLine};
use crate::stock::{Counter, Stock};
use crate::time::Instant;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

pub const MAX_QTY: u32 = 999;
/// Lines of one cart or order. With prices ≤ ¥1,000,000 and quantities ≤ 999 every sum of
/// amounts then stays far inside i64 (≤ 10^13 fen).
pub const MAX_LINES: usize = 100;
/// The most points one order may earn: a cart whose earnings could exceed it is refused
/// AMOUNT_TOO_LARGE, so that balances summed over a long history stay inside i64.
pub const MAX_POINTS_PER_ORDER: Points = 1_000_000_000_000;
/// An order uses at most one coupon per group; a few more may be offered to choose from.
pub const MAX_CHOSEN_COUPONS: usize = 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum CouponMode {
    /// The best selection from the wallet (the default).
    Best,
    /// No coupons.
    None,
}

/// `"best"`, `"none"`, or the coupon instance ids to use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(untagged)]
pub enum CouponChoice {
    Mode(CouponMode),
    Chosen(Vec<String>),
}

impl Default for CouponChoice {
    fn default() -> Self {
        CouponChoice::Mode(CouponMode::Best)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum PointsMode {
    /// As many points as the rules allow.
    Max,
}

/// `"max"` or a number of points (rounded down to the unit and capped by the rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(untagged)]
pub enum PointsChoice {
    Mode(PointsMode),
    Amount(Points),
}

impl Default for PointsChoice {
    fn default() -> Self {
        PointsChoice::Amount(0)
    }
}

// Hand-written decoders for the two "this or that" inputs: serde's untagged enums buffer the value
// and try each variant, which costs size in the shipped module and gives vague errors.
impl<'de> Deserialize<'de> for CouponChoice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Choice;
        impl<'de> serde::de::Visitor<'de> for Choice {
            type Value = CouponChoice;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(r#""best", "none" or a list of coupon ids"#)
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<CouponChoice, E> {
                match s {
                    "best" => Ok(CouponChoice::Mode(CouponMode::Best)),
                    "none" => Ok(CouponChoice::Mode(CouponMode::None)),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Str(s), &self)),
                }
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<CouponChoice, A::Error> {
                let mut ids = Vec::new();
                while let Some(id) = seq.next_element::<String>()? {
                    ids.push(id);
                }
                Ok(CouponChoice::Chosen(ids))
            }
        }
        d.deserialize_any(Choice)
    }
}

impl<'de> Deserialize<'de> for PointsChoice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Choice;
        impl<'de> serde::de::Visitor<'de> for Choice {
            type Value = PointsChoice;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(r#""max" or a whole number of points (0 or more)"#)
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<PointsChoice, E> {
                match s {
                    "max" => Ok(PointsChoice::Mode(PointsMode::Max)),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Str(s), &self)),
                }
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<PointsChoice, E> {
                if n < 0 {
                    return Err(E::invalid_value(serde::de::Unexpected::Signed(n), &self));
                }
                Ok(PointsChoice::Amount(n))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<PointsChoice, E> {
                i64::try_from(n).map(PointsChoice::Amount).map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(n), &self))
            }
        }
        d.deserialize_any(Choice)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuoteRequest {
    pub lines: Vec<OrderLine>,
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub coupons: CouponChoice,
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub points: PointsChoice,
}

/// The cart `cartCoupons` reads from JSON text: a quote request (only its lines count) or the
/// lines alone.
pub fn cart_lines_from_json(text: &str) -> Result<Vec<OrderLine>, InputError> {
    if text.trim_start().starts_with('[') {
        InputError::parse("lines", text)
    } else {
        InputError::parse::<QuoteRequest>("cart coupons request", text).map(|request| request.lines)
    }
}

/// Why a line of a limited sale cannot be bought now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LineFlag {
    NotStarted,
    EarlyAccessOnly,
    Ended,
    LimitReached,
    SoldOut,
}

impl LineFlag {
    pub fn code(self) -> &'static str {
        match self {
            LineFlag::NotStarted => "NOT_STARTED",
            LineFlag::EarlyAccessOnly => "EARLY_ACCESS_ONLY",
            LineFlag::Ended => "ENDED",
            LineFlag::LimitReached => "LIMIT_REACHED",
            LineFlag::SoldOut => "SOLD_OUT",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum AdjustmentKind {
    MemberPrice,
    SalePrice,
    MemberDay,
    Coupon,
    Points,
}

/// One step of a line's price: `amount` fen off, from `source` (tier id, coupon id, "points"…).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Adjustment {
    pub kind: AdjustmentKind,
    pub source: String,
    pub amount: Fen,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct QuoteLine {
    pub sku: String,
    pub name: String,
    pub qty: u32,
    /// List price of one unit.
    pub list_price: Fen,
    /// Unit price after member or sale price.
    pub unit_price: Fen,
    /// list price × qty.
    pub list_amount: Fen,
    /// unit price × qty (step 1).
    pub amount: Fen,
    /// Each step from list to paid, in order.
    pub adjustments: Vec<Adjustment>,
    /// What this line costs after every discount and points.
    pub paid: Fen,
    /// Set when a limited-sale line cannot be bought now; such a line is priced at 0.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "LineFlag | null"))]
    pub flag: Option<LineFlag>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct AppliedCoupon {
    pub id: String,
    pub template: String,
    pub name: String,
    pub group: StackGroup,
    /// Fen saved (for free shipping: the fee waived).
    pub discount: Fen,
    /// How the discount is split over the lines (empty for free shipping); the shares sum to
    /// `discount` and each is also an adjustment of its line.
    pub allocation: Vec<LineShare>,
}

/// One line's share of an order-level amount.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct LineShare {
    /// Index of the line in the cart (and in `lines`).
    pub line: usize,
    pub amount: Fen,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UnusableReason {
    BelowMinSpend,
    OutOfScope,
    NotYetValid,
    Expired,
    NotStackable,
    Audience,
    /// Used by another order (e.g. redeemed from another device first).
    AlreadyUsed,
    /// Chosen, but it would save nothing on this order (a free-shipping coupon when the
    /// threshold already waives shipping): it is not applied and stays in the wallet.
    NoSaving,
    NotFound,
}

impl UnusableReason {
    pub fn text(self) -> &'static str {
        match self {
            UnusableReason::BelowMinSpend => "below its minimum spend",
            UnusableReason::OutOfScope => "no item in the cart is eligible",
            UnusableReason::NotYetValid => "not valid yet",
            UnusableReason::Expired => "expired",
            UnusableReason::NotStackable => "cannot be combined with the other coupons chosen",
            UnusableReason::Audience => "not for this member's tier",
            UnusableReason::AlreadyUsed => "already used by another order",
            UnusableReason::NoSaving => "saves nothing on this order",
            UnusableReason::NotFound => "not in the wallet",
        }
    }
}

/// A wallet coupon a cart could use: who it is and until when; the template (in `program()`)
/// has its value, threshold and scope. Kept small: a quote lists every usable coupon.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct UsableCoupon {
    pub id: String,
    pub template: String,
    pub name: String,
    pub stack_group: StackGroup,
    pub exclusive: bool,
    pub valid_to: Instant,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct UnusableCoupon {
    pub id: String,
    pub template: String,
    pub name: String,
    pub reason: UnusableReason,
    /// For BELOW_MIN_SPEND: fen still to add to the eligible items (the 凑单 hint).
    pub missing: Fen,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Saving {
    pub kind: String,
    pub source: String,
    pub amount: Fen,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct PointsQuote {
    pub balance: Points,
    pub requested: Points,
    pub used: Points,
    /// Fen paid by the points used.
    pub value: Fen,
    /// The most points this cart accepts (0 below `minBalance`).
    pub max: Points,
    pub unit: Points,
    pub redeem_rate: Points,
    /// Why no points can be used, if so: BELOW_MIN_BALANCE.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "string | null"))]
    pub unavailable: Option<String>,
    /// Points this order earns, and the multipliers behind them.
    pub earn: Points,
    pub tier_multiplier_bp: Bp,
    pub promo_multiplier_bp: Bp,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    pub tier: String,
    pub member_day: bool,
    pub lines: Vec<QuoteLine>,
    /// Σ list amounts.
    pub list_total: Fen,
    /// After member/sale prices (step 1).
    pub goods: Fen,
    pub member_day_discount: Fen,
    pub coupon_discount: Fen,
    /// Goods after steps 2–3 (the base for points and the free-shipping threshold).
    pub goods_after_coupons: Fen,
    pub points: PointsQuote,
    /// Goods after steps 2–4: what points are earned on.
    pub paid: Fen,
    pub shipping_base: Fen,
    pub shipping: Fen,
    /// "threshold", a coupon id, or null when shipping is charged.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "string | null"))]
    pub shipping_waived_by: Option<String>,
    pub total: Fen,
    /// list total + shipping fee − total.
    pub saved: Fen,
    pub savings: Vec<Saving>,
    pub coupons: Vec<AppliedCoupon>,
    /// Ids of the coupons applied, in group order: what `placeOrder` takes.
    pub coupon_ids: Vec<String>,
    /// Wallet coupons this cart could use but that are not applied (the same kind of list as
    /// `cartCoupons().usable`, which applies none).
    pub usable: Vec<UsableCoupon>,
    pub unusable: Vec<UnusableCoupon>,
    /// Whether every line can be ordered now.
    pub orderable: bool,
}

/// A wallet coupon that may enter the selection.
struct Candidate<'a> {
    coupon: &'a CouponInstance,
    template: &'a CouponTemplate,
    /// Lines in scope.
    eligible: Vec<bool>,
    /// Σ of the eligible lines after the member-day discount (before any coupon).
    base: Fen,
}

#[derive(Default)]
struct Outcome {
    goods_after_coupons: Fen,
    shipping: Fen,
    waived_by: Option<String>,
    /// Per applied coupon (index into candidates): discount and per-line shares.
    applied: Vec<(usize, Fen, Vec<Fen>)>,
}

/// Split `amount` over lines pro rata to `weights`: floor each share, then hand out the remaining
/// fen one at a time by largest fractional remainder (ties: lower index). Requires
/// 0 ≤ amount ≤ Σ weights; then shares sum to `amount` and no share exceeds its weight.
pub fn allocate(amount: Fen, weights: &[Fen]) -> Vec<Fen> {
    let total: i128 = weights.iter().map(|w| *w as i128).sum();
    if total <= 0 || amount <= 0 {
        return vec![0; weights.len()];
    }
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut given: Fen = 0;
    for (i, w) in weights.iter().enumerate() {
        let exact = amount as i128 * *w as i128;
        let share = (exact / total) as Fen;
        shares.push(share);
        remainders.push((exact % total, i));
        given += share;
    }
    let left = (amount - given) as usize;
    if left > 0 && left <= remainders.len() {
        // Only which lines get the extra fen matters, not their order: select the `left` largest
        // remainders (ties: lower index) instead of sorting them all.
        remainders.select_nth_unstable_by(left - 1, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, i) in &remainders[..left] {
            shares[i] += 1;
        }
    }
    shares
}

/// The pricing of one cart for one member at one instant.
pub struct Pricer<'a> {
    program: &'a Program,
    state: &'a MemberState,
    tier: &'a Tier,
    now: Instant,
    member_day: bool,
    /// The promo points multiplier of the day: member day's or birthday's, the higher.
    promo_bp: Bp,
    lines: Vec<QuoteLine>,
    /// The catalog entry of each line.
    line_skus: Vec<&'a crate::program::Sku>,
    /// Line amounts after step 2 (0 for flagged lines).
    after_member_day: Vec<Fen>,
    candidates: Vec<Candidate<'a>>,
    unusable: Vec<UnusableCoupon>,
}

impl<'a> Pricer<'a> {
    pub fn new(program: &'a Program, state: &'a MemberState, stock: &Stock, lines: &[OrderLine], now: Instant) -> Result<Pricer<'a>, OrderError> {
        let tier = crate::tiers::current_tier(program, state, now);
        let today = program.business_day(now);
        let member_day_bp = crate::member_day::discount_bp(program, tier, today);
        let member_day = crate::member_day::is_member_day(program, today);
        let mut priced = Vec::with_capacity(lines.len());
        let mut after_member_day = Vec::with_capacity(lines.len());
        let line_skus = check_lines(program, lines)?;
        let promo = crate::member_day::points_multiplier(program, today).max(crate::birthday::points_multiplier(program, state, today));
        check_earnings_fit(program, &line_skus, lines, tier, promo)?;
        for (line, &sku) in lines.iter().zip(&line_skus) {
            let qty = line.qty as Fen;
            let flag = sale_flag(program, state, tier, stock, &line.sku, lines, now);
            let member = sku.member_prices.get(&tier.id).copied().filter(|p| *p < sku.list_price);
            let mut unit = member.unwrap_or(sku.list_price);
            let mut adjustments = Vec::new();
            if let Some(p) = member {
                adjustments.push(Adjustment { kind: AdjustmentKind::MemberPrice, source: tier.id.clone(), amount: (sku.list_price - p) * qty });
            }
            if let Some(sale) = program.limited_sale(&line.sku).filter(|_| flag.is_none()) {
                if let Some(p) = sale.sale_price.filter(|p| *p < unit) {
                    adjustments.push(Adjustment { kind: AdjustmentKind::SalePrice, source: sale.sku.clone(), amount: (unit - p) * qty });
                    unit = p;
                }
            }
            let amount = if flag.is_some() { 0 } else { unit * qty };
            let md = if sku.member_day_eligible { (amount as i128 * member_day_bp as i128 / BP_ONE as i128) as Fen } else { 0 };
            if md > 0 {
                adjustments.push(Adjustment { kind: AdjustmentKind::MemberDay, source: tier.id.clone(), amount: md });
            }
            after_member_day.push(amount - md);
            priced.push(QuoteLine {
                sku: sku.id.clone(),
                name: sku.name.clone(),
                qty: line.qty,
                list_price: sku.list_price,
                unit_price: unit,
                list_amount: sku.list_price * qty,
                amount,
                adjustments,
                paid: amount - md,
                flag,
            });
        }
        let mut pricer = Pricer { program, state, tier, now, member_day, promo_bp: promo, lines: priced, line_skus, after_member_day, candidates: vec![], unusable: vec![] };
        pricer.sort_wallet();
        Ok(pricer)
    }

    /// Split the wallet into candidates (usable on their own) and unusable coupons with reasons.
    fn sort_wallet(&mut self) {
        let program = self.program;
        // Copies of a template share their lines in scope: work each template out once.
        let mut scopes: Vec<(&str, Vec<bool>, Fen)> = Vec::new();
        for coupon in &self.state.coupons {
            if coupon.state != CouponState::Available {
                continue;
            }
            let Some(template) = program.template(&coupon.template) else { continue };
            let (eligible, base) = match scopes.iter().find(|(id, ..)| *id == template.id) {
                Some((_, eligible, base)) => (eligible.clone(), *base),
                None => {
                    let eligible: Vec<bool> =
                        self.lines.iter().zip(&self.line_skus).map(|(l, sku)| l.flag.is_none() && template.scope.covers(sku)).collect();
                    let base = eligible_sum(&eligible, &self.after_member_day);
                    scopes.push((template.id.as_str(), eligible.clone(), base));
                    (eligible, base)
                }
            };
            let reason = match status(coupon, self.now, &[]) {
                CouponStatus::Expired => Some(UnusableReason::Expired),
                CouponStatus::NotYetValid => Some(UnusableReason::NotYetValid),
                _ if tier_too_low(program, self.tier, template) => Some(UnusableReason::Audience),
                _ if !eligible.iter().any(|e| *e) => Some(UnusableReason::OutOfScope),
                _ if base < template.min_spend => Some(UnusableReason::BelowMinSpend),
                _ => None,
            };
            match reason {
                Some(reason) => self.unusable.push(UnusableCoupon {
                    id: coupon.id.clone(),
                    template: template.id.clone(),
                    name: template.name.clone(),
                    reason,
                    missing: if reason == UnusableReason::BelowMinSpend { template.min_spend - base } else { 0 },
                }),
                None => self.candidates.push(Candidate { coupon, template, eligible, base }),
            }
        }
    }

    fn shipping_base(&self) -> Fen {
        if self.lines.iter().any(|l| l.flag.is_none()) { self.program.shipping.base_fee } else { 0 }
    }

    /// Apply the coupons `selection` (candidate indices) in group order. Err(i, reason) names the
    /// first coupon that cannot apply.
    fn run(&self, selection: &[usize], detail: bool) -> Result<Outcome, (usize, UnusableReason)> {
        // Group order: item, then order, then shipping (selections are tiny: insertion sort).
        let mut order: Vec<usize> = selection.to_vec();
        for k in 1..order.len() {
            let mut j = k;
            let rank = |ci: usize| group_rank(self.candidates[ci].template.stack_group);
            while j > 0 && rank(order[j - 1]) > rank(order[j]) {
                order.swap(j - 1, j);
                j -= 1;
            }
        }
        if !detail {
            if let Some(nested) = self.nested_scopes(&order) {
                return self.run_nested(&order, &nested);
            }
        }
        let mut amounts = self.after_member_day.clone();
        let mut out = Outcome::default();
        let mut ship_coupon = None;
        for &ci in &order {
            let c = &self.candidates[ci];
            let base = eligible_sum(&c.eligible, &amounts);
            let Some(discount) = self.discount(ci, base)? else {
                ship_coupon = Some(ci);
                continue;
            };
            let weights: Vec<Fen> = c.eligible.iter().zip(&amounts).map(|(e, a)| if *e { *a } else { 0 }).collect();
            let shares = allocate(discount, &weights);
            for (a, s) in amounts.iter_mut().zip(&shares) {
                *a -= s;
            }
            out.applied.push((ci, discount, if detail { shares } else { Vec::new() }));
        }
        self.settle_shipping(&mut out, amounts.iter().sum(), ship_coupon);
        Ok(out)
    }

    /// The discount of coupon `ci` on a `base` of its eligible lines; None for free shipping;
    /// Err when the coupon does not qualify on that base.
    fn discount(&self, ci: usize, base: Fen) -> Result<Option<Fen>, (usize, UnusableReason)> {
        let t = self.candidates[ci].template;
        let shipping = t.stack_group == StackGroup::Shipping;
        if base < t.min_spend || base == 0 && !shipping {
            return Err((ci, if base == 0 { UnusableReason::OutOfScope } else { UnusableReason::BelowMinSpend }));
        }
        Ok(match t.kind {
            CouponKind::AmountOff { amount } => Some(amount.min(base)),
            CouponKind::PercentOff { bp, max_discount } => {
                let d = (base as i128 * bp as i128 / BP_ONE as i128) as Fen;
                Some(max_discount.map_or(d, |m| d.min(m)))
            }
            CouponKind::FreeShipping => None,
        })
    }

    /// Shipping after the coupons: waived by the threshold, else by a free-shipping coupon.
    fn settle_shipping(&self, out: &mut Outcome, goods_after_coupons: Fen, ship_coupon: Option<usize>) {
        out.goods_after_coupons = goods_after_coupons;
        let fee = self.shipping_base();
        if fee == 0 {
            out.shipping = 0;
        } else if self.program.shipping.free_threshold.is_some_and(|t| goods_after_coupons >= t) {
            out.waived_by = Some("threshold".into());
        } else if let Some(ci) = ship_coupon {
            out.waived_by = Some(self.candidates[ci].coupon.id.clone());
            out.applied.push((ci, fee, Vec::new()));
        } else {
            out.shipping = fee;
        }
    }

    /// When every earlier coupon's lines lie wholly inside or wholly outside each later coupon's
    /// lines, a later base is just its own base minus the earlier discounts inside it: no
    /// per-line split is needed to compare selections. Returns, for each pair (i, j) with i
    /// before j, whether i's lines are inside j's; None when the scopes overlap partially.
    fn nested_scopes(&self, order: &[usize]) -> Option<Vec<Vec<bool>>> {
        let k = order.len();
        let mut inside = vec![vec![false; k]; k];
        for i in 0..k {
            for j in i + 1..k {
                let (a, b) = (&self.candidates[order[i]].eligible, &self.candidates[order[j]].eligible);
                let (mut within, mut apart) = (true, true);
                for (x, y) in a.iter().zip(b) {
                    if *x && !*y {
                        within = false;
                    }
                    if *x && *y {
                        apart = false;
                    }
                }
                if !within && !apart {
                    return None;
                }
                inside[i][j] = within;
            }
        }
        Some(inside)
    }

    /// `run` for nested scopes, in O(coupons²) instead of O(coupons × lines).
    fn run_nested(&self, order: &[usize], inside: &[Vec<bool>]) -> Result<Outcome, (usize, UnusableReason)> {
        let mut out = Outcome::default();
        let mut ship_coupon = None;
        let mut discounts: Vec<Fen> = Vec::with_capacity(order.len());
        for (j, &ci) in order.iter().enumerate() {
            let earlier: Fen = (0..j).filter(|i| inside[*i][j]).map(|i| discounts[i]).sum();
            let base = self.candidates[ci].base - earlier;
            match self.discount(ci, base)? {
                Some(d) => {
                    discounts.push(d);
                    out.applied.push((ci, d, Vec::new()));
                }
                None => {
                    discounts.push(0);
                    ship_coupon = Some(ci);
                }
            }
        }
        let goods: Fen = self.after_member_day.iter().sum::<Fen>() - discounts.iter().sum::<Fen>();
        self.settle_shipping(&mut out, goods, ship_coupon);
        Ok(out)
    }

    fn total_before_points(&self, o: &Outcome) -> Fen {
        o.goods_after_coupons + o.shipping
    }

    /// The order key of a selection with equal savings: soonest-expiring coupons first, then
    /// fewer coupons, then smaller ids.
    fn tie_key(&self, selection: &[usize]) -> (Vec<Instant>, usize, Vec<&str>) {
        let mut expiries: Vec<Instant> = selection.iter().map(|i| self.candidates[*i].coupon.valid_to).collect();
        crate::sort::sort_by(&mut expiries, |a, b| a.cmp(b));
        let mut ids: Vec<&str> = selection.iter().map(|i| self.candidates[*i].coupon.id.as_str()).collect();
        crate::sort::sort_by(&mut ids, |a, b| a.cmp(b));
        (expiries, selection.len(), ids)
    }

    fn better(&self, a: (&[usize], Fen), b: (&[usize], Fen)) -> bool {
        match a.1.cmp(&b.1) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => self.tie_key(a.0) < self.tie_key(b.0),
        }
    }

    /// The optimal selection: ≤ 1 coupon per group or one exclusive coupon alone, with the
    /// lowest total (goods + shipping). A selection with a coupon that saves nothing (a
    /// free-shipping coupon when the threshold already waives shipping, a percentage that rounds
    /// to 0) is not considered: it would spend the coupon for nothing. Copies of one template are
    /// interchangeable, so only the best-ranked copy of each template is tried.
    pub fn best_selection(&self) -> Vec<usize> {
        let mut reps: Vec<usize> = Vec::new();
        for (i, c) in self.candidates.iter().enumerate() {
            match reps.iter_mut().find(|r| self.candidates[**r].template.id == c.template.id) {
                Some(r) => {
                    let cur = &self.candidates[*r].coupon;
                    if (c.coupon.valid_to, &c.coupon.id) < (cur.valid_to, &cur.id) {
                        *r = i;
                    }
                }
                None => reps.push(i),
            }
        }
        let of = |g: StackGroup| -> Vec<Option<usize>> {
            std::iter::once(None)
                .chain(reps.iter().filter(|r| !self.candidates[**r].template.exclusive && self.candidates[**r].template.stack_group == g).map(|r| Some(*r)))
                .collect()
        };
        let (items, orders, mut ships) = (of(StackGroup::Item), of(StackGroup::Order), of(StackGroup::Shipping));
        // Every free-shipping coupon that applies saves the same fee: the first that applies in
        // tie order (soonest expiry, then id) beats the rest, so the search stops there.
        crate::sort::sort_by(&mut ships, |a, b| {
            let key = |s: &Option<usize>| s.map(|i| (self.candidates[i].coupon.valid_to, self.candidates[i].coupon.id.as_str()));
            key(a).cmp(&key(b))
        });
        let mut best: Vec<usize> = Vec::new();
        let mut best_total = self.run(&[], false).map(|o| self.total_before_points(&o)).unwrap_or(Fen::MAX);
        // Tries a selection; returns the shipping it leaves when it is valid and every coupon saves.
        let mut consider = |sel: Vec<usize>, this: &Self| -> Option<Fen> {
            let o = this.run(&sel, false).ok().filter(|o| every_coupon_saves(o, sel.len()))?;
            let total = this.total_before_points(&o);
            // Checked only for a would-be winner: the smaller selections are all tried anyway.
            if this.better((&sel, total), (&best, best_total)) && !this.holds_idle_coupon(&sel, total) {
                best = sel;
                best_total = total;
            }
            Some(o.shipping)
        };
        let shipping_alone = self.run(&[], false).map(|o| o.shipping).ok();
        for i in &items {
            for o in &orders {
                let goods: Vec<usize> = [*i, *o].into_iter().flatten().collect();
                let shipping = if goods.is_empty() { shipping_alone } else { consider(goods.clone(), self) };
                // A free-shipping coupon saves only while shipping is still charged; a selection
                // that is invalid, or has a coupon saving nothing, stays so with one added.
                if shipping.is_some_and(|s| s > 0) {
                    for s in ships.iter().flatten() {
                        let mut sel = goods.clone();
                        sel.push(*s);
                        if consider(sel, self).is_some() {
                            break;
                        }
                    }
                }
            }
        }
        for r in reps.iter().filter(|r| self.candidates[**r].template.exclusive) {
            consider(vec![*r], self);
        }
        best
    }

    /// Every valid selection, tried one by one with the exact per-line split: the reference the
    /// optimiser (template dedup, nested-scope shortcut) is tested against.
    pub fn brute_force_selection(&self) -> Vec<usize> {
        let n = self.candidates.len();
        let mut best: Vec<usize> = Vec::new();
        let mut best_total = self.run(&[], true).map(|o| self.total_before_points(&o)).unwrap_or(Fen::MAX);
        for mask in 1u64..(1u64 << n.min(20)) {
            let sel: Vec<usize> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
            if !self.stackable(&sel) {
                continue;
            }
            if let Some(o) = self.run(&sel, true).ok().filter(|o| every_coupon_saves(o, sel.len())) {
                let total = self.total_before_points(&o);
                if !self.holds_idle_coupon(&sel, total) && self.better((&sel, total), (&best, best_total)) {
                    best = sel;
                    best_total = total;
                }
            }
        }
        best
    }

    /// Whether removing one coupon of `sel` leaves its `total` unchanged: that coupon would be
    /// spent for nothing (e.g. an item coupon that only pushes the goods below the free-shipping
    /// threshold), so no selection may hold it.
    fn holds_idle_coupon(&self, sel: &[usize], total: Fen) -> bool {
        !sel.is_empty()
            && (0..sel.len()).any(|k| {
                let rest: Vec<usize> = sel.iter().enumerate().filter(|(j, _)| *j != k).map(|(_, ci)| *ci).collect();
                self.run(&rest, false).is_ok_and(|o| self.total_before_points(&o) == total)
            })
    }

    /// Goods after coupons plus shipping for a selection (candidate indices), if it applies:
    /// what the selection rules compare.
    pub fn selection_total(&self, selection: &[usize]) -> Option<Fen> {
        self.run(selection, true).ok().map(|o| self.total_before_points(&o))
    }

    fn stackable(&self, sel: &[usize]) -> bool {
        if sel.len() > 1 && sel.iter().any(|i| self.candidates[*i].template.exclusive) {
            return false;
        }
        let mut seen = [false; 3];
        sel.iter().all(|i| {
            let g = group_rank(self.candidates[*i].template.stack_group) as usize;
            !std::mem::replace(&mut seen[g], true)
        })
    }

    /// Resolve chosen coupon ids to candidates; the rest become unusable with a reason.
    fn chosen_selection(&mut self, ids: &[String]) -> Vec<usize> {
        let mut sel: Vec<usize> = Vec::new();
        for id in ids {
            if let Some(ci) = self.candidates.iter().position(|c| c.coupon.id == *id) {
                let mut trial = sel.clone();
                trial.push(ci);
                if self.stackable(&trial) && !sel.contains(&ci) {
                    sel = trial;
                } else {
                    let c = &self.candidates[ci];
                    self.unusable.push(UnusableCoupon {
                        id: id.clone(),
                        template: c.template.id.clone(),
                        name: c.template.name.clone(),
                        reason: UnusableReason::NotStackable,
                        missing: 0,
                    });
                }
            } else if !self.unusable.iter().any(|u| u.id == *id) {
                let used = self.state.coupon(id).filter(|c| c.state != CouponState::Available);
                let template = used.and_then(|c| self.program.template(&c.template));
                self.unusable.push(UnusableCoupon {
                    id: id.clone(),
                    template: template.map(|t| t.id.clone()).unwrap_or_default(),
                    name: template.map(|t| t.name.clone()).unwrap_or_default(),
                    reason: if used.is_some() { UnusableReason::AlreadyUsed } else { UnusableReason::NotFound },
                    missing: 0,
                });
            }
        }
        // A chosen coupon that stops qualifying after the ones before it (e.g. 满减 after an item
        // coupon) is dropped and reported.
        loop {
            match self.run(&sel, false) {
                Ok(_) => return sel,
                Err((ci, reason)) => {
                    let c = &self.candidates[ci];
                    let base = c.base;
                    self.unusable.push(UnusableCoupon {
                        id: c.coupon.id.clone(),
                        template: c.template.id.clone(),
                        name: c.template.name.clone(),
                        reason,
                        missing: if reason == UnusableReason::BelowMinSpend { (c.template.min_spend - base).max(1) } else { 0 },
                    });
                    sel.retain(|i| *i != ci);
                }
            }
        }
    }

    /// The 凑单 hint of every coupon below its minimum spend, measured on its base as it would be
    /// in this order: after the applied coupons of the groups that come before its own (an
    /// order coupon's base is what is left after the item coupon), so `missing` is what the
    /// shopper must really add.
    fn measure_missing(&mut self, outcome: &Outcome) {
        let program = self.program;
        // The line amounts each group's coupons see: worked out once per group, not per coupon.
        let mut before_group: [Option<Vec<Fen>>; 3] = [None, None, None];
        let mut measured = Vec::new();
        for (k, u) in self.unusable.iter().enumerate() {
            let Some(t) = (u.reason == UnusableReason::BelowMinSpend).then(|| program.template(&u.template)).flatten() else { continue };
            let rank = group_rank(t.stack_group);
            let amounts = before_group[rank as usize].get_or_insert_with(|| {
                let mut amounts = self.after_member_day.clone();
                for (_, _, shares) in outcome.applied.iter().filter(|(ci, ..)| group_rank(self.candidates[*ci].template.stack_group) < rank) {
                    for (a, s) in amounts.iter_mut().zip(shares) {
                        *a -= s;
                    }
                }
                amounts
            });
            let eligible: Vec<bool> = self.lines.iter().zip(&self.line_skus).map(|(l, sku)| l.flag.is_none() && t.scope.covers(sku)).collect();
            measured.push((k, (t.min_spend - eligible_sum(&eligible, amounts)).max(1)));
        }
        for (k, missing) in measured {
            self.unusable[k].missing = missing;
        }
    }

    /// Ids of the coupons a selection would use.
    pub fn selection_ids(&self, selection: &[usize]) -> Vec<String> {
        selection.iter().map(|i| self.candidates[*i].coupon.id.clone()).collect()
    }

    pub fn quote(mut self, coupons: &CouponChoice, points: PointsChoice) -> Quote {
        let selection = match coupons {
            CouponChoice::Mode(CouponMode::Best) => self.best_selection(),
            CouponChoice::Mode(CouponMode::None) => Vec::new(),
            CouponChoice::Chosen(ids) => self.chosen_selection(ids),
        };
        // `run` succeeded for this selection when it was chosen; an empty one always succeeds.
        let outcome = self.run(&selection, true).unwrap_or_default();
        // A chosen coupon that applies but saves nothing is said so, not silently dropped.
        for &ci in selection.iter().filter(|ci| !outcome.applied.iter().any(|(a, ..)| a == *ci)) {
            let c = &self.candidates[ci];
            self.unusable.push(UnusableCoupon {
                id: c.coupon.id.clone(),
                template: c.template.id.clone(),
                name: c.template.name.clone(),
                reason: UnusableReason::NoSaving,
                missing: 0,
            });
        }
        self.finish(selection, outcome, points)
    }

    fn finish(mut self, selection: Vec<usize>, outcome: Outcome, points: PointsChoice) -> Quote {
        let program = self.program;
        let mut paid: Vec<Fen> = self.after_member_day.clone();
        let mut coupons = Vec::new();
        let mut savings: Vec<Saving> = Vec::new();
        let mut add_saving = |kind: &str, source: &str, amount: Fen| {
            if amount <= 0 {
                return;
            }
            match savings.iter_mut().find(|s| s.kind == kind && s.source == source) {
                Some(s) => s.amount += amount,
                None => savings.push(Saving { kind: kind.into(), source: source.into(), amount }),
            }
        };
        // A flagged line is priced at 0: its member or sale price saves nothing.
        for line in self.lines.iter().filter(|l| l.flag.is_none()) {
            for adj in &line.adjustments {
                let kind = match adj.kind {
                    AdjustmentKind::MemberPrice => "memberPrice",
                    AdjustmentKind::SalePrice => "salePrice",
                    _ => "memberDay",
                };
                add_saving(kind, &adj.source, adj.amount);
            }
        }
        let mut coupon_discount = 0;
        for (ci, discount, shares) in &outcome.applied {
            let c = &self.candidates[*ci];
            let allocation = shares
                .iter()
                .enumerate()
                .filter(|(_, s)| **s > 0)
                .map(|(i, s)| LineShare { line: i, amount: *s })
                .collect();
            coupons.push(AppliedCoupon {
                id: c.coupon.id.clone(),
                template: c.template.id.clone(),
                name: c.template.name.clone(),
                group: c.template.stack_group,
                discount: *discount,
                allocation,
            });
            if c.template.stack_group == StackGroup::Shipping {
                add_saving("shipping", &c.coupon.id, *discount);
                continue;
            }
            coupon_discount += discount;
            add_saving("coupon", &c.coupon.id, *discount);
            for (i, s) in shares.iter().enumerate() {
                if *s > 0 {
                    paid[i] -= s;
                    self.lines[i].adjustments.push(Adjustment { kind: AdjustmentKind::Coupon, source: c.coupon.id.clone(), amount: *s });
                }
            }
        }
        // Step 4: points on the goods after coupons.
        let goods_after_coupons = outcome.goods_after_coupons;
        let balance = crate::points::balance(self.state, self.now);
        let rules = &program.points;
        let (max, unavailable) = if balance < rules.min_balance || balance <= 0 {
            (0, (balance < rules.min_balance).then(|| "BELOW_MIN_BALANCE".to_string()))
        } else {
            // i128 throughout: the cap in points is up to redeemRate/100 × the goods.
            let cap_fen = goods_after_coupons as i128 * rules.max_percent_of_order_bp as i128 / BP_ONE as i128;
            let cap_points = cap_fen * rules.redeem_rate as i128 / 100;
            (round_to_unit(Points::try_from(cap_points.min(balance as i128)).unwrap_or(balance), rules.unit), None)
        };
        let requested = match points {
            PointsChoice::Mode(PointsMode::Max) => max,
            PointsChoice::Amount(n) => n.max(0),
        };
        let used = round_to_unit(requested.min(max), rules.unit);
        // used ≤ max, whose value is at most the goods: the narrowing cannot fail.
        let value = Fen::try_from(used as i128 * 100 / rules.redeem_rate as i128).unwrap_or(0);
        if value > 0 {
            add_saving("points", "points", value);
            let shares = allocate(value, &paid);
            for (i, s) in shares.iter().enumerate() {
                if *s > 0 {
                    paid[i] -= s;
                    self.lines[i].adjustments.push(Adjustment { kind: AdjustmentKind::Points, source: "points".into(), amount: *s });
                }
            }
        }
        let paid_total = goods_after_coupons - value;
        if let Some(w) = outcome.waived_by.as_deref().filter(|w| *w == "threshold") {
            add_saving("shipping", w, self.shipping_base());
        }
        for (line, p) in self.lines.iter_mut().zip(&paid) {
            line.paid = *p;
        }
        let promo = self.promo_bp;
        let earn = earn_points(program, paid_total, self.tier.points_multiplier_bp, promo);
        self.measure_missing(&outcome);
        let selected_ids: Vec<&str> = selection.iter().map(|i| self.candidates[*i].coupon.id.as_str()).collect();
        let usable = self
            .candidates
            .iter()
            .filter(|c| !selected_ids.contains(&c.coupon.id.as_str()) && !self.unusable.iter().any(|u| u.id == c.coupon.id))
            .map(|c| UsableCoupon {
                id: c.coupon.id.clone(),
                template: c.template.id.clone(),
                name: c.template.name.clone(),
                stack_group: c.template.stack_group,
                exclusive: c.template.exclusive,
                valid_to: c.coupon.valid_to,
            })
            .collect();
        let coupon_ids = coupons.iter().map(|c| c.id.clone()).collect();
        let list_total: Fen = self.lines.iter().filter(|l| l.flag.is_none()).map(|l| l.list_amount).sum();
        let goods: Fen = self.lines.iter().map(|l| l.amount).sum();
        let member_day_discount = goods - self.after_member_day.iter().sum::<Fen>();
        let total = (paid_total + outcome.shipping).max(0);
        let shipping_base = self.shipping_base();
        Quote {
            tier: self.tier.id.clone(),
            member_day: self.member_day,
            orderable: !self.lines.is_empty() && self.lines.iter().all(|l| l.flag.is_none()),
            lines: self.lines,
            list_total,
            goods,
            member_day_discount,
            coupon_discount,
            goods_after_coupons,
            points: PointsQuote {
                balance,
                requested,
                used,
                value,
                max,
                unit: rules.unit,
                redeem_rate: rules.redeem_rate,
                unavailable,
                earn,
                tier_multiplier_bp: self.tier.points_multiplier_bp,
                promo_multiplier_bp: promo,
            },
            paid: paid_total,
            shipping_base,
            shipping: outcome.shipping,
            shipping_waived_by: outcome.waived_by,
            total,
            saved: list_total + shipping_base - total,
            savings,
            coupons,
            coupon_ids,
            usable,
            unusable: self.unusable,
        }
    }
}

/// Whether every coupon of a selection of `n` applied and saved at least one fen.
fn every_coupon_saves(o: &Outcome, n: usize) -> bool {
    o.applied.len() == n && o.applied.iter().all(|(_, discount, _)| *discount > 0)
}

/// Σ of the amounts of the lines in scope.
fn eligible_sum(eligible: &[bool], amounts: &[Fen]) -> Fen {
    eligible.iter().zip(amounts).filter(|(e, _)| **e).map(|(_, a)| *a).sum()
}

fn group_rank(g: StackGroup) -> u8 {
    match g {
        StackGroup::Item => 0,
        StackGroup::Order => 1,
        StackGroup::Shipping => 2,
    }
}

fn tier_too_low(program: &Program, tier: &Tier, template: &CouponTemplate) -> bool {
    template.audience.min_tier.as_ref().is_some_and(|min| program.tier_rank(&tier.id) < program.tier_rank(min))
}

fn round_to_unit(points: Points, unit: Points) -> Points {
    if points <= 0 { 0 } else { points / unit * unit }
}

/// floor(paid × pointsPerYuan / 100 × tier multiplier × promo multiplier).
/// Pricing refuses carts whose earnings could pass MAX_POINTS_PER_ORDER, so the conversion
/// cannot fail for a priced cart; it saturates rather than wraps all the same.
pub fn earn_points(program: &Program, paid: Fen, tier_bp: Bp, promo_bp: Bp) -> Points {
    Points::try_from(earn_points_wide(program, paid as i128, tier_bp, promo_bp)).unwrap_or(Points::MAX)
}

fn earn_points_wide(program: &Program, paid: i128, tier_bp: Bp, promo_bp: Bp) -> i128 {
    let n = paid.max(0) * program.points.points_per_yuan as i128 * tier_bp as i128 * promo_bp as i128;
    n / (100 * BP_ONE as i128 * BP_ONE as i128)
}

/// Every line names a catalog SKU with a quantity in 1..=MAX_QTY, and there are at most
/// MAX_LINES of them: checked before any line is priced, so no sum sees an unchecked quantity.
fn check_lines<'p>(program: &'p Program, lines: &[OrderLine]) -> Result<Vec<&'p crate::program::Sku>, OrderError> {
    if lines.len() > MAX_LINES {
        return Err(OrderError::TooManyLines { max: MAX_LINES });
    }
    lines
        .iter()
        .map(|line| {
            let sku = program.sku(&line.sku).ok_or_else(|| OrderError::UnknownSku { sku: line.sku.clone() })?;
            if line.qty == 0 || line.qty > MAX_QTY {
                return Err(OrderError::InvalidQuantity { sku: line.sku.clone() });
            }
            Ok(sku)
        })
        .collect()
}

/// Refuses a cart whose points earned could pass MAX_POINTS_PER_ORDER (the paid amount is at
/// most the list total, so the bound on the list total bounds every outcome).
fn check_earnings_fit(program: &Program, skus: &[&crate::program::Sku], lines: &[OrderLine], tier: &Tier, promo_bp: Bp) -> Result<(), OrderError> {
    let list_total: i128 = skus.iter().zip(lines).map(|(sku, l)| sku.list_price as i128 * l.qty as i128).sum();
    let most = earn_points_wide(program, list_total, tier.points_multiplier_bp, promo_bp);
    if most > MAX_POINTS_PER_ORDER as i128 {
        return Err(OrderError::AmountTooLarge { what: "points earned" });
    }
    Ok(())
}

/// The flag of a limited-sale line, if it cannot be bought now.
fn sale_flag(program: &Program, state: &MemberState, tier: &Tier, stock: &Stock, sku: &str, lines: &[OrderLine], now: Instant) -> Option<LineFlag> {
    let sale = program.limited_sale(sku)?;
    let early = |t: &Tier| t.early_access_minutes as i64 * crate::time::MS_PER_MINUTE;
    let opens = sale.starts_at - early(tier);
    if now >= sale.ends_at {
        return Some(LineFlag::Ended);
    }
    if now < opens {
        let earliest = program.tiers.iter().map(|t| sale.starts_at - early(t)).min().unwrap_or(sale.starts_at);
        return Some(if now >= earliest { LineFlag::EarlyAccessOnly } else { LineFlag::NotStarted });
    }
    let earliest = program.tiers.iter().map(|t| sale.starts_at - early(t)).min().unwrap_or(sale.starts_at);
    // Summed wide: quantities come from the cart and from a restored history.
    let bought: u64 = state
        .paid_orders()
        .filter(|o| o.placed_at >= earliest && o.placed_at < sale.ends_at)
        .flat_map(|o| o.lines.iter())
        .filter(|l| l.sku == sku)
        .map(|l| l.qty as u64)
        .sum();
    let wanted: u64 = lines.iter().filter(|l| l.sku == sku).map(|l| l.qty as u64).sum();
    if bought + wanted > sale.per_member as u64 {
        return Some(LineFlag::LimitReached);
    }
    if !u32::try_from(wanted).is_ok_and(|w| stock.has(&Counter::SaleStock(sku.into()), w)) {
        return Some(LineFlag::SoldOut);
    }
    None
}

/// The figures of a priced cart without its explanation: small enough to cross as a plain value
/// that nothing in wasm memory has to outlive (a cart badge that re-prices on every change).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct QuoteTotals {
    pub total: Fen,
    pub list_total: Fen,
    pub goods: Fen,
    pub member_day_discount: Fen,
    pub coupon_discount: Fen,
    pub goods_after_coupons: Fen,
    pub paid: Fen,
    pub shipping_base: Fen,
    pub shipping: Fen,
    pub saved: Fen,
    pub points_used: Points,
    pub points_earned: Points,
    pub coupon_ids: Vec<String>,
    pub orderable: bool,
}

impl From<&Quote> for QuoteTotals {
    fn from(q: &Quote) -> Self {
        QuoteTotals {
            total: q.total,
            list_total: q.list_total,
            goods: q.goods,
            member_day_discount: q.member_day_discount,
            coupon_discount: q.coupon_discount,
            goods_after_coupons: q.goods_after_coupons,
            paid: q.paid,
            shipping_base: q.shipping_base,
            shipping: q.shipping,
            saved: q.saved,
            points_used: q.points.used,
            points_earned: q.points.earn,
            coupon_ids: q.coupon_ids.clone(),
            orderable: q.orderable,
        }
    }
}

/// The wallet for a cart: the coupons it could use (none applied) and the others with their
/// reason (the 凑单 hint included).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct CartCoupons {
    pub usable: Vec<UsableCoupon>,
    pub unusable: Vec<UnusableCoupon>,
}

pub fn cart_coupons(program: &Program, state: &MemberState, stock: &Stock, lines: &[OrderLine], now: Instant) -> Result<CartCoupons, OrderError> {
    let q = Pricer::new(program, state, stock, lines, now)?.quote(&CouponChoice::Mode(CouponMode::None), PointsChoice::Amount(0));
    Ok(CartCoupons { usable: q.usable, unusable: q.unusable })
}

/// Price a cart.
pub fn quote(program: &Program, state: &MemberState, stock: &Stock, request: &QuoteRequest, now: Instant) -> Result<Quote, OrderError> {
    if let CouponChoice::Chosen(ids) = &request.coupons {
        if ids.len() > MAX_CHOSEN_COUPONS {
            return Err(OrderError::TooManyCoupons { max: MAX_CHOSEN_COUPONS });
        }
    }
    Ok(Pricer::new(program, state, stock, &request.lines, now)?.quote(&request.coupons, request.points))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coupon_and_points_choices_read_every_documented_form() {
        let r: QuoteRequest = serde_json::from_str(r#"{"lines":[],"coupons":"none","points":"max"}"#).unwrap();
        assert_eq!((r.coupons, r.points), (CouponChoice::Mode(CouponMode::None), PointsChoice::Mode(PointsMode::Max)));
        let r: QuoteRequest = serde_json::from_str(r#"{"lines":[],"coupons":["a","b"],"points":300}"#).unwrap();
        assert_eq!((r.coupons, r.points), (CouponChoice::Chosen(vec!["a".into(), "b".into()]), PointsChoice::Amount(300)));
        let r: QuoteRequest = serde_json::from_str(r#"{"lines":[]}"#).unwrap();
        assert_eq!((r.coupons, r.points), (CouponChoice::Mode(CouponMode::Best), PointsChoice::Amount(0)));
        let e = crate::json_path::parse::<QuoteRequest>(r#"{"lines":[],"coupons":"cheapest"}"#).unwrap_err();
        assert_eq!(e.path, "coupons");
        assert!(e.problem.contains(r#"expected "best", "none" or a list of coupon ids"#), "{}", e.problem);
        let e = crate::json_path::parse::<QuoteRequest>(r#"{"lines":[],"points":1.5}"#).unwrap_err();
        assert_eq!(e.path, "points");
    }
}
