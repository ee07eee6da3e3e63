//! The units every layer counts in: money in integer fen, points, basis points. (Time is in
//! `time`.) Nothing here imports anything of the engine.

/// Money in fen (分): integer, 100 = ¥1.
pub type Fen = i64;
/// A number of points.
pub type Points = i64;
/// Basis points: 10000 = 100 %, and for multipliers 10000 = ×1.
pub type Bp = i64;
