//! §14 Referral (老带新 / 邀请有礼): a member's code, a friend accepting it (with every refusal of
//! the rulebook), and the referrer's side — the friend listed, rewarded for the friend's first
//! paid order (pending until that order can no longer be refunded, capped per month), the
//! reward cancelled by that order's refund.
//!
//! The friend decides `acceptReferral` on their own state. The referrer's side is made of the
//! store's changes (`referralJoined`, `rewardReferral`, `cancelReferralReward`) on the
//! referrer's state, which the server makes from the effects of the friend's decisions
//! (`ReferralAccepted`, `ReferralFirstOrder`, `ReferralOrderRefunded`).

pub use crate::effects::CodeLookup;
use crate::effects::{credit_pending, Ctx, Effect};
use crate::error::{InputError, ReferralError, Rejection};
use crate::program::{Program, ReferralRules};
use crate::state::{CouponState, Friend, FriendStatus, MemberState};
use crate::time::{Day, Instant, MS_PER_DAY};
use crate::units::Fen;

pub use crate::state::MAX_FRIENDS_KEPT;
/// The source of the coupons referral gives, and the kind of its ledger reasons.
pub const SOURCE: &str = "referral";
/// Characters of a code: Crockford's base 32 (no I, L, O, U: nothing to misread).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// A code's length: 10 characters, 50 bits.
pub const CODE_CHARS: usize = 10;

/// A member's referral code: a one-way 50-bit digest of the member id, the same on every device
/// and on the server. It names the member to the server (which keeps code → member) without
/// saying who they are, and a code says nothing of any other member's code.
pub fn code_of(member_id: &str) -> String {
    // FNV-1a over a domain-separated id, then SplitMix64's finaliser to spread every bit.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in b"siyu-referral:".iter().chain(member_id.as_bytes()) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    (0..CODE_CHARS).map(|i| ALPHABET[((h >> (5 * i)) & 31) as usize] as char).collect()
}

/// Whether `code` has a code's shape (what a shopper types is upper-cased first by the caller).
pub fn is_code(code: &str) -> bool {
    code.len() == CODE_CHARS && code.bytes().all(|b| ALPHABET.contains(&b))
}

/// How the referrer sees a friend: the first and last character of the id, the rest hidden.
pub fn mask(member_id: &str) -> String {
    let chars: Vec<char> = member_id.chars().collect();
    match chars.as_slice() {
        [] => String::new(),
        [only] => format!("{only}***"),
        [first, .., last] => format!("{first}***{last}"),
    }
}

/// The first instant a member can no longer accept a code: `bindDays` after joining.
fn accept_deadline(rules: &ReferralRules, state: &MemberState) -> Instant {
    state.joined_at.saturating_add(i64::from(rules.bind_days) * MS_PER_DAY)
}

/// Rewards this referrer was given in the calendar month of `at` (the store's time zone); a
/// reward cancelled since does not count.
fn rewarded_in_month(program: &Program, state: &MemberState, at: Instant) -> u32 {
    let month = |t: Instant| Day::of(t, program.utc_offset_minutes).first_of_month();
    let n = state.referral.friends.iter().filter(|f| f.status == FriendStatus::Rewarded && month(f.at) == month(at)).count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// `acceptReferral {code}`: the friend binds to the referrer once and gets the friend coupon
/// (id `ctx.id(0)`).
pub fn accept(program: &Program, state: &MemberState, code: &str, ctx: &Ctx) -> Result<Vec<Effect>, Rejection> {
    let rules = program.referral.as_ref().ok_or(ReferralError::NotOffered)?;
    if !is_code(code) {
        return Err(InputError::Invalid { what: "acceptReferral", path: "code".into(), problem: format!("must be {CODE_CHARS} characters of {}", std::str::from_utf8(ALPHABET).unwrap_or_default()) }.into());
    }
    if code == code_of(&state.member_id) {
        return Err(ReferralError::OwnCode.into());
    }
    if let Some(by) = &state.referral.referred_by {
        return Err(ReferralError::AlreadyBound { code: by.code.clone() }.into());
    }
    let lookup = ctx.referral_code;
    if state.referral.friends.iter().any(|f| f.code == code) || lookup.is_some_and(|l| l.owner_referred_by_member) {
        return Err(ReferralError::Loop { code: code.into() }.into());
    }
    if ctx.now >= accept_deadline(rules, state) {
        return Err(ReferralError::TooLate { bind_days: rules.bind_days }.into());
    }
    if state.has_ordered() {
        return Err(ReferralError::AfterOrder.into());
    }
    if lookup.is_some_and(|l| !l.known) {
        return Err(ReferralError::CodeUnknown { code: code.into() }.into());
    }
    let mut effects = vec![Effect::ReferralAccepted { code: code.into(), at: ctx.now }];
    if let Some(t) = program.template(&rules.friend_coupon).filter(|t| crate::coupons::ended_at(t, ctx.now).is_none()) {
        effects.push(Effect::CouponIssued { coupon: crate::coupons::issue(program, t, ctx.id(0), SOURCE, ctx.now) });
    }
    Ok(effects)
}

/// On the friend's state, paying `order_id`: the referrer's reward is decided on the first paid
/// order of a referred member.
pub fn first_order(state: &MemberState, order_id: &str) -> Option<Effect> {
    let by = state.referral.referred_by.as_ref()?;
    (by.first_order.is_none() && !state.has_ordered()).then(|| Effect::ReferralFirstOrder { code: by.code.clone(), order_id: order_id.into() })
}

/// On the friend's state, refunding `order_id`: the referrer's reward for it is to be cancelled.
pub fn refunded(state: &MemberState, order_id: &str) -> Option<Effect> {
    let by = state.referral.referred_by.as_ref()?;
    (by.first_order.as_deref() == Some(order_id)).then(|| Effect::ReferralOrderRefunded { code: by.code.clone(), order_id: order_id.into() })
}

fn listed<'a>(state: &'a MemberState, friend: &str) -> Result<&'a Friend, Rejection> {
    state.referral.friends.iter().find(|f| f.code == friend).ok_or_else(|| ReferralError::FriendNotFound { friend: friend.into() }.into())
}

fn settled(f: &Friend) -> Rejection {
    ReferralError::FriendSettled { friend: f.code.clone(), status: f.status }.into()
}

/// The store, on the referrer's state: `friend` (their code, shown as `name`) accepted this
/// member's code at `at`.
pub fn joined(program: &Program, state: &MemberState, friend: &str, name: &str, at: Instant) -> Result<Vec<Effect>, Rejection> {
    program.referral.as_ref().ok_or(ReferralError::NotOffered)?;
    if let Some(f) = state.referral.friends.iter().find(|f| f.code == friend) {
        return Err(settled(f));
    }
    let friend = Friend { code: friend.into(), name: name.into(), joined_at: at, status: FriendStatus::Joined, at, order_id: None, lot: None, coupon: None };
    Ok(vec![Effect::FriendUpdated { friend }])
}

/// The store, on the referrer's state: the friend paid their first order (`total` fen at
/// `paid_at`). Below `minFirstPaid` or over the month's cap the friend is marked so and nothing
/// is given; else the reward's points are credited pending until the friend's order can no longer
/// be refunded (lot `ctx.id(0)`), and its coupon (`ctx.id(1)`) is valid from then too.
pub fn reward(program: &Program, state: &MemberState, friend: &str, order_id: &str, total: Fen, paid_at: Instant, ctx: &Ctx) -> Result<Vec<Effect>, Rejection> {
    let rules = program.referral.as_ref().ok_or(ReferralError::NotOffered)?;
    let f = listed(state, friend)?;
    if f.status != FriendStatus::Joined {
        return Err(settled(f));
    }
    let mut next = Friend { status: FriendStatus::Rewarded, at: ctx.now, order_id: Some(order_id.into()), ..f.clone() };
    let this_month = rewarded_in_month(program, state, ctx.now);
    let mut effects = Vec::new();
    if total < rules.min_first_paid {
        next.status = FriendStatus::BelowMinimum;
    } else if this_month >= rules.max_rewards_per_month {
        next.status = FriendStatus::OverMonthlyCap;
    } else {
        let available_at = crate::points::available_after_payment(program, paid_at).filter(|t| *t > ctx.now);
        let reason = format!("{SOURCE}:{friend}");
        if rules.referrer_reward.points > 0 {
            next.lot = Some(ctx.id(0));
            effects.push(credit_pending(program, ctx, 0, rules.referrer_reward.points, &reason, available_at));
        }
        if let Some(t) = rules.referrer_reward.coupon.as_deref().and_then(|t| program.template(t)) {
            let from = available_at.unwrap_or(ctx.now);
            if crate::coupons::ended_at(t, from).is_none() {
                next.coupon = Some(ctx.id(1));
                effects.push(Effect::CouponIssued { coupon: crate::coupons::issue(program, t, ctx.id(1), SOURCE, from) });
            }
        }
    }
    effects.push(Effect::FriendUpdated { friend: next });
    Ok(effects)
}

/// The store, on the referrer's state: the friend's first order was refunded. A reward still
/// pending is cancelled whole (its lot and its coupon while unused); the friend is marked.
pub fn cancel(state: &MemberState, friend: &str, order_id: &str, ctx: &Ctx) -> Result<Vec<Effect>, Rejection> {
    let f = listed(state, friend)?;
    if f.order_id.as_deref() != Some(order_id) || !matches!(f.status, FriendStatus::Rewarded | FriendStatus::BelowMinimum | FriendStatus::OverMonthlyCap) {
        return Err(settled(f));
    }
    let reason = format!("{SOURCE}:{friend}");
    let mut effects = Vec::new();
    if f.status == FriendStatus::Rewarded {
        if let Some(lot) = f.lot.as_ref().and_then(|id| state.lots.iter().find(|l| l.id == *id)) {
            if lot.remaining > 0 && crate::points::is_pending(lot, ctx.now) {
                let lots = vec![crate::state::LotAmount { lot: lot.id.clone(), points: lot.remaining }];
                effects.push(Effect::PointsDebited { lots, reason: format!("{reason}:refunded"), shortfall: 0, at: ctx.now });
            }
        }
        if let Some(c) = f.coupon.as_ref().and_then(|id| state.coupon(id)) {
            if c.state == CouponState::Available {
                effects.push(Effect::CouponWithdrawn { coupon: c.id.clone(), reason: format!("{reason}:refunded"), at: ctx.now });
            }
        }
    }
    effects.push(Effect::FriendUpdated { friend: Friend { status: FriendStatus::Cancelled, at: ctx.now, ..f.clone() } });
    Ok(effects)
}

/// A code as a shopper may type or paste it: spaces dropped, letters in upper case (a code is
/// ASCII: Unicode's case tables would cost the module some 17 kB).
pub fn normalize(code: &str) -> String {
    code.chars().filter(|c| !c.is_ascii_whitespace()).map(|c| c.to_ascii_uppercase()).collect()
}

/// What the member's referral page shows.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct ReferralView {
    /// Whether the store has referral at all; the rest is empty when not.
    pub offered: bool,
    /// This member's code, to share.
    pub code: String,
    /// The code this member accepted.
    pub referred_by: Option<String>,
    /// Until when this member may still accept a code (none: no longer, or accepted).
    pub accept_until: Option<Instant>,
    /// Friends, newest first.
    pub friends: Vec<FriendView>,
    /// Friends no longer listed.
    pub friends_before: u64,
    pub rewarded_this_month: u32,
    pub max_rewards_per_month: u32,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct FriendView {
    pub name: String,
    pub joined_at: Instant,
    /// `joined`, `pending` (rewarded, waiting for the friend's refund window), `rewarded`,
    /// `belowMinimum`, `overMonthlyCap`, `cancelled`.
    pub status: &'static str,
    pub at: Instant,
    /// The reward's points, and when they become usable while pending.
    pub points: i64,
    pub available_at: Option<Instant>,
    pub coupon: Option<String>,
}

pub fn view(program: &Program, state: &MemberState, now: Instant) -> ReferralView {
    let Some(rules) = &program.referral else {
        return ReferralView { offered: false, code: String::new(), referred_by: None, accept_until: None, friends: vec![], friends_before: 0, rewarded_this_month: 0, max_rewards_per_month: 0 };
    };
    let r = &state.referral;
    let deadline = accept_deadline(rules, state);
    let accept_until = (r.referred_by.is_none() && !state.has_ordered() && now < deadline).then_some(deadline);
    let friends = r
        .friends
        .iter()
        .rev()
        .map(|f| {
            let lot = f.lot.as_ref().and_then(|id| state.lots.iter().find(|l| l.id == *id));
            let pending = lot.is_some_and(|l| crate::points::is_pending(l, now));
            let status = match f.status {
                FriendStatus::Joined => "joined",
                FriendStatus::Rewarded if pending => "pending",
                FriendStatus::Rewarded => "rewarded",
                FriendStatus::BelowMinimum => "belowMinimum",
                FriendStatus::OverMonthlyCap => "overMonthlyCap",
                FriendStatus::Cancelled => "cancelled",
            };
            FriendView {
                name: f.name.clone(),
                joined_at: f.joined_at,
                status,
                at: f.at,
                points: if f.status == FriendStatus::Rewarded { lot.map_or(0, |l| l.points) } else { 0 },
                available_at: lot.filter(|_| pending).and_then(|l| l.available_at),
                coupon: f.coupon.clone().filter(|_| f.status == FriendStatus::Rewarded),
            }
        })
        .collect();
    ReferralView {
        offered: true,
        code: code_of(&state.member_id),
        referred_by: r.referred_by.as_ref().map(|b| b.code.clone()),
        accept_until,
        friends,
        friends_before: r.friends_before,
        rewarded_this_month: rewarded_in_month(program, state, now),
        max_rewards_per_month: rules.max_rewards_per_month,
    }
}
