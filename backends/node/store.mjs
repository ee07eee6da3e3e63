// Every SQL statement of the Node backend, over a `pg` client inside the caller's transaction.
// What a decision writes is exactly what the authority returned (`writes`): docs/backend.md says
// what each part is and which must fire when a guard is broken.

/** A guard the authority listed that the database refused: decide again on fresh data. */
export class GuardFired extends Error {
  constructor(guard) {
    super(`guard ${guard} fired`);
    this.guard = guard;
  }
}

/** PostgreSQL's unique and check violations are guards; its serialization and deadlock failures pass. */
export function classify(error) {
  if (error instanceof GuardFired) return 'guard';
  if (error?.code === '23505' || error?.code === '23514') return 'guard';
  if (error?.code === '40001' || error?.code === '40P01') return 'transient';
  return 'fatal';
}

const int = (v) => (v === null || v === undefined ? v : Number(v));

export async function memberRow(db, member, { lock }) {
  const { rows } = await db.query(`SELECT version, state_version, state FROM members WHERE member_id = $1${lock ? ' FOR UPDATE' : ''}`, [member]);
  const row = rows[0];
  return row && { version: int(row.version), stateVersion: int(row.state_version), state: row.state };
}

export async function lastMutationId(db, member, client) {
  const { rows } = await db.query('SELECT last_mutation_id FROM clients WHERE member_id = $1 AND client_id = $2', [member, client]);
  return rows.length ? int(rows[0].last_mutation_id) : 0;
}

/** The client's stored decisions with ids in lo..hi, as `decidePush` takes them. */
export async function decided(db, member, client, lo, hi) {
  const { rows } = await db.query(
    'SELECT mutation_id, name, args, client_time, outcome FROM mutations WHERE member_id = $1 AND client_id = $2 AND mutation_id BETWEEN $3 AND $4',
    [member, client, lo, hi],
  );
  return rows.map((r) => ({ id: int(r.mutation_id), name: r.name, args: r.args, clientTime: int(r.client_time), outcome: r.outcome }));
}

export async function stock(db) {
  const { rows } = await db.query('SELECT counter, remaining FROM stock');
  return Object.fromEntries(rows.map((r) => [r.counter, Math.min(int(r.remaining), 0xffffffff)]));
}

/** What the order guard rows say of an order the state no longer holds (null: never placed). */
export async function archivedOrder(db, member, orderId) {
  const { rows } = await db.query(
    'SELECT o.refunded_at, c.at FROM orders o LEFT JOIN cancelled_orders c ON c.member_id = o.member_id AND c.order_id = o.order_id WHERE o.member_id = $1 AND o.order_id = $2',
    [member, orderId],
  );
  return rows.length ? { refunded: rows[0].refunded_at !== null, cancelled: rows[0].at !== null } : null;
}

/** What is known of a referral code `member` accepts. */
export async function referralCode(db, member, code) {
  const { rows } = await db.query('SELECT referred_by, (SELECT code FROM referral_codes WHERE member_id = $2) AS own FROM referral_codes WHERE code = $1', [code, member]);
  return rows.length ? { known: true, ownerReferredByMember: rows[0].referred_by !== null && rows[0].referred_by === rows[0].own } : { known: false, ownerReferredByMember: false };
}

async function guard(db, g, member) {
  switch (g.guard) {
    case 'checkIn':
      return db.query('INSERT INTO check_ins (member_id, business_day, kind, at) VALUES ($1, $2, $3, $4)', [member, g.day, g.kind, g.at]);
    case 'lot':
      return db.query('INSERT INTO point_lots (member_id, lot_id, points, earned_at) VALUES ($1, $2, $3, $4)', [member, g.lotId, g.points, g.earnedAt]);
    case 'couponIssued':
      return db.query('INSERT INTO coupons (member_id, coupon_id, template, source, issued_at) VALUES ($1, $2, $3, $4, $5)', [member, g.couponId, g.template, g.source, g.issuedAt]);
    case 'couponLocked':
      return db.query('INSERT INTO coupon_uses (member_id, coupon_id, order_id, used_at) VALUES ($1, $2, $3, $4)', [member, g.couponId, g.orderId, g.at]);
    case 'couponUsed': {
      const r = await db.query('UPDATE coupon_uses SET used_at = $4 WHERE member_id = $1 AND coupon_id = $2 AND order_id = $3', [member, g.couponId, g.orderId, g.at]);
      if (r.rowCount === 0) await db.query('INSERT INTO coupon_uses (member_id, coupon_id, order_id, used_at) VALUES ($1, $2, $3, $4)', [member, g.couponId, g.orderId, g.at]);
      return r;
    }
    case 'couponReturned':
      return db.query('DELETE FROM coupon_uses WHERE member_id = $1 AND coupon_id = $2', [member, g.couponId]);
    case 'orderPlaced':
      await db.query('INSERT INTO orders (member_id, order_id, placed_at, total, paid) VALUES ($1, $2, $3, $4, $5)', [member, g.orderId, g.placedAt, g.total, g.paid]);
      if (g.payBy !== null) await db.query('INSERT INTO awaiting_payment (member_id, order_id, total, pay_by) VALUES ($1, $2, $3, $4)', [member, g.orderId, g.total, g.payBy]);
      return null;
    case 'orderCancelled':
      return db.query('INSERT INTO cancelled_orders (member_id, order_id, at) VALUES ($1, $2, $3)', [member, g.orderId, g.at]);
    case 'orderSettled': {
      const r = await db.query('DELETE FROM awaiting_payment WHERE member_id = $1 AND order_id = $2', [member, g.orderId]);
      if (r.rowCount !== 1) throw new GuardFired('awaiting_payment');
      return r;
    }
    case 'orderRefunded': {
      const r = await db.query('UPDATE orders SET refunded_at = $3 WHERE member_id = $1 AND order_id = $2 AND refunded_at IS NULL', [member, g.orderId, g.at]);
      if (r.rowCount !== 1) throw new GuardFired('orders.refunded_at');
      return r;
    }
    default:
      throw new Error(`unknown guard ${g.guard}: this backend is older than its engine`);
  }
}

/** Everything one decided attempt stores, in the caller's transaction. */
export async function write(db, member, client, w, now) {
  for (const d of w.decisions) {
    await db.query(
      'INSERT INTO mutations (member_id, client_id, mutation_id, seq, name, args, client_time, decided_at, status, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
      [member, d.clientId, d.id, d.seq, d.name, d.args, d.clientTime, d.decidedAt, d.status, d.outcome],
    );
  }
  for (const g of w.guards) await guard(db, g, member);
  // In key order (the authority's), so two transactions lock shared counters in the same order.
  for (const [counter, delta] of Object.entries(w.counters).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    await db.query('UPDATE stock SET remaining = remaining + $2 WHERE counter = $1', [counter, delta]);
  }
  if (w.referralAccepted) await db.query('UPDATE referral_codes SET referred_by = $1 WHERE member_id = $2', [w.referralAccepted, member]);
  for (const t of w.referralTasks) {
    await db.query('INSERT INTO referral_tasks (task_id, referrer_code, mutation, created_at, seq) VALUES ($1, $2, $3, $4, $5)', [t.taskId, t.referrerCode, t.mutation, Date.now(), t.seq]);
  }
  if (w.compactedAt !== null) {
    const next = new Map();
    for (const row of w.archive) {
      if (!next.has(row.kind)) {
        const { rows } = await db.query('SELECT MAX(seq) AS last FROM archive WHERE member_id = $1 AND kind = $2', [member, row.kind]);
        next.set(row.kind, rows[0].last === null ? 0 : int(rows[0].last) + 1);
      }
      const seq = next.get(row.kind);
      await db.query('INSERT INTO archive (member_id, kind, seq, at, body) VALUES ($1, $2, $3, $4, $5)', [member, row.kind, seq, row.at, row.body]);
      next.set(row.kind, seq + 1);
    }
    await db.query('INSERT INTO compactions (member_id, seq, at) VALUES ($1, $2, $3)', [member, w.version, w.compactedAt]);
  }
  if (w.state !== null) {
    await db.query('UPDATE members SET version = $2, state_version = $3, state = $4, updated_at = $5 WHERE member_id = $1', [member, w.version, w.stateVersion, w.state, now]);
  } else {
    await db.query('UPDATE members SET version = $2, updated_at = $3 WHERE member_id = $1', [member, w.version, now]);
  }
  await db.query('UPDATE clients SET last_mutation_id = $3 WHERE member_id = $1 AND client_id = $2', [member, client, w.lastMutationId]);
}

/** A pull's reads, as `answerPull` takes them. */
export async function changesAfter(db, member, after, limit) {
  const decided = await db.query(
    "SELECT seq, client_id, mutation_id, name, args, decided_at, outcome FROM mutations WHERE member_id = $1 AND seq > $2 AND status = 'applied' ORDER BY seq LIMIT $3",
    [member, after, limit],
  );
  const compacted = await db.query('SELECT seq, at FROM compactions WHERE member_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [member, after, limit]);
  return [
    ...decided.rows.map((r) => ({ change: 'decided', seq: int(r.seq), clientId: r.client_id, id: int(r.mutation_id), name: r.name, args: r.args, at: int(r.decided_at), outcome: r.outcome })),
    ...compacted.rows.map((r) => ({ change: 'compacted', seq: int(r.seq), at: int(r.at) })),
  ];
}

export async function resultsAfter(db, member, client, after, limit) {
  const { rows } = await db.query('SELECT mutation_id, outcome FROM mutations WHERE member_id = $1 AND client_id = $2 AND seq > $3 ORDER BY mutation_id DESC LIMIT $4', [member, client, after, limit]);
  return rows.map((r) => ({ id: int(r.mutation_id), outcome: r.outcome }));
}

export async function historyRows(db, member, range) {
  const { rows } =
    range.read === 'page'
      ? await db.query('SELECT seq, body FROM archive WHERE member_id = $1 AND kind = $2 AND seq < $3 ORDER BY seq DESC LIMIT $4', [member, range.kind, range.before ?? Number.MAX_SAFE_INTEGER, range.limit])
      : await db.query('SELECT seq, body FROM archive WHERE member_id = $1 AND kind = $2 AND at >= $3 AND at <= $4 ORDER BY at, seq', [member, range.kind, range.from, range.to]);
  return rows.map((r) => ({ seq: int(r.seq), body: r.body }));
}
