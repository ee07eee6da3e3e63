//! The store: every SQL statement the service runs, as typed functions over a connection (inside
//! the caller's transaction) or the pool. The schema, migrations and dialect are in `db`; what a
//! request means is in `service`, which holds no SQL.

use crate::db::{guard_violation, Backend, Db};
use siyu_core::Stock;
use siyu_sync::authority::push::{ArchiveRow, DecisionRow, StoredDecision};
use siyu_sync::authority::history::HistoryRow;
use siyu_sync::authority::pull::StoredChange;
use siyu_sync::authority::Guard;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A write that failed: a guard (a natural-key or CHECK constraint that says the change conflicts
/// with what is recorded), or the database itself.
#[derive(Debug)]
pub enum WriteError {
    Guard(String),
    Db(sqlx::Error),
}

impl From<sqlx::Error> for WriteError {
    fn from(e: sqlx::Error) -> Self {
        match guard_violation(&e) {
            Some(g) => WriteError::Guard(g),
            None => WriteError::Db(e),
        }
    }
}

/// A transaction that decides: on SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), so
/// two deciders never both read and then fail to upgrade.
pub async fn begin_write(db: &Db) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
    match db.backend {
        Backend::Sqlite => db.pool.begin_with("BEGIN IMMEDIATE").await,
        Backend::Postgres => db.pool.begin().await,
    }
}

/// A transaction that only reads one consistent snapshot (a pull).
pub async fn begin_read(db: &Db) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
    match db.backend {
        Backend::Sqlite => db.reads.begin().await,
        Backend::Postgres => db.reads.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await,
    }
}

// ---- program ------------------------------------------------------------------------------------

/// The stored program's version (0: none stored). On PostgreSQL the row is read `FOR SHARE`, so a
/// replacement waits for the decisions under way and they for it.
pub async fn program_version(conn: &mut AnyConnection, db: &Db) -> Result<i64, sqlx::Error> {
    let read = match db.backend {
        Backend::Sqlite => "SELECT version FROM program_version WHERE id = 1",
        Backend::Postgres => "SELECT version FROM program_version WHERE id = 1 FOR SHARE",
    };
    match sqlx::query(read).fetch_optional(&mut *conn).await? {
        Some(row) => row.try_get(0),
        None => Ok(0),
    }
}

pub async fn program_body(conn: &mut AnyConnection) -> Result<String, sqlx::Error> {
    sqlx::query("SELECT body FROM program WHERE id = 1").fetch_one(&mut *conn).await?.try_get(0)
}

// ---- clients ------------------------------------------------------------------------------------

/// The member a client id belongs to: the recorded one, or `member` if the client is new (the
/// first to register it wins a race: a second insert waits for the first to commit and then
/// reads its owner).
pub async fn claim_client(conn: &mut AnyConnection, db: &Db, client: &str, member: &str, now: i64) -> Result<String, sqlx::Error> {
    let read = db.sql("SELECT member_id FROM client_owners WHERE client_id = $1");
    if let Some(row) = sqlx::query(&read).bind(client).fetch_optional(&mut *conn).await? {
        return row.try_get(0);
    }
    sqlx::query(&db.sql("INSERT INTO client_owners (client_id, member_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (client_id) DO NOTHING"))
        .bind(client)
        .bind(member)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    let row: AnyRow = sqlx::query(&read).bind(client).fetch_one(&mut *conn).await?;
    row.try_get(0)
}

/// The member's client row, created with no mutation decided if missing.
pub async fn register_client(conn: &mut AnyConnection, db: &Db, member: &str, client: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(&db.sql("INSERT INTO clients (member_id, client_id, last_mutation_id, created_at) VALUES ($1, $2, 0, $3) ON CONFLICT (member_id, client_id) DO NOTHING"))
        .bind(member)
        .bind(client)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The last mutation id decided for the client; `None` when there is no such client.
async fn client_last(conn: &mut AnyConnection, db: &Db, member: &str, client: &str) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query(&db.sql("SELECT last_mutation_id FROM clients WHERE member_id = $1 AND client_id = $2"))
        .bind(member)
        .bind(client)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| r.try_get(0)).transpose()
}

/// The last mutation id decided for the client (0: none or no such client).
pub async fn last_mutation_id(db: &Db, member: &str, client: &str) -> Result<i64, sqlx::Error> {
    let mut conn = db.pool.acquire().await?;
    Ok(client_last(&mut conn, db, member, client).await?.unwrap_or(0))
}

/// The same, inside a transaction, for a client that exists.
pub async fn client_last_in(conn: &mut AnyConnection, db: &Db, member: &str, client: &str) -> Result<i64, sqlx::Error> {
    client_last(conn, db, member, client).await?.ok_or(sqlx::Error::RowNotFound)
}

pub async fn set_client_last(conn: &mut AnyConnection, db: &Db, member: &str, client: &str, last: i64) -> Result<(), sqlx::Error> {
    sqlx::query(&db.sql("UPDATE clients SET last_mutation_id = $3 WHERE member_id = $1 AND client_id = $2"))
        .bind(member)
        .bind(client)
        .bind(last)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

// ---- members ------------------------------------------------------------------------------------

pub async fn member_exists(conn: &mut AnyConnection, db: &Db, member: &str) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(&db.sql("SELECT 1 FROM members WHERE member_id = $1")).bind(member).fetch_optional(&mut *conn).await?.is_some())
}

/// A new member with `state` (JSON) at version 0; nothing if the member exists.
pub async fn insert_member(conn: &mut AnyConnection, db: &Db, member: &str, state: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(&db.sql(
        "INSERT INTO members (member_id, version, state_version, state, created_at, updated_at) VALUES ($1, 0, 0, $2, $3, $3)
         ON CONFLICT (member_id) DO NOTHING",
    ))
    .bind(member)
    .bind(state)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    insert_referral_code(conn, db, member).await
}

/// The member's referral code (§14), so that a friend's code finds them.
pub async fn insert_referral_code(conn: &mut AnyConnection, db: &Db, member: &str) -> Result<(), sqlx::Error> {
    sqlx::query(&db.sql("INSERT INTO referral_codes (code, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"))
        .bind(siyu_core::referral::code_of(member))
        .bind(member)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The member's version and state (JSON), if the member exists.
pub async fn member_row(db: &Db, member: &str) -> Result<Option<(i64, String)>, sqlx::Error> {
    let row = sqlx::query(&db.sql("SELECT version, state FROM members WHERE member_id = $1")).bind(member).fetch_optional(&db.reads).await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}

/// The member's `(version, state_version)`; with `lock`, the row is held until the transaction
/// ends (`FOR UPDATE` on PostgreSQL; SQLite's write transaction already excludes others).
pub async fn member_versions(conn: &mut AnyConnection, db: &Db, member: &str, lock: bool) -> Result<(i64, i64), sqlx::Error> {
    let read = match (db.backend, lock) {
        (Backend::Postgres, true) => "SELECT version, state_version FROM members WHERE member_id = $1 FOR UPDATE",
        _ => "SELECT version, state_version FROM members WHERE member_id = $1",
    };
    let row = sqlx::query(&db.sql(read)).bind(member).fetch_one(&mut *conn).await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// The member's state (JSON).
pub async fn member_state(conn: &mut AnyConnection, db: &Db, member: &str) -> Result<String, sqlx::Error> {
    sqlx::query(&db.sql("SELECT state FROM members WHERE member_id = $1")).bind(member).fetch_one(&mut *conn).await?.try_get(0)
}

/// After a decision: the new version, and the new state (JSON) when it changed.
pub async fn save_member(conn: &mut AnyConnection, db: &Db, member: &str, version: i64, state: Option<(i64, &str)>, now: i64) -> Result<(), sqlx::Error> {
    match state {
        Some((state_version, text)) => {
            sqlx::query(&db.sql("UPDATE members SET version = $2, state_version = $3, state = $4, updated_at = $5 WHERE member_id = $1"))
                .bind(member)
                .bind(version)
                .bind(state_version)
                .bind(text)
                .bind(now)
                .execute(&mut *conn)
                .await?
        }
        None => {
            sqlx::query(&db.sql("UPDATE members SET version = $2, updated_at = $3 WHERE member_id = $1"))
                .bind(member)
                .bind(version)
                .bind(now)
                .execute(&mut *conn)
                .await?
        }
    };
    Ok(())
}

// ---- mutations ----------------------------------------------------------------------------------

/// The client's decided mutations with ids in `lo..=hi` (for tests and tools).
pub async fn decided(db: &Db, member: &str, client: &str, lo: i64, hi: i64) -> Result<Vec<StoredDecision>, sqlx::Error> {
    let mut conn = db.pool.acquire().await?;
    decided_in(&mut conn, db, member, client, lo, hi).await
}

/// The client's decided mutations with ids in `lo..=hi`, inside the caller's transaction.
pub async fn decided_in(conn: &mut AnyConnection, db: &Db, member: &str, client: &str, lo: i64, hi: i64) -> Result<Vec<StoredDecision>, sqlx::Error> {
    let rows = sqlx::query(&db.sql(
        "SELECT mutation_id, name, args, outcome, client_time FROM mutations WHERE member_id = $1 AND client_id = $2 AND mutation_id >= $3 AND mutation_id <= $4",
    ))
    .bind(member)
    .bind(client)
    .bind(lo)
    .bind(hi)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let id: i64 = r.try_get(0)?;
            Ok(StoredDecision { id: id as u64, name: r.try_get(1)?, args: r.try_get(2)?, outcome: r.try_get(3)?, client_time: r.try_get(4)? })
        })
        .collect()
}

/// Records a decision the authority made (`seq` is the member's version after it), with the
/// version of the program that decided it.
pub async fn record(conn: &mut AnyConnection, db: &Db, member: &str, d: &DecisionRow, program_version: i64) -> Result<(), sqlx::Error> {
    sqlx::query(&db.sql(
        "INSERT INTO mutations (member_id, client_id, mutation_id, seq, name, args, client_time, decided_at, status, outcome, program_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    ))
    .bind(member)
    .bind(d.client_id.as_str())
    .bind(d.id as i64)
    .bind(d.seq as i64)
    .bind(d.name.as_str())
    .bind(d.args.as_str())
    .bind(d.client_time)
    .bind(d.decided_at)
    .bind(d.status)
    .bind(d.outcome.as_str())
    .bind(program_version)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The client's outcomes (JSON) decided after member version `after`, newest first, at most `limit`.
pub async fn outcomes_since(conn: &mut AnyConnection, db: &Db, member: &str, client: &str, after: i64, limit: usize) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let rows = sqlx::query(&db.sql(&format!(
        "SELECT mutation_id, outcome FROM mutations WHERE member_id = $1 AND client_id = $2 AND seq > $3 ORDER BY mutation_id DESC LIMIT {limit}"
    )))
    .bind(member)
    .bind(client)
    .bind(after)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

// ---- shared counters and guard rows -------------------------------------------------------------

pub async fn load_stock(conn: &mut AnyConnection, db: &Db) -> Result<Stock, sqlx::Error> {
    let rows = sqlx::query(&db.sql("SELECT counter, CAST(SUM(remaining) AS BIGINT) FROM stock_shards GROUP BY counter")).fetch_all(&mut *conn).await?;
    let mut stock = Stock::default();
    for r in rows {
        let counter: String = r.try_get(0)?;
        let remaining: i64 = r.try_get(1)?;
        stock.remaining.insert(counter, remaining.clamp(0, u32::MAX as i64) as u32);
    }
    Ok(stock)
}

/// A coupon taken by an order (locked or used): its key fires if another order has it.
async fn insert_coupon_use(conn: &mut AnyConnection, db: &Db, member: &str, coupon: &str, order_id: &str, at: i64) -> Result<(), sqlx::Error> {
    sqlx::query(&db.sql("INSERT INTO coupon_uses (member_id, coupon_id, order_id, used_at) VALUES ($1, $2, $3, $4)"))
        .bind(member)
        .bind(coupon)
        .bind(order_id)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The guard rows the authority lists for a decision (`siyu_sync::authority::guards` says what
/// each is); a unique key, a missing row or a CHECK that fires is a `WriteError::Guard`.
pub async fn write_guards(conn: &mut AnyConnection, db: &Db, member: &str, guards: &[Guard]) -> Result<(), WriteError> {
    for guard in guards {
        match guard {
            Guard::CheckIn { day, kind, at } => {
                sqlx::query(&db.sql("INSERT INTO check_ins (member_id, business_day, kind, at) VALUES ($1, $2, $3, $4)"))
                    .bind(member)
                    .bind(day.as_str())
                    .bind(kind.as_str())
                    .bind(*at)
                    .execute(&mut *conn)
                    .await?;
            }
            Guard::Lot { lot_id, points, earned_at } => {
                sqlx::query(&db.sql("INSERT INTO point_lots (member_id, lot_id, points, earned_at) VALUES ($1, $2, $3, $4)"))
                    .bind(member)
                    .bind(lot_id.as_str())
                    .bind(*points)
                    .bind(*earned_at)
                    .execute(&mut *conn)
                    .await?;
            }
            Guard::CouponIssued { coupon_id, template, source, issued_at } => {
                sqlx::query(&db.sql("INSERT INTO coupons (member_id, coupon_id, template, source, issued_at) VALUES ($1, $2, $3, $4, $5)"))
                    .bind(member)
                    .bind(coupon_id.as_str())
                    .bind(template.as_str())
                    .bind(source.as_str())
                    .bind(*issued_at)
                    .execute(&mut *conn)
                    .await?;
            }
            Guard::CouponLocked { coupon_id, order_id, at } => insert_coupon_use(conn, db, member, coupon_id, order_id, *at).await?,
            Guard::CouponUsed { coupon_id, order_id, at } => {
                // Locked by this very order (paid now), or used at once (a total of 0).
                let locked = sqlx::query(&db.sql("UPDATE coupon_uses SET used_at = $4 WHERE member_id = $1 AND coupon_id = $2 AND order_id = $3"))
                    .bind(member)
                    .bind(coupon_id.as_str())
                    .bind(order_id.as_str())
                    .bind(*at)
                    .execute(&mut *conn)
                    .await?;
                if locked.rows_affected() == 0 {
                    insert_coupon_use(conn, db, member, coupon_id, order_id, *at).await?;
                }
            }
            Guard::CouponReturned { coupon_id } => {
                sqlx::query(&db.sql("DELETE FROM coupon_uses WHERE member_id = $1 AND coupon_id = $2"))
                    .bind(member)
                    .bind(coupon_id.as_str())
                    .execute(&mut *conn)
                    .await?;
            }
            Guard::OrderPlaced { order_id, placed_at, total, paid, pay_by } => {
                sqlx::query(&db.sql("INSERT INTO orders (member_id, order_id, placed_at, total, paid) VALUES ($1, $2, $3, $4, $5)"))
                    .bind(member)
                    .bind(order_id.as_str())
                    .bind(*placed_at)
                    .bind(*total)
                    .bind(*paid)
                    .execute(&mut *conn)
                    .await?;
                if let Some(pay_by) = pay_by {
                    sqlx::query(&db.sql("INSERT INTO awaiting_payment (member_id, order_id, total, pay_by) VALUES ($1, $2, $3, $4)"))
                        .bind(member)
                        .bind(order_id.as_str())
                        .bind(*total)
                        .bind(*pay_by)
                        .execute(&mut *conn)
                        .await?;
                }
            }
            Guard::OrderCancelled { order_id, at } => {
                sqlx::query(&db.sql("INSERT INTO cancelled_orders (member_id, order_id, at) VALUES ($1, $2, $3)"))
                    .bind(member)
                    .bind(order_id.as_str())
                    .bind(*at)
                    .execute(&mut *conn)
                    .await?;
            }
            // Paid or cancelled once: the row of an order awaiting payment leaves exactly once
            // (two servers deciding the same order: the second fires this guard).
            Guard::OrderSettled { order_id } => {
                let done = sqlx::query(&db.sql("DELETE FROM awaiting_payment WHERE member_id = $1 AND order_id = $2"))
                    .bind(member)
                    .bind(order_id.as_str())
                    .execute(&mut *conn)
                    .await?;
                if done.rows_affected() != 1 {
                    return Err(WriteError::Guard(guard.name().into()));
                }
            }
            Guard::OrderRefunded { order_id, at } => {
                let done = sqlx::query(&db.sql("UPDATE orders SET refunded_at = $3 WHERE member_id = $1 AND order_id = $2 AND refunded_at IS NULL"))
                    .bind(member)
                    .bind(order_id.as_str())
                    .bind(*at)
                    .execute(&mut *conn)
                    .await?;
                if done.rows_affected() != 1 {
                    return Err(WriteError::Guard(guard.name().into()));
                }
            }
        }
    }
    Ok(())
}

/// The shared counters' changes, in key order (a `BTreeMap`'s), so two transactions waiting for
/// the same counters wait in the same order. A counter that would go below zero fires its guard;
/// one that does not exist (dropped from the program) is unlimited.
pub async fn write_counters(conn: &mut AnyConnection, db: &Db, deltas: &std::collections::BTreeMap<String, i64>) -> Result<(), WriteError> {
    for (counter, delta) in deltas.iter().filter(|(_, d)| **d != 0) {
        change_counter(conn, db, counter, *delta).await?;
    }
    Ok(())
}

/// The guard a counter fires when it cannot give what a decision takes (the shards' CHECK).
const COUNTER_GUARD: &str = "stock_remaining";

/// Add `delta` to one counter. First to the lowest shard that can take it and that no other
/// transaction holds (`SKIP LOCKED` on PostgreSQL): a shard's row stays locked until its
/// decision commits, so this is what lets decisions on the same counter commit side by side.
/// When none is free (more decisions at once than shards) or none holds enough (the count is
/// nearly gone), wait for all of the counter's shards, in shard order, and take the units from as
/// many as it needs: exact however the count is split. (Waiting for one shard instead, chosen at
/// random, spreads the waiters but deadlocks with this path: a shard whose count changed while a
/// statement waited stays locked by it.)
async fn change_counter(conn: &mut AnyConnection, db: &Db, counter: &str, delta: i64) -> Result<(), WriteError> {
    // Row locks are PostgreSQL's; SQLite's one writer already excludes every other decision.
    let (skip_locked, lock) = match db.backend {
        Backend::Postgres => (" FOR UPDATE SKIP LOCKED", " FOR UPDATE"),
        Backend::Sqlite => ("", ""),
    };
    let free = format!(
        "UPDATE stock_shards SET remaining = remaining + $2 WHERE counter = $1 AND shard = \
         (SELECT shard FROM stock_shards WHERE counter = $1 AND remaining + $2 >= 0 ORDER BY shard LIMIT 1{skip_locked})"
    );
    if sqlx::query(&db.sql(&free)).bind(counter).bind(delta).execute(&mut *conn).await?.rows_affected() == 1 {
        return Ok(());
    }
    let all = format!("SELECT shard, remaining FROM stock_shards WHERE counter = $1 ORDER BY shard{lock}");
    let mut shards = Vec::new();
    for row in sqlx::query(&db.sql(&all)).bind(counter).fetch_all(&mut *conn).await? {
        shards.push((row.try_get::<i64, _>(0)?, row.try_get::<i64, _>(1)?));
    }
    let total = shards.iter().try_fold(0i64, |sum, (_, remaining)| sum.checked_add(*remaining));
    let mut left = match total {
        None => return Err(WriteError::Db(sqlx::Error::Protocol(format!("counter {counter} overflows")))),
        Some(_) if shards.is_empty() => return Ok(()),
        Some(total) if total.checked_add(delta).is_none_or(|after| after < 0) => return Err(WriteError::Guard(COUNTER_GUARD.into())),
        Some(_) => delta,
    };
    for (shard, remaining) in shards {
        // A return goes to the first shard; a take empties shards in order until it is whole.
        let change = if left > 0 { left } else { left.max(-remaining) };
        if change != 0 {
            sqlx::query(&db.sql("UPDATE stock_shards SET remaining = remaining + $3 WHERE counter = $1 AND shard = $2"))
                .bind(counter)
                .bind(shard)
                .bind(change)
                .execute(&mut *conn)
                .await?;
            left -= change;
        }
        if left == 0 {
            break;
        }
    }
    Ok(())
}

// ---- payment ------------------------------------------------------------------------------------

/// Orders whose payment window ended at or before `now`, soonest first, at most `limit`.
pub async fn expired_orders(db: &Db, now: i64, limit: i64) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows = sqlx::query(&db.sql("SELECT member_id, order_id FROM awaiting_payment WHERE pay_by <= $1 ORDER BY pay_by, member_id, order_id LIMIT $2"))
        .bind(now)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// The member and total of an order awaiting payment.
pub async fn awaiting_order(db: &Db, member: &str, order_id: &str) -> Result<Option<(i64, i64)>, sqlx::Error> {
    let row = sqlx::query(&db.sql("SELECT total, pay_by FROM awaiting_payment WHERE member_id = $1 AND order_id = $2"))
        .bind(member)
        .bind(order_id)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}

/// The provider's reference of a member's order (written when its payment starts).
pub async fn record_provider_order(db: &Db, reference: &str, member: &str, order_id: &str, total: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(&db.sql("INSERT INTO provider_orders (reference, member_id, order_id, total, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (reference) DO NOTHING"))
        .bind(reference)
        .bind(member)
        .bind(order_id)
        .bind(total)
        .bind(now)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The member and order a provider's reference names.
pub async fn provider_order(db: &Db, reference: &str) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query(&db.sql("SELECT member_id, order_id FROM provider_orders WHERE reference = $1")).bind(reference).fetch_optional(&db.reads).await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}

/// Records a payment result that was not applied (once per transaction).
pub async fn report_payment(db: &Db, member: &str, order_id: &str, transaction_id: &str, amount: i64, code: &str, at: i64) -> Result<(), sqlx::Error> {
    sqlx::query(&db.sql(
        "INSERT INTO payment_reports (member_id, order_id, transaction_id, amount, code, at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (member_id, order_id, transaction_id) DO NOTHING",
    ))
    .bind(member)
    .bind(order_id)
    .bind(transaction_id)
    .bind(amount)
    .bind(code)
    .bind(at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The unapplied payment results of an order: (transaction, amount, code).
pub async fn payment_reports(db: &Db, member: &str, order_id: &str) -> Result<Vec<(String, i64, String)>, sqlx::Error> {
    let rows = sqlx::query(&db.sql("SELECT transaction_id, amount, code FROM payment_reports WHERE member_id = $1 AND order_id = $2 ORDER BY at"))
        .bind(member)
        .bind(order_id)
        .fetch_all(&db.reads)
        .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
}

// ---- archive ------------------------------------------------------------------------------------

pub use siyu_sync::authority::history::ArchiveKind;

/// Appends what compaction moved (the authority's rows, of any kinds) after the member's last
/// item of each kind, in the order given.
pub async fn append_archive(conn: &mut AnyConnection, db: &Db, member: &str, rows: &[ArchiveRow]) -> Result<(), sqlx::Error> {
    let mut next: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    for row in rows {
        let seq = match next.get(row.kind) {
            Some(seq) => *seq,
            None => {
                let last: Option<i64> = sqlx::query(&db.sql("SELECT MAX(seq) FROM archive WHERE member_id = $1 AND kind = $2"))
                    .bind(member)
                    .bind(row.kind)
                    .fetch_one(&mut *conn)
                    .await?
                    .try_get(0)?;
                last.map_or(0, |s| s + 1)
            }
        };
        sqlx::query(&db.sql("INSERT INTO archive (member_id, kind, seq, at, body) VALUES ($1, $2, $3, $4, $5)"))
            .bind(member)
            .bind(row.kind)
            .bind(seq)
            .bind(row.at)
            .bind(row.body.as_str())
            .execute(&mut *conn)
            .await?;
        next.insert(row.kind, seq + 1);
    }
    Ok(())
}

/// Up to `limit` archived items of one kind with `seq` below `before` (all when None), newest
/// first, with their `seq`.
pub async fn archive_page(db: &Db, member: &str, kind: &str, before: Option<i64>, limit: i64) -> Result<Vec<HistoryRow>, sqlx::Error> {
    let rows = sqlx::query(&db.sql(
        "SELECT seq, body FROM archive WHERE member_id = $1 AND kind = $2 AND seq < $3 ORDER BY seq DESC LIMIT $4",
    ))
    .bind(member)
    .bind(kind)
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(&db.reads)
    .await?;
    rows.iter().map(|r| Ok(HistoryRow { seq: r.try_get(0)?, body: r.try_get(1)? })).collect()
}

/// Archived items of one kind with `at` in `from..=to`, oldest first.
pub async fn archive_between(db: &Db, member: &str, kind: &str, from: i64, to: i64) -> Result<Vec<HistoryRow>, sqlx::Error> {
    let rows = sqlx::query(&db.sql("SELECT seq, body FROM archive WHERE member_id = $1 AND kind = $2 AND at >= $3 AND at <= $4 ORDER BY at, seq"))
        .bind(member)
        .bind(kind)
        .bind(from)
        .bind(to)
        .fetch_all(&db.reads)
        .await?;
    rows.iter().map(|r| Ok(HistoryRow { seq: r.try_get(0)?, body: r.try_get(1)? })).collect()
}

/// How many items of each kind the member's archive holds.
pub async fn archive_counts(db: &Db, member: &str) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = sqlx::query(&db.sql("SELECT kind, COUNT(*) FROM archive WHERE member_id = $1 GROUP BY kind")).bind(member).fetch_all(&db.reads).await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// What the order guard table says of an order id: None when the member never placed it, else
/// whether it was refunded.
pub async fn archived_order(conn: &mut AnyConnection, db: &Db, member: &str, order_id: &str) -> Result<Option<siyu_core::ArchivedOrder>, sqlx::Error> {
    let row = sqlx::query(&db.sql(
        "SELECT o.refunded_at, c.at FROM orders o LEFT JOIN cancelled_orders c ON c.member_id = o.member_id AND c.order_id = o.order_id WHERE o.member_id = $1 AND o.order_id = $2",
    ))
    .bind(member)
    .bind(order_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(siyu_core::ArchivedOrder { refunded: r.try_get::<Option<i64>, _>(0)?.is_some(), cancelled: r.try_get::<Option<i64>, _>(1)?.is_some() })
    })
    .transpose()
}

// ---- patches ------------------------------------------------------------------------------------

/// Records that the member's state was compacted at `at`, after the decision numbered `seq`.
pub async fn record_compaction(conn: &mut AnyConnection, db: &Db, member: &str, seq: i64, at: i64) -> Result<(), sqlx::Error> {
    sqlx::query(&db.sql("INSERT INTO compactions (member_id, seq, at) VALUES ($1, $2, $3)")).bind(member).bind(seq).bind(at).execute(&mut *conn).await?;
    Ok(())
}

/// What changed the member's state after decision `after`: each applied decision (whose
/// mutation, its name and arguments as stored, when decided) and each compaction's time, at most
/// `limit` of each.
pub async fn changes_since(conn: &mut AnyConnection, db: &Db, member: &str, after: i64, limit: i64) -> Result<Vec<StoredChange>, sqlx::Error> {
    let decided = sqlx::query(&db.sql(
        "SELECT seq, client_id, mutation_id, name, args, decided_at, outcome FROM mutations WHERE member_id = $1 AND seq > $2 AND status = 'applied' ORDER BY seq LIMIT $3",
    ))
        .bind(member)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    let compacted = sqlx::query(&db.sql("SELECT seq, at FROM compactions WHERE member_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"))
        .bind(member)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    let mut changes = Vec::with_capacity(decided.len() + compacted.len());
    for r in &decided {
        let (seq, id): (i64, i64) = (r.try_get(0)?, r.try_get(2)?);
        changes.push(StoredChange::Decided {
            seq: seq as u64,
            client_id: r.try_get(1)?,
            id: id as u64,
            name: r.try_get(3)?,
            args: r.try_get(4)?,
            at: r.try_get(5)?,
            outcome: r.try_get(6)?,
        });
    }
    for r in &compacted {
        let seq: i64 = r.try_get(0)?;
        changes.push(StoredChange::Compacted { seq: seq as u64, at: r.try_get(1)? });
    }
    Ok(changes)
}
