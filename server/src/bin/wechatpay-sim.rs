//! `siyu-wechatpay-sim DIR`: the local WeChat Pay API v3 simulator as a program, for the
//! mini-program tests (tests/miniprogram/wechatpay.test.mjs). It makes its keys now, writes the
//! merchant key and the platform public key into DIR, and prints one JSON line with the
//! configuration siyu-server needs (`SIYU_WECHATPAY_*` variables). `POST /sim/pay {prepay_id}`
//! stands in for the shopper confirming WeChat's pay sheet. Test use only: its keys are
//! throwaway and it signs with the system clock.

#[path = "../../tests/support/wechatpay_sim.rs"]
mod wechatpay_sim;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

#[tokio::main]
async fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: siyu-wechatpay-sim DIR");
        std::process::exit(2)
    }));
    std::fs::create_dir_all(&dir).expect("the key folder");
    let now = Arc::new(AtomicI64::new(siyu_server::clock::system_now_ms()));
    let ticking = now.clone();
    tokio::spawn(async move {
        loop {
            ticking.store(siyu_server::clock::system_now_ms(), Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    });
    let sim = wechatpay_sim::Sim::start(now).await;
    let config = sim.config("");
    let merchant_key = dir.join("apiclient_key.pem");
    let platform_key = dir.join("pub_key.pem");
    std::fs::write(&merchant_key, &config.merchant_key_pem).expect("write the merchant key");
    std::fs::write(&platform_key, &config.platform_public_key_pem).expect("write the platform key");
    let line = serde_json::json!({
        "SIYU_WECHATPAY_BASE_URL": config.base_url,
        "SIYU_WECHATPAY_MCHID": config.mchid,
        "SIYU_WECHATPAY_APPID": config.appid,
        "SIYU_WECHATPAY_MERCHANT_SERIAL": config.merchant_serial,
        "SIYU_WECHATPAY_MERCHANT_KEY_FILE": merchant_key,
        "SIYU_WECHATPAY_APIV3_KEY": config.apiv3_key,
        "SIYU_WECHATPAY_PLATFORM_SERIAL": config.platform_serial,
        "SIYU_WECHATPAY_PLATFORM_PUBLIC_KEY_FILE": platform_key,
    });
    println!("{line}");
    std::future::pending::<()>().await;
}
