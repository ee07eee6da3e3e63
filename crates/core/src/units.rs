//! The units every layer counts in: money in integer fen, points, basis points. (Time is in
//! `time`.) Nothing here imports anything of the engine.

/// Money in fen (分): integer, 100 = ¥1.
pub type Fen = i64;
/// A number of points.
pub type Points = i64;
/// Basis points: 10000 = 100 %, and for multipliers 10000 = ×1.
pub type Bp = i64;

/// The most units of one line.
pub const MAX_QTY: u32 = 999;
/// Lines of one cart or order. With prices ≤ ¥1,000,000 and quantities ≤ 999 every sum of
/// amounts then stays far inside i64 (≤ 10^13 fen).
pub const MAX_LINES: usize = 100;
/// The most points one order may earn, so that balances summed over a long history stay inside
/// i64 and exact in a JS number. The validator refuses a program whose largest cart could earn
/// more; pricing refuses such a cart all the same (AMOUNT_TOO_LARGE).
pub const MAX_POINTS_PER_ORDER: Points = 1_000_000_000_000;
