// Profiles quotes on a fixture file written by the benchmarks (program, state, lines, chosen, now):
// `cargo run --release --example quote_profile -- /path/to/fixture.json`
use siyu::quote::{CouponChoice, QuoteRequest};
use siyu::{MemberState, Program, Stock};
use std::time::Instant;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: quote_profile FIXTURE.json");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(&path).expect("fixture file");
    let fx: serde_json::Value = serde_json::from_str(&text).expect("fixture JSON");
    let program = Program::from_json(&fx["program"].to_string()).expect("program");
    let state: MemberState = serde_json::from_value(fx["state"].clone()).expect("state");
    let lines = serde_json::from_value(fx["lines"].clone()).expect("lines");
    let chosen: Vec<String> = serde_json::from_value(fx["chosen"].clone()).expect("chosen");
    let now = fx["now"].as_i64().expect("now");
    let stock = Stock::initial(&program);
    for (label, coupons) in [("2 chosen", CouponChoice::Chosen(chosen)), ("best", CouponChoice::default())] {
        let request = QuoteRequest { lines: Vec::clone(&lines), coupons, points: siyu::quote::PointsChoice::Mode(siyu::quote::PointsMode::Max) };
        let n = 3_000;
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(siyu::quote::quote(&program, &state, &stock, &request, now).expect("quote"));
        }
        let price = t.elapsed().as_secs_f64() / n as f64 * 1e6;
        let t = Instant::now();
        let mut bytes = 0;
        for _ in 0..n {
            bytes = serde_json::to_string(&siyu::quote::quote(&program, &state, &stock, &request, now).expect("quote")).expect("json").len();
        }
        let json = t.elapsed().as_secs_f64() / n as f64 * 1e6;
        println!("{label}: {price:.1} µs to price, {json:.1} µs with JSON output ({bytes} bytes)");
    }
}
