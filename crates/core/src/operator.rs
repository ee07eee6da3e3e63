//! §15 Changes made by the store's operator: points granted or deducted with a reason shown to
//! the member, a coupon issued to a member (or, once per campaign, to every member of a segment),
//! an unused coupon revoked. Each is a mutation of the store's own client (`STORE_CLIENT`),
//! decided here on the member's state like any other, and reaches the member's devices by pull.

use crate::effects::{credit, debit, Ctx, Effect};
use crate::error::{CouponError, InputError, OperatorError, Rejection};
use crate::program::{Points, Program};
use crate::state::{CouponState, MemberState};

/// The longest reason an operator may give (it is shown to the member).
pub const MAX_REASON_CHARS: usize = 200;
/// The most points one grant or deduction moves.
pub const MAX_POINTS: Points = 10_000_000;
/// The longest campaign id.
pub const MAX_CAMPAIGN_CHARS: usize = 64;

/// The ledger reason of an operator's change: `operator:` and the text the member reads.
pub fn reason_of(text: &str) -> String {
    format!("{OPERATOR}:{text}")
}

/// The source of what an operator grants, and the kind of its ledger reasons.
pub const OPERATOR: &str = "operator";

/// The coupon source of a campaign's issue: each (member, campaign) holds at most one.
pub fn campaign_source(campaign: &str) -> String {
    format!("campaign:{campaign}")
}

fn check_reason(what: &'static str, reason: &str) -> Result<(), Rejection> {
    let n = reason.chars().count();
    if n == 0 || n > MAX_REASON_CHARS || reason.chars().any(char::is_control) {
        return Err(InputError::Invalid { what, path: "reason".into(), problem: format!("must be 1..={MAX_REASON_CHARS} characters without control characters") }.into());
    }
    Ok(())
}

fn check_points(what: &'static str, points: Points) -> Result<(), Rejection> {
    if !(1..=MAX_POINTS).contains(&points) {
        return Err(InputError::Invalid { what, path: "points".into(), problem: format!("must be 1..={MAX_POINTS}") }.into());
    }
    Ok(())
}

/// Points credited at once (not pending: no order can be refunded to cancel them). Id `ctx.id(0)`.
pub fn grant_points(program: &Program, points: Points, reason: &str, ctx: &Ctx) -> Result<Vec<Effect>, Rejection> {
    check_points("grantPoints", points)?;
    check_reason("grantPoints", reason)?;
    Ok(vec![credit(program, ctx, 0, points, &reason_of(reason))])
}

/// Points taken soonest-expiring first; refused `INSUFFICIENT_POINTS` rather than making the
/// balance negative.
pub fn deduct_points(state: &MemberState, points: Points, reason: &str, ctx: &Ctx) -> Result<Vec<Effect>, Rejection> {
    check_points("deductPoints", points)?;
    check_reason("deductPoints", reason)?;
    Ok(vec![debit(state, points, &reason_of(reason), ctx.now)?])
}

/// A coupon of `template` for this member, outside the claim limits (the operator decides), with
/// `campaign`: at most once per (member, campaign) — the state's coupons here, the server's guard
/// for ones the archive holds — and only while the member is in `segment` at `now`. Id `ctx.id(0)`.
pub fn issue_coupon(program: &Program, state: &MemberState, template: &str, campaign: Option<&str>, segment: Option<&str>, ctx: &Ctx) -> Result<Vec<Effect>, Rejection> {
    let t = program.template(template).ok_or_else(|| CouponError::UnknownTemplate { template: template.into() })?;
    if let Some(ended_at) = crate::coupons::ended_at(t, ctx.now) {
        return Err(CouponError::Ended { template: template.into(), ended_at }.into());
    }
    if let Some(c) = campaign {
        if c.is_empty() || c.chars().count() > MAX_CAMPAIGN_CHARS || !c.chars().all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch)) {
            return Err(InputError::Invalid { what: "issueCoupon", path: "campaign".into(), problem: format!("must be 1..={MAX_CAMPAIGN_CHARS} of A–Z, a–z, 0–9, '-', '_', '.'") }.into());
        }
    }
    if let Some(s) = segment {
        if !crate::segments::is_known_segment(s) {
            return Err(InputError::Invalid { what: "issueCoupon", path: "segment".into(), problem: "is not a known segment".into() }.into());
        }
        if !crate::segments::of(state, ctx.now).tags.iter().any(|t| t == s) {
            return Err(OperatorError::NotInSegment { segment: s.into() }.into());
        }
    }
    let source = campaign.map_or_else(|| OPERATOR.to_string(), campaign_source);
    if let Some(c) = campaign {
        if state.coupons.iter().any(|x| x.source == source) {
            return Err(OperatorError::AlreadyIssued { campaign: c.into() }.into());
        }
    }
    Ok(vec![Effect::CouponIssued { coupon: crate::coupons::issue(program, t, ctx.id(0), &source, ctx.now) }])
}

/// An unused coupon taken out of the wallet; one held or used by an order is refused.
pub fn revoke_coupon(state: &MemberState, coupon: &str, reason: &str, ctx: &Ctx) -> Result<Vec<Effect>, Rejection> {
    check_reason("revokeCoupon", reason)?;
    let c = state.coupon(coupon).ok_or_else(|| CouponError::CouponNotFound { coupon: coupon.into() })?;
    let status = match c.state {
        CouponState::Available => None,
        CouponState::Locked { .. } => Some("locked"),
        CouponState::Used { .. } => Some("used"),
    };
    if let Some(status) = status {
        return Err(OperatorError::CouponNotRevocable { coupon: coupon.into(), status }.into());
    }
    Ok(vec![Effect::CouponWithdrawn { coupon: coupon.into(), reason: reason.into(), at: ctx.now }])
}
