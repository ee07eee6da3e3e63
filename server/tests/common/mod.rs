//! Shared test helpers: services over in-memory SQLite, a SQLite file, or PostgreSQL.
#![allow(dead_code)]

use serde_json::{json, Value};
use siyu_core::program::Program;
use siyu_server::auth::Signer;
use siyu_server::{Clock, Config, Db, Service};
use std::sync::atomic::AtomicI64;
use std::sync::Arc;

/// 2026-03-02 (a Monday) 10:00 at +08:00.
pub const START: i64 = 1_772_416_800_000;
pub const HOUR: i64 = 3_600_000;
pub const DAY: i64 = 86_400_000;

pub fn program_json() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../programs/health-food.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The demo program plus a claimable template with a tiny quota (`quota-<tag>`, 2 claims in all,
/// at most 5 per member) and the limited sale running around START with 5 units.
pub fn test_program(tag: &str) -> Program {
    let mut p = program_json();
    p["couponTemplates"].as_array_mut().unwrap().push(json!({
        "id": format!("quota-{tag}"),
        "name": "限量券 ¥3",
        "kind": { "type": "amountOff", "amount": 300 },
        "stackGroup": "item",
        "validity": { "type": "relative", "days": 30, "fromNextDay": false },
        "perMember": 5,
        "totalQuota": 2,
        "claimable": true
    }));
    let sale = &mut p["limitedSales"][0];
    sale["startsAt"] = json!(START - DAY);
    sale["endsAt"] = json!(START + 60 * DAY);
    sale["stock"] = json!(5);
    sale["perMember"] = json!(2);
    Program::from_json(&p.to_string()).unwrap()
}

/// Unique per process run, so PostgreSQL tests can rerun on the same database.
pub fn run_tag() -> String {
    use std::sync::OnceLock;
    static TAG: OnceLock<String> = OnceLock::new();
    TAG.get_or_init(|| {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        format!("{:x}{:x}", std::process::id(), nanos % 0xffff_ffff)
    })
    .clone()
}

pub fn config() -> Config {
    Config { demo: false, rate_burst: 0, rate_per_sec: 0.0, admin_token: Some("admin-secret".into()), cors_origins: Vec::new(), payment: Some(std::sync::Arc::new(siyu_server::payment::DemoPay)), webhooks: None }
}

pub async fn service_on(url: &str, program: Program, start: i64, config: Config) -> (Arc<Service>, Arc<AtomicI64>) {
    let db = Db::connect(url, 16).await.unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
    let (clock, handle) = Clock::manual(start);
    let svc = Service::new(db, program, Signer::new(b"test-secret".to_vec()), clock, config).await.unwrap();
    (svc, handle)
}

pub async fn memory_service(program: Program, start: i64) -> (Arc<Service>, Arc<AtomicI64>) {
    service_on("sqlite::memory:", program, start, config()).await
}

/// A fresh SQLite file in the temp folder.
pub fn sqlite_file_url(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("siyu-test-{}", run_tag()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.db"));
    let _ = std::fs::remove_file(&path);
    format!("sqlite://{}", path.display())
}

/// SIYU_TEST_POSTGRES_URL, or a printed note that the PostgreSQL variant is skipped.
pub fn postgres_url(test: &str) -> Option<String> {
    match std::env::var("SIYU_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("note: {test}: SIYU_TEST_POSTGRES_URL is not set; skipping the PostgreSQL run (scripts/start-postgres.sh starts one)");
            None
        }
    }
}

/// A member's phone (a replica of the engine) synced once with `svc`; its client id is
/// `<member>-<name>`.
pub async fn phone(svc: &Service, member: &str, name: &str) -> siyu_sync::replica::Mall {
    let now = svc.now();
    let mut phone = siyu_sync::replica::Mall::new((*svc.program()).clone(), member, &format!("{member}-{name}"), now);
    pull(svc, &mut phone).await;
    phone
}

/// Pull what the server decided since the phone's last pull.
pub async fn pull(svc: &Service, phone: &mut siyu_sync::replica::Mall) {
    let now = svc.now();
    let member = phone.state().member_id.clone();
    let reply = svc.pull(&member, &phone.pull_request()).await.unwrap();
    phone.on_pull_response(&reply, now, now);
}
