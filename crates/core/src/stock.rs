//! Shared counters that span members: coupon quotas, reward stock, limited-sale stock and the
//! stock of promotion gifts.
//!
//! The server owns them and enforces them; a client shows (and checks optimistically against)
//! what it last saw. A counter that is absent is unknown and treated as available.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(tag = "kind", content = "id", rename_all = "camelCase")]
pub enum Counter {
    /// Claims left of a coupon template's `totalQuota`.
    CouponQuota(String),
    /// Units left of a points-mall reward.
    RewardStock(String),
    /// Units left of a limited sale, by SKU.
    SaleStock(String),
    /// Gift units left of a gift promotion's tier (`promotion#tier`).
    GiftStock(String),
}

impl Counter {
    /// The gift stock of a gift promotion's tier.
    pub fn gift(promotion: &str, tier: usize) -> Counter {
        Counter::GiftStock(format!("{promotion}#{tier}"))
    }

    /// The key used in `Stock` and in storage: `couponQuota:ID` etc.
    pub fn key(&self) -> String {
        match self {
            Counter::CouponQuota(id) => format!("couponQuota:{id}"),
            Counter::RewardStock(id) => format!("rewardStock:{id}"),
            Counter::SaleStock(id) => format!("saleStock:{id}"),
            Counter::GiftStock(id) => format!("giftStock:{id}"),
        }
    }
}

/// Remaining units per counter key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(transparent)]
pub struct Stock {
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "Record<string, number>"))]
    pub remaining: BTreeMap<String, u32>,
}

impl Stock {
    pub fn remaining(&self, counter: &Counter) -> Option<u32> {
        self.remaining.get(&counter.key()).copied()
    }

    /// Whether `n` units can be taken (unknown counters are assumed available).
    pub fn has(&self, counter: &Counter, n: u32) -> bool {
        self.remaining(counter).is_none_or(|r| r >= n)
    }

    /// The initial stock of a program: every quota and stock at its full size.
    pub fn initial(program: &crate::program::Program) -> Stock {
        let mut remaining = BTreeMap::new();
        for t in &program.coupon_templates {
            if let Some(q) = t.total_quota {
                remaining.insert(Counter::CouponQuota(t.id.clone()).key(), q);
            }
        }
        for r in &program.rewards {
            if let Some(s) = r.stock {
                remaining.insert(Counter::RewardStock(r.id.clone()).key(), s);
            }
        }
        for s in &program.limited_sales {
            remaining.insert(Counter::SaleStock(s.sku.clone()).key(), s.stock);
        }
        for p in &program.promotions {
            if let crate::program::PromotionRule::Gift { tiers, .. } = &p.rule {
                for (k, t) in tiers.iter().enumerate() {
                    if let Some(s) = t.stock {
                        remaining.insert(Counter::gift(&p.id, k).key(), s);
                    }
                }
            }
        }
        Stock { remaining }
    }

    /// Apply a change; never goes below zero (the server's schema guards this too).
    pub fn adjust(&mut self, counter: &Counter, delta: i64) {
        if let Some(r) = self.remaining.get_mut(&counter.key()) {
            *r = (*r as i64 + delta).clamp(0, u32::MAX as i64) as u32;
        }
    }
}
