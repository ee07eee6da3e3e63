//! Events out (docs/events.md): what a decision did, told to the merchant's own backend.
//!
//! Every applied decision — the member's own and the store's — writes its events to an outbox
//! (`events`, one row per event, and `event_deliveries`, one row per event and webhook URL) in
//! the decision's transaction, so an event exists exactly when its decision does. A worker per
//! server posts each delivery, signed (HMAC-SHA256 over `<timestamp>.<body>`, the timestamp in
//! `Siyu-Timestamp`), and deletes it once the receiver answers 2xx: at least once. A failure is
//! retried with a doubling backoff (1 s to 5 min) and holds back the member's later events, so
//! each member's events arrive in the order they were decided; other members go on. Each event
//! carries an id derived from its decision (`<member>/<seq>/<n>`) for de-duplication.

use crate::db::Db;
use crate::error::ApiError;
use crate::service::Service;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use siyu_sync::authority::events::{envelope, Event};
use sqlx::{AnyConnection, Row};
use std::collections::HashSet;
use std::time::Duration;

/// Where events go and the secret they are signed with (`SIYU_WEBHOOK_URLS`,
/// `SIYU_WEBHOOK_SECRET`).
#[derive(Clone, Debug)]
pub struct Webhooks {
    pub urls: Vec<String>,
    pub secret: Vec<u8>,
}

/// Deliveries read per round and URL.
const DELIVERY_BATCH: i64 = 200;
/// The longest wait between two tries of one delivery.
const MAX_BACKOFF_MS: i64 = 300_000;

async fn insert_event(conn: &mut AnyConnection, db: &Db, webhooks: &Webhooks, event: (&str, &str, i64, i64, &str, &str, i64)) -> Result<bool, sqlx::Error> {
    let (id, member, seq, n, kind, body, at) = event;
    // An event is written once (a sweep that runs again finds it there).
    let written = sqlx::query(&db.sql(
        "INSERT INTO events (event_id, member_id, seq, n, event_type, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING",
    ))
    .bind(id)
    .bind(member)
    .bind(seq)
    .bind(n)
    .bind(kind)
    .bind(body)
    .bind(at)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if written {
        for url in &webhooks.urls {
            sqlx::query(&db.sql(
                "INSERT INTO event_deliveries (url, event_id, member_id, seq, n, created_at, attempts, next_at) VALUES ($1, $2, $3, $4, $5, $6, 0, 0)",
            ))
            .bind(url)
            .bind(id)
            .bind(member)
            .bind(seq)
            .bind(n)
            // Deliveries go out in the order they were written (the real clock, which the
            // member's lock orders): the business clock can be moved back by QA.
            .bind(crate::clock::system_now_ms())
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(written)
}

/// In the decision's transaction: the events the authority made (`siyu_sync::authority::events`)
/// with a delivery for each webhook URL, and the instants at which credited lots expire (the
/// sweep tells `points.expired` when they do).
pub async fn record(conn: &mut AnyConnection, db: &Db, webhooks: &Webhooks, member: &str, events: &[Event], lot_expiries: &[i64]) -> Result<(), sqlx::Error> {
    for e in events {
        insert_event(conn, db, webhooks, (&e.id, member, e.seq as i64, e.n as i64, e.kind, &e.body, e.at)).await?;
    }
    for expires_at in lot_expiries {
        sqlx::query(&db.sql("INSERT INTO lot_expiries (member_id, expires_at) VALUES ($1, $2) ON CONFLICT (member_id, expires_at) DO NOTHING"))
            .bind(member)
            .bind(*expires_at)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// `Siyu-Signature`: `sha256=` and the hex HMAC-SHA256 of `<timestamp>.<body>`.
pub fn signature(secret: &[u8], timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// The wait before try `attempts + 1`: 1 s doubling to 5 min.
pub fn backoff_ms(attempts: i64) -> i64 {
    1000_i64.saturating_mul(1_i64 << attempts.clamp(0, 20)).min(MAX_BACKOFF_MS)
}

impl Service {
    /// One round of deliveries to every webhook URL; returns how many were delivered. Due
    /// deliveries go out in decision order per member; a failure waits its backoff and holds
    /// back that member's later events this round.
    pub async fn deliver_events(&self) -> Result<usize, ApiError> {
        let Some(webhooks) = self.config.webhooks.clone() else { return Ok(0) };
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(10))).build().into();
        let mut delivered = 0;
        for url in &webhooks.urls {
            let rows = sqlx::query(&self.db.sql(
                "SELECT d.event_id, d.member_id, d.attempts, d.next_at, e.body FROM event_deliveries d JOIN events e ON e.event_id = d.event_id
                 WHERE d.url = $1 ORDER BY d.created_at, d.member_id, d.seq, d.n LIMIT $2",
            ))
            .bind(url)
            .bind(DELIVERY_BATCH)
            .fetch_all(&self.db.pool)
            .await?;
            let mut held: HashSet<String> = HashSet::new();
            for row in rows {
                let id: String = row.try_get("event_id")?;
                let member: String = row.try_get("member_id")?;
                let attempts: i64 = row.try_get("attempts")?;
                let next_at: i64 = row.try_get("next_at")?;
                let body: String = row.try_get("body")?;
                let now = crate::clock::system_now_ms();
                if held.contains(&member) || next_at > now {
                    held.insert(member);
                    continue;
                }
                let (agent, target, secret, event) = (agent.clone(), url.clone(), webhooks.secret.clone(), id.clone());
                let sent = tokio::task::spawn_blocking(move || {
                    let timestamp = crate::clock::system_now_ms();
                    agent
                        .post(&target)
                        .header("Content-Type", "application/json")
                        .header("Siyu-Event-Id", &event)
                        .header("Siyu-Timestamp", timestamp.to_string())
                        .header("Siyu-Signature", signature(&secret, timestamp, &body))
                        .send(body.as_str())
                        .map(|r| r.status().as_u16())
                        .map_err(|e| e.to_string())
                })
                .await
                .map_err(|e| ApiError::internal(e.to_string()))?;
                match sent {
                    Ok(status) if (200..300).contains(&status) => {
                        sqlx::query(&self.db.sql("DELETE FROM event_deliveries WHERE url = $1 AND event_id = $2")).bind(url).bind(&id).execute(&self.db.pool).await?;
                        delivered += 1;
                    }
                    failed => {
                        tracing::warn!(url, event = id, attempts = attempts + 1, answer = ?failed, "event not delivered; retried with backoff");
                        sqlx::query(&self.db.sql("UPDATE event_deliveries SET attempts = $1, next_at = $2 WHERE url = $3 AND event_id = $4"))
                            .bind(attempts + 1)
                            .bind(now + backoff_ms(attempts))
                            .bind(url)
                            .bind(&id)
                            .execute(&self.db.pool)
                            .await?;
                        held.insert(member);
                    }
                }
            }
        }
        Ok(delivered)
    }

    /// The member's events (the newest 1,000), oldest first, as their bodies.
    pub async fn member_events(&self, member: &str) -> Result<Vec<Value>, ApiError> {
        let rows = sqlx::query(&self.db.sql("SELECT body FROM events WHERE member_id = $1 ORDER BY seq DESC, n DESC LIMIT 1000")).bind(member).fetch_all(&self.db.pool).await?;
        let mut events = Vec::with_capacity(rows.len());
        for row in rows.iter().rev() {
            let body: String = row.try_get("body")?;
            events.push(serde_json::from_str(&body).map_err(|e| ApiError::internal(e.to_string()))?);
        }
        Ok(events)
    }

    /// `points.expired` for every instant at which some of a member's points expired (at the
    /// business clock): an expiry is no decision, so the sweep writes it, once per member and
    /// instant (id `<member>/expired/<instant>`), with the points the lots still held.
    pub async fn sweep_expired_points(&self) -> Result<usize, ApiError> {
        let Some(webhooks) = self.config.webhooks.clone() else { return Ok(0) };
        let now = self.now();
        let due = sqlx::query(&self.db.sql("SELECT member_id, expires_at FROM lot_expiries WHERE expires_at <= $1 ORDER BY expires_at LIMIT 500"))
            .bind(now)
            .fetch_all(&self.db.pool)
            .await?;
        let mut told = 0;
        for row in due {
            let member: String = row.try_get("member_id")?;
            let expires_at: i64 = row.try_get("expires_at")?;
            let Some((version, state)) = self.member_state(&member).await? else { continue };
            let expired: Vec<&siyu_core::state::PointLot> = state.lots.iter().filter(|l| l.remaining > 0 && l.expires_at == Some(expires_at)).collect();
            let points: i64 = expired.iter().map(|l| l.remaining).sum();
            let lots: Vec<Value> = expired.iter().map(|l| json!({ "lot": l.id, "points": l.remaining, "source": l.source })).collect();
            let mut tx = self.db.pool.begin().await?;
            if points > 0 {
                let id = format!("{member}/expired/{expires_at}");
                let data = json!({ "points": points, "expiredAt": expires_at, "lots": lots });
                let body = envelope(&id, "points.expired", &member, version as u64, expires_at, data);
                if insert_event(&mut tx, &self.db, &webhooks, (&id, &member, version, i64::MAX, "points.expired", &body, expires_at)).await? {
                    told += 1;
                }
            }
            sqlx::query(&self.db.sql("DELETE FROM lot_expiries WHERE member_id = $1 AND expires_at = $2")).bind(&member).bind(expires_at).execute(&mut *tx).await?;
            tx.commit().await?;
        }
        if told > 0 {
            self.events_wake.notify_one();
        }
        Ok(told)
    }

    /// Deliveries still to make to this server's webhook URLs.
    pub async fn undelivered_events(&self) -> Result<i64, ApiError> {
        let mut total = 0;
        for url in self.config.webhooks.iter().flat_map(|w| w.urls.iter()) {
            let row = sqlx::query(&self.db.sql("SELECT COUNT(*) AS n FROM event_deliveries WHERE url = $1")).bind(url).fetch_one(&self.db.pool).await?;
            total += row.try_get::<i64, _>("n")?;
        }
        Ok(total)
    }
}
