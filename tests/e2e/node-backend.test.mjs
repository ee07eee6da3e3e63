// The demo mall, unchanged, on the Node backend (backends/node: node:http, PostgreSQL, the
// engine's authority): a new member logs in, checks in, claims a coupon, orders, pays in the
// demo sheet and sees the order paid; a second phone of the same member gets it all by pull; the
// backend was killed -9 and restarted in between, and nothing the phones were told is lost.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startNodeBackend, freshDatabase, launchBrowser, newPhone, loginAs, waitSynced, go, payInSheet } from './harness.mjs';

const env = {};
before(async () => {
  env.db = await freshDatabase('e2e_node');
  env.server = await startNodeBackend({ database: env.db.url });
  env.browser = await launchBrowser();
});
after(async () => {
  await env.browser?.close();
  await env.server?.stop();
  await env.db?.drop();
});

test('the demo mall on the Node backend: check in, claim, order, pay; a second phone pulls it', async () => {
  const { page, errors } = await newPhone(env.browser);
  await loginAs(page, env.server.url, 'new');

  await go(page, 'checkin');
  await page.click('#checkin-btn');
  await page.locator('.streak-count[data-streak="1"]').waitFor();
  await waitSynced(page);
  let state = await env.server.serverState('new');
  assert.equal(state.checkIns.length, 1, 'the backend decided the check-in');

  await go(page, 'coupons');
  await page.click('[data-action="claim"][data-arg="full-300-50"]');
  await page.locator('#wallet-panel [data-template="full-300-50"]').waitFor();
  await waitSynced(page);

  // kill -9 and a restart on the same database: the phone's next sync finds everything.
  await env.server.kill9();
  env.server = await env.server.restart();
  // The page keeps its origin: the restarted backend listens elsewhere, so the second half of the
  // journey runs in a page opened there, the first phone's data coming back from the database.
  const phone = await newPhone(env.browser);
  await loginAs(phone.page, env.server.url, 'new');
  await go(phone.page, 'coupons');
  await phone.page.locator('#wallet-panel [data-template="full-300-50"]').waitFor();

  await go(phone.page, 'home');
  await phone.page.click('[data-action="add"][data-arg="protein-1kg"]');
  await phone.page.click('[data-action="add"][data-arg="almond-250"]');
  await phone.page.click('[data-action="add"][data-arg="walnut-500"]');
  await go(phone.page, 'cart');
  await phone.page.locator('#cart-coupons .applied li').first().waitFor();
  const applied = await phone.page.locator('#cart-coupons .applied li').allTextContents();
  assert.ok(applied.some((t) => t.includes('满300减50')), `the best coupons include 满300减50: ${applied}`);
  const total = Number(await phone.page.locator('#cart-total').getAttribute('data-total'));
  await phone.page.click('#place-order');
  // The pay sheet opens once the order reached the backend (the shim pushes first).
  await phone.page.locator('#pay-form').waitFor();
  state = await env.server.serverState('new');
  const order = state.orders[0];
  assert.equal(order.status, 'awaitingPayment');
  assert.equal(order.total, total, 'the backend priced the cart as the phone did');
  await payInSheet(phone.page, order.id);
  state = await env.server.serverState('new');
  assert.equal(state.orders[0].status, 'paid');
  assert.equal(state.orders[0].transactionId, `demo-${order.id}`);
  assert.deepEqual(state.coupons.find((c) => c.template === 'full-300-50').state, { type: 'used', orderId: order.id, at: state.orders[0].paidAt }, 'the coupon is used by the paid order');

  // The history tab asks the backend for what left the working state (nothing yet: one page).
  const page2 = await newPhone(env.browser);
  await loginAs(page2.page, env.server.url, 'new');
  await go(page2.page, 'me');
  await page2.page.locator(`#orders .order[data-order="${order.id}"][data-state="done"]`).waitFor();
  assert.deepEqual([...errors, ...phone.errors, ...page2.errors], []);
});
