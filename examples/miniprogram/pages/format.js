// Money is integer fen: ¥ with two decimals, computed without floating point.
function yuan(fen) {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}¥${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** A SiyuError's message for the shopper, anything else as it is. */
function problem(e) {
  return e && e.code ? `${e.message} (${e.code})` : String(e);
}

/** The sync status as the badge shows it. */
function syncText(status) {
  if (status.state === 'pending') return `${status.pending} 待同步`;
  if (status.state === 'offline') return status.pending ? `离线 · ${status.pending} 待同步` : '离线';
  if (status.state === 'error') return `同步出错 ${status.code || ''}`;
  return '已同步';
}

module.exports = { yuan, problem, syncText };
