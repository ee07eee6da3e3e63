//! The events a decision tells the merchant's backend (docs/events.md): one per effect of a
//! reported kind, and `tier.changed` when the decision moved the member's tier. Each has an id
//! derived from its decision (`<member>/<seq>/<n>`), so a host that writes them twice writes
//! them once.

use serde::Serialize;
use serde_json::{json, Value};
use siyu_core::state::FriendStatus;
use siyu_core::time::Instant;
use siyu_core::Effect;

/// One event to store in the decision's transaction and deliver.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: String,
    pub seq: u64,
    /// Its place among the decision's events.
    pub n: u64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The JSON posted to the webhook, as it is signed.
    pub body: String,
    pub at: Instant,
}

/// The event types, and the effect each comes from (`tier.changed` compares the tier before
/// and after the decision).
fn event_type(effect: &Effect) -> Option<&'static str> {
    Some(match effect {
        Effect::OrderPlaced { .. } => "order.placed",
        Effect::OrderPaid { .. } => "order.paid",
        Effect::OrderCancelled { .. } => "order.cancelled",
        Effect::OrderRefunded { .. } => "order.refunded",
        Effect::PointsCredited { .. } | Effect::PointsRestored { .. } => "points.credited",
        Effect::PointsDebited { .. } => "points.debited",
        Effect::CouponIssued { .. } => "coupon.issued",
        Effect::CouponUsed { .. } => "coupon.used",
        Effect::CouponRevoked { .. } | Effect::CouponWithdrawn { .. } => "coupon.revoked",
        Effect::FriendUpdated { friend } if friend.status == FriendStatus::Rewarded => "referral.rewarded",
        _ => return None,
    })
}

/// An event's body: the one shape every event has (docs/events.md).
pub fn envelope(id: &str, kind: &str, member: &str, seq: u64, at: Instant, data: Value) -> String {
    json!({ "id": id, "type": kind, "memberId": member, "seq": seq, "at": at, "data": data }).to_string()
}

/// The events of one decision.
pub fn events_of(member: &str, seq: u64, at: Instant, tier_change: Option<(&str, &str)>, effects: &[Effect]) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::new();
    let mut push = |kind: &'static str, data: Value| {
        let n = out.len() as u64;
        let id = format!("{member}/{seq}/{n}");
        let body = envelope(&id, kind, member, seq, at, data);
        out.push(Event { id, seq, n, kind, body, at });
    };
    for effect in effects {
        if let Some(kind) = event_type(effect) {
            push(kind, serde_json::to_value(effect).unwrap_or(Value::Null));
        }
    }
    if let Some((from, to)) = tier_change {
        push("tier.changed", json!({ "from": from, "to": to }));
    }
    out
}

/// The instants at which lots credited by `effects` expire: a sweep tells `points.expired` then.
pub fn lot_expiries(effects: &[Effect]) -> Vec<Instant> {
    let mut out = Vec::new();
    for effect in effects {
        match effect {
            Effect::PointsCredited { lot, .. } => out.extend(lot.expires_at),
            Effect::PointsRestored { lots, .. } => out.extend(lots.iter().filter_map(|l| l.expires_at)),
            _ => {}
        }
    }
    out
}
