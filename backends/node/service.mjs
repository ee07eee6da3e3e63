// The Node backend's service: each request hosted around one call of the authority — read what
// it names under the member's lock, call, write what it returns, commit (docs/backend.md). No
// rule lives here: every decision is the engine's, the very code `siyu-server` runs.
import * as store from './store.mjs';

/** A refusal of the request: the HTTP status and `{code, message, details}`. */
export class Refused extends Error {
  constructor({ status, code, message, details = {} }) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const MAX_PATCH = 500;
const MAX_PULL_RESULTS = 1000;
const STORE_CLIENT = 'store';
/** Entries a memory cache holds before it starts again empty (the database is the truth). */
const CACHE_LIMIT = 100_000;

function remember(cache, key, value) {
  if (cache.size >= CACHE_LIMIT && !cache.has(key)) cache.clear();
  if (cache instanceof Map) cache.set(key, value);
  else cache.add(key);
}

function unwrap(answer) {
  if (answer.refused) throw new Refused(answer.refused);
  return answer.ok;
}

export class Service {
  constructor({ pool, authority, clock }) {
    this.pool = pool;
    this.authority = authority;
    this.clock = clock;
    // Client ids known to be a member's (ownership never changes) and members known to exist, so
    // that a request of a known device spends no query on them (siyu-server keeps the same).
    this.owners = new Map();
    this.members = new Set();
  }

  async tx(fn, isolation = 'READ COMMITTED') {
    const db = await this.pool.connect();
    try {
      await db.query(`BEGIN ISOLATION LEVEL ${isolation}`);
      const out = await fn(db);
      await db.query(out?.rollback ? 'ROLLBACK' : 'COMMIT');
      return out?.value;
    } catch (e) {
      await db.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      db.release();
    }
  }

  async init(schemaSql) {
    await this.pool.query(schemaSql);
    const counters = Object.entries(this.authority.initialStock());
    for (const [counter, remaining] of counters) {
      await this.pool.query('INSERT INTO stock (counter, remaining) VALUES ($1, $2) ON CONFLICT (counter) DO NOTHING', [counter, remaining]);
    }
  }

  /** The member exists (a new one starts with the engine's empty state and its referral code). */
  async ensureMember(member) {
    if (this.members.has(member)) return;
    const { state, referralCode } = unwrap(this.authority.newMember(member, this.clock.now()));
    const now = this.clock.now();
    await this.pool.query('INSERT INTO members (member_id, version, state_version, state, created_at, updated_at) VALUES ($1, 0, 0, $2, $3, $3) ON CONFLICT DO NOTHING', [member, state, now]);
    await this.pool.query('INSERT INTO referral_codes (code, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [referralCode, member]);
    remember(this.members, member);
  }

  /** The client is the member's (the first member that used a client id owns it). */
  async ensureClient(member, client) {
    const owner = this.owners.get(client);
    if (owner !== undefined) {
      if (owner === member) return;
      throw new Refused({ status: 403, code: 'CLIENT_NOT_OWNED', message: `client ${JSON.stringify(client)} belongs to another member`, details: { clientId: client } });
    }
    await this.pool.query('INSERT INTO client_owners (client_id, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [client, member]);
    const { rows } = await this.pool.query('SELECT member_id FROM client_owners WHERE client_id = $1', [client]);
    if (rows[0].member_id !== member) {
      remember(this.owners, client, rows[0].member_id);
      return this.ensureClient(member, client);
    }
    await this.ensureMember(member);
    await this.pool.query('INSERT INTO clients (member_id, client_id, last_mutation_id) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING', [member, client]);
    remember(this.owners, client, member);
  }

  // ---- push ------------------------------------------------------------------------------------

  async push(member, body) {
    const request = unwrap(this.authority.checkPush(body));
    await this.ensureClient(member, request.clientId);
    const decided = await this.decideRequest(member, request);
    if (decided.referralTasks) this.drainReferrals().catch((e) => console.error('referral drain', e));
    return { results: decided.results, lastMutationId: decided.lastMutationId };
  }

  /**
   * Decide a request to the end: the new mutations together in one transaction; after a guard
   * fires or a transient failure, one transaction each; a guard that fires twice for the same
   * mutation makes it rejected CONFLICT (the `conflict` option).
   */
  async decideRequest(member, request) {
    const options = { events: false, earlier: [], limit: null, conflict: null };
    let guards = 0;
    let attempts = 0;
    let referralTasks = false;
    for (;;) {
      try {
        const decided = await this.attempt(member, request, options);
        referralTasks ||= decided.referralTasks;
        if (decided.complete) return { ...decided, referralTasks };
        Object.assign(options, { earlier: decided.results, conflict: null });
        guards = 0;
        attempts = 0;
      } catch (e) {
        const kind = store.classify(e);
        if (kind === 'fatal') throw e;
        if (options.limit !== null) {
          attempts += 1;
          if (kind === 'guard') guards += 1;
          if (kind === 'transient') await new Promise((r) => setTimeout(r, 5 * attempts));
        }
        if (guards >= 2) {
          const next = request.mutations.find((m) => !options.earlier.some((r) => r.id === m.id));
          options.conflict = next ? { id: next.id, guard: e.guard ?? e.constraint ?? e.table ?? 'guard' } : null;
        }
        if (attempts >= 8) throw new Error('the mutation could not be recorded');
      }
      options.limit = 1;
    }
  }

  /** One transaction holding the member's lock. */
  async attempt(member, request, options) {
    return this.tx(async (db) => {
      const row = await store.memberRow(db, member, { lock: true });
      const last = await store.lastMutationId(db, member, request.clientId);
      const ids = request.mutations.map((m) => m.id).filter((id) => id <= last);
      const decided = ids.length ? await store.decided(db, member, request.clientId, Math.min(...ids), Math.max(...ids)) : [];
      const input = {
        memberId: member, request, state: row.state, version: row.version, stateVersion: row.stateVersion,
        lastMutationId: last, stock: await store.stock(db), decided, lookups: { orders: {}, codes: {} }, options, now: this.clock.now(),
      };
      let answer = this.authority.decidePush(input);
      while (answer.needs) {
        for (const id of answer.needs.orders) input.lookups.orders[id] = await store.archivedOrder(db, member, id);
        for (const code of answer.needs.codes) input.lookups.codes[code] = await store.referralCode(db, member, code);
        answer = this.authority.decidePush(input);
      }
      const out = unwrap(answer);
      if (!out.writes) return { rollback: true, value: out };
      await store.write(db, member, request.clientId, out.writes, input.now);
      return { value: { ...out, referralTasks: out.writes.referralTasks.length > 0 } };
    });
  }

  /** A change of the store's own on a member's state (rulebook §15): its outcome. */
  async decideForStore(member, mutation) {
    await this.ensureMember(member);
    await this.pool.query('INSERT INTO clients (member_id, client_id, last_mutation_id) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING', [member, STORE_CLIENT]);
    for (let i = 0; i < 16; i++) {
      const last = await store.lastMutationId(this.pool, member, STORE_CLIENT);
      const request = { protocol: 2, clientId: STORE_CLIENT, mutations: [{ id: last + 1, ...mutation, clientTime: this.clock.now() }] };
      try {
        const decided = await this.decideRequest(member, request);
        if (decided.referralTasks) this.drainReferrals().catch((e) => console.error('referral drain', e));
        return decided.results[0];
      } catch (e) {
        // Another server took the store's next id first: read it again.
        if (e instanceof Refused && (e.code === 'MUTATION_ID_REUSED' || e.code === 'OUT_OF_ORDER')) continue;
        throw e;
      }
    }
    throw new Error("the store's change could not be recorded");
  }

  /** The referrer's side of friends' decisions, oldest first; a task decided twice is refused by the engine. */
  async drainReferrals() {
    if (this.draining) return;
    this.draining = true;
    try {
      for (;;) {
        const { rows } = await this.pool.query(
          'SELECT t.task_id, t.mutation, c.member_id FROM referral_tasks t LEFT JOIN referral_codes c ON c.code = t.referrer_code ORDER BY t.created_at, t.seq, t.task_id LIMIT 100',
        );
        if (!rows.length) return;
        for (const row of rows) {
          if (row.member_id) await this.decideForStore(row.member_id, JSON.parse(row.mutation));
          await this.pool.query('DELETE FROM referral_tasks WHERE task_id = $1', [row.task_id]);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** Orders past their payment deadline are cancelled by the store (rulebook §8). */
  async sweepExpired() {
    const { rows } = await this.pool.query('SELECT member_id, order_id FROM awaiting_payment WHERE pay_by <= $1 ORDER BY pay_by LIMIT 200', [this.clock.now()]);
    for (const r of rows) await this.decideForStore(r.member_id, { name: 'expireOrder', args: { orderId: r.order_id } });
    return rows.length;
  }

  // ---- pull ------------------------------------------------------------------------------------

  async pull(member, body) {
    const request = unwrap(this.authority.checkPull(body));
    await this.ensureClient(member, request.clientId);
    const read = await this.tx(async (db) => {
      const row = await store.memberRow(db, member, { lock: false });
      const plan = unwrap(this.authority.planPull({ request, version: row.version, stateVersion: row.stateVersion }));
      return {
        value: {
          plan,
          version: row.version,
          lastMutationId: await store.lastMutationId(db, member, request.clientId),
          state: plan.state ? row.state : null,
          changes: plan.changesAfter === null ? [] : await store.changesAfter(db, member, plan.changesAfter, MAX_PATCH + 1),
          results: await store.resultsAfter(db, member, request.clientId, plan.resultsAfter, MAX_PULL_RESULTS),
          stock: await store.stock(db),
        },
      };
    }, 'REPEATABLE READ');
    return unwrap(this.authority.answerPull({ ...read, now: this.clock.now() }));
  }

  // ---- history ---------------------------------------------------------------------------------

  async history(member, kind, query) {
    const range = unwrap(this.authority.historyRange(kind, query));
    return unwrap(this.authority.historyPage(range, await store.historyRows(this.pool, member, range)));
  }

  // ---- payment (the demo provider) -------------------------------------------------------------

  /** What the device needs to pay an order awaiting payment. */
  async pay(member, orderId) {
    const { rows } = await this.pool.query('SELECT total, pay_by FROM awaiting_payment WHERE member_id = $1 AND order_id = $2', [member, orderId]);
    if (!rows.length) throw await this.notPayable(member, orderId);
    const payBy = Number(rows[0].pay_by);
    if (payBy <= this.clock.now()) {
      throw new Refused({ status: 409, code: 'PAYMENT_WINDOW_CLOSED', message: `order ${JSON.stringify(orderId)} is past its payment deadline`, details: { orderId, payBy } });
    }
    const confirm = `/api/orders/${encodeURIComponent(orderId)}/demo-pay`;
    return { provider: 'demo', orderId, amount: Number(rows[0].total), payBy, confirm };
  }

  /** The demo pay sheet confirmed: the store's payment result, decided like any change. */
  async demoPay(member, orderId) {
    const { amount } = await this.pay(member, orderId);
    const transactionId = `demo-${orderId}`;
    const result = await this.decideForStore(member, { name: 'confirmPayment', args: { orderId, amount, transactionId } });
    const outcome = result.status === 'duplicate' ? result.original : result;
    if (outcome.status === 'rejected') throw new Refused({ status: 409, ...outcome.error });
    return { paid: true, orderId, amount, transactionId };
  }

  async notPayable(member, orderId) {
    const row = await store.memberRow(this.pool, member, { lock: false });
    const order = row && JSON.parse(row.state).orders?.find((o) => o.id === orderId);
    if (!order) return new Refused({ status: 404, code: 'ORDER_NOT_FOUND', message: `no order ${JSON.stringify(orderId)}`, details: { orderId } });
    const status = order.refundedAt ? 'refunded' : order.status === 'cancelled' ? 'cancelled' : 'paid';
    return new Refused({ status: 409, code: 'ORDER_NOT_AWAITING_PAYMENT', message: `order ${JSON.stringify(orderId)} is not awaiting payment: it is ${status}`, details: { orderId, status } });
  }
}
