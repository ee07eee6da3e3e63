// Promotions in the demo mall (rulebook §13), from the pinned instant (harness PINNED_AT): the
// running promotions on the home page and their tags on products; in the cart 第二件半价 in
// "why this price", the 满减 bar with what is still missing, the 满赠 gift line; the numbers on
// screen add up; the placed order carries its promotions and its gift, on the server too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, newPhone, loginAs, waitSynced, go, payInSheet, summaryOf, assertAddsUp } from './harness.mjs';

const env = useServerAndBrowser();

test('home: the running promotions and their tags on the products they cover', async () => {
  const { page, errors } = await newPhone(env.browser);
  await loginAs(page, env.server.url, 'new');
  const cards = page.locator('#promotions .promo-card');
  assert.equal(await cards.count(), 4);
  const texts = await cards.allTextContents();
  assert.ok(texts.some((x) => x.includes('第二件半价')), `the half-price card: ${texts}`);
  assert.ok(texts.some((x) => x.includes('满 ¥199 减 ¥20') && x.includes('包邮')), `the ladder's tiers: ${texts}`);
  assert.ok(texts.some((x) => x.includes('送 维生素C')), `the gift: ${texts}`);
  // Tags: pistachios carry 第二件半价; a drink the ladder; quinoa the grains set; nuts other than
  // pistachios none.
  const tags = async (sku) => page.locator(`.product:has([data-arg="${sku}"]) .tag-promo`).allTextContents();
  assert.deepEqual(await tags('pistachio-400'), ['第二件半价']);
  assert.deepEqual(await tags('coconut-12'), ['满减']);
  assert.deepEqual(await tags('quinoa-500'), ['组合价']);
  assert.deepEqual(await tags('oats-1kg'), []);
  assert.deepEqual(await tags('almond-250'), []);
  // In English too.
  await page.click('[data-action="toggleLang"]');
  await page.locator('#promotions-title', { hasText: 'Running promotions' }).waitFor();
  assert.doesNotMatch(await page.locator('#promotions').innerText(), /\p{Script=Han}/u);
  assert.deepEqual(errors, []);
});

test('cart: 第二件半价 in why-this-price, the 满减 bar, the 满赠 gift line; the order keeps them', async () => {
  const { page, errors } = await newPhone(env.browser);
  await loginAs(page, env.server.url, 'new');
  // Two pistachios (第二件半价) and a coconut water (drinks, below the ¥199 ladder).
  await page.click('[data-action="add"][data-arg="pistachio-400"]');
  await page.click('[data-action="add"][data-arg="pistachio-400"]');
  await page.click('[data-action="add"][data-arg="coconut-12"]');
  await go(page, 'cart');
  await page.locator('.summary-row[data-row="promotions"]').waitFor();
  let summary = await summaryOf(page);
  assert.ok(summary.rows.promotions < 0, 'the promotions saving is a line of the summary');
  assertAddsUp(summary);
  const line = page.locator('.cart-line[data-sku="pistachio-400"]');
  await line.locator('summary').click();
  const step = line.locator('.steps li[data-kind="promotion"]');
  assert.match(await step.textContent(), /活动：开心果 第二件半价/);
  // The promotion's share of the line is the summary's promotions row: the only one applied.
  const share = Number((await step.locator('.minus').textContent()).replace(/[^\d]/g, ''));
  assert.equal(-summary.rows.promotions, share);
  // The bar: what the drinks still need for the ladder's first tier.
  const bar = page.locator('.promo-bar[data-promotion="drinks-ladder"]');
  assert.match(await bar.textContent(), /再买 ¥[\d,]+\.\d\d 减 ¥20/);

  // Protein powder and collagen: the wellness goods pass ¥399, the vitamin C comes as a gift.
  await go(page, 'home');
  await page.click('[data-action="add"][data-arg="protein-1kg"]');
  await page.click('[data-action="add"][data-arg="collagen-30"]');
  await go(page, 'cart');
  const gift = page.locator('.cart-line.gift-line[data-gift="wellness-gift"]');
  await gift.waitFor();
  assert.equal(await gift.getAttribute('data-sku'), 'vitc-60');
  assert.match(await gift.textContent(), /赠品/);
  assert.match(await gift.locator('.price').textContent(), /¥0\.00/);
  assert.equal(await page.locator('[data-action="qty"][data-arg^="vitc-60"]').count(), 0, 'a gift has no quantity buttons');
  summary = await summaryOf(page);
  assertAddsUp(summary);
  await page.locator('#cart-promotions [data-promotion="wellness-gift"]').waitFor();

  // Place and pay: the server's order has both promotions and the gift, at the shown total.
  await page.click('#place-order');
  await page.locator('#tab-me[aria-current="page"]').waitFor();
  const order = page.locator('#orders .order').first();
  await order.waitFor();
  const orderId = await order.getAttribute('data-order');
  await payInSheet(page, orderId);
  await waitSynced(page);
  const placed = (await env.server.serverState('new')).orders.find((o) => o.id === orderId);
  assert.equal(placed.total, summary.total);
  assert.deepEqual(placed.promotions.sort(), ['pistachio-half', 'wellness-gift']);
  assert.deepEqual(placed.gifts.map((g) => [g.sku, g.qty]), [['vitc-60', 1]]);
  assert.equal(placed.lines.length, 4, 'the gift is not an ordered line');
  await order.locator('.order-gift[data-sku="vitc-60"]').waitFor();
  assert.deepEqual(errors, []);
});
