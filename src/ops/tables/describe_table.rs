//! DescribeTable, and the TableDescription renderer every table operation shares.
use crate::engine::{Engine, TableView};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{BillingMode, IndexDef, IndexKind, KeySchema, Scope, TableMeta, Throughput};
use crate::ops::Input;
use serde_json::{json, Map, Value};

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let name = input.table_name();
    // A missing table names itself; any other failure (storage) stays what it is.
    let view = engine.describe(scope, name).map_err(|e| match e.kind {
        ErrorKind::ResourceNotFound => Error::new(
            ErrorKind::ResourceNotFound,
            format!("Requested resource not found: Table: {name} not found"),
        ),
        _ => e,
    })?;
    Ok(json!({ "Table": render_description(&view) }))
}

pub fn render_key_schema(k: &KeySchema) -> Value {
    let hash = k.hash_attrs().map(|a| (a, "HASH"));
    let range = k.range_attrs().map(|a| (a, "RANGE"));
    Value::Array(
        hash.chain(range)
            .map(|(a, ty)| json!({"AttributeName": a.name, "KeyType": ty}))
            .collect(),
    )
}

fn render_throughput(t: &Throughput, with_dates: bool) -> Value {
    let mut m = Map::new();
    if with_dates {
        m.insert("LastIncreaseDateTime".into(), json!(t.last_increase));
        m.insert("LastDecreaseDateTime".into(), json!(t.last_decrease));
    }
    m.insert("NumberOfDecreasesToday".into(), json!(t.decreases_today));
    m.insert("ReadCapacityUnits".into(), json!(t.read));
    m.insert("WriteCapacityUnits".into(), json!(t.write));
    Value::Object(m)
}

fn render_index(meta: &TableMeta, ix: &IndexDef, view: &TableView) -> Value {
    let stats = view.index_stats.get(&ix.name).copied().unwrap_or_default();
    let mut m = Map::new();
    m.insert("IndexName".into(), json!(ix.name));
    m.insert("KeySchema".into(), render_key_schema(&ix.key));
    let mut p = Map::new();
    p.insert("ProjectionType".into(), json!(ix.projection.ty.as_str()));
    if let Some(nka) = &ix.projection.non_key_attributes {
        p.insert("NonKeyAttributes".into(), json!(nka));
    }
    m.insert("Projection".into(), Value::Object(p));
    // A GSI being created (UpdateTable's answer) has no size or count yet, says whether it is
    // backfilling, and on an on-demand table carries the default OnDemandThroughput, as
    // DynamoDB Local shows it.
    let creating = ix.kind == IndexKind::Global && ix.status == "CREATING";
    if ix.kind == IndexKind::Global {
        m.insert("IndexStatus".into(), json!(ix.status));
        if ix.backfilling || creating {
            m.insert("Backfilling".into(), json!(ix.backfilling));
        }
        if let Some(t) = &ix.throughput {
            m.insert("ProvisionedThroughput".into(), render_throughput(t, false));
        }
    }
    if let Some((read, write)) = ix.on_demand {
        m.insert(
            "OnDemandThroughput".into(),
            json!({"MaxReadRequestUnits": read, "MaxWriteRequestUnits": write}),
        );
    } else if creating && meta.billing_mode == BillingMode::PayPerRequest {
        m.insert(
            "OnDemandThroughput".into(),
            json!({"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": -1}),
        );
    }
    if let Some((read, write)) = ix.warm {
        m.insert(
            "WarmThroughput".into(),
            json!({"ReadUnitsPerSecond": read, "WriteUnitsPerSecond": write, "Status": "ACTIVE"}),
        );
    }
    if !creating {
        m.insert("IndexSizeBytes".into(), json!(stats.size_bytes));
        m.insert("ItemCount".into(), json!(stats.item_count));
    }
    m.insert(
        "IndexArn".into(),
        json!(format!("{}/index/{}", meta.arn(), ix.name)),
    );
    Value::Object(m)
}

pub fn render_description(view: &TableView) -> Value {
    let meta = &view.meta;
    let mut m = Map::new();
    m.insert(
        "AttributeDefinitions".into(),
        Value::Array(
            meta.attribute_definitions
                .iter()
                .map(|(n, t)| json!({"AttributeName": n, "AttributeType": t.as_str()}))
                .collect(),
        ),
    );
    m.insert("TableName".into(), json!(meta.name));
    m.insert("KeySchema".into(), render_key_schema(&meta.key));
    m.insert("TableStatus".into(), json!(meta.status));
    m.insert("CreationDateTime".into(), json!(meta.created));
    m.insert(
        "ProvisionedThroughput".into(),
        render_throughput(&meta.throughput, true),
    );
    m.insert("TableSizeBytes".into(), json!(view.stats.size_bytes));
    m.insert("ItemCount".into(), json!(view.stats.item_count));
    m.insert("TableArn".into(), json!(meta.arn()));
    m.insert("TableId".into(), json!(meta.table_id()));
    if meta.billing_mode == BillingMode::PayPerRequest
        || meta.last_update_to_pay_per_request.is_some()
    {
        let mut b = Map::new();
        b.insert("BillingMode".into(), json!(meta.billing_mode.as_str()));
        if let Some(t) = meta.last_update_to_pay_per_request {
            b.insert("LastUpdateToPayPerRequestDateTime".into(), json!(t));
        }
        m.insert("BillingModeSummary".into(), Value::Object(b));
    }
    if !meta.lsis.is_empty() {
        m.insert(
            "LocalSecondaryIndexes".into(),
            Value::Array(
                crate::model::java_hash_order(&meta.lsis, |ix| &ix.name)
                    .into_iter()
                    .map(|i| render_index(meta, i, view))
                    .collect(),
            ),
        );
    }
    if !meta.gsis.is_empty() {
        m.insert(
            "GlobalSecondaryIndexes".into(),
            Value::Array(
                crate::model::java_hash_order(&meta.gsis, |ix| &ix.name)
                    .into_iter()
                    .map(|i| render_index(meta, i, view))
                    .collect(),
            ),
        );
    }
    if !meta.vector_indexes.is_empty() {
        m.insert(
            "VectorIndexes".into(),
            super::vector_indexes::render(meta, view),
        );
    }
    if let Some(s) = &meta.stream {
        if s.enabled {
            m.insert(
                "StreamSpecification".into(),
                json!({"StreamEnabled": true, "StreamViewType": s.view_type}),
            );
        }
        m.insert("LatestStreamLabel".into(), json!(s.label));
        m.insert("LatestStreamArn".into(), json!(meta.stream_arn()));
    }
    if let Some(sse) = &meta.sse {
        if sse.enabled {
            let mut d = Map::new();
            d.insert("Status".into(), json!("ENABLED"));
            d.insert(
                "SSEType".into(),
                json!(sse.sse_type.clone().unwrap_or_else(|| "KMS".into())),
            );
            // The service answers the key's ARN: a key ARN given as KMSMasterKeyId is echoed;
            // awsim has no KMS to resolve a key id or alias, so it builds the ARN around them.
            let arn = match sse.kms_key.as_deref() {
                Some(k) if k.starts_with("arn:") => k.to_string(),
                Some(k) if k.starts_with("alias/") => {
                    format!("arn:aws:kms:{}:{}:{k}", meta.region, meta.account)
                }
                Some(k) => format!("arn:aws:kms:{}:{}:key/{k}", meta.region, meta.account),
                None => format!(
                    "arn:aws:kms:{}:{}:key/aws-managed-dynamodb",
                    meta.region, meta.account
                ),
            };
            d.insert("KMSMasterKeyArn".into(), json!(arn));
            m.insert("SSEDescription".into(), Value::Object(d));
        }
    }
    if let Some(r) = &meta.restore {
        let mut s = Map::new();
        if let Some(a) = &r.source_backup_arn {
            s.insert("SourceBackupArn".into(), json!(a));
        }
        if let Some(a) = &r.source_table_arn {
            s.insert("SourceTableArn".into(), json!(a));
        }
        s.insert("RestoreDateTime".into(), json!(r.restore_time));
        s.insert("RestoreInProgress".into(), json!(r.in_progress));
        m.insert("RestoreSummary".into(), Value::Object(s));
    }
    if let Some(c) = &meta.table_class {
        m.insert("TableClassSummary".into(), json!({"TableClass": c}));
    }
    m.insert(
        "DeletionProtectionEnabled".into(),
        json!(meta.deletion_protection),
    );
    // No maximum on either is not described (DynamoDB Local's answer).
    if let Some((read, write)) = meta.on_demand.filter(|o| *o != (-1, -1)) {
        m.insert(
            "OnDemandThroughput".into(),
            json!({"MaxReadRequestUnits": read, "MaxWriteRequestUnits": write}),
        );
    }
    if let Some((read, write)) = meta.warm {
        m.insert(
            "WarmThroughput".into(),
            json!({"ReadUnitsPerSecond": read, "WriteUnitsPerSecond": write, "Status": "ACTIVE"}),
        );
    }
    if let Some(version) = &meta.global_version {
        m.insert("GlobalTableVersion".into(), json!(version));
        m.insert("Replicas".into(), render_replicas(meta));
    }
    Value::Object(m)
}

/// A global table's other replicas, as the service lists them in DescribeTable: every region of
/// the group but the one described.
pub fn render_replicas(meta: &TableMeta) -> Value {
    Value::Array(
        meta.replicas
            .iter()
            .filter(|r| r.region != meta.region)
            .map(|r| {
                let mut d = Map::new();
                d.insert("RegionName".into(), json!(r.region));
                d.insert("ReplicaStatus".into(), json!(r.status));
                if let Some(read) = r.read_override {
                    d.insert(
                        "ProvisionedThroughputOverride".into(),
                        json!({"ReadCapacityUnits": read}),
                    );
                }
                if let Some(class) = &r.table_class {
                    d.insert(
                        "ReplicaTableClassSummary".into(),
                        json!({"TableClass": class}),
                    );
                }
                Value::Object(d)
            })
            .collect(),
    )
}
