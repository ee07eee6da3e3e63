//! Servers that agree: two services on one database; one replaces the program, the other decides
//! with the new one at once, and every decision records the program version it was made with.
//! Runs on a SQLite file, and on PostgreSQL when SIYU_TEST_POSTGRES_URL is set.

mod common;

use common::*;
use serde_json::json;
use siyu_core::apply::Mutation;
use siyu_core::quote::{CouponChoice, PointsChoice, QuoteRequest};
use siyu_core::state::{MemberState, OrderLine};
use siyu_sync::{PushMutation, PushRequest, StoredOutcome, PROTOCOL_VERSION};
use siyu_core::{Program, Stock};
use sqlx::Row;

fn total(program: &Program, lines: &[OrderLine]) -> i64 {
    let request = QuoteRequest { lines: lines.to_vec(), coupons: CouponChoice::default(), points: PointsChoice::Amount(0) };
    siyu_core::quote::quote(program, &MemberState::new("m", START), &Stock::initial(program), &request, START).unwrap().total
}

async fn two_servers_decide_with_the_program_in_force(url: &str) {
    let tag = run_tag();
    let (a, _) = service_on(url, test_program("programs"), START, config()).await;
    let (b, _) = service_on(url, test_program("programs"), START, config()).await;
    let lines = vec![OrderLine { sku: "protein-1kg".into(), qty: 1 }];
    let old = total(&b.program(), &lines);

    // Server A raises the protein's price by ¥1.
    let mut next = program_json();
    let protein = next["catalog"].as_array_mut().unwrap().iter_mut().find(|s| s["id"] == "protein-1kg").unwrap();
    protein["listPrice"] = json!(protein["listPrice"].as_i64().unwrap() + 100);
    protein["memberPrices"] = json!({});
    a.put_program(next.to_string().as_bytes()).await.unwrap();
    let new = total(&Program::from_json(&next.to_string()).unwrap(), &lines);
    assert_ne!(old, new);

    // Server B, which never saw the PUT, prices the next order with the new program.
    let member = format!("prog-{tag}");
    let client = format!("prog-phone-{tag}");
    b.ensure_member(&member).await.unwrap();
    let order = |id: u64, expected: i64| {
        let m = Mutation::PlaceOrder { order_id: format!("o{id}"), lines: lines.clone(), coupons: vec![], points: 0, expected_total: expected };
        PushMutation::new(id, m.clone(), START)
    };
    let push = |m: PushMutation| PushRequest { protocol: PROTOCOL_VERSION, client_id: client.clone(), mutations: vec![m] };
    let r = b.push(&member, &push(order(1, old))).await.unwrap();
    match r.results[0].outcome.original() {
        StoredOutcome::Rejected { error } => {
            assert_eq!(error.code, "PRICE_CHANGED");
            assert_eq!(error.details["quote"]["total"], json!(new));
        }
        other => panic!("expected PRICE_CHANGED, got {other:?}"),
    }
    let r = b.push(&member, &push(order(2, new))).await.unwrap();
    assert!(matches!(r.results[0].outcome.original(), StoredOutcome::Applied { .. }));
    assert_eq!(b.program().catalog.iter().find(|s| s.id == "protein-1kg").unwrap().list_price, next["catalog"].as_array().unwrap().iter().find(|s| s["id"] == "protein-1kg").unwrap()["listPrice"].as_i64().unwrap());

    // Each decision records the version it was made with.
    let version = b.db.program_version().await.unwrap();
    assert!(version >= 1);
    let rows = sqlx::query(&b.db.sql("SELECT program_version FROM mutations WHERE member_id = $1 ORDER BY mutation_id")).bind(&member).fetch_all(&b.db.pool).await.unwrap();
    let versions: Vec<i64> = rows.iter().map(|r| r.try_get(0).unwrap()).collect();
    assert_eq!(versions, vec![version, version]);
}

#[tokio::test]
async fn two_servers_on_sqlite_decide_with_the_program_in_force() {
    two_servers_decide_with_the_program_in_force(&sqlite_file_url("programs")).await;
}

#[tokio::test]
async fn two_servers_on_postgres_decide_with_the_program_in_force() {
    let Ok(url) = std::env::var("SIYU_TEST_POSTGRES_URL") else {
        eprintln!("skipped: SIYU_TEST_POSTGRES_URL is not set");
        return;
    };
    two_servers_decide_with_the_program_in_force(&url).await;
}
