// Every number a shopper sees adds up, in both languages: the check-in card, the cart summary,
// the coupon chooser, the points history after a refund, order numbers, cart choices across a
// reload, toasts, and English pages without Chinese text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, newPhone, loginAs, waitSynced, go, eventually, payInSheet, summaryOf, assertAddsUp } from './harness.mjs';

const env = useServerAndBrowser();

const num = (text) => Number(String(text).replace(/[^\d]/g, ''));
/** The first whole number in a text ("再签 3 天（含今天），第 7 天…" → 3). */
const firstNumber = (text) => Number(/\d+/.exec(text)[0]);

/** The check-in card as numbers: the streak, the cycle day and the strip agree with each other. */
async function checkInCard(page) {
  const streak = Number(await page.locator('.streak-count').getAttribute('data-streak'));
  assert.equal(firstNumber(await page.locator('.streak-count').textContent()), streak, 'the header says the streak');
  const cycleDay = Number(await page.locator('#cycle-count').getAttribute('data-cycle-day'));
  assert.equal(firstNumber(await page.locator('#cycle-count').textContent()), cycleDay, 'the cycle line says the cycle day');
  assert.equal(await page.locator('.cycle .slot-done').count(), cycleDay, 'the week strip shows as many days done');
  const next = page.locator('#next-bonus');
  const bonus = (await next.count())
    ? { checkIns: Number(await next.getAttribute('data-check-ins')), day: Number(await next.getAttribute('data-day')), text: await next.textContent() }
    : null;
  return { streak, cycleDay, bonus };
}

test('check-in: streak, cycle day and the check-ins to the next bonus agree, before and after checking in', async () => {
  const { page, errors } = await newPhone(env.browser);
  await loginAs(page, env.server.url, 'loyal');
  await go(page, 'checkin');
  const before = await checkInCard(page);
  assert.ok(before.streak >= before.cycleDay, 'the streak covers the cycle');
  assert.ok(before.bonus, 'a bonus is ahead this week');
  // Today is not checked in yet: the check-ins needed count today.
  assert.equal(before.bonus.checkIns, before.bonus.day - before.cycleDay);
  if (before.bonus.checkIns > 1) {
    assert.equal(firstNumber(before.bonus.text), before.bonus.checkIns);
    assert.match(before.bonus.text, /含今天/);
  } else {
    assert.match(before.bonus.text, /今天签到额外得/);
  }

  await page.click('#checkin-btn');
  await page.locator(`.streak-count[data-streak="${before.streak + 1}"]`).waitFor();
  const after = await checkInCard(page);
  assert.equal(after.cycleDay, before.cycleDay + 1);
  if (after.bonus) {
    assert.equal(after.bonus.checkIns, after.bonus.day - after.cycleDay);
    assert.equal(firstNumber(after.bonus.text), after.bonus.checkIns);
    assert.doesNotMatch(after.bonus.text, /含今天/);
  }
  assert.deepEqual(errors, []);
});

test('cart: the summary adds up, the shipping fee and what waived it are lines, the chooser shows each coupon and says why one is not applied', async () => {
  const { page, errors } = await newPhone(env.browser);
  await loginAs(page, env.server.url, 'new');
  // A free-shipping coupon and a small cart below the ¥99 threshold: the coupon waives the fee.
  await go(page, 'coupons');
  await page.click('[data-action="claim"][data-arg="free-ship"]');
  await page.locator('#wallet-panel [data-template="free-ship"]').waitFor();
  await go(page, 'home');
  await page.click('[data-action="add"][data-arg="almond-250"]');
  await go(page, 'cart');
  await page.locator('.summary-row[data-row="shippingWaived"]').waitFor();
  let summary = await summaryOf(page);
  assert.equal(summary.rows.shipping, 800, 'the fee is shown as an amount');
  assert.equal(summary.rows.shippingWaived, -800, 'and so is what waived it');
  assertAddsUp(summary);

  // Enough for the threshold: free shipping by threshold is a line too; the numbers still add up.
  await page.click('[data-action="qty"][data-arg="almond-250:1"]');
  await page.click('[data-action="qty"][data-arg="almond-250:1"]');
  await page.locator('.summary-row[data-row="shippingWaived"] dt', { hasText: '满' }).waitFor();
  summary = await summaryOf(page);
  assertAddsUp(summary);

  // The chooser shows each coupon's value, threshold and group; choosing the free-shipping
  // coupon when shipping is already free says why it is not applied.
  await page.click('[data-action="chooseCoupons"]');
  const item = page.locator('#coupon-form .choose-item[data-coupon]').filter({ hasText: '包邮券' });
  await item.waitFor();
  assert.match(await item.locator('.choose-rule').textContent(), /免运费 · 运费券/);
  for (const box of await page.locator('#coupon-form input[name="coupon"]').all()) if (await box.isChecked()) await box.uncheck();
  await item.locator('input').check();
  await page.click('#coupon-form button[value="set"]');
  await page.locator('#cart-coupons [data-reason="NO_SAVING"]').waitFor();
  assert.match(await page.locator('#coupon-choice-note').textContent(), /1 张未使用/);
  assertAddsUp(await summaryOf(page));
  assert.deepEqual(errors, []);
});

test('cart: coupon and points choices survive a reload; quick adds show one toast', async () => {
  const { page, errors } = await newPhone(env.browser);
  await loginAs(page, env.server.url, 'loyal');
  await go(page, 'home');
  for (const sku of ['protein-1kg', 'almond-250', 'oats-1kg']) await page.click(`[data-action="add"][data-arg="${sku}"]`);
  assert.ok((await page.locator('#toasts .toast:not(.toast-error)').count()) <= 1, 'one status toast at a time');
  await go(page, 'cart');
  await page.click('[data-action="chooseCoupons"]');
  await page.click('#coupon-form button[value="none"]');
  await page.locator('#coupon-choice-note', { hasText: '不使用' }).waitFor();
  const slider = page.locator('#points-slider');
  await slider.focus();
  for (let i = 0; i < 2; i++) await page.keyboard.press('ArrowRight');
  await page.locator('.summary-row[data-row="points"]').waitFor();
  const label = await page.locator('#points-label').textContent();
  const total = await page.locator('#cart-total').getAttribute('data-total');

  await page.reload();
  await page.locator('#cart-total').waitFor();
  assert.match(await page.locator('#coupon-choice-note').textContent(), /不使用/);
  assert.equal(await page.locator('#points-label').textContent(), label);
  assert.equal(await page.locator('#cart-total').getAttribute('data-total'), total);
  assert.deepEqual(errors, []);
});

test('me: one history row per refund with its total, short order numbers, what a refund reversed, history in date order', async () => {
  const { page, errors } = await newPhone(env.browser);
  await loginAs(page, env.server.url, 'loyal');
  // The seeded history reads newest first.
  await go(page, 'me');
  await page.locator('#ledger .ledger-row').first().waitFor();
  await page.locator('#points-card details[data-key="ledger"] summary').click();
  const rows = page.locator('#points-card .ledger-row');
  // Once the server has archived the past (after the member's first push), it pages in.
  const more = page.locator('#points-card [data-action="loadEarlier"]');
  await eventually(async () => {
    if (await more.count()) await more.click();
    return (await more.count()) === 0 && (await rows.count()) > 20;
  }, { what: 'the whole history' });
  const times = await rows.evaluateAll((list) => list.map((r) => Number(r.dataset.at)));
  assert.ok(times.every((t, i) => i === 0 || times[i - 1] >= t), 'newest first, in date order');

  // An order paid partly with points across several lots, then refunded.
  await go(page, 'home');
  await page.click('[data-action="add"][data-arg="protein-1kg"]');
  await page.click('[data-action="add"][data-arg="walnut-500"]');
  await go(page, 'cart');
  const slider = page.locator('#points-slider');
  await slider.fill(await slider.getAttribute('max'));
  await page.locator('.summary-row[data-row="points"]').waitFor();
  const used = num(await page.locator('.summary-row[data-row="points"] dd').textContent());
  assert.ok(used > 0);
  await page.click('#place-order');
  await page.locator('#tab-me[aria-current="page"]').waitFor();
  const order = page.locator('#orders .order').first();
  const orderId = await order.getAttribute('data-order');
  await payInSheet(page, orderId);
  await waitSynced(page);
  const shortNo = (await order.locator('.order-no').textContent()).trim();
  assert.ok(shortNo.length <= 16, `a short order number (${shortNo})`);
  await page.click(`[data-action="refund"][data-arg="${orderId}"]`);
  assert.doesNotMatch(await page.locator('#dialog-form').textContent(), new RegExp(orderId));
  await page.locator('#dialog button[value="ok"]').click();
  await page.locator(`#orders .order[data-order="${orderId}"][data-state="refunded"]`).waitFor();
  await waitSynced(page);
  // The refunded order says what was reversed, not what it earned.
  const foot = await page.locator(`#orders .order[data-order="${orderId}"] .order-points`).textContent();
  assert.match(foot, /已退回 [\d,]+ 积分/);
  assert.doesNotMatch(foot, /^得/);
  // The newest history row is the refund, once, with its total; its parts add up to it.
  const row = page.locator('#ledger .ledger-row').first();
  assert.match(await row.textContent(), /退款/);
  const parts = await row.locator('.ledger-parts li').evaluateAll((li) => li.map((x) => Number(x.dataset.delta)));
  assert.ok(parts.length >= 1);
  assert.equal(parts.reduce((a, b) => a + b, 0), Number(await row.getAttribute('data-delta')));
  assert.equal(await page.locator('#ledger .ledger-row', { hasText: '退款' }).count(), 1, 'one row for the refund');
  // No internal order id anywhere on the page.
  assert.ok(!(await page.locator('body').innerText()).includes(orderId));
  assert.deepEqual(errors, []);
});

test('English pages hold no Chinese text outside the language switch', async () => {
  const { page, errors } = await newPhone(env.browser);
  await loginAs(page, env.server.url, 'loyal');
  await page.click('[data-action="toggleLang"]');
  await page.locator('#tab-home .tab-label', { hasText: 'Home' }).waitFor();
  await page.click('[data-action="add"][data-arg="protein-1kg"]');
  await page.click('[data-action="add"][data-arg="almond-250"]');
  const han = /\p{Script=Han}/u;
  for (const route of ['home', 'checkin', 'coupons', 'cart', 'me']) {
    await go(page, route);
    await page.locator('#main').waitFor();
    // Open every "why this price" and the history, so that their text is checked too.
    await page.evaluate(() => document.querySelectorAll('#main details').forEach((d) => (d.open = true)));
    const text = await page.evaluate(() => {
      const clone = document.body.cloneNode(true);
      clone.querySelectorAll('[data-action="toggleLang"], [aria-hidden="true"], script, style, noscript').forEach((el) => el.remove());
      return clone.innerText;
    });
    const lines = text.split('\n').filter((l) => han.test(l));
    assert.deepEqual(lines, [], `Chinese on the English ${route} page`);
  }
  // The store name is whole, and shown whole (not cut with an ellipsis).
  const brand = page.locator('#topbar .brand-name');
  assert.equal(await brand.textContent(), 'Heben Wholefoods');
  assert.ok(await brand.evaluate((el) => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight + 1), 'the store name fits');
  assert.deepEqual(errors, []);
});
