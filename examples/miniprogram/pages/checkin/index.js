// Daily check-in: streak, today's reward, the month's calendar, the points balance.
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
  };
}

Page({
  data: { streak: 0, checkedInToday: false, todaysReward: 0, balance: 0, days: [], message: '', sync: '' },
  onLoad() {
    this.ready = watch(this, render);
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
