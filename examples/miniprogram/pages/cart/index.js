// The cart: the best price with coupons and points, explained, and the order.
const { watch, unwatch } = require('../watch.js');
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
  };
}

Page({
  data: { lines: [], total: '', saved: '', message: '', sync: '' },
  onLoad() {
    this.ready = watch(this, render);
  },
  onUnload() {
    unwatch(this);
  },
  async placeOrder() {
    const client = await this.ready;
    try {
      const receipt = await client.mutate((mall) => {
        const totals = mall.quoteTotals({ lines: LINES, coupons: 'best', points: 'max' });
        return mall.placeOrder({
          orderId: mall.nextOrderId(),
          lines: LINES,
          coupons: totals.couponIds,
          points: totals.pointsUsed,
          expectedTotal: totals.total,
        });
      });
      const placed = receipt.effects.find((e) => e.type === 'orderPlaced');
      this.setData({ message: `下单成功 ${placed ? placed.order.id : ''}` });
    } catch (e) {
      this.setData({ message: problem(e) });
    }
  },
});
