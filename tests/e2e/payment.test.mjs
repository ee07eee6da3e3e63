// Orders are paid, not taken (rulebook §8): from the pinned instant (harness PINNED_AT), an order
// awaits payment with its countdown, the demo provider's pay sheet pays it and the points and the
// first-order gift appear once the store's result is back; an unpaid order runs out its deadline
// on the QA clock and is cancelled, its coupon back in the wallet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, newPhone, loginAs, waitSynced, go, eventually } from './harness.mjs';

const env = useServerAndBrowser();

/** Place the cart and close the pay sheet that opens: the order awaiting payment and its id. */
async function placeUnpaid(page) {
  await go(page, 'cart');
  await page.click('#place-order');
  const sheet = page.locator('#pay-form');
  await sheet.waitFor();
  await sheet.locator('button[value="cancel"]').click();
  const order = page.locator('#orders .order[data-state="awaiting"]');
  await order.waitFor();
  return { order, orderId: await order.getAttribute('data-order'), sheet };
}

const balance = async (page) => Number((await page.locator('#points-balance strong').textContent()).replace(/,/g, ''));

test('order → pay sheet → paid: the points and the first-order gift appear only then', async () => {
  const { page, errors } = await newPhone(env.browser);
  await loginAs(page, env.server.url, 'new');
  const before = await balance(page);
  await page.click('[data-action="add"][data-arg="protein-1kg"]');
  // The sheet opens; the shopper closes it first: the order waits with its countdown.
  const { order, orderId, sheet } = await placeUnpaid(page);
  assert.match(await order.locator('[data-pay-by]').textContent(), /剩余 00:1\d:\d\d/);
  await waitSynced(page);
  const placed = (await env.server.serverState('new')).orders.find((o) => o.id === orderId);
  assert.equal(placed.status, 'awaitingPayment');
  assert.equal(placed.payBy - placed.placedAt, 15 * 60_000);
  await go(page, 'home');
  assert.equal(await balance(page), before, 'nothing earned before payment');
  await go(page, 'coupons');
  assert.equal(await page.locator('#wallet-panel [data-template="first-order-10"]').count(), 0, 'no gift before payment');

  // Pay from the order's button.
  await go(page, 'me');
  await page.click(`[data-action="pay"][data-arg="${orderId}"]`);
  await sheet.waitFor();
  await sheet.locator('button[value="pay"]').click();
  await page.locator(`#orders .order[data-order="${orderId}"][data-state="done"]`).waitFor();
  await page.locator('.toast', { hasText: '支付成功' }).waitFor();
  const state = await env.server.serverState('new');
  const paid = state.orders.find((o) => o.id === orderId);
  assert.equal(paid.status, 'paid');
  assert.ok(paid.pointsEarned > 0);
  // Pending (§2) until the refund window closes: shown beside the balance, not in it.
  await go(page, 'home');
  await page.locator(`#points-pending[data-points="${paid.pointsEarned}"]`).waitFor();
  assert.equal(await balance(page), before);
  await go(page, 'me');
  const lot = page.locator('#pending-lots li').first();
  assert.equal(Number(await lot.getAttribute('data-points')), paid.pointsEarned);
  const availableAt = Number(await lot.getAttribute('data-available-at'));
  assert.equal(availableAt, paid.paidAt + 7 * 24 * 3600_000 + 1, 'the demo refunds within 7 days');
  assert.match(await lot.textContent(), /起可用/);
  await page.locator('#ledger [data-pending]').first().waitFor();
  const usable = await page.evaluate((at) => window.siyuApp.client.mall.points(at).balance, availableAt);
  assert.equal(usable, before + paid.pointsEarned);
  await go(page, 'coupons');
  await page.locator('#wallet-panel [data-template="first-order-10"]').waitFor();
  assert.deepEqual(errors, []);
});

test('an unpaid order runs out its deadline on the QA clock: cancelled, its coupon back', async () => {
  const { page, errors } = await newPhone(env.browser);
  await loginAs(page, env.server.url, 'lapsing');
  await go(page, 'coupons');
  await page.click('[data-action="claim"][data-arg="pct-90-cap30"]');
  await page.locator('#wallet-panel [data-template="pct-90-cap30"]').waitFor();
  await go(page, 'home');
  await page.click('[data-action="add"][data-arg="walnut-500"]');
  const { orderId } = await placeUnpaid(page);
  await waitSynced(page);
  const placed = (await env.server.serverState('lapsing')).orders.find((o) => o.id === orderId);
  const coupon = placed.coupons[0];
  assert.ok(coupon, 'the order uses the coupon');
  // Locked in the order: not in the wallet's available tab.
  assert.equal(await page.evaluate((id) => window.siyuApp.client.mall.wallet().available.some((c) => c.id === id), coupon), false);

  // An hour later on the QA clock: the server cancels it by its deadline, the device pulls it.
  await page.click('#qa-open');
  await page.locator('#qa-form button[value="plusHour"]').click();
  await page.locator(`#orders .order[data-order="${orderId}"][data-state="cancelled"]`).waitFor();
  assert.match(await page.locator(`#orders .order[data-order="${orderId}"] .status-tag`).textContent(), /超时未支付/);
  const state = await eventually(async () => {
    const s = await env.server.serverState('lapsing');
    return s.orders.find((o) => o.id === orderId)?.status === 'cancelled' ? s : null;
  }, { what: 'the cancellation on the server' });
  assert.equal(state.orders.find((o) => o.id === orderId).cancelledBy, 'deadline');
  assert.equal(await page.evaluate((id) => window.siyuApp.client.mall.wallet().available.some((c) => c.id === id), coupon), true, 'the coupon is back');
  await go(page, 'coupons');
  await page.locator(`#wallet-panel [data-template="pct-90-cap30"]`).waitFor();
  assert.deepEqual(errors, []);
});
