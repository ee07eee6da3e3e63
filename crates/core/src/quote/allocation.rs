//! Exact allocation: an amount split over lines to the fen, and the sums of lines in scope.

use crate::program::Fen;

/// Split `amount` over lines pro rata to `weights`: floor each share, then hand out the remaining
/// fen one at a time by largest fractional remainder (ties: lower index). Requires
/// 0 ≤ amount ≤ Σ weights; then shares sum to `amount` and no share exceeds its weight.
pub fn allocate(amount: Fen, weights: &[Fen]) -> Vec<Fen> {
    let total: i128 = weights.iter().map(|w| *w as i128).sum();
    if total <= 0 || amount <= 0 {
        return vec![0; weights.len()];
    }
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut given: Fen = 0;
    for (i, w) in weights.iter().enumerate() {
        let exact = amount as i128 * *w as i128;
        let share = (exact / total) as Fen;
        shares.push(share);
        remainders.push((exact % total, i));
        given += share;
    }
    let left = (amount - given) as usize;
    if left > 0 && left <= remainders.len() {
        // Only which lines get the extra fen matters, not their order: select the `left` largest
        // remainders (ties: lower index) instead of sorting them all.
        remainders.select_nth_unstable_by(left - 1, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, i) in &remainders[..left] {
            shares[i] += 1;
        }
    }
    shares
}

/// Σ of the amounts of the lines in scope.
pub(super) fn eligible_sum(eligible: &[bool], amounts: &[Fen]) -> Fen {
    eligible.iter().zip(amounts).filter(|(e, _)| **e).map(|(_, a)| *a).sum()
}
