// Coupons: the wallet's four tabs, the claim centre and the points mall. Every coupon says its
// rule in words.
import { html } from '../html.js';
import { t, getLang, local, nameIn } from '../i18n.js';
import { fmtDate, fmtNumber, couponStub, couponRule, shortOrderNo } from '../format.js';

const TABS = [
  ['available', 'walletAvailable'],
  ['expiring', 'walletExpiring'],
  ['used', 'walletUsed'],
  ['expired', 'walletExpired'],
];

/** One coupon card; `side` is the right-hand action or status. */
export function couponCard(coupon, program, { side = '', note = '', muted = false, badge = '', attrs = {} } = {}) {
  const stub = couponStub(coupon);
  return html`
    <article class=${`coupon${muted ? ' coupon-muted' : ''}`} data-template=${attrs.template ?? coupon.template ?? coupon.id} data-coupon=${attrs.id ?? ''}>
      <div class="coupon-stub" aria-hidden="true"><strong>${stub.big}</strong><small>${stub.small}</small></div>
      <div class="coupon-body">
        <h3 class="coupon-name">${coupon.template ? nameIn(program.couponTemplates, coupon.template) : local(coupon)}${badge}</h3>
        <p class="coupon-rule">${couponRule(coupon, program)}</p>
        ${note ? html`<p class="coupon-note">${note}</p>` : ''}
      </div>
      ${side ? html`<div class="coupon-side">${side}</div>` : ''}
    </article>`;
}

function validity(c) {
  if (c.status === 'notYetValid') return t('validFrom', { date: fmtDate(c.validFrom) });
  const until = t('validUntil', { date: fmtDate(c.validTo - 1) });
  return c.status === 'available' ? `${until} · ${t('daysLeft', { n: c.daysLeft })}` : until;
}

function walletList(mall, program, tab) {
  const wallet = mall.wallet();
  const list = wallet[tab];
  if (!list.length) return html`<p class="empty">${t('walletEmpty')}</p>`;
  return html`<ul class="coupon-list" role="list">${list.map((c) => {
    const source = t(`source_${c.source}`);
    const note = `${validity(c)}${source !== `source_${c.source}` ? ` · ${source}` : ''}`;
    let side = '';
    if (c.status === 'available') side = html`<a class="btn btn-small btn-outline" href="#/cart">${t('useNow')}</a>`;
    else if (c.status === 'notYetValid') side = html`<span class="status-tag">${t('notYetValid')}</span>`;
    else if (c.status === 'locked') side = html`<span class="status-tag">${t('lockedInOrder')}</span>`;
    else if (c.status === 'used') side = html`<span class="status-tag">${t('walletUsed')}</span>`;
    else side = html`<span class="status-tag">${t('walletExpired')}</span>`;
    const usedNote = c.orderId ? ` · ${t('usedOn', { id: shortOrderNo(c.orderId) })}` : '';
    return html`<li>${couponCard(c, program, { side, note: note + usedNote, muted: c.status === 'used' || c.status === 'expired', attrs: { id: c.id } })}</li>`;
  })}</ul>`;
}

function claimReason(offer) {
  const audience = offer.template.audience ?? {};
  if (offer.reason === 'AUDIENCE') {
    if (audience.memberDay) return t('reasonClaim_AUDIENCE_memberDay');
    if (audience.birthday) return t('reasonClaim_AUDIENCE_birthday');
    if (audience.segments?.length || audience.minTier || audience.newMember) return t('reasonClaim_AUDIENCE_segments');
  }
  const key = `reasonClaim_${offer.reason}`;
  const text = t(key);
  return text === key ? offer.reasonText ?? offer.reason : text;
}

function claimCentre(mall, program) {
  const offers = mall.claimCentre();
  return html`
    <section class="section" aria-labelledby="claim-title">
      <h2 class="section-title" id="claim-title">${t('claimCentre')}</h2>
      <ul class="coupon-list" role="list" id="claim-centre">
        ${offers.map((o) => {
          const name = local(o.template);
          const badge = o.memberDayOnly ? html` <span class="tag tag-amber">${t('memberDayOnly')}</span>` : '';
          const quota = o.remaining !== null ? t('quotaLeft', { n: fmtNumber(o.remaining) }) : '';
          const side = o.claimable
            ? html`<button type="button" class="btn btn-small btn-primary" data-action="claim" data-arg=${o.template.id} aria-label=${t('claimCouponLabel', { name })}>${t('claim')}</button>`
            : html`<span class="status-tag" data-reason=${o.reason}>${claimReason(o)}</span>`;
          return html`<li>${couponCard(o.template, program, { side, badge, note: quota, muted: !o.claimable, attrs: { template: o.template.id } })}</li>`;
        })}
      </ul>
    </section>`;
}

function rewards(mall, program) {
  const list = program.rewards ?? [];
  if (!list.length) return '';
  const balance = mall.points().balance;
  return html`
    <section class="section" aria-labelledby="rewards-title">
      <h2 class="section-title" id="rewards-title">${t('rewardsTitle')}</h2>
      <ul class="reward-list" role="list">
        ${list.map(
          (r) => html`<li class="card reward">
            <div><h3>${local(r)}</h3><p class="muted small">${r.grants.type === 'goods' ? (getLang() === 'zh' ? r.grants.description : t('rewardGoods')) : couponRule(program.couponTemplates.find((c) => c.id === r.grants.template), program)}</p></div>
            <button type="button" class="btn btn-small btn-outline" data-action="redeem" data-arg=${r.id} ${balance < r.costPoints ? html`disabled` : ''}
              aria-label=${t('redeemLabel', { n: r.costPoints, name: local(r) })}>${t('redeem', { n: fmtNumber(r.costPoints) })}</button>
          </li>`,
        )}
      </ul>
    </section>`;
}

export function view({ mall, program, ui }) {
  const wallet = mall.wallet();
  return html`
    <h1 class="page-title">${t('tabCoupons')}</h1>
    <div class="tabs" role="tablist" aria-label=${t('tabCoupons')}>
      ${TABS.map(
        ([id, label]) => html`<button type="button" role="tab" id=${`wallet-tab-${id}`} aria-controls="wallet-panel" aria-selected=${ui.couponTab === id ? 'true' : 'false'}
            data-action="tab" data-arg=${id}>${t(label)} <span class="count">${wallet[id].length}</span></button>`,
      )}
    </div>
    <div id="wallet-panel" role="tabpanel" aria-labelledby=${`wallet-tab-${ui.couponTab}`}>${walletList(mall, program, ui.couponTab)}</div>
    ${claimCentre(mall, program)}
    ${rewards(mall, program)}`;
}

export const actions = {
  tab(el, ctx) {
    ctx.ui.couponTab = el.dataset.arg;
    ctx.render();
  },
  async claim(el, ctx) {
    const id = el.dataset.arg;
    const name = nameIn(ctx.program.couponTemplates, id);
    el.disabled = true;
    await ctx.mutate((m) => m.claimCoupon(id), t('claimed', { name }));
  },
  async redeem(el, ctx) {
    const reward = ctx.program.rewards.find((r) => r.id === el.dataset.arg);
    const name = local(reward);
    const ok = await ctx.confirmAsk(t('rewardsTitle'), t('redeemAsk', { n: fmtNumber(reward.costPoints), name }), t('confirm'));
    if (ok) await ctx.mutate((m) => m.redeemReward(reward.id), t('redeemed', { name }));
  },
};
