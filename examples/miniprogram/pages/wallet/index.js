// The coupon wallet and the claim centre.
const { watch, unwatch, act } = require('../watch.js');
const { yuan } = require('../format.js');

function render(mall) {
  const wallet = mall.wallet();
  const coupon = (c) => ({ id: c.id, name: c.name, minSpend: yuan(c.minSpend), daysLeft: c.daysLeft });
  return {
    available: wallet.available.map(coupon),
    expiring: wallet.expiring.map(coupon),
    offers: mall
      .claimCentre()
      .map((o) => ({ template: o.template.id, name: o.template.name, claimable: o.claimable, reason: o.reasonText || '' })),
  };
}

Page({
  data: { available: [], expiring: [], offers: [], message: '', sync: '' },
  onLoad() {
    this.ready = watch(this, render);
  },
  onUnload() {
    unwatch(this);
  },
  claim(event) {
    const template = event.currentTarget.dataset.template;
    return act(this, (mall) => mall.claimCoupon(template), (receipt) => `已领取 ${receipt.coupon ? receipt.coupon.template : template}`);
  },
});
