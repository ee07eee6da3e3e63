// The date-sensitive journeys, each from the pinned instant (harness PINNED_AT, which
// `SIYU_TEST_AT` moves; scripts/calendar-sweep.sh runs this file at instants on every weekday, at a
// month end, a year end and a leap day): this month's calendar, the birthday window, the limited
// sale before / during / after, a coupon's last day and points expiring at the year end.
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

/**
 * Move "now" the way QA does: the clock panel's "set to" (minute precision), then wait until the
 * client's clock has followed (the panel's pull may still be on its way; an earlier toast proves
 * nothing, so this polls the client itself).
 */
async function qaSetTo(page, instant) {
  const [y, m, d] = ymd(instant);
  const local = new Date(instant + 8 * HOUR);
  await page.click('#qa-open');
  await page.fill('#qa-form input[name="at"]', `${y}-${two(m)}-${two(d)}T${two(local.getUTCHours())}:${two(local.getUTCMinutes())}`);
  await page.locator('#qa-form button[value="set"]').click();
  const minute = instant - (instant % 60_000);
  await page.waitForFunction(
    (target) => Math.abs(window.siyuApp.client.mall.now() - target) < 2 * 60_000,
    minute,
    { timeout: 15_000, polling: 100 },
  );
  await waitSynced(page);
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

test('the birthday window: a birthday coupon is offered in the birthday month only', async () => {
  const { page, errors } = await atPinnedInstant();
  await loginAs(page, env.server.url, 'loyal'); // birthday 03-15, window: the month
  // The birthday coupon of the member's tier at that instant (diamond's or the others').
  const birthdayOffer = () =>
    page.evaluate(() => window.siyuApp.client.mall.claimCentre().find((o) => o.template.audience?.birthday && o.claimable)?.template.id ?? null);
  await go(page, 'coupons');
  const [y, m] = ymd(PINNED_AT);
  assert.equal((await birthdayOffer()) !== null, m === 3, `claimable at the pinned instant iff it is March (month ${m})`);
  // In the birthday month: the pinned instant itself, else the next 10 March, 10:00.
  const march = m === 3 ? PINNED_AT : at(y, 3, 10, 10) > PINNED_AT ? at(y, 3, 10, 10) : at(y + 1, 3, 10, 10);
  if (march !== PINNED_AT) await qaSetTo(page, march);
  await go(page, 'home');
  await go(page, 'coupons');
  const template = await birthdayOffer();
  assert.ok(template, 'a birthday coupon is offered in March');
  const claim = page.locator(`#claim-centre [data-template="${template}"] [data-action="claim"]`);
  await claim.click();
  await page.locator(`#wallet-panel [data-template="${template}"]`).waitFor();
  await waitSynced(page);
  assert.ok((await env.server.serverState('loyal')).coupons.some((c) => c.template === template));
  // 1 April: the window is over.
  const [my] = ymd(march);
  await qaSetTo(page, at(my, 4, 1, 10));
  await go(page, 'home');
  await go(page, 'coupons');
  assert.equal(await birthdayOffer(), null);
  assert.deepEqual(errors, []);
});

test('the limited sale before, during and after its window', async () => {
  const { page, errors } = await atPinnedInstant();
  await loginAs(page, env.server.url, 'new'); // silver: no early access
  const sale = (await env.server.api('/api/program')).limitedSales[0];
  // The demo sale starts two days after the business day the server started on, at 20:00.
  const [y, m, d] = ymd(PINNED_AT);
  assert.equal(sale.startsAt, at(y, m, d + 2, 20));
  await page.locator('#limited-sale[data-flag="NOT_STARTED"]').waitFor();
  await qaSetTo(page, sale.startsAt + 60_000);
  await go(page, 'checkin');
  await go(page, 'home');
  await page.locator('#limited-sale[data-flag="open"]').waitFor();
  await qaSetTo(page, sale.endsAt + 60_000);
  await go(page, 'checkin');
  await go(page, 'home');
  await page.locator('.member-card').waitFor();
  assert.equal(await page.locator('#limited-sale').count(), 0, 'an ended sale is not offered');
  assert.deepEqual(errors, []);
});

test("a claimed coupon is usable on its last day and expired after it", async () => {
  const { page, errors } = await atPinnedInstant();
  await loginAs(page, env.server.url, 'new');
  await go(page, 'coupons');
  await page.click('[data-action="claim"][data-arg="free-ship"]');
  await page.locator('#wallet-panel [data-template="free-ship"]').waitFor();
  await waitSynced(page);
  const coupon = await page.evaluate(() => window.siyuApp.client.mall.wallet().available.find((c) => c.template === 'free-ship'));
  // 14 days from the claim, counted in business days: it ends at the midnight 14 days after today's.
  const [y, m, d] = ymd(PINNED_AT);
  assert.equal(coupon.validTo, at(y, m, d + 14));
  await qaSetTo(page, coupon.validTo - 30 * 60_000);
  await go(page, 'home');
  await go(page, 'coupons');
  await page.locator('#wallet-panel [data-template="free-ship"]').waitFor();
  assert.equal(await page.evaluate(() => window.siyuApp.client.mall.wallet().available.some((c) => c.template === 'free-ship')), true, 'still usable at 23:30 on its last day');
  await qaSetTo(page, coupon.validTo + 30 * 60_000);
  await go(page, 'home');
  await go(page, 'coupons');
  await page.click('#wallet-tab-expired');
  await page.locator('#wallet-panel [data-template="free-ship"]').waitFor();
  const wallet = await page.evaluate(() => window.siyuApp.client.mall.wallet());
  assert.equal(wallet.available.some((c) => c.template === 'free-ship'), false);
  assert.equal(wallet.expired.some((c) => c.template === 'free-ship'), true, 'expired at midnight');
  assert.deepEqual(errors, []);
});

test('points earned at the pinned instant expire at the end of next year', async () => {
  const { page, errors } = await atPinnedInstant();
  await loginAs(page, env.server.url, 'new');
  assert.equal(await balance(page), 0);
  await go(page, 'checkin');
  await page.click('#checkin-btn');
  await page.locator('#checkin-btn', { hasText: '今日已签到' }).waitFor();
  await waitSynced(page);
  await go(page, 'home');
  const earned = await balance(page);
  assert.ok(earned > 0);
  // yearEnd 1: points of year Y last until 31 December Y+1, 24:00.
  const [y] = ymd(PINNED_AT);
  await qaSetTo(page, at(y + 1, 12, 31, 23, 0));
  await go(page, 'checkin');
  await go(page, 'home');
  assert.equal(await balance(page), earned, 'still there on the last evening');
  await qaSetTo(page, at(y + 2, 1, 1, 0, 30));
  await go(page, 'checkin');
  await go(page, 'home');
  assert.equal(await balance(page), 0, 'expired at midnight');
  assert.deepEqual(errors, []);
});
