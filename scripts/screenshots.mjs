#!/usr/bin/env node
// Regenerates docs/screenshots/*.png: every page of the demo mall at 375×812, driven through the
// real server (`siyu-server --demo`, env SIYU_SERVER_BIN, default target/release/siyu-server) and
// Debian's chromium. Needs pkg/ built; Chinese text needs fonts-noto-cjk (and emoji
// fonts-noto-color-emoji) installed.
//
//   node scripts/screenshots.mjs            # all of them, in Chinese (docs/screenshots/) and in
//                                           # English (docs/screenshots/en/)
//   SIYU_SCALE=2 node scripts/screenshots.mjs
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startServer, launchBrowser, waitSynced, go, payInSheet, ROOT } from '../tests/e2e/harness.mjs';

const BASE = join(ROOT, 'docs', 'screenshots');
let OUT = BASE;

try {
  if (!execFileSync('fc-list', [':lang=zh'], { encoding: 'utf8' }).trim()) {
    console.warn('warning: no Chinese font (apt-get install fonts-noto-cjk fonts-noto-color-emoji): text will show as boxes');
  }
} catch {
  // fontconfig missing: chromium will say so in the pictures.
}

const browser = await launchBrowser();
const shots = [];
let server;
let lang = 'zh';

/** Scroll so that `selector` sits just under the top bar. */
async function scrollTo(page, selector, gap = 64) {
  await page.locator(selector).first().evaluate((el, g) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - g), gap);
}

async function shot(page, name, { top = true } = {}) {
  // Toasts come and go; the pictures show the pages.
  await page.addStyleTag({ content: '.toasts { display: none !important; }' });
  if (top) await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(150);
  const path = join(OUT, `${name}.png`);
  await page.screenshot({ path });
  shots.push(path);
}

async function phone() {
  const locale = lang === 'en' ? 'en-US' : 'zh-CN';
  const context = await browser.newContext({ viewport: { width: 375, height: 812 }, deviceScaleFactor: Number(process.env.SIYU_SCALE || 1), locale });
  // The demo remembers the language in localStorage; each run starts in its own.
  await context.addInitScript((l) => localStorage.setItem('siyu.lang', JSON.stringify(l)), lang);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return { context, page };
}

async function tour() {
  // Login.
  let { context, page } = await phone();
  await page.goto(`${server.url}/`);
  await page.locator('#login-loyal').waitFor();
  await shot(page, '01-login');

  // The loyal member: home, check-in, coupons.
  await page.click('#login-loyal');
  await waitSynced(page);
  await shot(page, '02-home');
  await go(page, 'checkin');
  await shot(page, '03-checkin');
  await page.click('#checkin-btn');
  await page.locator('#checkin-btn[disabled]').waitFor();
  await waitSynced(page);
  await shot(page, '04-checkin-done');
  await go(page, 'coupons');
  await page.click('[data-action="claim"][data-arg="full-300-50"]');
  await waitSynced(page);
  await shot(page, '05-coupons');
  await scrollTo(page, '#claim-title');
  await shot(page, '06-claim-centre', { top: false });

  // Cart: best coupons, points, breakdown, the 凑单 hint.
  await go(page, 'home');
  for (const sku of ['protein-1kg', 'almond-250', 'oatmilk-6']) await page.click(`[data-action="add"][data-arg="${sku}"]`);
  await go(page, 'cart');
  await page.locator('#points-slider').focus();
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
  await page.locator('#points-slider').blur();
  await shot(page, '07-cart');
  await page.locator('.cart-line[data-sku="protein-1kg"] summary').click();
  await scrollTo(page, '.cart-line[data-sku="protein-1kg"]');
  await shot(page, '08-cart-why-this-price', { top: false });
  await page.click('[data-action="chooseCoupons"]');
  await page.locator('#coupon-form').waitFor();
  await shot(page, '09-cart-choose-coupons', { top: false });
  await page.keyboard.press('Escape');

  // Place it: the pay sheet, then Me once it is paid.
  await page.click('#place-order');
  await page.locator('#pay-form').waitFor();
  await shot(page, '09b-pay-sheet', { top: false });
  const orderId = await page.locator('#orders .order').first().getAttribute('data-order');
  await payInSheet(page, orderId);
  await page.locator('#tab-me[aria-current="page"]').waitFor();
  await waitSynced(page);
  await shot(page, '10-me');
  await scrollTo(page, '#orders');
  await shot(page, '11-me-orders', { top: false });
  // Refund it: the order says what was reversed, the history shows one row for it.
  await page.locator('#orders [data-action="refund"]').first().click();
  await page.locator('#dialog button[value="ok"]').click();
  await page.locator('#orders .order[data-state="refunded"]').first().waitFor();
  await waitSynced(page);
  await scrollTo(page, '#points-card');
  await shot(page, '11b-me-refund', { top: false });
  await scrollTo(page, '#birthday');
  await shot(page, '12-me-segments', { top: false });

  // Offline: a check-in waits in the queue.
  await context.close();
  ({ context, page } = await phone());
  await page.goto(`${server.url}/`);
  await page.click('#login-new');
  await waitSynced(page);
  await shot(page, '13-home-new-member');
  await go(page, 'coupons');
  await page.click('[data-action="claim"][data-arg="full-300-50"]');
  await go(page, 'home');
  await page.click('[data-action="add"][data-arg="collagen-30"]');
  await go(page, 'cart');
  await scrollTo(page, '#cart-coupons');
  await shot(page, '14-cart-add-on-hint', { top: false });
  await page.click('[data-action="qty"][data-arg="collagen-30:-1"]');
  await shot(page, '14b-cart-empty');
  // Promotions: the running ones on the home page; in the cart 第二件半价, the 满减 bar and the
  // 满赠 gift line.
  await go(page, 'home');
  await scrollTo(page, '#promotions');
  await shot(page, '14c-home-promotions', { top: false });
  for (const sku of ['pistachio-400', 'pistachio-400', 'coconut-12', 'protein-1kg', 'collagen-30']) await page.click(`[data-action="add"][data-arg="${sku}"]`);
  await go(page, 'cart');
  await shot(page, '14d-cart-promotions');
  await scrollTo(page, '#cart-promotions');
  await shot(page, '14e-cart-promotion-bar', { top: false });
  await page.click('[data-action="clearCart"]').catch(() => {});
  for (const sku of ['pistachio-400', 'coconut-12', 'protein-1kg', 'collagen-30']) {
    while (await page.locator(`[data-action="qty"][data-arg="${sku}:-1"]`).count()) await page.click(`[data-action="qty"][data-arg="${sku}:-1"]`);
  }
  await go(page, 'checkin');
  await context.setOffline(true);
  await page.click('#checkin-btn');
  await page.locator('#sync-badge[data-state="offline"]').waitFor();
  await shot(page, '15-offline-pending');
  await context.setOffline(false);
  await waitSynced(page);

  // The QA clock and member day.
  await go(page, 'home');
  await page.click('#qa-open');
  await page.locator('#qa-form').waitFor();
  await shot(page, '16-qa-clock', { top: false });
  await page.click('#qa-member-day');
  await page.locator('#member-day-banner[data-today="true"]').waitFor();
  await waitSynced(page);
  await shot(page, '17-home-member-day');
  await go(page, 'coupons');
  await scrollTo(page, '#claim-title');
  await shot(page, '18-member-day-coupon', { top: false });
  await context.close();
}

try {
  for (lang of ['zh', 'en']) {
    OUT = lang === 'zh' ? BASE : join(BASE, lang);
    mkdirSync(OUT, { recursive: true });
    server = await startServer();
    try {
      await tour();
    } finally {
      await server.stop();
    }
  }
} finally {
  await browser.close();
}

console.log(`${shots.length} screenshots in ${OUT}`);
