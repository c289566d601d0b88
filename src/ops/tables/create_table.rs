//! CreateTable: key schema, attribute definitions (exactly the key attributes of the table and
//! its indexes), LSIs/GSIs with projections, billing mode and throughput rules, streams, SSE,
//! tags, table class, deletion protection. Checks run in the service's order.
use crate::engine::clock::iso8601;
use crate::engine::{Engine, TableView};
use crate::error::{Error, Result};
use crate::model::*;
use crate::ops::tables::describe_table::render_description;
use crate::ops::Input;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

pub const MAX_GSIS: usize = 20;
pub const MAX_LSIS: usize = 5;
/// INCLUDE projections may name at most this many non-key attributes across all indexes.
pub const MAX_PROJECTED_ATTRIBUTES: usize = 100;

pub fn invalid(msg: impl std::fmt::Display) -> Error {
    Error::validation(format!("One or more parameter values were invalid: {msg}"))
}

/// Parses a KeySchema list (already model-validated) against the attribute definitions.
pub fn parse_key_schema(
    list: &[Value],
    defs: &HashMap<String, KeyType>,
    what: &str,
) -> Result<KeySchema> {
    let elems: Vec<(&str, &str)> = list
        .iter()
        .map(|e| {
            (
                e["AttributeName"].as_str().unwrap_or_default(),
                e["KeyType"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let hashes: Vec<&str> = elems
        .iter()
        .filter(|e| e.1 == "HASH")
        .map(|e| e.0)
        .collect();
    let ranges: Vec<&str> = elems
        .iter()
        .filter(|e| e.1 == "RANGE")
        .map(|e| e.0)
        .collect();
    if elems.len() > 2 {
        return Err(Error::validation("Key Schema too big.  Key Schema must at most consist of the hash and range key of a table"));
    }
    if hashes.len() > 1 {
        return Err(Error::validation(
            "Too many hash keys specified.  All Dynamo DB tables must have exactly one hash key",
        ));
    }
    let Some(hash) = hashes.first() else {
        return Err(Error::validation(
            "No Hash Key specified in schema.  All Dynamo DB tables must have exactly one hash key",
        ));
    };
    if ranges.len() > 1 {
        return Err(Error::validation(
            "Too many range keys specified.  All Dynamo DB tables must have at most one range key",
        ));
    }
    if elems.first().map(|e| e.1) != Some("HASH") {
        return Err(Error::validation("Invalid key order. Hash Key must be specified first in key schema, Range Key must be specifed second"));
    }
    if ranges.first() == Some(hash) {
        return Err(Error::validation("Two keys can not have the same name"));
    }
    let undefined = |name: &str, hash: bool| match (what, hash) {
        ("gsi", _) => Error::validation(format!(
            "Attribute {name} is not defined in AttributeDefinitions"
        )),
        ("lsi", _) => Error::validation(
            "Local Secondary Index range key not specified in Attribute Definitions.Type unknown.",
        ),
        (_, true) => {
            Error::validation("Hash Key not specified in Attribute Definitions.  Type unknown.")
        }
        (_, false) => {
            Error::validation("Range Key not specified in Attribute Definitions.  Type unknown.")
        }
    };
    let hash_ty = defs
        .get(*hash)
        .copied()
        .ok_or_else(|| undefined(hash, true))?;
    let range = match ranges.first() {
        Some(r) => {
            let ty = defs.get(*r).copied().ok_or_else(|| undefined(r, false))?;
            Some(KeyAttr {
                name: r.to_string(),
                ty,
            })
        }
        None => None,
    };
    Ok(KeySchema {
        hash: KeyAttr {
            name: hash.to_string(),
            ty: hash_ty,
        },
        range,
    })
}

pub fn parse_projection(p: Option<Input>) -> Result<Projection> {
    let Some(p) = p else {
        return Err(Error::validation(
            "Indexes must have a projection specified",
        ));
    };
    let ty = match p.str("ProjectionType") {
        Some("ALL") => ProjectionType::All,
        Some("KEYS_ONLY") => ProjectionType::KeysOnly,
        Some("INCLUDE") => ProjectionType::Include,
        // A Projection without a ProjectionType (`{}`) counts as no projection at all.
        _ => {
            return Err(Error::validation(
                "Indexes must have a projection specified",
            ))
        }
    };
    let nka: Option<Vec<String>> = p.list("NonKeyAttributes").map(|l| {
        l.iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    });
    match (ty, &nka) {
        (ProjectionType::Include, None) => {
            return Err(Error::validation("If Projection type INCLUDE is specified, some non-key attributes to include in the projection must be specified as well"))
        }
        (ProjectionType::All | ProjectionType::KeysOnly, Some(_)) => {
            return Err(Error::validation("No attributes should be specified to be projected unless projection type is INCLUDE"))
        }
        _ => {}
    }
    Ok(Projection {
        ty,
        non_key_attributes: nka,
    })
}

pub fn parse_throughput(t: Option<Input>) -> Option<Throughput> {
    t.map(|t| Throughput {
        read: t.i64("ReadCapacityUnits").unwrap_or(0),
        write: t.i64("WriteCapacityUnits").unwrap_or(0),
        ..Default::default()
    })
}

pub fn check_throughput(t: &Throughput) -> Result<()> {
    if t.read < 1 || t.write < 1 {
        let (what, v) = if t.read < 1 {
            ("ReadCapacityUnits", t.read)
        } else {
            ("WriteCapacityUnits", t.write)
        };
        return Err(invalid(format!(
            "{what} must be greater than 0 (Service: DynamoDb, Status Code: 400) value: {v}"
        )));
    }
    Ok(())
}

pub fn parse_gsi(
    g: Input,
    defs: &HashMap<String, KeyType>,
    billing: BillingMode,
) -> Result<IndexDef> {
    // DynamoDB Local's order for one GSI: its throughput, then its projection, then its key
    // schema (tables/create_table_gsi_without_throughput_provisioned and notes/tables.md).
    let name = g.str("IndexName").unwrap_or_default().to_string();
    let throughput = parse_throughput(g.obj("ProvisionedThroughput"));
    let throughput = match (billing, throughput) {
        (BillingMode::Provisioned, None) => {
            return Err(Error::validation("No provisioned throughput specified for the global secondary index"))
        }
        (BillingMode::Provisioned, Some(t)) => {
            check_throughput(&t)?;
            Some(t)
        }
        (BillingMode::PayPerRequest, Some(_)) => {
            return Err(invalid(format!("ProvisionedThroughput should not be specified for index: {name} when BillingMode is PAY_PER_REQUEST")))
        }
        (BillingMode::PayPerRequest, None) => None,
    };
    let projection = parse_projection(g.obj("Projection"))?;
    let key = parse_key_schema(
        g.list("KeySchema").map(Vec::as_slice).unwrap_or(&[]),
        defs,
        "gsi",
    )?;
    Ok(IndexDef {
        name,
        kind: IndexKind::Global,
        key,
        projection,
        throughput,
        status: "ACTIVE".into(),
        backfilling: false,
    })
}

pub fn stream_state(spec: Option<Input>, now: f64) -> Result<Option<StreamState>> {
    let Some(spec) = spec else { return Ok(None) };
    let enabled = spec.bool("StreamEnabled").unwrap_or(false);
    let view = spec.str("StreamViewType");
    match (enabled, view) {
        (true, None) => Err(Error::validation("Invalid StreamViewType: Stream ViewType must not be null or empty when enabling streams.")),
        (false, Some(_)) => Err(Error::validation("Invalid StreamViewType: Stream StreamEnabled was false but a StreamViewType was present.")),
        (true, Some(v)) => Ok(Some(StreamState { view_type: v.to_string(), label: iso8601(now), enabled: true, id: 0 })),
        (false, None) => Ok(None),
    }
}

/// OnDemandThroughput as given: (MaxReadRequestUnits, MaxWriteRequestUnits), -1 for no maximum.
pub fn on_demand_throughput(input: Input) -> Option<(i64, i64)> {
    input.obj("OnDemandThroughput").map(|o| {
        (
            o.i64("MaxReadRequestUnits").unwrap_or(-1),
            o.i64("MaxWriteRequestUnits").unwrap_or(-1),
        )
    })
}

/// WarmThroughput as given: (ReadUnitsPerSecond, WriteUnitsPerSecond).
pub fn warm_throughput(input: Input) -> Option<(i64, i64)> {
    input.obj("WarmThroughput").map(|o| {
        (
            o.i64("ReadUnitsPerSecond").unwrap_or(0),
            o.i64("WriteUnitsPerSecond").unwrap_or(0),
        )
    })
}

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let name = input.table_name().to_string();
    let defs_list: Vec<(String, KeyType)> = input
        .list("AttributeDefinitions")
        .into_iter()
        .flatten()
        .map(|d| {
            let t = KeyType::from(
                crate::model::value::ScalarType::parse(d["AttributeType"].as_str().unwrap_or("S"))
                    .unwrap_or(crate::model::value::ScalarType::S),
            );
            (
                d["AttributeName"].as_str().unwrap_or_default().to_string(),
                t,
            )
        })
        .collect();
    let Some(key_list) = input.list("KeySchema") else {
        return Err(Error::validation("No defined key schema.  A key schema containing at least a hash key must be defined for all tables"));
    };
    if input.get("AttributeDefinitions").is_none() {
        return Err(Error::validation("No Attribute Schema Defined"));
    }
    let defs: HashMap<String, KeyType> = defs_list.iter().cloned().collect();
    if defs.len() != defs_list.len() {
        return Err(Error::validation(
            "Cannot have two attributes with the same name",
        ));
    }
    let key = parse_key_schema(key_list, &defs, "table")?;
    let billing = match input.str("BillingMode") {
        Some("PAY_PER_REQUEST") => BillingMode::PayPerRequest,
        _ => BillingMode::Provisioned,
    };
    let mut names: Vec<String> = Vec::new();
    let mut lsis = Vec::new();
    if let Some(list) = input.list("LocalSecondaryIndexes") {
        if list.is_empty() {
            return Err(Error::validation("LSI list is empty/invalid"));
        }
        if key.range.is_none() {
            return Err(Error::validation("Local Secondary indices are not allowed on hash tables, only hash and range tables"));
        }
        if list.len() > MAX_LSIS {
            return Err(Error::validation(format!(
                "Cannot have more than {MAX_LSIS} local secondary indexes per table"
            )));
        }
        for l in list.iter().filter_map(Value::as_object).map(Input) {
            let name = l.str("IndexName").unwrap_or_default().to_string();
            let ikey = parse_key_schema(
                l.list("KeySchema").map(Vec::as_slice).unwrap_or(&[]),
                &defs,
                "lsi",
            )?;
            if ikey.range.is_none() {
                return Err(Error::validation(
                    "Local secondary indices must have a range key",
                ));
            }
            if ikey.hash.name != key.hash.name {
                return Err(Error::validation(
                    "Local Secondary indices must have the same hash key as the main table",
                ));
            }
            let projection = parse_projection(l.obj("Projection"))?;
            if names.contains(&name) {
                return Err(Error::validation(
                    "Two local secondary indices have the same name",
                ));
            }
            names.push(name.clone());
            lsis.push(IndexDef {
                name,
                kind: IndexKind::Local,
                key: ikey,
                projection,
                throughput: None,
                status: "ACTIVE".into(),
                backfilling: false,
            });
        }
    }
    let mut gsis = Vec::new();
    if let Some(list) = input.list("GlobalSecondaryIndexes") {
        if list.is_empty() {
            return Err(Error::validation("GSI list is empty/invalid"));
        }
        if list.len() > MAX_GSIS {
            return Err(Error::validation(
                "GlobalSecondaryIndex count exceeds the per-table limit",
            ));
        }
        for g in list.iter().filter_map(Value::as_object).map(Input) {
            let gsi = parse_gsi(g, &defs, billing)?;
            if gsis.iter().any(|g: &IndexDef| g.name == gsi.name) {
                return Err(Error::validation(
                    "Two global secondary indices have the same name",
                ));
            }
            if names.contains(&gsi.name) {
                return Err(Error::validation("Local Secondary Indices AND Global Secondary Indices must have different names"));
            }
            names.push(gsi.name.clone());
            gsis.push(gsi);
        }
    }
    let used: Vec<&str> = key
        .attrs()
        .chain(lsis.iter().chain(gsis.iter()).flat_map(|i| i.key.attrs()))
        .map(|a| a.name.as_str())
        .collect();
    if defs.keys().any(|d| !used.contains(&d.as_str())) {
        return Err(invalid("Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"));
    }
    let projected: usize = lsis
        .iter()
        .chain(gsis.iter())
        .filter_map(|i| i.projection.non_key_attributes.as_ref())
        .map(Vec::len)
        .sum();
    if projected > MAX_PROJECTED_ATTRIBUTES {
        return Err(invalid(format!("Number of projected attributes in all indexes exceeds limit of {MAX_PROJECTED_ATTRIBUTES}")));
    }
    // The table's own throughput is checked after its indexes (DynamoDB Local's order).
    let throughput = parse_throughput(input.obj("ProvisionedThroughput"));
    let throughput = match (billing, throughput) {
        (BillingMode::Provisioned, None) => return Err(Error::validation("No provisioned throughput specified for the table")),
        (BillingMode::Provisioned, Some(t)) => {
            check_throughput(&t)?;
            t
        }
        (BillingMode::PayPerRequest, Some(_)) => {
            return Err(invalid(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            ))
        }
        (BillingMode::PayPerRequest, None) => Throughput::default(),
    };
    let now = engine.now();
    let stream = stream_state(input.obj("StreamSpecification"), now)?;
    let sse = input.obj("SSESpecification").map(|s| Sse {
        enabled: s.bool("Enabled").unwrap_or(false),
        sse_type: s.str("SSEType").map(String::from),
        kms_key: s.str("KMSMasterKeyId").map(String::from),
    });
    let requested_tags = crate::ops::control::tags::read_tags(input);
    crate::ops::control::tags::validate_tags(&requested_tags)?;
    let mut tags = Vec::new();
    crate::ops::control::tags::merge_tags(&mut tags, &requested_tags)?;
    let policy = match input.str("ResourcePolicy") {
        Some(document) => {
            crate::ops::control::policies::validate_policy(document)?;
            Some(Policy {
                document: document.to_string(),
                revision: crate::ops::control::policies::next_revision(now, None),
            })
        }
        None => None,
    };
    if engine.table_exists(scope, &name) {
        return Err(Error::new(
            crate::error::ErrorKind::ResourceInUse,
            format!("Table already exists: {name}"),
        ));
    }
    let meta = TableMeta {
        id: 0,
        account: scope.account.clone(),
        region: scope.region.clone(),
        name,
        key,
        attribute_definitions: defs_list,
        billing_mode: billing,
        throughput,
        created: now,
        last_update_to_pay_per_request: (billing == BillingMode::PayPerRequest).then_some(now),
        gsis,
        lsis,
        stream,
        ttl: None,
        sse,
        table_class: input.str("TableClass").map(String::from),
        deletion_protection: input.bool("DeletionProtectionEnabled").unwrap_or(false),
        tags,
        status: "ACTIVE".into(),
        policy,
        stream_policies: Vec::new(),
        kinesis: Vec::new(),
        auto_scaling: Default::default(),
        index_auto_scaling: Vec::new(),
        on_demand: on_demand_throughput(input),
        warm: warm_throughput(input),
        global_version: None,
        replicas: Vec::new(),
        global_created: None,
    };
    let meta = engine.create_table(meta)?;
    let view = TableView {
        meta: meta.clone(),
        stats: Default::default(),
        index_stats: Default::default(),
    };
    let _: &Arc<TableMeta> = &meta;
    Ok(json!({ "TableDescription": render_description(&view) }))
}
