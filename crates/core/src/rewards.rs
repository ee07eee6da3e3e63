//! §9 The points mall: redeeming rewards for points.

use crate::effects::{debit, Ctx, Effect};
use crate::error::{Rejection, RewardError};
use crate::program::{Program, RewardGrant};
use crate::state::{MemberState, Redemption};
use crate::stock::Counter;

pub fn redeem(program: &Program, state: &MemberState, reward_id: &str, ctx: &Ctx) -> Result<Vec<Effect>, Rejection> {
    let reward = program.reward(reward_id).ok_or_else(|| RewardError::UnknownReward { reward: reward_id.into() })?;
    if let RewardGrant::Coupon { template } = &reward.grants {
        if let Some(t) = program.template(template) {
            crate::coupons::check_not_ended(t, ctx.now)?;
        }
    }
    if let Some(limit) = reward.per_member {
        if redeemed(state, reward_id) >= limit {
            return Err(RewardError::LimitReached { reward: reward_id.into(), limit }.into());
        }
    }
    let counter = Counter::RewardStock(reward_id.into());
    if reward.stock.is_some() && !ctx.stock.has(&counter, 1) {
        return Err(RewardError::OutOfStock { reward: reward_id.into() }.into());
    }
    let mut effects = vec![debit(state, reward.cost_points, &format!("reward:{reward_id}"), ctx.now)?];
    let coupon = match &reward.grants {
        RewardGrant::Coupon { template } => program.template(template).map(|t| crate::coupons::issue(program, t, ctx.id(1), "pointsMall", ctx.now)),
        RewardGrant::Goods { .. } => None,
    };
    let coupon_id = coupon.as_ref().map(|c| c.id.clone());
    if let Some(coupon) = coupon {
        effects.push(Effect::CouponIssued { coupon });
    }
    effects.push(Effect::RewardRedeemed {
        redemption: Redemption { id: ctx.id(0), reward: reward_id.into(), at: ctx.now, cost_points: reward.cost_points, coupon: coupon_id },
    });
    if reward.stock.is_some() {
        effects.push(Effect::StockTaken { counter, units: 1 });
    }
    Ok(effects)
}

pub fn redeemed(state: &MemberState, reward_id: &str) -> u32 {
    let archived = state.past.redemptions.get(reward_id).copied().unwrap_or(0);
    archived.saturating_add(state.redemptions.iter().filter(|r| r.reward == reward_id).count() as u32)
}
