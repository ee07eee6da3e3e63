//! Storage: one `sqlx::AnyPool` over SQLite or PostgreSQL, the schema, and the few dialect
//! differences (placeholders, how a member is locked).
//!
//! All SQL is written with PostgreSQL placeholders (`$1`, `$2`, …); for SQLite they are rewritten
//! to the numbered form `?1`, `?2`, … which binds the same way. Every table that holds member data
//! has the member id as the first column of its primary key (see docs/server.md).

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyConnection, AnyPool, Row};
use std::borrow::Cow;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    /// Where every write goes. On a SQLite file it is one connection: SQLite runs one writer at a
    /// time anyway, and writers waiting for it here queue in order, instead of in SQLite's busy
    /// handler, which sleeps up to 100 ms between tries (the long tail of a rush).
    pub pool: AnyPool,
    /// Where reads that write nothing go (a pull's snapshot, history pages). On a SQLite file it
    /// is its own read-only connections, so that in WAL mode a pull never waits for the writer;
    /// elsewhere the same pool as `pool`.
    pub reads: AnyPool,
    pub backend: Backend,
}

/// Placeholders `$n` → `?n` for SQLite.
pub fn dialect(backend: Backend, sql: &str) -> Cow<'_, str> {
    match backend {
        Backend::Postgres => Cow::Borrowed(sql),
        Backend::Sqlite => Cow::Owned(sql.replace('$', "?")),
    }
}

const SCHEMA: &[&str] = &[
    // The program (merchant configuration) in force; one row.
    "CREATE TABLE IF NOT EXISTS program (
        id BIGINT PRIMARY KEY,
        body TEXT NOT NULL,
        updated_at BIGINT NOT NULL
    )",
    // The program's version: bumped by every replacement, read by every push transaction, so
    // that every server decides with the program in force (one row; none = the start-up program).
    "CREATE TABLE IF NOT EXISTS program_version (
        id BIGINT PRIMARY KEY,
        version BIGINT NOT NULL CHECK (version >= 1)
    )",
    // One row per member: the authoritative state and its versions. `version` counts decisions
    // (it is the pull cookie); `state_version` is the version at which the state last changed.
    "CREATE TABLE IF NOT EXISTS members (
        member_id TEXT PRIMARY KEY,
        version BIGINT NOT NULL CHECK (version >= 0),
        state_version BIGINT NOT NULL CHECK (state_version >= 0 AND state_version <= version),
        state TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
    )",
    // The devices/tabs of a member and the last mutation decided for each.
    "CREATE TABLE IF NOT EXISTS clients (
        member_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        last_mutation_id BIGINT NOT NULL CHECK (last_mutation_id >= 0),
        created_at BIGINT NOT NULL,
        PRIMARY KEY (member_id, client_id)
    )",
    // Which member a client id belongs to (the first one that used it). The only table looked up
    // by client id; it is written once per client and never updated.
    "CREATE TABLE IF NOT EXISTS client_owners (
        client_id TEXT PRIMARY KEY,
        member_id TEXT NOT NULL,
        created_at BIGINT NOT NULL
    )",
    // Every decided mutation with its stored outcome: duplicates are answered from here, and pulls
    // return the results decided after the cookie (`seq` = the member version of the decision).
    "CREATE TABLE IF NOT EXISTS mutations (
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
    )",
    "CREATE UNIQUE INDEX IF NOT EXISTS mutations_by_seq ON mutations (member_id, seq)",
    // Natural-key guards, a second line of defence behind the engine.
    "CREATE TABLE IF NOT EXISTS check_ins (
        member_id TEXT NOT NULL,
        business_day TEXT NOT NULL,
        kind TEXT NOT NULL,
        at BIGINT NOT NULL,
        PRIMARY KEY (member_id, business_day)
    )",
    "CREATE TABLE IF NOT EXISTS coupon_uses (
        member_id TEXT NOT NULL,
        coupon_id TEXT NOT NULL,
        order_id TEXT NOT NULL,
        used_at BIGINT NOT NULL,
        PRIMARY KEY (member_id, coupon_id)
    )",
    "CREATE TABLE IF NOT EXISTS orders (
        member_id TEXT NOT NULL,
        order_id TEXT NOT NULL,
        placed_at BIGINT NOT NULL,
        total BIGINT NOT NULL CHECK (total >= 0),
        paid BIGINT NOT NULL CHECK (paid >= 0),
        refunded_at BIGINT,
        PRIMARY KEY (member_id, order_id)
    )",
    // Every coupon instance ever issued: an instance id is issued once.
    "CREATE TABLE IF NOT EXISTS coupons (
        member_id TEXT NOT NULL,
        coupon_id TEXT NOT NULL,
        template TEXT NOT NULL,
        source TEXT NOT NULL,
        issued_at BIGINT NOT NULL,
        PRIMARY KEY (member_id, coupon_id)
    )",
    // A campaign (§15) issues its coupon to a member once, whatever the archive holds.
    "CREATE UNIQUE INDEX IF NOT EXISTS coupons_once_per_campaign ON coupons (member_id, source) WHERE source LIKE 'campaign:%'",
    // Operator campaigns (§15): how far each got through the members (in id order).
    "CREATE TABLE IF NOT EXISTS campaigns (
        campaign_id TEXT PRIMARY KEY,
        template TEXT NOT NULL,
        segment TEXT NOT NULL,
        cursor TEXT NOT NULL,
        seen BIGINT NOT NULL CHECK (seen >= 0),
        started_at BIGINT NOT NULL,
        finished_at BIGINT
    )",
    // Referral (§14): each member's code (derived from the id by the engine), and the code the
    // member accepted — what the engine is told of a code a member accepts.
    "CREATE TABLE IF NOT EXISTS referral_codes (
        code TEXT PRIMARY KEY,
        member_id TEXT NOT NULL UNIQUE,
        referred_by TEXT
    )",
    // The referrer's side of a friend's decision, written in the same transaction: the store's
    // change to make on the referrer's state (a mutation's JSON). Drained in order, at least once;
    // the engine refuses a change made twice.
    "CREATE TABLE IF NOT EXISTS referral_tasks (
        task_id TEXT PRIMARY KEY,
        referrer_code TEXT NOT NULL,
        mutation TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        seq BIGINT NOT NULL
    )",
    // Events out (docs/events.md): each applied decision's events, written with it, and one
    // delivery per webhook URL until the receiver took it.
    "CREATE TABLE IF NOT EXISTS events (
        event_id TEXT PRIMARY KEY,
        member_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        n BIGINT NOT NULL,
        event_type TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at BIGINT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS event_deliveries (
        url TEXT NOT NULL,
        event_id TEXT NOT NULL,
        member_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        n BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        attempts BIGINT NOT NULL,
        next_at BIGINT NOT NULL,
        PRIMARY KEY (url, event_id)
    )",
    // Instants at which some of a member's points expire, still to be told (`points.expired`),
    // found by the sweep when due. By instant, not lot: compaction merges lots that expire
    // together (rulebook §12).
    "CREATE TABLE IF NOT EXISTS lot_expiries (
        member_id TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        PRIMARY KEY (member_id, expires_at)
    )",
    "CREATE INDEX IF NOT EXISTS lot_expiries_due ON lot_expiries (expires_at)",
    "CREATE INDEX IF NOT EXISTS event_deliveries_in_order ON event_deliveries (url, created_at, member_id, seq, n)",
    // Every point lot credited: a lot id is credited once.
    "CREATE TABLE IF NOT EXISTS point_lots (
        member_id TEXT NOT NULL,
        lot_id TEXT NOT NULL,
        points BIGINT NOT NULL CHECK (points > 0),
        earned_at BIGINT NOT NULL,
        PRIMARY KEY (member_id, lot_id)
    )",
    // The archive (rulebook §12): what left a member's working state, append-only, each kind
    // numbered from 0 in the order it left (`seq`); `at` orders and filters (a check-in's day
    // number, an order's placing time, …). Pages are read newest first by `seq`.
    "CREATE TABLE IF NOT EXISTS archive (
        member_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('checkIns', 'lots', 'ledger', 'orders', 'coupons', 'redemptions')),
        seq BIGINT NOT NULL CHECK (seq >= 0),
        at BIGINT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (member_id, kind, seq)
    )",
    "CREATE INDEX IF NOT EXISTS archive_by_at ON archive (member_id, kind, at)",
    // When the server compacted a member's state (after the decision numbered `seq`, at `at`):
    // a pull's patch replays it between the decisions' effects.
    "CREATE TABLE IF NOT EXISTS compactions (
        member_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        at BIGINT NOT NULL,
        PRIMARY KEY (member_id, seq)
    )",
    // Orders awaiting payment (rulebook §8), by deadline: the sweep finds the expired ones here
    // without reading any member's state. A row leaves when its order is paid or cancelled.
    "CREATE TABLE IF NOT EXISTS awaiting_payment (
        member_id TEXT NOT NULL,
        order_id TEXT NOT NULL,
        total BIGINT NOT NULL CHECK (total > 0),
        pay_by BIGINT NOT NULL,
        PRIMARY KEY (member_id, order_id)
    )",
    "CREATE INDEX IF NOT EXISTS awaiting_payment_by_deadline ON awaiting_payment (pay_by)",
    // Orders cancelled unpaid (by the shopper or the deadline): what an archived order id was.
    "CREATE TABLE IF NOT EXISTS cancelled_orders (
        member_id TEXT NOT NULL,
        order_id TEXT NOT NULL,
        at BIGINT NOT NULL,
        PRIMARY KEY (member_id, order_id)
    )",
    // The payment provider's name for a member's order (`out_trade_no`), so that its
    // notifications find the order; written when the payment starts.
    "CREATE TABLE IF NOT EXISTS provider_orders (
        reference TEXT PRIMARY KEY,
        member_id TEXT NOT NULL,
        order_id TEXT NOT NULL,
        total BIGINT NOT NULL,
        created_at BIGINT NOT NULL
    )",
    // Payment results the store could not apply (a payment for a cancelled order, another
    // amount, an unknown order): kept for refund and investigation, one row per transaction.
    "CREATE TABLE IF NOT EXISTS payment_reports (
        member_id TEXT NOT NULL,
        order_id TEXT NOT NULL,
        transaction_id TEXT NOT NULL,
        amount BIGINT NOT NULL,
        code TEXT NOT NULL,
        at BIGINT NOT NULL,
        PRIMARY KEY (member_id, order_id, transaction_id)
    )",
    // Counters shared by all members (coupon quotas, reward stock, limited-sale stock), each
    // split into shards whose sum is its count (`Db::counter_shards`): on PostgreSQL a decision
    // takes units from a shard no other decision holds, so members claiming the same coupon do
    // not queue behind each other's commits (`store::write_counters`).
    "CREATE TABLE IF NOT EXISTS stock_shards (
        counter TEXT NOT NULL,
        shard BIGINT NOT NULL,
        remaining BIGINT NOT NULL CONSTRAINT stock_remaining CHECK (remaining >= 0),
        PRIMARY KEY (counter, shard)
    )",
];

impl Db {
    /// Connect to `sqlite:…` or `postgres://…`, creating a SQLite file (and its folder) if
    /// missing, and create the schema.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else if url.starts_with("sqlite:") {
            (Backend::Sqlite, sqlite_url(url)?)
        } else {
            return Err(sqlx::Error::Configuration(format!("unsupported database URL {url:?}: use sqlite:… or postgres://…").into()));
        };
        let memory = backend == Backend::Sqlite && url.contains(":memory:");
        let options = || AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        let (pool, reads) = match backend {
            Backend::Postgres => {
                let pool = options().max_connections(max_connections.max(1)).connect(&url).await?;
                (pool.clone(), pool)
            }
            // An in-memory database lives as long as its one connection.
            Backend::Sqlite if memory => {
                let pool = sqlite_pragmas(options(), false, false).max_connections(1).min_connections(1).idle_timeout(None).max_lifetime(None).connect(&url).await?;
                (pool.clone(), pool)
            }
            Backend::Sqlite => {
                let pool = sqlite_pragmas(options(), true, false).max_connections(1).connect(&url).await?;
                // The writer made the file and switched it to WAL before any reader opens it.
                let reads = sqlite_pragmas(options(), true, true).max_connections(max_connections.max(1)).connect(&url).await?;
                (pool, reads)
            }
        };
        let db = Db { pool, reads, backend };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), sqlx::Error> {
        for statement in SCHEMA {
            sqlx::query(statement).execute(&self.pool).await?;
        }
        // Databases made before decisions recorded their program version get the column (0: the
        // version is not known for those).
        if sqlx::query("SELECT program_version FROM mutations LIMIT 1").fetch_optional(&self.pool).await.is_err() {
            sqlx::query("ALTER TABLE mutations ADD COLUMN program_version BIGINT NOT NULL DEFAULT 0").execute(&self.pool).await?;
        }
        // Databases made before counters had shards: each counter's count is split into shards,
        // in one transaction with dropping the old table.
        if let Ok(rows) = sqlx::query("SELECT counter, remaining FROM stock").fetch_all(&self.pool).await {
            let mut tx = self.pool.begin().await?;
            for row in rows {
                let (counter, remaining): (String, i64) = (row.try_get(0)?, row.try_get(1)?);
                self.insert_shards(&mut tx, &counter, remaining).await?;
            }
            sqlx::query("DROP TABLE stock").execute(&mut *tx).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// How many shards a new counter is split into: on PostgreSQL as many as a server's default
    /// pool of connections, so that decisions taking the same counter at once seldom wait for
    /// each other (a decision reads the sum of all, 32 rows a counter); SQLite has one writer,
    /// so one.
    pub fn counter_shards(&self) -> i64 {
        match self.backend {
            Backend::Postgres => 32,
            Backend::Sqlite => 1,
        }
    }

    /// A counter's shards holding `remaining` in all, as even as integers allow (lower shards
    /// get the remainder); shards that exist are left as they are.
    async fn insert_shards(&self, conn: &mut AnyConnection, counter: &str, remaining: i64) -> Result<(), sqlx::Error> {
        let shards = self.counter_shards();
        for shard in 0..shards {
            let share = remaining / shards + i64::from(shard < remaining % shards);
            sqlx::query(&self.sql("INSERT INTO stock_shards (counter, shard, remaining) VALUES ($1, $2, $3) ON CONFLICT (counter, shard) DO NOTHING"))
                .bind(counter)
                .bind(shard)
                .bind(share)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    pub fn sql<'a>(&self, sql: &'a str) -> Cow<'a, str> {
        dialect(self.backend, sql)
    }

    /// The stored program, if one was put.
    pub async fn load_program(&self) -> Result<Option<String>, sqlx::Error> {
        let row: Option<AnyRow> = sqlx::query("SELECT body FROM program WHERE id = 1").fetch_optional(&self.pool).await?;
        row.map(|r| r.try_get::<String, _>(0)).transpose()
    }

    /// Store a new program and bump its version, in one transaction; returns the new version.
    pub async fn store_program(&self, body: &str, now: i64) -> Result<i64, sqlx::Error> {
        let mut tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        sqlx::query(&self.sql(
            "INSERT INTO program (id, body, updated_at) VALUES (1, $1, $2)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        ))
        .bind(body)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let bumped = sqlx::query("UPDATE program_version SET version = version + 1 WHERE id = 1").execute(&mut *tx).await?;
        if bumped.rows_affected() == 0 {
            sqlx::query("INSERT INTO program_version (id, version) VALUES (1, 1)").execute(&mut *tx).await?;
        }
        let version: i64 = sqlx::query("SELECT version FROM program_version WHERE id = 1").fetch_one(&mut *tx).await?.try_get(0)?;
        tx.commit().await?;
        Ok(version)
    }

    /// The version of the stored program (0 when none was ever stored).
    pub async fn program_version(&self) -> Result<i64, sqlx::Error> {
        let row: Option<AnyRow> = sqlx::query("SELECT version FROM program_version WHERE id = 1").fetch_optional(&self.pool).await?;
        Ok(row.map(|r| r.try_get::<i64, _>(0)).transpose()?.unwrap_or(0))
    }

    /// Create the counters of a program that do not exist yet (existing ones keep their count).
    /// Two servers creating the same counter at once write the same shards; the second's insert
    /// waits for the first's and then does nothing.
    pub async fn init_stock(&self, stock: &siyu_core::Stock) -> Result<(), sqlx::Error> {
        for (counter, remaining) in &stock.remaining {
            let mut tx = self.pool.begin().await?;
            let exists = sqlx::query(&self.sql("SELECT 1 FROM stock_shards WHERE counter = $1 LIMIT 1")).bind(counter.as_str()).fetch_optional(&mut *tx).await?;
            if exists.is_none() {
                self.insert_shards(&mut tx, counter, i64::from(*remaining)).await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// Set the counters to `stock`'s counts, whatever they were (benchmarks and tools).
    pub async fn reset_stock(&self, stock: &siyu_core::Stock) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        for (counter, remaining) in &stock.remaining {
            sqlx::query(&self.sql("DELETE FROM stock_shards WHERE counter = $1")).bind(counter.as_str()).execute(&mut *tx).await?;
            self.insert_shards(&mut tx, counter, i64::from(*remaining)).await?;
        }
        tx.commit().await
    }
}

/// What every SQLite connection sets up: a long busy timeout (another process may write), WAL on a
/// file, and for the read connections `query_only`, so a write sent there fails instead of
/// competing with the writer.
fn sqlite_pragmas(options: AnyPoolOptions, wal: bool, read_only: bool) -> AnyPoolOptions {
    options.after_connect(move |conn, _| {
        Box::pin(async move {
            for pragma in ["PRAGMA busy_timeout = 30000", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON"] {
                sqlx::query(pragma).execute(&mut *conn).await?;
            }
            if wal && !read_only {
                sqlx::query("PRAGMA journal_mode = WAL").execute(&mut *conn).await?;
            }
            if read_only {
                sqlx::query("PRAGMA query_only = ON").execute(&mut *conn).await?;
            }
            Ok(())
        })
    })
}

/// `sqlite://data/siyu.db` → the same with `mode=rwc` so the file is created, and its folder made.
fn sqlite_url(url: &str) -> Result<String, sqlx::Error> {
    if url.contains(":memory:") {
        return Ok(url.to_string());
    }
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or(rest);
    if let Some(parent) = std::path::Path::new(path).parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).map_err(|e| sqlx::Error::Configuration(format!("cannot create {}: {e}", parent.display()).into()))?;
        }
    }
    Ok(if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

/// Whether an error is a natural-key or CHECK guard firing.
pub fn guard_violation(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(d) => {
            use sqlx::error::ErrorKind;
            match d.kind() {
                ErrorKind::UniqueViolation | ErrorKind::CheckViolation | ErrorKind::ForeignKeyViolation | ErrorKind::NotNullViolation => {
                    Some(d.constraint().map(String::from).unwrap_or_else(|| d.message().to_string()))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether an error is transient (lock timeout, serialization failure): the request may be retried.
pub fn transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(d) => {
            let code = d.code().map(|c| c.to_string()).unwrap_or_default();
            // SQLite BUSY/LOCKED; PostgreSQL serialization failure, deadlock, lock timeout.
            matches!(code.as_str(), "5" | "6" | "517" | "262" | "40001" | "40P01" | "55P03")
                || d.message().contains("database is locked")
        }
        _ => false,
    }
}
