// Check-in: streak and cycle progress with the next bonus, the button with its reward, and the
// month calendar with makeup on missed days.
import { html, raw } from '../html.js';
import { t, nameIn } from '../i18n.js';
import { fmtNumber, fmtDay } from '../format.js';
import { ICONS } from '../icons.js';

function currentMonth(mall) {
  const [y, m] = mall.businessDay().split('-').map(Number);
  return { year: y, month: m };
}

function rewardWords(mall, bonus) {
  const parts = [];
  if (bonus.points) parts.push(t('bonusPoints', { n: bonus.points }));
  for (const id of bonus.coupons ?? []) {
    const name = nameIn(mall.program().couponTemplates, id);
    parts.push(t('bonusCoupon', { name }));
  }
  return parts.join(' + ');
}

function cycleLength(rules) {
  if (rules.cycle === 'weekly') return 7;
  const maxBonus = Math.max(0, ...(rules.streakBonuses ?? []).map((b) => b.day));
  return Math.min(Math.max(7, maxBonus), 10);
}

function streakCard(mall) {
  const streak = mall.streak();
  const rules = mall.program().checkIn;
  const length = cycleLength(rules);
  const bonuses = new Map((rules.streakBonuses ?? []).map((b) => [b.day, b]));
  const cycleNote = t(rules.cycle === 'weekly' ? 'cycleWeekly' : rules.cycle === 'monthly' ? 'cycleMonthly' : 'cycleRolling');
  const next = streak.nextBonus;
  const slots = [];
  for (let day = 1; day <= length; day++) {
    const done = day <= streak.cycleDay;
    const isNext = !streak.checkedInToday && day === streak.cycleDay + 1;
    const bonus = bonuses.get(day);
    slots.push(html`<li class=${`slot${done ? ' slot-done' : ''}${isNext ? ' slot-next' : ''}${bonus ? ' slot-bonus' : ''}`}
        aria-label=${`${t('cycleDay', { n: day })}${done ? ` ${t('day_checked')}` : ''}${bonus ? ` · ${rewardWords(mall, bonus)}` : ''}`}>
        <span class="slot-mark" aria-hidden="true">${done ? raw(ICONS.check) : bonus ? raw(ICONS.gift) : day}</span>
        <span class="slot-day" aria-hidden="true">${bonus && !done ? `+${bonus.points ?? ''}` : t('cycleDay', { n: day })}</span>
      </li>`);
  }
  return html`
    <section class="card streak-card" aria-labelledby="streak-title">
      <div class="streak-head">
        <h2 id="streak-title" class="streak-count" data-streak=${streak.streak}>${t('streakDays', { n: streak.streak })}</h2>
        <span class="muted small">${cycleNote}</span>
      </div>
      ${rules.cycle === 'rolling' ? '' : html`<p class="small cycle-count" id="cycle-count" data-cycle-day=${streak.cycleDay}>${t(rules.cycle === 'weekly' ? 'cycleDoneWeek' : 'cycleDoneMonth', { n: streak.cycleDay })}</p>`}
      <ol class="cycle" aria-label=${t('cycleProgress')}>${slots}</ol>
      ${cumulativeLine(mall, streak.cumulative, rules.cycle)}
      ${next ? html`<p class="next-bonus" id="next-bonus" data-check-ins=${next.checkIns} data-day=${next.day}>${raw(ICONS.gift)}<span>${t('nextBonus', { n: next.checkIns, today: !streak.checkedInToday, day: next.day, reward: rewardWords(mall, next) })}</span></p>` : ''}
      ${streak.checkedInToday
        ? html`<button type="button" class="btn btn-block btn-done" id="checkin-btn" disabled>${raw(ICONS.check)} ${t('checkedIn')}</button>`
        : html`<button type="button" class="btn btn-block btn-primary btn-big" id="checkin-btn" data-action="checkIn">${t('checkInBtn', { n: streak.todaysReward })}</button>`}
    </section>`;
}

/** The cycle's cumulative count (made-up days included) and the next milestone in reach. */
function cumulativeLine(mall, c, cycle) {
  if (!c) return '';
  const count = t(cycle === 'weekly' ? 'cumulativeWeek' : 'cumulativeMonth', { n: c.count });
  const next = c.next ? ` · ${t('nextMilestone', { n: c.next.checkIns, days: c.next.days, reward: rewardWords(mall, c.next) })}` : '';
  return html`<p class="small cumulative" id="cumulative" data-count=${c.count} data-next-days=${c.next?.days ?? ''} data-next-check-ins=${c.next?.checkIns ?? ''}>${raw(ICONS.gift)}<span>${count}${next}</span></p>`;
}

function calendarCard(mall, ui) {
  const { year, month } = ui.month ?? currentMonth(mall);
  const cal = mall.calendar(year, month);
  // A month the server has archived: its check-ins come from the archive (loaded by `month`).
  const archived = cal.archived ? ui.archivedMonths?.[`${year}-${month}`] : null;
  if (archived?.checkIns) {
    const byDay = new Map(archived.checkIns.map((c) => [c.day, c.kind === 'makeup' ? 'madeUp' : 'checked']));
    cal.days = cal.days.map((d) => (byDay.has(d.day) ? { ...d, status: byDay.get(d.day) } : d));
  }
  const [fy, fm, fd] = cal.days[0].day.split('-').map(Number);
  const lead = (new Date(Date.UTC(fy, fm - 1, fd)).getUTCDay() + 6) % 7; // Monday first
  const now = currentMonth(mall);
  const atCurrent = year === now.year && month === now.month;
  const weekdays = t('weekdays');
  const cells = [];
  for (let i = 0; i < lead; i++) cells.push(html`<span class="cal-cell cal-empty" aria-hidden="true"></span>`);
  for (const d of cal.days) {
    const n = Number(d.day.slice(8));
    const words = [fmtDay(d.day), t(`day_${d.status}`), d.memberDay ? t('memberDayMark') : '', d.canMakeUp ? t('canMakeUp') : ''].filter(Boolean).join(' · ');
    const cls = `cal-cell cal-${d.status}${d.memberDay ? ' cal-md' : ''}${d.canMakeUp ? ' cal-makeup' : ''}`;
    cells.push(
      d.canMakeUp
        ? html`<button type="button" class=${cls} data-action="makeup" data-arg=${d.day} data-day=${d.day} data-status=${d.status} aria-label=${words}><span>${n}</span><small aria-hidden="true">补</small></button>`
        : html`<span class=${cls} role="img" data-day=${d.day} data-status=${d.status} aria-label=${words}><span>${n}</span></span>`,
    );
  }
  return html`
    <section class="card calendar" aria-labelledby="cal-title">
      <div class="cal-head">
        <button type="button" class="icon-btn" data-action="month" data-arg="-1" aria-label=${t('prevMonth')}>${raw(ICONS.chevronLeft)}</button>
        <h2 id="cal-title">${t('monthTitle', { y: year, m: month })}</h2>
        <button type="button" class="icon-btn" data-action="month" data-arg="1" aria-label=${t('nextMonth')} ${atCurrent ? raw('disabled') : ''}>${raw(ICONS.chevron)}</button>
      </div>
      <div class="cal-grid">
        ${weekdays.map((w) => html`<span class="cal-weekday" aria-hidden="true">${w}</span>`)}
        ${cells}
      </div>
      ${cal.archived && !archived?.checkIns
        ? html`<p class="small ${archived?.failed ? 'hint-amber' : 'muted'}" role="status" id="cal-archive">${archived?.failed ? t('historyFailed') : t('loading')}</p>`
        : ''}
      <ul class="legend" aria-hidden="true">
        <li><span class="legend-dot cal-checked"></span>${t('day_checked')}</li>
        <li><span class="legend-dot cal-madeUp"></span>${t('day_madeUp')}</li>
        <li><span class="legend-dot cal-missed"></span>${t('day_missed')}</li>
        <li><span class="legend-dot cal-md"></span>${t('memberDayMark')}</li>
      </ul>
      ${cal.makeupCost !== null ? html`<p class="muted small" id="makeup-rule">${t('makeupRule', { cost: cal.makeupCost, left: cal.makeupsLeftThisMonth })}</p>` : ''}
    </section>`;
}

export function view({ mall, ui }) {
  return html`
    <h1 class="page-title">${t('tabCheckIn')}</h1>
    ${streakCard(mall)}
    ${calendarCard(mall, ui)}`;
}

function credited(receipt) {
  return receipt.effects.filter((e) => e.type === 'pointsCredited').reduce((n, e) => n + e.lot.points, 0);
}

/** The receipt's words: a completed cumulative milestone is named. */
function checkInWords(receipt) {
  const milestone = receipt.effects.find((e) => e.type === 'checkedIn')?.milestone;
  return milestone ? t('milestoneDone', { days: milestone, n: fmtNumber(credited(receipt)) }) : t('checkInDone', { n: fmtNumber(credited(receipt)) });
}

export const actions = {
  async checkIn(el, ctx) {
    el.disabled = true;
    await ctx.mutate((m) => m.checkIn(), checkInWords);
  },
  async makeup(el, ctx) {
    const day = el.dataset.arg;
    const cost = ctx.mall.program().checkIn.makeup?.costPoints ?? 0;
    const ok = await ctx.confirmAsk(t('makeupTitle'), t('makeupAsk', { day: fmtDay(day), cost }), t('makeupDo', { cost }));
    if (ok) await ctx.mutate((m) => m.makeupCheckIn(day), (r) => (r.effects.some((e) => e.milestone) ? checkInWords(r) : t('makeupDone', { day: fmtDay(day) })));
  },
  async month(el, ctx) {
    const cur = ctx.ui.month ?? currentMonth(ctx.mall);
    const d = new Date(Date.UTC(cur.year, cur.month - 1 + Number(el.dataset.arg), 1));
    const { year, month } = (ctx.ui.month = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1 });
    ctx.render();
    // An archived month: its check-ins come from the server, once.
    const key = `${year}-${month}`;
    const months = (ctx.ui.archivedMonths ??= {});
    if (!ctx.mall.calendar(year, month).archived || months[key]?.checkIns) return;
    months[key] = {};
    try {
      months[key] = { checkIns: (await ctx.app.client.history('checkIns', { year, month })).items };
    } catch {
      months[key] = { failed: true };
    }
    ctx.render();
  },
};
