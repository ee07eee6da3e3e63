//! Payment (rulebook §8) and the store's own changes on a member's state (§15).
//!
//! The store decides a payment result or an expired order the way a device's change is decided:
//! as a mutation of the store's client (`STORE_CLIENT`) for that member, through the same
//! `siyu_core::apply`, stored and archived with the member's own, and delivered to the member's
//! devices by their next pull (the patch replays it). A store mutation that does not apply (the
//! order was paid or cancelled meanwhile) changes nothing and is not recorded; a payment result
//! that does not apply is reported (`payment_reports`) for refund.
//!
//! Payment providers sit behind `PaymentProvider`: `DemoPay` needs nothing outside the server;
//! `wechatpay::WechatPay` is WeChat Pay API v3 (JSAPI).

pub mod wechatpay;

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

/// An order awaiting payment (or paid, for a refund), as a provider is asked to collect it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payable {
    pub member: String,
    pub order_id: String,
    /// The provider's name for the order (`out_trade_no`), see `PaymentProvider::reference`.
    pub reference: String,
    /// Who pays, as the provider knows them (a WeChat openid; the member id by default).
    pub payer: String,
    /// The exact total in fen.
    pub total: i64,
    /// The payment deadline (ms since the epoch): the provider must not take a payment after it.
    pub pay_by: i64,
}

/// A verified result: the provider took `amount` fen for the order it calls `out_trade_no`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderResult {
    pub out_trade_no: String,
    pub amount: i64,
    pub transaction_id: String,
}

/// A payment provider: starts a payment and answers what the host's payment call needs
/// (`wx.requestPayment`'s parameters, the demo sheet's). Results come back through
/// `Service::payment_result`, from the provider's verified notification or a query.
pub trait PaymentProvider: Send + Sync + std::fmt::Debug {
    /// `demo`, `wechatpay`: the shim picks the host call by it.
    fn name(&self) -> &'static str;
    /// The provider's id for a member's order (unique per merchant).
    fn reference(&self, member: &str, order_id: &str) -> String {
        format!("{member}/{order_id}")
    }
    fn prepay<'a>(&'a self, order: &'a Payable) -> BoxFuture<'a, Result<Value, ApiError>>;
    /// The provider's word on an order whose notification has not come (None: not paid).
    fn query<'a>(&'a self, _order: &'a Payable) -> BoxFuture<'a, Result<Option<ProviderResult>, ApiError>> {
        Box::pin(async { Ok(None) })
    }
    /// Give a refunded order's payment back (`refund_id` is unique per refund).
    fn refund<'a>(&'a self, _order: &'a Payable, _refund_id: &'a str) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async { Ok(()) })
    }
    /// A notification the provider posted: verified and read. `Ok(None)`: genuine but nothing
    /// to apply (not a success); `Err`: refused (forged, another merchant, unreadable).
    fn read_notification(&self, _headers: &axum::http::HeaderMap, _body: &str) -> Result<Option<ProviderResult>, String> {
        Err(format!("the {} provider sends no notifications", self.name()))
    }
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

    fn provider(&self) -> Result<std::sync::Arc<dyn PaymentProvider>, ApiError> {
        self.config.payment.clone().ok_or_else(|| ApiError::new(503, "PAYMENT_UNAVAILABLE", "no payment provider is configured"))
    }

    /// `POST /api/orders/{id}/pay`: what the member's device needs to pay an order awaiting
    /// payment (the order must have reached the server: the shim pushes first). `payer` is the
    /// provider's id of the shopper (a WeChat openid from the mini-program's login); by default
    /// the member id.
    pub async fn pay(&self, member: &str, order_id: &str, payer: Option<&str>) -> Result<Value, ApiError> {
        let provider = self.provider()?;
        self.rate_check(member)?;
        let mut payable = self.payable(member, order_id).await?;
        if payable.pay_by <= self.now() {
            return Err(ApiError::new(409, "PAYMENT_WINDOW_CLOSED", format!("order {order_id:?} is past its payment deadline"))
                .with_details(json!({ "orderId": order_id, "payBy": payable.pay_by })));
        }
        if let Some(payer) = payer {
            payable.payer = payer.into();
        }
        store::record_provider_order(&self.db, &payable.reference, member, order_id, payable.total, self.now()).await?;
        provider.prepay(&payable).await
    }

    /// The order if it awaits payment, else the reason as the engine words it.
    pub async fn payable(&self, member: &str, order_id: &str) -> Result<Payable, ApiError> {
        let reference = self.config.payment.as_ref().map_or_else(|| format!("{member}/{order_id}"), |p| p.reference(member, order_id));
        match store::awaiting_order(&self.db, member, order_id).await? {
            Some((total, pay_by)) => Ok(Payable { member: member.into(), order_id: order_id.into(), reference, payer: member.into(), total, pay_by }),
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

    /// A result the provider reported for its `out_trade_no` (a verified notification or a
    /// query): applied to the member's order it was made for. Unknown references are refused.
    pub async fn provider_result(&self, result: &ProviderResult) -> Result<StoredOutcome, ApiError> {
        let Some((member, order_id)) = store::provider_order(&self.db, &result.out_trade_no).await? else {
            tracing::warn!(out_trade_no = %result.out_trade_no, transaction_id = %result.transaction_id, "payment result for an unknown order");
            return Err(ApiError::not_found("no order with this out_trade_no"));
        };
        self.payment_result(&member, &order_id, result.amount, &result.transaction_id).await
    }

    /// A notification posted to `/api/payments/{provider}/notify`: verified by the provider, then
    /// applied. What does not apply (another amount, an unknown or cancelled order, a replay) is
    /// logged and reported, and the notification is answered as processed so it is not resent.
    pub async fn notification(&self, provider: &str, headers: &axum::http::HeaderMap, body: &str) -> Result<(), ApiError> {
        let configured = self.config.payment.clone().filter(|p| p.name() == provider).ok_or_else(|| ApiError::not_found("no such payment provider here"))?;
        match configured.read_notification(headers, body) {
            Err(problem) => {
                tracing::warn!(provider, %problem, "payment notification refused");
                Err(ApiError::new(401, "NOTIFICATION_REFUSED", problem))
            }
            Ok(None) => Ok(()),
            Ok(Some(result)) => match self.provider_result(&result).await {
                Ok(_) => Ok(()),
                Err(e) if e.status == 404 => Ok(()),
                Err(e) => Err(e),
            },
        }
    }

    /// Give the payment of a refunded order back through the provider (its refund id is derived
    /// from the order: one refund per order). A failure is reported for the merchant.
    pub async fn refund_payment(&self, member: &str, order_id: &str, total: i64) {
        let Some(provider) = self.config.payment.clone() else { return };
        let reference = provider.reference(member, order_id);
        let order = Payable { member: member.into(), order_id: order_id.into(), reference: reference.clone(), payer: member.into(), total, pay_by: 0 };
        // By characters: a provider's reference may hold an order id chosen by the device, and a
        // byte slice could cut a character in two (a panic).
        let refund_id: String = std::iter::once('R').chain(reference.chars().take(31)).collect();
        match provider.refund(&order, &refund_id).await {
            Ok(()) => tracing::info!(member, order_id, total, "payment refunded"),
            Err(e) => {
                tracing::warn!(member, order_id, total, code = e.code, message = %e.message, "refund through the provider failed: reported");
                if let Err(e) = store::report_payment(&self.db, member, order_id, &refund_id, total, "REFUND_FAILED", self.now()).await {
                    tracing::error!(member, order_id, %e, "the failed refund could not be reported");
                }
            }
        }
    }

    /// Cancel the orders whose payment window has passed (at most `SWEEP_BATCH`), releasing
    /// their shared stock at once — unless the provider, asked first, says the order was paid
    /// (its notification never came): then it is paid. Safe on several servers: each order is
    /// decided once (the second decision finds it decided and records nothing). Returns how many
    /// it cancelled.
    pub async fn sweep_expired(&self) -> Result<usize, ApiError> {
        let now = self.now();
        let mut cancelled = 0;
        for (member, order_id) in store::expired_orders(&self.db, now, SWEEP_BATCH).await? {
            if let Some(provider) = self.config.payment.clone() {
                let payable = self.payable(&member, &order_id).await;
                let found = match &payable {
                    Ok(p) => provider.query(p).await,
                    Err(_) => Ok(None),
                };
                match found {
                    Ok(Some(result)) => {
                        tracing::info!(member, order_id, "payment found by query at the deadline");
                        // Paid for its total: paid. Another amount was reported; the order expires.
                        if let StoredOutcome::Applied { .. } = self.payment_result(&member, &order_id, result.amount, &result.transaction_id).await? {
                            continue;
                        }
                    }
                    Ok(None) => {}
                    // The provider cannot say: the order waits for the next round rather than
                    // being cancelled while it may have been paid.
                    Err(e) => {
                        tracing::warn!(member, order_id, code = e.code, message = %e.message, "order query failed; retried next round");
                        continue;
                    }
                }
            }
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
