//! WeChat Pay API v3 for mini-programs (JSAPI): the prepay request and `wx.requestPayment`'s
//! parameters, the payment notification (platform signature, AEAD_AES_256_GCM resource), the
//! order query (for a notification that never came) and refunds. Requests are signed
//! `WECHATPAY2-SHA256-RSA2048` with the merchant's key; what WeChat Pay sends is verified with its
//! platform public key ("微信支付公钥" mode: a PEM public key and its id as the serial).
//!
//! Keys and ids come from the environment (`WechatPayConfig::from_env`), never from the
//! repository; docs/payment.md says how to configure a real merchant.

use super::{BoxFuture, Payable, PaymentProvider, ProviderResult};
use crate::error::ApiError;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::sha2::Sha256;
use rsa::signature::{RandomizedSigner, SignatureEncoding, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Digest;
use std::time::Duration;

/// WeChat Pay's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.mch.weixin.qq.com";
/// A notification or response signed longer ago than this (or ahead of it) is refused.
pub const MAX_CLOCK_SKEW_SECS: i64 = 5 * 60;

/// A merchant's WeChat Pay configuration.
#[derive(Clone)]
pub struct WechatPayConfig {
    /// The API's base URL (a simulator's in tests).
    pub base_url: String,
    /// 商户号 and the mini-program's AppID.
    pub mchid: String,
    pub appid: String,
    /// The merchant API certificate's serial number and private key (apiclient_key.pem, PKCS#8).
    pub merchant_serial: String,
    pub merchant_key_pem: String,
    /// The APIv3 key (32 bytes) that encrypts notifications' resources.
    pub apiv3_key: String,
    /// WeChat Pay's public key (PEM) and its id (`PUB_KEY_ID_…`), sent as `Wechatpay-Serial`.
    pub platform_serial: String,
    pub platform_public_key_pem: String,
    /// Where WeChat Pay posts payment results: this server's `/api/payments/wechatpay/notify`.
    pub notify_url: String,
}

impl std::fmt::Debug for WechatPayConfig {
    // Never the keys.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatPayConfig").field("base_url", &self.base_url).field("mchid", &self.mchid).field("appid", &self.appid).finish_non_exhaustive()
    }
}

impl WechatPayConfig {
    /// From `SIYU_WECHATPAY_*` (see docs/payment.md); `None` when `SIYU_WECHATPAY_MCHID` is unset.
    /// Key files are read from the paths the variables name.
    pub fn from_env() -> Result<Option<WechatPayConfig>, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let Some(mchid) = var("SIYU_WECHATPAY_MCHID") else { return Ok(None) };
        let need = |name: &str| var(name).ok_or_else(|| format!("{name} is required with SIYU_WECHATPAY_MCHID"));
        let file = |name: &str| need(name).and_then(|path| std::fs::read_to_string(&path).map_err(|e| format!("{name}: cannot read {path}: {e}")));
        Ok(Some(WechatPayConfig {
            base_url: var("SIYU_WECHATPAY_BASE_URL").unwrap_or_else(|| DEFAULT_BASE_URL.into()),
            mchid,
            appid: need("SIYU_WECHATPAY_APPID")?,
            merchant_serial: need("SIYU_WECHATPAY_MERCHANT_SERIAL")?,
            merchant_key_pem: file("SIYU_WECHATPAY_MERCHANT_KEY_FILE")?,
            apiv3_key: need("SIYU_WECHATPAY_APIV3_KEY")?,
            platform_serial: need("SIYU_WECHATPAY_PLATFORM_SERIAL")?,
            platform_public_key_pem: file("SIYU_WECHATPAY_PLATFORM_PUBLIC_KEY_FILE")?,
            notify_url: need("SIYU_WECHATPAY_NOTIFY_URL")?,
        }))
    }
}

/// Why a notification was refused (answered 4xx with `{"code": "FAIL"}`, so WeChat Pay retries a
/// good one that met a transient failure, and a forged one is logged).
#[derive(Debug, PartialEq, Eq)]
pub enum NotifyError {
    /// A missing header, another serial, a stale timestamp or a signature that does not verify.
    Signature(&'static str),
    /// The resource does not decrypt or does not read as a transaction.
    Resource(&'static str),
}

/// A transaction as WeChat Pay reports it (decrypted notification or query).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Transaction {
    pub mchid: String,
    pub appid: String,
    pub out_trade_no: String,
    #[serde(default)]
    pub transaction_id: Option<String>,
    pub trade_state: String,
    #[serde(default)]
    pub amount: Option<TransactionAmount>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct TransactionAmount {
    pub total: i64,
    #[serde(default)]
    pub currency: Option<String>,
}

pub struct WechatPay {
    config: WechatPayConfig,
    signer: SigningKey<Sha256>,
    platform: VerifyingKey<Sha256>,
    apiv3: Aes256Gcm,
    agent: ureq::Agent,
    /// Seconds since the epoch, as the server's clock says (the QA clock and tests move it).
    now_secs: std::sync::Arc<dyn Fn() -> i64 + Send + Sync>,
}

impl std::fmt::Debug for WechatPay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatPay").field("config", &self.config).finish_non_exhaustive()
    }
}

/// The `out_trade_no` of a member's order: 32 hex characters of SHA-256(member, order), within
/// WeChat Pay's 6–32 characters and unique per merchant (order ids are unique per member only).
pub fn out_trade_no(member: &str, order_id: &str) -> String {
    let digest = sha2::Sha256::digest(format!("{member}\n{order_id}").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn nonce() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::rngs::OsRng.gen();
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// `time_expire` in RFC 3339 at +08:00 (WeChat Pay's form): the payment deadline.
pub fn rfc3339_china(ms: i64) -> String {
    let (y, m, d) = siyu_core::time::Day::of(ms, 480).ymd();
    let rem = (ms.div_euclid(1000) + 8 * 3600).rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+08:00", rem / 3600, rem % 3600 / 60, rem % 60)
}

fn provider_error(message: impl Into<String>) -> ApiError {
    ApiError::new(502, "PAYMENT_PROVIDER_FAILED", message)
}

impl WechatPay {
    pub fn new(config: WechatPayConfig, now_secs: std::sync::Arc<dyn Fn() -> i64 + Send + Sync>) -> Result<WechatPay, String> {
        let key = RsaPrivateKey::from_pkcs8_pem(&config.merchant_key_pem).map_err(|e| format!("the merchant key is not a PKCS#8 PEM RSA key: {e}"))?;
        let platform = RsaPublicKey::from_public_key_pem(&config.platform_public_key_pem).map_err(|e| format!("the WeChat Pay public key is not a PEM RSA key: {e}"))?;
        if config.apiv3_key.len() != 32 {
            return Err("the APIv3 key must be 32 bytes".into());
        }
        let apiv3 = Aes256Gcm::new_from_slice(config.apiv3_key.as_bytes()).map_err(|e| e.to_string())?;
        let agent = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(10))).build().into();
        Ok(WechatPay { config, signer: SigningKey::<Sha256>::new(key), platform: VerifyingKey::<Sha256>::new(platform), apiv3, agent, now_secs })
    }

    pub fn config(&self) -> &WechatPayConfig {
        &self.config
    }

    fn sign(&self, message: &str) -> String {
        let signature = self.signer.sign_with_rng(&mut rand::rngs::OsRng, message.as_bytes());
        B64.encode(signature.to_bytes())
    }

    /// The `Authorization` header of a request (method, path with query, body).
    pub fn authorization(&self, method: &str, path: &str, body: &str) -> String {
        let timestamp = (self.now_secs)();
        let nonce = nonce();
        let signature = self.sign(&format!("{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n"));
        format!(
            "WECHATPAY2-SHA256-RSA2048 mchid=\"{}\",nonce_str=\"{nonce}\",signature=\"{signature}\",timestamp=\"{timestamp}\",serial_no=\"{}\"",
            self.config.mchid, self.config.merchant_serial
        )
    }

    /// Verifies what WeChat Pay signed (a response or a notification): its serial, its time and
    /// the signature over `timestamp\nnonce\nbody\n`.
    pub fn verify(&self, timestamp: Option<&str>, nonce: Option<&str>, signature: Option<&str>, serial: Option<&str>, body: &str) -> Result<(), NotifyError> {
        let (Some(timestamp), Some(nonce), Some(signature), Some(serial)) = (timestamp, nonce, signature, serial) else {
            return Err(NotifyError::Signature("missing Wechatpay-Timestamp, -Nonce, -Signature or -Serial"));
        };
        if serial != self.config.platform_serial {
            return Err(NotifyError::Signature("signed with another key (Wechatpay-Serial)"));
        }
        let at: i64 = timestamp.parse().map_err(|_| NotifyError::Signature("Wechatpay-Timestamp is not a number"))?;
        if (at - (self.now_secs)()).abs() > MAX_CLOCK_SKEW_SECS {
            return Err(NotifyError::Signature("Wechatpay-Timestamp is more than 5 minutes off"));
        }
        let bytes = B64.decode(signature).map_err(|_| NotifyError::Signature("Wechatpay-Signature is not base64"))?;
        let signature = Signature::try_from(bytes.as_slice()).map_err(|_| NotifyError::Signature("Wechatpay-Signature is malformed"))?;
        self.platform.verify(format!("{timestamp}\n{nonce}\n{body}\n").as_bytes(), &signature).map_err(|_| NotifyError::Signature("the signature does not verify"))
    }

    /// Decrypts a notification's `resource` (AEAD_AES_256_GCM with the APIv3 key).
    pub fn decrypt(&self, resource: &Value) -> Result<Transaction, NotifyError> {
        let field = |name: &str| resource.get(name).and_then(Value::as_str);
        if field("algorithm") != Some("AEAD_AES_256_GCM") {
            return Err(NotifyError::Resource("not AEAD_AES_256_GCM"));
        }
        let (Some(ciphertext), Some(nonce)) = (field("ciphertext"), field("nonce")) else { return Err(NotifyError::Resource("no ciphertext or nonce")) };
        let ciphertext = B64.decode(ciphertext).map_err(|_| NotifyError::Resource("the ciphertext is not base64"))?;
        if nonce.len() != 12 {
            return Err(NotifyError::Resource("the nonce is not 12 bytes"));
        }
        let aad = field("associated_data").unwrap_or("");
        let plain = self
            .apiv3
            .decrypt(Nonce::from_slice(nonce.as_bytes()), Payload { msg: &ciphertext, aad: aad.as_bytes() })
            .map_err(|_| NotifyError::Resource("the resource does not decrypt with the APIv3 key"))?;
        serde_json::from_slice(&plain).map_err(|_| NotifyError::Resource("the resource is not a transaction"))
    }

    /// A notification's body and headers → the transaction it reports.
    pub fn notified_transaction(&self, headers: &axum::http::HeaderMap, body: &str) -> Result<Transaction, NotifyError> {
        let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        self.verify(h("wechatpay-timestamp"), h("wechatpay-nonce"), h("wechatpay-signature"), h("wechatpay-serial"), body)?;
        let notification: Value = serde_json::from_str(body).map_err(|_| NotifyError::Resource("the body is not JSON"))?;
        self.decrypt(notification.get("resource").unwrap_or(&Value::Null))
    }

    /// One signed call; the reply's signature is verified before its body is read.
    async fn call(&self, method: &'static str, path: String, body: Option<Value>) -> Result<(u16, Value), ApiError> {
        let text = body.map(|b| b.to_string()).unwrap_or_default();
        let authorization = self.authorization(method, &path, &text);
        let url = format!("{}{path}", self.config.base_url.trim_end_matches('/'));
        let agent = self.agent.clone();
        let (status, headers, reply) = tokio::task::spawn_blocking(move || -> Result<(u16, Vec<(String, String)>, String), String> {
            let response = if method == "GET" {
                agent.get(&url).header("Authorization", &authorization).header("Accept", "application/json").call()
            } else {
                agent.post(&url).header("Authorization", &authorization).header("Accept", "application/json").header("Content-Type", "application/json").send(text.as_str())
            };
            let mut response = response.map_err(|e| e.to_string())?;
            let headers = response.headers().iter().filter_map(|(k, v)| Some((k.as_str().to_ascii_lowercase(), v.to_str().ok()?.to_string()))).collect();
            let status = response.status().as_u16();
            let body = response.body_mut().read_to_string().map_err(|e| e.to_string())?;
            Ok((status, headers, body))
        })
        .await
        .map_err(|e| provider_error(e.to_string()))?
        .map_err(|e| provider_error(format!("WeChat Pay could not be reached: {e}")))?;
        let h = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        if (200..300).contains(&status) {
            self.verify(h("wechatpay-timestamp"), h("wechatpay-nonce"), h("wechatpay-signature"), h("wechatpay-serial"), &reply)
                .map_err(|e| provider_error(format!("WeChat Pay's reply did not verify: {e:?}")))?;
        }
        let json = if reply.is_empty() { Value::Null } else { serde_json::from_str(&reply).map_err(|_| provider_error("WeChat Pay's reply is not JSON"))? };
        Ok((status, json))
    }

    /// What a transaction says of the order it names, once checked against this merchant.
    pub fn result_of(&self, transaction: &Transaction) -> Option<ProviderResult> {
        if transaction.mchid != self.config.mchid || transaction.appid != self.config.appid || transaction.trade_state != "SUCCESS" {
            return None;
        }
        let amount = transaction.amount.as_ref()?;
        if amount.currency.as_deref().is_some_and(|c| c != "CNY") {
            return None;
        }
        Some(ProviderResult { out_trade_no: transaction.out_trade_no.clone(), amount: amount.total, transaction_id: transaction.transaction_id.clone()? })
    }
}

impl PaymentProvider for WechatPay {
    fn name(&self) -> &'static str {
        "wechatpay"
    }

    fn reference(&self, member: &str, order_id: &str) -> String {
        out_trade_no(member, order_id)
    }

    fn prepay<'a>(&'a self, order: &'a Payable) -> BoxFuture<'a, Result<Value, ApiError>> {
        Box::pin(async move {
            let body = json!({
                "appid": self.config.appid,
                "mchid": self.config.mchid,
                "description": format!("订单 {}", order.order_id.chars().rev().take(12).collect::<String>().chars().rev().collect::<String>()),
                "out_trade_no": order.reference,
                "time_expire": rfc3339_china(order.pay_by),
                "notify_url": self.config.notify_url,
                "amount": { "total": order.total, "currency": "CNY" },
                "payer": { "openid": order.payer },
            });
            let (status, reply) = self.call("POST", "/v3/pay/transactions/jsapi".into(), Some(body)).await?;
            let Some(prepay_id) = reply.get("prepay_id").and_then(Value::as_str).filter(|_| status == 200) else {
                return Err(provider_error(format!("the prepay request was refused ({status}): {reply}")));
            };
            let time_stamp = (self.now_secs)().to_string();
            let nonce_str = nonce();
            let package = format!("prepay_id={prepay_id}");
            let pay_sign = self.sign(&format!("{}\n{time_stamp}\n{nonce_str}\n{package}\n", self.config.appid));
            Ok(json!({
                "provider": "wechatpay",
                "orderId": order.order_id,
                "amount": order.total,
                "payBy": order.pay_by,
                "requestPayment": { "timeStamp": time_stamp, "nonceStr": nonce_str, "package": package, "signType": "RSA", "paySign": pay_sign },
            }))
        })
    }

    fn query<'a>(&'a self, order: &'a Payable) -> BoxFuture<'a, Result<Option<ProviderResult>, ApiError>> {
        Box::pin(async move {
            let path = format!("/v3/pay/transactions/out-trade-no/{}?mchid={}", order.reference, self.config.mchid);
            let (status, reply) = self.call("GET", path, None).await?;
            if status == 404 {
                return Ok(None);
            }
            if status != 200 {
                return Err(provider_error(format!("the order query was refused ({status}): {reply}")));
            }
            let transaction: Transaction = serde_json::from_value(reply).map_err(|_| provider_error("the order query's reply is not a transaction"))?;
            Ok(self.result_of(&transaction))
        })
    }

    fn read_notification(&self, headers: &axum::http::HeaderMap, body: &str) -> Result<Option<ProviderResult>, String> {
        let transaction = self.notified_transaction(headers, body).map_err(|e| format!("{e:?}"))?;
        if transaction.mchid != self.config.mchid || transaction.appid != self.config.appid {
            return Err(format!("a transaction of another merchant or app ({} / {})", transaction.mchid, transaction.appid));
        }
        Ok(self.result_of(&transaction))
    }

    fn refund<'a>(&'a self, order: &'a Payable, refund_id: &'a str) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let body = json!({
                "out_trade_no": order.reference,
                "out_refund_no": refund_id,
                "amount": { "refund": order.total, "total": order.total, "currency": "CNY" },
            });
            let (status, reply) = self.call("POST", "/v3/refund/domestic/refunds".into(), Some(body)).await?;
            if status == 200 {
                Ok(())
            } else {
                Err(provider_error(format!("the refund was refused ({status}): {reply}")))
            }
        })
    }
}
