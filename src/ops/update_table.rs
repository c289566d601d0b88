//! UpdateTable: billing mode, throughput, streams, deletion protection, table class, and GSI
//! create (with its attribute definitions, backfilled from the items) / update / delete.
use super::create_table::{check_throughput, invalid, parse_gsi, parse_throughput, stream_state};
use super::describe_table::render_description;
use super::Input;
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::model::value::ScalarType;
use crate::model::*;
use serde_json::{json, Value};
use std::collections::HashMap;

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let name = input.table_name();
    // The table is looked up before the request is checked for changes, as DynamoDB Local does.
    engine.table(scope, name)?;
    let now = engine.now();
    let has_change = [
        "BillingMode",
        "ProvisionedThroughput",
        "StreamSpecification",
        "DeletionProtectionEnabled",
        "TableClass",
        "SSESpecification",
        "GlobalSecondaryIndexUpdates",
        "ReplicaUpdates",
        "OnDemandThroughput",
        "WarmThroughput",
        "MultiRegionConsistency",
    ]
    .iter()
    .any(|m| input.get(m).is_some());
    if !has_change {
        return Err(Error::validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
        ));
    }
    let meta = engine.update_table(scope, name, |meta| {
        let billing = match input.str("BillingMode") {
            Some("PAY_PER_REQUEST") => BillingMode::PayPerRequest,
            Some(_) => BillingMode::Provisioned,
            None => meta.billing_mode,
        };
        let throughput = parse_throughput(input.obj("ProvisionedThroughput"));
        match (billing, &throughput) {
            (BillingMode::PayPerRequest, Some(_)) => {
                return Err(invalid(
                    "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
                ))
            }
            (BillingMode::Provisioned, None) if meta.billing_mode == BillingMode::PayPerRequest => {
                return Err(invalid("ProvisionedThroughput must be specified when BillingMode is PROVISIONED"))
            }
            (_, Some(t)) => check_throughput(t)?,
            _ => {}
        }
        if let Some(t) = throughput {
            if billing == meta.billing_mode && t.read == meta.throughput.read && t.write == meta.throughput.write {
                return Err(Error::validation(format!(
                    "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {}. Requested ReadCapacityUnits: {}. Current WriteCapacityUnits provisioned for the table: {}. Requested WriteCapacityUnits: {}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                    meta.throughput.read, t.read, meta.throughput.write, t.write
                )));
            }
            // FIXME: the service stamps LastIncrease/LastDecreaseDateTime and counts decreases;
            // DynamoDB Local (our recorded oracle) leaves them at 0, and so do we for now.
            let mut next = meta.throughput.clone();
            next.read = t.read;
            next.write = t.write;
            meta.throughput = next;
        }
        if billing != meta.billing_mode {
            if billing == BillingMode::PayPerRequest {
                meta.throughput.read = 0;
                meta.throughput.write = 0;
                meta.last_update_to_pay_per_request = Some(now);
                for g in &mut meta.gsis {
                    g.throughput = None;
                }
            }
            meta.billing_mode = billing;
        }
        if let Some(spec) = input.obj("StreamSpecification") {
            let enabled = spec.bool("StreamEnabled").unwrap_or(false);
            let active = meta.stream.as_ref().is_some_and(|s| s.enabled);
            if enabled && active {
                return Err(Error::validation("Table already has an enabled stream"));
            }
            if !enabled && !active {
                return Err(Error::validation("Table already has no enabled stream"));
            }
            if enabled {
                meta.stream = stream_state(Some(spec), now)?;
            } else if let Some(s) = &mut meta.stream {
                if spec.str("StreamViewType").is_some() {
                    return Err(Error::validation(
                        "One or more parameter values were invalid: StreamSpecification is invalid: StreamViewType cannot be specified when StreamEnabled is false",
                    ));
                }
                s.enabled = false;
            }
        }
        if let Some(dp) = input.bool("DeletionProtectionEnabled") {
            meta.deletion_protection = dp;
        }
        if let Some(c) = input.str("TableClass") {
            meta.table_class = Some(c.to_string());
        }
        if let Some(updates) = input.list("GlobalSecondaryIndexUpdates") {
            apply_gsi_updates(meta, &input, updates, now)?;
        }
        Ok(())
    })?;
    let view = engine.view(meta)?;
    Ok(json!({ "TableDescription": render_description(&view) }))
}

fn apply_gsi_updates(
    meta: &mut TableMeta,
    input: &Input,
    updates: &[Value],
    _now: f64,
) -> Result<()> {
    let mut defs: HashMap<String, KeyType> = meta.attribute_definitions.iter().cloned().collect();
    let new_defs: Vec<(String, KeyType)> = input
        .list("AttributeDefinitions")
        .into_iter()
        .flatten()
        .map(|d| {
            let t = ScalarType::parse(d["AttributeType"].as_str().unwrap_or("S"))
                .unwrap_or(ScalarType::S);
            (
                d["AttributeName"].as_str().unwrap_or_default().to_string(),
                KeyType::from(t),
            )
        })
        .collect();
    for (n, t) in &new_defs {
        if let Some(existing) = defs.get(n) {
            if existing != t {
                return Err(invalid(format!(
                    "Cannot change the type of an existing attribute definition: {n}"
                )));
            }
        }
        defs.insert(n.clone(), *t);
    }
    for u in updates.iter().filter_map(Value::as_object).map(Input) {
        if let Some(c) = u.obj("Create") {
            let gsi = parse_gsi(c, &defs, meta.billing_mode)?;
            if meta.index(&gsi.name).is_some() {
                return Err(invalid(format!("Index already exists: {}", gsi.name)));
            }
            if meta.gsis.len() >= super::create_table::MAX_GSIS {
                return Err(Error::new(ErrorKind::LimitExceeded, "Subscriber limit exceeded: Only 20 GlobalSecondaryIndexes are allowed per table"));
            }
            meta.gsis.push(gsi);
        } else if let Some(d) = u.obj("Delete") {
            let name = d.str("IndexName").unwrap_or_default();
            let before = meta.gsis.len();
            meta.gsis.retain(|g| g.name != name);
            if meta.gsis.len() == before {
                return Err(Error::new(
                    ErrorKind::ResourceNotFound,
                    format!("Requested resource not found: Index: {name} not found"),
                ));
            }
        } else if let Some(up) = u.obj("Update") {
            let name = up.str("IndexName").unwrap_or_default();
            let billing = meta.billing_mode;
            let g = meta
                .gsis
                .iter_mut()
                .find(|g| g.name == name)
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::ResourceNotFound,
                        format!("Requested resource not found: Index: {name} not found"),
                    )
                })?;
            if let Some(t) = parse_throughput(up.obj("ProvisionedThroughput")) {
                if billing == BillingMode::PayPerRequest {
                    return Err(invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"));
                }
                check_throughput(&t)?;
                g.throughput = Some(t);
            }
        }
    }
    // Attribute definitions stay exactly the key attributes of the table and its indexes.
    let used: Vec<String> = meta
        .key
        .attrs()
        .chain(meta.indexes().flat_map(|i| i.key.attrs()))
        .map(|a| a.name.clone())
        .collect();
    let mut merged: Vec<(String, KeyType)> = meta
        .attribute_definitions
        .iter()
        .filter(|(n, _)| used.contains(n))
        .cloned()
        .collect();
    for (n, t) in new_defs {
        if used.contains(&n) && !merged.iter().any(|(m, _)| *m == n) {
            merged.push((n, t));
        }
    }
    meta.attribute_definitions = merged;
    Ok(())
}
