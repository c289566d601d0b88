//! The backup family: on-demand backups (CreateBackup, DescribeBackup, ListBackups,
//! DeleteBackup, RestoreTableFromBackup) and point-in-time recovery (UpdateContinuousBackups,
//! DescribeContinuousBackups, RestoreTableToPointInTime). This module holds what they share:
//! the backup renderers and the restored table's metadata with every override the service
//! accepts. The copies themselves run in the engine's background jobs.
pub mod continuous_backups;
pub mod create_backup;
pub mod delete_backup;
pub mod describe_backup;
pub mod list_backups;
pub mod restore_table_from_backup;
pub mod restore_table_to_point_in_time;

use crate::engine::backups::BackupRow;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::{
    BillingMode, IndexDef, IndexKind, KeyType, RestoreState, Scope, Sse, TableMeta, Throughput,
};
use crate::ops::tables::create_table::{
    check_throughput, invalid, parse_gsi, parse_key_schema, parse_projection, parse_throughput,
};
use crate::ops::tables::describe_table::{render_description, render_key_schema};
use crate::ops::Input;
use serde_json::{json, Map, Value};

/// BackupDetails: what CreateBackup and DeleteBackup answer and DescribeBackup starts with.
pub fn render_details(b: &BackupRow) -> Value {
    let mut m = Map::new();
    m.insert("BackupArn".into(), json!(b.arn));
    m.insert("BackupName".into(), json!(b.name));
    if b.status != "CREATING" {
        m.insert("BackupSizeBytes".into(), json!(b.size_bytes));
    }
    m.insert("BackupStatus".into(), json!(b.status));
    m.insert("BackupType".into(), json!(b.backup_type));
    m.insert("BackupCreationDateTime".into(), json!(b.created));
    Value::Object(m)
}

/// One entry of ListBackups.
pub fn render_summary(b: &BackupRow) -> Value {
    let mut m = Map::new();
    m.insert("TableName".into(), json!(b.table_name));
    m.insert("TableId".into(), json!(b.meta.table_id()));
    m.insert("TableArn".into(), json!(b.meta.arn()));
    m.insert("BackupArn".into(), json!(b.arn));
    m.insert("BackupName".into(), json!(b.name));
    m.insert("BackupCreationDateTime".into(), json!(b.created));
    m.insert("BackupStatus".into(), json!(b.status));
    m.insert("BackupType".into(), json!(b.backup_type));
    if b.status != "CREATING" {
        m.insert("BackupSizeBytes".into(), json!(b.size_bytes));
    }
    Value::Object(m)
}

fn render_throughput(t: &Throughput) -> Value {
    json!({"ReadCapacityUnits": t.read, "WriteCapacityUnits": t.write})
}

fn render_projection(ix: &IndexDef) -> Value {
    let mut p = Map::new();
    p.insert("ProjectionType".into(), json!(ix.projection.ty.as_str()));
    if let Some(nka) = &ix.projection.non_key_attributes {
        p.insert("NonKeyAttributes".into(), json!(nka));
    }
    Value::Object(p)
}

/// DescribeBackup's BackupDescription: the details, the source table and its features.
pub fn render_description_of(b: &BackupRow) -> Value {
    let meta = &b.meta;
    let mut source = Map::new();
    source.insert("TableName".into(), json!(meta.name));
    source.insert("TableId".into(), json!(meta.table_id()));
    source.insert("TableArn".into(), json!(meta.arn()));
    source.insert("TableSizeBytes".into(), json!(b.size_bytes));
    source.insert("KeySchema".into(), render_key_schema(&meta.key));
    source.insert("TableCreationDateTime".into(), json!(meta.created));
    source.insert(
        "ProvisionedThroughput".into(),
        render_throughput(&meta.throughput),
    );
    source.insert("ItemCount".into(), json!(b.item_count));
    source.insert("BillingMode".into(), json!(meta.billing_mode.as_str()));
    let mut features = Map::new();
    if !meta.lsis.is_empty() {
        let lsis: Vec<Value> = meta
            .lsis
            .iter()
            .map(|ix| json!({"IndexName": ix.name, "KeySchema": render_key_schema(&ix.key), "Projection": render_projection(ix)}))
            .collect();
        features.insert("LocalSecondaryIndexes".into(), Value::Array(lsis));
    }
    if !meta.gsis.is_empty() {
        let gsis: Vec<Value> = meta
            .gsis
            .iter()
            .map(|ix| {
                let mut g = Map::new();
                g.insert("IndexName".into(), json!(ix.name));
                g.insert("KeySchema".into(), render_key_schema(&ix.key));
                g.insert("Projection".into(), render_projection(ix));
                let t = ix.throughput.clone().unwrap_or_default();
                g.insert("ProvisionedThroughput".into(), render_throughput(&t));
                Value::Object(g)
            })
            .collect();
        features.insert("GlobalSecondaryIndexes".into(), Value::Array(gsis));
    }
    if let Some(s) = meta.stream.as_ref().filter(|s| s.enabled) {
        features.insert(
            "StreamDescription".into(),
            json!({"StreamEnabled": true, "StreamViewType": s.view_type}),
        );
    }
    if let Some(t) = &meta.ttl {
        features.insert(
            "TimeToLiveDescription".into(),
            json!({"TimeToLiveStatus": if t.enabled { "ENABLED" } else { "DISABLED" }, "AttributeName": t.attribute}),
        );
    }
    if let Some(sse) = meta.sse.as_ref().filter(|s| s.enabled) {
        let mut d = Map::new();
        d.insert("Status".into(), json!("ENABLED"));
        d.insert(
            "SSEType".into(),
            json!(sse.sse_type.clone().unwrap_or_else(|| "KMS".into())),
        );
        if let Some(k) = &sse.kms_key {
            d.insert("KMSMasterKeyArn".into(), json!(k));
        }
        features.insert("SSEDescription".into(), Value::Object(d));
    }
    json!({
        "BackupDetails": render_details(b),
        "SourceTableDetails": Value::Object(source),
        "SourceTableFeatureDetails": Value::Object(features),
    })
}

/// The metadata of a table restored from `source` under `target`, with the request's
/// overrides: billing mode and provisioned throughput, GSIs and LSIs (a list replaces the
/// source's; indexes can be left out), SSE, on-demand throughput. Streams, TTL, tags, deletion
/// protection, PITR, policies and replicas are not carried over (the service says to set them
/// again on the restored table).
pub fn restored_meta(
    engine: &Engine,
    scope: &Scope,
    input: Input,
    source: &TableMeta,
    target: &str,
    restore: RestoreState,
) -> Result<TableMeta> {
    let defs = &source.attribute_definitions;
    let billing = match input.str("BillingModeOverride") {
        Some("PAY_PER_REQUEST") => BillingMode::PayPerRequest,
        Some(_) => BillingMode::Provisioned,
        None => source.billing_mode,
    };
    let override_tp = parse_throughput(input.obj("ProvisionedThroughputOverride"));
    let throughput = match (billing, override_tp) {
        (BillingMode::PayPerRequest, Some(_)) => {
            return Err(invalid(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            ))
        }
        (BillingMode::PayPerRequest, None) => Throughput::default(),
        (BillingMode::Provisioned, Some(t)) => {
            check_throughput(&t)?;
            t
        }
        (BillingMode::Provisioned, None) if source.billing_mode == BillingMode::Provisioned => {
            Throughput {
                read: source.throughput.read,
                write: source.throughput.write,
                ..Default::default()
            }
        }
        (BillingMode::Provisioned, None) => {
            return Err(invalid(
                "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
            ))
        }
    };
    let gsis = match input.list("GlobalSecondaryIndexOverride") {
        Some(list) => list
            .iter()
            .filter_map(Value::as_object)
            .map(|g| parse_gsi(Input(g), defs, billing))
            .collect::<Result<Vec<_>>>()?,
        None => source
            .gsis
            .iter()
            .cloned()
            .map(|mut g| {
                g.throughput = match billing {
                    BillingMode::PayPerRequest => None,
                    BillingMode::Provisioned => Some(g.throughput.clone().unwrap_or(Throughput {
                        read: throughput.read,
                        write: throughput.write,
                        ..Default::default()
                    })),
                };
                g.status = "ACTIVE".into();
                g.backfilling = false;
                g
            })
            .collect(),
    };
    let lsis = match input.list("LocalSecondaryIndexOverride") {
        Some(list) => list
            .iter()
            .filter_map(Value::as_object)
            .map(|l| parse_lsi(Input(l), defs, source))
            .collect::<Result<Vec<_>>>()?,
        None => source.lsis.clone(),
    };
    let mut names: Vec<&str> = Vec::new();
    for ix in gsis.iter().chain(lsis.iter()) {
        if names.contains(&ix.name.as_str()) {
            return Err(invalid(format!("Duplicate index name: {}", ix.name)));
        }
        names.push(&ix.name);
    }
    // Only the definitions some remaining key uses.
    let used = |name: &str| {
        source.key.contains(name) || gsis.iter().chain(lsis.iter()).any(|i| i.key.contains(name))
    };
    let attribute_definitions: Vec<(String, KeyType)> =
        defs.iter().filter(|(n, _)| used(n)).cloned().collect();
    let sse = match input.obj("SSESpecificationOverride") {
        Some(s) => Some(Sse {
            enabled: s.bool("Enabled").unwrap_or(false),
            sse_type: s.str("SSEType").map(String::from),
            kms_key: s.str("KMSMasterKeyId").map(String::from),
        }),
        None => source.sse.clone(),
    };
    // Vector indexes: the override's, or the source's (the restore fills them from the items).
    let vector_indexes = match input.list("VectorIndexOverride") {
        Some(list) => {
            let key_attrs: Vec<&str> = source
                .key
                .attrs()
                .chain(lsis.iter().chain(gsis.iter()).flat_map(|i| i.key.attrs()))
                .map(|a| a.name.as_str())
                .collect();
            let mut taken: Vec<String> = names.iter().map(|n| n.to_string()).collect();
            let mut out = Vec::new();
            for v in list.iter().filter_map(Value::as_object).map(Input) {
                let ix = crate::ops::tables::vector_indexes::parse_vector_index(
                    v, defs, &key_attrs, &taken,
                )?;
                taken.push(ix.name.clone());
                out.push(ix);
            }
            out
        }
        None => source.vector_indexes.clone(),
    };
    let now = engine.now();
    Ok(TableMeta {
        id: 0,
        account: scope.account.clone(),
        region: scope.region.clone(),
        name: target.to_string(),
        key: source.key.clone(),
        attribute_definitions,
        billing_mode: billing,
        throughput,
        created: now,
        last_update_to_pay_per_request: (billing == BillingMode::PayPerRequest).then_some(now),
        gsis,
        lsis,
        vector_indexes,
        stream: None,
        ttl: None,
        sse,
        table_class: source.table_class.clone(),
        deletion_protection: false,
        tags: Vec::new(),
        status: "CREATING".into(),
        pitr: None,
        restore: Some(restore),
        // Like tags and streams, policies, Kinesis destinations, auto scaling and replicas are
        // not carried over; the capacity settings are.
        policy: None,
        stream_policies: Vec::new(),
        kinesis: Vec::new(),
        auto_scaling: Default::default(),
        index_auto_scaling: Vec::new(),
        on_demand: match input.obj("OnDemandThroughputOverride") {
            Some(o) => Some((
                o.i64("MaxReadRequestUnits").unwrap_or(-1),
                o.i64("MaxWriteRequestUnits").unwrap_or(-1),
            )),
            None => source.on_demand,
        },
        warm: source.warm,
        global_version: None,
        replicas: Vec::new(),
        global_created: None,
        contributor_insights: Vec::new(),
    })
}

/// An LSI of LocalSecondaryIndexOverride: keyed on the table's partition key and a defined
/// sort key, with a projection.
fn parse_lsi(l: Input, defs: &[(String, KeyType)], source: &TableMeta) -> Result<IndexDef> {
    let name = l.str("IndexName").unwrap_or_default().to_string();
    let list = l.list("KeySchema").map(Vec::as_slice).unwrap_or(&[]);
    let key = parse_key_schema(list, defs, Some(&name))?;
    if key.range.is_none() {
        return Err(invalid(format!(
            "Index KeySchema does not have a range key for index: {name}"
        )));
    }
    if key.hash.name != source.key.hash.name {
        return Err(invalid(format!(
            "Index KeySchema does not have the same leading hash key as table KeySchema for index: {name}. index hash key: {}, table hash key: {}",
            key.hash.name, source.key.hash.name
        )));
    }
    Ok(IndexDef {
        name,
        kind: IndexKind::Local,
        key,
        projection: parse_projection(l.obj("Projection"))?,
        throughput: None,
        status: "ACTIVE".into(),
        backfilling: false,
        on_demand: None,
        warm: None,
    })
}

/// The restore's answer: the new table's description (CREATING, with its RestoreSummary).
pub fn restore_output(engine: &Engine, meta: TableMeta) -> Result<Value> {
    let meta = engine.restore_table(meta)?;
    let view = engine.view(meta)?;
    Ok(json!({ "TableDescription": render_description(&view) }))
}

/// A table name or ARN as the backup operations take it.
pub fn table_name(name_or_arn: &str) -> &str {
    name_or_arn
        .rsplit_once(":table/")
        .map(|(_, n)| n)
        .unwrap_or(name_or_arn)
}

pub fn restore_target_exists(engine: &Engine, scope: &Scope, target: &str) -> Result<()> {
    if engine.table_exists(scope, target) {
        return Err(Error::new(
            crate::error::ErrorKind::TableAlreadyExists,
            format!("Table already exists: {target}"),
        ));
    }
    Ok(())
}
