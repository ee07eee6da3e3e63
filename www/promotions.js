// Promotions (满减, 第二件半价, 组合价, 满赠) as the shopper reads them: a promotion's rule in a few
// words, whether it covers a product, and the hint of a quote's promotion ("再买 ¥12.00 减 ¥30").
// The engine decides every number; this only words them.
import { t, nameIn } from './i18n.js';
import { fmtMoney, fmtMoneyShort, zhe } from './format.js';

/** Whether a promotion's scope (and, for a bundle, its items) covers this catalog SKU. */
export function covers(promotion, sku) {
  const s = promotion.scope ?? {};
  const included = (!s.skus?.length && !s.categories?.length) || s.skus?.includes(sku.id) || s.categories?.includes(sku.category);
  const excluded = s.excludeSkus?.includes(sku.id) || s.excludeCategories?.includes(sku.category);
  const inBundle = promotion.rule.type !== 'bundle' || promotion.rule.items.some((i) => i.sku === sku.id);
  return Boolean(included && !excluded && inBundle);
}

/** What one step of a promotion gives: "减 ¥30 · 包邮", "打 9 折", "送 维生素C". */
function gives(program, { amountOff, offBp, freeShipping, gift }) {
  const parts = [];
  if (amountOff) parts.push(t('promoOff', { money: fmtMoneyShort(amountOff) }));
  if (offBp) parts.push(t('promoPct', { zhe: zhe(offBp), pct: offBp / 100 }));
  if (freeShipping) parts.push(t('promoFreeShipping'));
  if (gift) parts.push(t('promoGift', { name: nameIn(program.catalog, gift.sku), qty: gift.qty }));
  return parts.join(t('promoAnd'));
}

function threshold(by, value) {
  return by === 'units' ? t('promoUnits', { n: value }) : fmtMoneyShort(value);
}

/** A promotion's rule in a few words, for the home page and the product tags. */
export function promotionRule(program, p) {
  const r = p.rule;
  switch (r.type) {
    case 'nth':
      return t('promoNth', { n: r.n, what: t('promoPct', { zhe: zhe(r.offBp), pct: r.offBp / 100 }), free: r.offBp === 10000 });
    case 'minQty':
      return t('promoMinQty', { n: r.qty, what: t('promoPct', { zhe: zhe(r.offBp), pct: r.offBp / 100 }) });
    case 'bundle':
      return t('promoBundle', { names: r.items.map((i) => `${nameIn(program.catalog, i.sku)}${i.qty > 1 ? ` ×${i.qty}` : ''}`).join(' + '), money: fmtMoneyShort(r.price) });
    default:
      // Ladders and gifts: each tier's threshold and what it gives; 每满减 its one step.
      if (r.every) return t('promoEvery', { min: threshold(r.by, r.tiers[0].threshold), what: gives(program, r.tiers[0]), times: r.maxTimes ?? null });
      return r.tiers.map((tier) => t('promoTier', { min: threshold(r.by, tier.threshold), what: gives(program, tier) })).join(t('promoTiers'));
  }
}

/** The short tag on a product card: "满减", "第二件半价", "组合价", "满赠". */
export function promotionTag(p) {
  const r = p.rule;
  if (r.type === 'nth') return r.n === 2 ? t('tagNth2', { zhe: zhe(r.offBp) }) : t('tagNth', { n: r.n });
  return t(`tag_${r.type}`);
}

/** The hint of a quote's promotion ("再买 ¥50.00 减 ¥30 · 包邮", "再买 1 件享 开心果 第二件半价"),
 * or its status when it does not apply for another reason; '' when there is nothing to say. */
export function promotionHint(program, qp) {
  const name = nameIn(program.promotions, qp.id);
  if (qp.status === 'giftSoldOut') return t('promoSoldOut', { name });
  if (qp.status === 'notCombined') return t('promoNotCombined', { name });
  if (qp.status === 'limitReached') return t('promoLimit', { name });
  const next = qp.next;
  if (!next || next.missing <= 0) return '';
  // A multi-buy or a bundle is named; a ladder or gift step says what it gives.
  const what = ['nth', 'minQty', 'bundle'].includes(qp.kind) ? t('promoJoin', { name }) : gives(program, next);
  return next.by === 'units' ? t('promoMoreUnits', { n: next.missing, what }) : t('promoMoreMoney', { money: fmtMoney(next.missing), what });
}
