//! `--seed FILE` (`AWSIM_SEED`): tables and items loaded from a JSON file at start-up, before
//! the first request is answered. The file's format (README, "Seeding"):
//!
//! ```json
//! {"tables": [
//!   {"account": "000000000000", "region": "us-east-1",
//!    "TableName": "users", "KeySchema": [...], "AttributeDefinitions": [...], ...,
//!    "TimeToLiveSpecification": {"AttributeName": "expires", "Enabled": true},
//!    "Items": [{"pk": {"S": "u1"}, ...}, ...]}
//! ]}
//! ```
//!
//! Each entry is a CreateTable request (as `aws dynamodb create-table --cli-input-json` takes
//! it) plus awsim's `account` and `region` (both optional) and `Items` in DynamoDB JSON. Every
//! request goes through `dispatch::call`, so the file is validated exactly as an SDK's requests
//! are. Idempotent: an existing table is kept as it is (not compared), items are put (the same
//! key is overwritten), TTL is enabled only when it is not. A progress line is logged every
//! second on a long load. Knows the operations only by name; no HTTP.
use crate::dispatch;
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::model::Scope;
use crate::protocol::Service;
use serde_json::{json, Map, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// Items per BatchWriteItem (the service's limit).
const BATCH: usize = 25;

/// What a seed run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub tables_created: usize,
    pub tables_kept: usize,
    pub items: usize,
}

/// Reads and applies a seed file.
pub fn load_file(engine: &Engine, path: &Path) -> Result<Summary> {
    let fail = |what: String| Error::validation(format!("seed file {}: {what}", path.display()));
    let text = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let doc: Value = serde_json::from_slice(&text).map_err(|e| fail(e.to_string()))?;
    let started = Instant::now();
    let summary = load(engine, &doc).map_err(|e| fail(e.message.unwrap_or_default()))?;
    tracing::info!(
        "seeded from {}: {} tables created, {} kept, {} items in {:.2} s",
        path.display(),
        summary.tables_created,
        summary.tables_kept,
        summary.items,
        started.elapsed().as_secs_f64()
    );
    Ok(summary)
}

/// Applies a parsed seed document.
pub fn load(engine: &Engine, doc: &Value) -> Result<Summary> {
    let tables = doc
        .get("tables")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::validation("expected {\"tables\": [...]}"))?;
    let total: usize = tables
        .iter()
        .filter_map(|t| t.get("Items").and_then(Value::as_array))
        .map(Vec::len)
        .sum();
    let mut progress = Progress::new(total);
    let mut summary = Summary::default();
    for (i, table) in tables.iter().enumerate() {
        let Some(entry) = table.as_object() else {
            return Err(Error::validation(format!("tables[{i}] is not an object")));
        };
        let name = entry
            .get("TableName")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let at = |e: Error| {
            let message = e.message.unwrap_or_else(|| e.kind.wire().0.to_string());
            Error::validation(format!("table {name:?} (tables[{i}]): {message}"))
        };
        let scope = scope(entry).map_err(at)?;
        let mut create = Map::new();
        for (k, v) in entry {
            if !matches!(
                k.as_str(),
                "account" | "region" | "Items" | "TimeToLiveSpecification"
            ) {
                create.insert(k.clone(), v.clone());
            }
        }
        if engine.table_exists(&scope, &name) {
            summary.tables_kept += 1;
        } else {
            call(engine, &scope, "CreateTable", Value::Object(create)).map_err(at)?;
            summary.tables_created += 1;
        }
        if let Some(spec) = entry.get("TimeToLiveSpecification") {
            let current = call(
                engine,
                &scope,
                "DescribeTimeToLive",
                json!({"TableName": name}),
            )
            .map_err(at)?;
            let status = current["TimeToLiveDescription"]["TimeToLiveStatus"].as_str();
            if status != Some("ENABLED") {
                let request = json!({"TableName": name, "TimeToLiveSpecification": spec});
                call(engine, &scope, "UpdateTimeToLive", request).map_err(at)?;
            }
        }
        let items = match entry.get("Items") {
            None => &[][..],
            Some(Value::Array(items)) => items.as_slice(),
            Some(_) => return Err(at(Error::validation("Items must be a list of items"))),
        };
        for (n, chunk) in items.chunks(BATCH).enumerate() {
            let puts: Vec<Value> = chunk
                .iter()
                .map(|item| json!({"PutRequest": {"Item": item}}))
                .collect();
            let request = json!({"RequestItems": {name.as_str(): puts}});
            call(engine, &scope, "BatchWriteItem", request).map_err(|e| {
                let first = n * BATCH;
                let message = e.message.unwrap_or_else(|| e.kind.wire().0.to_string());
                at(Error::validation(format!(
                    "items {first}..{}: {message}",
                    first + chunk.len()
                )))
            })?;
            summary.items += chunk.len();
            progress.advance(chunk.len(), &name);
        }
    }
    Ok(summary)
}

/// The entry's account (12 digits, default `000000000000`) and region (default `us-east-1`).
fn scope(entry: &Map<String, Value>) -> Result<Scope> {
    let field = |key: &str, default: &str| match entry.get(key) {
        None => Ok(default.to_string()),
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(_) => Err(Error::validation(format!(
            "{key} must be a non-empty string"
        ))),
    };
    let account = field("account", "000000000000")?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::validation(format!(
            "account {account:?} is not 12 digits"
        )));
    }
    Ok(Scope {
        account,
        region: field("region", "us-east-1")?,
    })
}

fn call(engine: &Engine, scope: &Scope, op: &str, body: Value) -> Result<Value> {
    dispatch::call(engine, scope, Service::DynamoDb, op, &body).map_err(|e| match e.kind {
        // Internal faults keep their kind (they were logged where they happened).
        ErrorKind::Internal => e,
        _ => {
            let ty = e.kind.wire().0;
            let ty = ty.rsplit('#').next().unwrap_or(ty);
            Error::validation(format!("{op}: {ty}: {}", e.message.unwrap_or_default()))
        }
    })
}

/// A progress line at most once a second while items load (none for a load under a second).
struct Progress {
    total: usize,
    done: usize,
    started: Instant,
    last: Instant,
}

impl Progress {
    fn new(total: usize) -> Progress {
        let now = Instant::now();
        Progress {
            total,
            done: 0,
            started: now,
            last: now,
        }
    }

    fn advance(&mut self, n: usize, table: &str) {
        self.done += n;
        if self.last.elapsed() >= Duration::from_secs(1) {
            self.last = Instant::now();
            let rate = self.done as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
            tracing::info!(
                "seeding: {}/{} items ({:.0}%), {:.0} items/s, now {table}",
                self.done,
                self.total,
                100.0 * self.done as f64 / self.total.max(1) as f64,
                rate
            );
        }
    }
}
