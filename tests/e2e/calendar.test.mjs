// The date-sensitive journeys, each from the pinned instant (harness PINNED_AT, which
// `SIYU_TEST_AT` moves; scripts/calendar-sweep.sh runs this file at instants on every weekday, at a
// month end, a year end and a leap day): this month's calendar and the birthday window.

// Every expectation is derived from the instant, none from the day the suite runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, newPhone, loginAs, waitSynced, go, businessDay, PINNED_AT } from './harness.mjs';

const env = useServerAndBrowser();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Local (China time) wall clock → instant. */
const at = (y, m, d, hh = 0, mm = 0) => Date.UTC(y, m - 1, d, hh, mm) - 8 * HOUR;
const ymd = (instant) => businessDay(instant).split('-').map(Number);
const two = (n) => String(n).padStart(2, '0');

/** Move "now" the way QA does: the clock panel's "set to", then wait for the client to follow. */
async function qaSetTo(page, instant) {
  const [y, m, d] = ymd(instant);
  const local = new Date(instant + 8 * HOUR);
  await page.click('#qa-open');
  await page.fill('#qa-form input[name="at"]', `${y}-${two(m)}-${two(d)}T${two(local.getUTCHours())}:${two(local.getUTCMinutes())}`);
  await page.locator('#qa-form button[value="set"]').click();
  await page.locator('.toast', { hasText: '现在是' }).last().waitFor();
  await waitSynced(page);
  const clientNow = await page.evaluate(() => window.siyuApp.client.mall.now());
  assert.ok(Math.abs(clientNow - instant) < 2 * 60_000, `the client follows the QA clock: ${new Date(clientNow).toISOString()}`);
}

/** Each journey starts at the pinned instant (an earlier one in this file may have moved the clock). */
async function atPinnedInstant() {
  await env.server.setClockTo(PINNED_AT);
  return newPhone(env.browser);
}

const balance = async (page) => Number((await page.locator('#points-balance strong').textContent()).replace(/,/g, ''));

test(`this month's check-in calendar at the pinned instant (${new Date(PINNED_AT).toISOString()}) has every day and today`, async () => {
  const { page, errors } = await atPinnedInstant();
  await loginAs(page, env.server.url, 'loyal');
  await go(page, 'checkin');
  const today = businessDay(PINNED_AT);
  const [y, m] = ymd(PINNED_AT);
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate(); // 28, 29, 30 or 31
  assert.equal(await page.locator('.cal-cell[data-day]').count(), days, `${y}-${m} has ${days} days`);
  assert.equal(await page.locator('.cal-cell[data-day]').first().getAttribute('data-day'), `${y}-${two(m)}-01`);
  assert.equal(await page.locator('.cal-cell[data-day]').last().getAttribute('data-day'), `${y}-${two(m)}-${days}`);
  assert.equal(await page.locator(`.cal-cell[data-day="${today}"]`).getAttribute('data-status'), 'today');
  await page.click('#checkin-btn');
  await page.locator(`.cal-cell[data-day="${today}"][data-status="checked"]`).waitFor();
  await waitSynced(page);
  const state = await env.server.serverState('loyal');
  assert.equal(state.checkIns.at(-1).day, today, 'the server counts the same business day');
  assert.deepEqual(errors, []);
});

test('the birthday window: the birthday coupon is offered in the birthday month only', async () => {
  const { page, errors } = await atPinnedInstant();
  await loginAs(page, env.server.url, 'loyal'); // birthday 03-15, window: the month
  // The diamond tier's birthday coupon.
  const claim = page.locator('#claim-centre [data-template="bday-50"] [data-action="claim"]');
  await go(page, 'coupons');
  const [y, m] = ymd(PINNED_AT);
  assert.equal(await claim.count(), m === 3 ? 1 : 0, `claimable at the pinned instant iff it is March (month ${m})`);
  // The next 10 March, 10:00 (this year's if it is still ahead, else next year's).
  const march = at(y, 3, 10, 10) > PINNED_AT ? at(y, 3, 10, 10) : at(y + 1, 3, 10, 10);
  await qaSetTo(page, march);
  await go(page, 'home');
  await go(page, 'coupons');
  await claim.waitFor();
  await claim.click();
  await page.locator('#wallet-panel [data-template="bday-50"]').waitFor();
  await waitSynced(page);
  assert.ok((await env.server.serverState('loyal')).coupons.some((c) => c.template === 'bday-50'));
  // 1 April: the window is over.
  const [my] = ymd(march);
  await qaSetTo(page, at(my, 4, 1, 10));
  await go(page, 'home');
  await go(page, 'coupons');
  assert.equal(await claim.count(), 0);
  assert.deepEqual(errors, []);
});
