//! The referrer's side of a friend's decision (rulebook §14): the code the friend accepted (the
//! host records whose friend the member is, for the loop check of later codes), and the store's
//! changes to make on the referrer's state — written in the friend's transaction as tasks and
//! decided later as the store's own changes of the referrer (`decide_push` with the store's
//! client). A task decided twice is refused `REFERRAL_FRIEND_SETTLED`, so at least once is enough.

use serde::Serialize;
use siyu_core::referral::{code_of, mask};
use siyu_core::{Effect, MemberState, Mutation};

/// A store change to make on the referrer's state (the member whose code is `referrerCode`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct ReferralTask {
    /// Derived from the friend's decision: the same task is written once.
    pub task_id: String,
    /// The friend's decision (its member version): tasks are decided in the order written.
    pub seq: u64,
    pub referrer_code: String,
    /// The mutation's JSON (`{name, args}`), decided on the referrer's state.
    pub mutation: String,
}

/// The referral writes of one decision `seq` of `member` (by `client`'s mutation `id`, its state
/// `after` it): the code accepted, if any, and the tasks.
pub fn referral_of(member: &str, client: &str, id: u64, seq: u64, after: &MemberState, effects: &[Effect]) -> (Option<String>, Vec<ReferralTask>) {
    let friend = code_of(member);
    let mut accepted = None;
    let mut tasks = Vec::new();
    for (n, effect) in effects.iter().enumerate() {
        let (referrer, mutation) = match effect {
            Effect::ReferralAccepted { code, at } => {
                accepted = Some(code.clone());
                (code, Mutation::ReferralJoined { friend: friend.clone(), name: mask(member), at: *at })
            }
            Effect::ReferralFirstOrder { code, order_id } => {
                let Some(order) = after.order(order_id) else { continue };
                (code, Mutation::RewardReferral { friend: friend.clone(), order_id: order_id.clone(), amount: order.total, at: order.paid_time() })
            }
            Effect::ReferralOrderRefunded { code, order_id } => (code, Mutation::CancelReferralReward { friend: friend.clone(), order_id: order_id.clone() }),
            _ => continue,
        };
        let Ok(text) = serde_json::to_string(&mutation) else { continue };
        tasks.push(ReferralTask { task_id: format!("{member}/{client}/{id}/{n}"), seq, referrer_code: referrer.clone(), mutation: text });
    }
    (accepted, tasks)
}
