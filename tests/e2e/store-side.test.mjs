// The store's side of a member's week (rulebook §1 cumulative check-in): from the Monday after the
// pinned instant (harness PINNED_AT), a new member checks in four days running on the QA clock;
// the check-in card counts the week's check-ins with the next milestone, and the fourth check-in's
// receipt names the milestone (the demo program: 4 days → 20 points, 6 days → 40).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, newPhone, loginAs, waitSynced, go, businessDay, PINNED_AT } from './harness.mjs';

const env = useServerAndBrowser();
const DAY = 86_400_000;

/** 10:00 China time on the first Monday after `instant`. */
function nextMonday(instant) {
  const [y, m, d] = businessDay(instant).split('-').map(Number);
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay(); // 0 = Sunday
  const ahead = (8 - weekday) % 7 || 7;
  return Date.UTC(y, m - 1, d + ahead, 2, 0);
}

const cumulative = async (page) => {
  const el = page.locator('#cumulative');
  return { count: Number(await el.getAttribute('data-count')), nextDays: await el.getAttribute('data-next-days'), nextCheckIns: await el.getAttribute('data-next-check-ins'), text: await el.textContent() };
};

test('cumulative check-in: the week counts up to its milestone and the receipt names it', async () => {
  const monday = nextMonday(PINNED_AT);
  await env.server.setClockTo(monday);
  const { page, errors } = await newPhone(env.browser);
  await loginAs(page, env.server.url, 'new');
  await go(page, 'checkin');
  assert.deepEqual(await cumulative(page), { count: 0, nextDays: '4', nextCheckIns: '4', text: '本周累计签到 0 天 · 再签 4 天，累计 4 天得 20 积分' });
  for (let k = 0; k < 4; k++) {
    if (k > 0) {
      await page.click('#qa-open');
      await page.locator('#qa-form button[value="plusDay"]').click();
      await page.locator('#checkin-btn:not([disabled])').waitFor();
    }
    await page.click('#checkin-btn');
    await page.locator(`#cumulative[data-count="${k + 1}"]`).waitFor();
  }
  await page.locator('.toast', { hasText: '累计签到 4 天达成' }).waitFor();
  const after = await cumulative(page);
  assert.equal(after.nextDays, '6');
  assert.match(after.text, /本周累计签到 4 天 · 再签 2 天，累计 6 天得 40 积分/);
  await waitSynced(page);
  const state = await env.server.serverState('new');
  // (Lots expiring together are merged on the server, §12: the ledger keeps each credit.)
  const entry = state.ledger.find((e) => e.reason === 'checkInMilestone:4');
  assert.ok(entry, 'the server granted the milestone');
  assert.equal(entry.delta, 20);
  assert.equal(businessDay(entry.at), businessDay(monday + 3 * DAY));
  // The points history names it.
  await go(page, 'me');
  await page.locator('#ledger .ledger-reason', { hasText: '累计签到 4 天' }).waitFor();
  assert.deepEqual(errors, []);
});
