// Cart and checkout: lines with "why this price", coupons (best by default, changeable, unusable
// ones with reasons and the 凑单 hint), the points slider, the summary and placing the order.
import { html, raw } from '../html.js';
import { t, errorText, nameIn } from '../i18n.js';
import { fmtMoney, fmtNumber, fmtDate, couponRule } from '../format.js';
import { ICONS } from '../icons.js';
import { promotionHint } from '../promotions.js';

/** A quote as a plain object (the engine keeps priced carts in wasm until asked). */
export function plainQuote(mall, req) {
  const priced = mall.quote(req);
  if (typeof priced.toJSON !== 'function') return priced;
  const quote = priced.toJSON();
  priced.free?.();
  return quote;
}

function request(ctx) {
  return { lines: ctx.cart.map((l) => ({ sku: l.sku, qty: l.qty })), coupons: ctx.ui.couponChoice, points: ctx.ui.points };
}

function stepLabel(program, adj, quote, tierName) {
  switch (adj.kind) {
    case 'memberPrice':
      return t('step_memberPrice', { tier: tierName });
    case 'salePrice':
      return t('step_salePrice');
    case 'memberDay':
      return t('step_memberDay');
    case 'promotion':
      return t('step_promotion', { name: nameIn(program.promotions, adj.source) });
    case 'coupon':
      return t('step_coupon', { name: templateName(program, quote.coupons.find((c) => c.id === adj.source)?.template ?? adj.source) });
    default:
      return t('step_points');
  }
}

/** A coupon template's name in the shopper's language. */
function templateName(program, id) {
  return nameIn(program.couponTemplates, id);
}

/** A gift line (满赠): price 0, its value struck through, no quantity buttons. */
function giftLine(ctx, l) {
  const sku = ctx.program.catalog.find((s) => s.id === l.sku);
  const name = nameIn(ctx.program.catalog, l.sku);
  return html`
    <li class="cart-line gift-line" data-sku=${l.sku} data-gift=${l.gift}>
      <div class="line-main">
        <span class="line-image" aria-hidden="true">${sku?.image ?? '🎁'}</span>
        <div class="line-info">
          <h3><span class="tag tag-gift">${t('giftTag')}</span> ${name}</h3>
          <p class="price-row"><span class="price">${fmtMoney(0)}</span><s class="list-price">${fmtMoney(l.listPrice)}</s>
            <span class="muted small">${nameIn(ctx.program.promotions, l.gift)}</span></p>
        </div>
        <span class="qty-value" aria-label=${t('giftLabel', { name, qty: l.qty })}>×${l.qty}</span>
      </div>
    </li>`;
}

/** The promotions the cart touches: what each took off, and what the cart still needs. */
function promotionSection(ctx, quote) {
  const list = quote.promotions ?? [];
  if (!list.length) return '';
  const applied = list.filter((p) => p.status === 'applied' && (p.discount > 0 || p.freeShipping || p.gift));
  const hints = list.map((p) => ({ p, text: promotionHint(ctx.program, p) })).filter((h) => h.text);
  if (!applied.length && !hints.length) return '';
  return html`
    <section class="card" aria-labelledby="cart-promotions-title" id="cart-promotions">
      <h2 class="section-title" id="cart-promotions-title">${t('promotionsTitle')}</h2>
      ${applied.length
        ? html`<ul class="plain-list applied">${applied.map(
            (p) => html`<li data-promotion=${p.id}><span>${nameIn(ctx.program.promotions, p.id)}</span><span class="minus">${
              p.discount > 0 ? `−${fmtMoney(p.discount)}` : p.gift ? t('giftTag') : t('promoFreeShipping')
            }</span></li>`,
          )}</ul>`
        : ''}
      ${hints.map(({ p, text }) => html`<p class="promo-bar" data-promotion=${p.id} data-status=${p.status}><span>${text}</span>${
        p.next && p.status !== 'giftSoldOut' ? html`<a class="link-btn" href="#/home">${t('addOn')}</a>` : ''
      }</p>`)}
    </section>`;
}

function line(ctx, quote, l, tierName) {
  if (l.gift) return giftLine(ctx, l);
  const sku = ctx.program.catalog.find((s) => s.id === l.sku);
  const name = nameIn(ctx.program.catalog, l.sku);
  const key = `why-${l.sku}`;
  return html`
    <li class="cart-line" data-sku=${l.sku}>
      <div class="line-main">
        <span class="line-image" aria-hidden="true">${sku?.image ?? '🛍️'}</span>
        <div class="line-info">
          <h3>${name}</h3>
          <p class="price-row"><span class="price">${fmtMoney(l.unitPrice)}</span>${l.unitPrice < l.listPrice ? html`<s class="list-price">${fmtMoney(l.listPrice)}</s>` : ''}</p>
          ${l.flag ? html`<p class="line-flag" role="note">${t(`flag_${l.flag}`)}</p>` : ''}
        </div>
        <div class="qty" role="group" aria-label=${t('qtyLabel', { name })}>
          <button type="button" class="qty-btn" data-action="qty" data-arg=${`${l.sku}:-1`} aria-label=${l.qty === 1 ? t('remove', { name }) : t('qtyMinus', { name })}>${raw(ICONS.minus)}</button>
          <span class="qty-value" aria-live="polite">${l.qty}</span>
          <button type="button" class="qty-btn" data-action="qty" data-arg=${`${l.sku}:1`} aria-label=${t('qtyPlus', { name })}>${raw(ICONS.plus)}</button>
        </div>
      </div>
      <details class="why" data-key=${key} ${ctx.ui.open?.[key] ? raw('open') : ''}>
        <summary><span>${t('whyPrice')}</span><span class="why-paid">${t('stepPaid')} <strong>${fmtMoney(l.paid)}</strong></span></summary>
        <ol class="steps">
          <li><span>${t('stepList')} ${fmtMoney(l.listPrice)} × ${l.qty}</span><span>${fmtMoney(l.listAmount)}</span></li>
          ${l.adjustments.map((a) => html`<li data-kind=${a.kind}><span>${stepLabel(ctx.program, a, quote, tierName)}</span><span class="minus">−${fmtMoney(a.amount)}</span></li>`)}
          <li class="step-total"><span>${t('stepPaid')}</span><span>${fmtMoney(l.paid)}</span></li>
        </ol>
      </details>
    </li>`;
}

function couponSection(ctx, quote) {
  const choice = ctx.ui.couponChoice;
  const notApplied = Array.isArray(choice) ? quote.unusable.filter((u) => choice.includes(u.id)).length : 0;
  const note =
    choice === 'none'
      ? t('couponsNone')
      : choice !== 'best'
        ? notApplied
          ? t('couponsManualSome', { n: notApplied })
          : t('couponsManual')
        : quote.coupons.length
          ? t('couponsBest')
          : t('couponsNoneUsable');
  // Expired coupons live in the wallet's expired tab; here only what the shopper can act on, one
  // row per template and reason.
  const rows = new Map();
  for (const u of quote.unusable) {
    if (u.reason === 'EXPIRED' || (u.reason === 'NOT_FOUND' && !(Array.isArray(choice) && choice.includes(u.id)))) continue;
    const key = `${u.template}|${u.reason}|${u.missing}`;
    const row = rows.get(key);
    if (row) row.count += 1;
    else rows.set(key, { u, name: u.template ? templateName(ctx.program, u.template) : u.id, count: 1 });
  }
  const unusable = [...rows.values()];
  return html`
    <section class="card" aria-labelledby="cart-coupons-title" id="cart-coupons">
      <div class="row">
        <h2 class="section-title" id="cart-coupons-title">${t('couponsTitle')}</h2>
        <button type="button" class="link-btn" data-action="chooseCoupons" aria-haspopup="dialog">${t('couponsChange')}${raw(ICONS.chevron)}</button>
      </div>
      ${quote.coupons.length
        ? html`<ul class="plain-list applied">${quote.coupons.map((c) => html`<li data-coupon=${c.id}><span>${templateName(ctx.program, c.template)}</span><span class="minus">−${fmtMoney(c.discount)}</span></li>`)}</ul>`
        : ''}
      <p class="muted small" id="coupon-choice-note">${note}</p>
      ${unusable.length
        ? html`<ul class="plain-list unusable" aria-label=${t('unusableTitle', { n: unusable.length })}>
            ${unusable.map(({ u, name, count }) => {
              const times = count > 1 ? ` ×${count}` : '';
              const text = u.reason === 'BELOW_MIN_SPEND' ? t('reason_BELOW_MIN_SPEND', { missing: fmtMoney(u.missing), name }) : t('reasonLine', { name: `${name}${times}`, reason: t(`reason_${u.reason}`) });
              return html`<li data-reason=${u.reason} data-template=${u.template} class=${u.reason === 'BELOW_MIN_SPEND' ? 'add-on' : ''}>
                <span>${text}</span>${u.reason === 'BELOW_MIN_SPEND' ? html`<a class="link-btn" href="#/home">${t('addOn')}</a>` : ''}</li>`;
            })}
          </ul>`
        : ''}
    </section>`;
}

function pointsSection(quote, program) {
  const p = quote.points;
  let body;
  if (p.unavailable === 'BELOW_MIN_BALANCE') {
    body = html`<p class="muted small">${t('pointsUnavailable', { n: fmtNumber(program.points.minBalance ?? p.unit) })}</p>`;
  } else if (p.max <= 0) {
    body = html`<p class="muted small">${t('pointsNoneThisOrder')}</p>`;
  } else {
    const words = t('pointsUse', { n: fmtNumber(p.used), money: fmtMoney(p.value) });
    body = html`
      <input type="range" class="slider" id="points-slider" min="0" max=${p.max} step=${p.unit} value=${p.used}
        aria-label=${t('pointsSlider')} aria-valuetext=${words} data-oninput="pointsInput" data-onchange="pointsChange">
      <div class="row small"><span id="points-label">${words}</span><span class="muted">${t('pointsMax', { n: fmtNumber(p.max) })}</span></div>`;
  }
  return html`
    <section class="card" aria-labelledby="points-title">
      <div class="row"><h2 class="section-title" id="points-title">${t('pointsTitle2')}</h2><span class="muted small">${t('pointsBalance', { n: fmtNumber(p.balance) })}</span></div>
      ${body}
    </section>`;
}

/** The signed fen of a summary amount as shown ("−¥11.59" → -1159), for tests and tools. */
function fenOf(text) {
  const m = /(−)?[^\d]*([\d,]+)\.(\d\d)/.exec(text);
  return m ? (m[1] ? -1 : 1) * (Number(m[2].replace(/,/g, '')) * 100 + Number(m[3])) : '';
}

function summary(ctx, quote) {
  const rows = [[t('sumList'), fmtMoney(quote.listTotal), 'list']];
  const memberSaving = quote.listTotal - quote.goods;
  if (memberSaving > 0) rows.push([t('sumMemberPrice'), `−${fmtMoney(memberSaving)}`, 'member']);
  if (quote.memberDayDiscount > 0) rows.push([t('sumMemberDay'), `−${fmtMoney(quote.memberDayDiscount)}`, 'memberDay']);
  if (quote.promotionDiscount > 0) rows.push([t('sumPromotions'), `−${fmtMoney(quote.promotionDiscount)}`, 'promotions']);
  if (quote.couponDiscount > 0) rows.push([t('sumCoupons'), `−${fmtMoney(quote.couponDiscount)}`, 'coupons']);
  if (quote.points.value > 0) rows.push([t('sumPoints'), `−${fmtMoney(quote.points.value)}`, 'points']);
  const threshold = ctx.program.shipping.freeThreshold;
  // The fee is a line of its own, and so is what waived it: every saving is an amount shown, and
  // "you save" is their sum.
  if (quote.shippingBase > 0) rows.push([t('sumShipping'), fmtMoney(quote.shippingBase), 'shipping']);
  const waived = quote.shippingBase - quote.shipping;
  if (waived > 0) {
    const byPromotion = quote.promotions?.find((p) => p.id === quote.shippingWaivedBy);
    const by = quote.shippingWaivedBy === 'threshold' && threshold
      ? t('shippingFreeBy', { min: fmtMoney(threshold) })
      : byPromotion
        ? t('shippingWaivedByCoupon', { name: nameIn(ctx.program.promotions, byPromotion.id) })
        : t('shippingWaivedByCoupon', { name: templateName(ctx.program, quote.coupons.find((c) => c.id === quote.shippingWaivedBy)?.template ?? '') });
    rows.push([by, `−${fmtMoney(waived)}`, 'shippingWaived']);
  }
  const hint = quote.shipping > 0 && threshold ? t('shippingHint', { money: fmtMoney(threshold - quote.goodsAfterCoupons) }) : '';
  return html`
    <section class="card" aria-labelledby="summary-title">
      <h2 class="section-title" id="summary-title">${t('summary')}</h2>
      <dl class="summary">
        ${rows.map(([k, v, id]) => html`<div class="summary-row" data-row=${id}><dt>${k}</dt><dd data-fen=${fenOf(v)}>${v}</dd></div>`)}
      </dl>
      ${hint ? html`<p class="muted small">${hint}</p>` : ''}
      <p class="earn small">${t('earn', { n: fmtNumber(quote.points.earn) })}</p>
    </section>`;
}

export function view(ctx) {
  if (!ctx.cart.length) {
    ctx.ui.shownQuote = null;
    return html`
      <h1 class="page-title">${t('tabCart')}</h1>
      <div class="empty-state"><span aria-hidden="true" class="empty-icon">${raw(ICONS.cart)}</span><p>${t('cartEmpty')}</p>
      <a class="btn btn-primary" href="#/home">${t('goShopping')}</a></div>`;
  }
  let quote;
  try {
    quote = plainQuote(ctx.mall, request(ctx));
  } catch (e) {
    ctx.ui.shownQuote = null;
    return html`<h1 class="page-title">${t('tabCart')}</h1><p class="card" role="alert">${errorText(e.code, e.message)}</p>
      <button type="button" class="btn btn-ghost" data-action="clearCart">${t('cancel')}</button>`;
  }
  ctx.ui.shownQuote = quote;
  const tierName = nameIn(ctx.program.tiers, ctx.mall.tier().tier);
  return html`
    <h1 class="page-title">${t('tabCart')}</h1>
    <section class="card cart-lines" aria-label=${t('tabCart')}>
      <ul class="plain-list">${quote.lines.map((l) => line(ctx, quote, l, tierName))}</ul>
    </section>
    ${promotionSection(ctx, quote)}
    ${couponSection(ctx, quote)}
    ${pointsSection(quote, ctx.program)}
    ${summary(ctx, quote)}
    <div class="checkout-bar">
      <div class="checkout-total">
        <span>${t('total')} <strong class="price" id="cart-total" data-total=${quote.total}>${fmtMoney(quote.total)}</strong></span>
        ${quote.saved > 0 ? html`<span class="saved small" id="cart-saved">${t('saved', { money: fmtMoney(quote.saved) })}</span>` : ''}
      </div>
      <button type="button" class="btn btn-primary" id="place-order" data-action="placeOrder" ${quote.orderable ? '' : raw('disabled')}
        aria-label=${quote.orderable ? t('placeOrderLabel', { money: fmtMoney(quote.total) }) : t('cannotOrder')}>${t('placeOrder')}</button>
    </div>`;
}

async function place(ctx, quote) {
  // The gifts come with the order by themselves: only the cart's own lines are ordered.
  const lines = quote.lines.filter((l) => !l.gift).map((l) => ({ sku: l.sku, qty: l.qty }));
  const coupons = quote.coupons.map((c) => c.id);
  let orderId = null;
  try {
    await ctx.app.client.mutate((m) => {
      orderId = m.nextOrderId();
      return m.placeOrder({ orderId, lines, coupons, points: quote.points.used, expectedTotal: quote.total });
    });
  } catch (e) {
    if (e.code === 'PRICE_CHANGED' && e.details?.quote) {
      const fresh = e.details.quote;
      const ok = await ctx.confirmAsk(t('priceChangedTitle'), t('priceChangedBody', { old: fmtMoney(quote.total), now: fmtMoney(fresh.total) }), t('priceChangedOk', { money: fmtMoney(fresh.total) }));
      if (ok) return place(ctx, fresh);
      ctx.render();
      return false;
    }
    ctx.toastError(e);
    ctx.render();
    return false;
  }
  const minutes = ctx.program.payment?.windowMinutes ?? 15;
  ctx.toast(quote.total > 0 ? t('orderPlacedToPay', { money: fmtMoney(quote.total), minutes }) : t('orderPlaced', { money: fmtMoney(quote.total) }));
  ctx.ui.couponChoice = 'best';
  ctx.ui.points = 0;
  ctx.setCart([]);
  ctx.navigate('me');
  // Straight to the pay sheet; closing it leaves the order awaiting payment with its countdown.
  // Offline, the order first has to reach the store: its pay button waits in "me".
  if (quote.total > 0 && navigator.onLine !== false) await ctx.payOrder(orderId);
  return true;
}

export const actions = {
  qty(el, ctx) {
    const [sku, delta] = el.dataset.arg.split(':');
    ctx.setCart(ctx.cart.map((l) => (l.sku === sku ? { ...l, qty: Math.min(999, l.qty + Number(delta)) } : l)));
  },
  clearCart(el, ctx) {
    ctx.setCart([]);
  },
  pointsInput(el, ctx) {
    ctx.ui.points = Number(el.value);
    const quote = plainQuote(ctx.mall, request(ctx));
    const words = t('pointsUse', { n: fmtNumber(quote.points.used), money: fmtMoney(quote.points.value) });
    document.getElementById('points-label').textContent = words;
    el.setAttribute('aria-valuetext', words);
    const total = document.getElementById('cart-total');
    total.textContent = fmtMoney(quote.total);
    total.dataset.total = String(quote.total);
  },
  pointsChange(el, ctx) {
    ctx.ui.points = Number(el.value);
    ctx.saveCart();
    ctx.render();
  },
  async chooseCoupons(el, ctx) {
    const lines = request(ctx).lines;
    const { usable } = ctx.mall.cartCoupons(lines);
    const chosen = new Set(ctx.ui.shownQuote?.coupons.map((c) => c.id) ?? []);
    const body = usable.length
      ? html`<fieldset class="choose-list"><legend class="sr-only">${t('couponsChooseTitle')}</legend>
          ${usable.map(
            (c) => html`<label class="choose-item" data-coupon=${c.id}><input type="checkbox" name="coupon" value=${c.id} ${chosen.has(c.id) ? raw('checked') : ''}>
              <span><strong>${templateName(ctx.program, c.template)}</strong><small class="choose-rule">${couponRule(ctx.program.couponTemplates.find((x) => x.id === c.template), ctx.program)}</small>
              <small class="muted">${t('validUntil', { date: fmtDate(c.validTo - 1) })}</small></span></label>`,
          )}</fieldset>`
      : html`<p class="muted">${t('walletEmpty')}</p>`;
    const { value, data } = await ctx.ask({
      title: t('couponsChooseTitle'),
      body,
      id: 'coupon-form',
      actions: [
        { value: 'none', label: t('couponsNone') },
        { value: 'best', label: t('couponsUseBest') },
        { value: 'set', label: t('confirm'), primary: true },
      ],
    });
    if (!value) return;
    if (value === 'set') {
      const ids = data.getAll('coupon').map(String);
      ctx.ui.couponChoice = ids.length ? ids : 'none';
    } else {
      ctx.ui.couponChoice = value;
    }
    ctx.saveCart();
    ctx.render();
  },
  async placeOrder(el, ctx) {
    const quote = ctx.ui.shownQuote;
    if (!quote) return;
    el.disabled = true;
    el.setAttribute('aria-busy', 'true');
    await place(ctx, quote);
  },
};
