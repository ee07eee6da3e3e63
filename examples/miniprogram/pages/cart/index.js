// The cart: the best price with coupons and points, explained, and the order.
const { watch, unwatch, act } = require('../watch.js');
const { yuan, problem } = require('../format.js');

// A fixed cart of the demo program's products; a store's cart page keeps its own.
const LINES = [
  { sku: 'protein-1kg', qty: 1 },
  { sku: 'almond-250', qty: 2 },
];

function render(mall) {
  const totals = mall.quoteTotals({ lines: LINES, coupons: 'best', points: 'max' });
  return {
    lines: LINES,
    total: yuan(totals.total),
    saved: yuan(totals.saved),
    couponDiscount: yuan(totals.couponDiscount),
    pointsUsed: totals.pointsUsed,
    orderable: totals.orderable,
    pending: mall.pendingCount(),
    // The newest order awaiting payment, paid with the button below (rulebook §8).
    awaiting: (mall.orders().find((o) => o.status === 'awaitingPayment') || {}).id || '',
  };
}

Page({
  data: { lines: [], total: '', saved: '', message: '', sync: '', awaiting: '' },
  onLoad() {
    this.ready = watch(this, render);
  },
  onUnload() {
    unwatch(this);
  },
  placeOrder() {
    const order = (mall) => {
      const totals = mall.quoteTotals({ lines: LINES, coupons: 'best', points: 'max' });
      return mall.placeOrder({
        orderId: mall.nextOrderId(),
        lines: LINES,
        coupons: totals.couponIds,
        points: totals.pointsUsed,
        expectedTotal: totals.total,
      });
    };
    return act(this, order, (receipt) => {
      const placed = receipt.effects.find((e) => e.type === 'orderPlaced');
      return `下单成功 ${placed ? placed.order.id : ''}`;
    });
  },
  /** Pay the order awaiting payment: the server prepares WeChat Pay, wx.requestPayment pays. */
  async pay() {
    const client = await this.ready;
    const orderId = this.data.awaiting;
    if (!orderId) return;
    try {
      const result = await client.pay(orderId);
      this.setData({ message: result.status === 'paid' ? '支付成功' : '支付结果确认中' });
    } catch (e) {
      this.setData({ message: e && e.code === 'PAYMENT_CANCELLED' ? '已取消支付' : problem(e) });
    }
  },
});
