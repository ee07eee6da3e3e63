//! §13 Promotions (营销活动): which of the program's promotions a member may use at `now`, and
//! how many times they used each. The promotions themselves (multi-buy, bundles, ladders, gifts)
//! are part of the program (`program::promotions`); pricing them is a step of the quote
//! (`quote::promotions`).

pub use crate::program::{BundleItem, Promotion, PromotionRule, PromotionTier, ThresholdBy, Window};
use crate::program::Program;
use crate::state::MemberState;
use crate::time::Instant;

/// How many orders of the member use the promotion now: awaiting payment or paid and not
/// refunded (a cancelled or refunded order gives its use back), archived ones included.
pub fn uses(state: &MemberState, promotion: &str) -> u32 {
    let live = state.orders.iter().filter(|o| o.takes_stock() && o.promotions.iter().any(|p| p == promotion)).count();
    let archived = state.past.recent_orders.iter().filter(|f| !f.refunded && f.promotions.iter().any(|p| p == promotion)).count();
    u32::try_from(live + archived).unwrap_or(u32::MAX)
}

/// Whether the promotion runs at `now` for this member (validity and audience; its per-member
/// uses are judged by the quote, which shows a used-up promotion as such).
pub fn runs_for(program: &Program, state: &MemberState, promotion: &Promotion, now: Instant) -> bool {
    now >= promotion.validity.from && now < promotion.validity.to && crate::coupons::audience_problem(program, state, &promotion.audience, now).is_none()
}

/// The promotions running at `now` for this member, in program order: what the home page shows.
pub fn running<'p>(program: &'p Program, state: &MemberState, now: Instant) -> Vec<&'p Promotion> {
    program.promotions.iter().filter(|p| runs_for(program, state, p, now)).collect()
}
