//! The small test program and a harness shared by the rule examples and the property tests.
#![allow(dead_code)]

use serde_json::{json, Value};
use siyu::apply::{apply, apply_effects, apply_stock, Ctx, Effect, Mutation, STORE_CLIENT};
use siyu::program::{Points, Program};
use siyu::quote::{CouponChoice, PointsChoice, Pricer, Quote, QuoteRequest};
use siyu::state::{CouponInstance, MemberState, OrderLine};
use siyu::time::{Day, Instant, MS_PER_DAY, MS_PER_MINUTE};
use siyu::{Rejection, Stock};

pub const OFFSET: i32 = 480;
pub const HOUR: i64 = 60 * MS_PER_MINUTE;
pub const DAY: i64 = MS_PER_DAY;

/// The business day `y-m-d` (panics on a bad date: test data only).
pub fn day(y: i32, m: u8, d: u8) -> Day {
    Day::from_ymd(y, m, d).expect("valid test date")
}

/// `y-m-d hh:mm` China time (UTC+8) as an instant.
pub fn at(y: i32, m: u8, d: u8, hh: i64, mm: i64) -> Instant {
    day(y, m, d).start(OFFSET) + hh * HOUR + mm * MS_PER_MINUTE
}

/// The limited sale of `honey` opens at 2026-11-20 10:00 China time for a week.
pub fn sale_start() -> Instant {
    at(2026, 11, 20, 10, 0)
}

/// The test program "小茶铺": three ordinary SKUs and one limited-sale SKU, two tiers, a weekly
/// check-in, year-end points, Wednesday and 1st-of-month member days, a birthday month, and a
/// coupon template for every kind, group and audience.
pub fn program_json() -> Value {
    json!({
        "name": "小茶铺 test mall",
        "utcOffsetMinutes": 480,
        "categories": [ { "id": "tea", "name": "茶" }, { "id": "snack", "name": "零食" } ],
        "catalog": [
            { "id": "tea", "name": "龙井 250g", "category": "tea", "listPrice": 10000, "memberPrices": { "gold": 9000 } },
            { "id": "nuts", "name": "坚果 500g", "category": "snack", "listPrice": 5000, "memberPrices": { "gold": 4500 } },
            { "id": "cookie", "name": "曲奇", "category": "snack", "listPrice": 3000, "memberDayEligible": false },
            { "id": "honey", "name": "蜂蜜 限量", "category": "tea", "listPrice": 20000, "memberPrices": { "gold": 16000 } }
        ],
        "tiers": [
            { "id": "silver", "name": "银卡", "minGrowth": 0, "pointsMultiplierBp": 10000, "memberDayDiscountBp": 200 },
            { "id": "gold", "name": "金卡", "minGrowth": 100000, "pointsMultiplierBp": 15000, "memberDayDiscountBp": 500,
              "earlyAccessMinutes": 30, "birthdayCoupon": "bday-gold" }
        ],
        "growth": { "type": "lifetime" },
        "checkIn": {
            "cycle": "weekly",
            "basePoints": 5,
            "streakBonuses": [ { "day": 3, "points": 10 }, { "day": 7, "points": 30, "coupons": ["streak-5"] } ],
            "makeup": { "windowDays": 3, "costPoints": 20, "maxPerMonth": 2 },
            "reminderHour": 20
        },
        "points": {
            "pointsPerYuan": 1,
            "expiry": { "type": "yearEnd", "years": 1 },
            "redeemRate": 100,
            "unit": 100,
            "maxPercentOfOrderBp": 2000,
            "minBalance": 100
        },
        "memberDay": { "weekdays": [3], "monthDays": [1], "pointsMultiplierBp": 20000, "checkInBonusPoints": 10 },
        "birthday": { "window": "month", "pointsMultiplierBp": 15000, "coupon": "bday" },
        "couponTemplates": [
            { "id": "new-10", "name": "首单礼 ¥10", "kind": { "type": "amountOff", "amount": 1000 },
              "stackGroup": "order", "validity": { "type": "relative", "days": 30 } },
            { "id": "full-200-30", "name": "满200减30", "kind": { "type": "amountOff", "amount": 3000 }, "minSpend": 20000,
              "stackGroup": "order", "validity": { "type": "relative", "days": 30 }, "perMember": 1, "totalQuota": 2, "claimable": true },
            { "id": "pct-10", "name": "9折 最高减¥20", "kind": { "type": "percentOff", "bp": 1000, "maxDiscount": 2000 },
              "stackGroup": "order", "validity": { "type": "relative", "days": 7 }, "perMember": 1, "claimable": true },
            { "id": "snack-5", "name": "零食满40减5", "kind": { "type": "amountOff", "amount": 500 }, "minSpend": 4000,
              "scope": { "categories": ["snack"] }, "stackGroup": "item", "validity": { "type": "relative", "days": 14 },
              "perMember": 2, "claimable": true },
            { "id": "ship", "name": "包邮券", "kind": { "type": "freeShipping" }, "stackGroup": "shipping",
              "validity": { "type": "relative", "days": 14 }, "perMember": 1, "claimable": true },
            { "id": "md-15", "name": "会员日 满99减15", "kind": { "type": "amountOff", "amount": 1500 }, "minSpend": 9900,
              "stackGroup": "order", "validity": { "type": "relative", "days": 1 }, "audience": { "memberDay": true }, "claimable": true },
            { "id": "bday", "name": "生日券 ¥20", "kind": { "type": "amountOff", "amount": 2000 }, "minSpend": 6000,
              "stackGroup": "order", "validity": { "type": "relative", "days": 30 }, "audience": { "birthday": true }, "claimable": true },
            { "id": "bday-gold", "name": "金卡生日券 ¥50", "kind": { "type": "amountOff", "amount": 5000 }, "minSpend": 10000,
              "stackGroup": "order", "validity": { "type": "relative", "days": 30 }, "audience": { "birthday": true }, "claimable": true },
            { "id": "streak-5", "name": "连签礼 满50减5", "kind": { "type": "amountOff", "amount": 500 }, "minSpend": 5000,
              "stackGroup": "order", "validity": { "type": "relative", "days": 7 } },
            { "id": "repeat-8", "name": "复购礼 满88减8", "kind": { "type": "amountOff", "amount": 800 }, "minSpend": 8800,
              "stackGroup": "order", "validity": { "type": "relative", "days": 30, "fromNextDay": true } },
            { "id": "lapsing-20", "name": "老友回归 ¥20", "kind": { "type": "amountOff", "amount": 2000 }, "minSpend": 10000,
              "stackGroup": "order", "validity": { "type": "relative", "days": 14 }, "audience": { "segments": ["lifecycle.lapsing"] },
              "claimable": true },
            { "id": "gold-10", "name": "金卡专享 ¥10", "kind": { "type": "amountOff", "amount": 1000 },
              "stackGroup": "item", "validity": { "type": "relative", "days": 30 }, "audience": { "minTier": "gold" }, "claimable": true },
            { "id": "solo-20", "name": "8折 独享", "kind": { "type": "percentOff", "bp": 2000 }, "exclusive": true,
              "stackGroup": "order", "validity": { "type": "relative", "days": 7 }, "claimable": true },
            { "id": "newbie-3", "name": "新人 ¥3", "kind": { "type": "amountOff", "amount": 300 },
              "stackGroup": "item", "validity": { "type": "relative", "days": 7 }, "audience": { "newMember": true }, "claimable": true },
            { "id": "mall-5", "name": "积分券 ¥5", "kind": { "type": "amountOff", "amount": 500 },
              "stackGroup": "item", "validity": { "type": "relative", "days": 30 }, "perMember": 1, "claimable": true }
        ],
        "gifts": { "firstOrder": "new-10", "repurchase": { "minPaid": 8800, "template": "repeat-8" } },
        "rewards": [
            { "id": "r-coupon", "name": "¥5 券", "costPoints": 500, "grants": { "type": "coupon", "template": "mall-5" }, "perMember": 2 },
            { "id": "r-cup", "name": "茶杯", "costPoints": 3000, "grants": { "type": "goods", "description": "茶杯一只" },
              "perMember": 1, "stock": 1 }
        ],
        "limitedSales": [
            { "sku": "honey", "startsAt": sale_start(), "endsAt": sale_start() + 7 * DAY, "salePrice": 15000,
              "perMember": 1, "stock": 2 }
        ],
        "shipping": { "baseFee": 800, "freeThreshold": 9900 },
        "refundDays": 7,
        "remindDays": 3,
        "referral": { "friendCoupon": "newbie-3", "referrerReward": { "points": 200, "coupon": "mall-5" },
                      "minFirstPaid": 5000, "bindDays": 7, "maxRewardsPerMonth": 2 }
    })
}

pub fn load(v: &Value) -> Program {
    Program::from_json(&v.to_string()).unwrap_or_else(|e| panic!("test program: {e}"))
}

pub fn program() -> Program {
    load(&program_json())
}

/// The test program with a change applied to its JSON.
pub fn program_with(change: impl FnOnce(&mut Value)) -> Program {
    let mut v = program_json();
    change(&mut v);
    load(&v)
}

pub fn lines(items: &[(&str, u32)]) -> Vec<OrderLine> {
    items.iter().map(|(sku, qty)| OrderLine { sku: sku.to_string(), qty: *qty }).collect()
}

/// Coupon ids issued by some effects.
pub fn issued(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::CouponIssued { coupon } => Some(coupon.id.clone()),
            _ => None,
        })
        .collect()
}

pub fn issued_coupons(effects: &[Effect]) -> Vec<CouponInstance> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::CouponIssued { coupon } => Some(coupon.clone()),
            _ => None,
        })
        .collect()
}

/// Points credited by some effects.
pub fn credited(effects: &[Effect]) -> Points {
    effects
        .iter()
        .map(|e| match e {
            Effect::PointsCredited { lot, .. } => lot.points,
            Effect::PointsRestored { lots, .. } => lots.iter().map(|l| l.points).sum(),
            _ => 0,
        })
        .sum()
}

/// One member driven through `apply`, with its own view of the shared stock.
pub struct Member {
    pub program: Program,
    pub state: MemberState,
    pub stock: Stock,
    pub client: String,
    pub next_id: u64,
    /// The next mutation id of the store's client (payments, expired orders).
    pub store_next: u64,
}

impl Member {
    pub fn new(program: Program, joined_at: Instant) -> Member {
        let stock = Stock::initial(&program);
        Member { program, state: MemberState::new("m1", joined_at), stock, client: "c".into(), next_id: 1, store_next: 1 }
    }

    /// A member with another id (referral tells members apart by it).
    pub fn named(program: Program, member_id: &str, joined_at: Instant) -> Member {
        let mut m = Member::new(program, joined_at);
        m.state.member_id = member_id.into();
        m
    }

    /// Apply a mutation; on success the effects change the state and the stock.
    pub fn run(&mut self, mutation: Mutation, now: Instant) -> Result<Vec<Effect>, Rejection> {
        self.run_with(mutation, now, None)
    }

    /// Apply a mutation with the server's word on the referral code it accepts.
    pub fn run_with(&mut self, mutation: Mutation, now: Instant, referral_code: Option<siyu::referral::CodeLookup>) -> Result<Vec<Effect>, Rejection> {
        let id = self.next_id;
        let ctx = Ctx { now, client_id: &self.client, mutation_id: id, stock: &self.stock, archived_order: None, referral_code };
        let applied = apply(&self.program, &self.state, &mutation, &ctx)?;
        apply_effects(&mut self.state, &applied.effects);
        apply_stock(&mut self.stock, &applied.effects);
        self.next_id += 1;
        Ok(applied.effects)
    }

    /// Apply a change of the store's own (rulebook §15), as the server decides it.
    pub fn as_store(&mut self, mutation: Mutation, now: Instant) -> Result<Vec<Effect>, Rejection> {
        let id = self.store_next;
        let ctx = Ctx { now, client_id: STORE_CLIENT, mutation_id: id, stock: &self.stock, archived_order: None, referral_code: None };
        let applied = apply(&self.program, &self.state, &mutation, &ctx)?;
        apply_effects(&mut self.state, &applied.effects);
        apply_stock(&mut self.stock, &applied.effects);
        self.store_next += 1;
        Ok(applied.effects)
    }

    /// The store confirms the payment of an order awaiting it, for its exact total.
    pub fn pay(&mut self, order_id: &str, now: Instant) -> Result<Vec<Effect>, Rejection> {
        let amount = self.state.order(order_id).map_or(0, |o| o.total);
        self.as_store(Mutation::ConfirmPayment { order_id: order_id.into(), amount, transaction_id: Some(format!("tx-{order_id}")) }, now)
    }

    /// The id the store's next change's n-th new object will get.
    pub fn next_store_object_id(&self, n: usize) -> String {
        format!("{STORE_CLIENT}-{}-{}", self.store_next, n)
    }

    /// The id the next mutation's n-th new object will get.
    pub fn next_object_id(&self, n: usize) -> String {
        format!("{}-{}-{}", self.client, self.next_id, n)
    }

    pub fn check_in(&mut self, now: Instant) -> Result<Vec<Effect>, Rejection> {
        self.run(Mutation::CheckIn {}, now)
    }

    pub fn makeup(&mut self, d: Day, now: Instant) -> Result<Vec<Effect>, Rejection> {
        self.run(Mutation::MakeupCheckIn { day: d }, now)
    }

    pub fn claim(&mut self, template: &str, now: Instant) -> Result<Vec<Effect>, Rejection> {
        self.run(Mutation::ClaimCoupon { template: template.into() }, now)
    }

    /// Claim a template and return the new coupon's id.
    pub fn claim_id(&mut self, template: &str, now: Instant) -> String {
        let effects = self.claim(template, now).unwrap_or_else(|e| panic!("claim {template}: {e}"));
        issued(&effects).remove(0)
    }

    pub fn redeem(&mut self, reward: &str, now: Instant) -> Result<Vec<Effect>, Rejection> {
        self.run(Mutation::RedeemReward { reward: reward.into() }, now)
    }

    /// Add a coupon of `template` to the wallet as if it had been granted at `now`.
    pub fn give(&mut self, template: &str, id: &str, now: Instant) -> String {
        let t = self.program.template(template).expect("known template").clone();
        let coupon = siyu::coupons::issue(&self.program, &t, id.to_string(), "test", now);
        apply_effects(&mut self.state, &[Effect::CouponIssued { coupon }]);
        id.to_string()
    }

    /// Credit a lot of points earned at `now` (with the program's expiry).
    pub fn grant(&mut self, points: Points, now: Instant) {
        let client = format!("grant{}", self.state.lots.len());
        let ctx = Ctx { now, client_id: &client, mutation_id: 0, stock: &self.stock, archived_order: None, referral_code: None };
        let effect = siyu::apply::credit(&self.program, &ctx, 0, points, "test");
        apply_effects(&mut self.state, &[effect]);
    }

    pub fn balance(&self, now: Instant) -> Points {
        siyu::points::balance(&self.state, now)
    }

    /// Points credited but not yet available (§2).
    pub fn pending(&self, now: Instant) -> Points {
        siyu::points::summary(&self.state, now).pending
    }

    /// Make every lot available since it was earned, as lots credited before pending points
    /// existed were (states written then carry no `availableAt`).
    pub fn forget_pending(&mut self) {
        for lot in &mut self.state.lots {
            lot.available_at = None;
        }
    }

    pub fn quote(&self, items: &[(&str, u32)], coupons: CouponChoice, points: PointsChoice, now: Instant) -> Quote {
        let request = QuoteRequest { lines: lines(items), coupons, points };
        siyu::quote::quote(&self.program, &self.state, &self.stock, &request, now).unwrap_or_else(|e| panic!("quote: {e:?}"))
    }

    pub fn pricer(&self, items: &[(&str, u32)], now: Instant) -> Pricer<'_> {
        Pricer::new(&self.program, &self.state, &self.stock, &lines(items), now).expect("pricer")
    }

    /// Quote the cart with these coupons and points, then place it at the quoted total: it
    /// awaits payment if the total is above 0.
    pub fn place(&mut self, order_id: &str, items: &[(&str, u32)], coupons: &[&str], points: Points, now: Instant) -> Result<(Quote, Vec<Effect>), Rejection> {
        let ids: Vec<String> = coupons.iter().map(|c| c.to_string()).collect();
        let quote = self.quote(items, CouponChoice::Chosen(ids.clone()), PointsChoice::Amount(points), now);
        let effects = self.run(
            Mutation::PlaceOrder { order_id: order_id.into(), lines: lines(items), coupons: ids, points, expected_total: quote.total },
            now,
        )?;
        Ok((quote, effects))
    }

    /// Place the order and have it paid at the same instant: the placing's effects, then the
    /// payment's.
    pub fn buy(&mut self, order_id: &str, items: &[(&str, u32)], coupons: &[&str], points: Points, now: Instant) -> Result<(Quote, Vec<Effect>), Rejection> {
        let (quote, mut effects) = self.place(order_id, items, coupons, points, now)?;
        if quote.total > 0 {
            effects.extend(self.pay(order_id, now)?);
        }
        Ok((quote, effects))
    }

    pub fn refund(&mut self, order_id: &str, now: Instant) -> Result<Vec<Effect>, Rejection> {
        self.run(Mutation::RefundOrder { order_id: order_id.into() }, now)
    }
}
