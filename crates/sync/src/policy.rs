//! The client's sync policy: what to do after the server refuses a push or a pull, backoff with
//! full jitter, and the clock offset learned from the server. Every shim asks; none decides.

use siyu_core::time::Instant;
use serde::Serialize;

/// Full-jitter exponential backoff: attempt n (0-based) waits a uniformly random time in
/// [0, min(cap, base × 2ⁿ)], and never less than the server's Retry-After. `random` is a number in
/// [0, 1) supplied by the caller (the engine reads no random source).
pub fn backoff_delay_ms(attempt: u32, random: f64, retry_after_ms: Option<u64>) -> u64 {
    const BASE_MS: u64 = 1_000;
    const CAP_MS: u64 = 300_000;
    let ceiling = BASE_MS.saturating_mul(1u64 << attempt.min(20)).min(CAP_MS);
    let r = if random.is_finite() { random.clamp(0.0, 1.0) } else { 0.0 };
    let jitter = (ceiling as f64 * r) as u64;
    jitter.max(retry_after_ms.unwrap_or(0))
}

/// What a client does when the server refuses a push or a pull: the sync shim asks and follows,
/// so the policy is tested here, natively, and is the same in every shim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum Recovery {
    /// 409 `OUT_OF_ORDER`: the server decided more than this client knows — pull, then push again.
    CatchUp,
    /// Too large, or refused as a request, with several mutations in the batch: send at most `max`
    /// at a time until the one at fault is alone.
    Shrink { max: usize },
    /// One mutation the server will never decide: it leaves the queue as a reversal with the
    /// server's reason, and the rest moves to a new client id (the server waits for this id).
    RefuseFirst,
    /// The client id cannot go on (its ids were decided for other changes after this device lost
    /// its data, or it is another member's): the same queue goes on under a new client id.
    MoveClient,
    /// 426: the server speaks another protocol; nothing more is sent until the app reloads.
    Halt,
    /// No reply, 408, 429 or 5xx: try again after `backoff_delay_ms`.
    Retry,
    /// Anything else: reported in the status; the next round tries again.
    Report,
}

/// How many times in a row a client catches up after `OUT_OF_ORDER` before reporting it.
pub const MAX_CATCH_UPS: u32 = 3;

/// Whether a failed call is worth retrying: no reply (status 0), 408, 429 and 5xx.
pub fn retryable(status: u16) -> bool {
    status == 0 || status == 408 || status == 429 || status >= 500
}

/// After the server refused a push of `batch` mutations (`status` 0 = no reply) with `code`;
/// `max_hint` is a 413's `details.max`; `catch_ups` counts the `CatchUp`s just before this one.
pub fn push_recovery(status: u16, code: &str, max_hint: Option<u64>, batch: usize, catch_ups: u32) -> Recovery {
    let refused_request = status == 413 || status == 400 || (status == 422 && code != "MUTATION_ID_REUSED");
    match status {
        409 if catch_ups < MAX_CATCH_UPS => Recovery::CatchUp,
        _ if refused_request && batch > 1 => {
            let max = match (status, max_hint) {
                (413, Some(max)) if max > 0 && (max as usize) < batch => max as usize,
                (413, _) => batch.div_ceil(2),
                _ => 1,
            };
            Recovery::Shrink { max }
        }
        _ if refused_request => Recovery::RefuseFirst,
        422 | 403 if code == "MUTATION_ID_REUSED" || code == "CLIENT_NOT_OWNED" => Recovery::MoveClient,
        _ => after_failure(status),
    }
}

/// After the server refused a pull.
pub fn pull_recovery(status: u16, code: &str) -> Recovery {
    match status {
        403 if code == "CLIENT_NOT_OWNED" => Recovery::MoveClient,
        _ => after_failure(status),
    }
}

fn after_failure(status: u16) -> Recovery {
    match status {
        426 => Recovery::Halt,
        s if retryable(s) => Recovery::Retry,
        _ => Recovery::Report,
    }
}

/// The offset to add to device time to get server time, from one request/response exchange:
/// the server's time is taken to be at the midpoint of the round trip.
pub fn clock_offset_ms(sent_at: Instant, received_at: Instant, server_time: Instant) -> i64 {
    let midpoint = sent_at + (received_at - sent_at) / 2;
    server_time - midpoint
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_refusals_are_recovered_from_as_the_protocol_says() {
        use Recovery::*;
        // Out of order: catch up, a few times, then report.
        assert_eq!(push_recovery(409, "OUT_OF_ORDER", None, 5, 0), CatchUp);
        assert_eq!(push_recovery(409, "OUT_OF_ORDER", None, 5, MAX_CATCH_UPS), Report);
        // Too large: the server's maximum when it names a smaller one, else half; alone: refused.
        assert_eq!(push_recovery(413, "BATCH_TOO_LARGE", Some(40), 100, 0), Shrink { max: 40 });
        assert_eq!(push_recovery(413, "BATCH_TOO_LARGE", Some(400), 100, 0), Shrink { max: 50 });
        assert_eq!(push_recovery(413, "BATCH_TOO_LARGE", Some(0), 7, 0), Shrink { max: 4 });
        assert_eq!(push_recovery(413, "BATCH_TOO_LARGE", None, 1, 0), RefuseFirst);
        // Refused as a request: one at a time until the one at fault is alone, then it is refused.
        assert_eq!(push_recovery(400, "BAD_REQUEST", None, 9, 0), Shrink { max: 1 });
        assert_eq!(push_recovery(422, "INVALID_INPUT", None, 2, 0), Shrink { max: 1 });
        assert_eq!(push_recovery(400, "BAD_REQUEST", None, 1, 0), RefuseFirst);
        // The client id cannot go on.
        assert_eq!(push_recovery(422, "MUTATION_ID_REUSED", None, 3, 0), MoveClient);
        assert_eq!(push_recovery(403, "CLIENT_NOT_OWNED", None, 3, 0), MoveClient);
        // Another protocol halts; passing failures are retried; the rest is reported.
        assert_eq!(push_recovery(426, "VERSION_NOT_SUPPORTED", None, 3, 0), Halt);
        for status in [0, 408, 429, 500, 503] {
            assert_eq!(push_recovery(status, "X", None, 3, 0), Retry, "{status}");
        }
        assert_eq!(push_recovery(401, "UNAUTHENTICATED", None, 3, 0), Report);
        assert_eq!(push_recovery(403, "FORBIDDEN", None, 3, 0), Report);
    }

    #[test]
    fn pull_refusals_move_halt_retry_or_report() {
        assert_eq!(pull_recovery(403, "CLIENT_NOT_OWNED"), Recovery::MoveClient);
        assert_eq!(pull_recovery(426, "VERSION_NOT_SUPPORTED"), Recovery::Halt);
        assert_eq!(pull_recovery(0, "NETWORK"), Recovery::Retry);
        assert_eq!(pull_recovery(401, "UNAUTHENTICATED"), Recovery::Report);
        assert_eq!(serde_json::to_value(Recovery::Shrink { max: 4 }).unwrap(), serde_json::json!({ "action": "shrink", "max": 4 }));
    }

    #[test]
    fn backoff_doubles_from_one_second_to_a_five_minute_cap() {
        assert_eq!(backoff_delay_ms(0, 0.999_999, None), 999);
        assert_eq!(backoff_delay_ms(3, 0.5, None), 4_000);
        assert_eq!(backoff_delay_ms(30, 0.999_999_9, None), 299_999);
        assert_eq!(backoff_delay_ms(2, 0.0, Some(7_000)), 7_000);
        assert_eq!(backoff_delay_ms(2, f64::NAN, None), 0);
    }

    #[test]
    fn clock_offset_uses_the_midpoint() {
        assert_eq!(clock_offset_ms(1_000, 1_200, 61_100), 60_000);
    }
}
