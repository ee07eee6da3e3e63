// Times one quote of a 50-line cart natively (no JS boundary): the engine's own share of a quote.
use siyu::quote::{CouponChoice, QuoteRequest};
use siyu::{apply, apply_effects, Ctx, MemberState, Mutation, Program, Stock};
use std::time::Instant;

fn main() {
    let program = Program::from_json(include_str!("../programs/health-food.json")).expect("demo program");
    let now = 1_795_564_800_000; // 2026-11-25 (a Wednesday), 08:00 +08:00
    let stock = Stock::initial(&program);
    let mut state = MemberState::new("m1", now);
    for (i, t) in ["full-300-50", "free-ship", "memberday-15", "nuts-8", "pct-90-cap30"].iter().enumerate() {
        let ctx = Ctx { now, client_id: "c1", mutation_id: i as u64 + 1, stock: &stock, archived_order: None, referral_code: None };
        let applied = apply(&program, &state, &Mutation::ClaimCoupon { template: t.to_string() }, &ctx).expect("claim");
        apply_effects(&mut state, &applied.effects);
    }
    let skus = ["almond-250", "walnut-500", "oats-1kg", "vitc-60", "coconut-12"];
    let lines: Vec<_> = (0..50).map(|i| siyu::state::OrderLine { sku: skus[i % 5].into(), qty: 1 + (i % 3) as u32 }).collect();
    // A fuller wallet: 50 coupons, several copies of each claimable template, expiring at different times.
    let mut full = state.clone();
    let templates = ["full-300-50", "free-ship", "memberday-15", "nuts-8", "pct-90-cap30", "first-order-10", "repurchase-8", "streak-5", "mall-5"];
    for i in 0..50 {
        let t = program.template(templates[i % templates.len()]).expect("template");
        let at = now - (i as i64) * 3_600_000;
        full.coupons.push(siyu::coupons::issue(&program, t, format!("w-{i}"), "claim", at));
    }
    {
        let request = QuoteRequest { lines: lines.clone(), coupons: CouponChoice::default(), points: Default::default() };
        let n = 5_000;
        let t = Instant::now();
        let mut total = 0;
        for _ in 0..n {
            total += siyu::quote::quote(&program, &full, &stock, &request, now).expect("quote").total;
        }
        let per = t.elapsed().as_secs_f64() / n as f64 * 1e6;
        println!("50 lines, best of 50 coupons: {per:.1} µs to price [{}]", total / n);
    }
    for (label, coupons) in [
        ("2 chosen", CouponChoice::Chosen(vec![state.coupons[0].id.clone(), state.coupons[1].id.clone()])),
        ("best of 5", CouponChoice::default()),
    ] {
        let request = QuoteRequest { lines: lines.clone(), coupons, points: Default::default() };
        let n = 20_000;
        let t = Instant::now();
        let mut total = 0;
        for _ in 0..n {
            total += siyu::quote::quote(&program, &state, &stock, &request, now).expect("quote").total;
        }
        let per = t.elapsed().as_secs_f64() / n as f64 * 1e6;
        let json = serde_json::to_string(&siyu::quote::quote(&program, &state, &stock, &request, now).expect("quote")).expect("json");
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(serde_json::to_string(&siyu::quote::quote(&program, &state, &stock, &request, now).expect("quote")).expect("json"));
        }
        let with_json = t.elapsed().as_secs_f64() / n as f64 * 1e6;
        println!("50 lines, {label}: {per:.1} µs to price, {with_json:.1} µs with JSON output ({} bytes) [{}]", json.len(), total / n);
    }
}
