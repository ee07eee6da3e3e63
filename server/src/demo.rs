//! Demo mode: the limited sale moved so it is always upcoming, and three members with history at
//! different stages (`new`, `loyal`, `lapsing`), made by running the engine over a scripted past.

use crate::db::Db;
use crate::error::ApiError;
use siyu_core::apply::{apply, apply_effects, Ctx, Effect, Mutation, STORE_CLIENT};
use siyu_core::program::Program;
use siyu_core::quote::{CouponChoice, PointsChoice, QuoteRequest};
use siyu_core::state::{MemberState, OrderLine};
use siyu_core::stock::Stock;
use siyu_core::time::{MonthDay, MS_PER_DAY};

const HOUR: i64 = 3_600_000;

/// Move every limited sale to start 2 days after the business day of `now`, at 20:00 local, keeping
/// its length.
pub fn shift_sales(program: &mut Program, now: i64) {
    let off = program.utc_offset_minutes;
    let start = program.business_day(now).plus(2).start(off) + 20 * HOUR;
    for sale in &mut program.limited_sales {
        let length = (sale.ends_at - sale.starts_at).max(HOUR);
        sale.starts_at = start;
        sale.ends_at = start + length;
    }
}

/// A scripted past: intents at instants, applied in order by the engine.
struct Script<'p> {
    program: &'p Program,
    client: String,
    state: MemberState,
    effects: Vec<Effect>,
    next_id: u64,
    /// The store's changes in this history (payments) are its client's mutations 1..=this.
    store_last: u64,
    /// Counters are not taken by history (unknown counters count as available).
    stock: Stock,
}

impl<'p> Script<'p> {
    fn new(program: &'p Program, member: &str, joined_at: i64) -> Script<'p> {
        Script {
            program,
            client: format!("~seed-{member}"),
            state: MemberState::new(member, joined_at),
            effects: Vec::new(),
            next_id: 1,
            store_last: 0,
            stock: Stock::default(),
        }
    }

    fn run(&mut self, mutation: Mutation, at: i64) -> bool {
        let (client, id) = if mutation.is_store_only() {
            self.store_last += 1;
            (STORE_CLIENT.to_string(), self.store_last)
        } else {
            self.next_id += 1;
            (self.client.clone(), self.next_id - 1)
        };
        let ctx = Ctx { now: at, client_id: &client, mutation_id: id, stock: &self.stock, archived_order: None, referral_code: None };
        match apply(self.program, &self.state, &mutation, &ctx) {
            Ok(applied) => {
                apply_effects(&mut self.state, &applied.effects);
                self.effects.extend(applied.effects);
                true
            }
            Err(_) => false,
        }
    }

    /// Local time `hour` on the business day `days` from the day of `now`.
    fn at(&self, now: i64, days: i32, hour: i64) -> i64 {
        self.program.business_day(now).plus(days).start(self.program.utc_offset_minutes) + hour * HOUR
    }

    fn check_in(&mut self, at: i64) {
        self.run(Mutation::CheckIn {}, at);
    }

    /// An order at the price the engine quotes, with the best coupons.
    fn order(&mut self, skus: &[(&str, u32)], at: i64) {
        let lines: Vec<OrderLine> = skus.iter().filter(|(s, _)| self.program.sku(s).is_some()).map(|(s, q)| OrderLine { sku: s.to_string(), qty: *q }).collect();
        if lines.is_empty() {
            return;
        }
        let request = QuoteRequest { lines: lines.clone(), coupons: CouponChoice::default(), points: PointsChoice::Amount(0) };
        let Ok(quote) = siyu_core::quote::quote(self.program, &self.state, &self.stock, &request, at) else { return };
        let order_id = format!("H{}-{}", self.state.member_id, self.next_id);
        let placed = self.run(
            Mutation::PlaceOrder {
                order_id: order_id.clone(),
                lines,
                coupons: quote.coupons.iter().map(|c| c.id.clone()).collect(),
                points: 0,
                expected_total: quote.total,
            },
            at,
        );
        // Paid two minutes later, as the store would record it.
        if placed && quote.total > 0 {
            let transaction_id = Some(format!("seed-{order_id}"));
            self.run(Mutation::ConfirmPayment { order_id, amount: quote.total, transaction_id }, at + 2 * 60_000);
        }
    }
}

fn skus(program: &Program, i: usize, n: usize) -> Vec<(&str, u32)> {
    let count = program.catalog.len().max(1);
    (0..n).map(|k| (program.catalog[(i * 7 + k * 3) % count].id.as_str(), 1 + ((i + k) % 2) as u32)).collect()
}

/// A seeded member: its state, the effects that made it, and how many of its mutations were
/// the store's.
type Seeded = (String, MemberState, Vec<Effect>, u64);

/// The three demo members as they would be at `now`.
pub fn histories(program: &Program, now: i64) -> Vec<Seeded> {
    let mut out = Vec::new();

    // new: joined an hour ago, nothing yet.
    let fresh = Script::new(program, "new", now - HOUR);
    out.push(("new".to_string(), fresh.state, fresh.effects, 0));

    // loyal: over a year of orders every ~2.5 weeks, regular check-ins, a birthday, claimed
    // coupons: gold or better, with a check-in streak running up to yesterday.
    let mut s = Script::new(program, "loyal", now - 420 * MS_PER_DAY);
    let joined = -418;
    s.check_in(s.at(now, joined, 9));
    s.run(Mutation::SetBirthday { birthday: MonthDay { month: 3, day: 15 } }, s.at(now, joined, 9) + 60_000);
    let mut day = -360;
    let mut i = 0;
    while day <= -3 {
        // Oldest first: the history is written in the order it happened. The last round starts
        // the streak that runs up to yesterday: over a week, so this week's cycle is whole.
        let back = if day + 17 > -3 { 7 } else { 3 };
        for k in (0..back).rev() {
            let t = s.at(now, day - k, 8);
            s.check_in(t);
        }
        if i % 3 == 0 {
            let t = s.at(now, day, 10);
            s.run(Mutation::ClaimCoupon { template: "nuts-8".into() }, t);
        }
        let t = s.at(now, day, 20);
        let cart = skus(program, i, 2 + i % 2);
        s.order(&cart, t);
        day += 17;
        i += 1;
    }
    // The streak runs on from the last order's day (17 days before `day`) up to yesterday.
    for d in (day - 16)..=-1 {
        let t = s.at(now, d, 8);
        s.check_in(t);
    }
    let t = s.at(now, -1, 12);
    s.run(Mutation::RedeemReward { reward: "coupon-5".into() }, t);
    out.push(("loyal".to_string(), s.state, s.effects, s.store_last));

    // lapsing: three orders long ago, the last one 150 days ago, nothing since.
    let mut s = Script::new(program, "lapsing", now - 500 * MS_PER_DAY);
    for (n, day) in [-420, -300, -150].into_iter().enumerate() {
        let t = s.at(now, day, 9);
        s.check_in(t);
        let t = s.at(now, day, 21);
        let cart = skus(program, n + 5, 2);
        s.order(&cart, t);
    }
    out.push(("lapsing".to_string(), s.state, s.effects, s.store_last));
    out
}

/// Seed the demo members that do not exist yet. Returns the ids seeded.
pub async fn seed(db: &Db, program: &Program, now: i64) -> Result<Vec<String>, ApiError> {
    let mut seeded = Vec::new();
    for (member, state, effects, store_last) in histories(program, now) {
        if crate::service::insert_member(db, &member, &state, &effects, now).await? {
            // The store's next change for this member follows the ones in its history.
            let mut conn = db.pool.acquire().await?;
            crate::store::register_client(&mut conn, db, &member, STORE_CLIENT, now).await?;
            crate::store::set_client_last(&mut conn, db, &member, STORE_CLIENT, store_last as i64).await?;
            seeded.push(member);
        }
    }
    Ok(seeded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program() -> Program {
        Program::from_json(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../programs/health-food.json")).unwrap()).unwrap()
    }

    #[test]
    fn demo_members_are_at_different_stages() {
        let p = program();
        let now = 1_790_000_000_000;
        let h = histories(&p, now);
        let get = |id: &str| &h.iter().find(|(m, ..)| m == id).unwrap().1;
        let loyal = get("loyal");
        let tier = siyu_core::tiers::current_tier(&p, loyal, now);
        assert!(tier.id == "gold" || tier.id == "diamond", "loyal is {}", tier.id);
        assert!(loyal.orders.len() >= 15, "loyal has {} orders", loyal.orders.len());
        assert!(loyal.orders.iter().all(|o| o.is_paid() && o.paid_at.is_some()), "the seeded orders were paid");
        assert!(loyal.check_ins.len() >= 40);
        let seg = siyu_core::segments::of(loyal, now);
        let lapsing = get("lapsing");
        assert_eq!(lapsing.orders.len(), 3);
        let last = lapsing.orders.iter().map(|o| o.placed_at).max().unwrap();
        assert!(now - last > 120 * MS_PER_DAY);
        assert!(get("new").orders.is_empty());
        // Every history is written in time order: the points ledger reads newest first.
        for (member, state, ..) in &h {
            let bad = state.ledger.windows(2).find(|w| w[0].at > w[1].at);
            assert!(bad.is_none(), "{member}'s ledger is out of date order: {bad:?}");
        }
        let _ = seg;
    }

    #[test]
    fn the_sale_moves_to_two_days_ahead_at_eight_pm() {
        let mut p = program();
        let now = 1_790_000_000_000;
        shift_sales(&mut p, now);
        let sale = &p.limited_sales[0];
        let day = p.business_day(now).plus(2);
        assert_eq!(sale.starts_at, day.start(p.utc_offset_minutes) + 20 * HOUR);
        assert!(sale.ends_at > sale.starts_at);
    }
}
