// The cart: the best price with coupons and points, explained, and the order.
const { watch, unwatch, act } = require('../watch.js');
const { yuan } = require('../format.js');

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
});
