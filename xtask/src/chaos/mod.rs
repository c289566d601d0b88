//! Crash consistency under load: `cargo xtask chaos`, and its short run in `cargo test --test
//! chaos` (which includes this module with `#[path]`). Concurrent writers drive the real awsim
//! binary over HTTP — puts, conditional updates, counters, deletes, batches, transactions with
//! ClientRequestTokens, items whose TTL has passed, the admin clock — while a stream reader and
//! a snapshot reader follow along; after a number of acknowledged operations the server is
//! killed with SIGKILL. While it is down its database must pass SQLite's integrity check; once
//! restarted on the same directory it must hold exactly what the answers acknowledged (each
//! writer's one request in flight at the kill applied whole or not at all), its indexes and
//! stream must agree with its items, and expired items must be gone (`check`).
//!
//! Here: the options, the summary and the rounds (restart and check, load, kill). `server` runs
//! the process and speaks HTTP, `workload` knows the writers and their model, `check` compares.
//! Nothing here links awsim: it is tested as a black box, as a client sees it.

mod check;
mod server;
mod workload;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use server::{Awsim, Client, Reply};
use workload::{item_from, show, Key, Kind, Op, Refusal, Returns, Rng, Writer, CLOCK_STEP};

/// What to run.
pub struct Options {
    /// Kills (each followed by an integrity check, a restart and the checks).
    pub kills: u32,
    pub seed: u64,
    pub writers: usize,
    /// Acknowledged operations between a start and the kill: drawn from this range (inclusive)
    /// each round.
    pub ops: (u64, u64),
    /// After the count is reached, wait up to this long (random) before killing, so the kill
    /// lands anywhere in a request's life; zero kills right away.
    pub jitter: Duration,
    /// Emptied first; holds the data directory, the server's log, and the scratch copy for
    /// integrity checks. Removed after a clean run, kept after a violation.
    pub work_dir: PathBuf,
    /// A line per round on stdout.
    pub verbose: bool,
}

/// What a run did and found.
#[derive(Default)]
pub struct Summary {
    pub seed: u64,
    pub writers: usize,
    pub kills: u64,
    pub integrity_checks: u64,
    /// Kills after which the WAL held something, and its sizes summed.
    pub wal_kills: u64,
    pub wal_bytes: u64,
    pub checks: u64,
    pub acked: BTreeMap<Kind, u64>,
    /// Acknowledged MAIN writes whose stream record was found, in order, once.
    pub writes_verified: u64,
    /// Items compared with what the writers acknowledged, over all checks.
    pub items_checked: u64,
    pub in_flight: u64,
    pub in_flight_applied: u64,
    pub in_flight_lost: u64,
    /// In flight, and nothing tells whether it was applied (it changed nothing the sweeper
    /// would not have, e.g. a put of an expired item that was then swept).
    pub in_flight_unknown: u64,
    /// In flight, and writing nothing either way (a refusal by design, a clock move).
    pub in_flight_nothing: u64,
    /// In-flight writes of several items found all applied or all not.
    pub all_or_nothing: u64,
    pub token_retries: u64,
    pub token_retries_already_applied: u64,
    pub groups_checked: u64,
    pub snapshot_reads: u64,
    /// Items read back (GetItem) right after their write was acknowledged.
    pub read_backs: u64,
    pub index_entries_checked: u64,
    pub index_queries: u64,
    pub stream_records: u64,
    pub ttl_deletions: u64,
    /// Records found by the final re-read of the stream from its start.
    pub stream_reread: Option<u64>,
    pub duration: Duration,
    pub violations: Vec<String>,
}

impl Summary {
    fn violation(&mut self, v: String) {
        self.violations.push(v);
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let acked: u64 = self.acked.values().sum();
        let count = |k: Kind| self.acked.get(&k).copied().unwrap_or(0);
        let kinds: Vec<String> = self
            .acked
            .iter()
            .map(|(k, n)| format!("{} {n}", k.name()))
            .collect();
        writeln!(
            f,
            "chaos: {} kills survived in {:.1?} (seed {}, {} writers)",
            self.kills, self.duration, self.seed, self.writers
        )?;
        writeln!(
            f,
            "  integrity checks: {} ok (the WAL held {:.1} MiB in all, after {} of the kills)",
            self.integrity_checks,
            self.wal_bytes as f64 / 1048576.0,
            self.wal_kills
        )?;
        writeln!(
            f,
            "  acknowledged operations: {acked} ({}); {} items read back right after",
            kinds.join(", "),
            self.read_backs
        )?;
        writeln!(
            f,
            "  acknowledged writes verified in the stream (in order, exactly once): {}; items compared with the acknowledged state: {} over {} checks",
            self.writes_verified, self.items_checked, self.checks
        )?;
        writeln!(
            f,
            "  in flight at a kill: {} (applied {}, not applied {}, undecidable {}, writing nothing {}); multi-item writes found all-or-nothing: {}",
            self.in_flight,
            self.in_flight_applied,
            self.in_flight_lost,
            self.in_flight_unknown,
            self.in_flight_nothing,
            self.all_or_nothing
        )?;
        writeln!(
            f,
            "  transactions: {} acknowledged ({} of them group transactions), {} cancelled by design; {} retried by ClientRequestToken after a kill ({} had been applied), each applied once",
            count(Kind::Transaction) + count(Kind::Group),
            count(Kind::Group),
            count(Kind::Refused),
            self.token_retries,
            self.token_retries_already_applied
        )?;
        writeln!(
            f,
            "  transaction groups whole: {} after restarts, {} TransactGetItems during the load",
            self.groups_checked, self.snapshot_reads
        )?;
        writeln!(
            f,
            "  index checks: {} GSI/LSI entries compared with the table, {} index queries",
            self.index_entries_checked, self.index_queries
        )?;
        let reread = match self.stream_reread {
            Some(n) => format!("re-read from the start: {n}, identical"),
            None => "not re-read".into(),
        };
        writeln!(
            f,
            "  stream: {} records chained and matched ({} TTL deletions); {reread}",
            self.stream_records, self.ttl_deletions
        )?;
        writeln!(f, "  violations: {}", self.violations.len())?;
        for v in self.violations.iter().take(50) {
            writeln!(f, "    {v}")?;
        }
        Ok(())
    }
}

/// What the load's tasks share with the round.
#[derive(Default)]
pub struct Shared {
    /// The round is over: finish the request at hand and return.
    stop: AtomicBool,
    /// Set just before the kill: from then on a request without an answer is the kill's doing.
    killing: AtomicBool,
    acked: AtomicU64,
    /// Items read back right after their write was acknowledged.
    read_backs: AtomicU64,
    progress: tokio::sync::Notify,
    violations: Mutex<Vec<String>>,
}

impl Shared {
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn killing(&self) -> bool {
        self.killing.load(Ordering::SeqCst)
    }

    fn violation(&self, v: String) {
        self.violations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(v);
        self.progress.notify_one();
    }

    fn failed(&self) -> bool {
        !self
            .violations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
    }

    /// Waits until `n` operations were acknowledged, or something failed.
    async fn wait_for(&self, n: u64) {
        loop {
            let progress = self.progress.notified();
            if self.acked.load(Ordering::SeqCst) >= n || self.failed() {
                return;
            }
            progress.await;
        }
    }
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Runs the rounds against the `awsim` binary. Err: the run could not go on (the server did
/// not start, a check could not be made); violations are in the summary.
pub async fn run(awsim: &Path, options: &Options) -> Result<Summary, String> {
    let started = Instant::now();
    let mut s = Summary {
        seed: options.seed,
        writers: options.writers,
        ..Summary::default()
    };
    let work = &options.work_dir;
    let _ = std::fs::remove_dir_all(work);
    std::fs::create_dir_all(work).map_err(|e| format!("{}: {e}", work.display()))?;
    let (data, log, scratch) = (work.join("data"), work.join("awsim.log"), work.join("copy"));
    let mut rng = Rng::new(options.seed);
    let mut server = Awsim::start(awsim, &data, &log).await?;
    let mut client = Client::new(&server.url);
    check::create_tables(&client).await?;
    let mut tail = check::Tail::open(&client).await?;
    let mut writers: Vec<Writer> = (0..options.writers)
        .map(|id| Writer::new(id, options.seed))
        .collect();
    let groups: Vec<_> = writers.iter().map(Writer::group).collect();
    for round in 0..=options.kills {
        if round > 0 {
            // Down: the file must be sound before anything opens it.
            match server::integrity_check(&data, &scratch) {
                Ok(wal) => {
                    s.integrity_checks += 1;
                    s.wal_kills += u64::from(wal > 0);
                    s.wal_bytes += wal;
                }
                Err(e) => s.violation(format!("after kill {round}: {e}")),
            }
            server = Awsim::start(awsim, &data, &log).await?;
            client = Client::new(&server.url);
            let last = round == options.kills;
            check::after_restart(&client, &mut writers, &mut tail, &mut s, last).await?;
            if options.verbose {
                println!(
                    "  restart {round}: checked ({} violations)",
                    s.violations.len()
                );
            }
        }
        if round == options.kills || !s.violations.is_empty() {
            break;
        }
        let target = rng.between(options.ops.0, options.ops.1);
        let shared = Arc::new(Shared::default());
        let load: Vec<_> = writers
            .drain(..)
            .map(|w| tokio::spawn(drive(w, client.clone(), shared.clone())))
            .collect();
        let follower = tokio::spawn(check::follow(tail, client.clone(), shared.clone()));
        let reader = tokio::spawn(check::snapshots(
            client.clone(),
            groups.clone(),
            shared.clone(),
        ));
        shared.wait_for(target).await;
        if !options.jitter.is_zero() {
            let wait = rng.below(options.jitter.as_micros() as u64 + 1);
            // Blocking on purpose: a timer would round this up to a millisecond.
            std::thread::sleep(Duration::from_micros(wait));
        }
        shared.killing.store(true, Ordering::SeqCst);
        server.kill();
        s.kills += 1;
        shared.stop.store(true, Ordering::SeqCst);
        for task in load {
            writers.push(task.await.map_err(|e| format!("a writer panicked: {e}"))?);
        }
        tail = follower
            .await
            .map_err(|e| format!("the stream reader panicked: {e}"))?;
        s.snapshot_reads += reader
            .await
            .map_err(|e| format!("the snapshot reader panicked: {e}"))?;
        s.read_backs += shared.read_backs.load(Ordering::SeqCst);
        s.violations
            .append(&mut shared.violations.lock().unwrap_or_else(|p| p.into_inner()));
        if options.verbose {
            let in_flight = writers.iter().filter(|w| w.in_flight.is_some()).count();
            println!(
                "round {}: killed after {} acknowledged operations, {in_flight} requests in flight",
                round + 1,
                shared.acked.load(Ordering::SeqCst)
            );
        }
    }
    drop(server);
    for w in &writers {
        for (kind, n) in &w.acked {
            *s.acked.entry(*kind).or_default() += n;
        }
    }
    s.stream_records = tail.records();
    s.ttl_deletions = tail.ttl_deletions;
    s.duration = started.elapsed();
    if s.violations.is_empty() {
        let _ = std::fs::remove_dir_all(work);
    }
    Ok(s)
}

/// A writer's loop: plan, send, judge, acknowledge; until the round stops or the server goes.
async fn drive(mut w: Writer, c: Client, shared: Arc<Shared>) -> Writer {
    while !shared.stopping() {
        let op = w.plan(unix_now());
        let sent = match op.operation {
            Some(operation) => c.ddb(operation, &op.body).await,
            None => c.advance_clock(CLOCK_STEP).await,
        };
        match sent {
            Ok(reply) => match judge(&op, &reply) {
                Ok(()) => {
                    w.acknowledge(&op);
                    shared.acked.fetch_add(1, Ordering::SeqCst);
                    shared.progress.notify_one();
                    if let Some(key) = w.read_back(&op) {
                        if !read_back(&c, &w, &op, &key, &shared).await {
                            break;
                        }
                    }
                }
                Err(e) => {
                    shared.violation(format!("{op}: {e}"));
                    break;
                }
            },
            Err(e) => {
                if shared.killing() {
                    w.in_flight = Some(op);
                } else {
                    shared.violation(format!("{op}: no answer while the server was up: {e}"));
                }
                break;
            }
        }
    }
    w
}

/// Reads `key` (ConsistentRead) right after `op` was acknowledged: it must hold what the writer
/// now knows. False when the writer should stop (the server went, or the read was wrong).
async fn read_back(c: &Client, w: &Writer, op: &Op, key: &Key, shared: &Shared) -> bool {
    let body =
        serde_json::json!({"TableName": key.table(), "Key": key.json(), "ConsistentRead": true});
    match c.ddb("GetItem", &body).await {
        Ok(reply) if reply.status == 200 => {
            let got = reply.body.get("Item").and_then(item_from);
            let want = w.state.get(key);
            if got.as_ref() != want {
                shared.violation(format!(
                    "{key}: read back after {op}: {}, acknowledged {}",
                    show(got.as_ref()),
                    show(want)
                ));
                return false;
            }
            shared.read_backs.fetch_add(1, Ordering::SeqCst);
            true
        }
        Ok(reply) => {
            shared.violation(format!(
                "{key}: GetItem after {op} answered {}: {}",
                reply.status, reply.body
            ));
            false
        }
        Err(e) => {
            if !shared.killing() {
                shared.violation(format!(
                    "{key}: GetItem after {op}: no answer while the server was up: {e}"
                ));
            }
            false
        }
    }
}

/// Whether an answer is the one `op` must get.
fn judge(op: &Op, reply: &Reply) -> Result<(), String> {
    match &op.refusal {
        None if reply.status != 200 => {
            return Err(format!("answered {}: {}", reply.status, reply.body));
        }
        None => {}
        Some(Refusal::Condition) => {
            if reply.status != 400 || reply.error_type() != "ConditionalCheckFailedException" {
                return Err(format!(
                    "should fail its condition; answered {}: {}",
                    reply.status, reply.body
                ));
            }
            return Ok(());
        }
        Some(Refusal::Cancelled(codes)) => {
            let got: Vec<&str> = reply.body["CancellationReasons"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .map(|r| r["Code"].as_str().unwrap_or("?"))
                        .collect()
                })
                .unwrap_or_default();
            if reply.status != 400
                || reply.error_type() != "TransactionCanceledException"
                || got != *codes
            {
                return Err(format!(
                    "should be cancelled with reasons {codes:?}; answered {}: {}",
                    reply.status, reply.body
                ));
            }
            return Ok(());
        }
    }
    let first = op.writes.first();
    let want = match op.returns {
        Returns::Nothing => None,
        Returns::Old => Some(first.and_then(|w| w.before.as_ref())),
        Returns::New => Some(first.and_then(|w| w.after.as_ref())),
    };
    if let Some(want) = want {
        let got = reply.body.get("Attributes").and_then(item_from);
        if got.as_ref() != want {
            return Err(format!(
                "returned {}, the writer expected {}",
                show(got.as_ref()),
                show(want)
            ));
        }
    }
    let unprocessed = reply.body.get("UnprocessedItems");
    if unprocessed.is_some_and(|u| u.as_object().is_some_and(|m| !m.is_empty())) {
        return Err(format!("left UnprocessedItems: {}", reply.body));
    }
    Ok(())
}
