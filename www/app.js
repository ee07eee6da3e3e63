// The demo member mall: boot, session, routing, the shell (top bar, tab bar), toasts, dialogs,
// sync status, reversals and the QA clock. Pages live in views/.
import init, { openMall, callApi } from '/pkg/index.js';
import { html, raw } from './html.js';
import { t, setLang, getLang, errorText, local, nameIn } from './i18n.js';
import { fmtMoney, fmtDateTime, fmtCountdown, setUtcOffset, instantOf, wallParts, shortOrderNo } from './format.js';
import { ICONS } from './icons.js';
import * as home from './views/home.js';
import * as checkin from './views/checkin.js';
import * as coupons from './views/coupons.js';
import * as cart from './views/cart.js';
import * as me from './views/me.js';
import * as login from './views/login.js';

const PAGES = { home, checkin, coupons, cart, me };
const TABS = [
  ['home', 'tabHome'],
  ['checkin', 'tabCheckIn'],
  ['coupons', 'tabCoupons'],
  ['cart', 'tabCart'],
  ['me', 'tabMe'],
];

const $ = (sel) => document.querySelector(sel);
const els = { topbar: $('#topbar'), main: $('#main'), tabbar: $('#tabbar'), toasts: $('#toasts'), dialog: $('#dialog'), live: $('#sr-status') };

/** Everything the views read; views never touch storage or the network. */
const app = {
  session: null, // {memberId, token}
  program: null,
  client: null,
  route: 'home',
  cart: [],
  qa: null, // {offsetMs, now, businessDay} when the server is in demo mode
  ui: { category: 'all', couponChoice: 'best', points: 0, couponTab: 'available', month: null, shownQuote: null },
  booting: true,
  bootError: null,
};

// ---------------------------------------------------------------------------------------------
// Storage of small preferences (the member's data is the sync shim's business).

const prefs = {
  get(key, fallback) {
    try {
      const v = localStorage.getItem(`siyu.${key}`);
      return v === null ? fallback : JSON.parse(v);
    } catch {
      return fallback;
    }
  },
  set(key, value) {
    try {
      if (value === null) localStorage.removeItem(`siyu.${key}`);
      else localStorage.setItem(`siyu.${key}`, JSON.stringify(value));
    } catch {
      // Preferences are a nicety.
    }
  },
};

/** The cart and the shopper's choices for it (coupons, points) survive a reload. */
function saveCart() {
  if (!app.session) return;
  prefs.set(`cart.${app.session.memberId}`, app.cart);
  prefs.set(`cartChoice.${app.session.memberId}`, { couponChoice: app.ui.couponChoice, points: app.ui.points });
}

// ---------------------------------------------------------------------------------------------
// Toasts and dialogs

export function toast(message, { error = false, code } = {}) {
  const el = document.createElement('div');
  el.className = `toast${error ? ' toast-error' : ''}`;
  el.setAttribute('role', error ? 'alert' : 'status');
  if (code) el.dataset.code = code;
  el.textContent = message;
  // One status toast at a time: a new one replaces the last (three quick adds to the cart show
  // one line, not a stack over the page); errors stay until they time out.
  if (!error) els.toasts.querySelectorAll('.toast:not(.toast-error)').forEach((old) => old.remove());
  els.toasts.append(el);
  setTimeout(() => el.classList.add('toast-out'), error ? 4200 : 2400);
  setTimeout(() => el.remove(), error ? 4600 : 2800);
}

export function toastError(e) {
  const code = e?.code ?? 'ERROR';
  toast(errorText(code, e?.message), { error: true, code });
}

/**
 * A modal dialog. `actions`: [{value, label, primary?, danger?}]. Resolves with the chosen value
 * (null when dismissed) and the form's data. Dialogs queue: one shows at a time.
 */
let dialogQueue = Promise.resolve();
export function ask(options) {
  const shown = dialogQueue.then(() => showDialog(options));
  dialogQueue = shown.catch(() => {});
  return shown;
}

function showDialog({ title, body = '', actions, id = 'dialog-form' }) {
  const dialog = els.dialog;
  dialog.innerHTML = String(html`
    <form method="dialog" id=${id} class="dialog-form">
      <h2 class="dialog-title" id="dialog-title">${title}</h2>
      <div class="dialog-body">${body}</div>
      <div class="dialog-actions">
        ${actions.map((a) => html`<button type="submit" value=${a.value} class=${`btn ${a.primary ? 'btn-primary' : a.danger ? 'btn-danger' : 'btn-ghost'}`}>${a.label}</button>`)}
      </div>
    </form>`);
  dialog.setAttribute('aria-labelledby', 'dialog-title');
  return new Promise((resolve) => {
    const onClose = () => {
      dialog.removeEventListener('close', onClose);
      const form = dialog.querySelector('form');
      resolve({ value: dialog.returnValue || null, data: form ? new FormData(form) : new FormData() });
      dialog.returnValue = '';
    };
    dialog.addEventListener('close', onClose);
    dialog.showModal();
  });
}

async function confirmAsk(title, body, okLabel, { danger = false } = {}) {
  const { value } = await ask({ title, body, actions: [{ value: 'cancel', label: t('cancel') }, { value: 'ok', label: okLabel, primary: !danger, danger }] });
  return value === 'ok';
}

// ---------------------------------------------------------------------------------------------
// Mutations: optimistic through the shim, errors as toasts.

async function mutate(fn, success) {
  try {
    const result = await app.client.mutate(fn);
    if (success) toast(typeof success === 'function' ? success(result) : success);
    render();
    return result;
  } catch (e) {
    toastError(e);
    render();
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    if (!renderQueued) return; // drawn already (see onStatus)
    renderQueued = false;
    render();
  });
}

/** The context views render from and act through. */
function ctx() {
  return {
    app,
    mall: app.client?.mall,
    program: app.program,
    ui: app.ui,
    cart: app.cart,
    qa: app.qa,
    t,
    mutate,
    toast,
    toastError,
    ask,
    confirmAsk,
    render,
    navigate,
    addToCart,
    setCart,
    saveCart,
    payOrder,
  };
}

// ---------------------------------------------------------------------------------------------
// Payment (rulebook §8): the order is paid once the store's result has come back.

/** The host's payment call for the demo provider: a pay sheet the shopper confirms. */
async function paySheet(payment) {
  const money = fmtMoney(payment.amount);
  const { value } = await ask({
    title: t('paySheetTitle'),
    body: html`<p>${t('paySheetBody', { id: shortOrderNo(payment.orderId), money })}</p>`,
    actions: [{ value: 'cancel', label: t('cancel') }, { value: 'pay', label: t('payConfirm', { money }), primary: true }],
    id: 'pay-form',
  });
  if (value !== 'pay') throw Object.assign(new Error(errorText('PAYMENT_CANCELLED', 'payment cancelled')), { name: 'SiyuError', code: 'PAYMENT_CANCELLED', details: {} });
}

async function payOrder(orderId) {
  const total = app.client.mall.orders().find((o) => o.id === orderId)?.total ?? 0;
  try {
    const result = await app.client.pay(orderId);
    toast(result.status === 'paid' ? t('paidToast', { money: fmtMoney(total) }) : t('payWaiting'));
  } catch (e) {
    if (e?.code === 'PAYMENT_CANCELLED') toast(errorText('PAYMENT_CANCELLED', e.message));
    else toastError(e);
  }
  render();
}

/** The countdowns of orders awaiting payment, each second, without redrawing the page. */
setInterval(() => {
  const now = app.client?.mall?.now();
  if (now === undefined) return;
  for (const el of document.querySelectorAll('[data-pay-by]')) {
    const payBy = Number(el.dataset.payBy);
    if (payBy) el.textContent = t('payLeft', { time: fmtCountdown(payBy - now) });
  }
}, 1000);

function focusKey(el) {
  if (!el || el === document.body) return null;
  if (el.id) return `#${CSS.escape(el.id)}`;
  if (el.dataset?.action) return `[data-action="${el.dataset.action}"]${el.dataset.arg ? `[data-arg="${CSS.escape(el.dataset.arg)}"]` : ''}`;
  return null;
}

function render() {
  const key = focusKey(document.activeElement);
  // Keep disclosures as the shopper left them (a toggle event may still be queued).
  for (const d of els.main.querySelectorAll('details[data-key]')) (app.ui.open ??= {})[d.dataset.key] = d.open;
  document.body.dataset.route = app.session ? app.route : 'login';
  if (app.booting) {
    els.topbar.innerHTML = '';
    els.tabbar.innerHTML = '';
    els.main.innerHTML = String(html`<div class="splash" role="status" aria-busy="true"><span class="spinner" aria-hidden="true"></span>${t('loading')}</div>`);
    return;
  }
  if (app.bootError) {
    els.topbar.innerHTML = '';
    els.tabbar.innerHTML = '';
    els.main.innerHTML = String(html`<div class="splash" role="alert"><p>${t('bootFailed')}</p><p class="muted">${app.bootError}</p>
      <button class="btn btn-primary" data-action="reload">${t('retry')}</button></div>`);
    return;
  }
  if (!app.session || !app.client) {
    els.topbar.innerHTML = '';
    els.tabbar.innerHTML = '';
    els.main.innerHTML = String(login.view(ctx()));
  } else {
    els.topbar.innerHTML = String(topbar());
    els.main.innerHTML = String(PAGES[app.route].view(ctx()));
    els.tabbar.innerHTML = String(tabbar());
  }
  if (key) document.querySelector(key)?.focus({ preventScroll: true });
  tick();
}

function storeName() {
  return local(app.program);
}

function syncBadge() {
  const s = app.client.status;
  const text =
    s.state === 'synced' ? t('syncSynced') : s.state === 'pending' ? t('syncPending', { n: s.pending }) : s.state === 'offline' ? t('syncOffline', { n: s.pending }) : t('syncError');
  const title = s.state === 'error' ? errorText(s.code, s.message) : t('syncNow');
  return html`<button type="button" id="sync-badge" class=${`sync-badge sync-${s.state}`} data-state=${s.state} data-pending=${s.pending}
      data-action="syncNow" title=${title} aria-label=${`${text}. ${title}`}><span class="dot" aria-hidden="true"></span>${text}</button>`;
}

function topbar() {
  return html`
    <div class="brand"><span class="logo" aria-hidden="true">禾</span><span class="brand-name">${storeName()}</span></div>
    <div class="top-actions">
      ${app.qa ? html`<button type="button" class="chip-btn chip-icon" id="qa-open" data-action="qaOpen" aria-haspopup="dialog" aria-label=${t('qaOpen')} title=${t('qaOpen')}>${raw(ICONS.clock)}</button>` : ''}
      ${syncBadge()}
      <button type="button" class="chip-btn" data-action="toggleLang" aria-label=${t('langSwitchLabel')}>${t('langSwitch')}</button>
    </div>`;
}

function tabbar() {
  const count = app.cart.reduce((n, l) => n + l.qty, 0);
  return html`${TABS.map(
    ([route, label]) => html`<a href=${`#/${route}`} class="tab" id=${`tab-${route}`} aria-current=${route === app.route ? 'page' : 'false'}>
      <span class="tab-icon" aria-hidden="true">${raw(ICONS[route])}</span><span class="tab-label">${t(label)}</span>
      ${route === 'cart' && count > 0 ? html`<span class="tab-badge" aria-label=${t('cartCount', { n: count })}>${count}</span>` : ''}
    </a>`,
  )}`;
}

// Countdowns tick in place; when one runs out the page is re-rendered (member day starts/ends).
function tick() {
  for (const el of document.querySelectorAll('[data-deadline]')) {
    const left = Number(el.dataset.deadline) - Date.now();
    el.textContent = fmtCountdown(left);
    if (left <= 0 && !el.dataset.expired) {
      el.dataset.expired = '1';
      scheduleRender();
    }
  }
}
setInterval(tick, 1000);

// ---------------------------------------------------------------------------------------------
// Navigation and the cart

function routeFromHash() {
  const name = location.hash.replace(/^#\/?/, '').split('?')[0];
  return PAGES[name] ? name : 'home';
}

function navigate(route) {
  if (location.hash !== `#/${route}`) location.hash = `#/${route}`;
  else render();
}

window.addEventListener('hashchange', () => {
  app.route = routeFromHash();
  render();
  window.scrollTo(0, 0);
  els.main.focus({ preventScroll: true });
});

function setCart(lines) {
  app.cart = lines.filter((l) => l.qty > 0);
  saveCart();
  render();
}

function addToCart(sku, qty = 1) {
  const line = app.cart.find((l) => l.sku === sku);
  if (line) line.qty = Math.min(999, line.qty + qty);
  else app.cart.push({ sku, qty });
  saveCart();
  const name = nameIn(app.program.catalog, sku);
  toast(t('added', { name }));
  render();
}

// ---------------------------------------------------------------------------------------------
// Events: one delegated click handler; views export their actions.

const SHELL_ACTIONS = {
  reload: () => location.reload(),
  toggleLang: () => {
    setLang(getLang() === 'zh' ? 'en' : 'zh');
    prefs.set('lang', getLang());
    // The last announcement was in the other language.
    els.live.textContent = '';
    lastAnnounced = '';
    render();
  },
  syncNow: async () => {
    const status = await app.client.sync();
    if (status.state === 'error') toast(errorText(status.code, status.message), { error: true, code: status.code });
    render();
  },
  login: async (el) => {
    const memberId = el.dataset.arg;
    el.setAttribute('aria-busy', 'true');
    el.disabled = true;
    try {
      const reply = await callApi(fetch, '/api/login', { body: { memberId } });
      app.session = { memberId: reply.memberId, token: reply.token };
      prefs.set('session', app.session);
      await startMall();
    } catch (e) {
      toastError(e);
      render();
    }
  },
  logout: () => {
    app.client?.close();
    app.client = null;
    app.session = null;
    prefs.set('session', null);
    render();
  },
  qaOpen: () => openQa(),
};

function findAction(name) {
  if (SHELL_ACTIONS[name]) return SHELL_ACTIONS[name];
  const page = app.session ? PAGES[app.route] : login;
  return page.actions?.[name];
}

document.addEventListener('click', async (event) => {
  const el = event.target.closest('[data-action]');
  if (!el || el.disabled || el.getAttribute('aria-disabled') === 'true') return;
  const action = findAction(el.dataset.action);
  if (!action) return;
  event.preventDefault();
  await action(el, ctx(), event);
});

// <details data-key=…> keep their open state across re-renders.
document.addEventListener(
  'toggle',
  (event) => {
    const el = event.target;
    if (el.tagName !== 'DETAILS' || !el.dataset.key) return;
    const was = app.ui.open?.[el.dataset.key] ?? false;
    (app.ui.open ??= {})[el.dataset.key] = el.open;
    // Some sections load more when opened (the whole points history): draw them again.
    if ('renderOnToggle' in el.dataset && was !== el.open) render();
  },
  true,
);

for (const type of ['input', 'change']) {
  document.addEventListener(type, (event) => {
    const el = event.target.closest(`[data-on${type}]`);
    if (!el) return;
    const action = findAction(el.dataset[`on${type}`]);
    action?.(el, ctx(), event);
  });
}

// ---------------------------------------------------------------------------------------------
// Sync status and reversals

let lastAnnounced = '';
function onStatus(status) {
  const text = status.state === 'synced' ? t('syncSynced') : status.state === 'offline' ? t('syncOffline', { n: status.pending }) : status.state === 'error' ? t('syncError') : t('syncPending', { n: status.pending });
  if (text !== lastAnnounced) {
    lastAnnounced = text;
    els.live.textContent = text;
  }
  if (status.state === 'error' && status.code === 'UNAUTHENTICATED') relogin();
  // The badge never says "synced" above a page drawn from older data: a change waiting for the
  // next frame is drawn now, badge included.
  if (renderQueued) {
    renderQueued = false;
    render();
    return;
  }
  const badge = document.getElementById('sync-badge');
  if (badge) badge.outerHTML = String(syncBadge());
}

let reloggingIn = false;
async function relogin() {
  if (reloggingIn || !app.session) return;
  reloggingIn = true;
  try {
    const reply = await callApi(fetch, '/api/login', { body: { memberId: app.session.memberId } });
    app.session.token = reply.token;
    prefs.set('session', app.session);
    await app.client.sync();
  } catch {
    // Stays in the error state; the badge says so.
  } finally {
    reloggingIn = false;
  }
}

let showingReversals = false;
async function onReversals(reversals) {
  if (showingReversals || !reversals.length) return;
  showingReversals = true;
  try {
    const items = reversals.map((r) => html`<li data-code=${r.error.code}>${t('reversalItem', { what: t(`mutation_${r.name}`), why: errorText(r.error.code, r.error.message, r.error.details) })}</li>`);
    const repriced = reversals.find((r) => r.name === 'placeOrder' && r.error.code === 'PRICE_CHANGED' && r.error.details?.quote);
    const quote = repriced?.error.details.quote;
    const body = html`<ul class="plain-list">${items}</ul>
      ${quote ? html`<p class="price-changed">${t('priceChangedBody', { old: fmtMoney(repriced.error.details.expected), now: fmtMoney(quote.total) })}</p>` : ''}`;
    const actions = quote
      ? [{ value: 'dismiss', label: t('close') }, { value: 'reorder', label: t('priceChangedOk', { money: fmtMoney(quote.total) }), primary: true }]
      : [{ value: 'dismiss', label: t('confirm'), primary: true }];
    const { value } = await ask({ title: t('reversalTitle'), body, actions, id: 'reversal-form' });
    await app.client.dismissReversals();
    if (value === 'reorder' && quote) {
      const lines = quote.lines.map((l) => ({ sku: l.sku, qty: l.qty }));
      await mutate(
        (m) => m.placeOrder({ orderId: m.nextOrderId(), lines, coupons: quote.coupons.map((c) => c.id), points: quote.points.used, expectedTotal: quote.total }),
        t('orderPlaced', { money: fmtMoney(quote.total) }),
      );
    }
  } finally {
    showingReversals = false;
    render();
  }
}

// ---------------------------------------------------------------------------------------------
// QA clock (demo mode only): moves "now" on the server, then a pull moves the client's offset.

async function probeQa() {
  try {
    app.qa = await callApi(fetch, '/api/qa/clock');
  } catch {
    app.qa = null;
  }
}

function offsetText(ms) {
  const sign = ms < 0 ? '−' : '+';
  const abs = Math.abs(ms);
  const days = Math.floor(abs / 86_400_000);
  const hours = Math.floor((abs % 86_400_000) / 3_600_000);
  const minutes = Math.round((abs % 3_600_000) / 60_000);
  return getLang() === 'en' ? `${sign}${days}d ${hours}h ${minutes}m` : `${sign}${days}天${hours}小时${minutes}分`;
}

async function openQa() {
  await probeQa();
  if (!app.qa) return;
  const { now, businessDay, offsetMs } = app.qa;
  const p = wallParts(now);
  const pad = (n) => String(n).padStart(2, '0');
  const local = `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
  const sale = app.program.limitedSales?.[0];
  const body = html`
    <p class="muted">${t('qaHint')}</p>
    <p id="qa-now">${t('qaNow', { at: fmtDateTime(now), day: businessDay })}</p>
    <p class="muted">${t('qaOffset', { text: offsetText(offsetMs) })}</p>
    <div class="qa-grid">
      <button type="submit" class="btn btn-ghost" value="plusHour">${t('qaPlusHour')}</button>
      <button type="submit" class="btn btn-ghost" value="plusDay">${t('qaPlusDay')}</button>
      <button type="submit" class="btn btn-ghost" value="minusDay">${t('qaMinusDay')}</button>
      <button type="submit" class="btn btn-ghost" value="memberDay" id="qa-member-day">${t('qaMemberDay')}</button>
      ${sale ? html`<button type="submit" class="btn btn-ghost" value="sale">${t('qaSale')}</button>` : ''}
      <button type="submit" class="btn btn-ghost" value="reset">${t('qaReset')}</button>
    </div>
    <label class="qa-set">${t('qaSetTo')} <input type="datetime-local" name="at" value=${local} aria-label=${t('qaSetTo')}></label>`;
  const { value, data } = await ask({ title: t('qaTitle'), body, actions: [{ value: 'close', label: t('close') }, { value: 'set', label: t('qaSetTo'), primary: true }], id: 'qa-form' });
  if (!value || value === 'close') return;
  let target;
  if (value === 'plusHour') target = now + 3_600_000;
  else if (value === 'plusDay') target = now + 86_400_000;
  else if (value === 'minusDay') target = now - 86_400_000;
  else if (value === 'reset') target = now - offsetMs;
  else if (value === 'sale') target = sale.startsAt - 20 * 60_000;
  else if (value === 'memberDay') {
    const next = app.client.mall.memberDay().next;
    if (!next) return;
    const [y, m, d] = next.split('-').map(Number);
    target = instantOf(y, m, d, 10);
  } else if (value === 'set') {
    const at = String(data.get('at') ?? '');
    const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(at);
    if (!match) return;
    target = instantOf(+match[1], +match[2], +match[3], +match[4], +match[5]);
  }
  await moveClock(offsetMs + (target - now));
}

async function moveClock(offsetMs) {
  try {
    app.qa = await callApi(fetch, '/api/qa/clock', { body: { offsetMs: Math.round(offsetMs) } });
    await app.client.sync();
    toast(t('qaMoved', { at: fmtDateTime(app.client.mall.now()) }));
  } catch (e) {
    toastError(e);
  }
  render();
}

// ---------------------------------------------------------------------------------------------
// Boot

async function loadProgram() {
  try {
    const program = await callApi(fetch, '/api/program');
    prefs.set('program', program);
    return program;
  } catch (e) {
    const cached = prefs.get('program', null);
    if (cached) return cached;
    throw e;
  }
}

async function startMall() {
  const memberId = app.session.memberId;
  app.program = await loadProgram();
  setUtcOffset(app.program.utcOffsetMinutes);
  app.client?.close();
  app.client = await openMall({ program: app.program, memberId, getToken: () => app.session.token, requestPayment: paySheet });
  app.cart = prefs.get(`cart.${memberId}`, []);
  const choice = prefs.get(`cartChoice.${memberId}`, {});
  app.ui = { category: 'all', couponChoice: choice.couponChoice ?? 'best', points: choice.points ?? 0, couponTab: 'available', month: null, shownQuote: null };
  app.client.on('status', onStatus);
  app.client.on('change', scheduleRender);
  app.client.on('reversals', onReversals);
  probeQa().then(render);
  window.siyuApp = app; // for the end-to-end tests and the console
  render();
}

async function boot() {
  setLang(prefs.get('lang', 'zh'));
  app.route = routeFromHash();
  render();
  try {
    await init();
    app.session = prefs.get('session', null);
    if (app.session) await startMall();
    else app.program = await loadProgram().catch(() => null);
  } catch (e) {
    app.bootError = e?.message ?? String(e);
  }
  app.booting = false;
  render();
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => {});
}

boot();
