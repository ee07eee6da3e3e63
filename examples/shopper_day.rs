//! A shopper's day with the demo program: check in, claim coupons, price a cart with every step
//! explained, place the order. `cargo run --example shopper_day`
use siyu::error::yuan;
use siyu::sync::replica::Mall;
use siyu::quote::{CouponChoice, PointsChoice, QuoteRequest};
use siyu::state::OrderLine;
use siyu::Mutation;

fn main() {
    let program = siyu::Program::from_json(include_str!("../programs/health-food.json")).expect("the demo program is valid");
    // Wednesday 25 November 2026, 10:00 in China: member day in the demo program.
    let now = 1_795_572_000_000;
    let mut mall = Mall::new(program, "demo-shopper", "phone-1", now);
    let day = mall.program.business_day(now);
    println!("— {} (business day {day}), member day: {}", mall.program.name, siyu::member_day::is_member_day(&mall.program, day));

    match mall.mutate(Mutation::CheckIn {}, now) {
        Ok((_, applied)) => println!("签到 check-in: {:?}", applied.effects.iter().map(describe).collect::<Vec<_>>()),
        Err(e) => println!("check-in refused: {} ({})", e.message(), e.code()),
    }
    for template in ["full-300-50", "memberday-15", "free-ship", "pct-90-cap30"] {
        match mall.mutate(Mutation::ClaimCoupon { template: template.into() }, now) {
            Ok(_) => println!("领券 claimed {template}"),
            Err(e) => println!("claim of {template} refused: {} ({})", e.message(), e.code()),
        }
    }

    let lines = vec![OrderLine { sku: "protein-1kg".into(), qty: 1 }, OrderLine { sku: "almond-250".into(), qty: 2 }];
    let request = QuoteRequest { lines: lines.clone(), coupons: CouponChoice::default(), points: PointsChoice::default() };
    let quote = siyu::quote::quote(&mall.program, mall.state(), mall.stock(), &request, now).expect("the cart is valid");
    println!("\n购物车 cart — why this price:");
    for line in &quote.lines {
        println!("  {} × {}: list {} → {}", line.name, line.qty, yuan(line.list_amount), yuan(line.paid));
        for a in &line.adjustments {
            println!("      − {} {:?} ({})", yuan(a.amount), a.kind, a.source);
        }
    }
    for c in &quote.coupons {
        println!("  coupon {} ({}) −{}", c.name, c.id, yuan(c.discount));
    }
    for u in &quote.unusable {
        println!("  not usable: {} — {:?}{}", u.name, u.reason, if u.missing > 0 { format!(", add {} more", yuan(u.missing)) } else { String::new() });
    }
    println!(
        "  goods {} · member day −{} · coupons −{} · shipping {} · total {} (saved {}) · earns {} points",
        yuan(quote.goods),
        yuan(quote.member_day_discount),
        yuan(quote.coupon_discount),
        yuan(quote.shipping),
        yuan(quote.total),
        yuan(quote.saved),
        quote.points.earn
    );

    let coupons = quote.coupons.iter().map(|c| c.id.clone()).collect();
    let order = Mutation::PlaceOrder { order_id: "order-1".into(), lines, coupons, points: 0, expected_total: quote.total };
    match mall.mutate(order, now) {
        Ok((id, applied)) => {
            println!("\n下单 order placed (mutation {id}): {:?}", applied.effects.iter().map(describe).collect::<Vec<_>>());
        }
        Err(e) => println!("order refused: {} ({})", e.message(), e.code()),
    }
    let points = siyu::points::summary(mall.state(), now);
    let tier = siyu::tiers::progress(&mall.program, mall.state(), now);
    println!(
        "\n我的 me: {} points · tier {} · {} to {} · {} mutations waiting to sync",
        points.balance,
        tier.tier_name,
        yuan(tier.to_next),
        tier.next_tier.as_deref().unwrap_or("-"),
        mall.pending().len()
    );
}

fn describe(effect: &siyu::Effect) -> String {
    use siyu::Effect::*;
    match effect {
        CheckedIn { check_in, streak, .. } => format!("checked in {} (streak {streak})", check_in.day),
        PointsCredited { lot, .. } => format!("+{} points", lot.points),
        PointsRestored { lots, .. } => format!("+{} points back", lots.iter().map(|l| l.points).sum::<i64>()),
        PointsDebited { lots, .. } => format!("−{} points", lots.iter().map(|l| l.points).sum::<i64>()),
        CouponIssued { coupon } => format!("coupon {} ({})", coupon.template, coupon.source),
        CouponUsed { coupon, .. } => format!("used {coupon}"),
        OrderPlaced { order } => format!("order {} paid {}", order.id, yuan(order.total)),
        other => format!("{other:?}"),
    }
}
