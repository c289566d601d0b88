//! `cargo xtask <command>`: the project's scripted chores. `conformance` replays the recorded
//! fixtures, `record` records scenarios against DynamoDB Local, `ci` runs what `.ci/run` runs,
//! `bench` benchmarks awsim against its peers.
mod bench;
#[path = "../../conformance/harness/mod.rs"]
mod harness;
mod record;

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
      cargo fmt --check, cargo clippy -D warnings, cargo test (as .ci/run)
  cargo xtask bench ... (see `cargo xtask bench --help`)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let result = match args.first().map(String::as_str) {
        Some("conformance") => conformance(rest),
        Some("record") => record::record(&root(), rest),
        Some("ci") if rest.is_empty() => ci(),
        Some("bench") => bench::bench(&root(), rest),
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

/// The same steps as `.ci/run`.
fn ci() -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let steps: [&[&str]; 3] = [
        &["fmt", "--all", "--", "--check"],
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        &["test", "--workspace"],
    ];
    for step in steps {
        println!("$ cargo {}", step.join(" "));
        let status = Command::new(&cargo)
            .args(step)
            .current_dir(root())
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !status.success() {
            return Err(format!("`cargo {}` failed ({status})", step.join(" ")));
        }
    }
    Ok(())
}
