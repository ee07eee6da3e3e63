//! History pages (rulebook §12; `Archive*` in TypeScript, where the sync client has its own
//! `History*` types, typed by kind): what left the member's working state, newest first. The host
//! keeps one archive table of `(member, kind, seq, at, body)`; a query names what to read
//! (`history_range`) and the rows read make the page (`history_page`).

use super::{Refusal, MAX_SAFE_INTEGER};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use siyu_core::time::{days_in_month, Day};

/// Archived items in one page unless the caller asks otherwise, and at most.
pub const HISTORY_PAGE: u32 = 20;
pub const MAX_HISTORY_PAGE: u32 = 100;

/// One kind of archived item: its name in the archive and the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchiveKind {
    CheckIns,
    Lots,
    Ledger,
    Orders,
    Coupons,
    Redemptions,
}

impl ArchiveKind {
    pub const ALL: [ArchiveKind; 6] =
        [ArchiveKind::CheckIns, ArchiveKind::Lots, ArchiveKind::Ledger, ArchiveKind::Orders, ArchiveKind::Coupons, ArchiveKind::Redemptions];

    pub fn name(self) -> &'static str {
        match self {
            ArchiveKind::CheckIns => "checkIns",
            ArchiveKind::Lots => "lots",
            ArchiveKind::Ledger => "ledger",
            ArchiveKind::Orders => "orders",
            ArchiveKind::Coupons => "coupons",
            ArchiveKind::Redemptions => "redemptions",
        }
    }

    pub fn parse(name: &str) -> Option<ArchiveKind> {
        ArchiveKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// `GET /api/history/{kind}`'s query: `before` (a `next` from the previous page) and `limit`
/// (1–100, default 20); for check-ins, a calendar month (`year` and `month`) instead; they are
/// ignored for other kinds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArchiveQuery {
    pub before: Option<i64>,
    pub limit: Option<u32>,
    pub year: Option<i32>,
    pub month: Option<u8>,
}

/// A history query as it arrives (`before=…&limit=…`, URL-encoded): refused 400 when it is not
/// one (an unknown parameter, a value that is not an integer of the field's range).
pub fn parse_query(raw: &str) -> Result<ArchiveQuery, Refusal> {
    serde_urlencoded::from_str(raw).map_err(|e| Refusal::bad_request(format!("invalid history query: {e}"), json!({ "input": "query" })))
}

/// What to read for a history query.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(tag = "read", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum HistoryRange {
    /// The newest `limit` rows of the kind with `seq` below `before` (all when none), newest first.
    Page { kind: String, before: Option<i64>, limit: u32 },
    /// Every row of the kind with `from ≤ at ≤ to` (day numbers), in day order.
    Days { kind: String, from: i64, to: i64 },
}

/// The range to read for `kind` and `query`, or the refusal of the query.
pub fn history_range(kind: &str, query: &ArchiveQuery) -> Result<HistoryRange, Refusal> {
    let kind = ArchiveKind::parse(kind)
        .ok_or_else(|| Refusal::new(404, "NOT_FOUND", format!("no history of {kind:?}"), json!({ "kinds": ArchiveKind::ALL.map(ArchiveKind::name) })))?;
    let bad = |message: &str, path: &str, problem: &str| Refusal::bad_request(message, json!({ "path": path, "problem": problem }));
    if query.year.is_some_and(|y| !(1970..=9999).contains(&y)) {
        return Err(bad("year must be 1970 to 9999", "year", "out of range"));
    }
    if query.month.is_some_and(|m| !(1..=12).contains(&m)) {
        return Err(bad("month must be 1 to 12", "month", "out of range"));
    }
    match (kind, query.year, query.month) {
        (ArchiveKind::CheckIns, Some(year), Some(month)) => {
            let first = Day::from_ymd(year, month, 1).ok_or_else(|| bad("no such month", "month", "no such month"))?;
            let last = first.plus(i32::from(days_in_month(year, month)) - 1);
            Ok(HistoryRange::Days { kind: kind.name().into(), from: i64::from(first.0), to: i64::from(last.0) })
        }
        _ => {
            let limit = query.limit.unwrap_or(HISTORY_PAGE);
            if !(1..=MAX_HISTORY_PAGE).contains(&limit) {
                return Err(Refusal::bad_request(format!("limit must be 1 to {MAX_HISTORY_PAGE}"), json!({ "path": "limit", "problem": "out of range" })));
            }
            if query.before.is_some_and(|b| !(0..=MAX_SAFE_INTEGER).contains(&b)) {
                return Err(bad("before must be 0 or more", "before", "out of range"));
            }
            Ok(HistoryRange::Page { kind: kind.name().into(), before: query.before, limit })
        }
    }
}

/// A page of a member's archive: the items (ledger entries, orders, … as the state held them),
/// newest first, and the `before` of the next page (null: this was the oldest).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
pub struct ArchivePage {
    pub kind: String,
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "unknown[]"))]
    pub items: Vec<Value>,
    pub next: Option<i64>,
}

/// One archive row as read: its `seq` (for pages) and body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HistoryRow {
    pub seq: i64,
    pub body: String,
}

/// The page of the rows read for `range`, newest first.
pub fn history_page(range: &HistoryRange, rows: &[HistoryRow]) -> Result<ArchivePage, String> {
    let (kind, paged) = match range {
        HistoryRange::Page { kind, .. } => (kind.clone(), true),
        HistoryRange::Days { kind, .. } => (kind.clone(), false),
    };
    let next = match rows.last() {
        Some(row) if paged && row.seq > 0 => Some(row.seq),
        _ => None,
    };
    let items = rows
        .iter()
        .map(|row| serde_json::from_str(&row.body).map_err(|e| format!("archived item is unreadable: {e}")))
        .collect::<Result<Vec<Value>, String>>()?;
    Ok(ArchivePage { kind, items, next })
}
