//! The binding: the only module that touches wasm-bindgen, and it holds no rule — each export
//! converts its arguments, calls one function of siyu-core or siyu-sync and converts the answer.
//! It wraps `siyu_sync::replica::Mall` in a JS class,
//! moves data across the boundary as JSON (measured faster here than a structural
//! serde-wasm-bindgen conversion, and it keeps maps as plain objects), and turns every error
//! into a real `Error` with a stable `code` and `details`.

use siyu_core::apply::Mutation;
use siyu_core::error::{InputError, ProgramError, Rejection};
use siyu_sync::replica::{Mall as Core, Snapshot};
use siyu_core::program::Program;
use siyu_core::quote::QuoteRequest;
use siyu_core::state::OrderLine;
use siyu_sync::{PullResponse, PushResponse, Verdict};
use siyu_core::time::{Day, Instant, MonthDay};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

// The ErrorCode union comes from the one table of rejections (`error::rejections!`).
#[wasm_bindgen(typescript_custom_section)]
const TS_ERROR_CODES: &'static str = siyu_core::error::ERROR_CODE_TS;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Money in fen (分): integer, 100 = ¥1. */
export type Fen = number;
/** A number of points: integer. */
export type Points = number;
/** Basis points: 10000 = 100 % (or ×1 for multipliers). */
export type Bp = number;
/** An instant: milliseconds since the Unix epoch. */
export type Instant = number;
/** A business day, `YYYY-MM-DD`. */
export type Day = string;
/** A birthday, `MM-DD`. */
export type MonthDay = string;
/** What every siyu method throws: a real Error with a stable code. */
export interface SiyuError extends Error {
  name: "SiyuError";
  code: ErrorCode;
  details: Record<string, unknown>;
}
/**
 * What a sync client does after the server refused a push or pull (the policy lives in the
 * engine): `catchUp` (pull, then push again), `shrink` (send at most `max` per push), `refuseFirst`
 * (the first queued mutation becomes a reversal; the rest moves to a new client id), `moveClient`
 * (the queue goes on under a new client id), `halt` (426: nothing more is sent), `retry` (after
 * `backoffDelayMs`), `report` (shown in the status).
 */
export type Recovery =
  | { action: "catchUp" } | { action: "shrink"; max: number } | { action: "refuseFirst" } | { action: "moveClient" }
  | { action: "halt" } | { action: "retry" } | { action: "report" };
/** Options of `new Mall(program, options)`. */
export interface MallOptions {
  /** The member this client acts for. */
  memberId: string;
  /** This device/tab's client id (stable per installation). */
  clientId: string;
  /** A snapshot from `mall.snapshot()`, or its JSON text from `mall.snapshotJson()` (faster). */
  snapshot?: Snapshot | string;
  /** `now` for the new member's join time; defaults to the device clock. */
  now?: number;
}
/** What a mutation method returns: its id in the pending queue and its (optimistic) effects. */
export interface Receipt {
  mutationId: number;
  effects: Effect[];
  /** The coupon put in the wallet, for `claimCoupon` and a coupon reward of `redeemReward`. */
  coupon?: CouponInstance;
}
/** Arguments of `placeOrder`. */
export interface PlaceOrderArgs {
  orderId: string;
  lines: OrderLine[];
  coupons?: string[];
  points?: number;
  expectedTotal: number;
}
"#;

/// Build a real `Error` with `code` and `details`.
fn js_error(code: &str, message: &str, details: &serde_json::Value) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("SiyuError");
    let _ = js_sys::Reflect::set(&error, &"code".into(), &code.into());
    let details = js_sys::JSON::parse(&details.to_string()).unwrap_or(JsValue::NULL);
    let _ = js_sys::Reflect::set(&error, &"details".into(), &details);
    error.into()
}

fn rejection(r: Rejection) -> JsValue {
    js_error(r.code(), &r.message(), &r.details())
}

fn input_error(e: InputError) -> JsValue {
    rejection(Rejection::Input(e))
}

fn program_error(e: ProgramError) -> JsValue {
    js_error(e.code(), &e.to_string(), &e.details())
}

/// The one conversion in: a JS value (or a JSON string) to a Rust value, with the path of any
/// problem in the error.
fn from_js<T: DeserializeOwned>(what: &'static str, value: &JsValue) -> Result<T, JsValue> {
    let text = json_text(value)
        .ok_or_else(|| input_error(InputError::Invalid { what, path: String::new(), problem: "not JSON-serialisable".into() }))?;
    InputError::parse(what, &text).map_err(input_error)
}

/// JSON text as given, or the value stringified (None when it cannot be).
fn json_text(value: &JsValue) -> Option<String> {
    value.as_string().or_else(|| js_sys::JSON::stringify(value).ok().and_then(|s| s.as_string()))
}

/// The one conversion out.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value).map_err(|e| js_error("INVALID_INPUT", &e.to_string(), &serde_json::Value::Null))?;
    js_sys::JSON::parse(&text)
}

/// The earliest instant taken from a caller: 2000-01-01. An earlier one is nearly always seconds
/// passed for milliseconds.
const EARLIEST_INSTANT: f64 = 946_684_800_000.0;
/// The latest instant a JS `Date` can hold.
const LATEST_INSTANT: f64 = 8_640_000_000_000_000.0;

fn bad_arg(name: &'static str, problem: String) -> JsValue {
    input_error(InputError::Invalid { what: "argument", path: name.into(), problem })
}

/// A caller's instant: a finite number of ms since the epoch from 2000 on, or a valid `Date`.
fn instant_arg(value: &JsValue, name: &'static str) -> Result<Instant, JsValue> {
    let ms = match value.dyn_ref::<js_sys::Date>() {
        Some(date) => date.get_time(),
        None => value.as_f64().ok_or_else(|| bad_arg(name, format!("must be milliseconds since the epoch or a Date, got {}", describe(value))))?,
    };
    if !ms.is_finite() || !(EARLIEST_INSTANT..=LATEST_INSTANT).contains(&ms) {
        return Err(bad_arg(name, format!("must be milliseconds since the epoch (from 2000-01-01 on), got {ms}")));
    }
    Ok(ms.floor() as Instant)
}

/// A string argument: anything else (a number, an object, undefined) is refused, never
/// reinterpreted as memory.
fn string_arg(value: &JsValue, name: &'static str) -> Result<String, JsValue> {
    value.as_string().ok_or_else(|| bad_arg(name, format!("must be a string, got {}", describe(value))))
}

/// A number argument: a BigInt, a Symbol, a string or an object is refused `INVALID_INPUT`
/// naming the argument (the glue's own conversion would throw a bare `TypeError`).
fn number_arg(value: &JsValue, name: &'static str) -> Result<f64, JsValue> {
    value.as_f64().ok_or_else(|| bad_arg(name, format!("must be a number, got {}", describe(value))))
}

/// A finite whole number in `min..=max`.
fn whole_arg(value: &JsValue, name: &'static str, min: i64, max: i64) -> Result<i64, JsValue> {
    let n = number_arg(value, name)?;
    if n.is_finite() && n.fract() == 0.0 && (min as f64..=max as f64).contains(&n) {
        Ok(n as i64)
    } else {
        Err(bad_arg(name, format!("must be a whole number {min}..={max}, got {n}")))
    }
}

/// A whole number 0..=u32::MAX (an offset or a count).
fn count_arg(value: &JsValue, name: &'static str) -> Result<usize, JsValue> {
    let value = number_arg(value, name)?;
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= u32::MAX as f64 {
        Ok(value as usize)
    } else {
        Err(bad_arg(name, format!("must be a whole number 0 or more, got {value}")))
    }
}

/// How a wrong argument is named in an error: its JS type, and its value when short.
fn describe(value: &JsValue) -> String {
    let kind = value.js_typeof().as_string().unwrap_or_default();
    match kind.as_str() {
        "string" | "number" | "boolean" => format!("{kind} {}", json_text(value).unwrap_or_default()),
        "object" if value.is_null() => "null".into(),
        "object" if js_sys::Array::is_array(value) => "an array".into(),
        _ => format!("a value of type {kind}"),
    }
}

fn device_now() -> Instant {
    js_sys::Date::now() as Instant
}

/// Parse a program (an object or JSON text) and validate it. Throws INVALID_PROGRAM naming the
/// JSON path of the problem.
#[wasm_bindgen(js_name = validateProgram, unchecked_return_type = "Program")]
pub fn validate_program(#[wasm_bindgen(unchecked_param_type = "Program | string")] program: JsValue) -> Result<JsValue, JsValue> {
    let program = parse_program(&program)?;
    to_js(&program)
}

fn parse_program(value: &JsValue) -> Result<Program, JsValue> {
    Program::from_json(&json_text(value).unwrap_or_default()).map_err(program_error)
}

/// Every error code, for documentation and exhaustive UI mapping.
#[wasm_bindgen(js_name = errorCodes, unchecked_return_type = "ErrorCode[]")]
pub fn error_codes() -> Result<JsValue, JsValue> {
    to_js(&siyu_core::error::ALL_CODES)
}

/// What to do after the server refused a push of `batch` mutations (`status` 0 = no reply);
/// `maxHint` is a 413's `details.max`, `catchUps` the catch-ups just before. See `Recovery`.
#[wasm_bindgen(js_name = pushRecovery, unchecked_return_type = "Recovery")]
pub fn push_recovery(status: u16, code: &str, max_hint: Option<f64>, batch: u32, catch_ups: u32) -> Result<JsValue, JsValue> {
    let max_hint = max_hint.filter(|m| m.is_finite() && *m >= 0.0 && m.fract() == 0.0).map(|m| m as u64);
    to_js(&siyu_sync::push_recovery(status, code, max_hint, batch as usize, catch_ups))
}

/// What to do after the server refused a pull. See `Recovery`.
#[wasm_bindgen(js_name = pullRecovery, unchecked_return_type = "Recovery")]
pub fn pull_recovery(status: u16, code: &str) -> Result<JsValue, JsValue> {
    to_js(&siyu_sync::pull_recovery(status, code))
}

/// Full-jitter backoff: wait this many ms before retry `attempt` (0-based); `random` in [0, 1).
#[wasm_bindgen(js_name = backoffDelayMs)]
pub fn backoff_delay_ms(attempt: u32, random: f64, retry_after_ms: Option<f64>) -> f64 {
    siyu_sync::backoff_delay_ms(attempt, random, retry_after_ms.map(|r| r.max(0.0) as u64)) as f64
}

/// `MallOptions`, read property by property so that a large snapshot is never re-serialised:
/// given as JSON text (what `snapshotJson()` returns) it is parsed once, in wasm.
struct MallOptions {
    member_id: String,
    client_id: String,
    snapshot: Option<Snapshot>,
    /// The snapshot's JSON text, when it came as text (the replica reuses its confirmed state).
    snapshot_text: Option<String>,
    now: Option<Instant>,
}

impl MallOptions {
    fn read(options: &JsValue) -> Result<MallOptions, JsValue> {
        let bad = |path: &str, problem: &str| input_error(InputError::Invalid { what: "options", path: path.into(), problem: problem.into() });
        if !options.is_object() {
            return Err(bad("", "expected an object {memberId, clientId, snapshot?, now?}"));
        }
        // Reflect.ownKeys is imported with `catch`: an object whose traps throw (a Proxy) is refused
        // here instead of unwinding through wasm.
        let keys = js_sys::Reflect::own_keys(options).map_err(|_| bad("", "its keys cannot be read"))?;
        for key in keys.iter() {
            let Some(key) = key.as_string() else { continue }; // symbols (framework bookkeeping)
            if !["memberId", "clientId", "snapshot", "now"].contains(&key.as_str()) {
                return Err(bad(&key, &format!("unknown field `{key}`, expected memberId, clientId, snapshot or now")));
            }
        }
        let get = |key: &str| js_sys::Reflect::get(options, &key.into()).unwrap_or(JsValue::UNDEFINED);
        let text = |key: &str| get(key).as_string().filter(|s| !s.is_empty()).ok_or_else(|| bad(key, "must be a non-empty string"));
        let (snapshot, snapshot_text) = match get("snapshot") {
            v if v.is_undefined() || v.is_null() => (None, None),
            v => match v.as_string() {
                Some(json) => (Some(InputError::parse("snapshot", &json).map_err(input_error)?), Some(json)),
                None => (Some(from_js("snapshot", &v)?), None),
            },
        };
        let now = match get("now") {
            v if v.is_undefined() || v.is_null() => None,
            v => Some(instant_arg(&v, "now")?),
        };
        Ok(MallOptions { member_id: text("memberId")?, client_id: text("clientId")?, snapshot, snapshot_text, now })
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Receipt<'a> {
    mutation_id: u64,
    effects: &'a [siyu_core::apply::Effect],
    /// The coupon a claim (or a coupon reward) put in the wallet.
    #[serde(skip_serializing_if = "Option::is_none")]
    coupon: Option<&'a siyu_core::state::CouponInstance>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PlaceOrderArgs {
    order_id: String,
    lines: Vec<OrderLine>,
    #[serde(default)]
    coupons: Vec<String>,
    #[serde(default)]
    points: i64,
    expected_total: i64,
}

/// Runs once when the module is initialised. A panic is a bug (nothing reachable from input
/// panics), but should one happen its message reaches the console before the module traps.
#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// One member's mini-mall: queries, optimistic mutations, the pending queue and snapshots.
#[wasm_bindgen]
pub struct Mall {
    core: Core,
}

#[wasm_bindgen]
impl Mall {
    /// `new Mall(program, {memberId, clientId, snapshot?})`. The program may be an object or JSON
    /// text; it is validated (INVALID_PROGRAM). A snapshot restores queue and state.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "Program | string")] program: JsValue,
        #[wasm_bindgen(unchecked_param_type = "MallOptions")] options: JsValue,
    ) -> Result<Mall, JsValue> {
        let program = parse_program(&program)?;
        let options = MallOptions::read(&options)?;
        let now = options.now.unwrap_or_else(device_now);
        let core = match options.snapshot {
            Some(s) => {
                if s.client_id != options.client_id || s.confirmed.member_id != options.member_id {
                    return Err(input_error(InputError::Invalid {
                        what: "options",
                        path: "snapshot".into(),
                        problem: "belongs to another member or client".into(),
                    }));
                }
                match options.snapshot_text {
                    Some(text) => Core::from_snapshot_text(program, s, text),
                    None => Core::from_snapshot(program, s),
                }
                .map_err(input_error)?
            }
            None => Core::new(program, &options.member_id, &options.client_id, now),
        };
        Ok(Mall { core })
    }

    /// The instant a method works at: the caller's `now` (ms since the epoch, or a `Date`), or
    /// this client's clock when it is omitted. Anything else is refused rather than replaced.
    fn at(&self, now: Option<JsValue>) -> Result<Instant, JsValue> {
        match now {
            Some(v) if !v.is_undefined() && !v.is_null() => instant_arg(&v, "now"),
            _ => Ok(self.core.now(device_now())),
        }
    }

    /// Server time as this client estimates it (device clock + learned offset).
    pub fn now(&self) -> f64 {
        self.core.now(device_now()) as f64
    }

    /// The business day of `now`.
    #[wasm_bindgen(js_name = businessDay, unchecked_return_type = "Day")]
    pub fn business_day(&self, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<String, JsValue> {
        Ok(self.core.program.business_day(self.at(now)?).to_string())
    }

    #[wasm_bindgen(unchecked_return_type = "Program")]
    pub fn program(&self) -> Result<JsValue, JsValue> {
        to_js(&self.core.program)
    }

    /// The member's state as this client sees it (confirmed + pending).
    #[wasm_bindgen(unchecked_return_type = "MemberState")]
    pub fn state(&self) -> Result<JsValue, JsValue> {
        to_js(self.core.state())
    }

    /// Price a cart: `{lines, coupons?: "best" | "none" | ids, points?: "max" | number}`.
    /// The result stays inside wasm: totals are plain getters, and the explanation (`lines`,
    /// `coupons`, `savings`, …) crosses the boundary only when read. `toJSON()` gives it all.
    pub fn quote(&self, #[wasm_bindgen(unchecked_param_type = "QuoteRequest")] request: JsValue, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<PricedCart, JsValue> {
        let request: QuoteRequest = from_js("quote request", &request)?;
        let quote = siyu_core::quote::quote(&self.core.program, self.core.state(), self.core.stock(), &request, self.at(now)?).map_err(|e| rejection(e.into()))?;
        Ok(PricedCart { quote })
    }

    /// The figures of `quote(request)` as a plain object: nothing stays in wasm memory, so it can
    /// be called as often as a page re-renders and left to the garbage collector.
    #[wasm_bindgen(js_name = quoteTotals, unchecked_return_type = "QuoteTotals")]
    pub fn quote_totals(
        &self,
        #[wasm_bindgen(unchecked_param_type = "QuoteRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let request: QuoteRequest = from_js("quote request", &request)?;
        let quote = siyu_core::quote::quote(&self.core.program, self.core.state(), self.core.stock(), &request, self.at(now)?).map_err(|e| rejection(e.into()))?;
        to_js(&siyu_core::quote::QuoteTotals::from(&quote))
    }

    /// The wallet for a cart: coupons it can use and the others with reasons (凑单 hint included).
    /// Takes the same `{lines}` request as `quote` (or just the lines).
    #[wasm_bindgen(js_name = cartCoupons, unchecked_return_type = "CartCoupons")]
    pub fn cart_coupons(
        &self,
        #[wasm_bindgen(unchecked_param_type = "QuoteRequest | OrderLine[]")] request: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let text = json_text(&request).ok_or_else(|| input_error(InputError::Invalid { what: "cart coupons request", path: String::new(), problem: "not JSON-serialisable".into() }))?;
        let lines = siyu_core::quote::cart_lines_from_json(&text).map_err(input_error)?;
        let coupons = siyu_core::quote::cart_coupons(&self.core.program, self.core.state(), self.core.stock(), &lines, self.at(now)?).map_err(|e| rejection(e.into()))?;
        to_js(&coupons)
    }

    #[wasm_bindgen(unchecked_return_type = "Wallet")]
    pub fn wallet(&self, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<JsValue, JsValue> {
        to_js(&siyu_core::coupons::wallet(&self.core.program, self.core.state(), self.at(now)?, &self.core.pending_order_ids()))
    }

    #[wasm_bindgen(js_name = claimCentre, unchecked_return_type = "ClaimOffer[]")]
    pub fn claim_centre(&self, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<JsValue, JsValue> {
        to_js(&siyu_core::coupons::claim_centre(&self.core.program, self.core.state(), self.core.stock(), self.at(now)?))
    }

    /// The promotions (§13) running for this member at `now`, in program order: what the home
    /// page and product tags show. What each does to a cart is in the quote's `promotions`.
    #[wasm_bindgen(unchecked_return_type = "Promotion[]")]
    pub fn promotions(&self, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<JsValue, JsValue> {
        to_js(&siyu_core::promotions::running(&self.core.program, self.core.state(), self.at(now)?))
    }

    /// The check-in calendar of a month (1–12).
    #[wasm_bindgen(unchecked_return_type = "Calendar")]
    pub fn calendar(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] year: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] month: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let year = whole_arg(&year, "year", 1, 9999)? as i32;
        let month = whole_arg(&month, "month", 1, 12)? as u8;
        let cal = siyu_core::checkin::calendar(&self.core.program, self.core.state(), year, month, self.at(now)?).ok_or_else(|| {
            input_error(InputError::Invalid { what: "calendar", path: "month".into(), problem: "must be 1..=12".into() })
        })?;
        to_js(&cal)
    }

    #[wasm_bindgen(unchecked_return_type = "Streak")]
    pub fn streak(&self, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<JsValue, JsValue> {
        to_js(&siyu_core::checkin::streak(&self.core.program, self.core.state(), self.at(now)?))
    }

    /// The orders of the working state, newest first: status, the countdown of one awaiting
    /// payment, whether it can be cancelled or refunded.
    #[wasm_bindgen(unchecked_return_type = "OrderView[]")]
    pub fn orders(&self, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<JsValue, JsValue> {
        to_js(&siyu_core::orders::views(&self.core.program, self.core.state(), self.at(now)?))
    }

    #[wasm_bindgen(unchecked_return_type = "PointsSummary")]
    pub fn points(&self, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<JsValue, JsValue> {
        to_js(&siyu_core::points::summary(self.core.state(), self.at(now)?))
    }

    /// Ledger entries, newest first: `limit` of them after skipping the `offset` newest.
    #[wasm_bindgen(unchecked_return_type = "LedgerEntry[]")]
    pub fn ledger(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] offset: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] limit: JsValue,
    ) -> Result<JsValue, JsValue> {
        to_js(&siyu_core::points::ledger_page(self.core.state(), count_arg(&offset, "offset")?, count_arg(&limit, "limit")?))
    }

    #[wasm_bindgen(unchecked_return_type = "TierProgress")]
    pub fn tier(&self, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<JsValue, JsValue> {
        to_js(&siyu_core::tiers::progress(&self.core.program, self.core.state(), self.at(now)?))
    }

    #[wasm_bindgen(js_name = memberDay, unchecked_return_type = "MemberDayStatus")]
    pub fn member_day(&self, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<JsValue, JsValue> {
        let now = self.at(now)?;
        let tier = siyu_core::tiers::current_tier(&self.core.program, self.core.state(), now);
        to_js(&siyu_core::member_day::status(&self.core.program, tier, now))
    }

    #[wasm_bindgen(unchecked_return_type = "Segments")]
    pub fn segments(&self, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<JsValue, JsValue> {
        to_js(&siyu_core::segments::of(self.core.state(), self.at(now)?))
    }

    /// The member's referral (§14): the code to share, the one accepted, the friends and their status.
    #[wasm_bindgen(unchecked_return_type = "ReferralView")]
    pub fn referral(&self, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<JsValue, JsValue> {
        to_js(&siyu_core::referral::view(&self.core.program, self.core.state(), self.at(now)?))
    }

    #[wasm_bindgen(unchecked_return_type = "Reminder[]")]
    pub fn reminders(&self, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<JsValue, JsValue> {
        to_js(&siyu_core::reminders::due(&self.core.program, self.core.state(), self.at(now)?))
    }

    fn mutate(&mut self, mutation: Mutation, now: Option<JsValue>) -> Result<JsValue, JsValue> {
        let now = self.at(now)?;
        let grants_coupon = matches!(mutation, Mutation::ClaimCoupon { .. } | Mutation::RedeemReward { .. } | Mutation::AcceptReferral { .. });
        let (mutation_id, applied) = self.core.mutate(mutation, now).map_err(rejection)?;
        let coupon = applied.effects.iter().find_map(|e| match e {
            siyu_core::apply::Effect::CouponIssued { coupon } if grants_coupon => Some(coupon),
            _ => None,
        });
        to_js(&Receipt { mutation_id, effects: &applied.effects, coupon })
    }

    #[wasm_bindgen(js_name = checkIn, unchecked_return_type = "Receipt")]
    pub fn check_in(&mut self, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<JsValue, JsValue> {
        self.mutate(Mutation::CheckIn {}, now)
    }

    #[wasm_bindgen(js_name = makeupCheckIn, unchecked_return_type = "Receipt")]
    pub fn makeup_check_in(&mut self, #[wasm_bindgen(unchecked_param_type = "Day")] day: JsValue, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<JsValue, JsValue> {
        let day = string_arg(&day, "day")?;
        let day = Day::parse(&day).ok_or_else(|| bad_arg("day", format!("expected YYYY-MM-DD, got {day:?}")))?;
        self.mutate(Mutation::MakeupCheckIn { day }, now)
    }

    #[wasm_bindgen(js_name = claimCoupon, unchecked_return_type = "Receipt")]
    pub fn claim_coupon(&mut self, #[wasm_bindgen(unchecked_param_type = "string")] template: JsValue, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<JsValue, JsValue> {
        self.mutate(Mutation::ClaimCoupon { template: string_arg(&template, "template")? }, now)
    }

    #[wasm_bindgen(js_name = redeemReward, unchecked_return_type = "Receipt")]
    pub fn redeem_reward(&mut self, #[wasm_bindgen(unchecked_param_type = "string")] reward: JsValue, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<JsValue, JsValue> {
        self.mutate(Mutation::RedeemReward { reward: string_arg(&reward, "reward")? }, now)
    }

    /// Place an order at the price the shopper saw (`expectedTotal`); PRICE_CHANGED carries the
    /// new quote in `details.quote`.
    #[wasm_bindgen(js_name = placeOrder, unchecked_return_type = "Receipt")]
    pub fn place_order(&mut self, #[wasm_bindgen(unchecked_param_type = "PlaceOrderArgs")] args: JsValue, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<JsValue, JsValue> {
        let a: PlaceOrderArgs = from_js("placeOrder", &args)?;
        self.mutate(
            Mutation::PlaceOrder { order_id: a.order_id, lines: a.lines, coupons: a.coupons, points: a.points, expected_total: a.expected_total },
            now,
        )
    }

    #[wasm_bindgen(js_name = refundOrder, unchecked_return_type = "Receipt")]
    pub fn refund_order(&mut self, #[wasm_bindgen(unchecked_param_type = "string")] order_id: JsValue, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<JsValue, JsValue> {
        self.mutate(Mutation::RefundOrder { order_id: string_arg(&order_id, "orderId")? }, now)
    }

    /// Cancel an order awaiting payment: its coupons, points and stock come back.
    #[wasm_bindgen(js_name = cancelOrder, unchecked_return_type = "Receipt")]
    pub fn cancel_order(&mut self, #[wasm_bindgen(unchecked_param_type = "string")] order_id: JsValue, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<JsValue, JsValue> {
        self.mutate(Mutation::CancelOrder { order_id: string_arg(&order_id, "orderId")? }, now)
    }

    /// Accept a friend's referral code (spaces and case do not matter): the friend coupon at once.
    #[wasm_bindgen(js_name = acceptReferral, unchecked_return_type = "Receipt")]
    pub fn accept_referral(&mut self, #[wasm_bindgen(unchecked_param_type = "string")] code: JsValue, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<JsValue, JsValue> {
        let code = siyu_core::referral::normalize(&string_arg(&code, "code")?);
        self.mutate(Mutation::AcceptReferral { code }, now)
    }

    #[wasm_bindgen(js_name = setBirthday, unchecked_return_type = "Receipt")]
    pub fn set_birthday(&mut self, #[wasm_bindgen(unchecked_param_type = "MonthDay")] birthday: JsValue, #[wasm_bindgen(unchecked_optional_param_type = "Instant | Date | null")] now: Option<JsValue>) -> Result<JsValue, JsValue> {
        let birthday = string_arg(&birthday, "birthday")?;
        let birthday = MonthDay::parse(&birthday).ok_or_else(|| bad_arg("birthday", format!("expected MM-DD, got {birthday:?}")))?;
        self.mutate(Mutation::SetBirthday { birthday }, now)
    }

    /// A fresh order id, unique for this client: derived from the client id and the next mutation id.
    #[wasm_bindgen(js_name = nextOrderId)]
    pub fn next_order_id(&self) -> String {
        self.core.next_order_id()
    }

    /// Mutations applied here and not yet decided by the server, oldest first.
    #[wasm_bindgen(unchecked_return_type = "PushMutation[]")]
    pub fn pending(&self) -> Result<JsValue, JsValue> {
        to_js(&self.core.pending())
    }

    #[wasm_bindgen(js_name = pendingCount)]
    pub fn pending_count(&self) -> u32 {
        self.core.pending().len() as u32
    }

    /// The body of the next `POST /push`.
    #[wasm_bindgen(js_name = pushRequest, unchecked_return_type = "PushRequest")]
    pub fn push_request(&self) -> Result<JsValue, JsValue> {
        to_js(&self.core.push_request())
    }

    #[wasm_bindgen(js_name = applyPushResponse)]
    pub fn apply_push_response(&mut self, #[wasm_bindgen(unchecked_param_type = "PushResponse<MutationResult | Verdict>")] response: JsValue) -> Result<(), JsValue> {
        let response: PushResponse<Verdict> = from_js("push response", &response)?;
        self.core.on_push_response(&response);
        Ok(())
    }

    /// The body of the next `POST /pull`.
    #[wasm_bindgen(js_name = pullRequest, unchecked_return_type = "PullRequest")]
    pub fn pull_request(&self) -> Result<JsValue, JsValue> {
        to_js(&self.core.pull_request())
    }

    /// Adopt a pull reply. `sentAt`/`receivedAt` are device times around the request; they set
    /// the clock offset.
    #[wasm_bindgen(js_name = applyPullResponse)]
    pub fn apply_pull_response(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "PullResponse<MutationResult | Verdict>")] response: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] sent_at: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] received_at: JsValue,
    ) -> Result<(), JsValue> {
        let sent_at = instant_arg(&sent_at, "sentAt")?;
        let received_at = instant_arg(&received_at, "receivedAt")?;
        let response: PullResponse<Verdict> = from_js("pull response", &response)?;
        self.core.on_pull_response(&response, sent_at, received_at);
        Ok(())
    }

    /// Move the queue to a new client id (after `CLIENT_NOT_OWNED` or `MUTATION_ID_REUSED`): the
    /// pending mutations are numbered again from 1 under it.
    #[wasm_bindgen(js_name = moveToClient)]
    pub fn move_to_client(&mut self, #[wasm_bindgen(unchecked_param_type = "string")] client_id: JsValue) -> Result<(), JsValue> {
        let client_id = string_arg(&client_id, "clientId")?;
        if client_id.is_empty() || client_id.len() > 128 {
            return Err(bad_arg("clientId", "must be 1..=128 characters".into()));
        }
        self.core.move_to_client(&client_id);
        Ok(())
    }

    /// The server refused pending mutation `id` as a request (400, or 413 on its own): it leaves
    /// the queue as a reversal carrying `error` (`{code, message, details?}`). Returns whether it
    /// was pending.
    #[wasm_bindgen(js_name = refusePending)]
    pub fn refuse_pending(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ErrorBody")] error: JsValue,
    ) -> Result<bool, JsValue> {
        let id = count_arg(&id, "id")? as u64;
        let error: siyu_sync::ErrorBody = from_js("error", &error)?;
        Ok(self.core.refuse(id, error))
    }

    /// Mutations the server rejected after they were shown: show them, then `dismissReversals()`.
    #[wasm_bindgen(unchecked_return_type = "Reversal[]")]
    pub fn reversals(&self) -> Result<JsValue, JsValue> {
        to_js(&self.core.reversals())
    }

    #[wasm_bindgen(js_name = dismissReversals)]
    pub fn dismiss_reversals(&mut self) {
        self.core.dismiss_reversals();
    }

    /// Everything needed to restore this client: pass it back as `options.snapshot`.
    #[wasm_bindgen(unchecked_return_type = "Snapshot")]
    pub fn snapshot(&self) -> Result<JsValue, JsValue> {
        to_js(&self.core.snapshot())
    }

    /// The snapshot as JSON text: the cheapest form to store and to restore from
    /// (`options.snapshot` accepts it as is).
    #[wasm_bindgen(js_name = snapshotJson)]
    pub fn snapshot_json(&self) -> Result<String, JsValue> {
        self.core.snapshot_json().map_err(|e| js_error("INVALID_INPUT", &e.to_string(), &serde_json::Value::Null))
    }

    #[wasm_bindgen(getter, js_name = clientId)]
    pub fn client_id(&self) -> String {
        self.core.client_id().to_string()
    }

    #[wasm_bindgen(getter, js_name = memberId)]
    pub fn member_id(&self) -> String {
        self.core.state().member_id.clone()
    }

    /// The member's stock view (quotas and stock as last seen from the server).
    #[wasm_bindgen(unchecked_return_type = "Stock")]
    pub fn stock(&self) -> Result<JsValue, JsValue> {
        to_js(self.core.stock())
    }

    #[wasm_bindgen(js_name = clockOffsetMs)]
    pub fn clock_offset_ms(&self) -> f64 {
        self.core.clock_offset_ms() as f64
    }
}

/// A priced cart (the result of `mall.quote`). Figures are in fen. The explanation is read
/// lazily: each of `lines`, `coupons`, `usable`, `unusable`, `savings` and `points` converts on
/// access, so read it once and keep it.
#[wasm_bindgen]
pub struct PricedCart {
    quote: siyu_core::quote::Quote,
}

#[wasm_bindgen]
impl PricedCart {
    /// The whole quote as a plain object (also what `JSON.stringify` uses).
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "Quote")]
    pub fn to_json(&self) -> Result<JsValue, JsValue> {
        to_js(&self.quote)
    }
    /// What the shopper pays: goods after every discount and points, plus shipping.
    #[wasm_bindgen(getter)]
    pub fn total(&self) -> f64 {
        self.quote.total as f64
    }
    #[wasm_bindgen(getter, js_name = listTotal)]
    pub fn list_total(&self) -> f64 {
        self.quote.list_total as f64
    }
    /// After member and sale prices (step 1).
    #[wasm_bindgen(getter)]
    pub fn goods(&self) -> f64 {
        self.quote.goods as f64
    }
    #[wasm_bindgen(getter, js_name = memberDayDiscount)]
    pub fn member_day_discount(&self) -> f64 {
        self.quote.member_day_discount as f64
    }
    /// Step 3: what the promotions (§13) took off the goods.
    #[wasm_bindgen(getter, js_name = promotionDiscount)]
    pub fn promotion_discount(&self) -> f64 {
        self.quote.promotion_discount as f64
    }
    #[wasm_bindgen(getter, js_name = couponDiscount)]
    pub fn coupon_discount(&self) -> f64 {
        self.quote.coupon_discount as f64
    }
    #[wasm_bindgen(getter, js_name = goodsAfterCoupons)]
    pub fn goods_after_coupons(&self) -> f64 {
        self.quote.goods_after_coupons as f64
    }
    /// Goods after steps 2–4: what earns points and growth.
    #[wasm_bindgen(getter)]
    pub fn paid(&self) -> f64 {
        self.quote.paid as f64
    }
    #[wasm_bindgen(getter, js_name = shippingBase)]
    pub fn shipping_base(&self) -> f64 {
        self.quote.shipping_base as f64
    }
    #[wasm_bindgen(getter)]
    pub fn shipping(&self) -> f64 {
        self.quote.shipping as f64
    }
    /// "threshold", the free-shipping coupon's id, or undefined when shipping is charged.
    #[wasm_bindgen(getter, js_name = shippingWaivedBy)]
    pub fn shipping_waived_by(&self) -> Option<String> {
        self.quote.shipping_waived_by.clone()
    }
    /// List total + shipping fee − total.
    #[wasm_bindgen(getter)]
    pub fn saved(&self) -> f64 {
        self.quote.saved as f64
    }
    #[wasm_bindgen(getter)]
    pub fn tier(&self) -> String {
        self.quote.tier.clone()
    }
    #[wasm_bindgen(getter, js_name = memberDay)]
    pub fn member_day(&self) -> bool {
        self.quote.member_day
    }
    /// Whether every line can be ordered now (no limited-sale flag).
    #[wasm_bindgen(getter)]
    pub fn orderable(&self) -> bool {
        self.quote.orderable
    }
    /// Ids of the coupons applied, in group order (what `placeOrder` takes).
    #[wasm_bindgen(getter, js_name = couponIds, unchecked_return_type = "string[]")]
    pub fn coupon_ids(&self) -> Result<JsValue, JsValue> {
        to_js(&self.quote.coupons.iter().map(|c| c.id.as_str()).collect::<Vec<_>>())
    }
    #[wasm_bindgen(getter, unchecked_return_type = "QuoteLine[]")]
    pub fn lines(&self) -> Result<JsValue, JsValue> {
        to_js(&self.quote.lines)
    }
    /// The promotions the cart touches: applied, or why not, each with its hint (`next`).
    #[wasm_bindgen(getter, unchecked_return_type = "QuotePromotion[]")]
    pub fn promotions(&self) -> Result<JsValue, JsValue> {
        to_js(&self.quote.promotions)
    }
    #[wasm_bindgen(getter, unchecked_return_type = "AppliedCoupon[]")]
    pub fn coupons(&self) -> Result<JsValue, JsValue> {
        to_js(&self.quote.coupons)
    }
    #[wasm_bindgen(getter, unchecked_return_type = "UsableCoupon[]")]
    pub fn usable(&self) -> Result<JsValue, JsValue> {
        to_js(&self.quote.usable)
    }
    #[wasm_bindgen(getter, unchecked_return_type = "UnusableCoupon[]")]
    pub fn unusable(&self) -> Result<JsValue, JsValue> {
        to_js(&self.quote.unusable)
    }
    #[wasm_bindgen(getter, unchecked_return_type = "Saving[]")]
    pub fn savings(&self) -> Result<JsValue, JsValue> {
        to_js(&self.quote.savings)
    }
    #[wasm_bindgen(getter, unchecked_return_type = "PointsQuote")]
    pub fn points(&self) -> Result<JsValue, JsValue> {
        to_js(&self.quote.points)
    }
}
