// Two tabs of one member: one leader talks to the server, the other's changes reach it through
// storage and BroadcastChannel, and leadership moves when the leader's tab closes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, newPhone, loginAs, waitSynced, go } from './harness.mjs';

const env = useServerAndBrowser();

test('one sync leader per member; the other tab follows and takes over', async () => {
  const { context, page: first, errors } = await newPhone(env.browser);
  await loginAs(first, env.server.url, 'loyal');
  const second = await context.newPage();
  second.on('pageerror', (e) => errors.push(`pageerror (second tab): ${e.message}`));
  await second.goto(`${env.server.url}/#/checkin`);
  await waitSynced(second);

  const leaders = await Promise.all([first, second].map((p) => p.evaluate(() => window.siyuApp.client.leader)));
  assert.deepEqual(leaders, [true, false]);

  // The follower checks in; the leader pushes it and both tabs show it.
  await go(first, 'checkin');
  const before = Number(await first.locator('.streak-count').getAttribute('data-streak'));
  await second.click('#checkin-btn');
  await second.locator(`.streak-count[data-streak="${before + 1}"]`).waitFor();
  await first.locator(`.streak-count[data-streak="${before + 1}"]`).waitFor();
  await waitSynced(first);
  await waitSynced(second);
  const { now } = await env.server.clock();
  const today = new Date(now + 480 * 60_000).toISOString().slice(0, 10);
  assert.ok((await env.server.serverState('loyal')).checkIns.some((c) => c.day === today));

  // The leader's tab closes: the other one leads and syncs on its own.
  await first.close();
  await second.waitForFunction(() => window.siyuApp.client.leader === true);
  await go(second, 'coupons');
  await second.click('[data-action="claim"][data-arg="pct-90-cap30"]');
  await second.locator('#wallet-panel [data-template="pct-90-cap30"]').waitFor();
  await waitSynced(second);
  assert.ok((await env.server.serverState('loyal')).coupons.some((c) => c.template === 'pct-90-cap30'));
  assert.deepEqual(errors, []);
  await context.close();
});

test('switching members on one device keeps each member apart', async () => {
  const { context, page, errors } = await newPhone(env.browser);
  await loginAs(page, env.server.url, 'new');
  await go(page, 'checkin');
  await page.click('#checkin-btn');
  await page.locator('.streak-count[data-streak="1"]').waitFor();
  await waitSynced(page);

  await go(page, 'me');
  await page.click('[data-action="logout"]');
  await page.click('#login-lapsing');
  await waitSynced(page);
  await go(page, 'checkin');
  await page.locator('#checkin-btn:not([disabled])').waitFor();
  await page.click('#checkin-btn');
  await page.locator('.streak-count[data-streak="1"]').waitFor();
  await waitSynced(page);
  assert.equal((await page.locator('#sync-badge').getAttribute('data-state')), 'synced');

  const { now } = await env.server.clock();
  const today = new Date(now + 480 * 60_000).toISOString().slice(0, 10);
  for (const member of ['new', 'lapsing']) {
    assert.ok((await env.server.serverState(member)).checkIns.some((c) => c.day === today), `${member} checked in on the server`);
  }
  // Back to the first member: its data is still on this device.
  await go(page, 'me');
  await page.click('[data-action="logout"]');
  await page.click('#login-new');
  await waitSynced(page);
  await go(page, 'checkin');
  await page.locator('#checkin-btn[disabled]').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('two tabs without Web Locks (older Safari) claim at once: both claims reach the server, no id is used twice', async () => {
  const { context, page: first, errors } = await newPhone(env.browser);
  // A browser without navigator.locks: every tab leads, and IndexedDB's conditional write keeps
  // their queues apart.
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined }));
  await loginAs(first, env.server.url, 'new');
  const second = await context.newPage();
  second.on('pageerror', (e) => errors.push(`pageerror (second tab): ${e.message}`));
  await second.goto(`${env.server.url}/#/coupons`);
  await waitSynced(second);
  await go(first, 'coupons');
  assert.deepEqual(await Promise.all([first, second].map((p) => p.evaluate(() => window.siyuApp.client.leader))), [true, true]);
  // Both tabs claim in the same moment, each from what it last read.
  await Promise.all([
    first.evaluate(() => window.siyuApp.client.mutate((m) => m.claimCoupon('free-ship'))),
    second.evaluate(() => window.siyuApp.client.mutate((m) => m.claimCoupon('pct-90-cap30'))),
  ]);
  for (const p of [first, second]) await p.evaluate(() => window.siyuApp.client.sync());
  await waitSynced(first);
  await waitSynced(second);
  const templates = (await env.server.serverState('new')).coupons.map((c) => c.template).sort();
  assert.deepEqual(templates, ['free-ship', 'pct-90-cap30']);
  const reversals = await first.evaluate(() => window.siyuApp.client.mall.reversals().length);
  assert.equal(reversals, 0);
  assert.deepEqual(errors, []);
  await context.close();
});
