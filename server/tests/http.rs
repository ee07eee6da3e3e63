//! The HTTP layer: status codes and JSON error bodies for bad requests, auth, sizes, versions,
//! rate limits, the program endpoints, login and the QA clock.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use serde_json::{json, Value};
use siyu_server::http::{api_router, MAX_BODY_BYTES};
use siyu_server::{Config, Service};
use std::sync::Arc;
use tower::ServiceExt;

async fn call(svc: &Arc<Service>, method: &str, path: &str, token: Option<&str>, body: impl Into<Body>) -> (StatusCode, Option<String>, Value) {
    let mut req = Request::builder().method(method).uri(path).header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let response = api_router(svc.clone()).oneshot(req.body(body.into()).unwrap()).await.unwrap();
    let status = response.status();
    let retry = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let value = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or_else(|_| json!({ "raw": String::from_utf8_lossy(&bytes) })) };
    (status, retry, value)
}

async fn svc(config: Config) -> Arc<Service> {
    service_on("sqlite::memory:", test_program("http"), START, config).await.0
}

fn token(svc: &Service, member: &str) -> String {
    svc.signer.issue(member, siyu_server::clock::system_now_ms())
}

fn push_body(client: &str, ids: std::ops::RangeInclusive<u64>) -> String {
    let ms: Vec<Value> = ids.map(|id| json!({ "id": id, "name": "checkIn", "args": {}, "clientTime": 0 })).collect();
    json!({ "protocol": 2, "clientId": client, "mutations": ms }).to_string()
}

#[tokio::test]
async fn request_errors_are_json_with_codes() {
    let s = svc(config()).await;
    let t = token(&s, "alice");
    let cases: Vec<(&str, Option<&str>, String, u16, &str)> = vec![
        ("/api/push", Some(&t), "{not json".into(), 400, "BAD_REQUEST"),
        ("/api/push", Some(&t), json!({ "protocol": 2, "clientId": "a1", "mutations": [], "sneaky": 1 }).to_string(), 400, "BAD_REQUEST"),
        ("/api/push", Some(&t), json!({ "protocol": 2, "clientId": "a1", "mutations": [{ "id": 1, "name": "checkIn", "args": {}, "clientTime": 0, "amount": 5 }] }).to_string(), 400, "BAD_REQUEST"),
        ("/api/push", Some(&t), json!({ "protocol": 2, "clientId": "bad id!", "mutations": [] }).to_string(), 400, "BAD_REQUEST"),
        ("/api/pull", Some(&t), json!({ "protocol": 2, "clientId": "a1", "cookie": null, "state": {} }).to_string(), 400, "BAD_REQUEST"),
        ("/api/push", None, push_body("a1", 1..=1), 401, "UNAUTHENTICATED"),
        ("/api/push", Some("forged.token"), push_body("a1", 1..=1), 401, "UNAUTHENTICATED"),
        ("/api/pull", Some("x"), json!({ "protocol": 2, "clientId": "a1" }).to_string(), 401, "UNAUTHENTICATED"),
        ("/api/push", Some(&t), push_body("a1", 1..=101), 413, "BATCH_TOO_LARGE"),
        ("/api/push", Some(&t), "x".repeat(MAX_BODY_BYTES + 10), 413, "BODY_TOO_LARGE"),
        ("/api/push", Some(&t), json!({ "protocol": 3, "clientId": "a1", "mutations": [], "newField": true }).to_string(), 426, "VERSION_NOT_SUPPORTED"),
        // A client of protocol 1 (whole states on every pull) is told to update.
        ("/api/pull", Some(&t), json!({ "protocol": 1, "clientId": "a1", "cookie": 3 }).to_string(), 426, "VERSION_NOT_SUPPORTED"),
        ("/api/push", Some(&t), json!({ "protocol": 1, "clientId": "a1", "mutations": [] }).to_string(), 426, "VERSION_NOT_SUPPORTED"),
        ("/api/pull", Some(&t), json!({ "protocol": 0, "clientId": "a1" }).to_string(), 426, "VERSION_NOT_SUPPORTED"),
        ("/api/push", Some(&t), push_body("a1", 3..=4), 409, "OUT_OF_ORDER"),
        ("/api/login", None, json!({ "memberId": "alice" }).to_string(), 404, "NOT_FOUND"),
        ("/api/qa/clock", None, json!({ "offsetMs": 1 }).to_string(), 404, "NOT_FOUND"),
        ("/api/nothing-here", None, String::new(), 404, "NOT_FOUND"),
        ("/api/health", None, String::new(), 405, "METHOD_NOT_ALLOWED"),
        ("/api/program", Some(&t), String::new(), 405, "METHOD_NOT_ALLOWED"),
    ];
    for (path, tok, body, status, code) in cases {
        let (st, _, v) = call(&s, "POST", path, tok, body.clone()).await;
        assert_eq!((st.as_u16(), v["code"].as_str().unwrap_or("")), (status, code), "{path} {}: {v}", &body[..body.len().min(120)]);
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
        assert!(v["details"].is_object(), "{v}");
    }
    // A known route with another method is JSON too.
    let (st, _, v) = call(&s, "GET", "/api/push", Some(&t), Body::empty()).await;
    assert_eq!((st.as_u16(), v["code"].clone(), v["details"].is_object()), (405, json!("METHOD_NOT_ALLOWED"), true), "{v}");
    let (_, _, v) = call(&s, "POST", "/api/push", Some(&t), push_body("a1", 3..=4)).await;
    assert_eq!(v["details"]["expected"], json!(1));
    let (_, _, v) = call(&s, "POST", "/api/push", Some(&t), json!({ "protocol": 2, "clientId": "a1", "mutations": [], "sneaky": 1 }).to_string()).await;
    assert_eq!(v["details"]["path"], json!("sneaky"));
}

#[tokio::test]
async fn push_and_pull_over_http() {
    let s = svc(config()).await;
    let t = token(&s, "bob");
    let (st, _, v) = call(&s, "POST", "/api/pull", Some(&t), json!({ "protocol": 2, "clientId": "b1", "cookie": null }).to_string()).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["state"]["memberId"], json!("bob"));
    assert_eq!(v["businessDay"], json!("2026-03-02"));
    let (st, _, v) = call(&s, "POST", "/api/push", Some(&t), push_body("b1", 1..=2)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["results"][0]["status"], json!("applied"));
    assert_eq!(v["results"][1]["status"], json!("rejected"));
    assert_eq!(v["results"][1]["error"]["code"], json!("ALREADY_CHECKED_IN"));
    assert_eq!(v["lastMutationId"], json!(2));
    let (_, _, v) = call(&s, "POST", "/api/push", Some(&t), push_body("b1", 1..=2)).await;
    assert_eq!(v["results"][0]["status"], json!("duplicate"));
    assert_eq!(v["results"][0]["original"]["status"], json!("applied"));
    // Another member's token cannot use bob's client.
    let (st, _, v) = call(&s, "POST", "/api/push", Some(&token(&s, "eve")), push_body("b1", 3..=3)).await;
    assert_eq!((st.as_u16(), v["code"].clone()), (403, json!("CLIENT_NOT_OWNED")));
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let s = svc(Config { rate_burst: 3, rate_per_sec: 0.5, ..config() }).await;
    let t = token(&s, "carol");
    let body = json!({ "protocol": 2, "clientId": "c1", "cookie": null }).to_string();
    for _ in 0..3 {
        assert_eq!(call(&s, "POST", "/api/pull", Some(&t), body.clone()).await.0, StatusCode::OK);
    }
    let (st, retry, v) = call(&s, "POST", "/api/pull", Some(&t), body.clone()).await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(v["code"], json!("RATE_LIMITED"));
    assert!(retry.unwrap().parse::<u64>().unwrap() >= 1);
    // Buckets are per member.
    assert_eq!(call(&s, "POST", "/api/pull", Some(&token(&s, "dave")), json!({ "protocol": 2, "clientId": "d1" }).to_string()).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_program_is_read_by_anyone_and_replaced_by_the_admin() {
    let s = svc(config()).await;
    let (st, _, v) = call(&s, "GET", "/api/program", None, Body::empty()).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["catalog"][0]["id"], json!("almond-250"));
    let mut next = v.clone();
    next["name"] = json!("Renamed");
    let (st, _, v) = call(&s, "PUT", "/api/program", None, next.to_string()).await;
    assert_eq!((st.as_u16(), v["code"].clone()), (401, json!("UNAUTHENTICATED")));
    let (st, _, _) = call(&s, "PUT", "/api/program", Some(&token(&s, "alice")), next.to_string()).await;
    assert_eq!(st.as_u16(), 401);
    let mut bad = next.clone();
    bad["tiers"] = json!([]);
    let (st, _, v) = call(&s, "PUT", "/api/program", Some("admin-secret"), bad.to_string()).await;
    assert_eq!((st.as_u16(), v["code"].clone()), (422, json!("INVALID_PROGRAM")), "{v}");
    let mut unknown = next.clone();
    unknown["surprise"] = json!(1);
    let (st, _, _) = call(&s, "PUT", "/api/program", Some("admin-secret"), unknown.to_string()).await;
    assert_eq!(st.as_u16(), 422);
    let (st, _, v) = call(&s, "PUT", "/api/program", Some("admin-secret"), next.to_string()).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, _, v) = call(&s, "GET", "/api/program", None, Body::empty()).await;
    assert_eq!(v["name"], json!("Renamed"));
    assert_eq!(s.db.load_program().await.unwrap().map(|t| t.contains("Renamed")), Some(true));

    let closed = svc(Config { admin_token: None, ..config() }).await;
    let (st, _, v) = call(&closed, "PUT", "/api/program", Some("admin-secret"), next.to_string()).await;
    assert_eq!((st.as_u16(), v["code"].clone()), (403, json!("ADMIN_DISABLED")));
}

#[tokio::test]
async fn demo_mode_logs_in_and_moves_the_clock() {
    let s = svc(Config { demo: true, ..config() }).await;
    let (st, _, v) = call(&s, "POST", "/api/login", None, json!({ "memberId": "loyal" }).to_string()).await;
    assert_eq!(st, StatusCode::OK);
    let t = v["token"].as_str().unwrap().to_string();
    assert_eq!(s.authenticate(Some(&format!("Bearer {t}"))).unwrap(), "loyal");
    let (st, _, v) = call(&s, "POST", "/api/login", None, json!({ "memberId": "loyal", "tier": "diamond" }).to_string()).await;
    assert_eq!((st.as_u16(), v["code"].clone()), (400, json!("BAD_REQUEST")));
    let (_, _, before) = call(&s, "GET", "/api/qa/clock", None, Body::empty()).await;
    assert_eq!(before["offsetMs"], json!(0));
    let (st, _, v) = call(&s, "POST", "/api/qa/clock", None, json!({ "offsetMs": 2 * DAY }).to_string()).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["businessDay"], json!("2026-03-04"));
    let (_, _, pull) = call(&s, "POST", "/api/pull", Some(&t), json!({ "protocol": 2, "clientId": "l1" }).to_string()).await;
    assert_eq!(pull["serverTime"], json!(START + 2 * DAY));
    // Offsets past ±10 years are refused, including the extremes of i64 (no overflow).
    for offset in [i64::MIN, i64::MIN + 1, i64::MAX, 11 * 366 * DAY, -11 * 366 * DAY] {
        let (st, _, v) = call(&s, "POST", "/api/qa/clock", None, json!({ "offsetMs": offset }).to_string()).await;
        assert_eq!((st.as_u16(), v["code"].clone()), (400, json!("BAD_REQUEST")), "{offset}");
    }
    let (_, _, after) = call(&s, "GET", "/api/qa/clock", None, Body::empty()).await;
    assert_eq!(after["offsetMs"], json!(2 * DAY));
    assert_eq!(pull["businessDay"], json!("2026-03-04"));
}

#[tokio::test]
async fn demo_members_are_seeded_once() {
    let s = svc(config()).await;
    let program = s.program();
    let seeded = siyu_server::demo::seed(&s.db, &program, START).await.unwrap();
    assert_eq!(seeded, ["new", "loyal", "lapsing"]);
    assert!(siyu_server::demo::seed(&s.db, &program, START).await.unwrap().is_empty());
    let loyal = s.member_state("loyal").await.unwrap().unwrap().1;
    assert!(loyal.orders.len() >= 15);
    let seg = siyu_core::segments::of(&loyal, START);
    let lapsing = s.member_state("lapsing").await.unwrap().unwrap().1;
    let lseg = siyu_core::segments::of(&lapsing, START);
    assert_eq!(seg.lifecycle, siyu_core::segments::Lifecycle::Loyal);
    assert_eq!(lseg.lifecycle, siyu_core::segments::Lifecycle::Lapsing);
    let tier = siyu_core::tiers::current_tier(&program, &loyal, START);
    assert!(["gold", "diamond"].contains(&tier.id.as_str()), "loyal is {}", tier.id);
    // The seeded history is consistent with the guards: pushing on top works.
    let t = siyu_sync::PushMutation::new(1, siyu_core::apply::Mutation::CheckIn {}, 0);
    let r = s.push("loyal", &siyu_sync::PushRequest { protocol: 2, client_id: "loyal-phone".into(), mutations: vec![t] }).await.unwrap();
    assert!(matches!(r.results[0].outcome.original(), siyu_sync::StoredOutcome::Applied { .. }));
}

#[tokio::test]
async fn integral_numbers_written_as_floats_are_integers_and_larger_ones_stay_refused() {
    let s = svc(config()).await;
    let t = token(&s, "floaty");
    // `1.0` is the integer 1 in JSON (and in JSON Schema): the push and the pull are taken.
    let body = r#"{"protocol": 2.0, "clientId": "f1", "mutations": [{"id": 1.0, "name": "checkIn", "args": {}, "clientTime": 1772416800000.0}]}"#;
    let (st, _, v) = call(&s, "POST", "/api/push", Some(&t), body.to_string()).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["lastMutationId"], json!(1));
    let (st, _, v) = call(&s, "POST", "/api/pull", Some(&t), r#"{"protocol": 2, "clientId": "f1", "cookie": 0.0}"#.to_string()).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    // A fraction, or an integer beyond what a float holds exactly, is still refused.
    let (st, _, v) = call(&s, "POST", "/api/pull", Some(&t), r#"{"protocol": 2, "clientId": "f1", "cookie": 1.5}"#.to_string()).await;
    assert_eq!((st, v["details"]["path"].clone()), (StatusCode::BAD_REQUEST, json!("cookie")));
    let (st, _, _) = call(&s, "POST", "/api/pull", Some(&t), r#"{"protocol": 2, "clientId": "f1", "cookie": 18446744073709551616}"#.to_string()).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
}

async fn preflight(svc: &Arc<Service>, origin: &str) -> axum::response::Response {
    let req = Request::builder()
        .method("OPTIONS")
        .uri("/api/push")
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization, content-type")
        .body(Body::empty())
        .unwrap();
    api_router(svc.clone()).oneshot(req).await.unwrap()
}

#[tokio::test]
async fn cors_is_answered_for_configured_origins_only() {
    let shop = "https://shop.example.com";
    let s = svc(Config { cors_origins: vec![shop.into()], ..config() }).await;
    // The preflight of a configured origin is answered, naming it and what it may send.
    let ok = preflight(&s, shop).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let h = ok.headers();
    assert_eq!(h["access-control-allow-origin"], shop);
    let methods = h["access-control-allow-methods"].to_str().unwrap().to_ascii_uppercase();
    assert!(methods.contains("POST"), "{methods}");
    let headers = h["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(headers.contains("authorization") && headers.contains("content-type"), "{headers}");
    assert!(h.get("access-control-allow-credentials").is_none());
    // Another origin gets no permission.
    let other = preflight(&s, "https://evil.example.net").await;
    assert!(other.headers().get("access-control-allow-origin").is_none());
    // A real request from the shop's page can read the reply (and Retry-After).
    let req = Request::builder().method("GET").uri("/api/health").header("origin", shop).body(Body::empty()).unwrap();
    let reply = api_router(s.clone()).oneshot(req).await.unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    assert_eq!(reply.headers()["access-control-allow-origin"], shop);
    assert!(reply.headers()["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase().contains("retry-after"));

    // `*`: any origin.
    let any = svc(Config { cors_origins: vec!["*".into()], ..config() }).await;
    assert_eq!(preflight(&any, "https://anywhere.example").await.headers()["access-control-allow-origin"], "*");

    // Not configured: same origin only; a preflight is not a route (405, as before).
    let closed = svc(config()).await;
    let refused = preflight(&closed, shop).await;
    assert_eq!(refused.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(refused.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn a_server_failure_answers_a_generic_500_with_the_request_id_and_keeps_the_cause_out() {
    let s = svc(config()).await;
    let t = token(&s, "m1");
    let (status, _, _) = call(&s, "POST", "/api/push", Some(&t), push_body("c1", 1..=1)).await;
    assert_eq!(status, StatusCode::OK);
    // The stored state is damaged: the server cannot read it.
    sqlx::query("UPDATE members SET state = 'not json at all' WHERE member_id = 'm1'").execute(&s.db.pool).await.unwrap();
    let req = Request::builder()
        .method("POST")
        .uri("/api/pull")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {t}"))
        .body(Body::from(json!({ "protocol": 2, "clientId": "c1", "cookie": null }).to_string()))
        .unwrap();
    let response = api_router(s.clone()).oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let id = response.headers().get("x-request-id").expect("every reply names its request").to_str().unwrap().to_string();
    assert!(!id.is_empty());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["code"], "INTERNAL");
    let text = body.to_string();
    for inside in ["unreadable", "expected", "not json", "line", "sqlx", "state"] {
        assert!(!text.contains(inside), "the reply leaks {inside:?}: {text}");
    }
    // A request id the caller sent is kept.
    let req = Request::builder().method("GET").uri("/api/health").header("x-request-id", "client-7").body(Body::empty()).unwrap();
    let response = api_router(s.clone()).oneshot(req).await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "client-7");
}
