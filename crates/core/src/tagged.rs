//! Reading the `{"type": …}` objects of programs and states (coupon kinds, validities, expiry
//! policies, growth bases, reward grants, coupon states).
//!
//! They all deserialize through this one flat struct and a checked conversion, instead of serde's
//! internally tagged enums, which buffer every value and generate a decoder per enum: the engine
//! ships to browsers, and this keeps one small decoder for all of them. Their JSON shape and their
//! serialization are unchanged.

use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Tagged {
    #[serde(rename = "type")]
    pub kind: String,
    pub days: Option<i64>,
    pub years: Option<i64>,
    pub amount: Option<i64>,
    pub bp: Option<i64>,
    pub max_discount: Option<i64>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub from_next_day: Option<bool>,
    pub template: Option<String>,
    pub description: Option<String>,
    pub order_id: Option<String>,
    pub at: Option<i64>,
}

impl Tagged {
    fn present(&self) -> [(&'static str, bool); 12] {
        [
            ("days", self.days.is_some()),
            ("years", self.years.is_some()),
            ("amount", self.amount.is_some()),
            ("bp", self.bp.is_some()),
            ("maxDiscount", self.max_discount.is_some()),
            ("from", self.from.is_some()),
            ("to", self.to.is_some()),
            ("fromNextDay", self.from_next_day.is_some()),
            ("template", self.template.is_some()),
            ("description", self.description.is_some()),
            ("orderId", self.order_id.is_some()),
            ("at", self.at.is_some()),
        ]
    }

    /// Refuse fields that belong to another `type`.
    pub fn only(&self, allowed: &[&str]) -> Result<(), String> {
        match self.present().iter().find(|(name, set)| *set && !allowed.contains(name)) {
            Some((name, _)) => Err(format!("field `{name}` does not belong to type `{}`", self.kind)),
            None => Ok(()),
        }
    }

    pub fn need<T: Clone>(&self, name: &str, value: &Option<T>) -> Result<T, String> {
        value.clone().ok_or_else(|| format!("missing field `{name}` for type `{}`", self.kind))
    }

    pub fn need_u32(&self, name: &str, value: Option<i64>) -> Result<u32, String> {
        let v = self.need(name, &value)?;
        u32::try_from(v).map_err(|_| format!("`{name}` must be 0..=4294967295, got {v}"))
    }

    pub fn unknown_type(&self, expected: &str) -> String {
        format!("unknown type `{}`, expected one of {expected}", self.kind)
    }
}

#[cfg(test)]
mod tests {
    use crate::program::{CouponKind, Program};

    fn program_with_kind(kind: &str) -> Result<Program, String> {
        let mut p: serde_json::Value = serde_json::from_str(include_str!("../../../programs/health-food.json")).unwrap();
        p["couponTemplates"][2]["kind"] = serde_json::from_str(kind).unwrap();
        Program::from_json(&p.to_string()).map_err(|e| e.to_string())
    }

    #[test]
    fn tagged_objects_read_as_before() {
        let p = program_with_kind(r#"{"type":"percentOff","bp":1500,"maxDiscount":2000}"#).unwrap();
        assert_eq!(p.coupon_templates[2].kind, CouponKind::PercentOff { bp: 1500, max_discount: Some(2000) });
        let p = program_with_kind(r#"{"type":"freeShipping"}"#);
        assert!(p.unwrap_err().contains("stackGroup"), "validation still runs after parsing");
    }

    #[test]
    fn wrong_fields_missing_fields_and_types_are_named_with_the_path() {
        let e = program_with_kind(r#"{"type":"amountOff","amount":500,"bp":10}"#).unwrap_err();
        assert_eq!(e, "invalid program at couponTemplates[2].kind: field `bp` does not belong to type `amountOff`");
        let e = program_with_kind(r#"{"type":"percentOff"}"#).unwrap_err();
        assert_eq!(e, "invalid program at couponTemplates[2].kind: missing field `bp` for type `percentOff`");
        let e = program_with_kind(r#"{"type":"bogo"}"#).unwrap_err();
        assert!(e.starts_with("invalid program at couponTemplates[2].kind: unknown type `bogo`"), "{e}");
        let e = program_with_kind(r#"{"type":"amountOff","amount":"5"}"#).unwrap_err();
        assert!(e.starts_with("invalid program at couponTemplates[2].kind.amount: invalid type"), "{e}");
    }
}
