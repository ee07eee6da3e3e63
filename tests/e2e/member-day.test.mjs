// Member day with the QA clock: move server and client to a Wednesday, see the banner, claim the
// member-day coupon, and see the member-day discount in the cart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, newPhone, loginAs, waitSynced, go, businessDay } from './harness.mjs';

const env = useServerAndBrowser();

test('the QA clock moves to member day: banner, member-day coupon, discount', async () => {
  const { page, errors } = await newPhone(env.browser);
  // Start on a day that is not a Wednesday, so the move is visible.
  const { now, offsetMs } = await env.server.clock();
  const [y, m, d] = businessDay(now).split('-').map(Number);
  if (new Date(Date.UTC(y, m - 1, d)).getUTCDay() === 3) await env.server.setClock(offsetMs + 86_400_000);

  await loginAs(page, env.server.url, 'loyal');
  assert.equal(await page.locator('#member-day-banner').getAttribute('data-today'), 'false');
  await go(page, 'coupons');
  assert.equal(await page.locator('#claim-centre [data-template="memberday-15"] [data-action="claim"]').count(), 0);
  assert.match(await page.locator('#claim-centre [data-template="memberday-15"]').textContent(), /会员日专享/);

  // The QA panel is there in demo mode; jump to the next member day, 10:00.
  await page.click('#qa-open');
  await page.click('#qa-member-day');
  await page.locator('.toast', { hasText: '现在是' }).waitFor();
  await waitSynced(page);

  const clock = await env.server.clock();
  const [cy, cm, cd] = clock.businessDay.split('-').map(Number);
  assert.equal(new Date(Date.UTC(cy, cm - 1, cd)).getUTCDay(), 3, `server is on a Wednesday (${clock.businessDay})`);
  // The client follows the server's clock (within a few seconds).
  const clientNow = await page.evaluate(() => window.siyuApp.client.mall.now());
  assert.ok(Math.abs(clientNow - clock.now) < 5000, `client ${clientNow} ≈ server ${clock.now}`);

  await go(page, 'home');
  const banner = page.locator('#member-day-banner[data-today="true"]');
  await banner.waitFor();
  assert.match(await banner.textContent(), /今天是会员日/);
  assert.match(await banner.textContent(), /92折/);

  // The member-day coupon is claimable now.
  await go(page, 'coupons');
  const claim = page.locator('#claim-centre [data-template="memberday-15"] [data-action="claim"]');
  await claim.waitFor();
  await claim.click();
  await page.locator('#wallet-panel [data-template="memberday-15"]').waitFor();
  await waitSynced(page);
  const state = await env.server.serverState('loyal');
  assert.ok(state.coupons.some((c) => c.template === 'memberday-15'), 'the server issued the member-day coupon');

  // The cart shows the member-day discount as its own step.
  await go(page, 'home');
  await page.click('[data-action="add"][data-arg="greentea-100"]');
  await go(page, 'cart');
  await page.locator('.summary-row[data-row="memberDay"]').waitFor();
  const line = page.locator('.cart-line[data-sku="greentea-100"]');
  await line.locator('summary').click();
  await line.locator('.steps li[data-kind="memberDay"]').waitFor();
  assert.deepEqual(errors, []);
});

test('makeup check-in on a missed day costs points and fills the day', async () => {
  // Move to the next Thursday 10:00 so that the week has missed days inside the makeup window.
  const { now, offsetMs } = await env.server.clock();
  const [y, m, d] = businessDay(now).split('-').map(Number);
  const weekday = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
  let thursday = Date.UTC(y, m - 1, d + (((3 - weekday + 7) % 7) || 7), 10) - 480 * 60_000;
  // Monday to Wednesday of that week in the same month, so this month's calendar shows them.
  if (new Date(thursday + 480 * 60_000).getUTCDate() < 4) thursday += 7 * 86_400_000;
  await env.server.setClock(offsetMs + (thursday - now));

  const { page, errors } = await newPhone(env.browser);
  await loginAs(page, env.server.url, 'lapsing');
  const pointsBefore = Number((await page.locator('#points-balance strong').textContent()).replace(/,/g, ''));
  await go(page, 'checkin');
  assert.match(await page.locator('#makeup-rule').textContent(), /补签每次 20 积分，本月还可补签 2 次/);
  const cell = page.locator('button.cal-makeup').last();
  const day = await cell.getAttribute('data-day');
  assert.match(await cell.getAttribute('aria-label'), /漏签 · .*可补签/);
  await cell.click();
  const dialog = page.locator('#dialog-form');
  assert.match(await dialog.textContent(), /消耗 20 积分/);
  await dialog.locator('button[value="ok"]').click();
  await page.locator(`.cal-cell[data-day="${day}"][data-status="madeUp"]`).waitFor();
  await page.locator('#makeup-rule', { hasText: '本月还可补签 1 次' }).waitFor();
  await waitSynced(page);
  const state = await env.server.serverState('lapsing');
  assert.ok(state.checkIns.some((c) => c.day === day && c.kind === 'makeup'), 'the makeup is on the server');
  await go(page, 'home');
  assert.equal(Number((await page.locator('#points-balance strong').textContent()).replace(/,/g, '')), pointsBefore - 20);
  assert.deepEqual(errors, []);
});

test('English switch', async () => {
  const { page, errors } = await newPhone(env.browser);
  await loginAs(page, env.server.url, 'new');
  await page.click('[data-action="toggleLang"]');
  await page.locator('#tab-home .tab-label', { hasText: 'Home' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  await go(page, 'checkin');
  assert.match(await page.locator('#checkin-btn').textContent(), /Check in/);
  await page.reload();
  await page.locator('#tab-checkin .tab-label', { hasText: 'Check-in' }).waitFor();
  assert.deepEqual(errors, []);
});
