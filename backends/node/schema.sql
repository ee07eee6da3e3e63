-- The Node backend's tables (PostgreSQL). The member's row holds its state; the other tables are
-- what docs/backend.md asks a database to keep: the decisions, the clients, the guard rows the
-- authority lists (each key below makes a change that exists once exist once), the shared
-- counters (never below zero), the archive, and the referral codes and tasks.
CREATE TABLE IF NOT EXISTS members (
  member_id TEXT PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version >= 0),
  state_version BIGINT NOT NULL CHECK (state_version >= 0 AND state_version <= version),
  state TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS client_owners (client_id TEXT PRIMARY KEY, member_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clients (
  member_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  last_mutation_id BIGINT NOT NULL CHECK (last_mutation_id >= 0),
  PRIMARY KEY (member_id, client_id)
);
CREATE TABLE IF NOT EXISTS mutations (
  member_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  mutation_id BIGINT NOT NULL CHECK (mutation_id >= 1),
  seq BIGINT NOT NULL,
  name TEXT NOT NULL,
  args TEXT NOT NULL,
  client_time BIGINT NOT NULL,
  decided_at BIGINT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('applied', 'rejected')),
  outcome TEXT NOT NULL,
  PRIMARY KEY (member_id, client_id, mutation_id)
);
CREATE INDEX IF NOT EXISTS mutations_by_seq ON mutations (member_id, seq);
CREATE TABLE IF NOT EXISTS check_ins (member_id TEXT NOT NULL, business_day TEXT NOT NULL, kind TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (member_id, business_day));
CREATE TABLE IF NOT EXISTS point_lots (member_id TEXT NOT NULL, lot_id TEXT NOT NULL, points BIGINT NOT NULL CHECK (points > 0), earned_at BIGINT NOT NULL, PRIMARY KEY (member_id, lot_id));
CREATE TABLE IF NOT EXISTS coupons (member_id TEXT NOT NULL, coupon_id TEXT NOT NULL, template TEXT NOT NULL, source TEXT NOT NULL, issued_at BIGINT NOT NULL, PRIMARY KEY (member_id, coupon_id));
CREATE UNIQUE INDEX IF NOT EXISTS coupons_once_per_campaign ON coupons (member_id, source) WHERE source LIKE 'campaign:%';
CREATE TABLE IF NOT EXISTS coupon_uses (member_id TEXT NOT NULL, coupon_id TEXT NOT NULL, order_id TEXT NOT NULL, used_at BIGINT NOT NULL, PRIMARY KEY (member_id, coupon_id));
CREATE TABLE IF NOT EXISTS orders (member_id TEXT NOT NULL, order_id TEXT NOT NULL, placed_at BIGINT NOT NULL, total BIGINT NOT NULL CHECK (total >= 0), paid BIGINT NOT NULL CHECK (paid >= 0), refunded_at BIGINT, PRIMARY KEY (member_id, order_id));
CREATE TABLE IF NOT EXISTS awaiting_payment (member_id TEXT NOT NULL, order_id TEXT NOT NULL, total BIGINT NOT NULL, pay_by BIGINT NOT NULL, PRIMARY KEY (member_id, order_id));
CREATE INDEX IF NOT EXISTS awaiting_payment_due ON awaiting_payment (pay_by);
CREATE TABLE IF NOT EXISTS cancelled_orders (member_id TEXT NOT NULL, order_id TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (member_id, order_id));
CREATE TABLE IF NOT EXISTS stock (counter TEXT PRIMARY KEY, remaining BIGINT NOT NULL CHECK (remaining >= 0));
CREATE TABLE IF NOT EXISTS archive (member_id TEXT NOT NULL, kind TEXT NOT NULL, seq BIGINT NOT NULL, at BIGINT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (member_id, kind, seq));
CREATE TABLE IF NOT EXISTS compactions (member_id TEXT NOT NULL, seq BIGINT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (member_id, seq));
CREATE TABLE IF NOT EXISTS referral_codes (code TEXT PRIMARY KEY, member_id TEXT NOT NULL UNIQUE, referred_by TEXT);
CREATE TABLE IF NOT EXISTS referral_tasks (task_id TEXT PRIMARY KEY, referrer_code TEXT NOT NULL, mutation TEXT NOT NULL, created_at BIGINT NOT NULL, seq BIGINT NOT NULL);
