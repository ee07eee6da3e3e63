//! Multi-buy (N件M折, 第二件半价, 买二送一): unit discounts on the units no item promotion took yet.

use super::{Outcome, Pass, PromotionHint, PromotionStatus};
use crate::program::{Bp, Fen, BP_ONE};
use crate::program::Promotion;

fn off(unit: Fen, off_bp: Bp) -> Fen {
    (i128::from(unit) * i128::from(off_bp) / i128::from(BP_ONE)) as Fen
}

/// `nth {n, offBp}`: the eligible units, dearest first (ties: line order), in blocks of `n`; the
/// last unit of each whole block gets ⌊unit × offBp / 10000⌋ off. The units of whole blocks are
/// claimed (the full-price units of a 第二件半价 pair are part of the deal); the rest stay free for
/// later promotions.
pub(super) fn nth<'a>(pass: &mut Pass, p: &'a Promotion, eligible: &[bool], n: u32, off_bp: Bp) -> Outcome<'a> {
    let mut order: Vec<usize> = (0..eligible.len()).filter(|i| eligible[*i] && pass.unclaimed(*i) > 0).collect();
    // Stable: equal prices keep line order.
    crate::sort::sort_by(&mut order, |a, b| pass.unit[*b].cmp(&pass.unit[*a]));
    let total: u64 = order.iter().map(|i| u64::from(pass.unclaimed(*i))).sum();
    let n64 = u64::from(n);
    let take = total / n64 * n64;
    let short = total % n64;
    let mut outcome = Outcome::new(p, PromotionStatus::NotReached);
    if short > 0 {
        outcome.next = Some(PromotionHint::units((n64 - short) as i64, off_bp));
    }
    let mut shares = vec![0; eligible.len()];
    let mut claims = vec![0u32; eligible.len()];
    let mut position = 0u64;
    for &i in &order {
        if position >= take {
            break;
        }
        let here = u64::from(pass.unclaimed(i)).min(take - position);
        // Positions q in [position, position + here) with (q + 1) a multiple of n.
        let discounted = (position + here) / n64 - position / n64;
        shares[i] = off(pass.unit[i], off_bp) * discounted as Fen;
        claims[i] = here as u32;
        position += here;
    }
    if shares.iter().any(|s| *s > 0) {
        for (c, k) in pass.claimed.iter_mut().zip(&claims) {
            *c += k;
        }
        pass.take(&mut outcome, shares);
        outcome.status = PromotionStatus::Applied;
    }
    outcome
}

/// `minQty {qty, offBp}`: with at least `qty` eligible units, each of them gets offBp off.
pub(super) fn min_qty<'a>(pass: &mut Pass, p: &'a Promotion, eligible: &[bool], qty: u32, off_bp: Bp) -> Outcome<'a> {
    let lines: Vec<usize> = (0..eligible.len()).filter(|i| eligible[*i] && pass.unclaimed(*i) > 0).collect();
    let total: u64 = lines.iter().map(|i| u64::from(pass.unclaimed(*i))).sum();
    let mut outcome = Outcome::new(p, PromotionStatus::NotReached);
    if total < u64::from(qty) {
        outcome.next = Some(PromotionHint::units((u64::from(qty) - total) as i64, off_bp));
        return outcome;
    }
    let mut shares = vec![0; eligible.len()];
    for &i in &lines {
        shares[i] = off(pass.unit[i], off_bp) * Fen::from(pass.unclaimed(i));
    }
    if shares.iter().any(|s| *s > 0) {
        for &i in &lines {
            pass.claimed[i] = pass.lines[i].qty;
        }
        pass.take(&mut outcome, shares);
        outcome.status = PromotionStatus::Applied;
    }
    outcome
}
