// Daily check-in: streak, today's reward, the month's calendar, the points balance; and referral
// (rulebook §14): sharing the page carries the member's code in its path, and a friend who opens
// a shared page accepts it (the friend coupon at once).
const { watch, unwatch, act } = require('../watch.js');

function render(mall) {
  const streak = mall.streak();
  const today = mall.businessDay();
  const [year, month] = today.split('-').map(Number);
  const calendar = mall.calendar(year, month);
  return {
    streak: streak.streak,
    checkedInToday: streak.checkedInToday,
    todaysReward: streak.todaysReward,
    nextBonus: streak.nextBonus,
    balance: mall.points().balance,
    days: calendar.days.map((d) => ({ day: Number(d.day.slice(8)), status: d.status })),
    referralCode: mall.referral().code,
  };
}

Page({
  data: { streak: 0, checkedInToday: false, todaysReward: 0, balance: 0, days: [], referralCode: '', message: '', sync: '' },
  onLoad(query) {
    this.ready = watch(this, render);
    // Opened from a friend's share: accept their code while the member still may.
    if (query && query.ref) {
      this.accepted = this.ready.then((client) =>
        client.mall.referral().acceptUntil ? act(this, (mall) => mall.acceptReferral(query.ref), () => '已接受好友邀请，好友券已到账') : undefined,
      );
    }
  },
  onShareAppMessage() {
    return { title: '送你一张好友券', path: `/pages/checkin/index?ref=${this.data.referralCode}` };
  },
  onUnload() {
    unwatch(this);
  },
  checkIn() {
    return act(this, (mall) => mall.checkIn(), (receipt) => {
      const points = receipt.effects.filter((e) => e.type === 'pointsCredited').reduce((sum, e) => sum + e.lot.points, 0);
      return `签到成功 +${points} 积分`;
    });
  },
});
