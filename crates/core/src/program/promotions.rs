//! §13 The promotions of a program (营销活动): multi-buy (第二件半价, 买二送一, N件M折), bundles
//! (组合价), ladders (满减 / 满折, 每满减, free shipping) and gifts (满赠), as the merchant declares
//! them, and their validation.

use super::{Audience, Bp, Fen, Names, Program, Scope, BP_ONE};
use crate::time::Instant;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Promotion {
    pub id: String,
    pub name: String,
    /// The name in other languages by language tag (`en`, `zh-Hant`…); `name` is the fallback.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional, type = "Record<string, string>"))]
    pub names: Names,
    /// Runs from `from` (inclusive) to `to` (exclusive), instants.
    pub validity: Window,
    #[serde(default)]
    pub scope: Scope,
    /// Who it is for (as coupons: new members, a minimum tier, member day, the birthday window,
    /// segments). An empty audience is everyone.
    #[serde(default)]
    pub audience: Audience,
    /// May combine with coupons (default). A promotion that may not is dropped from an order
    /// that uses any coupon, when the coupons save more.
    #[serde(default = "yes")]
    pub with_coupons: bool,
    /// At most this many orders of one member use it (cancelled and refunded ones give it back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub per_member: Option<u32>,
    pub rule: PromotionRule,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Window {
    pub from: Instant,
    pub to: Instant,
}

/// What a ladder's or a gift's threshold counts: the eligible goods in fen (default) or units.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum ThresholdBy {
    #[default]
    Amount,
    Units,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(tag = "type", rename_all = "camelCase", try_from = "RuleFields")]
pub enum PromotionRule {
    /// In each block of `n` eligible units (dearest first), the last unit gets `offBp` off:
    /// 第二件半价 = n 2, 5000; 买二送一 = n 3, 10000.
    #[serde(rename_all = "camelCase")]
    Nth { n: u32, off_bp: Bp },
    /// With at least `qty` eligible units, every one of them gets `offBp` off (N件M折).
    #[serde(rename_all = "camelCase")]
    MinQty { qty: u32, off_bp: Bp },
    /// Whole bundles of `items` for `price` each, at most `maxTimes` of them (组合价).
    #[serde(rename_all = "camelCase")]
    Bundle {
        items: Vec<BundleItem>,
        price: Fen,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
        max_times: Option<u32>,
    },
    /// The highest tier reached applies; `every` (每满减): amountOff × ⌊base / threshold⌋ of its
    /// one tier, at most `maxTimes` times.
    #[serde(rename_all = "camelCase")]
    Ladder {
        #[serde(default)]
        by: ThresholdBy,
        tiers: Vec<PromotionTier>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
        every: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
        max_times: Option<u32>,
    },
    /// 满赠: the gift of the highest tier reached, while its stock lasts.
    #[serde(rename_all = "camelCase")]
    Gift {
        #[serde(default)]
        by: ThresholdBy,
        tiers: Vec<PromotionTier>,
    },
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BundleItem {
    pub sku: String,
    pub qty: u32,
}

/// A ladder tier (`amountOff` or `offBp`, and/or `freeShipping`) or a gift tier (`gift`, with an
/// optional `stock` of gift units shared by every member).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PromotionTier {
    /// Fen, or units with `by: "units"`.
    pub threshold: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub amount_off: Option<Fen>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub off_bp: Option<Bp>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub free_shipping: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub gift: Option<BundleItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub stock: Option<u32>,
}

/// The JSON of a rule before its `type` is checked: one flat decoder (see `tagged`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RuleFields {
    #[serde(rename = "type")]
    kind: String,
    n: Option<u32>,
    off_bp: Option<Bp>,
    qty: Option<u32>,
    items: Option<Vec<BundleItem>>,
    price: Option<Fen>,
    max_times: Option<u32>,
    by: Option<ThresholdBy>,
    tiers: Option<Vec<PromotionTier>>,
    every: Option<bool>,
}

impl RuleFields {
    fn only(&self, allowed: &[&str]) -> Result<(), String> {
        let present = [
            ("n", self.n.is_some()),
            ("offBp", self.off_bp.is_some()),
            ("qty", self.qty.is_some()),
            ("items", self.items.is_some()),
            ("price", self.price.is_some()),
            ("maxTimes", self.max_times.is_some()),
            ("by", self.by.is_some()),
            ("tiers", self.tiers.is_some()),
            ("every", self.every.is_some()),
        ];
        match present.iter().find(|(name, set)| *set && !allowed.contains(name)) {
            Some((name, _)) => Err(format!("field `{name}` does not belong to type `{}`", self.kind)),
            None => Ok(()),
        }
    }

}

fn need<T>(kind: &str, name: &str, value: Option<T>) -> Result<T, String> {
    value.ok_or_else(|| format!("missing field `{name}` for type `{kind}`"))
}

impl TryFrom<RuleFields> for PromotionRule {
    type Error = String;
    fn try_from(f: RuleFields) -> Result<Self, String> {
        match f.kind.as_str() {
            "nth" => {
                f.only(&["n", "offBp"])?;
                Ok(PromotionRule::Nth { n: need(&f.kind, "n", f.n)?, off_bp: need(&f.kind, "offBp", f.off_bp)? })
            }
            "minQty" => {
                f.only(&["qty", "offBp"])?;
                Ok(PromotionRule::MinQty { qty: need(&f.kind, "qty", f.qty)?, off_bp: need(&f.kind, "offBp", f.off_bp)? })
            }
            "bundle" => {
                f.only(&["items", "price", "maxTimes"])?;
                let price = need(&f.kind, "price", f.price)?;
                Ok(PromotionRule::Bundle { items: need(&f.kind, "items", f.items)?, price, max_times: f.max_times })
            }
            "ladder" => {
                f.only(&["by", "tiers", "every", "maxTimes"])?;
                let tiers = need(&f.kind, "tiers", f.tiers)?;
                Ok(PromotionRule::Ladder { by: f.by.unwrap_or_default(), tiers, every: f.every.unwrap_or(false), max_times: f.max_times })
            }
            "gift" => {
                f.only(&["by", "tiers"])?;
                let tiers = need(&f.kind, "tiers", f.tiers)?;
                Ok(PromotionRule::Gift { by: f.by.unwrap_or_default(), tiers })
            }
            _ => Err(format!("unknown type `{}`, expected one of `nth`, `minQty`, `bundle`, `ladder`, `gift`", f.kind)),
        }
    }
}

impl PromotionRule {
    /// The kind's name as the quote and the program spell it.
    pub fn kind(&self) -> &'static str {
        match self {
            PromotionRule::Nth { .. } => "nth",
            PromotionRule::MinQty { .. } => "minQty",
            PromotionRule::Bundle { .. } => "bundle",
            PromotionRule::Ladder { .. } => "ladder",
            PromotionRule::Gift { .. } => "gift",
        }
    }
}

/// The longest list of promotions a program may hold: each is a pass over the cart.
pub const MAX_PROMOTIONS: usize = 100;
const MAX_TIERS: usize = 20;
const MAX_BUNDLE_ITEMS: usize = 20;

/// Semantic checks of `program.promotions`, with the JSON path of the first problem.
pub fn validate(program: &Program) -> Result<(), (String, String)> {
    let bad = |path: String, problem: &str| Err((path, problem.to_string()));
    if program.promotions.len() > MAX_PROMOTIONS {
        return bad("promotions".into(), &format!("at most {MAX_PROMOTIONS} promotions"));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, p) in program.promotions.iter().enumerate() {
        let at = |field: &str| format!("promotions[{i}].{field}");
        if p.id.is_empty() || p.id.len() > 64 {
            return bad(at("id"), "must be 1 to 64 characters");
        }
        if !seen.insert(p.id.as_str()) {
            return bad(format!("promotions[{i}]"), &format!("duplicate id {:?}", p.id));
        }
        if p.validity.to <= p.validity.from {
            return bad(at("validity.to"), "must be after validity.from");
        }
        if p.per_member == Some(0) {
            return bad(at("perMember"), "must be at least 1 (omit it for no limit)");
        }
        program.check_scope(&p.scope, &at("scope"))?;
        program.check_audience(&p.audience, &at("audience"))?;
        let bp = |v: Bp, field: &str| if (1..=BP_ONE).contains(&v) { Ok(()) } else { bad(at(field), "must be 1..=10000") };
        let count = |v: u32, field: &str| if (1..=crate::units::MAX_QTY).contains(&v) { Ok(()) } else { bad(at(field), &format!("must be 1..={}", crate::units::MAX_QTY)) };
        match &p.rule {
            PromotionRule::Nth { n, off_bp } => {
                if !(2..=crate::units::MAX_QTY).contains(n) {
                    return bad(at("rule.n"), &format!("must be 2..={}", crate::units::MAX_QTY));
                }
                bp(*off_bp, "rule.offBp")?;
            }
            PromotionRule::MinQty { qty, off_bp } => {
                count(*qty, "rule.qty")?;
                bp(*off_bp, "rule.offBp")?;
            }
            PromotionRule::Bundle { items, price, max_times } => {
                if items.is_empty() || items.len() > MAX_BUNDLE_ITEMS {
                    return bad(at("rule.items"), &format!("must list 1..={MAX_BUNDLE_ITEMS} items"));
                }
                for (j, item) in items.iter().enumerate() {
                    if program.sku(&item.sku).is_none() {
                        return bad(at(&format!("rule.items[{j}].sku")), "is not a SKU of the catalog");
                    }
                    if items[..j].iter().any(|other| other.sku == item.sku) {
                        return bad(at(&format!("rule.items[{j}].sku")), "is listed twice: give one item its whole quantity");
                    }
                    count(item.qty, &format!("rule.items[{j}].qty"))?;
                }
                if !super::money(*price) {
                    return bad(at("rule.price"), "must be 0..=100000000 fen");
                }
                if let Some(m) = max_times {
                    count(*m, "rule.maxTimes")?;
                }
            }
            PromotionRule::Ladder { by, tiers, every, max_times } => {
                check_tiers(program, tiers, *by, &at("rule.tiers"), false)?;
                if *every && (tiers.len() != 1 || tiers[0].amount_off.is_none()) {
                    return bad(at("rule.tiers"), "an `every` ladder (每满减) has exactly one tier, with amountOff");
                }
                if let Some(m) = max_times {
                    if !*every {
                        return bad(at("rule.maxTimes"), "only an `every` ladder repeats");
                    }
                    count(*m, "rule.maxTimes")?;
                }
            }
            PromotionRule::Gift { by, tiers } => check_tiers(program, tiers, *by, &at("rule.tiers"), true)?,
        }
    }
    Ok(())
}

fn check_tiers(program: &Program, tiers: &[PromotionTier], by: ThresholdBy, at: &str, gifts: bool) -> Result<(), (String, String)> {
    let bad = |path: String, problem: &str| Err((path, problem.to_string()));
    if tiers.is_empty() || tiers.len() > MAX_TIERS {
        return bad(at.into(), &format!("must list 1..={MAX_TIERS} tiers"));
    }
    let most = match by {
        ThresholdBy::Amount => 100_000_000,
        ThresholdBy::Units => i64::from(crate::units::MAX_QTY) * crate::units::MAX_LINES as i64,
    };
    for (k, t) in tiers.iter().enumerate() {
        let here = |field: &str| format!("{at}[{k}].{field}");
        if !(1..=most).contains(&t.threshold) {
            return bad(here("threshold"), &format!("must be 1..={most}"));
        }
        if k > 0 && t.threshold <= tiers[k - 1].threshold {
            return bad(here("threshold"), "must be greater than the previous tier's");
        }
        if gifts {
            let Some(g) = &t.gift else { return bad(here("gift"), "a gift tier names its gift") };
            if t.amount_off.is_some() || t.off_bp.is_some() || t.free_shipping {
                return bad(format!("{at}[{k}]"), "a gift tier gives its gift only (use a ladder for discounts)");
            }
            if program.sku(&g.sku).is_none() {
                return bad(here("gift.sku"), "is not a SKU of the catalog");
            }
            if !(1..=crate::units::MAX_QTY).contains(&g.qty) {
                return bad(here("gift.qty"), &format!("must be 1..={}", crate::units::MAX_QTY));
            }
        } else {
            if t.gift.is_some() || t.stock.is_some() {
                return bad(format!("{at}[{k}]"), "a ladder tier has no gift (use a gift promotion)");
            }
            match (t.amount_off, t.off_bp) {
                (Some(_), Some(_)) => return bad(format!("{at}[{k}]"), "takes amountOff or offBp, not both"),
                (None, None) if !t.free_shipping => return bad(format!("{at}[{k}]"), "needs amountOff, offBp or freeShipping"),
                (Some(a), None) if !(1..=100_000_000).contains(&a) => return bad(here("amountOff"), "must be 1..=100000000 fen"),
                (None, Some(b)) if !(1..=BP_ONE).contains(&b) => return bad(here("offBp"), "must be 1..=10000"),
                _ => {}
            }
        }
    }
    Ok(())
}

