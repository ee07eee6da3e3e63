// Me: tier benefits and progress, points (lots and ledger), orders with refund, birthday (set
// once), referral (the code to share, a friend's code to accept, the friends invited), the
// segments the store sees, and settings.
import { html, raw } from '../html.js';
import { t, getLang, local, nameIn } from '../i18n.js';
import { fmtMoney, fmtMoneyShort, fmtNumber, fmtDate, fmtDateTime, fmtDay, fmtCountdown, shortOrderNo } from '../format.js';
import { ICONS } from '../icons.js';

function tierCard(mall) {
  const tier = mall.tier();
  const program = mall.program();
  const pct = Math.round(tier.progressBp / 100);
  const next = program.tiers.find((x) => x.id === tier.nextTier);
  return html`
    <section class="card" aria-labelledby="tier-title" id="tier-card">
      <div class="row">
        <h2 class="section-title" id="tier-title">${t('tierBenefits')}</h2>
        <span class=${`tier-badge tier-${tier.tier}`}>${nameIn(program.tiers, tier.tier)}</span>
      </div>
      <ul class="perks" role="list">${perksOf(program.tiers.find((x) => x.id === tier.tier), tier).map((p) => html`<li>${raw(ICONS.check)}<span>${p}</span></li>`)}</ul>
      <p class="muted small">${t('growth', { money: fmtMoney(tier.growth) })}</p>
      <div class="progress" role="progressbar" aria-label=${t('tierProgress')} aria-valuemin="0" aria-valuemax="100" aria-valuenow=${pct}><span style=${`width:${pct}%`}></span></div>
      <p class="small">${next ? t('toNextTier', { money: fmtMoney(tier.toNext), tier: local(next) }) : t('topTier')}</p>
      ${tier.keep ? html`<p class="small hint-amber">${t('tierKeep', { date: fmtDay(tier.keep.dropsOn, { weekday: false }), money: fmtMoney(tier.keep.spendNeeded) })}</p>` : ''}
      <ol class="ladder" aria-label=${t('tierLadder')}>
        ${program.tiers.map(
          (x) => html`<li class=${x.id === tier.tier ? 'ladder-current' : ''} aria-current=${x.id === tier.tier ? 'true' : 'false'}>
            <span class=${`tier-dot tier-${x.id}`} aria-hidden="true"></span><span>${local(x)}</span><span class="muted small">${t('tierFrom', { money: fmtMoneyShort(x.minGrowth) })}</span></li>`,
        )}
      </ol>
    </section>`;
}

/** A tier's benefits in the shopper's language (the program's words, else the engine's copy). */
function perksOf(tier, progress) {
  return tier?.perksByLanguage?.[getLang()] ?? tier?.perks ?? progress.perks;
}

function reasonText(reason, program) {
  const [kind, id] = reason.split(/:(.*)/s);
  if (kind === 'checkIn' || kind === 'makeupCheckIn') return t(`reason_${kind}`);
  if (kind === 'checkInMilestone') return t('reason_checkInMilestone', { days: id });
  if (kind === 'operator') return t('reason_operator', { text: id });
  if (kind === 'referral') return t(id.endsWith(':refunded') ? 'reason_referralCancelled' : 'reason_referral');
  if (kind === 'order' || kind === 'refund') return t(`reason_${kind}`, { id: shortOrderNo(id) });
  if (kind === 'reward') return t('reason_reward', { name: nameIn(program.rewards, id) });
  return reason;
}

/** A refund writes one entry for the points it gives back and one for the earned points it
 * takes back: the history shows them as one row with the net total, the parts on tap. */
function groupRefunds(entries) {
  const rows = [];
  for (const e of entries) {
    const last = rows.at(-1);
    if (last && e.reason.startsWith('refund:') && last.reason === e.reason) {
      last.parts.push(e);
      last.delta += e.delta;
      last.shortfall += e.shortfall;
    } else {
      rows.push({ ...e, parts: [e] });
    }
  }
  return rows;
}

/** Live lots summed per expiry, soonest first (the order they are spent in). */
function pointsCard(mall, ui) {
  const p = mall.points();
  const program = mall.program();
  const showAll = ui.open?.ledger;
  // The state holds the newest entries; older ones come from the server's archive, a page at a
  // time ("load earlier"), appended in the order they were made.
  const older = ui.history?.ledger;
  const held = showAll ? mall.ledger(0, p.ledgerTotal) : p.ledger;
  const rows = groupRefunds(showAll && older ? [...held, ...older.items] : held);
  const ledger = rows.slice(0, 8);
  const rest = rows.slice(8);
  const signed = (n) => `${n >= 0 ? '+' : '−'}${fmtNumber(Math.abs(n))}`;
  // A credit still pending says so: the balance above does not count it yet.
  const pendingLots = new Set(p.pendingLots.map((l) => l.lot));
  const pendingTag = (e) => (e.delta > 0 && e.lots.some((l) => pendingLots.has(l.lot)) ? html` <small class="tag tag-plain" data-pending>${t('pendingTag')}</small>` : '');
  const line = (e) => html`<span><span class="ledger-reason">${reasonText(e.reason, program)}</span>${pendingTag(e)}<small class="muted">${fmtDateTime(e.at)}${e.shortfall ? t('shortfall', { n: e.shortfall }) : ''}</small></span>
      <span class=${e.delta >= 0 ? 'plus' : 'minus'}>${signed(e.delta)}</span>`;
  const entry = (e) =>
    e.parts.length > 1
      ? html`<li class="ledger-row ledger-group" data-at=${e.at} data-delta=${e.delta}><details><summary>${line(e)}</summary>
          <ul class="plain-list ledger-parts">${e.parts.map((x) => html`<li data-delta=${x.delta}><span>${x.delta >= 0 ? t('refundPointsBack') : t('refundPointsTaken')}</span><span>${signed(x.delta)}</span></li>`)}</ul></details></li>`
      : html`<li class="ledger-row" data-at=${e.at} data-delta=${e.delta}>${line(e)}</li>`;
  return html`
    <section class="card" aria-labelledby="points-card-title" id="points-card">
      <div class="row">
        <h2 class="section-title" id="points-card-title">${t('pointsTitle')}</h2>
        <strong class="points-total">${fmtNumber(p.balance)}</strong>
      </div>
      ${p.expiringSoon > 0 ? html`<p class="small hint-amber">${t('expiringSoon', { n: fmtNumber(p.expiringSoon) })}</p>` : ''}
      ${p.pendingLots.length
        ? html`<h3 class="sub-title">${t('pendingTitle')}</h3>
          <ul class="plain-list lots" id="pending-lots">${p.pendingLots.slice(0, 5).map(
            ({ points: n, availableAt, source }) => html`<li data-points=${n} data-available-at=${availableAt}><span>${fmtNumber(n)} ${t('points')} <small class="muted">${reasonText(source, program)}</small></span><span class="muted small">${t('pendingLot', { date: fmtDateTime(availableAt) })}</span></li>`,
          )}</ul>`
        : ''}
      ${p.byExpiry.length
        ? html`<h3 class="sub-title">${t('pointsLots')}</h3>
          <ul class="plain-list lots">${p.byExpiry.slice(0, 5).map(
            ({ expiresAt, points: n }) => html`<li><span>${fmtNumber(n)} ${t('points')}</span><span class="muted small">${expiresAt === null ? t('lotNever') : t('lotExpires', { date: fmtDate(expiresAt - 1, { year: true }) })}</span></li>`,
          )}</ul>`
        : ''}
      <h3 class="sub-title">${t('ledger')}</h3>
      <ul class="plain-list ledger" id="ledger">${ledger.map(entry)}</ul>
      ${rest.length || p.ledgerTotal > held.length
        ? html`<details data-key="ledger" data-render-on-toggle ${showAll ? raw('open') : ''}><summary class="link-btn">${t('ledgerAll')}</summary><ul class="plain-list ledger">${rest.map(entry)}</ul>
            ${showAll ? loadEarlier('ledger', older, p.ledgerTotal - held.length - (older?.items.length ?? 0)) : ''}</details>`
        : ''}
    </section>`;
}

/** The "load earlier" button of an archived list: shown while the archive has more (`left`). */
function loadEarlier(kind, loaded, left) {
  if (loaded?.failed) return html`<p class="small hint-amber" role="status">${t('historyFailed')} <button type="button" class="link-btn" data-action="loadEarlier" data-arg=${kind}>${t('retry')}</button></p>`;
  if (loaded?.loading) return html`<p class="small muted" role="status">${t('loading')}</p>`;
  if (loaded ? loaded.next === null : left <= 0) return '';
  return html`<button type="button" class="btn btn-small btn-outline load-earlier" data-action="loadEarlier" data-arg=${kind}>${t('loadEarlier')}${left > 0 ? ` (${fmtNumber(left)})` : ''}</button>`;
}

/** What a refund reversed: the points paid with came back, the points earned were taken back. */
function refundedWords(o) {
  const parts = [];
  if (o.pointsUsed) parts.push(t('refundBack', { n: fmtNumber(o.pointsUsed) }));
  if (o.pointsEarned) parts.push(t('refundTaken', { n: fmtNumber(o.pointsEarned) }));
  return parts.length ? parts.join(t('listSeparator')) : t('orderRefunded');
}

function ordersCard(mall, ui) {
  const program = mall.program();
  const pendingIds = new Set(mall.pending().filter((p) => p.name === 'placeOrder').map((p) => p.args.orderId));
  const older = ui.history?.orders;
  const now = mall.now();
  // The working state's orders with their countdown and what can be done (newest first); the
  // archive's are closed: refunded, cancelled or past their refund window.
  const held = mall.orders(now);
  const archivedCount = Number(mall.state().past?.orders ?? 0);
  const orders = older ? [...held, ...older.items] : held.slice(0, 12);
  return html`
    <section class="card" aria-labelledby="orders-title" id="orders">
      <h2 class="section-title" id="orders-title">${t('orders')}</h2>
      ${orders.length
        ? html`<ul class="plain-list orders">${orders.map((o) => {
            const items = o.lines.reduce((n, l) => n + l.qty, 0);
            const pictures = o.lines.map((l) => program.catalog.find((s) => s.id === l.sku)?.image ?? '🛍️').join('');
            const status = o.status ?? 'paid';
            const state = o.refundedAt
              ? 'refunded'
              : pendingIds.has(o.id)
                ? 'pending'
                : status === 'awaitingPayment'
                  ? 'awaiting'
                  : status === 'cancelled'
                    ? 'cancelled'
                    : 'done';
            const label = {
              refunded: t('orderRefunded'),
              pending: t('orderPending'),
              awaiting: t('orderAwaiting'),
              cancelled: o.cancelledBy === 'deadline' ? t('orderExpired') : t('orderCancelled'),
              done: t('orderDone'),
            }[state];
            const no = shortOrderNo(o.id);
            let foot = '';
            if (status === 'awaitingPayment') {
              foot = html`<span class="muted small order-countdown" data-pay-by=${o.payBy ?? ''}>${t('payLeft', { time: fmtCountdown(o.payMsLeft ?? 0) })}</span>
                <span class="order-actions">
                  <button type="button" class="btn btn-small btn-ghost" data-action="cancelOrder" data-arg=${o.id} aria-label=${t('cancelOrderLabel', { id: no })}>${t('cancelOrder')}</button>
                  ${state === 'awaiting' ? html`<button type="button" class="btn btn-small btn-primary" data-action="pay" data-arg=${o.id} aria-label=${t('payNowLabel', { id: no, money: fmtMoney(o.total) })}>${t('payNow')}</button>` : ''}
                </span>`;
            } else if (status === 'paid') {
              foot = html`<span class="muted small order-points">${o.refundedAt ? refundedWords(o) : o.pointsEarned ? t('orderEarned', { n: fmtNumber(o.pointsEarned) }) : ''}</span>
                ${o.refundable
                  ? html`<button type="button" class="btn btn-small btn-outline" data-action="refund" data-arg=${o.id} aria-label=${t('refundLabel', { id: no })}>${t('refund')}</button>`
                  : !o.refundedAt
                    ? html`<span class="muted small">${t('refundClosed')}</span>`
                    : ''}`;
            }
            return html`<li class="order" data-order=${o.id} data-state=${state}>
              <div class="order-top"><span class="muted small">${fmtDateTime(o.placedAt)} · <span class="order-no">${t('orderNo', { no })}</span></span><span class=${`status-tag status-${state}`}>${label}</span></div>
              <div class="order-mid"><span class="order-pics" aria-hidden="true">${pictures}</span><span class="small">${t('orderItems', { n: items })}</span>
                ${(o.gifts ?? []).map((g) => html`<span class="tag tag-gift order-gift" data-sku=${g.sku}>${t('giftLabel', { name: nameIn(program.catalog, g.sku), qty: g.qty })}</span>`)}
                ${(o.giftsSoldOut ?? []).map((id) => html`<span class="tag tag-plain order-gift-sold-out" data-promotion=${id}>${t('promoSoldOut', { name: nameIn(program.promotions, id) })}</span>`)}
                <strong class="price">${fmtMoney(o.total)}</strong></div>
              ${foot ? html`<div class="order-foot">${foot}</div>` : ''}
            </li>`;
          })}</ul>`
        : archivedCount === 0 ? html`<p class="empty">${t('noOrders')}</p>` : ''}
      ${archivedCount > 0 || held.length > 12 ? loadEarlier('orders', older, archivedCount - (older?.items.length ?? 0) + (older ? 0 : Math.max(0, held.length - 12))) : ''}
    </section>`;
}

function birthdayCard(mall) {
  const birthday = mall.state().birthday;
  let body;
  if (birthday) {
    const [m, d] = birthday.split('-').map(Number);
    body = html`<p class="row"><strong id="birthday-value">${t('birthdaySet', { m, d })}</strong><span class="muted small">${t('birthdayLocked')}</span></p>`;
  } else {
    const months = Array.from({ length: 12 }, (_, i) => i + 1);
    const days = Array.from({ length: 31 }, (_, i) => i + 1);
    body = html`
      <div class="birthday-form">
        <label>${t('birthdayMonth')}<select id="bday-month" aria-label=${t('birthdayMonth')}>${months.map((m) => html`<option value=${m}>${m}</option>`)}</select></label>
        <label>${t('birthdayDay')}<select id="bday-day" aria-label=${t('birthdayDay')}>${days.map((d) => html`<option value=${d}>${d}</option>`)}</select></label>
        <button type="button" class="btn btn-small btn-primary" data-action="setBirthday">${t('birthdaySave')}</button>
      </div>
      <p class="muted small">${t('birthdayLocked')}</p>`;
  }
  return html`
    <section class="card" aria-labelledby="birthday-title" id="birthday">
      <h2 class="section-title" id="birthday-title">${raw(ICONS.gift)}${t('birthday')}</h2>
      <p class="small">${t('birthdayPerk')}</p>
      ${body}
    </section>`;
}

/** The code of a share link this page was opened with (`?ref=CODE`), if any. */
function sharedCode() {
  return new URLSearchParams(location.search).get('ref') ?? '';
}

function shareLink(code) {
  return `${location.origin}${location.pathname}?ref=${encodeURIComponent(code)}#/me`;
}

function referralCard(mall) {
  const r = mall.referral();
  if (!r.offered) return '';
  const rules = mall.program().referral;
  const accept = r.acceptUntil
    ? html`<div class="referral-form">
        <label for="referral-input">${t('referralAcceptLabel')}</label>
        <div class="row"><input id="referral-input" name="code" autocomplete="off" autocapitalize="characters" maxlength="14" value=${sharedCode()} placeholder=${t('referralPlaceholder')}>
        <button type="button" class="btn btn-small btn-primary" data-action="acceptReferral">${t('referralAccept')}</button></div>
        <p class="muted small">${t('referralAcceptUntil', { date: fmtDateTime(r.acceptUntil) })}</p>
      </div>`
    : r.referredBy
      ? html`<p class="small" id="referred-by" data-code=${r.referredBy}>${t('referralAccepted', { code: r.referredBy })}</p>`
      : '';
  const friends = r.friends.length
    ? html`<ul class="friends" id="friends" role="list">${r.friends.map(
        (f) => html`<li data-status=${f.status} data-points=${f.points}>
          <span>${f.name}</span><span class="muted small">${fmtDate(f.joinedAt)}</span>
          <span class=${`tag tag-${f.status}`}>${t(`friend_${f.status}`, { points: fmtNumber(f.points), date: f.availableAt ? fmtDateTime(f.availableAt) : '' })}</span>
        </li>`,
      )}</ul>`
    : html`<p class="muted small">${t('referralNoFriends')}</p>`;
  return html`
    <section class="card" aria-labelledby="referral-title" id="referral" data-code=${r.code}>
      <h2 class="section-title" id="referral-title">${raw(ICONS.gift)}${t('referralTitle')}</h2>
      <p class="small">${t('referralPerk', { points: fmtNumber(rules.referrerReward.points), money: fmtMoney(rules.minFirstPaid) })}</p>
      <div class="row"><span>${t('referralYourCode')}</span><strong id="referral-code">${r.code}</strong>
        <button type="button" class="btn btn-small btn-outline" data-action="shareReferral" data-arg=${r.code}>${t('referralShare')}</button></div>
      <input class="share-link" id="referral-link" readonly aria-label=${t('referralLink')} value=${shareLink(r.code)}>
      <p class="muted small">${t('referralCap', { n: r.rewardedThisMonth, max: r.maxRewardsPerMonth })}</p>
      ${accept}
      <h3 class="small">${t('referralFriends')}</h3>
      ${friends}
    </section>`;
}

function segmentsCard(mall) {
  const s = mall.segments();
  const activity = s.activeWithin3Days ? t('active3') : s.activeWithin7Days ? t('active7') : s.activeWithin14Days ? t('active14') : t('inactive14');
  const pct = Math.round(s.couponShareBp / 100);
  const sensitivity = s.priceSensitivity ? t(`sensitivity_${s.priceSensitivity}`, { pct }) : t('sensitivity_none');
  return html`
    <section class="card" aria-labelledby="segments-title" id="segments">
      <h2 class="section-title" id="segments-title">${t('segmentsTitle')}</h2>
      <p class="muted small">${t('segmentsHint')}</p>
      <dl class="facts">
        <div><dt>${t('lifecycle')}</dt><dd data-lifecycle=${s.lifecycle}>${t(`lifecycle_${s.lifecycle}`)}</dd></div>
        <div><dt>${t('activity')}</dt><dd>${activity}</dd></div>
        <div><dt>${t('priceSensitivity')}</dt><dd>${sensitivity}</dd></div>
      </dl>
      <ul class="tag-list" aria-label=${t('tags')}>${s.tags.map((tag) => html`<li class="tag tag-plain">${tag}</li>`)}</ul>
    </section>`;
}

export function view({ mall, ui }) {
  const joined = mall.state().joinedAt;
  const id = mall.state().memberId;
  return html`
    <h1 class="sr-only">${t('tabMe')}</h1>
    <section class="profile">
      <span class="avatar" aria-hidden="true">${id.slice(0, 1).toUpperCase()}</span>
      <div><p class="profile-name">${id}</p>${joined ? html`<p class="muted small">${t('joined', { date: fmtDate(joined, { year: true }) })}</p>` : ''}</div>
    </section>
    ${tierCard(mall)}
    ${pointsCard(mall, ui)}
    ${ordersCard(mall, ui)}
    ${referralCard(mall)}
    ${birthdayCard(mall)}
    ${segmentsCard(mall)}
    <section class="card settings" aria-labelledby="settings-title">
      <h2 class="section-title" id="settings-title">${t('settings')}</h2>
      <div class="row"><span>${t('language')}</span><button type="button" class="btn btn-small btn-outline" data-action="toggleLang">${getLang() === 'zh' ? 'English' : '中文'}</button></div>
      <div class="row"><span>${id}</span><button type="button" class="btn btn-small btn-ghost" data-action="logout">${t('switchMember')}</button></div>
    </section>`;
}

export const actions = {
  /** One more page of the archive (ledger or orders), appended below what is shown. */
  async loadEarlier(el, ctx) {
    const kind = el.dataset.arg;
    const shown = ((ctx.ui.history ??= {})[kind] ??= { items: [], next: undefined });
    if (shown.loading || shown.next === null) return;
    shown.loading = true;
    shown.failed = false;
    ctx.render();
    try {
      const page = await ctx.app.client.history(kind, shown.next === undefined ? { limit: 20 } : { before: shown.next, limit: 20 });
      shown.items.push(...page.items);
      shown.next = page.next;
    } catch {
      shown.failed = true;
    } finally {
      shown.loading = false;
      ctx.render();
    }
  },
  async pay(el, ctx) {
    await ctx.payOrder(el.dataset.arg);
  },
  async cancelOrder(el, ctx) {
    const id = el.dataset.arg;
    const ok = await ctx.confirmAsk(t('cancelOrder'), t('cancelOrderAsk', { id: shortOrderNo(id) }), t('cancelOrder'), { danger: true });
    if (ok) await ctx.mutate((m) => m.cancelOrder(id), t('orderCancelledToast'));
  },
  async refund(el, ctx) {
    const order = ctx.mall.state().orders.find((o) => o.id === el.dataset.arg);
    const ok = await ctx.confirmAsk(t('refund'), t('refundAsk', { id: shortOrderNo(order.id), money: fmtMoney(order.total) }), t('refund'), { danger: true });
    if (ok) await ctx.mutate((m) => m.refundOrder(order.id), t('refunded', { money: fmtMoney(order.total) }));
  },
  async acceptReferral(el, ctx) {
    const code = document.getElementById('referral-input').value;
    if (!code.trim()) return;
    await ctx.mutate((m) => m.acceptReferral(code), t('referralAcceptedToast'));
  },
  async shareReferral(el, ctx) {
    const url = shareLink(el.dataset.arg);
    try {
      if (navigator.share) await navigator.share({ title: t('referralTitle'), text: t('referralShareText', { code: el.dataset.arg }), url });
      else await navigator.clipboard.writeText(url);
      ctx.toast(t('referralCopied'));
    } catch {
      document.getElementById('referral-link')?.select();
    }
  },
  async setBirthday(el, ctx) {
    const m = Number(document.getElementById('bday-month').value);
    const d = Number(document.getElementById('bday-day').value);
    const date = t('birthdaySet', { m, d });
    const ok = await ctx.confirmAsk(t('birthday'), t('birthdayAsk', { date }), t('confirm'));
    const pad = (n) => String(n).padStart(2, '0');
    if (ok) await ctx.mutate((mall) => mall.setBirthday(`${pad(m)}-${pad(d)}`), t('birthdaySaved'));
  },
};
