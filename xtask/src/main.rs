//! `cargo xtask <command>`: the project's scripted chores. `conformance` replays the recorded
//! fixtures, `record` records scenarios against DynamoDB Local, `ci` runs what `.ci/run` runs,
//! `bench` benchmarks awsim against its peers, `chaos` kills it under load and checks what survives.
mod bench;
mod chaos;
mod fuzz;
#[path = "../../conformance/harness/mod.rs"]
mod harness;
mod record;
#[path = "../../conformance/fuzz/wire.rs"]
mod wire;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const USAGE: &str = "usage:
  cargo xtask conformance [--endpoint URL] [--filter TEXT] [--check-headers]
                          [--access-key KEY --secret-key SECRET [--session-token T] [--region R]
                           | --aws-env]
      replay fixtures/ against a fresh in-process awsim per fixture, or against URL
      (--check-headers: also check awsim's response headers at URL). Requests are signed
      with SigV4: by default with a fresh fixture key per fixture (secret `test`); with real
      credentials (the flags, or --aws-env for AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
      AWS_SESSION_TOKEN, AWS_REGION) every request is signed with them, and the tables each
      fixture created are deleted before the next fixture
  cargo xtask record (--all | SCENARIO...)
      record scenarios (area/case, or a path to a scenario file) against DynamoDB Local
  cargo xtask ci
      .ci/run: cargo fmt --check, cargo clippy -D warnings, scripts/test
  cargo xtask bench ... (see `cargo xtask bench --help`)
  cargo xtask fuzz-wire [--requests N] [--concurrency C] [--seed S] [--timeout-ms T]
      a million mutated requests against the release binary: no 5xx, no hang, no crash
  cargo xtask chaos [--kills N] [--seed S] [--writers N] [--ops MIN-MAX] [--no-build]
      build awsim (release), run concurrent writers against it and kill it with SIGKILL N times
      (default 20) at random moments; after each kill check the database file's integrity, and
      after each restart that every acknowledged write is there, no transaction is partly
      visible, indexes and stream agree with the items and expired items are gone";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let result = match args.first().map(String::as_str) {
        Some("conformance") => conformance(rest),
        Some("record") => record::record(&root(), rest),
        Some("ci") if rest.is_empty() => ci(),
        Some("bench") => bench::bench(&root(), rest),
        Some("ceiling") => bench::ceiling::serve(rest),
        Some("fuzz-wire") => fuzz::fuzz_wire(&root(), rest),
        Some("chaos") => chaos(rest),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the awsim package).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start tokio: {e}"))
}

fn conformance(args: &[String]) -> Result<(), String> {
    let (mut endpoint, mut filter, mut headers) = (None, None, false);
    let (mut key, mut secret, mut token, mut region, mut from_env) =
        (None, None, None, None, false);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |what: &str| {
            args.next()
                .cloned()
                .ok_or_else(|| format!("{arg} needs {what}"))
        };
        match arg.as_str() {
            "--endpoint" => endpoint = Some(value("a URL")?),
            "--filter" => filter = Some(value("a text")?),
            "--check-headers" => headers = true,
            "--access-key" => key = Some(value("an access key id")?),
            "--secret-key" => secret = Some(value("a secret access key")?),
            "--session-token" => token = Some(value("a session token")?),
            "--region" => region = Some(value("a region")?),
            "--aws-env" => from_env = true,
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if from_env {
        key = key.or_else(|| env("AWS_ACCESS_KEY_ID"));
        secret = secret.or_else(|| env("AWS_SECRET_ACCESS_KEY"));
        token = token.or_else(|| env("AWS_SESSION_TOKEN"));
        region = region
            .or_else(|| env("AWS_REGION"))
            .or_else(|| env("AWS_DEFAULT_REGION"));
    }
    let credentials = match (key, secret) {
        (None, None) if from_env => {
            return Err("--aws-env: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set".into())
        }
        (None, None) => None,
        (Some(access_key), Some(secret_key)) => Some(harness::replay::Credentials {
            access_key,
            secret_key,
            session_token: token,
            region: region.unwrap_or_else(|| "us-east-1".into()),
        }),
        _ => return Err("real credentials need both an access key and a secret key".into()),
    };
    if credentials.is_some() && endpoint.is_none() {
        return Err("real credentials only make sense with --endpoint URL".into());
    }
    let dir = root().join("fixtures");
    let fixtures = harness::load_fixtures(&dir, filter.as_deref());
    if fixtures.is_empty() {
        return Err(format!("no fixtures to replay under {}", dir.display()));
    }
    let started = std::time::Instant::now();
    let outcomes = runtime()?.block_on(harness::replay::run(
        &fixtures,
        endpoint.as_deref(),
        headers,
        credentials.as_ref(),
    ));
    print!("{}", harness::report::render(&outcomes));
    let where_ = endpoint.unwrap_or_else(|| "in-process awsim".into());
    println!(
        "replayed {} fixtures against {where_} in {:.1?}",
        outcomes.len(),
        started.elapsed()
    );
    match outcomes.iter().filter(|o| !o.passed()).count() {
        0 => Ok(()),
        n => Err(format!("{n} of {} fixtures failed", outcomes.len())),
    }
}

fn chaos(args: &[String]) -> Result<(), String> {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64 % 1_000_000);
    let mut options = chaos::Options {
        kills: 20,
        seed,
        writers: 4,
        ops: (100, 1000),
        jitter: std::time::Duration::from_millis(3),
        work_dir: PathBuf::new(),
        verbose: true,
    };
    let mut build = true;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut number = |what: &str| -> Result<u64, String> {
            let value = args.next().ok_or_else(|| format!("{arg} needs {what}"))?;
            value
                .parse()
                .map_err(|_| format!("{arg} needs {what}, not {value:?}"))
        };
        match arg.as_str() {
            "--kills" => options.kills = number("a number")?.max(1) as u32,
            "--seed" => options.seed = number("a number")?,
            "--writers" => options.writers = number("a number")?.max(1) as usize,
            "--ops" => {
                let range = args.next().ok_or("--ops needs MIN-MAX")?;
                let parsed = range
                    .split_once('-')
                    .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
                    .filter(|(a, b): &(u64, u64)| *a >= 1 && a <= b);
                options.ops = parsed.ok_or(format!("--ops needs MIN-MAX, not {range:?}"))?;
            }
            "--no-build" => build = false,
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    if build {
        println!("$ cargo build --release --bin awsim");
        let status = Command::new(cargo)
            .args(["build", "--release", "--bin", "awsim"])
            .current_dir(root())
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !status.success() {
            return Err(format!("cargo build --release failed ({status})"));
        }
    }
    let awsim = root().join("target/release/awsim");
    options.work_dir = root().join(format!("target/chaos/seed-{}", options.seed));
    println!(
        "chaos: again with `cargo xtask chaos --seed {} --kills {} --writers {} --ops {}-{}`; data in {}",
        options.seed,
        options.kills,
        options.writers,
        options.ops.0,
        options.ops.1,
        options.work_dir.display()
    );
    let summary = runtime()?.block_on(chaos::run(&awsim, &options))?;
    print!("{summary}");
    match summary.violations.len() {
        0 => Ok(()),
        n => Err(format!(
            "{n} violations; the data directory and awsim's log are kept in {}",
            options.work_dir.display()
        )),
    }
}

/// The same steps as `.ci/run`.
fn ci() -> Result<(), String> {
    // Exactly what CI runs: formatting, lints, then README's test command (scripts/test).
    println!("$ .ci/run");
    let status = Command::new(root().join(".ci/run"))
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot run .ci/run: {e}"))?;
    match status.success() {
        true => Ok(()),
        false => Err(format!(".ci/run failed ({status})")),
    }
}
