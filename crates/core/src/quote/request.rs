//! What a caller asks of a quote: the cart's lines, the coupons (best, none or chosen) and the
//! points to use, and the cart `cartCoupons` reads.

use crate::error::InputError;
use crate::program::Points;
use crate::state::OrderLine;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum CouponMode {
    /// The best selection from the wallet (the default).
    Best,
    /// No coupons.
    None,
}

/// `"best"`, `"none"`, or the coupon instance ids to use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(untagged)]
pub enum CouponChoice {
    Mode(CouponMode),
    Chosen(Vec<String>),
}

impl Default for CouponChoice {
    fn default() -> Self {
        CouponChoice::Mode(CouponMode::Best)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum PointsMode {
    /// As many points as the rules allow.
    Max,
}

/// `"max"` or a number of points (rounded down to the unit and capped by the rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(untagged)]
pub enum PointsChoice {
    Mode(PointsMode),
    Amount(Points),
}

impl Default for PointsChoice {
    fn default() -> Self {
        PointsChoice::Amount(0)
    }
}

// Hand-written decoders for the two "this or that" inputs: serde's untagged enums buffer the value
// and try each variant, which costs size in the shipped module and gives vague errors.
impl<'de> Deserialize<'de> for CouponChoice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Choice;
        impl<'de> serde::de::Visitor<'de> for Choice {
            type Value = CouponChoice;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(r#""best", "none" or a list of coupon ids"#)
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<CouponChoice, E> {
                match s {
                    "best" => Ok(CouponChoice::Mode(CouponMode::Best)),
                    "none" => Ok(CouponChoice::Mode(CouponMode::None)),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Str(s), &self)),
                }
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<CouponChoice, A::Error> {
                let mut ids = Vec::new();
                while let Some(id) = seq.next_element::<String>()? {
                    ids.push(id);
                }
                Ok(CouponChoice::Chosen(ids))
            }
        }
        d.deserialize_any(Choice)
    }
}

impl<'de> Deserialize<'de> for PointsChoice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Choice;
        impl<'de> serde::de::Visitor<'de> for Choice {
            type Value = PointsChoice;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(r#""max" or a whole number of points (0 or more)"#)
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<PointsChoice, E> {
                match s {
                    "max" => Ok(PointsChoice::Mode(PointsMode::Max)),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Str(s), &self)),
                }
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<PointsChoice, E> {
                if n < 0 {
                    return Err(E::invalid_value(serde::de::Unexpected::Signed(n), &self));
                }
                Ok(PointsChoice::Amount(n))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<PointsChoice, E> {
                i64::try_from(n).map(PointsChoice::Amount).map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(n), &self))
            }
        }
        d.deserialize_any(Choice)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuoteRequest {
    pub lines: Vec<OrderLine>,
    #[serde(default)]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub coupons: CouponChoice,
    #[serde(default)]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub points: PointsChoice,
}

/// The cart `cartCoupons` reads from JSON text: a quote request (only its lines count) or the
/// lines alone.
pub fn cart_lines_from_json(text: &str) -> Result<Vec<OrderLine>, InputError> {
    if text.trim_start().starts_with('[') {
        InputError::parse("lines", text)
    } else {
        InputError::parse::<QuoteRequest>("cart coupons request", text).map(|request| request.lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coupon_and_points_choices_read_every_documented_form() {
        let r: QuoteRequest = serde_json::from_str(r#"{"lines":[],"coupons":"none","points":"max"}"#).unwrap();
        assert_eq!((r.coupons, r.points), (CouponChoice::Mode(CouponMode::None), PointsChoice::Mode(PointsMode::Max)));
        let r: QuoteRequest = serde_json::from_str(r#"{"lines":[],"coupons":["a","b"],"points":300}"#).unwrap();
        assert_eq!((r.coupons, r.points), (CouponChoice::Chosen(vec!["a".into(), "b".into()]), PointsChoice::Amount(300)));
        let r: QuoteRequest = serde_json::from_str(r#"{"lines":[]}"#).unwrap();
        assert_eq!((r.coupons, r.points), (CouponChoice::Mode(CouponMode::Best), PointsChoice::Amount(0)));
        let e = crate::json_path::parse::<QuoteRequest>(r#"{"lines":[],"coupons":"cheapest"}"#).unwrap_err();
        assert_eq!(e.path, "coupons");
        assert!(e.problem.contains(r#"expected "best", "none" or a list of coupon ids"#), "{}", e.problem);
        let e = crate::json_path::parse::<QuoteRequest>(r#"{"lines":[],"points":1.5}"#).unwrap_err();
        assert_eq!(e.path, "points");
    }
}
