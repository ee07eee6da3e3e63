//! §6 Coupons and the wallet: issuing instances, claim rules, wallet views and the claim centre.

use crate::error::CouponError;
use crate::program::{Audience, CouponKind, CouponTemplate, Fen, Program, Scope, StackGroup, Validity};
use crate::state::{CouponInstance, CouponState, MemberState};
use crate::stock::{Counter, Stock};
use crate::time::{Day, Instant, MS_PER_DAY};
use serde::Serialize;

/// A new instance of `template` issued at `now`.
pub fn issue(program: &Program, template: &CouponTemplate, id: String, source: &str, now: Instant) -> CouponInstance {
    let off = program.utc_offset_minutes;
    let (valid_from, valid_to) = match template.validity {
        Validity::Fixed { from, to } => (from, to),
        Validity::Relative { days, from_next_day } => {
            let today = Day::of(now, off);
            let first = if from_next_day { today.plus(1) } else { today };
            let from = if from_next_day { first.start(off) } else { now };
            (from, first.plus(days as i32 - 1).end(off))
        }
    };
    CouponInstance {
        id,
        template: template.id.clone(),
        claimed_at: now,
        valid_from,
        valid_to,
        source: source.to_string(),
        state: CouponState::Available,
    }
}

/// When a template with a fixed validity stopped being usable (None while it can still issue
/// coupons that are valid at some point from `now`).
pub fn ended_at(template: &CouponTemplate, now: Instant) -> Option<Instant> {
    match template.validity {
        Validity::Fixed { to, .. } if now >= to => Some(to),
        _ => None,
    }
}

/// Refuses a template whose fixed validity is over: claiming it or buying it with points would
/// spend a quota, a limit or points on a coupon born expired.
pub fn check_not_ended(template: &CouponTemplate, now: Instant) -> Result<(), CouponError> {
    match ended_at(template, now) {
        Some(ended_at) => Err(CouponError::Ended { template: template.id.clone(), ended_at }),
        None => Ok(()),
    }
}

/// Where a claimed coupon comes from, by its audience.
pub fn claim_source(template: &CouponTemplate) -> &'static str {
    if template.audience.birthday {
        "birthday"
    } else if template.audience.member_day {
        "memberDay"
    } else {
        "claim"
    }
}

/// Why the member may not claim this template now (None = they may).
pub fn claim_problem(program: &Program, state: &MemberState, template: &CouponTemplate, now: Instant) -> Option<&'static str> {
    if let Some(problem) = audience_problem(program, state, &template.audience, now) {
        return Some(problem);
    }
    if template.audience.birthday {
        // A tier's own birthday coupon replaces the program's: each member claims theirs only.
        let tier = crate::tiers::current_tier(program, state, now);
        if crate::birthday::coupon_template(program, tier).is_some_and(|own| own != template.id) {
            return Some("not the birthday coupon of this member's tier");
        }
        if crate::birthday::claimed_in_year(program, state, program.business_day(now).year()) {
            return Some("the birthday coupon was already claimed this year");
        }
    }
    None
}

/// Why an audience (of a coupon template or a promotion) does not hold this member now.
pub fn audience_problem(program: &Program, state: &MemberState, a: &Audience, now: Instant) -> Option<&'static str> {
    let today = program.business_day(now);
    if a.new_member && state.has_ordered() {
        return Some("only for members without an order yet");
    }
    if let Some(min) = &a.min_tier {
        let tier = crate::tiers::current_tier(program, state, now);
        if program.tier_rank(&tier.id) < program.tier_rank(min) {
            return Some("needs a higher tier");
        }
    }
    if a.member_day && !crate::member_day::is_member_day(program, today) {
        return Some("claimable on member day only");
    }
    if a.birthday && !crate::birthday::in_window(program, state, today) {
        return Some("claimable in the birthday window only");
    }
    if !a.segments.is_empty() {
        let tags = crate::segments::of(state, now).tags;
        if !a.segments.iter().any(|s| tags.contains(s)) {
            return Some("not in the segments this coupon is for");
        }
    }
    None
}

/// Claims of this template made by the member (grants from gifts, streaks and rewards don't count).
pub fn claims_of(state: &MemberState, template: &str) -> u32 {
    let archived = state.past.claims.get(template).copied().unwrap_or(0);
    let above = state.coupons.iter().filter(|c| c.template == template && counts_as_claim(c)).count() as u32;
    archived.saturating_add(above)
}

/// Whether a coupon counts against its template's per-member limit.
pub fn counts_as_claim(coupon: &CouponInstance) -> bool {
    matches!(coupon.source.as_str(), "claim" | "birthday" | "memberDay")
}

/// Used and expired coupons show in the wallet (and expired ones among a quote's unusable)
/// for this many days after their use or end; older ones are in the coupon history.
pub const SHOWN_AFTER_END_DAYS: i64 = 30;

/// When a coupon stopped being usable for good: its use, or the end of its validity.
pub fn finished_at(coupon: &CouponInstance) -> Instant {
    match &coupon.state {
        CouponState::Used { at, .. } => *at,
        CouponState::Available | CouponState::Locked { .. } => coupon.valid_to,
    }
}

/// Whether a used or expired coupon still shows at `now` (a locked or usable one always does).
pub fn still_shown(coupon: &CouponInstance, now: Instant, pending_orders: &[String]) -> bool {
    match status(coupon, now, pending_orders) {
        CouponStatus::Used | CouponStatus::Expired => now.saturating_sub(finished_at(coupon)) <= SHOWN_AFTER_END_DAYS * MS_PER_DAY,
        _ => true,
    }
}

pub fn decide_claim<'p>(
    program: &'p Program,
    state: &MemberState,
    template_id: &str,
    stock: &Stock,
    now: Instant,
) -> Result<&'p CouponTemplate, CouponError> {
    let template = program.template(template_id).ok_or_else(|| CouponError::UnknownTemplate { template: template_id.into() })?;
    if !template.claimable {
        return Err(CouponError::NotClaimable { template: template_id.into() });
    }
    check_not_ended(template, now)?;
    if let Some(reason) = claim_problem(program, state, template, now) {
        return Err(CouponError::Audience { template: template_id.into(), reason });
    }
    if let Some(limit) = template.per_member {
        if claims_of(state, template_id) >= limit {
            return Err(CouponError::PerMemberLimit { template: template_id.into(), limit });
        }
    }
    if template.total_quota.is_some() && !stock.has(&Counter::CouponQuota(template_id.into()), 1) {
        return Err(CouponError::QuotaExhausted { template: template_id.into() });
    }
    Ok(template)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum CouponStatus {
    Available,
    NotYetValid,
    /// Held by an order awaiting payment, or used by one the server has not confirmed yet.
    Locked,
    Used,
    Expired,
}

pub fn status(coupon: &CouponInstance, now: Instant, pending_orders: &[String]) -> CouponStatus {
    match &coupon.state {
        CouponState::Locked { .. } => CouponStatus::Locked,
        CouponState::Used { order_id, .. } if pending_orders.contains(order_id) => CouponStatus::Locked,
        CouponState::Used { .. } => CouponStatus::Used,
        CouponState::Available if now >= coupon.valid_to => CouponStatus::Expired,
        CouponState::Available if now < coupon.valid_from => CouponStatus::NotYetValid,
        CouponState::Available => CouponStatus::Available,
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct WalletCoupon {
    pub id: String,
    pub template: String,
    pub name: String,
    pub kind: CouponKind,
    pub min_spend: Fen,
    pub scope: Scope,
    pub stack_group: StackGroup,
    pub exclusive: bool,
    pub status: CouponStatus,
    pub valid_from: Instant,
    pub valid_to: Instant,
    /// Whole business days left including today (0 once expired).
    pub days_left: i64,
    pub source: String,
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "string | null"))]
    pub order_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Wallet {
    /// Usable now or later (includes not-yet-valid ones), soonest-expiring first.
    pub available: Vec<WalletCoupon>,
    /// Available and ending within `remindDays`.
    pub expiring: Vec<WalletCoupon>,
    /// Used, or locked in an order awaiting payment (or the server).
    pub used: Vec<WalletCoupon>,
    pub expired: Vec<WalletCoupon>,
}

pub fn view(program: &Program, coupon: &CouponInstance, now: Instant, pending_orders: &[String]) -> Option<WalletCoupon> {
    let t = program.template(&coupon.template)?;
    let off = program.utc_offset_minutes;
    let status = status(coupon, now, pending_orders);
    let days_left = if now >= coupon.valid_to {
        0
    } else {
        (Day::of(coupon.valid_to - 1, off).0 - Day::of(now, off).0) as i64 + 1
    };
    Some(WalletCoupon {
        id: coupon.id.clone(),
        template: t.id.clone(),
        name: t.name.clone(),
        kind: t.kind.clone(),
        min_spend: t.min_spend,
        scope: t.scope.clone(),
        stack_group: t.stack_group,
        exclusive: t.exclusive,
        status,
        valid_from: coupon.valid_from,
        valid_to: coupon.valid_to,
        days_left,
        source: coupon.source.clone(),
        order_id: match &coupon.state {
            CouponState::Used { order_id, .. } | CouponState::Locked { order_id, .. } => Some(order_id.clone()),
            CouponState::Available => None,
        },
    })
}

pub fn wallet(program: &Program, state: &MemberState, now: Instant, pending_orders: &[String]) -> Wallet {
    let mut views: Vec<WalletCoupon> = state.coupons.iter().filter(|c| still_shown(c, now, pending_orders)).filter_map(|c| view(program, c, now, pending_orders)).collect();
    crate::sort::sort_by(&mut views, |a, b| a.valid_to.cmp(&b.valid_to).then(a.id.cmp(&b.id)));
    let remind_until = now.saturating_add(program.remind_days as i64 * MS_PER_DAY);
    let mut w = Wallet { available: vec![], expiring: vec![], used: vec![], expired: vec![] };
    for v in views {
        match v.status {
            CouponStatus::Available | CouponStatus::NotYetValid => {
                if v.status == CouponStatus::Available && v.valid_to <= remind_until {
                    w.expiring.push(v.clone());
                }
                w.available.push(v);
            }
            CouponStatus::Locked | CouponStatus::Used => w.used.push(v),
            CouponStatus::Expired => w.expired.push(v),
        }
    }
    w
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct ClaimOffer {
    pub template: CouponTemplate,
    pub claimable: bool,
    /// Why not, as a rejection code (AUDIENCE, PER_MEMBER_LIMIT, QUOTA_EXHAUSTED).
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "string | null"))]
    pub reason: Option<String>,
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "string | null"))]
    pub reason_text: Option<String>,
    pub member_day_only: bool,
    pub claimed: u32,
    /// Quota left as last seen from the server (null = no quota).
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "number | null"))]
    pub remaining: Option<u32>,
}

/// The claim centre: every claimable template and whether this member can claim it now.
pub fn claim_centre(program: &Program, state: &MemberState, stock: &Stock, now: Instant) -> Vec<ClaimOffer> {
    program
        .coupon_templates
        .iter()
        .filter(|t| t.claimable)
        .map(|t| {
            let decision = decide_claim(program, state, &t.id, stock, now);
            let (reason, reason_text) = match &decision {
                Ok(_) => (None, None),
                Err(e) => {
                    let r = crate::error::Rejection::from(e.clone());
                    (Some(r.code().to_string()), Some(r.message()))
                }
            };
            ClaimOffer {
                template: t.clone(),
                claimable: decision.is_ok(),
                reason,
                reason_text,
                member_day_only: t.audience.member_day,
                claimed: claims_of(state, &t.id),
                remaining: t.total_quota.map(|q| stock.remaining(&Counter::CouponQuota(t.id.clone())).unwrap_or(q)),
            }
        })
        .collect()
}
