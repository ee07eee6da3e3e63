//! A local simulator of the WeChat Pay API v3 endpoints siyu calls (JSAPI prepay, the order query
//! by out_trade_no, domestic refunds) and of its payment notifications. Keys are made at test
//! time: the merchant's key pair (the simulator verifies requests with its public half), the
//! platform key pair (it signs replies and notifications) and a random APIv3 key (it encrypts
//! notifications' resources with AES-256-GCM). The JSON shapes and the signature schemes are
//! WeChat Pay's; what it does not cover is written in docs/payment.md.
#![allow(dead_code)]

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::rngs::OsRng;
use rand::Rng;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::sha2::Sha256;
use rsa::signature::{RandomizedSigner, SignatureEncoding, Verifier};
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use siyu_server::payment::wechatpay::WechatPayConfig;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

pub const MCHID: &str = "1900000109";
pub const APPID: &str = "wxd678efh567hg6787";
pub const MERCHANT_SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
pub const PLATFORM_SERIAL: &str = "PUB_KEY_ID_0119000001092026120200000000000001";

#[derive(Clone, Debug)]
pub struct SimOrder {
    pub amount: i64,
    pub prepay_id: String,
    pub openid: String,
    pub time_expire: String,
    pub notify_url: String,
    /// The transaction and the amount taken, once paid.
    pub paid: Option<(String, i64)>,
}

#[derive(Default)]
struct Ledger {
    orders: HashMap<String, SimOrder>,
    refunds: Vec<Value>,
    /// Requests whose signature did not verify.
    refused: usize,
}

/// A notification as WeChat Pay would post it: headers and body.
pub struct Notification {
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

#[derive(Clone)]
pub struct Sim {
    pub base_url: String,
    ledger: Arc<Mutex<Ledger>>,
    platform: Arc<SigningKey<Sha256>>,
    merchant: Arc<VerifyingKey<Sha256>>,
    merchant_key_pem: String,
    platform_public_key_pem: String,
    apiv3_key: String,
    /// The clock both sides share (ms since the epoch): signatures carry its seconds.
    now_ms: Arc<AtomicI64>,
}

fn random_text(n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..n).map(|_| ALPHABET[OsRng.gen_range(0..ALPHABET.len())] as char).collect()
}

impl Sim {
    /// Keys made now; the simulator listens on a free local port.
    pub async fn start(now_ms: Arc<AtomicI64>) -> Sim {
        let merchant_key = RsaPrivateKey::new(&mut OsRng, 2048).unwrap();
        let platform_key = RsaPrivateKey::new(&mut OsRng, 2048).unwrap();
        let merchant_key_pem = merchant_key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
        let platform_public_key_pem = platform_key.to_public_key().to_public_key_pem(LineEnding::LF).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sim = Sim {
            base_url: format!("http://{}", listener.local_addr().unwrap()),
            ledger: Arc::new(Mutex::new(Ledger::default())),
            platform: Arc::new(SigningKey::<Sha256>::new(platform_key)),
            merchant: Arc::new(VerifyingKey::<Sha256>::new(merchant_key.to_public_key())),
            merchant_key_pem,
            platform_public_key_pem,
            apiv3_key: random_text(32),
            now_ms,
        };
        let app = Router::new()
            .route("/v3/pay/transactions/jsapi", post(jsapi))
            .route("/v3/pay/transactions/out-trade-no/{id}", get(query))
            .route("/v3/refund/domestic/refunds", post(refund))
            .route("/sim/pay", post(control_pay))
            .with_state(sim.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        sim
    }

    /// The merchant configuration that talks to this simulator.
    pub fn config(&self, notify_url: &str) -> WechatPayConfig {
        WechatPayConfig {
            base_url: self.base_url.clone(),
            mchid: MCHID.into(),
            appid: APPID.into(),
            merchant_serial: MERCHANT_SERIAL.into(),
            merchant_key_pem: self.merchant_key_pem.clone(),
            apiv3_key: self.apiv3_key.clone(),
            platform_serial: PLATFORM_SERIAL.into(),
            platform_public_key_pem: self.platform_public_key_pem.clone(),
            notify_url: notify_url.into(),
        }
    }

    fn now_secs(&self) -> i64 {
        self.now_ms.load(Ordering::SeqCst).div_euclid(1000)
    }

    /// Signs as the platform: `timestamp\nnonce\nbody\n`.
    fn signed_headers(&self, body: &str) -> Vec<(&'static str, String)> {
        let timestamp = self.now_secs().to_string();
        let nonce = random_text(32);
        let signature = self.platform.sign_with_rng(&mut OsRng, format!("{timestamp}\n{nonce}\n{body}\n").as_bytes());
        vec![
            ("wechatpay-timestamp", timestamp),
            ("wechatpay-nonce", nonce),
            ("wechatpay-signature", B64.encode(signature.to_bytes())),
            ("wechatpay-serial", PLATFORM_SERIAL.to_string()),
        ]
    }

    fn reply(&self, status: StatusCode, body: Value) -> Response {
        let text = body.to_string();
        let mut response = (status, text.clone()).into_response();
        for (name, value) in self.signed_headers(&text) {
            response.headers_mut().insert(name, value.parse().unwrap());
        }
        response.headers_mut().insert("content-type", "application/json".parse().unwrap());
        response
    }

    /// Verifies a merchant request's `Authorization` (mchid, serial, signature over the message).
    fn authorized(&self, headers: &HeaderMap, method: &str, path: &str, body: &str) -> bool {
        let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) else { return false };
        let Some(fields) = auth.strip_prefix("WECHATPAY2-SHA256-RSA2048 ") else { return false };
        let field = |name: &str| {
            fields.split(',').find_map(|kv| kv.trim().strip_prefix(&format!("{name}=\"")).and_then(|v| v.strip_suffix('"')).map(str::to_string))
        };
        let (Some(mchid), Some(nonce), Some(signature), Some(timestamp), Some(serial)) =
            (field("mchid"), field("nonce_str"), field("signature"), field("timestamp"), field("serial_no"))
        else {
            return false;
        };
        let fresh = timestamp.parse::<i64>().is_ok_and(|t| (t - self.now_secs()).abs() <= 300);
        let Ok(bytes) = B64.decode(signature) else { return false };
        let Ok(signature) = Signature::try_from(bytes.as_slice()) else { return false };
        let message = format!("{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n");
        let ok = mchid == MCHID && serial == MERCHANT_SERIAL && fresh && self.merchant.verify(message.as_bytes(), &signature).is_ok();
        if !ok {
            self.ledger.lock().unwrap().refused += 1;
        }
        ok
    }

    /// The order a prepay created, by out_trade_no.
    pub fn order(&self, out_trade_no: &str) -> Option<SimOrder> {
        self.ledger.lock().unwrap().orders.get(out_trade_no).cloned()
    }

    pub fn only_order(&self) -> (String, SimOrder) {
        let ledger = self.ledger.lock().unwrap();
        assert_eq!(ledger.orders.len(), 1, "one prepaid order");
        ledger.orders.iter().map(|(k, v)| (k.clone(), v.clone())).next().unwrap()
    }

    pub fn refunds(&self) -> Vec<Value> {
        self.ledger.lock().unwrap().refunds.clone()
    }

    pub fn refused(&self) -> usize {
        self.ledger.lock().unwrap().refused
    }

    /// The shopper pays `amount` (usually the order's, or another to test a mismatch): the order
    /// is paid at the simulator, and the notification WeChat Pay would post is returned (the test
    /// delivers it, once, twice, or never: a lost notification).
    pub fn pay(&self, out_trade_no: &str, amount: i64) -> Notification {
        let transaction_id = format!("4200{}", OsRng.gen_range(100_000_000_000_000u64..999_999_999_999_999));
        let order = {
            let mut ledger = self.ledger.lock().unwrap();
            let order = ledger.orders.get_mut(out_trade_no).expect("a prepaid order");
            order.paid = Some((transaction_id.clone(), amount));
            order.clone()
        };
        let transaction = json!({
            "mchid": MCHID, "appid": APPID, "out_trade_no": out_trade_no, "transaction_id": transaction_id,
            "trade_type": "JSAPI", "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "bank_type": "OTHERS",
            "success_time": "2026-03-02T10:05:00+08:00", "payer": { "openid": order.openid },
            "amount": { "total": amount, "payer_total": amount, "currency": "CNY", "payer_currency": "CNY" },
        });
        self.notification(&transaction)
    }

    /// The out_trade_no of a prepay id (what `wx.requestPayment`'s `package` carries).
    pub fn by_prepay_id(&self, prepay_id: &str) -> Option<String> {
        self.ledger.lock().unwrap().orders.iter().find(|(_, o)| o.prepay_id == prepay_id).map(|(k, _)| k.clone())
    }

    /// A notification carrying `transaction`, encrypted and signed as WeChat Pay does.
    pub fn notification(&self, transaction: &Value) -> Notification {
        let nonce = random_text(12);
        let aad = "transaction";
        let cipher = Aes256Gcm::new_from_slice(self.apiv3_key.as_bytes()).unwrap();
        let ciphertext = cipher.encrypt(Nonce::from_slice(nonce.as_bytes()), Payload { msg: transaction.to_string().as_bytes(), aad: aad.as_bytes() }).unwrap();
        let body = json!({
            "id": format!("EV-{}", random_text(20)),
            "create_time": "2026-03-02T10:05:00+08:00",
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": { "original_type": "transaction", "algorithm": "AEAD_AES_256_GCM", "ciphertext": B64.encode(ciphertext), "associated_data": aad, "nonce": nonce },
        })
        .to_string();
        Notification { headers: self.signed_headers(&body), body }
    }
}

async fn jsapi(State(sim): State<Sim>, headers: HeaderMap, body: String) -> Response {
    if !sim.authorized(&headers, "POST", "/v3/pay/transactions/jsapi", &body) {
        return sim.reply(StatusCode::UNAUTHORIZED, json!({ "code": "SIGN_ERROR", "message": "签名错误" }));
    }
    let Ok(request) = serde_json::from_str::<Value>(&body) else { return sim.reply(StatusCode::BAD_REQUEST, json!({ "code": "PARAM_ERROR" })) };
    let text = |path: &[&str]| {
        let mut v = &request;
        for p in path {
            v = &v[*p];
        }
        v.as_str().map(str::to_string)
    };
    let (Some(out_trade_no), Some(openid), Some(time_expire), Some(notify_url)) =
        (text(&["out_trade_no"]), text(&["payer", "openid"]), text(&["time_expire"]), text(&["notify_url"]))
    else {
        return sim.reply(StatusCode::BAD_REQUEST, json!({ "code": "PARAM_ERROR", "message": "缺少参数" }));
    };
    if text(&["mchid"]).as_deref() != Some(MCHID) || text(&["appid"]).as_deref() != Some(APPID) || !(6..=32).contains(&out_trade_no.len()) {
        return sim.reply(StatusCode::BAD_REQUEST, json!({ "code": "PARAM_ERROR", "message": "参数错误" }));
    }
    let Some(amount) = request["amount"]["total"].as_i64().filter(|t| *t > 0) else { return sim.reply(StatusCode::BAD_REQUEST, json!({ "code": "PARAM_ERROR" })) };
    let mut ledger = sim.ledger.lock().unwrap();
    // The same out_trade_no again (the shopper opens the sheet twice) keeps its prepay id.
    let order = ledger.orders.entry(out_trade_no).or_insert_with(|| SimOrder {
        amount,
        prepay_id: format!("wx{}", random_text(30)),
        openid,
        time_expire,
        notify_url,
        paid: None,
    });
    let prepay_id = order.prepay_id.clone();
    drop(ledger);
    sim.reply(StatusCode::OK, json!({ "prepay_id": prepay_id }))
}

async fn query(State(sim): State<Sim>, headers: HeaderMap, Path(id): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    let path = format!("/v3/pay/transactions/out-trade-no/{id}?mchid={}", q.get("mchid").cloned().unwrap_or_default());
    if !sim.authorized(&headers, "GET", &path, "") {
        return sim.reply(StatusCode::UNAUTHORIZED, json!({ "code": "SIGN_ERROR" }));
    }
    let Some(order) = sim.order(&id) else { return sim.reply(StatusCode::NOT_FOUND, json!({ "code": "ORDER_NOT_EXIST", "message": "订单不存在" })) };
    let mut reply = json!({ "mchid": MCHID, "appid": APPID, "out_trade_no": id, "trade_type": "JSAPI", "payer": { "openid": order.openid } });
    match order.paid {
        Some((transaction_id, amount)) => {
            reply["trade_state"] = json!("SUCCESS");
            reply["transaction_id"] = json!(transaction_id);
            reply["amount"] = json!({ "total": amount, "payer_total": amount, "currency": "CNY", "payer_currency": "CNY" });
        }
        None => {
            reply["trade_state"] = json!("NOTPAY");
            reply["amount"] = json!({ "total": order.amount, "currency": "CNY" });
        }
    }
    sim.reply(StatusCode::OK, reply)
}

async fn refund(State(sim): State<Sim>, headers: HeaderMap, body: String) -> Response {
    if !sim.authorized(&headers, "POST", "/v3/refund/domestic/refunds", &body) {
        return sim.reply(StatusCode::UNAUTHORIZED, json!({ "code": "SIGN_ERROR" }));
    }
    let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let out_trade_no = request["out_trade_no"].as_str().unwrap_or_default().to_string();
    let Some(order) = sim.order(&out_trade_no) else { return sim.reply(StatusCode::NOT_FOUND, json!({ "code": "RESOURCE_NOT_EXISTS" })) };
    let paid = order.paid.as_ref().map(|(_, amount)| *amount);
    if paid != request["amount"]["total"].as_i64() || request["amount"]["refund"].as_i64().is_none_or(|r| r <= 0 || Some(r) > paid) {
        return sim.reply(StatusCode::BAD_REQUEST, json!({ "code": "PARAM_ERROR", "message": "退款金额错误" }));
    }
    sim.ledger.lock().unwrap().refunds.push(request.clone());
    sim.reply(StatusCode::OK, json!({ "refund_id": format!("5030{}", random_text(20)), "out_refund_no": request["out_refund_no"], "status": "PROCESSING", "amount": request["amount"] }))
}

/// `POST /sim/pay {prepay_id}`: the shopper confirms WeChat's pay sheet (what `wx.requestPayment`
/// does on a phone): the order is paid in full and the notification is posted to its notify_url.
async fn control_pay(State(sim): State<Sim>, body: String) -> Response {
    let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let Some(out_trade_no) = request["prepay_id"].as_str().and_then(|id| sim.by_prepay_id(id)) else {
        return (StatusCode::NOT_FOUND, "no such prepay_id").into_response();
    };
    let order = sim.order(&out_trade_no).expect("known");
    let notification = sim.pay(&out_trade_no, order.amount);
    let posted = tokio::task::spawn_blocking(move || {
        let mut post = ureq::post(&order.notify_url).header("Content-Type", "application/json");
        for (name, value) in &notification.headers {
            post = post.header(*name, value.as_str());
        }
        post.send(notification.body.as_str()).map(|r| r.status().as_u16()).map_err(|e| e.to_string())
    })
    .await
    .unwrap();
    match posted {
        Ok(status) => (StatusCode::OK, format!("{{\"notified\":{status}}}")).into_response(),
        Err(e) => (StatusCode::BAD_GATEWAY, e).into_response(),
    }
}
