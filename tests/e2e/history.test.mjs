// Rulebook §12 in the demo: once the server has moved a member's past to its archive (on the
// member's first push), the Me page shows the newest part from the working state and pages the
// rest in with "load earlier", newest first and without gaps or repeats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, newPhone, loginAs, waitSynced, go, eventually } from './harness.mjs';

const env = useServerAndBrowser();

test('me: a long-standing member pages the points history and the orders in from the archive', async () => {
  const { page, errors } = await newPhone(env.browser);
  await loginAs(page, env.server.url, 'loyal');
  // A check-in is the member's first push since the seeded year: the server archives the past.
  await go(page, 'checkin');
  await page.click('#checkin-btn');
  await waitSynced(page);

  await go(page, 'me');
  await page.locator('#points-card details[data-key="ledger"] summary').click();
  const rows = page.locator('#points-card .ledger-row');
  const more = page.locator('#points-card [data-action="loadEarlier"][data-arg="ledger"]');
  await more.waitFor();
  const held = await rows.count();
  assert.ok(held <= 20, `the working state holds one page (${held} rows)`);
  const left = Number(/\((\d+)\)/.exec(await more.textContent())[1]);
  assert.ok(left > 20, `the archive holds the rest (${left})`);

  // Page until the archive has no more; each page adds rows below, older ones.
  let pages = 0;
  while (await more.count()) {
    const before = await rows.count();
    await more.click();
    await eventually(async () => (await rows.count()) > before, { what: 'an older page' });
    pages += 1;
  }
  assert.ok(pages >= 2, `${pages} pages`);
  const times = await rows.evaluateAll((list) => list.map((r) => Number(r.dataset.at)));
  assert.ok(times.every((t, i) => i === 0 || times[i - 1] >= t), 'newest first across the state and the archive');

  // Orders: the state's recent ones, then the archived ones, which cannot be refunded.
  const orders = page.locator('#orders .order');
  const shown = await orders.count();
  const earlier = page.locator('#orders [data-action="loadEarlier"][data-arg="orders"]');
  await earlier.click();
  await eventually(async () => (await orders.count()) > shown, { what: 'archived orders' });
  const archived = orders.nth(shown);
  assert.equal(await archived.locator('[data-action="refund"]').count(), 0, 'an archived order has no refund button');

  // The calendar of a month the server archived shows its check-ins from the archive.
  await go(page, 'checkin');
  for (let i = 0; i < 4; i++) await page.click('[data-action="month"][data-arg="-1"]');
  await eventually(async () => (await page.locator('#cal-archive').count()) === 0, { what: 'the archived month' });
  const checked = await page.locator('.cal-grid [data-status="checked"]').count();
  assert.ok(checked > 0, 'check-ins of an archived month show');
  assert.deepEqual(errors, []);
});
