//! CreateTable: key schema, attribute definitions (exactly the key attributes of the table and
//! its indexes), LSIs/GSIs with projections, billing mode and throughput rules, streams, SSE,
//! tags, table class, deletion protection. Checks run in the service's order.
use super::describe_table::render_description;
use super::Input;
use crate::engine::clock::iso8601;
use crate::engine::{Engine, TableView};
use crate::error::{Error, Result};
use crate::model::*;
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
pub fn parse_key_schema(list: &[Value], defs: &HashMap<String, KeyType>, _what: &str) -> Result<KeySchema> {
    let elems: Vec<(&str, &str)> = list
        .iter()
        .map(|e| (e["AttributeName"].as_str().unwrap_or_default(), e["KeyType"].as_str().unwrap_or_default()))
        .collect();
    let hashes: Vec<&str> = elems.iter().filter(|e| e.1 == "HASH").map(|e| e.0).collect();
    let ranges: Vec<&str> = elems.iter().filter(|e| e.1 == "RANGE").map(|e| e.0).collect();
    if hashes.len() > 1 {
        return Err(Error::validation("Too many hash keys specified.  All Dynamo DB tables must have exactly one hash key"));
    }
    let Some(hash) = hashes.first() else {
        return Err(Error::validation("No Hash Key specified in schema.  All Dynamo DB tables must have exactly one hash key"));
    };
    if ranges.len() > 1 {
        return Err(Error::validation("Too many range keys specified.  All Dynamo DB tables must have at most one range key"));
    }
    if elems.first().map(|e| e.1) != Some("HASH") {
        return Err(invalid("Invalid KeySchema: The first KeySchemaElement is not a HASH key type"));
    }
    if ranges.first() == Some(hash) {
        return Err(invalid("Both the Hash Key and the Range Key element in the KeySchema have the same name"));
    }
    let hash_ty = defs.get(*hash).copied().ok_or_else(|| Error::validation("Hash Key not specified in Attribute Definitions.  Type unknown."))?;
    let range = match ranges.first() {
        Some(r) => {
            let ty = defs.get(*r).copied().ok_or_else(|| Error::validation("Range Key not specified in Attribute Definitions.  Type unknown."))?;
            Some(KeyAttr { name: r.to_string(), ty })
        }
        None => None,
    };
    Ok(KeySchema { hash: KeyAttr { name: hash.to_string(), ty: hash_ty }, range })
}

pub fn parse_projection(p: Option<Input>, index: &str) -> Result<Projection> {
    let Some(p) = p else {
        return Err(invalid("Unknown ProjectionType: null".to_string()));
    };
    let ty = match p.str("ProjectionType") {
        Some("ALL") => ProjectionType::All,
        Some("KEYS_ONLY") => ProjectionType::KeysOnly,
        Some("INCLUDE") => ProjectionType::Include,
        _ => return Err(invalid("Unknown ProjectionType: null")),
    };
    let nka: Option<Vec<String>> = p.list("NonKeyAttributes").map(|l| {
        l.iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    });
    match (ty, &nka) {
        (ProjectionType::Include, None) => {
            return Err(invalid("ProjectionType is INCLUDE, but NonKeyAttributes is not specified".to_string()))
        }
        (ProjectionType::All | ProjectionType::KeysOnly, Some(_)) => {
            return Err(invalid(format!(
                "ProjectionType is {}, but NonKeyAttributes is specified",
                ty.as_str()
            )))
        }
        _ => {}
    }
    let _ = index;
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
    let name = g.str("IndexName").unwrap_or_default().to_string();
    let key = parse_key_schema(
        g.list("KeySchema").map(Vec::as_slice).unwrap_or(&[]),
        defs,
        "",
    )?;
    let projection = parse_projection(g.obj("Projection"), &name)?;
    let throughput = parse_throughput(g.obj("ProvisionedThroughput"));
    let throughput = match (billing, throughput) {
        (BillingMode::Provisioned, None) => {
            return Err(invalid(format!("ProvisionedThroughput is not specified for index: {name}")))
        }
        (BillingMode::Provisioned, Some(t)) => {
            check_throughput(&t)?;
            Some(t)
        }
        (BillingMode::PayPerRequest, Some(_)) => {
            return Err(invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST".to_string()))
        }
        (BillingMode::PayPerRequest, None) => None,
    };
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
        (true, None) => Err(Error::validation("One or more parameter values were invalid: StreamViewType is required when StreamEnabled is true")),
        (false, Some(_)) => Err(Error::validation(
            "One or more parameter values were invalid: StreamSpecification is invalid: StreamViewType cannot be specified when StreamEnabled is false",
        )),
        (true, Some(v)) => Ok(Some(StreamState { view_type: v.to_string(), label: iso8601(now), enabled: true })),
        (false, None) => Ok(None),
    }
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
        return Err(invalid("Duplicate AttributeName in AttributeDefinitions"));
    }
    let key = parse_key_schema(key_list, &defs, "")?;
    let billing = match input.str("BillingMode") {
        Some("PAY_PER_REQUEST") => BillingMode::PayPerRequest,
        _ => BillingMode::Provisioned,
    };
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
    let mut names: Vec<String> = Vec::new();
    let mut lsis = Vec::new();
    if let Some(list) = input.list("LocalSecondaryIndexes") {
        if list.is_empty() {
            return Err(invalid("List of LocalSecondaryIndexes is empty"));
        }
        if key.range.is_none() {
            return Err(invalid("Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"));
        }
        if list.len() > MAX_LSIS {
            return Err(invalid(format!(
                "Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LSIS}"
            )));
        }
        for l in list.iter().filter_map(Value::as_object).map(Input) {
            let name = l.str("IndexName").unwrap_or_default().to_string();
            let ikey = parse_key_schema(
                l.list("KeySchema").map(Vec::as_slice).unwrap_or(&[]),
                &defs,
                "",
            )?;
            if ikey.range.is_none() {
                return Err(invalid(format!(
                    "Index KeySchema does not have a range key for index: {name}"
                )));
            }
            if ikey.hash.name != key.hash.name {
                return Err(invalid(format!("Index KeySchema does not have the same leading hash key as table KeySchema for index: {name}. index hash key: {}, table hash key: {}", ikey.hash.name, key.hash.name)));
            }
            let projection = parse_projection(l.obj("Projection"), &name)?;
            if names.contains(&name) {
                return Err(invalid(format!("Duplicate index name: {name}")));
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
            return Err(invalid("List of GlobalSecondaryIndexes is empty"));
        }
        if list.len() > MAX_GSIS {
            return Err(invalid(format!(
                "GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSIS}"
            )));
        }
        for g in list.iter().filter_map(Value::as_object).map(Input) {
            let gsi = parse_gsi(g, &defs, billing)?;
            if names.contains(&gsi.name) {
                return Err(invalid(format!("Duplicate index name: {}", gsi.name)));
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
        return Err(Error::validation(
            "The number of attributes in key schema must match the number of attributes defined in attribute definitions.",
        ));
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
    let now = engine.now();
    let stream = stream_state(input.obj("StreamSpecification"), now)?;
    let sse = input.obj("SSESpecification").map(|s| Sse {
        enabled: s.bool("Enabled").unwrap_or(false),
        sse_type: s.str("SSEType").map(String::from),
        kms_key: s.str("KMSMasterKeyId").map(String::from),
    });
    let tags = input
        .list("Tags")
        .into_iter()
        .flatten()
        .map(|t| {
            (
                t["Key"].as_str().unwrap_or_default().to_string(),
                t["Value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
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
        sse,
        table_class: input.str("TableClass").map(String::from),
        deletion_protection: input.bool("DeletionProtectionEnabled").unwrap_or(false),
        tags,
        status: "ACTIVE".into(),
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
