// Offline: mutations apply at once, queue on the device, survive a reload, and sync back when the
// network returns. A reorder the server reprices comes back as a reversal with the new price.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, newPhone, loginAs, waitSynced, badge, go, businessDay, eventually } from './harness.mjs';

const env = useServerAndBrowser();

test('check in offline, come back online, synced', async () => {
  const { context, page, errors } = await newPhone(env.browser);
  await loginAs(page, env.server.url, 'new');
  await go(page, 'checkin');

  await context.setOffline(true);
  await page.locator('#sync-badge[data-state="offline"]').waitFor();
  await page.click('#checkin-btn');
  await page.locator('.streak-count[data-streak="1"]').waitFor();
  assert.deepEqual(await badge(page).then((b) => [b.state, b.pending]), ['offline', 1]);
  assert.match((await badge(page)).text, /离线 · 1 条待同步/);
  // Nothing reached the server.
  assert.equal((await env.server.serverState('new')).checkIns?.length ?? 0, 0);

  await context.setOffline(false);
  await waitSynced(page);
  assert.equal((await badge(page)).pending, 0);
  const state = await env.server.serverState('new');
  assert.equal(state.checkIns.length, 1);
  const { now } = await env.server.clock();
  assert.equal(state.checkIns[0].day, businessDay(now));
  assert.deepEqual(errors, []);
  await context.close();
});

test('reload in the middle of a queue loses nothing', async () => {
  const { context, page, errors } = await newPhone(env.browser);
  await loginAs(page, env.server.url, 'lapsing');
  // Let the service worker take control, so the reload works without a network.
  await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, null, { timeout: 10_000 }).catch(() => {});

  await context.setOffline(true);
  await page.locator('#sync-badge[data-state="offline"]').waitFor();
  // Four mutations: check in, two claims, the birthday.
  await go(page, 'checkin');
  await page.click('#checkin-btn');
  await page.locator('.streak-count[data-streak="1"]').waitFor();
  await go(page, 'coupons');
  await page.click('[data-action="claim"][data-arg="winback-20"]');
  await page.locator('#wallet-panel [data-template="winback-20"]').waitFor();
  await page.click('[data-action="claim"][data-arg="free-ship"]');
  await page.locator('#wallet-panel [data-template="free-ship"]').waitFor();
  await go(page, 'me');
  await page.selectOption('#bday-month', '5');
  await page.selectOption('#bday-day', '20');
  await page.click('[data-action="setBirthday"]');
  await page.locator('#dialog button[value="ok"]').click();
  await page.locator('#birthday-value').waitFor();
  assert.equal((await badge(page)).pending, 4);

  // Reload while still offline: the queue and the optimistic state come back from storage.
  await page.reload();
  await page.locator('#sync-badge').waitFor();
  assert.deepEqual(await badge(page).then((b) => [b.state, b.pending]), ['offline', 4]);
  await page.locator('#birthday-value').waitFor();
  await go(page, 'coupons');
  await page.locator('#wallet-panel [data-template="winback-20"]').waitFor();
  await page.locator('#wallet-panel [data-template="free-ship"]').waitFor();
  assert.equal((await env.server.serverState('lapsing')).coupons?.filter((c) => c.template === 'winback-20').length ?? 0, 0);

  await context.setOffline(false);
  await waitSynced(page);
  const state = await env.server.serverState('lapsing');
  const today = businessDay((await env.server.clock()).now);
  assert.ok(state.checkIns.some((c) => c.day === today), 'check-in synced');
  assert.ok(state.coupons.some((c) => c.template === 'winback-20'), 'winback-20 synced');
  assert.ok(state.coupons.some((c) => c.template === 'free-ship'), 'free-ship synced');
  assert.equal(state.birthday, '05-20');
  assert.deepEqual(errors, []);
  await context.close();
});

test('an order placed offline and repriced by the server asks again at the new price', async () => {
  // Start on a Thursday 10:00 (not member day) for server and client.
  const { now, offsetMs } = await env.server.clock();
  const day = businessDay(now);
  const [y, m, d] = day.split('-').map(Number);
  const weekday = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7; // 0 = Monday
  const toThursday = (3 - weekday + 7) % 7 || 7;
  const thursday = Date.UTC(y, m - 1, d + toThursday, 10) - 480 * 60_000;
  await env.server.setClock(offsetMs + (thursday - now));

  const { context, page, errors } = await newPhone(env.browser);
  await loginAs(page, env.server.url, 'new');
  await go(page, 'home');
  assert.equal(await page.locator('#member-day-banner').getAttribute('data-today'), 'false');
  await page.click('[data-action="add"][data-arg="oats-1kg"]');
  await page.click('[data-action="add"][data-arg="chia-300"]');
  await go(page, 'cart');
  const shown = Number(await page.locator('#cart-total').getAttribute('data-total'));

  await context.setOffline(true);
  await page.click('#place-order');
  await page.locator('#orders .order[data-state="pending"]').waitFor();

  // Meanwhile the server's day becomes member day (next Wednesday): its price is lower.
  const c = await env.server.clock();
  await env.server.setClock(c.offsetMs + 6 * 86_400_000);

  await context.setOffline(false);
  const dialog = page.locator('#reversal-form');
  await dialog.waitFor({ timeout: 15_000 });
  assert.match(await dialog.textContent(), /价格已变化/);
  const text = await dialog.locator('.price-changed').textContent();
  assert.ok(text.includes('¥'), text);
  await dialog.locator('button[value="reorder"]').click();
  // Placed again at the new price: it awaits payment, with its countdown and pay button.
  const reordered = page.locator('#orders .order[data-state="awaiting"]');
  await reordered.waitFor();
  await reordered.locator('[data-pay-by]').waitFor();
  await reordered.locator('[data-action="pay"]').waitFor();
  await waitSynced(page);
  const state = await eventually(async () => {
    const s = await env.server.serverState('new');
    return s.orders?.length ? s : null;
  }, { what: 'the reorder on the server' });
  assert.equal(state.orders.length, 1);
  assert.ok(state.orders[0].total < shown, `repriced ${state.orders[0].total} < ${shown}`);
  assert.deepEqual(errors, []);
  await context.close();
});
