// Money, numbers, dates (in the program's business time zone) and coupon rules in words.
import { t, getLang, nameIn } from './i18n.js';

/** A short order number for shoppers: `7` for the 7th order id of a device, after four
 * characters that tell devices apart (`K3F9-7`); the full id stays in data attributes. */
export function shortOrderNo(id) {
  const m = /^(.*)-o(\d+)$/.exec(id);
  const [device, n] = m ? [m[1], m[2]] : [id, ''];
  let h = 0x811c9dc5;
  for (const ch of device) h = Math.imul(h ^ ch.codePointAt(0), 0x01000193) >>> 0;
  const tag = h.toString(36).toUpperCase().padStart(4, '0').slice(-4);
  return n ? `${tag}-${n}` : tag;
}

const money = new Intl.NumberFormat('zh-CN', { style: 'currency', currency: 'CNY' });

/** Fen → ¥12.30. */
export function fmtMoney(fen) {
  return money.format(fen / 100);
}

/** Compact money for coupon stubs: ¥50 rather than ¥50.00. */
export function fmtMoneyShort(fen) {
  return fen % 100 === 0 ? `¥${fen / 100}` : fmtMoney(fen);
}

export function fmtNumber(n) {
  return new Intl.NumberFormat(getLang() === 'en' ? 'en' : 'zh-CN').format(n);
}

let offsetMinutes = 480;

export function setUtcOffset(minutes) {
  offsetMinutes = minutes ?? 480;
}

/** The wall clock of an instant in the business time zone, as UTC fields of a Date. */
function wall(instant) {
  return new Date(instant + offsetMinutes * 60_000);
}

/** The instant at which a wall time (business time zone) happens. */
export function instantOf(year, month, day, hour = 0, minute = 0) {
  return Date.UTC(year, month - 1, day, hour, minute) - offsetMinutes * 60_000;
}

const WEEK_ZH = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];

function pad(n) {
  return String(n).padStart(2, '0');
}

/** '2026-11-25' → 11月25日 周三 / Wed, Nov 25. */
export function fmtDay(day, { weekday = true } = {}) {
  const [y, m, d] = day.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  if (getLang() === 'en') {
    return date.toLocaleDateString('en', { timeZone: 'UTC', month: 'short', day: 'numeric', ...(weekday ? { weekday: 'short' } : {}) });
  }
  return `${m}月${d}日${weekday ? ` ${WEEK_ZH[date.getUTCDay()]}` : ''}`;
}

/** An instant as a date in the business time zone. */
export function fmtDate(instant, { year = false } = {}) {
  const w = wall(instant);
  if (getLang() === 'en') {
    return w.toLocaleDateString('en', { timeZone: 'UTC', month: 'short', day: 'numeric', ...(year ? { year: 'numeric' } : {}) });
  }
  return `${year ? `${w.getUTCFullYear()}年` : ''}${w.getUTCMonth() + 1}月${w.getUTCDate()}日`;
}

/** An instant as date and time in the business time zone. */
export function fmtDateTime(instant) {
  const w = wall(instant);
  return `${fmtDate(instant)} ${pad(w.getUTCHours())}:${pad(w.getUTCMinutes())}`;
}

export function fmtTime(instant) {
  const w = wall(instant);
  return `${pad(w.getUTCHours())}:${pad(w.getUTCMinutes())}`;
}

/** The wall-clock parts of an instant (for inputs). */
export function wallParts(instant) {
  const w = wall(instant);
  return { year: w.getUTCFullYear(), month: w.getUTCMonth() + 1, day: w.getUTCDate(), hour: w.getUTCHours(), minute: w.getUTCMinutes() };
}

/** 2d 05:12:09 / 2天 05:12:09. */
export function fmtCountdown(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(s / 86400);
  const clock = `${pad(Math.floor((s % 86400) / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  if (!days) return clock;
  return getLang() === 'en' ? `${days}d ${clock}` : `${days}天 ${clock}`;
}

/** Coupon 折: 1000 bp off → "9", 1500 → "8.5". */
export function zhe(bpOff) {
  return String((10000 - bpOff) / 1000);
}

/** A discount in bp off as words: 95折 / 5%. */
export function fmtDiscountBp(bpOff) {
  return getLang() === 'en' ? `${bpOff / 100}%` : `${String((10000 - bpOff) / 100).replace(/0$/, '')}折`;
}

/** A multiplier in bp: 20000 → 2. */
export function fmtMultiplier(bp) {
  return String(bp / 10000);
}

/** The big text of a coupon stub and its small line. */
export function couponStub(coupon) {
  const kind = coupon.kind;
  const min = coupon.minSpend ?? 0;
  if (kind.type === 'amountOff') {
    return { big: fmtMoneyShort(kind.amount), small: min > 0 ? t('stubMin', { min: fmtMoneyShort(min) }) : t('stubNoMin') };
  }
  if (kind.type === 'percentOff') {
    return { big: t('stubPercent', { zhe: zhe(kind.bp), pct: kind.bp / 100 }), small: min > 0 ? t('stubMin', { min: fmtMoneyShort(min) }) : t('stubNoMin') };
  }
  return { big: t('stubFree'), small: min > 0 ? t('stubMin', { min: fmtMoneyShort(min) }) : t('stubNoMin') };
}

/** A coupon's rule in words: 满 ¥300 减 ¥50 · 限坚果 · 订单券. */
export function couponRule(coupon, program) {
  const kind = coupon.kind;
  const min = coupon.minSpend ?? 0;
  const parts = [];
  if (kind.type === 'amountOff') {
    parts.push(min > 0 ? t('ruleThreshold', { min: fmtMoneyShort(min), amount: fmtMoneyShort(kind.amount) }) : t('ruleNoThreshold', { amount: fmtMoneyShort(kind.amount) }));
  } else if (kind.type === 'percentOff') {
    const cap = kind.maxDiscount ? fmtMoneyShort(kind.maxDiscount) : null;
    parts.push(t('rulePercent', { zhe: zhe(kind.bp), pct: kind.bp / 100, cap }));
    if (min > 0) parts.push(t('rulePercentMin', { min: fmtMoneyShort(min) }));
  } else {
    parts.push(t('ruleFreeShipping'));
    if (min > 0) parts.push(t('rulePercentMin', { min: fmtMoneyShort(min) }));
  }
  const scope = coupon.scope ?? {};
  if (scope.categories?.length) {
    const names = scope.categories.map((id) => nameIn(program.categories, id)).join(t('listSeparator'));
    parts.push(t('ruleScopeCategories', { names }));
  } else if (scope.skus?.length) {
    parts.push(t('ruleScopeSkus'));
  }
  if (scope.excludeSkus?.length || scope.excludeCategories?.length) parts.push(t('ruleScopeExcept'));
  if (coupon.exclusive) parts.push(t('ruleExclusive'));
  parts.push(t(`group_${coupon.stackGroup}`));
  return parts.join(' · ');
}
