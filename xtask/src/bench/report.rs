//! Renders a benchmark run: the markdown report (stdout and target/bench/latest.md) and the JSON
//! record (target/bench/<UTC timestamp>.json). Pure formatting over `Results`; no I/O but `write`.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::servers::Kind;
use super::workload::{Phase, Workload};
use super::{unix_secs, Outcome, Results};

/// The peers awsim is compared with in the ratio columns (the ceiling's column is a percentage).
const RATIO_PEERS: [Kind; 5] = [
    Kind::DdbLocal,
    Kind::Dynoxide,
    Kind::Ceiling,
    Kind::AwsimNoThrottle,
    Kind::AwsimBase,
];

/// Writes the JSON record and latest.md; returns the JSON path.
pub fn write(root: &Path, results: &Results, markdown: &str) -> Result<PathBuf, String> {
    let dir = root.join("target/bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let stamp = timestamp(unix_secs(results.started), true);
    let path = dir.join(format!("{stamp}.json"));
    let text = serde_json::to_string_pretty(&json(results)).expect("JSON renders");
    std::fs::write(&path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    let latest = dir.join("latest.md");
    std::fs::write(&latest, markdown).map_err(|e| format!("{}: {e}", latest.display()))?;
    Ok(path)
}

/// One table cell: `ops/s · p50 / p99 ms`, with errors and caps noted.
pub fn cell(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Measured(phase) if phase.ok == 0 => format!(
            "{} errors ({})",
            phase.errors,
            short(phase.first_error.as_deref().unwrap_or("?"))
        ),
        Outcome::Measured(phase) => {
            let mut text = format!(
                "{}/s · {} / {}",
                rate(phase.ops_per_sec()),
                ms(phase.latency.value_at_quantile(0.5)),
                ms(phase.latency.value_at_quantile(0.99)),
            );
            if phase.errors > 0 {
                text += &format!(" · {} err", phase.errors);
            }
            if phase.capped {
                text += " (time-capped)";
            }
            text
        }
        Outcome::Unsupported(e) => format!("unsupported ({})", short(e)),
        Outcome::Failed(e) => format!("failed ({})", short(e)),
    }
}

pub fn markdown(results: &Results) -> String {
    let options = &results.options;
    let mut out = String::new();
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let when = timestamp(unix_secs(results.started), false);
    let _ = writeln!(out, "# awsim benchmark, {when}\n");
    let _ = writeln!(
        out,
        "Loopback, {cpus} CPUs shared by the servers, the load generator and whatever else runs on \
         the machine, so numbers are noisy: compare servers within one run, not across runs. One \
         Rust load generator (tokio + hyper, one keep-alive HTTP/1.1 connection per worker, raw \
         AWS JSON 1.0). Each server is started fresh per workload, loaded, warmed up, then \
         measured; only one server runs at a time{}. The run took {:.0} s.\n",
        if options.quick { "; `--quick` sizes" } else { "" },
        results.elapsed.as_secs_f64()
    );
    for (kind, version) in &results.versions {
        let _ = writeln!(out, "- {}: {version}", kind.name());
    }
    if !options.workloads.is_empty() {
        throughput_section(results, &mut out);
        cpu_section(results, &mut out);
    }
    servers_section(results, &mut out);
    if !results.startups.is_empty() {
        startup_section(results, &mut out);
    }
    if !results.loads.is_empty() {
        loads_section(results, &mut out);
    }
    if options.scaling.is_some() {
        scaling_section(results, &mut out);
    }
    if !results.snapshots.is_empty() || !results.seeds.is_empty() {
        suite_section(results, &mut out);
    }
    if !results.vectors.is_empty() {
        vectors_section(results, &mut out);
    }
    out
}

fn startup_section(results: &Results, out: &mut String) {
    let _ = write!(
        out,
        "\n## Start-up, side by side\n\nSpawn to the first ListTables answered 200 (polled every \
         0.25 ms), {} rounds; in each round every server is started once, in an order that \
         rotates. Ratio: dynoxide's median over the server's (above 1: faster than dynoxide).\n\n\
         | server | median ms | p10 ms | p90 ms | min ms | max ms | vs dynoxide |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
        results.options.startup_rounds
    );
    let ms = |times: &[std::time::Duration]| {
        let mut ms: Vec<f64> = times.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        ms.sort_by(f64::total_cmp);
        ms
    };
    let at = |ms: &[f64], q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    let dynoxide = results.startups.iter().find_map(|(k, t)| match t {
        Ok(t) if *k == Kind::Dynoxide && !t.is_empty() => Some(at(&ms(t), 0.5)),
        _ => None,
    });
    for (kind, times) in &results.startups {
        match times {
            Ok(times) if !times.is_empty() => {
                let ms = ms(times);
                let median = at(&ms, 0.5);
                let ratio = dynoxide.map_or("-".into(), |d| format!("{:.2}", d / median));
                let _ = writeln!(
                    out,
                    "| {} | {median:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {ratio} |",
                    kind.name(),
                    at(&ms, 0.1),
                    at(&ms, 0.9),
                    ms[0],
                    ms[ms.len() - 1],
                );
            }
            Ok(_) => {}
            Err(e) => {
                let _ = writeln!(out, "| {} | failed ({}) | | | | | |", kind.name(), short(e));
            }
        }
    }
}

/// Median and maximum of some durations, in ms.
fn median_max_ms(times: &[std::time::Duration]) -> (f64, f64) {
    let mut ms: Vec<f64> = times.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    (
        ms.get(ms.len() / 2).copied().unwrap_or(0.0),
        ms.last().copied().unwrap_or(0.0),
    )
}

fn suite_section(results: &Results, out: &mut String) {
    out.push_str(
        "\n## Snapshots and seeding (awsim only)\n\nSnapshot: `POST /_awsim/snapshots`; restore: \
         `POST /_awsim/snapshots/<name>/restore` after one more item was written; times as the \
         client sees them (request sent to answer read), median and max of the rounds.\n\n\
         | server | items | database MiB | snapshot ms | restore ms | snapshot + restore ms |\n\
         |---|---:|---:|---:|---:|---:|\n",
    );
    for row in &results.snapshots {
        match row {
            Ok(r) => {
                let (snap, snap_max) = median_max_ms(&r.snapshot);
                let (restore, restore_max) = median_max_ms(&r.restore);
                let both: Vec<std::time::Duration> = r
                    .snapshot
                    .iter()
                    .zip(&r.restore)
                    .map(|(a, b)| *a + *b)
                    .collect();
                let (total, total_max) = median_max_ms(&both);
                let _ = writeln!(
                    out,
                    "| {} | {} | {:.1} | {snap:.1} (max {snap_max:.1}) | {restore:.1} (max {restore_max:.1}) | {total:.1} (max {total_max:.1}) |",
                    r.server.name(),
                    r.items,
                    r.size_bytes as f64 / 1024.0 / 1024.0
                );
            }
            Err((kind, e)) => {
                let _ = writeln!(out, "| {} | failed ({}) | | | | |", kind.name(), short(e));
            }
        }
    }
    out.push_str(
        "\nSeeding: start-up with `--seed FILE` (one table, ~200-byte items) minus start-up \
         without it (the fastest of three).\n\n| server | items | start-up ms with seed | without | items/s |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for row in &results.seeds {
        match row {
            Ok(r) => {
                let _ = writeln!(
                    out,
                    "| {} | {} | {:.0} | {:.1} | {} |",
                    r.server.name(),
                    r.items,
                    r.seeded_startup.as_secs_f64() * 1000.0,
                    r.plain_startup.as_secs_f64() * 1000.0,
                    thousands(r.items_per_sec())
                );
            }
            Err((kind, e)) => {
                let _ = writeln!(out, "| {} | failed ({}) | | | |", kind.name(), short(e));
            }
        }
    }
}

fn vectors_section(results: &Results, out: &mut String) {
    out.push_str(
        "\n## Vector indexes (awsim)\n\nA table with one vector index (768 dimensions, COSINE, \
         KEYS_ONLY) loaded with random vectors by BatchWriteItem (load times above). SearchVectors: \
         a random search vector, TopK 10, exact search, concurrency 1, at each table size. PutItem \
         with a vector: random new items on the largest table (each vector validated and indexed \
         in the write's transaction). Each cell: operations/s · p50 / p99 ms.\n\n\
         | server | operation | items | concurrency | result |\n|---|---|---:|---:|---|\n",
    );
    for v in &results.vectors {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            v.server.name(),
            v.op,
            short_count(v.items),
            v.concurrency,
            cell(&v.outcome)
        );
    }
}

fn throughput_section(results: &Results, out: &mut String) {
    let options = &results.options;
    let (sizes, servers) = (&options.sizes, &options.servers);
    let ratio_peers: Vec<Kind> = RATIO_PEERS
        .into_iter()
        .filter(|p| servers.contains(p) && servers.contains(&Kind::Awsim))
        .collect();
    out.push_str(
        "\n## Throughput and latency\n\nEach cell: operations/s · p50 / p99 latency in ms. \
         Ratios are awsim (in memory) ops/s over the peer's (above 1: awsim is faster); \
         against `ceiling` (a bare hyper server answering a fixed GetItem reply, the limit of the \
         machine for a request of that shape) the ratio is a percentage.\n\n",
    );
    out.push_str("| workload | conc |");
    for kind in servers {
        let _ = write!(out, " {} |", kind.name());
    }
    for peer in &ratio_peers {
        let _ = write!(out, " awsim/{} |", peer.name());
    }
    out.push_str("\n|---|---:|");
    out.push_str(&"---|".repeat(servers.len()));
    out.push_str(&"---:|".repeat(ratio_peers.len()));
    out.push('\n');
    for &workload in &options.workloads {
        for &concurrency in &options.concurrency {
            let _ = write!(out, "| {} | {concurrency} |", workload.name());
            for &kind in servers {
                let text = outcome(results, workload, concurrency, kind).map_or("-".into(), cell);
                let _ = write!(out, " {text} |");
            }
            for &peer in &ratio_peers {
                let text =
                    ratio(results, workload, concurrency, peer).map_or(
                        "-".into(),
                        |r| match peer {
                            Kind::Ceiling => format!("{:.0} %", r * 100.0),
                            _ => format!("{r:.2}×"),
                        },
                    );
                let _ = write!(out, " {text} |");
            }
            out.push('\n');
        }
    }
    let counts: Vec<String> = options
        .workloads
        .iter()
        .map(|w| {
            let per: Vec<String> = options
                .concurrency
                .iter()
                .map(|&c| w.ops(sizes, c).to_string())
                .collect();
            format!("{} {}", w.name(), per.join("/"))
        })
        .collect();
    let levels: Vec<String> = options.concurrency.iter().map(|c| c.to_string()).collect();
    let _ = writeln!(
        out,
        "\nOperations at concurrency {}: {}.\n",
        levels.join("/"),
        counts.join(", ")
    );
    for &workload in &options.workloads {
        let _ = writeln!(out, "- {}: {}", workload.name(), workload.describe(sizes));
    }
}

fn cpu_section(results: &Results, out: &mut String) {
    let options = &results.options;
    out.push_str(
        "\n## CPU per operation\n\nEach cell: the server's CPU µs per operation / the load \
         generator's (user + system, all threads, from /proc, 10 ms resolution). Less sensitive \
         to a busy machine than ops/s; on 2 cores, a load generator near the server's cost \
         means the numbers at concurrency 16 are shared-CPU bound.\n\n| workload | conc |",
    );
    for kind in &options.servers {
        let _ = write!(out, " {} |", kind.name());
    }
    out.push_str("\n|---|---:|");
    out.push_str(&"---:|".repeat(options.servers.len()));
    out.push('\n');
    for &workload in &options.workloads {
        for &concurrency in &options.concurrency {
            let _ = write!(out, "| {} | {concurrency} |", workload.name());
            for &kind in &options.servers {
                let phase = measured(outcome(results, workload, concurrency, kind));
                let text = phase
                    .and_then(|p| {
                        let server = p.cpu_per_op_us(p.server_cpu)?;
                        let client = p.cpu_per_op_us(p.client_cpu)?;
                        Some(format!("{} / {}", us(server), us(client)))
                    })
                    .unwrap_or_else(|| "-".into());
                let _ = write!(out, " {text} |");
            }
            out.push('\n');
        }
    }
}

fn servers_section(results: &Results, out: &mut String) {
    out.push_str(
        "\n## Servers\n\nStart-up: spawn to the first ListTables answered (polled every 0.25 ms). \
         Idle RSS: right after start-up. Peak RSS: the largest VmHWM seen at the end of a workload.\n\n\
         | server | start-up ms (median, min-max) | idle RSS MiB | peak RSS MiB |\n\
         |---|---:|---:|---:|\n",
    );
    for stats in &results.servers {
        let mut startups: Vec<f64> = stats
            .startups
            .iter()
            .map(|d| d.as_secs_f64() * 1000.0)
            .collect();
        startups.sort_by(f64::total_cmp);
        let startup = match (startups.first(), startups.last()) {
            (Some(lo), Some(hi)) => format!(
                "{:.1} ({lo:.1}-{hi:.1}, {} start{})",
                startups[startups.len() / 2],
                startups.len(),
                if startups.len() == 1 { "" } else { "s" }
            ),
            _ => "-".into(),
        };
        let mut idle = stats.idle_rss_kib.clone();
        idle.sort_unstable();
        let idle = idle.get(idle.len() / 2).map_or("-".into(), |k| mib(*k));
        let peak = stats.peak_rss_kib.map_or("-".into(), mib);
        let name = stats.kind.name();
        let _ = writeln!(out, "| {name} | {startup} | {idle} | {peak} |");
    }
}

fn loads_section(results: &Results, out: &mut String) {
    out.push_str(
        "\n## Load phases (16 connections, not part of the measurement)\n\n\
         | server | for | items | via | items/s |\n|---|---|---:|---|---:|\n",
    );
    for load in &results.loads {
        let rate = load.items as f64 / load.elapsed.as_secs_f64().max(1e-9);
        let via = match load.via_batch {
            true => "BatchWriteItem",
            false => "PutItem",
        };
        let (server, what, items) = (load.server.name(), &load.what, load.items);
        let _ = writeln!(
            out,
            "| {server} | {what} | {items} | {via} | {} |",
            thousands(rate)
        );
    }
}

fn scaling_section(results: &Results, out: &mut String) {
    let steps = results.options.scaling.as_deref().unwrap_or_default();
    out.push_str(
        "\n## Scaling (concurrency 1)\n\nLatency as one table grows; each cell: p50 / p99 ms. \
         Query reads a whole 10-item partition, Query GSI a 10-item partition of a GSI (projection \
         ALL), Scan page one Scan request without Limit (it stops at 1 MiB).\n\n| server | op |",
    );
    for items in steps {
        let _ = write!(out, " {} items |", short_count(*items));
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---:|".repeat(steps.len()));
    out.push('\n');
    for &kind in &results.options.servers {
        for op in super::SCALING_OPS {
            let _ = write!(out, "| {} | {op} |", kind.name());
            for &items in steps {
                let found = results
                    .scaling
                    .iter()
                    .find(|r| r.server == kind && r.op == op && r.items == items);
                let text = match found.map(|r| &r.outcome) {
                    Some(Outcome::Measured(p)) if p.ok > 0 => format!(
                        "{} / {}",
                        ms(p.latency.value_at_quantile(0.5)),
                        ms(p.latency.value_at_quantile(0.99))
                    ),
                    Some(other) => cell(other),
                    None => "-".into(),
                };
                let _ = write!(out, " {text} |");
            }
            out.push('\n');
        }
    }
}

fn outcome(
    results: &Results,
    workload: Workload,
    concurrency: usize,
    kind: Kind,
) -> Option<&Outcome> {
    results
        .rows
        .iter()
        .find(|r| r.workload == workload && r.concurrency == concurrency && r.server == kind)
        .map(|r| &r.outcome)
}

fn measured(outcome: Option<&Outcome>) -> Option<&Phase> {
    match outcome {
        Some(Outcome::Measured(p)) if p.ok > 0 => Some(p),
        _ => None,
    }
}

/// awsim's ops/s over `peer`'s, when both were measured.
fn ratio(results: &Results, workload: Workload, concurrency: usize, peer: Kind) -> Option<f64> {
    let awsim = measured(outcome(results, workload, concurrency, Kind::Awsim))?;
    let other = measured(outcome(results, workload, concurrency, peer))?;
    Some(awsim.ops_per_sec() / other.ops_per_sec())
}

fn json(results: &Results) -> Value {
    let options = &results.options;
    let sizes = &options.sizes;
    let servers: Vec<Value> = results
        .servers
        .iter()
        .map(|s| {
            json!({
                "server": s.kind.name(),
                "startup_ms": s.startups.iter().map(|d| d.as_secs_f64() * 1000.0).collect::<Vec<_>>(),
                "idle_rss_kib": s.idle_rss_kib,
                "peak_rss_kib": s.peak_rss_kib,
            })
        })
        .collect();
    let rows: Vec<Value> = results
        .rows
        .iter()
        .map(|r| {
            let mut row = json!({
                "workload": r.workload.name(),
                "concurrency": r.concurrency,
                "server": r.server.name(),
            });
            merge(&mut row, outcome_json(&r.outcome));
            for peer in RATIO_PEERS {
                if r.server == Kind::Awsim {
                    if let Some(x) = ratio(results, r.workload, r.concurrency, peer) {
                        row[format!("ratio_vs_{}", peer.name())] = json!(x);
                    }
                }
            }
            row
        })
        .collect();
    let loads: Vec<Value> = results
        .loads
        .iter()
        .map(|l| {
            json!({
                "server": l.server.name(),
                "for": l.what,
                "items": l.items,
                "via": if l.via_batch { "BatchWriteItem" } else { "PutItem" },
                "seconds": l.elapsed.as_secs_f64(),
            })
        })
        .collect();
    let scaling: Vec<Value> = results
        .scaling
        .iter()
        .map(|s| {
            let mut row = json!({"server": s.server.name(), "items": s.items, "op": s.op});
            merge(&mut row, outcome_json(&s.outcome));
            row
        })
        .collect();
    let snapshots: Vec<Value> = results
        .snapshots
        .iter()
        .map(|r| match r {
            Ok(r) => json!({
                "server": r.server.name(),
                "items": r.items,
                "size_bytes": r.size_bytes,
                "snapshot_ms": r.snapshot.iter().map(|d| d.as_secs_f64() * 1000.0).collect::<Vec<_>>(),
                "restore_ms": r.restore.iter().map(|d| d.as_secs_f64() * 1000.0).collect::<Vec<_>>(),
            }),
            Err((kind, e)) => json!({"server": kind.name(), "error": e}),
        })
        .collect();
    let seeds: Vec<Value> = results
        .seeds
        .iter()
        .map(|r| match r {
            Ok(r) => json!({
                "server": r.server.name(),
                "items": r.items,
                "seeded_startup_ms": r.seeded_startup.as_secs_f64() * 1000.0,
                "plain_startup_ms": r.plain_startup.as_secs_f64() * 1000.0,
                "items_per_sec": r.items_per_sec(),
            }),
            Err((kind, e)) => json!({"server": kind.name(), "error": e}),
        })
        .collect();
    let versions: serde_json::Map<String, Value> = results
        .versions
        .iter()
        .map(|(k, v)| (k.name().to_string(), json!(v)))
        .collect();
    json!({
        "timestamp": timestamp(unix_secs(results.started), false),
        "elapsed_s": results.elapsed.as_secs_f64(),
        "cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "note": "loopback on a small shared machine: numbers are noisy, compare within one run",
        "options": {
            "quick": options.quick,
            "servers": options.servers.iter().map(|k| k.name()).collect::<Vec<_>>(),
            "workloads": options.workloads.iter().map(|w| json!({
                "name": w.name(),
                "description": w.describe(sizes),
                "ops": options.concurrency.iter().map(|&c| w.ops(sizes, c)).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "concurrency": options.concurrency,
            "scan_items": sizes.scan_items,
            "get_items": sizes.get_items,
            "query_partitions": sizes.query_partitions,
            "phase_limit_s": options.limit.as_secs(),
            "scaling_sizes": options.scaling,
            "vector_sizes": options.vectors,
        },
        "versions": versions,
        "servers": servers,
        "results": rows,
        "loads": loads,
        "scaling": scaling,
        "snapshots": snapshots,
        "seeding": seeds,
        "startups": results.startups.iter().map(|(kind, times)| match times {
            Ok(times) => json!({"server": kind.name(), "startup_ms": times.iter().map(|d| d.as_secs_f64() * 1000.0).collect::<Vec<_>>()}),
            Err(e) => json!({"server": kind.name(), "error": e}),
        }).collect::<Vec<_>>(),
        "vectors": results.vectors.iter().map(|v| {
            let mut row = json!({"server": v.server.name(), "items": v.items, "op": v.op, "concurrency": v.concurrency});
            merge(&mut row, outcome_json(&v.outcome));
            row
        }).collect::<Vec<_>>(),
    })
}

fn merge(into: &mut Value, from: Value) {
    if let (Some(into), Value::Object(from)) = (into.as_object_mut(), from) {
        into.extend(from);
    }
}

fn outcome_json(outcome: &Outcome) -> Value {
    match outcome {
        Outcome::Measured(p) => {
            let q = |q: f64| p.latency.value_at_quantile(q);
            json!({
                "status": if p.ok == 0 { "errors" } else { "ok" },
                "ok": p.ok,
                "errors": p.errors,
                "first_error": p.first_error,
                "seconds": p.elapsed.as_secs_f64(),
                "ops_per_s": p.ops_per_sec(),
                "latency_us": {
                    "p50": q(0.5), "p90": q(0.9), "p99": q(0.99), "max": p.latency.max(),
                    "mean": p.latency.mean(),
                },
                "time_capped": p.capped,
                "server_cpu_s": p.server_cpu.map(|d| d.as_secs_f64()),
                "load_generator_cpu_s": p.client_cpu.map(|d| d.as_secs_f64()),
                "server_cpu_us_per_op": p.cpu_per_op_us(p.server_cpu),
                "load_generator_cpu_us_per_op": p.cpu_per_op_us(p.client_cpu),
            })
        }
        Outcome::Unsupported(e) => json!({"status": "unsupported", "error": e}),
        Outcome::Failed(e) => json!({"status": "failed", "error": e}),
    }
}

/// Microseconds as milliseconds with sensible precision.
fn ms(us: u64) -> String {
    let ms = us as f64 / 1000.0;
    match ms {
        m if m < 1.0 => format!("{m:.3}"),
        m if m < 100.0 => format!("{m:.2}"),
        m => format!("{m:.0}"),
    }
}

/// Operations per second: whole numbers with separators, decimals for slow operations (scans).
fn rate(x: f64) -> String {
    match x {
        x if x < 10.0 => format!("{x:.2}"),
        x if x < 100.0 => format!("{x:.1}"),
        x => thousands(x),
    }
}

/// CPU microseconds, whole above 10.
fn us(us: f64) -> String {
    match us {
        u if u < 10.0 => format!("{u:.1}"),
        u => thousands(u),
    }
}

fn mib(kib: u64) -> String {
    format!("{:.0}", kib as f64 / 1024.0)
}

/// 12345.6 -> "12,346".
fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn short_count(n: u64) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1000 && n % 1000 == 0 => format!("{}k", n / 1000),
        n => n.to_string(),
    }
}

fn short(text: &str) -> String {
    let first = text.lines().next().unwrap_or("");
    match first.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &first[..at]),
        None => first.to_string(),
    }
}

/// A UTC time: `20260421T194447Z` (`compact`) or `2026-04-21 19:44:47 UTC`, from awsim's own
/// ISO-8601 formatter (`2026-04-21T19:44:47.000`).
fn timestamp(secs: u64, compact: bool) -> String {
    let iso = awsim::engine::clock::iso8601(secs as f64);
    let (date, time) = iso.split_once('T').unwrap_or((&iso, ""));
    let time = time.split('.').next().unwrap_or(time);
    match compact {
        true => format!("{}T{}Z", date.replace('-', ""), time.replace(':', "")),
        false => format!("{date} {time} UTC"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The file name and report header depend on this conversion; no date crate is pulled in.
    #[test]
    fn timestamp_renders_utc() {
        assert_eq!(timestamp(0, true), "19700101T000000Z");
        assert_eq!(timestamp(1_776_800_687, false), "2026-04-21 19:44:47 UTC");
    }

    // Thousands separators in the ops/s cells.
    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(1234567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
    }
}
