// A shopper's day: log in, check in, see the streak, claim a coupon, fill the cart, see the best
// coupons and the price breakdown, pay partly with points, see the order, refund it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, newPhone, loginAs, waitSynced, go, eventually, payInSheet } from './harness.mjs';

const env = useServerAndBrowser();

test('check in, claim, checkout with coupons and points, refund (at the pinned instant)', async () => {
  const { page, errors } = await newPhone(env.browser);
  await loginAs(page, env.server.url, 'loyal');

  // Home: the member card shows the tier and the points.
  await assert.doesNotReject(page.locator('.member-card .tier-badge').waitFor());
  const pointsBefore = Number((await page.locator('#points-balance strong').textContent()).replace(/,/g, ''));
  assert.ok(pointsBefore > 1000, `loyal has points (${pointsBefore})`);

  // Check-in: the streak goes up by one and the button says it is done.
  await go(page, 'checkin');
  const streakBefore = Number(await page.locator('.streak-count').getAttribute('data-streak'));
  const reward = await page.locator('#checkin-btn').textContent();
  assert.match(reward, /签到 \+\d+ 积分/);
  await page.click('#checkin-btn');
  await page.locator(`.streak-count[data-streak="${streakBefore + 1}"]`).waitFor();
  assert.match(await page.locator('#checkin-btn').textContent(), /今日已签到/);
  assert.match(await page.locator('.streak-count').textContent(), new RegExp(`已连续签到 ${streakBefore + 1} 天`));
  await page.locator('.cal-today, .cal-checked').first().waitFor();
  await waitSynced(page);

  // Coupons: claim 满300减50 from the claim centre; it moves to the wallet.
  await go(page, 'coupons');
  await page.click('[data-action="claim"][data-arg="full-300-50"]');
  await page.locator('#claim-centre [data-template="full-300-50"] [data-reason="PER_MEMBER_LIMIT"]').waitFor();
  await page.locator('#wallet-panel [data-template="full-300-50"]').waitFor();
  assert.match(await page.locator('#wallet-panel [data-template="full-300-50"] .coupon-rule').textContent(), /满 ¥300 减 ¥50/);

  // Cart: protein powder, almonds and walnuts — enough for 满300减50 on every day, member day
  // (the diamond member's 8 % off comes first) included.
  await go(page, 'home');
  await page.click('[data-action="add"][data-arg="protein-1kg"]');
  await page.click('[data-action="add"][data-arg="almond-250"]');
  await page.click('[data-action="add"][data-arg="walnut-500"]');
  await go(page, 'cart');
  await page.locator('#cart-coupons').waitFor();
  assert.match(await page.locator('#coupon-choice-note').textContent(), /最优/);
  const applied = await page.locator('#cart-coupons .applied li').allTextContents();
  assert.ok(applied.some((t) => t.includes('满300减50') && t.includes('¥50.00')), `best coupons include 满300减50: ${applied}`);

  // Why this price: list → member price → coupons on the protein line.
  const line = page.locator('.cart-line[data-sku="protein-1kg"]');
  await line.locator('summary').click();
  const steps = await line.locator('.steps li').allTextContents();
  assert.match(steps[0], /原价/);
  assert.ok(steps.some((s) => s.includes('钻石会员价')), `member price step: ${steps}`);
  assert.ok(steps.some((s) => s.includes('券：满300减50')), `coupon step: ${steps}`);
  assert.match(steps.at(-1), /实付/);

  // Pay partly with points: three steps of the slider (3 × 100 points = ¥3.00).
  const totalBefore = Number(await page.locator('#cart-total').getAttribute('data-total'));
  const slider = page.locator('#points-slider');
  const max = Number(await slider.getAttribute('max'));
  assert.ok(max >= 300, `points cap ${max}`);
  await slider.focus();
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  await page.locator('.summary-row[data-row="points"]').waitFor();
  assert.match(await page.locator('#points-label').textContent(), /使用 300 积分，抵 ¥3.00/);
  const total = Number(await page.locator('#cart-total').getAttribute('data-total'));
  assert.equal(total, totalBefore - 300);
  // The points step appears in the breakdown too.
  await line.locator('.steps li[data-kind="points"]').waitFor();

  // Place the order at the shown total.
  await page.click('#place-order');
  await page.locator('#tab-me[aria-current="page"]').waitFor();
  const order = page.locator('#orders .order').first();
  await order.waitFor();
  const orderId = await order.getAttribute('data-order');
  // Placed, not paid: the server holds it awaiting payment, its points not yet earned.
  await eventually(async () => (await env.server.serverState('loyal')).orders.some((o) => o.id === orderId), { what: 'the order on the server' });
  let state = await env.server.serverState('loyal');
  const placed = state.orders.find((o) => o.id === orderId);
  assert.equal(placed.status, 'awaitingPayment');
  assert.equal(placed.total, total);
  assert.equal(placed.pointsUsed, 300);
  assert.ok(placed.coupons.length >= 1);
  assert.equal(state.lots.some((l) => l.source === `order:${orderId}`), false, 'nothing earned before payment');
  // The pay sheet: paid once the store's result is back.
  await payInSheet(page, orderId);
  state = await env.server.serverState('loyal');
  assert.equal(state.orders.find((o) => o.id === orderId).status, 'paid');
  assert.ok(state.lots.some((l) => l.source === `order:${orderId}`), 'the purchase points, once paid');

  // Refund it: the order shows refunded, the server agrees, the coupon comes back.
  await page.click(`[data-action="refund"][data-arg="${orderId}"]`);
  await page.locator('#dialog button[value="ok"]').click();
  await page.locator(`#orders .order[data-order="${orderId}"][data-state="refunded"]`).waitFor();
  await waitSynced(page);
  state = await env.server.serverState('loyal');
  assert.ok(state.orders.find((o) => o.id === orderId).refundedAt, 'refunded on the server');
  await go(page, 'coupons');
  await page.locator('#wallet-panel [data-template="full-300-50"]').waitFor();

  assert.deepEqual(errors, []);
});

test('a stale price on screen is never charged: PRICE_CHANGED asks again with the new total', async () => {
  const { page, errors } = await newPhone(env.browser);
  await loginAs(page, env.server.url, 'new');
  await page.click('[data-action="add"][data-arg="walnut-500"]');
  await go(page, 'cart');
  const total = Number(await page.locator('#cart-total').getAttribute('data-total'));
  // The screen is stale: it shows a price ¥1.00 above the current one.
  await page.evaluate(() => {
    const ui = window.siyuApp.ui;
    ui.shownQuote = { ...ui.shownQuote, total: ui.shownQuote.total + 100 };
  });
  await page.click('#place-order');
  const dialog = page.locator('#dialog-form');
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /价格已更新/);
  assert.ok((await dialog.textContent()).includes(`由 ¥${((total + 100) / 100).toFixed(2)} 变为 ¥${(total / 100).toFixed(2)}`));
  await dialog.locator('button[value="ok"]').click();
  await page.locator('#tab-me[aria-current="page"]').waitFor();
  const order = page.locator('#orders .order').first();
  const orderId = await order.getAttribute('data-order');
  await payInSheet(page, orderId);
  const state = await env.server.serverState('new');
  assert.equal(state.orders.find((o) => o.id === orderId).total, total);
  assert.deepEqual(errors, []);
});
