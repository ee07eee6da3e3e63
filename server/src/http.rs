//! HTTP: the `/api/` routes over the service layer, JSON errors, and the static mall.

use crate::error::{parse_json, ApiError};
use crate::service::{HistoryPage, Service};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Path as AxumPath, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use siyu_sync::{PullRequest, PullResponse, PushRequest, PushResponse, MAX_BATCH, PROTOCOL_VERSION};
use std::path::Path;
use std::sync::Arc;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tower_http::services::ServeDir;

/// The largest request body accepted (a full batch of large orders fits many times over).
pub const MAX_BODY_BYTES: usize = 1 << 20;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        // Inside the request's span, so the log line carries its id.
        match (&self.cause, self.status) {
            (Some(cause), 500..) => tracing::error!(code = self.code, %cause, "request failed"),
            (None, 500..) => tracing::error!(code = self.code, message = %self.message, "request failed"),
            (Some(cause), _) => tracing::warn!(code = self.code, %cause, "request refused"),
            (None, _) => tracing::debug!(code = self.code, message = %self.message, "request refused"),
        }
        let mut response = (status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

/// A JSON reply that no cache keeps (member data, the clock, the program in force).
pub struct NoStore<T>(pub T);

impl<T: serde::Serialize> IntoResponse for NoStore<T> {
    fn into_response(self) -> Response {
        let mut response = axum::Json(self.0).into_response();
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

type Reply<T> = Result<NoStore<T>, ApiError>;

/// The member a request acts for, from its `Authorization: Bearer …` token.
pub struct Member(pub String);

impl FromRequestParts<Arc<Service>> for Member {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, svc: &Arc<Service>) -> Result<Self, ApiError> {
        svc.authenticate(authorization(&parts.headers)).map(Member)
    }
}

/// A request made with the admin token.
pub struct Admin;

impl FromRequestParts<Arc<Service>> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, svc: &Arc<Service>) -> Result<Self, ApiError> {
        svc.check_admin(authorization(&parts.headers)).map(|()| Admin)
    }
}

/// The body's bytes, at most `MAX_BODY_BYTES` (else 413 `BODY_TOO_LARGE`).
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, ApiError> {
        axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES).await.map(RawBody).map_err(|_| {
            ApiError::new(413, "BODY_TOO_LARGE", format!("the request body is larger than {MAX_BODY_BYTES} bytes"))
                .with_details(json!({ "maxBytes": MAX_BODY_BYTES }))
        })
    }
}

/// A JSON request body, parsed strictly (unknown fields refused, the path of the first problem
/// named). Sync requests are prechecked first (`precheck`).
pub struct JsonBody<T>(pub T);

/// What a JSON body is called in errors, and whether it is a sync request.
pub trait RequestBody: serde::de::DeserializeOwned {
    const WHAT: &'static str;
    const SYNC: bool = false;
}

impl RequestBody for PushRequest {
    const WHAT: &'static str = "push request";
    const SYNC: bool = true;
}

impl RequestBody for PullRequest {
    const WHAT: &'static str = "pull request";
    const SYNC: bool = true;
}

impl<S: Send + Sync, T: RequestBody> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let RawBody(bytes) = RawBody::from_request(request, state).await?;
        if T::SYNC {
            precheck(&bytes)?;
        }
        parse_json(T::WHAT, &bytes).map(JsonBody)
    }
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
}

/// The checks every sync request gets before its strict parse: JSON at all, the protocol
/// version (so a newer client gets 426, not a complaint about new fields), and the batch size.
fn precheck(bytes: &[u8]) -> Result<(), ApiError> {
    let mut value: Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(format!("the body is not valid JSON: {e}")).with_details(json!({ "path": "", "problem": e.to_string() }))
    })?;
    crate::error::integral_numbers(&mut value); // `"protocol": 1.0` is version 1
    let obj = value.as_object().ok_or_else(|| ApiError::bad_request("the body must be a JSON object").with_details(json!({ "path": "" })))?;
    match obj.get("protocol") {
        Some(p) if p.as_u64() == Some(PROTOCOL_VERSION as u64) => {}
        Some(p) => return Err(ApiError::version(p.clone())),
        None => return Err(ApiError::bad_request("missing field `protocol`").with_details(json!({ "path": "protocol", "problem": "missing" }))),
    }
    if let Some(n) = obj.get("mutations").and_then(|m| m.as_array()).map(|m| m.len()) {
        if n > MAX_BATCH {
            return Err(ApiError::too_large(format!("a push carries at most {MAX_BATCH} mutations, got {n}")).with_details(json!({ "max": MAX_BATCH, "got": n })));
        }
    }
    Ok(())
}

async fn push(State(svc): State<Arc<Service>>, Member(member): Member, JsonBody(req): JsonBody<PushRequest>) -> Reply<PushResponse> {
    svc.push(&member, &req).await.map(NoStore)
}

async fn pull(State(svc): State<Arc<Service>>, Member(member): Member, JsonBody(req): JsonBody<PullRequest>) -> Reply<PullResponse> {
    svc.pull(&member, &req).await.map(NoStore)
}

async fn history(
    State(svc): State<Arc<Service>>,
    Member(member): Member,
    AxumPath(kind): AxumPath<String>,
    RawQuery(query): RawQuery,
) -> Reply<HistoryPage> {
    let query = siyu_sync::authority::history::parse_query(query.as_deref().unwrap_or(""))?;
    svc.history(&member, &kind, &query).await.map(NoStore)
}

/// `POST /api/orders/{id}/pay`: the parameters of the host's payment call for an order awaiting
/// payment (`wx.requestPayment`'s with WeChat Pay; the demo sheet's with the demo provider).
async fn pay(State(svc): State<Arc<Service>>, Member(member): Member, AxumPath(order_id): AxumPath<String>, RawBody(bytes): RawBody) -> Reply<Value> {
    let payer = if bytes.iter().all(u8::is_ascii_whitespace) { None } else { parse_json::<PayRequest>("pay request", &bytes)?.openid };
    svc.pay(&member, &order_id, payer.as_deref()).await.map(NoStore)
}

/// The body of `POST /api/orders/{id}/pay` (optional): the shopper's id at the provider.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PayRequest {
    #[serde(default)]
    openid: Option<String>,
}

/// `POST /api/payments/{provider}/notify`: a provider's payment result, verified by it. Answered
/// as WeChat Pay v3 expects: 204 when processed, else 4xx/5xx with `{"code": "FAIL", "message"}`.
async fn notify(State(svc): State<Arc<Service>>, AxumPath(provider): AxumPath<String>, headers: HeaderMap, RawBody(bytes): RawBody) -> Response {
    let body = String::from_utf8_lossy(&bytes);
    match svc.notification(&provider, &headers, &body).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, axum::Json(json!({ "code": "FAIL", "message": e.message }))).into_response()
        }
    }
}

/// `POST /api/orders/{id}/demo-pay`: the demo provider's payment (the demo mall's pay sheet),
/// standing in for a provider's notification. Only while the demo provider is configured.
async fn demo_pay(State(svc): State<Arc<Service>>, Member(member): Member, AxumPath(order_id): AxumPath<String>) -> Reply<Value> {
    if svc.config.payment.as_ref().map(|p| p.name()) != Some("demo") {
        return Err(ApiError::not_found("the demo payment is only offered with the demo provider"));
    }
    let order = svc.payable(&member, &order_id).await?;
    let transaction = format!("demo-{order_id}");
    match svc.payment_result(&member, &order_id, order.total, &transaction).await? {
        siyu_sync::StoredOutcome::Applied { .. } => Ok(NoStore(json!({ "paid": true, "orderId": order_id, "amount": order.total, "transactionId": transaction }))),
        siyu_sync::StoredOutcome::Rejected { error } => {
            let code = siyu_core::error::ALL_CODES.iter().copied().find(|c| *c == error.code).unwrap_or("CONFLICT");
            Err(ApiError::new(409, code, error.message).with_details(error.details))
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LoginRequest {
    member_id: String,
}

impl RequestBody for LoginRequest {
    const WHAT: &'static str = "login request";
}

async fn login(State(svc): State<Arc<Service>>, JsonBody(req): JsonBody<LoginRequest>) -> Reply<Value> {
    svc.login(&req.member_id).map(NoStore)
}

async fn get_program(State(svc): State<Arc<Service>>) -> NoStore<Arc<siyu_core::Program>> {
    NoStore(svc.program())
}

async fn put_program(State(svc): State<Arc<Service>>, _: Admin, RawBody(bytes): RawBody) -> Reply<Value> {
    svc.put_program(&bytes).await.map(NoStore)
}

// ---- the store's operator (§15), admin token --------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PointsRequest {
    /// Points to grant (> 0) or deduct (< 0).
    delta: i64,
    reason: String,
}

impl RequestBody for PointsRequest {
    const WHAT: &'static str = "points request";
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct IssueRequest {
    template: String,
}

impl RequestBody for IssueRequest {
    const WHAT: &'static str = "coupon request";
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RevokeRequest {
    reason: String,
}

impl RequestBody for RevokeRequest {
    const WHAT: &'static str = "revoke request";
}

impl RequestBody for crate::operator::CampaignRequest {
    const WHAT: &'static str = "campaign request";
}

/// `POST /api/admin/members/{member}/points`: grant (`delta` > 0) or deduct points.
async fn admin_points(State(svc): State<Arc<Service>>, _: Admin, AxumPath(member): AxumPath<String>, JsonBody(req): JsonBody<PointsRequest>) -> Reply<Value> {
    let mutation = match req.delta {
        d if d > 0 => siyu_core::Mutation::GrantPoints { points: d, reason: req.reason },
        d if d < 0 => siyu_core::Mutation::DeductPoints { points: d.checked_neg().unwrap_or(i64::MAX), reason: req.reason },
        _ => return Err(ApiError::bad_request("delta must not be 0").with_details(json!({ "path": "delta" }))),
    };
    svc.operator_change(&member, mutation).await.map(NoStore)
}

/// `POST /api/admin/members/{member}/coupons`: issue a coupon to the member.
async fn admin_issue(State(svc): State<Arc<Service>>, _: Admin, AxumPath(member): AxumPath<String>, JsonBody(req): JsonBody<IssueRequest>) -> Reply<Value> {
    svc.operator_change(&member, siyu_core::Mutation::IssueCoupon { template: req.template, campaign: None, segment: None }).await.map(NoStore)
}

/// `POST /api/admin/members/{member}/coupons/{coupon}/revoke`: take back an unused coupon.
async fn admin_revoke(
    State(svc): State<Arc<Service>>,
    _: Admin,
    AxumPath((member, coupon)): AxumPath<(String, String)>,
    JsonBody(req): JsonBody<RevokeRequest>,
) -> Reply<Value> {
    svc.operator_change(&member, siyu_core::Mutation::RevokeCoupon { coupon, reason: req.reason }).await.map(NoStore)
}

/// `POST /api/admin/campaigns`: record the campaign and run it in the background (202 with its
/// progress); `GET /api/admin/campaigns/{id}` follows it.
async fn admin_campaign(State(svc): State<Arc<Service>>, _: Admin, JsonBody(req): JsonBody<crate::operator::CampaignRequest>) -> Result<Response, ApiError> {
    let campaign = svc.start_campaign(&req).await?;
    if campaign.finished_at.is_none() {
        let runner = svc.clone();
        let id = req.id.clone();
        tokio::spawn(async move {
            if let Err(e) = runner.run_campaign(&id).await {
                tracing::warn!(campaign = %id, code = e.code, message = %e.message, "campaign stopped; resumed by the next start or sweep");
            }
        });
    }
    Ok((StatusCode::ACCEPTED, NoStore(campaign)).into_response())
}

async fn admin_campaign_progress(State(svc): State<Arc<Service>>, _: Admin, AxumPath(id): AxumPath<String>) -> Reply<crate::operator::Campaign> {
    svc.campaign(&id).await?.map(NoStore).ok_or_else(|| ApiError::not_found(format!("no campaign {id:?}")))
}

/// `GET /api/admin/members/{member}/events`: the member's events as the outbox holds them, in
/// decision order (the newest 1,000): what a receiver can reconcile against (docs/events.md).
async fn admin_events(State(svc): State<Arc<Service>>, _: Admin, AxumPath(member): AxumPath<String>) -> Reply<Value> {
    Ok(NoStore(serde_json::json!({ "events": svc.member_events(&member).await? })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClockRequest {
    offset_ms: i64,
}

impl RequestBody for ClockRequest {
    const WHAT: &'static str = "clock request";
}

fn clock_body(svc: &Service) -> Value {
    let now = svc.now();
    json!({ "offsetMs": svc.clock.offset_ms(), "now": now, "businessDay": svc.program().business_day(now) })
}

fn demo_only(svc: &Service) -> Result<(), ApiError> {
    if svc.config.demo {
        Ok(())
    } else {
        Err(ApiError::not_found("the QA clock is only offered in demo mode"))
    }
}

async fn get_clock(State(svc): State<Arc<Service>>) -> Reply<Value> {
    demo_only(&svc)?;
    Ok(NoStore(clock_body(&svc)))
}

async fn set_clock(State(svc): State<Arc<Service>>, request: Request) -> Reply<Value> {
    // Demo mode is checked before the body is read.
    demo_only(&svc)?;
    let JsonBody(req): JsonBody<ClockRequest> = JsonBody::from_request(request, &svc).await?;
    // At most ±10 years. `unsigned_abs`: `i64::MIN.abs()` overflows.
    if req.offset_ms.unsigned_abs() > 10 * 366 * 86_400_000 {
        return Err(ApiError::bad_request("offsetMs must be within ±10 years").with_details(json!({ "path": "offsetMs" })));
    }
    svc.clock.set_offset_ms(req.offset_ms);
    // Orders whose deadline the move passed are cancelled now, as the sweep would next round.
    svc.sweep_expired().await?;
    Ok(NoStore(clock_body(&svc)))
}

async fn health(State(svc): State<Arc<Service>>) -> NoStore<Value> {
    NoStore(json!({ "ok": true, "protocol": PROTOCOL_VERSION, "maxBatch": MAX_BATCH, "demo": svc.config.demo, "serverTime": svc.now() }))
}

async fn api_not_found() -> Response {
    ApiError::not_found("no such API route").into_response()
}

async fn api_method_not_allowed() -> Response {
    ApiError::new(405, "METHOD_NOT_ALLOWED", "this API route does not take that method").into_response()
}

/// CORS for the configured origins: the preflight is answered for them, and their pages may read
/// the API's replies (and `Retry-After`). Tokens travel in `Authorization`, never in cookies, so
/// credentials are not allowed.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::PUT])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
            .expose_headers([header::RETRY_AFTER])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

/// The API alone (what the tests drive).
pub fn api_router(svc: Arc<Service>) -> Router {
    let cors = cors(&svc.config.cors_origins);
    let router = Router::new()
        .route("/api/push", post(push))
        .route("/api/pull", post(pull))
        .route("/api/history/{kind}", get(history))
        .route("/api/orders/{id}/pay", post(pay))
        .route("/api/orders/{id}/demo-pay", post(demo_pay))
        .route("/api/payments/{provider}/notify", post(notify))
        .route("/api/login", post(login))
        .route("/api/program", get(get_program).put(put_program))
        .route("/api/admin/members/{member}/points", post(admin_points))
        .route("/api/admin/members/{member}/coupons", post(admin_issue))
        .route("/api/admin/members/{member}/coupons/{coupon}/revoke", post(admin_revoke))
        .route("/api/admin/members/{member}/events", get(admin_events))
        .route("/api/admin/campaigns", post(admin_campaign))
        .route("/api/admin/campaigns/{id}", get(admin_campaign_progress))
        .route("/api/qa/clock", get(get_clock).post(set_clock))
        .route("/api/health", get(health))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .method_not_allowed_fallback(api_method_not_allowed)
        .with_state(svc);
    let router = match cors {
        Some(layer) => router.layer(layer),
        None => router,
    };
    traced(router)
}

/// Every request gets an id (`x-request-id`: the caller's if it sent one, else the next number),
/// echoed in the reply, and a span carrying it, its method and path, so every log line of the
/// request — a 500's cause included — can be found from what the client saw.
fn traced(router: Router) -> Router {
    let header = HeaderName::from_static("x-request-id");
    router
        .layer(PropagateRequestIdLayer::new(header.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &axum::http::Request<Body>| {
                    let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path())
                })
                .on_response(|response: &Response, latency: std::time::Duration, _span: &tracing::Span| {
                    tracing::info!(status = response.status().as_u16(), ms = latency.as_millis() as u64, "answered");
                }),
        )
        .layer(SetRequestIdLayer::new(header, NextRequestId::default()))
}

/// Request ids: a process-wide counter (unique per server process; the log's timestamps and the
/// host tell processes apart).
#[derive(Clone, Default)]
struct NextRequestId(Arc<std::sync::atomic::AtomicU64>);

impl MakeRequestId for NextRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        HeaderValue::from_str(&format!("r{n}")).ok().map(RequestId::new)
    }
}

/// The API plus the static mall: `www/` at `/` and `pkg/` at `/pkg/`.
pub fn router(svc: Arc<Service>, www: &Path, pkg: &Path) -> Router {
    api_router(svc).nest_service("/pkg", ServeDir::new(pkg)).fallback_service(ServeDir::new(www))
}
