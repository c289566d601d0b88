//! `cargo xtask bench`: builds awsim in release mode and drives it and its peers (DynamoDB Local,
//! dynoxide) with one Rust load generator, on loopback, in the same run. For each workload the
//! servers take turns (the order rotates per workload, so a noisy neighbour hurts no one server
//! more than another): each is started fresh, its tables loaded, warmed up, then measured at each
//! concurrency level, and stopped; only one server runs at a time. Results go to stdout
//! (markdown) and target/bench/. The benchmark is a tool, not a test: CI only builds it.
//! `cargo xtask` runs a debug build, so `bench` first builds itself and awsim in release mode and
//! hands over to that build: the load generator must stay much cheaper than the servers.
//!
//! Here: flags, the run order and the result types. `client` speaks HTTP, `servers` starts and
//! watches processes, `workload` knows the requests, `report` renders.

pub mod ceiling;
mod client;
mod data;
mod expr;
mod metering;
mod report;
mod servers;
mod suite;
mod workload;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use servers::{Kind, Programs, Running};
use workload::{Action, Keys, Phase, Sizes, Workload};

pub const USAGE: &str = "  cargo xtask bench [--expr] [--data] [--metering] [--quick] [--ops N] [--peers LIST] [--workloads LIST]
                    [--concurrency LIST] [--scan-items N] [--max-secs S] [--no-build] [--baseline PATH]
                    [--scaling] [--scaling-sizes LIST] [--vector-sizes LIST | --no-vectors]
                    [--no-suite] [--snapshot-items N] [--seed-items N] [--startup-rounds N]
      build awsim (release) and benchmark it against DynamoDB Local and dynoxide on loopback;
      peers: awsim,awsim-disk,ddblocal,dynoxide,ceiling (a bare hyper server answering a
      fixed GetItem reply: the machine's limit, for put, get and mixed), and on request
      awsim-nothrottle (--no-throttle) and awsim-base (the awsim binary of --baseline PATH,
      e.g. a release build of an earlier revision, to measure what a change costs); workloads: put,get,partiql-get,query,mixed,
      batch-write,transact-write,scan,get-records (or none); --scaling adds GetItem/Query latency at 10k/100k/1M items (slow);
      vectors (awsim only, on by default): SearchVectors latency (768 dimensions, TopK 10) at 10k and
      100k items (--quick: 10k) and PutItem throughput on the vector-indexed table;
      start-up of every server side by side, --startup-rounds (20; 0: none) interleaved starts;
      awsim alone: snapshot+restore at --snapshot-items (10000) and --seed start-up with
      --seed-items (50000) items, unless --no-suite;
      --expr only measures the expression language in process (parse, validate, evaluate, apply);
      --metering only measures capacity metering in process: GetItem/PutItem on an on-demand and
      a provisioned table, throttling on and off, and the metering step alone (--ops N per round);
      --data [--data-items N] only measures backup, restore, export, import and bulk put in process
      (items/s and peak RSS, 100k items by default)";

/// What to run.
pub struct Options {
    servers: Vec<Kind>,
    workloads: Vec<Workload>,
    concurrency: Vec<usize>,
    sizes: Sizes,
    /// Table sizes of the scaling runs, when asked for.
    scaling: Option<Vec<u64>>,
    /// Vector-indexed table sizes at which SearchVectors is timed (empty: no vector run).
    vectors: Vec<u64>,
    build: bool,
    /// `--baseline PATH`: the awsim binary the `awsim-base` peer runs.
    baseline: Option<std::path::PathBuf>,
    /// Time snapshots, restores and seeding on the awsim servers (`suite.rs`).
    suite: bool,
    snapshot_items: u64,
    seed_items: u64,
    /// Rounds of the side-by-side start-up measurement (0: none).
    startup_rounds: usize,
    /// The most a measured phase may take; it stops early (and says so) past it.
    limit: Duration,
    quick: bool,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let full = Sizes {
            ops: 10_000,
            get_items: 10_000,
            query_partitions: 100,
            scan_items: 100_000,
            scan_ops: 3,
        };
        let quick = args.iter().any(|a| a == "--quick");
        let mut options = Options {
            servers: Kind::ALL.to_vec(),
            workloads: Workload::ALL.to_vec(),
            concurrency: vec![1, 16],
            sizes: match quick {
                true => Sizes {
                    ops: 1000,
                    get_items: 2000,
                    query_partitions: 20,
                    scan_items: 20_000,
                    scan_ops: 2,
                },
                false => full,
            },
            scaling: None,
            vectors: match quick {
                true => vec![10_000],
                false => vec![10_000, 100_000],
            },
            build: true,
            baseline: None,
            suite: true,
            snapshot_items: 10_000,
            seed_items: if quick { 10_000 } else { 50_000 },
            startup_rounds: if quick { 10 } else { 20 },
            limit: Duration::from_secs(120),
            quick,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--quick" | "--expr" | "--data" | "--metering" => {}
                "--data-items" => {
                    value()?;
                }
                "--no-build" => options.build = false,
                "--baseline" => options.baseline = Some(value()?.into()),
                "--no-suite" => options.suite = false,
                "--snapshot-items" => options.snapshot_items = number(arg, value()?)?,
                "--seed-items" => options.seed_items = number(arg, value()?)?,
                "--startup-rounds" => {
                    options.startup_rounds = value()?
                        .parse()
                        .map_err(|_| format!("{arg} needs a number"))?
                }
                "--scaling" => {
                    options
                        .scaling
                        .get_or_insert(vec![10_000, 100_000, 1_000_000]);
                }
                "--ops" => options.sizes.ops = number(arg, value()?)?,
                "--no-vectors" => options.vectors.clear(),
                "--vector-sizes" => {
                    options.vectors =
                        list(value()?, |s| s.parse::<u64>().ok().filter(|n| *n >= 10))?;
                    options.vectors.sort_unstable();
                    options.vectors.dedup();
                }
                "--scan-items" => options.sizes.scan_items = number(arg, value()?)?,
                "--max-secs" => options.limit = Duration::from_secs(number(arg, value()?)?),
                "--scaling-sizes" => {
                    let sizes = list(value()?, |s| s.parse::<u64>().ok().filter(|n| *n >= 10))?;
                    options.scaling = Some(sizes);
                }
                "--concurrency" => {
                    options.concurrency = list(value()?, |s| s.parse().ok().filter(|c| *c >= 1))?
                }
                "--peers" => options.servers = list(value()?, Kind::parse)?,
                "--workloads" => match value()?.as_str() {
                    "none" => options.workloads.clear(),
                    names => options.workloads = list(names, Workload::parse)?,
                },
                other => return Err(format!("unknown argument {other:?}\nusage:\n{USAGE}")),
            }
        }
        if let Some(sizes) = &mut options.scaling {
            sizes.sort_unstable();
            sizes.dedup();
        }
        Ok(options)
    }
}

fn number(flag: &str, value: &str) -> Result<u64, String> {
    value
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(format!("{flag} needs a positive number, not {value:?}"))
}

fn list<T>(value: &str, parse: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, String> {
    let items: Option<Vec<T>> = value.split(',').map(|s| parse(s.trim())).collect();
    items
        .filter(|v| !v.is_empty())
        .ok_or(format!("cannot read the list {value:?}"))
}

/// How one workload (or scaling step) went on one server at one concurrency.
#[derive(Clone)]
pub enum Outcome {
    Measured(Phase),
    /// The server answered the workload's probe with an error (the error's type).
    Unsupported(String),
    /// Start-up, table creation or the load phase failed.
    Failed(String),
}

pub struct Row {
    workload: Workload,
    concurrency: usize,
    server: Kind,
    outcome: Outcome,
}

pub struct ScalingRow {
    server: Kind,
    items: u64,
    op: &'static str,
    outcome: Outcome,
}

/// One vector measurement on one server at one table size.
pub struct VectorRow {
    server: Kind,
    items: u64,
    op: &'static str,
    concurrency: usize,
    outcome: Outcome,
}

pub struct LoadRow {
    server: Kind,
    what: String,
    items: u64,
    via_batch: bool,
    elapsed: Duration,
}

/// Start-up and memory of one server over all its starts.
pub struct ServerStats {
    kind: Kind,
    startups: Vec<Duration>,
    idle_rss_kib: Vec<u64>,
    peak_rss_kib: Option<u64>,
}

pub struct Results {
    options: Options,
    started: SystemTime,
    elapsed: Duration,
    versions: Vec<(Kind, String)>,
    servers: Vec<ServerStats>,
    rows: Vec<Row>,
    loads: Vec<LoadRow>,
    scaling: Vec<ScalingRow>,
    snapshots: Vec<Result<suite::SnapshotRow, (Kind, String)>>,
    seeds: Vec<Result<suite::SeedRow, (Kind, String)>>,
    vectors: Vec<VectorRow>,
    /// The side-by-side start-up rounds, per server.
    startups: Vec<(Kind, Result<Vec<Duration>, String>)>,
}

impl Results {
    fn stats(&mut self, kind: Kind) -> &mut ServerStats {
        let at = self.servers.iter().position(|s| s.kind == kind);
        let at = at.unwrap_or_else(|| {
            self.servers.push(ServerStats {
                kind,
                startups: Vec::new(),
                idle_rss_kib: Vec::new(),
                peak_rss_kib: None,
            });
            self.servers.len() - 1
        });
        &mut self.servers[at]
    }

    fn started(&mut self, server: &Running) {
        let stats = self.stats(server.kind);
        stats.startups.push(server.startup);
        stats.idle_rss_kib.extend(server.idle_rss_kib);
    }

    fn stopping(&mut self, server: &Running) {
        let peak = server.peak_rss_kib();
        let stats = self.stats(server.kind);
        stats.peak_rss_kib = stats.peak_rss_kib.max(peak);
    }
}

/// `cargo xtask bench ARGS`.
pub fn bench(root: &Path, args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("usage:\n{USAGE}");
        return Ok(());
    }
    let options = Options::parse(args)?;
    if cfg!(debug_assertions) && std::env::var_os(RELEASE_CHILD).is_none() {
        return in_release(root, args, options.build);
    }
    if args.iter().any(|a| a == "--expr") {
        print!("{}", expr::run());
        return Ok(());
    }
    if args.iter().any(|a| a == "--metering") {
        print!("{}", metering::run(options.sizes.ops));
        return Ok(());
    }
    if args.iter().any(|a| a == "--data") {
        let items = match args.iter().position(|a| a == "--data-items") {
            Some(i) => number(
                "--data-items",
                args.get(i + 1).ok_or("--data-items needs a value")?,
            )?,
            None => 100_000,
        };
        print!("{}", data::run(items as usize)?);
        return Ok(());
    }
    let programs = servers::prepare(
        root,
        &options.servers,
        options.build,
        options.baseline.as_deref(),
    )?;
    let log_dir = root.join("target/bench/logs");
    std::fs::create_dir_all(&log_dir).map_err(|e| format!("{}: {e}", log_dir.display()))?;
    let mut results = Results {
        versions: programs.versions.clone(),
        options,
        started: SystemTime::now(),
        elapsed: Duration::ZERO,
        servers: Vec::new(),
        rows: Vec::new(),
        loads: Vec::new(),
        scaling: Vec::new(),
        snapshots: Vec::new(),
        seeds: Vec::new(),
        vectors: Vec::new(),
        startups: Vec::new(),
    };
    let clock = Instant::now();
    crate::runtime()?.block_on(run(&mut results, &programs, &log_dir));
    results.elapsed = clock.elapsed();
    let markdown = report::markdown(&results);
    print!("{markdown}");
    let written = report::write(root, &results, &markdown)?;
    eprintln!("bench: wrote {}", written.display());
    Ok(())
}

/// Set for the release-mode load generator, so it does not hand over again.
const RELEASE_CHILD: &str = "AWSIM_BENCH_RELEASE";

/// `cargo xtask` runs a debug build, and a debug load generator can cost more CPU per request
/// than the server it measures. So build this program in release mode (with awsim, in one cargo
/// invocation, so their shared dependencies build once) and let it run the benchmark.
fn in_release(root: &Path, args: &[String], build: bool) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = vec!["build", "--release", "-p", "xtask", "--bin", "xtask"];
    if build {
        command.extend(["-p", "awsim", "--bin", "awsim"]);
    }
    println!("$ cargo {}", command.join(" "));
    let status = Command::new(cargo)
        .args(&command)
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build --release failed ({status})"));
    }
    let mut child_args = args.to_vec();
    if build {
        child_args.push("--no-build".into());
    }
    let status = Command::new(root.join("target/release/xtask"))
        .arg("bench")
        .args(child_args)
        .env(RELEASE_CHILD, "1")
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run target/release/xtask: {e}"))?;
    match status.success() {
        true => Ok(()),
        false => Err(format!("the release-mode benchmark failed ({status})")),
    }
}

async fn run(results: &mut Results, programs: &Programs, log_dir: &Path) {
    let servers = results.options.servers.clone();
    if results.options.startup_rounds > 0 {
        eprintln!(
            "bench: start-up, {} rounds of {}",
            results.options.startup_rounds,
            servers
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join(", ")
        );
        results.startups =
            suite::startups(&servers, programs, log_dir, results.options.startup_rounds).await;
    }
    let workloads = results.options.workloads.clone();
    for (i, &workload) in workloads.iter().enumerate() {
        let mut order = servers.clone();
        order.rotate_left(i % servers.len());
        for kind in order {
            if !workload.served_by(kind) {
                continue;
            }
            eprintln!("bench: {} on {}", workload.name(), kind.name());
            let outcomes = match Running::start(kind, programs, log_dir).await {
                Ok(server) => {
                    results.started(&server);
                    let outcomes = run_workload(&server, workload, results).await;
                    results.stopping(&server);
                    outcomes
                }
                Err(e) => results
                    .options
                    .concurrency
                    .iter()
                    .map(|c| (*c, Outcome::Failed(e.clone())))
                    .collect(),
            };
            for (concurrency, outcome) in outcomes {
                eprintln!("bench:   c{concurrency}: {}", report::cell(&outcome));
                results.rows.push(Row {
                    workload,
                    concurrency,
                    server: kind,
                    outcome,
                });
            }
        }
    }
    if results.options.suite {
        let awsims = servers
            .iter()
            .copied()
            .filter(|k| matches!(k, Kind::Awsim | Kind::AwsimDisk));
        for kind in awsims {
            eprintln!("bench: snapshots on {}", kind.name());
            let items = results.options.snapshot_items;
            let row = match Running::start(kind, programs, log_dir).await {
                Ok(server) => {
                    results.started(&server);
                    let row = suite::snapshots(&server, items).await;
                    results.stopping(&server);
                    row
                }
                Err(e) => Err(e),
            };
            results.snapshots.push(row.map_err(|e| (kind, e)));
            eprintln!("bench: seeding on {}", kind.name());
            let row = suite::seeding(kind, programs, log_dir, results.options.seed_items).await;
            if let Ok(row) = &row {
                // Only the start without a seed counts as a start-up time.
                results.stats(kind).startups.push(row.plain_startup);
            }
            results.seeds.push(row.map_err(|e| (kind, e)));
        }
    }
    let vector_sizes = results.options.vectors.clone();
    if !vector_sizes.is_empty() {
        // Only awsim serves vector indexes.
        for kind in servers.iter().copied().filter(|k| k.is_awsim()) {
            eprintln!("bench: vectors on {}", kind.name());
            match Running::start(kind, programs, log_dir).await {
                Ok(server) => {
                    results.started(&server);
                    vectors(&server, &vector_sizes, results).await;
                    results.stopping(&server);
                }
                Err(e) => results.vectors.push(VectorRow {
                    server: kind,
                    items: 0,
                    op: VECTOR_OPS[0],
                    concurrency: 1,
                    outcome: Outcome::Failed(e),
                }),
            }
        }
    }
    if let Some(sizes) = results.options.scaling.clone() {
        for kind in servers.into_iter().filter(|k| *k != Kind::Ceiling) {
            eprintln!("bench: scaling on {}", kind.name());
            match Running::start(kind, programs, log_dir).await {
                Ok(server) => {
                    results.started(&server);
                    scaling(&server, &sizes, results).await;
                    results.stopping(&server);
                }
                Err(e) => {
                    for &items in &sizes {
                        for op in SCALING_OPS {
                            let outcome = Outcome::Failed(e.clone());
                            results.scaling.push(ScalingRow {
                                server: kind,
                                items,
                                op,
                                outcome,
                            });
                        }
                    }
                }
            }
        }
    }
}

/// Table, probe, load, warm-up, then one measured phase per concurrency level.
async fn run_workload(
    server: &Running,
    workload: Workload,
    results: &mut Results,
) -> Vec<(usize, Outcome)> {
    let options = &results.options;
    let every = |outcome: Outcome| -> Vec<(usize, Outcome)> {
        let levels = options.concurrency.iter();
        levels.map(|c| (*c, outcome.clone())).collect()
    };
    let (table, preload) = workload.preload(&options.sizes);
    if let Err(e) = workload::create_table(server.addr, table).await {
        return every(Outcome::Failed(e));
    }
    for (op, body) in workload.probes() {
        if let Err(e) = workload::probe(server.addr, op, body).await {
            return every(Outcome::Unsupported(e));
        }
    }
    if let Some((keys, items)) = preload {
        match workload::load(server.addr, keys, 0..items).await {
            Ok(loaded) => results.loads.push(LoadRow {
                server: server.kind,
                what: workload.name().into(),
                items,
                via_batch: loaded.via_batch,
                elapsed: loaded.elapsed,
            }),
            Err(e) => return every(Outcome::Failed(e)),
        }
    }
    let options = &results.options;
    let action = workload.action(&options.sizes);
    let warmup = workload.warmup_ops(&options.sizes);
    let warm_concurrency = if workload == Workload::Scan { 1 } else { 4 };
    workload::run_phase(server.addr, action, warm_concurrency, warmup, options.limit).await;
    let mut outcomes = Vec::new();
    for &concurrency in &options.concurrency {
        let ops = workload.ops(&options.sizes, concurrency);
        let phase = measure(server, action, concurrency, ops, options.limit).await;
        outcomes.push((concurrency, Outcome::Measured(phase)));
    }
    outcomes
}

/// A measured phase, with the CPU time the server and the load generator spent on it.
async fn measure(
    server: &Running,
    action: Action,
    concurrency: usize,
    ops: u64,
    limit: Duration,
) -> Phase {
    let (server_before, client_before) = (server.cpu_time(), servers::own_cpu_time());
    let mut phase = workload::run_phase(server.addr, action, concurrency, ops, limit).await;
    let spent =
        |before: Option<Duration>, after: Option<Duration>| Some(after?.saturating_sub(before?));
    phase.server_cpu = spent(server_before, server.cpu_time());
    phase.client_cpu = spent(client_before, servers::own_cpu_time());
    phase
}

/// The operations a scaling run times at each table size.
pub const SCALING_OPS: [&str; 4] = ["GetItem", "Query", "Query GSI", "Scan page"];

/// GetItem, Query, GSI Query and one-page Scan latency (concurrency 1) as one table grows
/// through `sizes`.
async fn scaling(server: &Running, sizes: &[u64], results: &mut Results) {
    let addr = server.addr;
    let ops = results.options.sizes.ops;
    let limit = results.options.limit;
    let push = |results: &mut Results, items, op, outcome| {
        let server = server.kind;
        results.scaling.push(ScalingRow {
            server,
            items,
            op,
            outcome,
        });
    };
    const OPS: [&str; 4] = SCALING_OPS;
    if let Err(e) = workload::create_table(addr, workload::SCALE_TABLE).await {
        for &items in sizes {
            for op in OPS {
                push(results, items, op, Outcome::Failed(e.clone()));
            }
        }
        return;
    }
    let mut loaded = 0;
    for &items in sizes {
        eprintln!("bench:   loading to {items} items");
        match workload::load(addr, Keys::Scale, loaded..items).await {
            Ok(load) => results.loads.push(LoadRow {
                server: server.kind,
                what: format!("scaling to {items}"),
                items: items - loaded,
                via_batch: load.via_batch,
                elapsed: load.elapsed,
            }),
            Err(e) => {
                for op in OPS {
                    push(results, items, op, Outcome::Failed(e.clone()));
                }
                return;
            }
        }
        loaded = items;
        let steps = [
            (OPS[0], Action::Get(Keys::Scale, items), ops),
            (OPS[1], Action::Query(Keys::Scale, items / 10), ops / 2),
            (OPS[2], Action::QueryIndex(items / 10), ops / 2),
            (OPS[3], Action::ScanPage, (ops / 20).max(20)),
        ];
        for (op, action, ops) in steps {
            workload::run_phase(addr, action, 1, (ops / 5).clamp(20, 1000), limit).await;
            let phase = measure(server, action, 1, ops.max(1), limit).await;
            let outcome = match (phase.ok, phase.first_error.clone()) {
                (0, Some(e)) => Outcome::Unsupported(e),
                _ => Outcome::Measured(phase),
            };
            eprintln!("bench:   {op} at {items}: {}", report::cell(&outcome));
            push(results, items, op, outcome);
        }
    }
}

/// What the vector run times: SearchVectors at each size, then writes at the largest.
pub const VECTOR_OPS: [&str; 2] = ["SearchVectors (TopK 10)", "PutItem with a vector"];

/// SearchVectors latency (concurrency 1) as a vector-indexed table grows through `sizes`
/// (768-dimension COSINE index, random vectors), then PutItem throughput on it at concurrency
/// 1 and 16.
async fn vectors(server: &Running, sizes: &[u64], results: &mut Results) {
    let addr = server.addr;
    let limit = results.options.limit;
    let kind = server.kind;
    let fail = |results: &mut Results, items, e: String| {
        results.vectors.push(VectorRow {
            server: kind,
            items,
            op: VECTOR_OPS[0],
            concurrency: 1,
            outcome: Outcome::Failed(e),
        })
    };
    if let Err(e) = workload::create_table(addr, workload::VECTOR_TABLE).await {
        return fail(results, 0, e);
    }
    let mut loaded = 0;
    for &items in sizes {
        eprintln!("bench:   loading to {items} vectors");
        match workload::load_vectors(addr, loaded..items).await {
            Ok(elapsed) => results.loads.push(LoadRow {
                server: kind,
                what: format!("vectors to {items}"),
                items: items - loaded,
                via_batch: true,
                elapsed,
            }),
            Err(e) => return fail(results, items, e),
        }
        loaded = items;
        let searches = if results.options.quick { 50 } else { 200 };
        workload::run_phase(addr, Action::SearchVectors, 1, 10, limit).await;
        let phase = measure(server, Action::SearchVectors, 1, searches, limit).await;
        eprintln!(
            "bench:   SearchVectors at {items}: {}",
            report::cell(&Outcome::Measured(phase.clone()))
        );
        results.vectors.push(VectorRow {
            server: kind,
            items,
            op: VECTOR_OPS[0],
            concurrency: 1,
            outcome: Outcome::Measured(phase),
        });
    }
    let writes = if results.options.quick { 500 } else { 2000 };
    for concurrency in [1, 16] {
        let phase = measure(server, Action::PutVector, concurrency, writes, limit).await;
        eprintln!(
            "bench:   PutItem with a vector, c{concurrency}: {}",
            report::cell(&Outcome::Measured(phase.clone()))
        );
        results.vectors.push(VectorRow {
            server: kind,
            items: loaded,
            op: VECTOR_OPS[1],
            concurrency,
            outcome: Outcome::Measured(phase),
        });
    }
}

/// Seconds since the epoch, for file names and the report.
fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
