//! What test suites ask of awsim besides throughput: start-up side by side with the peers
//! (spawn to the first answer, the servers started in turn, round after round), and, timed on
//! awsim alone (the peers have no such endpoints), a whole-database snapshot and its restore at
//! 10k items (`POST /_awsim/snapshots`, `POST /_awsim/snapshots/<name>/restore`) and seeding
//! from a file at start-up (`--seed`): start-up with a seed file minus start-up without one,
//! per item.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use super::servers::{Kind, Programs, Running};
use super::workload::{self, Keys};

/// Snapshot and restore rounds timed per server.
const ROUNDS: usize = 7;

/// One server's snapshot figures.
pub struct SnapshotRow {
    pub server: Kind,
    pub items: u64,
    /// Client-observed times (request sent to answer read), one per round.
    pub snapshot: Vec<Duration>,
    pub restore: Vec<Duration>,
    pub size_bytes: u64,
}

/// One server's seeding figures.
pub struct SeedRow {
    pub server: Kind,
    pub items: u64,
    /// Spawn to the first answered ListTables, with the seed file.
    pub seeded_startup: Duration,
    /// The same without a seed file (same run).
    pub plain_startup: Duration,
}

impl SeedRow {
    pub fn items_per_sec(&self) -> f64 {
        let spent = self.seeded_startup.saturating_sub(self.plain_startup);
        self.items as f64 / spent.as_secs_f64().max(1e-9)
    }
}

/// Start-up times of the servers, measured side by side: in each round every server is
/// started once (spawn to the first ListTables answered) and stopped, the order rotating from
/// round to round so that none always goes first after another's exit.
pub async fn startups(
    kinds: &[Kind],
    programs: &Programs,
    log_dir: &Path,
    rounds: usize,
) -> Vec<(Kind, Result<Vec<Duration>, String>)> {
    let mut out: Vec<(Kind, Result<Vec<Duration>, String>)> =
        kinds.iter().map(|k| (*k, Ok(Vec::new()))).collect();
    for round in 0..rounds {
        let mut order: Vec<usize> = (0..kinds.len()).collect();
        order.rotate_left(round % kinds.len().max(1));
        for i in order {
            let (kind, times) = &mut out[i];
            let Ok(list) = times else { continue };
            match Running::start(*kind, programs, log_dir).await {
                Ok(server) => list.push(server.startup),
                Err(e) => *times = Err(e),
            }
        }
    }
    out
}

/// Loads `items` items, then times ROUNDS snapshot + change + restore cycles.
pub async fn snapshots(server: &Running, items: u64) -> Result<SnapshotRow, String> {
    workload::create_table(server.addr, workload::TABLE).await?;
    workload::load(server.addr, Keys::Get, 0..items).await?;
    let http = reqwest::Client::new();
    let mut row = SnapshotRow {
        server: server.kind,
        items,
        snapshot: Vec::new(),
        restore: Vec::new(),
        size_bytes: 0,
    };
    for round in 0..ROUNDS {
        let (took, answer) = admin(&http, server.addr, "snapshots", r#"{"name":"bench"}"#).await?;
        row.snapshot.push(took);
        row.size_bytes = answer["size_bytes"].as_u64().unwrap_or(0);
        // A change for the restore to undo: one more item.
        workload::load(
            server.addr,
            Keys::Get,
            items + round as u64..items + round as u64 + 1,
        )
        .await?;
        let (took, _) = admin(&http, server.addr, "snapshots/bench/restore", "").await?;
        row.restore.push(took);
    }
    Ok(row)
}

async fn admin(
    http: &reqwest::Client,
    addr: SocketAddr,
    path: &str,
    body: &str,
) -> Result<(Duration, serde_json::Value), String> {
    let started = Instant::now();
    let resp = http
        .post(format!("http://{addr}/_awsim/{path}"))
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| format!("POST /_awsim/{path}: {e}"))?;
    let status = resp.status();
    let value: serde_json::Value = resp.json().await.map_err(|e| e.to_string())?;
    let took = started.elapsed();
    if !status.is_success() {
        return Err(format!("POST /_awsim/{path}: {status} {value}"));
    }
    Ok((took, value))
}

/// Writes a seed file of `items` bench items (one table) and times a start with it against a
/// start without it.
pub async fn seeding(
    kind: Kind,
    programs: &Programs,
    log_dir: &Path,
    items: u64,
) -> Result<SeedRow, String> {
    let dir = log_dir.join("../tmp");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(format!("seed-{items}.json"));
    std::fs::write(&path, workload::seed_file(items))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let plain = Running::start(kind, programs, log_dir).await?;
    let plain_startup = plain.startup;
    drop(plain);
    let seed_arg = path.display().to_string();
    let seeded = Running::start_with(kind, programs, log_dir, &["--seed", &seed_arg]).await?;
    let row = SeedRow {
        server: kind,
        items,
        seeded_startup: seeded.startup,
        plain_startup,
    };
    drop(seeded);
    let _ = std::fs::remove_file(&path);
    Ok(row)
}
