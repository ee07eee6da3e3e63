// Home: member card, member-day banner, reminders, running promotions, the limited sale, products
// at member prices with their promotion tags.
import { html, raw } from '../html.js';
import { t, local, nameIn } from '../i18n.js';
import { fmtMoney, fmtNumber, fmtDay, fmtDate, fmtDateTime, fmtCountdown, fmtDiscountBp, fmtMultiplier } from '../format.js';
import { ICONS } from '../icons.js';
import { plainQuote } from './cart.js';
import { covers, promotionRule, promotionTag } from '../promotions.js';

export function memberCard(mall) {
  const tier = mall.tier();
  const points = mall.points();
  const pct = Math.round(tier.progressBp / 100);
  return html`
    <section class="card member-card" aria-labelledby="member-card-title">
      <div class="member-top">
        <span class=${`tier-badge tier-${tier.tier}`} id="member-card-title">${nameIn(mall.program().tiers, tier.tier)}</span>
        <span class="member-id">${mall.state().memberId}</span>
      </div>
      <div class="member-points">
        <a href="#/me" class="points-link" id="points-balance" aria-label=${`${fmtNumber(points.balance)} ${t('points')}`}>
          <strong>${fmtNumber(points.balance)}</strong><span>${t('points')}</span>
        </a>
        ${points.expiringSoon > 0 ? html`<span class="hint-amber">${t('expiringSoon', { n: fmtNumber(points.expiringSoon) })}</span>` : ''}
        ${points.pending > 0 ? html`<span class="muted small" id="points-pending" data-points=${points.pending}>${t('pendingPoints', { n: fmtNumber(points.pending) })}</span>` : ''}
      </div>
      <div class="progress" role="progressbar" aria-label=${t('tierProgress')} aria-valuemin="0" aria-valuemax="100" aria-valuenow=${pct}>
        <span style=${`width:${pct}%`}></span>
      </div>
      <p class="member-next">${tier.nextTier ? t('toNextTier', { money: fmtMoney(tier.toNext), tier: nextTierName(mall, tier.nextTier) }) : t('topTier')}</p>
    </section>`;
}

function nextTierName(mall, id) {
  return nameIn(mall.program().tiers, id);
}

function memberDayBanner(mall) {
  const md = mall.memberDay();
  if (!md.configured) return '';
  const perks = t('memberDayPerks', {
    discount: md.discountBp ? fmtDiscountBp(md.discountBp) : null,
    mult: md.pointsMultiplierBp > 10000 ? fmtMultiplier(md.pointsMultiplierBp) : null,
    bonus: md.checkInBonusPoints || null,
  });
  const deadline = Date.now() + md.countdownMs;
  return html`
    <section class=${`banner ${md.today ? 'banner-live' : ''}`} id="member-day-banner" data-today=${md.today ? 'true' : 'false'} aria-labelledby="md-title">
      <div class="banner-main">
        <h2 id="md-title">${md.today ? t('memberDayToday') : t('memberDayNext', { day: md.next ? fmtDay(md.next) : '' })}</h2>
        <p>${perks}</p>
        ${md.today && md.couponTemplates.length ? html`<a class="btn btn-small btn-light" href="#/coupons">${t('memberDayCoupon')}</a>` : ''}
      </div>
      <div class="banner-side">
        <span class="banner-label">${md.today ? t('memberDayEndsIn') : t('memberDayStartsIn')}</span>
        <span class="countdown" data-deadline=${deadline}>${fmtCountdown(md.countdownMs)}</span>
      </div>
    </section>`;
}

function reminderItem(program, r) {
  switch (r.type) {
    case 'couponExpiring':
      return { text: t('remindCoupon', { name: nameIn(program.couponTemplates, r.template), days: r.daysLeft }), href: '#/coupons' };
    case 'pointsExpiring':
      return { text: t('remindPoints', { n: fmtNumber(r.points), date: fmtDate(r.firstExpiry - 1) }), href: '#/me' };
    case 'streakAtRisk':
      return { text: t('remindStreak', { n: r.streak }), href: '#/checkin' };
    case 'memberDay':
      return r.today ? null : { text: t('remindMemberDayTomorrow'), href: '#/home' };
    case 'birthdayCoupon':
      return { text: t('remindBirthday'), href: '#/coupons' };
    default:
      return null;
  }
}

function reminders(mall) {
  const program = mall.program();
  const items = mall.reminders().map((r) => reminderItem(program, r)).filter(Boolean);
  if (!items.length) return '';
  return html`
    <section class="card reminders" aria-labelledby="reminders-title">
      <h2 class="section-title" id="reminders-title">${raw(ICONS.bell)}${t('reminders')}</h2>
      <ul class="plain-list">
        ${items.map((i) => html`<li><a class="reminder" href=${i.href}><span>${i.text}</span><span class="chev" aria-hidden="true">${raw(ICONS.chevron)}</span></a></li>`)}
      </ul>
    </section>`;
}

function salePrice(program, tierId, sale) {
  const sku = program.catalog.find((s) => s.id === sale.sku);
  const member = sku.memberPrices?.[tierId] ?? sku.listPrice;
  return { sku, price: Math.min(sale.salePrice ?? member, member) };
}

function limitedSale(mall, program) {
  const now = mall.now();
  const sale = (program.limitedSales ?? []).find((s) => s.endsAt > now);
  if (!sale) return '';
  const tier = mall.tier();
  const { sku, price } = salePrice(program, tier.tier, sale);
  const flag = plainQuote(mall, { lines: [{ sku: sale.sku, qty: 1 }], coupons: 'none', points: 0 }).lines[0].flag;
  const left = mall.stock()[`saleStock:${sale.sku}`] ?? sale.stock;
  const early = tier.earlyAccessMinutes;
  const opensAt = sale.startsAt - early * 60_000;
  const started = now >= sale.startsAt;
  const canBuy = flag === null;
  let note;
  if (started) note = t('saleEnds', { at: fmtDateTime(sale.endsAt) });
  else if (early > 0) note = t('saleEarly', { tier: nameIn(program.tiers, tier.tier), min: early, at: fmtDateTime(opensAt) });
  else note = t('saleNoEarly');
  const label = canBuy ? (started ? t('saleBuy') : t('saleEarlyBuy')) : t(`flag_${flag}`);
  return html`
    <section class="card sale" id="limited-sale" data-flag=${flag ?? 'open'} aria-labelledby="sale-title">
      <div class="sale-head">
        <h2 class="section-title" id="sale-title">${raw(ICONS.bolt)}${t('saleTitle')}</h2>
        ${!started ? html`<span class="sale-opens">${t('saleStarts', { at: fmtDateTime(sale.startsAt) })}</span>` : ''}
      </div>
      <div class="sale-body">
        <div class="sale-image" aria-hidden="true">${sku.image ?? '🛍️'}</div>
        <div class="sale-info">
          <h3>${local(sku)}</h3>
          <p class="price-row"><span class="price">${fmtMoney(price)}</span><s class="list-price" aria-label=${`${t('listPrice')} ${fmtMoney(sku.listPrice)}`}>${fmtMoney(sku.listPrice)}</s></p>
          <p class="muted small">${t('saleLimit', { n: sale.perMember, left })}</p>
          <p class=${`small ${early > 0 ? 'hint-green' : 'muted'}`}>${note}</p>
        </div>
      </div>
      <div class="sale-foot">
        ${!started && now < opensAt ? html`<span class="muted small">${t('memberDayStartsIn')} <span class="countdown" data-deadline=${Date.now() + (opensAt - now)}>${fmtCountdown(opensAt - now)}</span></span>` : html`<span></span>`}
        <button type="button" class="btn btn-primary btn-small" data-action="add" data-arg=${sale.sku} ${canBuy ? '' : raw('disabled')}
          aria-label=${canBuy ? t('addToCart', { name: local(sku) }) : `${local(sku)}: ${label}`}>${label}</button>
      </div>
    </section>`;
}

/** The promotions running for this member: a strip of cards, each with its rule. */
function runningPromotions(program, running) {
  if (!running.length) return '';
  return html`
    <section class="promo-strip" id="promotions" aria-labelledby="promotions-title">
      <h2 class="section-title" id="promotions-title">${t('runningPromotions')}</h2>
      <ul class="plain-list promo-cards">${running.map(
        (p) => html`<li class="promo-card" data-promotion=${p.id}><span class="tag tag-promo">${promotionTag(p)}</span>
          <strong>${local(p)}</strong><span class="muted small">${promotionRule(program, p)}</span></li>`,
      )}</ul>
    </section>`;
}

function productCard(program, tier, sku, memberDay, running = []) {
  const member = sku.memberPrices?.[tier.tier];
  const price = member ?? sku.listPrice;
  const onSale = (program.limitedSales ?? []).some((s) => s.sku === sku.id);
  return html`
    <li class="product">
      <div class="product-image" aria-hidden="true">${sku.image ?? '🛍️'}</div>
      <h3 class="product-name">${local(sku)}</h3>
      <div class="product-foot">
        <div class="product-prices">
          <span class="price">${fmtMoney(price)}</span>
          ${member !== undefined && member < sku.listPrice
            ? html`<span class="tag">${t('memberPriceTag', { tier: nameIn(program.tiers, tier.tier).replace(/会员$/, '') })}</span><s class="list-price" aria-label=${`${t('listPrice')} ${fmtMoney(sku.listPrice)}`}>${fmtMoney(sku.listPrice)}</s>`
            : ''}
          ${memberDay.today && memberDay.discountBp && sku.memberDayEligible !== false ? html`<span class="tag tag-amber">${t('memberDayMark')} ${fmtDiscountBp(memberDay.discountBp)}</span>` : ''}
          ${onSale ? '' : running.filter((p) => covers(p, sku)).map((p) => html`<span class="tag tag-promo" data-promotion=${p.id} title=${local(p)}>${promotionTag(p)}</span>`)}
        </div>
        ${onSale
          ? html`<a class="icon-btn" href="#limited-sale" aria-label=${`${local(sku)}: ${t('saleTitle')}`}>${raw(ICONS.bolt)}</a>`
          : html`<button type="button" class="icon-btn icon-btn-primary" data-action="add" data-arg=${sku.id} aria-label=${t('addToCart', { name: local(sku) })}>${raw(ICONS.plus)}</button>`}
      </div>
    </li>`;
}

function products(mall, program, ui, running) {
  const tier = mall.tier();
  const md = mall.memberDay();
  const cats = program.categories ?? [];
  const list = program.catalog.filter((s) => ui.category === 'all' || s.category === ui.category);
  return html`
    <section aria-labelledby="products-title">
      <div class="section-head">
        <h2 class="section-title" id="products-title">${t('products')}</h2>
      </div>
      <div class="chips" role="group" aria-label=${t('products')}>
        ${[{ id: 'all', name: t('allCategories') }, ...cats].map(
          (c) => html`<button type="button" class="chip" aria-pressed=${ui.category === c.id ? 'true' : 'false'} data-action="category" data-arg=${c.id}>${local(c)}</button>`,
        )}
      </div>
      <ul class="product-grid" role="list">${list.map((s) => productCard(program, tier, s, md, running))}</ul>
    </section>`;
}

export function view({ mall, program, ui }) {
  const running = mall.promotions();
  return html`
    <h1 class="sr-only">${t('tabHome')}</h1>
    ${memberCard(mall)}
    ${memberDayBanner(mall)}
    ${reminders(mall)}
    ${runningPromotions(program, running)}
    ${limitedSale(mall, program)}
    ${products(mall, program, ui, running)}`;
}

export const actions = {
  add(el, ctx) {
    ctx.addToCart(el.dataset.arg);
  },
  category(el, ctx) {
    ctx.ui.category = el.dataset.arg;
    ctx.render();
  },
};

