//! `siyu-server [--database URL] [--listen ADDR] [--demo] [--program FILE] [--www DIR] [--pkg DIR]`

use siyu_server::{auth, demo, http, Clock, Config, Db, Service};
use std::path::{Path, PathBuf};

const USAGE: &str = "siyu-server — the reference backend of the siyu member mini-mall

USAGE: siyu-server [OPTIONS]

OPTIONS:
  --database URL       sqlite://PATH (created if missing) or postgres://USER:PASS@HOST/DB
                       [env SIYU_DATABASE_URL; default sqlite://data/siyu.db]
  --listen ADDR        address to listen on [default 127.0.0.1:8080]
  --demo               demo mode: POST /api/login for anyone, seeded members new/loyal/lapsing,
                       the limited sale moved to start in 2 days at 20:00, the QA clock
  --clock-at MS        demo mode: start the QA clock at this instant (ms since the epoch), so
                       the seeded members, the sale and every test run at a pinned time
                       [env SIYU_QA_CLOCK_AT]
  --program FILE       the program used until one is PUT [default programs/health-food.json]
  --www DIR            static shop front served at / [default www]
  --pkg DIR            the engine's WebAssembly package served at /pkg/ [default pkg]
  --data-dir DIR       where the token secret is kept when SIYU_SECRET is unset
                       [default: the SQLite file's folder, else data]
  --rate-burst N       requests per member in a burst, 0 = no limit [default 120]
  --rate-per-sec R     requests per member per second, sustained [default 20]
  --max-connections N  database pool size [default 16]
  --cors-origin ORIGIN let pages of ORIGIN (https://shop.example.com, or * for any) call the
                       API from a browser; repeatable [env SIYU_CORS_ORIGINS, comma-separated;
                       default: none, same origin only]
  --issue-token MEMBER print a bearer token for MEMBER and exit
  -h, --help           this help

ENVIRONMENT:
  SIYU_SECRET          HMAC secret for bearer tokens
  SIYU_ADMIN_TOKEN     bearer token allowed to PUT /api/program
  SIYU_WEBHOOK_URLS    where each decision's events are posted, comma-separated (docs/events.md)
  SIYU_WEBHOOK_SECRET  the HMAC-SHA256 secret events are signed with (at least 16 characters)
  SIYU_LOG             log filter: info (default), debug, siyu_server=debug,tower_http=warn …
  SIYU_WECHATPAY_*     WeChat Pay API v3 (MCHID, APPID, MERCHANT_SERIAL, MERCHANT_KEY_FILE,
                       APIV3_KEY, PLATFORM_SERIAL, PLATFORM_PUBLIC_KEY_FILE, NOTIFY_URL,
                       BASE_URL): see docs/payment.md; without them --demo pays with the demo
                       provider and other servers take no payments
";

/// Webhooks from `SIYU_WEBHOOK_URLS` (comma-separated) signed with `SIYU_WEBHOOK_SECRET`.
fn webhooks() -> Option<siyu_server::events::Webhooks> {
    let urls: Vec<String> = std::env::var("SIYU_WEBHOOK_URLS").unwrap_or_default().split(',').map(str::trim).filter(|u| !u.is_empty()).map(String::from).collect();
    if urls.is_empty() {
        return None;
    }
    let secret = std::env::var("SIYU_WEBHOOK_SECRET").ok().filter(|s| s.len() >= 16).unwrap_or_else(|| fail("SIYU_WEBHOOK_URLS needs SIYU_WEBHOOK_SECRET (at least 16 characters) to sign events"));
    Some(siyu_server::events::Webhooks { urls, secret: secret.into_bytes() })
}

/// WeChat Pay when `SIYU_WECHATPAY_MCHID` is set (docs/payment.md), else the demo provider in
/// demo mode, else none (orders cannot be paid here).
fn payment_provider(demo: bool) -> Option<std::sync::Arc<dyn siyu_server::payment::PaymentProvider>> {
    use siyu_server::payment::wechatpay::{WechatPay, WechatPayConfig};
    match WechatPayConfig::from_env() {
        Err(e) => fail(&format!("WeChat Pay configuration: {e}")),
        Ok(Some(config)) => {
            // Signatures carry real time (WeChat Pay checks it), never the QA clock's.
            let now = std::sync::Arc::new(|| siyu_server::clock::system_now_ms().div_euclid(1000));
            let provider = WechatPay::new(config, now).unwrap_or_else(|e| fail(&format!("WeChat Pay configuration: {e}")));
            Some(std::sync::Arc::new(provider))
        }
        Ok(None) if demo => Some(std::sync::Arc::new(siyu_server::payment::DemoPay)),
        Ok(None) => None,
    }
}

/// How often the server looks for unpaid orders past their deadline.
const SWEEP_EVERY_SECS: u64 = 5;

struct Args {
    database: String,
    listen: String,
    demo: bool,
    program: Option<PathBuf>,
    www: PathBuf,
    pkg: PathBuf,
    data_dir: Option<PathBuf>,
    rate_burst: u32,
    rate_per_sec: f64,
    max_connections: u32,
    issue_token: Option<String>,
    cors_origins: Vec<String>,
    clock_at: Option<i64>,
}

fn fail(message: &str) -> ! {
    eprintln!("siyu-server: {message}\n\n{USAGE}");
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut args = Args {
        database: std::env::var("SIYU_DATABASE_URL").ok().filter(|s| !s.is_empty()).unwrap_or_else(|| "sqlite://data/siyu.db".into()),
        listen: "127.0.0.1:8080".into(),
        demo: false,
        program: None,
        www: "www".into(),
        pkg: "pkg".into(),
        data_dir: None,
        rate_burst: 120,
        rate_per_sec: 20.0,
        max_connections: 16,
        issue_token: None,
        cors_origins: std::env::var("SIYU_CORS_ORIGINS").ok().map(|v| split_origins(&v)).unwrap_or_default(),
        clock_at: std::env::var("SIYU_QA_CLOCK_AT").ok().filter(|s| !s.is_empty()).map(|v| parse_instant(&v)),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().unwrap_or_else(|| fail(&format!("{name} needs a value")));
        match flag.as_str() {
            "--database" => args.database = value("--database"),
            "--listen" => args.listen = value("--listen"),
            "--demo" => args.demo = true,
            "--program" => args.program = Some(value("--program").into()),
            "--www" => args.www = value("--www").into(),
            "--pkg" => args.pkg = value("--pkg").into(),
            "--data-dir" => args.data_dir = Some(value("--data-dir").into()),
            "--rate-burst" => args.rate_burst = value("--rate-burst").parse().unwrap_or_else(|_| fail("--rate-burst takes a whole number")),
            "--rate-per-sec" => args.rate_per_sec = value("--rate-per-sec").parse().unwrap_or_else(|_| fail("--rate-per-sec takes a number")),
            "--max-connections" => args.max_connections = value("--max-connections").parse().unwrap_or_else(|_| fail("--max-connections takes a whole number")),
            "--clock-at" => args.clock_at = Some(parse_instant(&value("--clock-at"))),
            "--issue-token" => args.issue_token = Some(value("--issue-token")),
            "--cors-origin" => {
                let origin = value("--cors-origin");
                if (origin != "*" && !(origin.starts_with("https://") || origin.starts_with("http://"))) || origin.ends_with('/') {
                    fail("--cors-origin takes an origin such as https://shop.example.com (no path, no trailing /) or *");
                }
                args.cors_origins.push(origin);
            }
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0)
            }
            other => fail(&format!("unknown option {other}")),
        }
    }
    if args.clock_at.is_some() && !args.demo {
        fail("--clock-at moves the QA clock, which only demo mode has");
    }
    args
}

/// An instant for `--clock-at`: ms since the epoch, from 2000 on (as the engine's `now`).
fn parse_instant(text: &str) -> i64 {
    match text.trim().parse::<i64>() {
        Ok(ms) if (946_684_800_000..=4_102_444_800_000).contains(&ms) => ms,
        _ => fail("--clock-at takes milliseconds since the epoch, between 2000 and 2100"),
    }
}

fn split_origins(list: &str) -> Vec<String> {
    list.split(',').map(str::trim).filter(|o| !o.is_empty()).map(String::from).collect()
}

/// A path as given, or else next to the repository root (so `cargo run -p siyu-server` works from
/// anywhere in the checkout).
fn locate(path: &Path) -> PathBuf {
    if path.exists() || path.is_absolute() {
        return path.to_path_buf();
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    if repo.exists() {
        repo
    } else {
        path.to_path_buf()
    }
}

fn data_dir(args: &Args) -> PathBuf {
    if let Some(d) = &args.data_dir {
        return d.clone();
    }
    if let Some(rest) = args.database.strip_prefix("sqlite:") {
        let path = rest.trim_start_matches("//").split('?').next().unwrap_or("");
        if !path.contains(":memory:") {
            if let Some(parent) = Path::new(path).parent() {
                if !parent.as_os_str().is_empty() {
                    return parent.to_path_buf();
                }
            }
            return PathBuf::from(".");
        }
    }
    PathBuf::from("data")
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    // Logs to stderr; SIYU_LOG (e.g. `debug`, `siyu_server=debug,tower_http=info`) sets the level.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("SIYU_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let secret = auth::load_secret(&data_dir(&args)).unwrap_or_else(|e| fail(&format!("cannot keep the token secret: {e}")));
    let signer = auth::Signer::new(secret);
    if let Some(member) = &args.issue_token {
        if !auth::valid_member_id(member) {
            fail("the member id must be 1–64 characters of A-Z a-z 0-9 _ - . :");
        }
        println!("{}", signer.issue(member, siyu_server::clock::system_now_ms()));
        return;
    }

    let db = Db::connect(&args.database, args.max_connections).await.unwrap_or_else(|e| fail(&format!("cannot open {}: {e}", args.database)));
    let program_text = match db.load_program().await {
        Ok(Some(text)) => text,
        Ok(None) => match &args.program {
            Some(p) => std::fs::read_to_string(locate(p)).unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", p.display()))),
            None => std::fs::read_to_string(locate(Path::new("programs/health-food.json"))).unwrap_or_else(|_| siyu_server::DEMO_PROGRAM.to_string()),
        },
        Err(e) => fail(&format!("cannot read the stored program: {e}")),
    };
    let mut program = siyu_core::Program::from_json(&program_text).unwrap_or_else(|e| fail(&e.to_string()));
    let clock = Clock::system();
    if let Some(at) = args.clock_at {
        // The QA clock is an offset from the system clock: it starts at `at` and runs on.
        clock.set_offset_ms(at - siyu_server::clock::system_now_ms());
    }
    let now = clock.now();
    if args.demo {
        demo::shift_sales(&mut program, now);
    }
    let config = Config {
        demo: args.demo,
        rate_burst: args.rate_burst,
        rate_per_sec: args.rate_per_sec,
        admin_token: std::env::var("SIYU_ADMIN_TOKEN").ok().filter(|t| !t.is_empty()),
        cors_origins: args.cors_origins.clone(),
        payment: payment_provider(args.demo),
        webhooks: webhooks(),
    };
    let seed_program = program.clone();
    let svc = Service::new(db, program, signer, clock, config).await.unwrap_or_else(|e| fail(&format!("cannot prepare the database: {e}")));
    if args.demo {
        match demo::seed(&svc.db, &seed_program, now).await {
            Ok(seeded) if !seeded.is_empty() => tracing::info!(members = %seeded.join(", "), "seeded demo members"),
            Ok(_) => {}
            Err(e) => fail(&format!("cannot seed the demo members: {e}")),
        }
    }
    // Unpaid orders past their deadline are cancelled by the server itself (rulebook §8), so
    // their stock returns to other members even if the member never comes back.
    let sweeper = svc.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(SWEEP_EVERY_SECS));
        loop {
            tick.tick().await;
            if let Err(e) = sweeper.sweep_expired().await {
                tracing::warn!(code = e.code, message = %e.message, "sweep of expired orders failed; retried next round");
            }
        }
    });
    // Operator campaigns a stop interrupted run on from their cursor.
    let resumer = svc.clone();
    tokio::spawn(async move {
        match resumer.resume_campaigns().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(campaigns = n, "interrupted campaigns resumed and finished"),
            Err(e) => tracing::warn!(code = e.code, message = %e.message, "resuming campaigns failed; they resume when started again"),
        }
    });
    // Referral (§14): members from before referral get their code; the referrer's side of the
    // friends' decisions is drained when a decision writes it and every sweep round after a
    // failure or a restart.
    match svc.backfill_referral_codes().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(members = n, "referral codes given to existing members"),
        Err(e) => fail(&format!("cannot give members their referral codes: {}", e.message)),
    }
    let drain = svc.clone();
    tokio::spawn(async move {
        loop {
            if let Err(e) = drain.run_referral_tasks().await {
                tracing::warn!(code = e.code, message = %e.message, "referral tasks failed; retried next round");
            }
            let _ = tokio::time::timeout(std::time::Duration::from_secs(SWEEP_EVERY_SECS), drain.referral_wake.notified()).await;
        }
    });
    // Events out (docs/events.md): delivered when a decision writes them and retried on a timer.
    if svc.config.webhooks.is_some() {
        let courier = svc.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = courier.sweep_expired_points().await {
                    tracing::warn!(code = e.code, message = %e.message, "sweep of expired points failed; retried next round");
                }
                if let Err(e) = courier.deliver_events().await {
                    tracing::warn!(code = e.code, message = %e.message, "event delivery failed; retried next round");
                }
                let _ = tokio::time::timeout(std::time::Duration::from_millis(500), courier.events_wake.notified()).await;
            }
        });
    }
    let app = http::router(svc, &locate(&args.www), &locate(&args.pkg));
    let listener = tokio::net::TcpListener::bind(&args.listen).await.unwrap_or_else(|e| fail(&format!("cannot listen on {}: {e}", args.listen)));
    tracing::info!(
        address = %format!("http://{}", listener.local_addr().map(|a| a.to_string()).unwrap_or_else(|_| args.listen.clone())),
        database = if args.database.starts_with("postgres") { "PostgreSQL" } else { "SQLite" },
        demo = args.demo,
        cors = %args.cors_origins.join(","),
        "listening"
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
        fail(&format!("server error: {e}"));
    }
}
