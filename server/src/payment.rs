//! Payment (rulebook §8) and the store's own changes on a member's state (§15).
//!
//! The store decides a payment result or an expired order the way a device's change is decided:
//! as a mutation of the store's client (`STORE_CLIENT`) for that member, through the same
//! `siyu_core::apply`, stored and archived with the member's own, and delivered to the member's
//! devices by their next pull (the patch replays it). A store mutation that does not apply (the
//! order was paid or cancelled meanwhile) changes nothing and is not recorded; a payment result
//! that does not apply is reported (`payment_reports`) for refund.
//!
//! Payment providers sit behind `PaymentProvider`: `DemoPay` needs nothing outside the server.

use crate::error::ApiError;
use crate::service::Service;
use crate::store;
use serde_json::{json, Value};
use siyu_core::apply::STORE_CLIENT;
use siyu_core::Mutation;
use siyu_sync::{Intent, PushMutation, StoredOutcome};
use std::future::Future;
use std::pin::Pin;

/// A boxed future, so that providers can sit behind `dyn PaymentProvider`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An order awaiting payment, as a provider is asked to collect it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payable {
    pub member: String,
    pub order_id: String,
    /// The exact total in fen.
    pub total: i64,
    /// The payment deadline (ms since the epoch): the provider must not take a payment after it.
    pub pay_by: i64,
}

/// A payment provider: starts a payment and answers what the host's payment call needs
/// (`wx.requestPayment`'s parameters, the demo sheet's). Results come back through
/// `Service::payment_result`, from the provider's verified notification or a query.
pub trait PaymentProvider: Send + Sync + std::fmt::Debug {
    /// `demo`, `wechatpay`: the shim picks the host call by it.
    fn name(&self) -> &'static str;
    fn prepay<'a>(&'a self, order: &'a Payable) -> BoxFuture<'a, Result<Value, ApiError>>;
}

/// The demo mall's provider: the pay sheet in the page confirms the payment through
/// `POST /api/orders/{id}/demo-pay`, standing in for a provider's notification.
#[derive(Debug, Default)]
pub struct DemoPay;

impl PaymentProvider for DemoPay {
    fn name(&self) -> &'static str {
        "demo"
    }

    fn prepay<'a>(&'a self, order: &'a Payable) -> BoxFuture<'a, Result<Value, ApiError>> {
        Box::pin(async move {
            Ok(json!({
                "provider": "demo",
                "orderId": order.order_id,
                "amount": order.total,
                "payBy": order.pay_by,
                "confirm": format!("/api/orders/{}/demo-pay", order.order_id),
            }))
        })
    }
}

/// Orders the sweep decides per round: a bounded round, so one server never holds the database
/// for long; the next round takes the rest.
pub const SWEEP_BATCH: i64 = 200;

impl Service {
    /// Decide a change of the store's own on a member's state (rulebook §15) at the server's
    /// clock. Applied: stored like a device's mutation and delivered by the next pull. Not
    /// applicable: nothing is stored, and the rejection is returned to the caller.
    pub async fn decide_for_store(&self, member: &str, mutation: Mutation) -> Result<StoredOutcome, ApiError> {
        self.ensure_store_client(member).await?;
        // Another server may take the next id of the store's client first: read it again.
        for _ in 0..16 {
            let last = store::last_mutation_id(&self.db, member, STORE_CLIENT).await?;
            let m = PushMutation { id: last as u64 + 1, intent: Intent::Known(mutation.clone()), client_time: self.now() };
            match self.decide_one(member, STORE_CLIENT, &m).await? {
                Some(outcome) => return Ok(outcome),
                None => continue,
            }
        }
        Err(ApiError::internal("the store's change could not be recorded"))
    }

    /// `POST /api/orders/{id}/pay`: what the member's device needs to pay an order awaiting
    /// payment (the order must have reached the server: the shim pushes first).
    pub async fn pay(&self, member: &str, order_id: &str) -> Result<Value, ApiError> {
        let Some(provider) = self.config.payment.clone() else {
            return Err(ApiError::new(503, "PAYMENT_UNAVAILABLE", "no payment provider is configured"));
        };
        let payable = self.payable(member, order_id).await?;
        if payable.pay_by <= self.now() {
            return Err(ApiError::new(409, "PAYMENT_WINDOW_CLOSED", format!("order {order_id:?} is past its payment deadline"))
                .with_details(json!({ "orderId": order_id, "payBy": payable.pay_by })));
        }
        provider.prepay(&payable).await
    }

    /// The order if it awaits payment, else the reason as the engine words it.
    pub async fn payable(&self, member: &str, order_id: &str) -> Result<Payable, ApiError> {
        match store::awaiting_order(&self.db, member, order_id).await? {
            Some((total, pay_by)) => Ok(Payable { member: member.into(), order_id: order_id.into(), total, pay_by }),
            None => {
                let state = self.member_state(member).await?.map(|(_, s)| s);
                Err(match state.as_ref().and_then(|s| s.order(order_id)) {
                    None => ApiError::new(404, "ORDER_NOT_FOUND", format!("no order {order_id:?}")).with_details(json!({ "orderId": order_id })),
                    Some(o) => {
                        let status = if o.is_refunded() { "refunded" } else if o.is_paid() { "paid" } else { "cancelled" };
                        ApiError::new(409, "ORDER_NOT_AWAITING_PAYMENT", format!("order {order_id:?} is not awaiting payment: it is {status}"))
                            .with_details(json!({ "orderId": order_id, "status": status }))
                    }
                })
            }
        }
    }

    /// A verified payment result for an order (a provider's notification or query): applied
    /// when the order awaits payment and the amount is its total to the fen; otherwise nothing
    /// changes and the result is reported for refund (a payment after cancellation) or
    /// investigation (another amount). The same transaction again changes nothing.
    pub async fn payment_result(&self, member: &str, order_id: &str, amount: i64, transaction_id: &str) -> Result<StoredOutcome, ApiError> {
        let mutation = Mutation::ConfirmPayment { order_id: order_id.into(), amount, transaction_id: Some(transaction_id.into()) };
        let outcome = self.decide_for_store(member, mutation).await?;
        if let StoredOutcome::Rejected { error } = &outcome {
            let repeat = self.member_state(member).await?.and_then(|(_, s)| s.order(order_id).map(|o| o.transaction_id.as_deref() == Some(transaction_id)));
            if repeat == Some(true) {
                tracing::info!(member, order_id, transaction_id, "payment result already applied");
            } else {
                tracing::warn!(member, order_id, transaction_id, amount, code = %error.code, "payment result not applied: reported for refund");
                store::report_payment(&self.db, member, order_id, transaction_id, amount, &error.code, self.now()).await?;
            }
        } else {
            tracing::info!(member, order_id, transaction_id, amount, "order paid");
        }
        Ok(outcome)
    }

    /// Cancel the orders whose payment window has passed (at most `SWEEP_BATCH`), releasing
    /// their shared stock at once. Safe on several servers: each order is cancelled once (the
    /// second decision finds it cancelled and records nothing). Returns how many it cancelled.
    pub async fn sweep_expired(&self) -> Result<usize, ApiError> {
        let now = self.now();
        let mut cancelled = 0;
        for (member, order_id) in store::expired_orders(&self.db, now, SWEEP_BATCH).await? {
            match self.decide_for_store(&member, Mutation::ExpireOrder { order_id: order_id.clone() }).await? {
                StoredOutcome::Applied { .. } => {
                    cancelled += 1;
                    tracing::info!(member, order_id, "unpaid order cancelled by its deadline");
                }
                StoredOutcome::Rejected { error } => tracing::debug!(member, order_id, code = %error.code, "expired order already decided"),
            }
        }
        Ok(cancelled)
    }
}
