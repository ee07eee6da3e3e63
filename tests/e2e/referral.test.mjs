// Referral (rulebook §14) from the pinned instant (harness PINNED_AT), in two browser contexts:
// the referrer shares a link with their code; a new member opens it, accepts (the friend coupon
// at once), pays a first order of at least ¥59; the referrer's page lists the friend with the
// reward pending; the QA clock passes the friend's refund window and the referrer sees the
// reward usable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, newPhone, loginAs, waitSynced, go, payInSheet } from './harness.mjs';

const env = useServerAndBrowser();
const DAY = 86_400_000;

/** Pull now (the referrer's side is the store's change, delivered by pull). */
const pullNow = (page) => page.evaluate(() => window.siyuApp.client.sync());

test('invite a friend: the link, the friend coupon, the first paid order, the reward after the refund window', async () => {
  const referrer = await newPhone(env.browser);
  await loginAs(referrer.page, env.server.url, 'loyal');
  await go(referrer.page, 'me');
  const code = await referrer.page.locator('#referral-code').textContent();
  assert.match(code, /^[0-9A-HJKMNP-TV-Z]{10}$/);
  const link = await referrer.page.locator('#referral-link').inputValue();
  assert.ok(link.includes(`?ref=${code}`), link);
  await referrer.page.locator('#friends').waitFor({ state: 'detached' });

  // The friend opens the link (on this server), logs in as the new member: the code is filled in.
  const friend = await newPhone(env.browser);
  const { page } = friend;
  await page.goto(`${env.server.url}/?ref=${code}#/home`);
  await page.click('#login-new');
  await waitSynced(page);
  await go(page, 'me');
  assert.equal(await page.locator('#referral-input').inputValue(), code);
  // Their own code is refused before anything is sent.
  await page.fill('#referral-input', await page.locator('#referral-code').textContent());
  await page.click('[data-action="acceptReferral"]');
  await page.locator('.toast', { hasText: '不能使用自己的邀请码' }).waitFor();
  await page.fill('#referral-input', code.toLowerCase());
  await page.click('[data-action="acceptReferral"]');
  await page.locator(`#referred-by[data-code="${code}"]`).waitFor();
  await waitSynced(page);
  await go(page, 'coupons');
  await page.locator('#wallet-panel [data-template="friend-15"]').waitFor();

  // The referrer's page lists the friend, masked.
  await pullNow(referrer.page);
  const joined = referrer.page.locator('#friends li[data-status="joined"]');
  await joined.waitFor();
  assert.match(await joined.textContent(), /n\*\*\*w/);

  // The friend's first order (¥84 of protein, over ¥59), paid in the demo sheet.
  await go(page, 'home');
  await page.click('[data-action="add"][data-arg="protein-1kg"]');
  await go(page, 'cart');
  await page.click('#place-order');
  await page.locator('#pay-form').waitFor();
  const orderId = await page.evaluate(() => window.siyuApp.client.mall.orders()[0].id);
  await payInSheet(page, orderId);
  const paid = (await env.server.serverState('new')).orders.find((o) => o.id === orderId);
  assert.equal(paid.status, 'paid');
  assert.ok(paid.total >= 5900, `${paid.total}`);

  // Rewarded pending: 300 points, usable once the friend's order can no longer be refunded.
  await go(referrer.page, 'me');
  const pending = referrer.page.locator('#friends li[data-status="pending"]');
  for (let i = 0; i < 50 && !(await pending.count()); i++) {
    await pullNow(referrer.page);
    await referrer.page.waitForTimeout(100);
  }
  assert.equal(await pending.getAttribute('data-points'), '300');
  assert.match(await pending.textContent(), /奖励 300 积分 .* 起可用/);
  const state = await env.server.serverState('loyal');
  const friendEntry = state.referral.friends.find((f) => f.status === 'rewarded');
  const lot = state.lots.find((l) => l.id === friendEntry.lot);
  assert.equal(lot.availableAt, paid.paidAt + 7 * DAY + 1);

  // The QA clock passes the refund window: the reward is usable.
  await env.server.setClockTo(paid.paidAt + 8 * DAY);
  await referrer.page.reload();
  await waitSynced(referrer.page);
  await go(referrer.page, 'me');
  await referrer.page.locator('#friends li[data-status="rewarded"]').waitFor();
  // The lot is no longer pending: in the balance the home page shows.
  const usable = await referrer.page.evaluate((id) => {
    const mall = window.siyuApp.client.mall;
    return { pending: mall.points().pendingLots.some((l) => l.lot === id), lot: mall.state().lots.find((l) => l.id === id)?.remaining };
  }, lot.id);
  assert.deepEqual(usable, { pending: false, lot: 300 });
  assert.deepEqual(referrer.errors, []);
  assert.deepEqual(friend.errors, []);
});
