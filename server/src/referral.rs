//! Referral (rulebook §14) on the server: what the engine is told of a code a member accepts,
//! and the referrer's side of the friend's decisions.
//!
//! A friend's decision that concerns the referrer (the code accepted, the first paid order, its
//! refund) writes, in the same transaction, a task: the store's change to make on the
//! referrer's state (`referralJoined`, `rewardReferral`, `cancelReferralReward`). Tasks are
//! drained in the order they were decided, each as a store change of the referrer decided by
//! `apply` like any other and delivered by the referrer's next pull. A task is deleted after its
//! decision, so a crash in between decides it again: the engine refuses a change made twice
//! (`REFERRAL_FRIEND_SETTLED`), and nothing is given twice.

use crate::db::Db;
use crate::error::ApiError;
use crate::service::Service;
use siyu_core::referral::{code_of, CodeLookup};
use siyu_core::Mutation;
use siyu_sync::authority::Writes;
use siyu_sync::StoredOutcome;
use sqlx::{AnyConnection, Row};

/// Tasks read per round of the drain.
const TASK_BATCH: i64 = 100;

/// What the server knows of `code`, accepted by `member`: whose it is, and whether its owner was
/// referred by `member` (a loop).
pub async fn lookup(conn: &mut AnyConnection, db: &Db, member: &str, code: &str) -> Result<CodeLookup, sqlx::Error> {
    let row = sqlx::query(&db.sql("SELECT referred_by FROM referral_codes WHERE code = $1")).bind(code).fetch_optional(&mut *conn).await?;
    Ok(match row {
        None => CodeLookup { known: false, owner_referred_by_member: false },
        Some(row) => {
            let by: Option<String> = row.try_get("referred_by")?;
            CodeLookup { known: true, owner_referred_by_member: by.as_deref() == Some(code_of(member).as_str()) }
        }
    })
}

/// In the transaction of `member`'s decisions: the code it accepted (whose friend it now is, for
/// the loop check of later codes) and the referrer's tasks the authority made of them.
pub async fn record(conn: &mut AnyConnection, db: &Db, member: &str, writes: &Writes) -> Result<(), sqlx::Error> {
    if let Some(code) = &writes.referral_accepted {
        sqlx::query(&db.sql("UPDATE referral_codes SET referred_by = $1 WHERE member_id = $2")).bind(code.as_str()).bind(member).execute(&mut *conn).await?;
    }
    for task in &writes.referral_tasks {
        sqlx::query(&db.sql("INSERT INTO referral_tasks (task_id, referrer_code, mutation, created_at, seq) VALUES ($1, $2, $3, $4, $5)"))
            .bind(task.task_id.as_str())
            .bind(task.referrer_code.as_str())
            .bind(task.mutation.as_str())
            // Drained in the order written (the real clock; the business one can be moved back).
            .bind(crate::clock::system_now_ms())
            .bind(task.seq as i64)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

impl Service {
    /// Decide every waiting referral task on its referrer's state, oldest first; returns how
    /// many were decided. Safe to run on several servers at once.
    pub async fn run_referral_tasks(&self) -> Result<usize, ApiError> {
        let mut done = 0;
        loop {
            let rows = sqlx::query(&self.db.sql(
                "SELECT t.task_id, t.mutation, c.member_id FROM referral_tasks t LEFT JOIN referral_codes c ON c.code = t.referrer_code
                 ORDER BY t.created_at, t.seq, t.task_id LIMIT $1",
            ))
            .bind(TASK_BATCH)
            .fetch_all(&self.db.pool)
            .await?;
            if rows.is_empty() {
                return Ok(done);
            }
            for row in rows {
                let task: String = row.try_get("task_id")?;
                let text: String = row.try_get("mutation")?;
                let referrer: Option<String> = row.try_get("member_id")?;
                match (referrer, serde_json::from_str::<Mutation>(&text)) {
                    (Some(referrer), Ok(mutation)) => match self.decide_for_store(&referrer, mutation).await? {
                        StoredOutcome::Applied { .. } => tracing::info!(referrer, task, "referral change applied"),
                        StoredOutcome::Rejected { error } => tracing::info!(referrer, task, code = %error.code, "referral change does not apply"),
                    },
                    (None, _) => tracing::warn!(task, "referral task names no known member; dropped"),
                    (_, Err(e)) => tracing::warn!(task, error = %e, "referral task cannot be read; dropped"),
                }
                sqlx::query(&self.db.sql("DELETE FROM referral_tasks WHERE task_id = $1")).bind(&task).execute(&self.db.pool).await?;
                done += 1;
            }
        }
    }

    /// Give every member created before referral codes existed their code.
    pub async fn backfill_referral_codes(&self) -> Result<usize, ApiError> {
        let rows = sqlx::query("SELECT m.member_id FROM members m LEFT JOIN referral_codes c ON c.member_id = m.member_id WHERE c.member_id IS NULL")
            .fetch_all(&self.db.pool)
            .await?;
        let mut conn = self.db.pool.acquire().await?;
        for row in &rows {
            let member: String = row.try_get("member_id")?;
            crate::store::insert_referral_code(&mut conn, &self.db, &member).await?;
        }
        Ok(rows.len())
    }
}
