//! The store's operator (rulebook §15), on the admin API: points granted or deducted with a
//! reason, a coupon issued to a member or revoked, and segment campaigns — a coupon for every
//! member of a segment, once per campaign id and member.
//!
//! Every change is a mutation of the store's own client decided by `siyu_core::apply` on the
//! member's state (`Service::decide_for_store`), stored and archived like the member's own and
//! delivered by the next pull. A campaign is a job over the members in id order, one decision
//! (one short transaction) per member and its cursor saved after each batch, so it never holds
//! the database for the whole run, resumes where it stopped (after a restart, from the sweep) and
//! can be started again at will: the engine refuses a second coupon of a campaign the member's
//! state holds, and the `coupons_once_per_campaign` index one the archive holds.

use crate::error::ApiError;
use crate::service::Service;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use siyu_core::Mutation;
use siyu_sync::StoredOutcome;
use sqlx::Row;

/// Members a campaign decides per batch before it saves its cursor.
pub const CAMPAIGN_BATCH: i64 = 100;

/// `POST /api/admin/campaigns`: a coupon of `template` for every member in `segment`, once each.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CampaignRequest {
    pub id: String,
    pub template: String,
    pub segment: String,
}

/// A campaign's progress: `issued` counts the coupons it gave (read from the coupons issued,
/// so a restarted run never counts one twice), `seen` the members decided so far.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Campaign {
    pub id: String,
    pub template: String,
    pub segment: String,
    pub seen: i64,
    pub issued: i64,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

/// A store change's reply: the effects it had, or why it does not apply (the engine's code and
/// details: 422 for an argument out of range, else 409).
pub fn outcome_reply(outcome: StoredOutcome) -> Result<Value, ApiError> {
    match outcome {
        StoredOutcome::Applied { effects, .. } => Ok(json!({ "applied": true, "effects": effects })),
        StoredOutcome::Rejected { error } => {
            let code = siyu_core::error::ALL_CODES.iter().copied().find(|c| *c == error.code).unwrap_or("CONFLICT");
            let status = if code == "INVALID_INPUT" { 422 } else { 409 };
            Err(ApiError::new(status, code, error.message).with_details(error.details))
        }
    }
}

impl Service {
    /// An operator's change on one member, who must exist (404 `MEMBER_NOT_FOUND`).
    pub async fn operator_change(&self, member: &str, mutation: Mutation) -> Result<Value, ApiError> {
        if self.member_state(member).await?.is_none() {
            return Err(ApiError::new(404, "MEMBER_NOT_FOUND", format!("no member {member:?}")).with_details(json!({ "memberId": member })));
        }
        let outcome = self.decide_for_store(member, mutation).await?;
        tracing::info!(member, applied = matches!(outcome, StoredOutcome::Applied { .. }), "operator change decided");
        outcome_reply(outcome)
    }

    /// Record a campaign (or find it again) and say how far it got; `run_campaign` runs it.
    /// The same id with another template or segment is refused 409 `CAMPAIGN_CONFLICT`.
    pub async fn start_campaign(&self, req: &CampaignRequest) -> Result<Campaign, ApiError> {
        // The engine checks the id, template and segment for every member; check them once
        // here so a typo is a 400/422 and not a campaign that issues nothing.
        if let Err(e) = siyu_core::operator::issue_coupon(&self.program(), &siyu_core::MemberState::default(), &req.template, Some(&req.id), Some(&req.segment), &self.probe_ctx()) {
            if e.code() != "NOT_IN_SEGMENT" {
                return Err(ApiError::new(422, e.code(), e.message()).with_details(e.details()));
            }
        }
        let now = self.now();
        sqlx::query(&self.db.sql(
            "INSERT INTO campaigns (campaign_id, template, segment, cursor, seen, started_at) VALUES ($1, $2, $3, '', 0, $4) ON CONFLICT (campaign_id) DO NOTHING",
        ))
        .bind(&req.id)
        .bind(&req.template)
        .bind(&req.segment)
        .bind(now)
        .execute(&self.db.pool)
        .await?;
        let campaign = self.campaign(&req.id).await?.ok_or_else(|| ApiError::internal("the campaign was not recorded"))?;
        if campaign.template != req.template || campaign.segment != req.segment {
            return Err(ApiError::new(409, "CAMPAIGN_CONFLICT", format!("campaign {:?} was started with another template or segment", req.id))
                .with_details(json!({ "id": req.id, "template": campaign.template, "segment": campaign.segment })));
        }
        Ok(campaign)
    }

    fn probe_ctx(&self) -> siyu_core::Ctx<'static> {
        static NO_STOCK: std::sync::OnceLock<siyu_core::Stock> = std::sync::OnceLock::new();
        siyu_core::Ctx { now: self.now(), client_id: siyu_core::apply::STORE_CLIENT, mutation_id: 0, stock: NO_STOCK.get_or_init(siyu_core::Stock::default), archived_order: None, referral_code: None }
    }

    /// Run a campaign from its cursor to the last member, a batch at a time.
    pub async fn run_campaign(&self, id: &str) -> Result<Campaign, ApiError> {
        loop {
            let Some(campaign) = self.campaign(id).await? else {
                return Err(ApiError::not_found(format!("no campaign {id:?}")));
            };
            if campaign.finished_at.is_some() {
                return Ok(campaign);
            }
            let cursor: String = sqlx::query(&self.db.sql("SELECT cursor FROM campaigns WHERE campaign_id = $1")).bind(id).fetch_one(&self.db.pool).await?.try_get(0)?;
            let members: Vec<String> = sqlx::query(&self.db.sql("SELECT member_id FROM members WHERE member_id > $1 ORDER BY member_id LIMIT $2"))
                .bind(&cursor)
                .bind(CAMPAIGN_BATCH)
                .fetch_all(&self.db.pool)
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>(0))
                .collect::<Result<_, _>>()?;
            let Some(last) = members.last().cloned() else {
                sqlx::query(&self.db.sql("UPDATE campaigns SET finished_at = $2 WHERE campaign_id = $1 AND finished_at IS NULL")).bind(id).bind(self.now()).execute(&self.db.pool).await?;
                continue;
            };
            for member in &members {
                let mutation = Mutation::IssueCoupon { template: campaign.template.clone(), campaign: Some(id.to_string()), segment: Some(campaign.segment.clone()) };
                match self.decide_for_store(member, mutation).await? {
                    StoredOutcome::Applied { .. } => tracing::debug!(campaign = id, member, "campaign coupon issued"),
                    StoredOutcome::Rejected { error } => tracing::debug!(campaign = id, member, code = %error.code, "campaign skips the member"),
                }
            }
            // Another server running the same campaign may have moved further: never back.
            sqlx::query(&self.db.sql("UPDATE campaigns SET cursor = $2, seen = seen + $3 WHERE campaign_id = $1 AND cursor < $2"))
                .bind(id)
                .bind(&last)
                .bind(members.len() as i64)
                .execute(&self.db.pool)
                .await?;
        }
    }

    /// Campaigns a restart interrupted: run on by the sweep.
    pub async fn resume_campaigns(&self) -> Result<usize, ApiError> {
        let ids: Vec<String> = sqlx::query(&self.db.sql("SELECT campaign_id FROM campaigns WHERE finished_at IS NULL ORDER BY campaign_id"))
            .fetch_all(&self.db.pool)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<_, _>>()?;
        for id in &ids {
            self.run_campaign(id).await?;
        }
        Ok(ids.len())
    }

    pub async fn campaign(&self, id: &str) -> Result<Option<Campaign>, ApiError> {
        let row = sqlx::query(&self.db.sql("SELECT template, segment, seen, started_at, finished_at FROM campaigns WHERE campaign_id = $1"))
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let issued: i64 = sqlx::query(&self.db.sql("SELECT COUNT(*) FROM coupons WHERE source = $1"))
            .bind(siyu_core::operator::campaign_source(id))
            .fetch_one(&self.db.pool)
            .await?
            .try_get(0)?;
        Ok(Some(Campaign {
            id: id.to_string(),
            template: row.try_get(0)?,
            segment: row.try_get(1)?,
            seen: row.try_get(2)?,
            issued,
            started_at: row.try_get(3)?,
            finished_at: row.try_get(4)?,
        }))
    }
}
