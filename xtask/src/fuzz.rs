//! `cargo xtask fuzz-wire`: a million or more mutated requests (the fuzzer lives in
//! conformance/fuzz/wire.rs, shared with the `fuzz` test) against the release binary, which must
//! answer every one promptly and without a 5xx, and still be alive and sound at the end.
use crate::wire;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

const USAGE: &str =
    "usage: cargo xtask fuzz-wire [--requests N] [--concurrency C] [--seed S] [--timeout-ms T]
      build awsim and this program (release), start awsim on a fresh data directory, create the
      fixtures' tables and items, then send N mutated requests (default 1,000,000) over C
      connections (default 32); fails on any 5xx, an answer slower than T ms (default 1000),
      or a server that stops answering. Failing requests are written to target/fuzz-wire/.";

/// Set for the release-mode child, so it does not hand over again.
const RELEASE_CHILD: &str = "AWSIM_FUZZ_RELEASE";

pub fn fuzz_wire(root: &Path, args: &[String]) -> Result<(), String> {
    let mut opts = wire::Options {
        requests: 1_000_000,
        concurrency: 32,
        seed: 0x5EED,
        timeout: Duration::from_millis(1000),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut num = |what: &str| -> Result<u64, String> {
            it.next()
                .and_then(|v| v.replace('_', "").parse().ok())
                .ok_or_else(|| format!("{arg} needs {what}\n{USAGE}"))
        };
        match arg.as_str() {
            "--requests" => opts.requests = num("a count")?,
            "--concurrency" => opts.concurrency = num("a count")?.max(1) as usize,
            "--seed" => opts.seed = num("a number")?,
            "--timeout-ms" => opts.timeout = Duration::from_millis(num("milliseconds")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if std::env::var_os(RELEASE_CHILD).is_none() {
        return in_release(root, args);
    }
    let data = root.join("target/fuzz-wire/data");
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
    let mut child = Command::new(root.join("target/release/awsim"))
        .args(["--host", "127.0.0.1", "--port", "0", "--log-level", "error"])
        .arg("--data-dir")
        .arg(&data)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start awsim: {e}"))?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let addr: std::net::SocketAddr = line
        .split_whitespace()
        .find_map(|w| w.trim_start_matches("http://").parse().ok())
        .ok_or_else(|| format!("awsim did not print its address: {line:?}"))?;
    let seeds = Arc::new(wire::seeds(&root.join("fixtures")));
    println!(
        "fuzz-wire: awsim at {addr}; {} seed requests; {} mutated requests over {} connections (seed {:#x})",
        seeds.len(),
        opts.requests,
        opts.concurrency,
        opts.seed
    );
    let runtime = crate::runtime()?;
    let report = runtime.block_on(async {
        wire::prepare(addr, &seeds).await;
        wire::run(addr, seeds.clone(), opts.clone()).await
    });
    let alive = child.try_wait().map(|s| s.is_none()).unwrap_or(false);
    let _ = child.kill();
    let _ = child.wait();
    println!("fuzz-wire: {}", report.summary());
    let integrity = integrity(&data.join("dynamodb.db"));
    println!("fuzz-wire: server alive at the end: {alive}; integrity_check: {integrity}");
    let out = root.join("target/fuzz-wire");
    for (i, f) in report.failures.iter().enumerate() {
        let path = out.join(format!("failure-{i}.http"));
        let _ = std::fs::write(&path, &f.request);
        println!("  {} -> {}", f.why, path.display());
    }
    if !report.failures.is_empty() || !alive || integrity != "ok" || report.sent < opts.requests {
        return Err(format!(
            "{} failures, server alive: {alive}, integrity: {integrity}",
            report.failures.len()
        ));
    }
    Ok(())
}

/// `PRAGMA integrity_check` of the database the server left behind.
fn integrity(db: &Path) -> String {
    let conn =
        match rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        {
            Ok(c) => c,
            Err(e) => return format!("cannot open: {e}"),
        };
    conn.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))
        .unwrap_or_else(|e| e.to_string())
}

/// The fuzzer mutates and parses a million JSON documents: build it (with awsim) in release
/// mode and let that build do the run.
fn in_release(root: &Path, args: &[String]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let command = [
        "build",
        "--release",
        "-p",
        "xtask",
        "--bin",
        "xtask",
        "-p",
        "awsim",
        "--bin",
        "awsim",
    ];
    println!("$ cargo {}", command.join(" "));
    let status = Command::new(cargo)
        .args(command)
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build --release failed ({status})"));
    }
    let status = Command::new(root.join("target/release/xtask"))
        .arg("fuzz-wire")
        .args(args)
        .env(RELEASE_CHILD, "1")
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run target/release/xtask: {e}"))?;
    match status.success() {
        true => Ok(()),
        false => Err(format!("the wire fuzzer failed ({status})")),
    }
}
