// Medusa 2.21.2's promotion computation for one cart, built from plain objects, no database.
//
// `medusaCase(cart)` turns a siyu-style cart (`[{ sku, qty, unitPrice, category }]`, prices in
// integer fen) into Medusa's compute-actions input plus three promotions a member mall would run,
// and returns `run()`, which does what the body of PromotionModuleService.computeActions does
// once its promotions are loaded:
//
//   for each promotion (sorted by ComputeActionUtils.sortByBuyGetType, after the database's
//   ORDER BY application_method.value DESC):
//     usage-limit and currency checks,
//     areRulesValidForContext(promotion.rules, context, "order")   // promotion-level rules
//     ComputeActionUtils.getComputedActionsForItems(promotion, items, appliedPromotionsMap,
//                                                   target_type === "order" ? "across" : undefined)
//   transformPropertiesToBigNumber(actions, { include: ["amount"] })
//
// All of those are Medusa's own functions, imported from node_modules (paths below); only the
// ~20-line loop around them is written here, mirroring
// node_modules/@medusajs/promotion/dist/services/promotion-module.js `computeActions`.
//
// What this skips of the real computeActions, so the comparison stays honest:
//   - loading promotions: the automatic-promotion prefilter query
//     (buildPromotionRuleQueryFilterFromContext) and listActivePromotions_ with its 9 relations
//     (rules, target rules, values, campaign, budget) — database work, done here once up front;
//   - campaign budgets (use_by_attribute budget usage query) — our promotions have no campaign;
//   - REMOVE_*_ADJUSTMENT actions for adjustments already on the cart — our cart has none;
//   - shipping-method promotions and buy-get — none of ours targets them;
//   - the cart workflow around it (loading the cart with totals, writing adjustments back).
//
// `service()` is a cross-check: it calls the real PromotionModuleService.prototype.computeActions
// (async, decorated) with its data access stubbed to return the same promotion objects, so one
// can confirm that `run()` yields the same actions as Medusa's method itself.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// Deep paths into the published dist: @medusajs/promotion has no "exports" map, and its main
// entry would register the whole module (models, migrations, loaders) that we don't need.
const { ComputeActionUtils, areRulesValidForContext } = require('@medusajs/promotion/dist/utils/index.js');
const { transformPropertiesToBigNumber, isPresent, MathBN } = require('@medusajs/framework/utils');

export const THRESHOLD = 30000; // ¥300, in fen
export const ORDER_OFF = 5000; // ¥50
export const PERCENT_CATEGORY = 'beauty'; // 10% off
// 5% off (siyu's item promotions are percentages per unit, `minQty` with qty 1; a percentage on both
// sides keeps the two carts' discounts the same).
export const FOOD_CATEGORY = 'food';
export const FOOD_PERCENT = 5;

/** The three promotions, shaped as listActivePromotions_ returns them (relations loaded). */
export function memberMallPromotions() {
  const rule = (attribute, operator, ...values) => ({ attribute, operator, values: values.map((value) => ({ value })) });
  return [
    {
      id: 'promo_order_50', code: 'ORDER50', type: 'standard', is_automatic: false, is_tax_inclusive: false,
      limit: null, used: 0, campaign: null,
      // Promotion-level rule on the cart context: Medusa's way to say "orders ≥ ¥300".
      rules: [rule('subtotal', 'gte', String(THRESHOLD))],
      application_method: {
        type: 'fixed', target_type: 'order', allocation: 'across', value: ORDER_OFF,
        max_quantity: null, currency_code: 'cny', target_rules: [], buy_rules: [],
      },
    },
    {
      id: 'promo_beauty_10', code: 'BEAUTY10', type: 'standard', is_automatic: false, is_tax_inclusive: false,
      limit: null, used: 0, campaign: null, rules: [],
      application_method: {
        // "each" requires max_quantity (validateApplicationMethodAttributes); without it Medusa
        // discounts one unit per line. 99 covers every unit of our lines (qty ≤ 3).
        type: 'percentage', target_type: 'items', allocation: 'each', value: 10,
        max_quantity: 99, currency_code: 'cny',
        target_rules: [rule('items.product.categories.id', 'in', `pcat_${PERCENT_CATEGORY}`)], buy_rules: [],
      },
    },
    {
      id: 'promo_food_5', code: 'FOOD5', type: 'standard', is_automatic: false, is_tax_inclusive: false,
      limit: null, used: 0, campaign: null, rules: [],
      application_method: {
        type: 'percentage', target_type: 'items', allocation: 'each', value: FOOD_PERCENT,
        max_quantity: 99, currency_code: 'cny',
        target_rules: [rule('items.product.categories.id', 'in', `pcat_${FOOD_CATEGORY}`)], buy_rules: [],
      },
    },
    // The database returns them ORDER BY application_method.value DESC (raw numbers: 5000 fen,
    // 10 percent, 5 percent), and that order decides which discount sees the reduced amounts.
  ].sort((a, b) => b.application_method.value - a.application_method.value);
}

/** Medusa's ComputeActionContext for the cart: what the cart workflow passes to computeActions. */
export function medusaContext(cart) {
  const items = cart.map((l, i) => ({
    id: `item_${i + 1}`,
    quantity: l.qty,
    subtotal: l.qty * l.unitPrice, // line amount before discounts, tax excluded
    original_total: l.qty * l.unitPrice, // no tax in this comparison
    is_discountable: true,
    unit_price: l.unitPrice,
    variant_sku: l.sku,
    product_id: `prod_${l.sku}`,
    product: { id: `prod_${l.sku}`, categories: [{ id: `pcat_${l.category}` }] },
    adjustments: [],
  }));
  const subtotal = items.reduce((s, it) => s + it.subtotal, 0);
  return { currency_code: 'cny', subtotal, item_subtotal: subtotal, items, shipping_methods: [] };
}

export function medusaCase(cart) {
  const context = medusaContext(cart);
  const promotions = memberMallPromotions();
  const codes = promotions.map((p) => p.code);

  function run() {
    const actions = [];
    // Shared across promotions: how much each item has been discounted so far (item id → amount).
    const appliedPromotionsMap = new Map();
    for (const promotion of [...promotions].sort(ComputeActionUtils.sortByBuyGetType)) {
      const am = promotion.application_method;
      if (typeof promotion.limit === 'number' && (promotion.used ?? 0) >= promotion.limit) {
        actions.push({ action: 'promotionLimitExceeded', code: promotion.code });
        continue;
      }
      const currencyOk = !isPresent(am.currency_code) || context.currency_code === am.currency_code;
      if (!currencyOk || !areRulesValidForContext(promotion.rules, context, 'order')) continue;
      const allocationOverride = am.target_type === 'order' ? 'across' : undefined;
      actions.push(...ComputeActionUtils.getComputedActionsForItems(promotion, context.items, appliedPromotionsMap, allocationOverride));
    }
    transformPropertiesToBigNumber(actions, { include: ['amount'] });
    return actions;
  }

  // The real service method, its data access stubbed (see the header comment).
  const Service = require('@medusajs/promotion/dist/services/promotion-module.js').default;
  // @InjectManager wants a repository to get a manager from; nothing uses that manager here,
  // since prevent_auto_promotions skips the prefilter query and listActivePromotions_ is stubbed.
  const stub = {
    baseRepository_: { getFreshManager: () => ({}) },
    listActivePromotions_: async () => promotions,
  };
  const service = () => Service.prototype.computeActions.call(stub, codes, context, { prevent_auto_promotions: true });

  return { run, service, context, promotions };
}

/** Sum of `amount` over actions (BigNumber-aware), as a plain number; `code` filters. */
export function totalOff(actions, code) {
  let sum = MathBN.convert(0);
  for (const a of actions) if (a.amount != null && (!code || a.code === code)) sum = MathBN.add(sum, a.amount);
  return sum.toNumber();
}
