// The example mini-program pays through wx.requestPayment: siyu-server with WeChat Pay API v3
// configured against the local simulator (siyu-wechatpay-sim: keys made at start, real
// signatures and AES-GCM), the example in the simulated runtime (./runtime.mjs) whose
// wx.requestPayment checks the parameters and, as the shopper confirming the sheet, pays at the
// simulator, which posts the signed notification to the server. The server's clock is pinned
// (harness PINNED_AT); signatures carry the system clock on both sides, as with WeChat Pay.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { startServer, ROOT, eventually } from '../e2e/harness.mjs';
import { installExample, launch } from './runtime.mjs';

let sim;
let simConfig;
let server;
let work;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'siyu-wxpay-'));
  const serverBin = process.env.SIYU_SERVER_BIN || join(ROOT, 'target', 'release', 'siyu-server');
  const simBin = join(dirname(serverBin), 'siyu-wechatpay-sim');
  if (!existsSync(simBin)) throw new Error(`no simulator at ${simBin}: build it with \`cargo build -p siyu-server --release\``);
  sim = spawn(simBin, [join(work, 'keys')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await Promise.race([
    new Promise((resolve) => createInterface({ input: sim.stdout }).once('line', (l) => resolve([l]))),
    new Promise((_, reject) => setTimeout(() => reject(new Error('the simulator did not start')), 20_000)),
  ]);
  simConfig = JSON.parse(line);
  server = await startServer({ env: (url) => ({ ...simConfig, SIYU_WECHATPAY_NOTIFY_URL: `${url}/api/payments/wechatpay/notify` }) });
});

after(async () => {
  await server?.stop();
  sim?.kill();
  rmSync(work, { recursive: true, force: true });
});

test('the example pays an order through wx.requestPayment and WeChat Pay v3', async () => {
  const sheets = [];
  const payments = {
    cancel: true,
    async confirm(options) {
      sheets.push(options);
      const prepayId = options.package.replace(/^prepay_id=/, '');
      const res = await fetch(`${simConfig.SIYU_WECHATPAY_BASE_URL}/sim/pay`, { method: 'POST', body: JSON.stringify({ prepay_id: prepayId }) });
      if (!res.ok) throw new Error(`the simulator refused: ${res.status} ${await res.text()}`);
      assert.deepEqual(await res.json(), { notified: 204 }, 'the server took the notification');
    },
  };
  const mp = launch({ ...installExample(work, 'pay', server.url, 'new'), payments });
  await mp.app.ready;
  const cart = mp.open('pages/cart/index');
  await cart.ready;
  await mp.tap(cart, 'placeOrder');
  const orderId = cart.data.message.replace('下单成功 ', '');
  assert.equal(cart.data.awaiting, orderId, 'the order awaits payment');
  await eventually(async () => (await server.serverState('new')).orders?.some((o) => o.id === orderId), { what: 'the order on the server' });

  // The shopper closes WeChat's sheet: nothing paid, the order still awaits payment.
  await mp.tap(cart, 'pay');
  assert.equal(cart.data.message, '已取消支付');
  assert.equal((await server.serverState('new')).orders.find((o) => o.id === orderId).status, 'awaitingPayment');

  // Then confirms it: paid at the simulator, notified, and pulled back to the phone.
  payments.cancel = false;
  await mp.tap(cart, 'pay');
  assert.equal(sheets.length, 1);
  assert.equal(sheets[0].signType, 'RSA');
  assert.match(sheets[0].package, /^prepay_id=wx/);
  assert.equal(cart.data.message, '支付成功');
  assert.equal(cart.data.awaiting, '');
  const order = (await server.serverState('new')).orders.find((o) => o.id === orderId);
  assert.equal(order.status, 'paid');
  assert.match(order.transactionId, /^4200\d+$/);
  assert.equal(mp.app.client.mall.orders().find((o) => o.id === orderId).status, 'paid');
  mp.kill();
});
