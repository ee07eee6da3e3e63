//! Shared counters split into shards (`store::write_counters`): a take larger than any one shard
//! still takes exactly what it asks for, a take larger than the whole count fires the guard and
//! changes nothing, many transactions taking at once never take more than there is, and a
//! database made before counters had shards keeps its counts. On a SQLite file and, when
//! SIYU_TEST_POSTGRES_URL is set, PostgreSQL (32 shards a counter there, 1 on SQLite).

mod common;

use common::*;
use siyu_server::store::{self, WriteError};
use siyu_server::Db;
use siyu_core::Stock;
use std::collections::BTreeMap;
use std::sync::Arc;

fn stock_of(counter: &str, remaining: u32) -> Stock {
    let mut stock = Stock::default();
    stock.remaining.insert(counter.to_string(), remaining);
    stock
}

async fn remaining(db: &Db, counter: &str) -> Option<u32> {
    let mut conn = db.pool.acquire().await.unwrap();
    store::load_stock(&mut conn, db).await.unwrap().remaining.get(counter).copied()
}

/// One transaction adding `delta` to `counter`, committed when it succeeds.
async fn change(db: &Db, counter: &str, delta: i64) -> Result<(), String> {
    let mut tx = store::begin_write(db).await.unwrap();
    let deltas = BTreeMap::from([(counter.to_string(), delta)]);
    match store::write_counters(&mut tx, db, &deltas).await {
        Ok(()) => {
            tx.commit().await.unwrap();
            Ok(())
        }
        Err(WriteError::Guard(g)) => Err(g),
        Err(WriteError::Db(e)) => panic!("{counter} {delta}: {e}"),
    }
}

async fn split_counts_stay_exact(db: &Db, tag: &str) {
    let counter = format!("couponQuota:split-{tag}");
    db.init_stock(&stock_of(&counter, 100)).await.unwrap();
    assert_eq!(remaining(db, &counter).await, Some(100));
    // Making the counter again (a second server starting, a new program) keeps its count.
    change(db, &counter, -1).await.unwrap();
    db.init_stock(&stock_of(&counter, 100)).await.unwrap();
    assert_eq!(remaining(db, &counter).await, Some(99));
    // 90 at once: more than any one of 32 shards holds (3 or 4 each).
    change(db, &counter, -90).await.unwrap();
    assert_eq!(remaining(db, &counter).await, Some(9));
    assert_eq!(change(db, &counter, -10).await, Err("stock_remaining".to_string()), "10 > 9 left");
    assert_eq!(remaining(db, &counter).await, Some(9), "a take that fired its guard took nothing");
    change(db, &counter, 5).await.unwrap();
    change(db, &counter, -14).await.unwrap();
    assert_eq!(remaining(db, &counter).await, Some(0));
    assert!(change(db, &counter, -1).await.is_err());
    // A counter the program no longer has is unlimited.
    change(db, &format!("couponQuota:gone-{tag}"), -1_000).await.unwrap();
}

/// 60 transactions at once, each taking 1 or 2 units and holding its shard a moment before
/// committing, from a counter of `COUNT`: exactly what there was is taken, never more.
async fn raced_takes_never_oversell(db: Arc<Db>, tag: &str) {
    let counter = format!("saleStock:race-{tag}");
    const COUNT: u32 = 41;
    db.init_stock(&stock_of(&counter, COUNT)).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..60i64 {
        let (db, counter) = (db.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            let units = 1 + i % 2;
            let deltas = BTreeMap::from([(counter.clone(), -units)]);
            // Two takers waiting for each other's shards: one is chosen to fail and, as a push
            // does, tries again.
            for _ in 0..8 {
                let mut tx = store::begin_write(&db).await.unwrap();
                match store::write_counters(&mut tx, &db, &deltas).await {
                    Ok(()) => {
                        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                        tx.commit().await.unwrap();
                        return units;
                    }
                    Err(WriteError::Guard(_)) => return 0,
                    Err(WriteError::Db(e)) if siyu_server::db::transient(&e) => continue,
                    Err(WriteError::Db(e)) => panic!("{e}"),
                }
            }
            panic!("a take failed 8 times")
        }));
    }
    let mut taken = 0;
    for t in tasks {
        taken += t.await.unwrap();
    }
    let left = remaining(&db, &counter).await.unwrap();
    assert_eq!(i64::from(left) + taken, i64::from(COUNT), "taken {taken}, left {left}");
    assert!(left <= 1, "the takers asked for 90 units in all: at most one unit can be left over ({left})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn counters_on_sqlite() {
    let db = Arc::new(Db::connect(&sqlite_file_url("counters"), 8).await.unwrap());
    split_counts_stay_exact(&db, &run_tag()).await;
    raced_takes_never_oversell(db, &run_tag()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn counters_on_postgres() {
    if let Some(url) = postgres_url("counters_on_postgres") {
        let db = Arc::new(Db::connect(&url, 40).await.unwrap());
        split_counts_stay_exact(&db, &format!("pg{}", run_tag())).await;
        raced_takes_never_oversell(db, &format!("pg{}", run_tag())).await;
    }
}

/// A SQLite file from before shards: its `stock` table's counts are what the counters hold after
/// the server opens it, and the old table is gone.
#[tokio::test]
async fn counters_made_before_shards_keep_their_counts() {
    use sqlx::Row;
    let url = sqlite_file_url("counters-old");
    {
        let db = Db::connect(&url, 1).await.unwrap();
        sqlx::query("CREATE TABLE stock (counter TEXT PRIMARY KEY, remaining BIGINT NOT NULL CHECK (remaining >= 0))").execute(&db.pool).await.unwrap();
        sqlx::query("INSERT INTO stock (counter, remaining) VALUES ('couponQuota:old', 7), ('saleStock:old', 0)").execute(&db.pool).await.unwrap();
        db.pool.close().await;
        db.reads.close().await;
    }
    let db = Db::connect(&url, 1).await.unwrap();
    assert_eq!(remaining(&db, "couponQuota:old").await, Some(7));
    assert_eq!(remaining(&db, "saleStock:old").await, Some(0));
    let old: i64 = sqlx::query("SELECT COUNT(*) FROM sqlite_master WHERE name = 'stock'").fetch_one(&db.pool).await.unwrap().get(0);
    assert_eq!(old, 0);
    assert_eq!(change(&db, "couponQuota:old", -8).await, Err("stock_remaining".to_string()));
    change(&db, "couponQuota:old", -7).await.unwrap();
    assert_eq!(remaining(&db, "couponQuota:old").await, Some(0));
}
