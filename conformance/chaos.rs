//! Crash consistency under load: the short run of `cargo xtask chaos`, whose workload and checks
//! are included here. Three writers drive the real binary (puts, conditional updates, counters,
//! deletes, batches, transactions with ClientRequestTokens, expiring items, clock moves) while a
//! stream reader and a TransactGetItems reader follow; the server is killed with SIGKILL three
//! times, each after a number of acknowledged operations fixed by the seed (no wall-clock
//! waits). After each kill the database passes SQLite's integrity check; after each restart the
//! server holds exactly what was acknowledged (each in-flight request whole or not at all), no
//! transaction is partly visible, and the indexes and the stream agree with the items.
#[path = "../xtask/src/chaos/mod.rs"]
mod chaos;

use std::path::Path;
use std::time::Duration;

// The durability promise (every acknowledged write survives `kill -9`) under concurrent load,
// for every kind of write, with the consistency of what is derived from items (indexes,
// stream, live counts) and all-or-nothing batches and transactions across the crash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_state_survives_kill_9_under_load() {
    let options = chaos::Options {
        kills: 3,
        seed: 2026,
        writers: 3,
        ops: (100, 300),
        jitter: Duration::ZERO,
        work_dir: std::env::temp_dir().join(format!("awsim-chaos-{}", std::process::id())),
        verbose: false,
    };
    let awsim = Path::new(env!("CARGO_BIN_EXE_awsim"));
    let summary = chaos::run(awsim, &options).await.expect("the run");
    assert!(summary.violations.is_empty(), "{summary}");
    assert_eq!(
        (summary.kills, summary.integrity_checks),
        (3, 3),
        "{summary}"
    );
    println!("{summary}");
}
