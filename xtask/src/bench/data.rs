//! `cargo xtask bench --data`: data that moves, in process on a file-backed store (a fresh
//! temporary data dir): a table of N items (100k by default, `--data-items N`), then a backup, a
//! restore of it, an export (PITR on, the default local object store), an import of that
//! export and a bulk put of it into an existing table, each timed from the request to the end of its background job, with the process's
//! peak RSS during the phase (`VmHWM`, reset before each phase through `/proc/self/clear_refs`).
//! Runs in the release-mode load generator, like `--expr`.
use awsim::dispatch::call;
use awsim::engine::Engine;
use awsim::model::Scope;
use awsim::protocol::Service;
use serde_json::{json, Value};
use std::time::Instant;

/// Peak resident set size (KiB) since the last reset, from /proc/self/status.
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets the peak RSS to the current RSS (Linux 4.0 and later).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

struct Phase {
    name: &'static str,
    items: u64,
    secs: f64,
    peak_mib: Option<f64>,
}

pub fn run(items: usize) -> Result<String, String> {
    let dir = std::env::temp_dir().join(format!("awsim-bench-data-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = awsim::Config {
        data_dir: dir.clone(),
        in_memory: false,
        ..awsim::Config::in_memory()
    };
    let engine = Engine::open(&config).map_err(|e| e.to_string())?;
    let scope = Scope {
        account: "000000000000".into(),
        region: "us-east-1".into(),
    };
    let call = |op: &str, body: Value| -> Result<Value, String> {
        call(&engine, &scope, Service::DynamoDb, op, &body).map_err(|e| format!("{op}: {e}"))
    };
    let table = |name: &str| {
        json!({"TableName": name, "BillingMode": "PAY_PER_REQUEST",
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]})
    };
    call("CreateTable", table("bench"))?;
    let load = Instant::now();
    for chunk in (0..items).collect::<Vec<_>>().chunks(25) {
        let puts: Vec<Value> = chunk
            .iter()
            .map(|i| {
                json!({"PutRequest": {"Item": {
                    "pk": {"S": format!("item-{i:08}")},
                    "n": {"N": i.to_string()},
                    "body": {"S": "x".repeat(150)},
                    "tags": {"SS": ["a", format!("t{}", i % 13)]}
                }}})
            })
            .collect();
        call("BatchWriteItem", json!({"RequestItems": {"bench": puts}}))?;
    }
    let load_secs = load.elapsed().as_secs_f64();
    call(
        "UpdateContinuousBackups",
        json!({"TableName": "bench", "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}),
    )?;
    let bucket = dir.join("s3").join("bench-bucket");
    std::fs::create_dir_all(&bucket).map_err(|e| e.to_string())?;
    let count = |name: &str| -> Result<u64, String> {
        Ok(
            call("DescribeTable", json!({"TableName": name}))?["Table"]["ItemCount"]
                .as_u64()
                .unwrap_or(0),
        )
    };
    let mut phases = Vec::new();
    let mut timed = |name: &'static str,
                     start: &dyn Fn() -> Result<Value, String>,
                     done: &dyn Fn(&Value) -> Result<u64, String>|
     -> Result<Value, String> {
        reset_peak();
        let t = Instant::now();
        let answer = start()?;
        engine.run_pending_jobs().map_err(|e| e.to_string())?;
        let secs = t.elapsed().as_secs_f64();
        let moved = done(&answer)?;
        phases.push(Phase {
            name,
            items: moved,
            secs,
            peak_mib: peak_kib().map(|k| k as f64 / 1024.0),
        });
        Ok(answer)
    };
    let backup = timed(
        "backup",
        &|| {
            call(
                "CreateBackup",
                json!({"TableName": "bench", "BackupName": "bench-backup"}),
            )
        },
        &|a| {
            let arn = a["BackupDetails"]["BackupArn"].clone();
            let d = call("DescribeBackup", json!({"BackupArn": arn}))?;
            Ok(d["BackupDescription"]["SourceTableDetails"]["ItemCount"]
                .as_u64()
                .unwrap_or(0))
        },
    )?;
    let arn = backup["BackupDetails"]["BackupArn"].clone();
    timed(
        "restore",
        &|| {
            call(
                "RestoreTableFromBackup",
                json!({"BackupArn": arn, "TargetTableName": "restored"}),
            )
        },
        &|_| count("restored"),
    )?;
    let export = timed(
        "export",
        &|| {
            call(
                "ExportTableToPointInTime",
                json!({"TableArn": "bench", "S3Bucket": "bench-bucket", "S3Prefix": "x"}),
            )
        },
        &|a| {
            let arn = a["ExportDescription"]["ExportArn"].clone();
            let d = call("DescribeExport", json!({"ExportArn": arn}))?;
            Ok(d["ExportDescription"]["ItemCount"].as_u64().unwrap_or(0))
        },
    )?;
    let export_arn = export["ExportDescription"]["ExportArn"]
        .as_str()
        .unwrap_or_default();
    let export_id = export_arn
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    timed(
        "import",
        &|| {
            call(
                "ImportTable",
                json!({"S3BucketSource": {"S3Bucket": "bench-bucket", "S3KeyPrefix": format!("x/AWSDynamoDB/{export_id}")},
                       "InputFormat": "DYNAMODB_JSON", "InputCompressionType": "GZIP",
                       "TableCreationParameters": table("imported")}),
            )
        },
        &|_| count("imported"),
    )?;
    call("CreateTable", table("bulk"))?;
    timed(
        "bulk put",
        &|| {
            call(
                "StartBulkPutItems",
                json!({"TableName": "bulk",
                       "InputS3Configuration": {"S3Bucket": "bench-bucket", "S3KeyPrefix": format!("x/AWSDynamoDB/{export_id}"),
                           "InputFormat": "DYNAMODB_JSON", "InputCompressionType": "GZIP"},
                       "OutputS3Configuration": {"S3Bucket": "bench-bucket", "OutputType": ["ERROR"]}}),
            )
        },
        &|_| count("bulk"),
    )?;
    engine.close();
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
    let mut out = format!(
        "## Data that moves ({items} items of ~200 bytes, file-backed store, in process)\n\n\
         loaded by BatchWriteItem in {load_secs:.1} s ({:.0} items/s)\n\n\
         | phase | items | seconds | items/s | peak RSS (MiB) |\n|---|---:|---:|---:|---:|\n",
        items as f64 / load_secs
    );
    for p in &phases {
        out.push_str(&format!(
            "| {} | {} | {:.2} | {:.0} | {} |\n",
            p.name,
            p.items,
            p.secs,
            p.items as f64 / p.secs,
            p.peak_mib.map_or("n/a".into(), |m| format!("{m:.0}"))
        ));
    }
    Ok(out)
}
