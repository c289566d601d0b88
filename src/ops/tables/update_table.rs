//! UpdateTable: billing mode, throughput, streams, deletion protection, table class, and GSI
//! create (with its attribute definitions, backfilled from the items) / update / delete.
//! Checks run in DynamoDB Local's recorded order (conformance/notes/tables.md): the GSI updates
//! entry by entry, then the throughput, then the stream.
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::model::value::ScalarType;
use crate::model::*;
use crate::ops::tables::create_table::{
    check_throughput, parse_gsi, parse_throughput, stream_state,
};
use crate::ops::tables::describe_table::render_description;
use crate::ops::tables::replica_updates;
use crate::ops::tables::vector_indexes;
use crate::ops::Input;
use serde_json::{json, Value};
use std::sync::Arc;

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let name = input.table_name();
    // The request alone first, as the service checks it (public suites recorded these): that
    // it asks for something, PROVISIONED with its throughput, throughput bounds, and the GSI
    // update list's shape; only then the table.
    if !has_change(&input) {
        // DynamoDB Local says `Nothing to update`.
        return Err(Error::validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
        ));
    }
    if input.str("BillingMode") == Some("PROVISIONED")
        && input.get("ProvisionedThroughput").is_none()
    {
        return Err(crate::ops::tables::create_table::invalid(
            "ProvisionedThroughput must be specified when BillingMode is PROVISIONED",
        ));
    }
    if let Some(t) = parse_throughput(input.obj("ProvisionedThroughput")) {
        crate::ops::tables::create_table::check_throughput_bounds(&t)?;
    }
    if let Some(updates) = input.list("GlobalSecondaryIndexUpdates") {
        check_gsi_update_list(updates)?;
    }
    if let Some(updates) = input.list("VectorIndexUpdates") {
        vector_indexes::check_update_list(updates)?;
    }
    let current = engine.table(scope, name)?;
    let replicas = replica_updates::parse(&input)?;
    replica_updates::validate(&current, &replicas)?;
    let now = engine.now();
    let mut changed = GsiChanges::default();
    let meta = if !has_change_besides_replicas(&input) {
        current
    } else {
        engine.update_table(scope, name, |meta| {
        let billing = match input.str("BillingMode") {
            Some("PAY_PER_REQUEST") => BillingMode::PayPerRequest,
            Some(_) => BillingMode::Provisioned,
            None => meta.billing_mode,
        };
        // One index created or deleted per request, GSIs and vector indexes together.
        let online = ["GlobalSecondaryIndexUpdates", "VectorIndexUpdates"]
            .iter()
            .flat_map(|p| input.list(p).into_iter().flatten())
            .filter_map(Value::as_object)
            .filter(|u| u.contains_key("Create") || u.contains_key("Delete"))
            .count();
        if online > 1 {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table",
            ));
        }
        if let Some(updates) = input.list("GlobalSecondaryIndexUpdates") {
            changed = apply_gsi_updates(meta, &input, updates, billing)?;
        }
        if let Some(updates) = input.list("VectorIndexUpdates") {
            let (created, deleted) =
                vector_indexes::apply_updates(meta, updates, &request_definitions(&input))?;
            // (The service keeps the definitions' order.)
            merge_definitions(meta, request_definitions(&input), false);
            changed.vectors_created = created;
            changed.vectors_deleted = deleted;
        }
        let throughput = parse_throughput(input.obj("ProvisionedThroughput"));
        match (billing, &throughput) {
            (BillingMode::PayPerRequest, Some(_)) => {
                return Err(crate::ops::tables::create_table::invalid(
                    "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
                ))
            }

            (_, Some(t)) => check_throughput(t)?,
            _ => {}
        }
        if let Some(t) = &throughput {
            if billing == meta.billing_mode
                && t.read == meta.throughput.read
                && t.write == meta.throughput.write
            {
                // The service's text; DynamoDB Local says `The requested throughput value equals
                // the current value` (tables/update_table_throughput_equal_to_current).
                return Err(Error::validation(format!(
                    "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {}. Requested ReadCapacityUnits: {}. Current WriteCapacityUnits provisioned for the table: {}. Requested WriteCapacityUnits: {}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                    meta.throughput.read, t.read, meta.throughput.write, t.write
                )));
            }
        }
        if let Some(spec) = input.obj("StreamSpecification") {
            if meta.is_replicated() {
                return Err(crate::ops::tables::create_table::invalid(
                    "The stream of a table with replicas cannot be changed: global tables replicate through it",
                ));
            }
            if throughput.is_some() {
                return Err(Error::validation(
                    "Cannot change IOPS and Streams at the same time.",
                ));
            }
            // The specification's own rules (view type with/without enabling) come before
            // the table's current stream state.
            let next = stream_state(Some(spec), now)?;
            let active = meta.stream.as_ref().is_some_and(|s| s.enabled);
            match (next, active) {
                (Some(_), true) => {
                    return Err(Error::validation("Table already has an enabled stream"))
                }
                (None, false) => return Err(Error::validation("Table has no stream to disable")),
                (Some(s), false) => meta.stream = Some(s),
                (None, true) => {
                    if let Some(s) = &mut meta.stream {
                        s.enabled = false;
                    }
                }
            }
        }
        if let Some(t) = throughput {
            // FIXME: the service stamps LastIncrease/LastDecreaseDateTime and counts decreases;
            // DynamoDB Local (our recorded oracle) leaves them at 0, and so do we for now.
            meta.throughput.read = t.read;
            meta.throughput.write = t.write;
        }
        if billing == BillingMode::Provisioned && meta.billing_mode == BillingMode::PayPerRequest {
            // Every GSI needs its own throughput once the table is provisioned.
            let missing: Vec<&str> = meta
                .gsis
                .iter()
                .filter(|g| g.throughput.is_none())
                .map(|g| g.name.as_str())
                .collect();
            if !missing.is_empty() {
                return Err(crate::ops::tables::create_table::invalid(format!(
                    "ProvisionedThroughput must be specified for index: {}",
                    missing.join(",")
                )));
            }
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
        if let Some(dp) = input.bool("DeletionProtectionEnabled") {
            meta.deletion_protection = dp;
        }
        if let Some(c) = input.str("TableClass") {
            meta.table_class = Some(c.to_string());
        }
        // Encryption at rest: a KMS key (SSEDescription reports it) or, disabled, the key
        // DynamoDB owns (no SSEDescription), as at CreateTable.
        if let Some(s) = input.obj("SSESpecification") {
            meta.sse = Some(Sse {
                enabled: s.bool("Enabled").unwrap_or(false),
                sse_type: s.str("SSEType").map(String::from),
                kms_key: s.str("KMSMasterKeyId").map(String::from),
            });
        }
        if meta.billing_mode == BillingMode::Provisioned {
            // Maximums belong to on-demand capacity (and a provisioned table ignores them).
            meta.on_demand = None;
            for g in &mut meta.gsis {
                g.on_demand = None;
            }
        } else if let Some(o) = input.obj("OnDemandThroughput") {
            meta.on_demand = Some(merge_on_demand(meta.on_demand, o, "table")?);
        }
        if let Some(w) = crate::ops::tables::create_table::warm_throughput(input) {
            meta.warm = Some(w);
        }
        Ok(())
    })?
    };
    let (meta, reported) = if replicas.is_empty() {
        (meta, Vec::new())
    } else {
        replica_updates::apply(engine, scope, name, &replicas)?
    };
    let mut view = engine.view(meta)?;
    if changed.any() {
        view.meta = Arc::new(changed.as_reported(&view.meta));
    }
    if !reported.is_empty() {
        view.meta = Arc::new(replica_updates::as_reported(&view.meta, &reported));
    }
    Ok(json!({ "TableDescription": render_description(&view) }))
}

/// An UpdateTable's OnDemandThroughput over the current one: a member given replaces it (-1
/// removes the maximum), one left out stays.
fn merge_on_demand(current: Option<(i64, i64)>, o: Input, whose: &str) -> Result<(i64, i64)> {
    let (read, write) = current.unwrap_or((-1, -1));
    crate::ops::tables::create_table::check_on_demand(
        (
            o.i64("MaxReadRequestUnits").unwrap_or(read),
            o.i64("MaxWriteRequestUnits").unwrap_or(write),
        ),
        whose,
    )
}

/// Whether the request changes the table itself (anything but its replicas).
fn has_change_besides_replicas(input: &Input) -> bool {
    let mut without = input.0.clone();
    without.remove("ReplicaUpdates");
    has_change(&Input(&without))
}

/// The GSI update list as the service checks it before the table: every entry names an action,
/// and no index twice.
fn check_gsi_update_list(updates: &[Value]) -> Result<()> {
    let mut seen: Vec<&str> = Vec::new();
    for u in updates {
        let index = u
            .as_object()
            .map(Input)
            .and_then(|u| {
                ["Update", "Create", "Delete"]
                    .iter()
                    .find_map(|a| u.obj(a).map(|o| o.str("IndexName").unwrap_or_default()))
            })
            .ok_or_else(|| {
                crate::ops::tables::create_table::invalid("One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null")
            })?;
        if seen.contains(&index) {
            return Err(crate::ops::tables::create_table::invalid(format!(
                "Only one global secondary index update per index is allowed simultaneously. Index: {index}"
            )));
        }
        seen.push(index);
    }
    Ok(())
}

/// Whether the request asks for anything at all (the service's "At least one of ..." rule; an
/// empty GlobalSecondaryIndexUpdates list asks for nothing, as in DynamoDB Local).
fn has_change(input: &Input) -> bool {
    [
        "BillingMode",
        "ProvisionedThroughput",
        "StreamSpecification",
        "DeletionProtectionEnabled",
        "TableClass",
        "SSESpecification",
        "ReplicaUpdates",
        "OnDemandThroughput",
        "WarmThroughput",
        "MultiRegionConsistency",
    ]
    .iter()
    .any(|m| input.get(m).is_some())
        || input
            .list("GlobalSecondaryIndexUpdates")
            .is_some_and(|l| !l.is_empty())
        || input
            .list("VectorIndexUpdates")
            .is_some_and(|l| !l.is_empty())
}

/// The GSIs an UpdateTable created or deleted. awsim builds a new index (and drops an old one)
/// inside the request, but the response describes them as the service does at that moment:
/// `CREATING` (not yet backfilled) and `DELETING`.
#[derive(Default)]
struct GsiChanges {
    created: Vec<String>,
    deleted: Vec<IndexDef>,
    vectors_created: Vec<String>,
    vectors_deleted: Vec<VectorIndexDef>,
}

impl GsiChanges {
    fn any(&self) -> bool {
        !self.created.is_empty()
            || !self.deleted.is_empty()
            || !self.vectors_created.is_empty()
            || !self.vectors_deleted.is_empty()
    }

    fn as_reported(&self, meta: &TableMeta) -> TableMeta {
        let mut meta = meta.clone();
        for v in &mut meta.vector_indexes {
            if self.vectors_created.contains(&v.name) {
                v.status = "CREATING".into();
            }
        }
        for gone in &self.vectors_deleted {
            let mut v = gone.clone();
            v.status = "DELETING".into();
            meta.vector_indexes.push(v);
        }
        for g in &mut meta.gsis {
            if self.created.contains(&g.name) {
                g.status = "CREATING".into();
            }
        }
        for gone in &self.deleted {
            let mut g = gone.clone();
            g.status = "DELETING".into();
            meta.gsis.push(g);
        }
        meta
    }
}

/// Applies GlobalSecondaryIndexUpdates to `meta`, with DynamoDB Local's checks in its order:
/// an empty entry, the same index twice, more than one Create/Delete (the service's limit too),
/// then each entry in request order.
fn apply_gsi_updates(
    meta: &mut TableMeta,
    input: &Input,
    updates: &[Value],
    billing: BillingMode,
) -> Result<GsiChanges> {
    let online = updates
        .iter()
        .filter_map(Value::as_object)
        .filter(|u| u.contains_key("Create") || u.contains_key("Delete"))
        .count();
    if online > 1 {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table",
        ));
    }
    let not_found = || Error::new(ErrorKind::ResourceNotFound, "Requested resource not found");
    let new_defs = request_definitions(input);
    let mut changes = GsiChanges::default();
    for u in updates.iter().filter_map(Value::as_object).map(Input) {
        if let Some(c) = u.obj("Create") {
            if input.get("AttributeDefinitions").is_none() {
                return Err(Error::validation("No Attribute Schema Defined"));
            }
            let mut defs: Vec<(String, KeyType)> = meta.attribute_definitions.clone();
            for (n, t) in &new_defs {
                match defs.iter().find(|(d, _)| d == n) {
                    Some((_, existing)) if existing != t => {
                        return Err(Error::validation(
                            "invalid attribute, SchemaElement redefined should be of same type as previously defined",
                        ))
                    }
                    Some(_) => {}
                    None => defs.push((n.clone(), *t)),
                }
            }
            let gsi = parse_gsi(c, &defs, billing)?;
            if meta.index(&gsi.name).is_some() {
                return Err(Error::validation(
                    "Attempting to create an index which already exists",
                ));
            }
            if meta.gsis.len() >= crate::ops::tables::create_table::MAX_GSIS {
                return Err(Error::new(
                    ErrorKind::LimitExceeded,
                    "Subscriber limit exceeded: Only 20 GlobalSecondaryIndexes are allowed per table",
                ));
            }
            changes.created.push(gsi.name.clone());
            meta.gsis.push(gsi);
        } else if let Some(d) = u.obj("Delete") {
            let name = d.str("IndexName").unwrap_or_default();
            let at = meta
                .gsis
                .iter()
                .position(|g| g.name == name)
                .ok_or_else(not_found)?;
            changes.deleted.push(meta.gsis.remove(at));
        } else if let Some(up) = u.obj("Update") {
            let name = up.str("IndexName").unwrap_or_default();
            let g = meta
                .gsis
                .iter_mut()
                .find(|g| g.name == name)
                .ok_or_else(not_found)?;
            if let Some(t) = parse_throughput(up.obj("ProvisionedThroughput")) {
                if billing == BillingMode::PayPerRequest {
                    return Err(crate::ops::tables::create_table::invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"));
                }
                check_throughput(&t)?;
                g.throughput = Some(t);
            }
            if let (Some(o), BillingMode::PayPerRequest) = (up.obj("OnDemandThroughput"), billing) {
                g.on_demand = Some(merge_on_demand(
                    g.on_demand,
                    o,
                    &format!("index : {}", g.name),
                )?);
            }
            if let Some(w) = crate::ops::tables::create_table::warm_throughput(up) {
                g.warm = Some(w);
            }
        }
    }
    let reorder = !changes.created.is_empty() || !changes.deleted.is_empty();
    merge_definitions(meta, new_defs, reorder);
    Ok(changes)
}

/// The request's AttributeDefinitions.
fn request_definitions(input: &Input) -> Vec<(String, KeyType)> {
    input
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
        .collect()
}

/// Attribute definitions stay exactly the key attributes of the table and its indexes (and the
/// vector indexes' SearchSchema attributes); after an index is created or deleted (`reorder`)
/// DynamoDB Local lists them in Java HashMap order.
fn merge_definitions(meta: &mut TableMeta, new_defs: Vec<(String, KeyType)>, reorder: bool) {
    let used: Vec<String> = meta
        .key
        .attrs()
        .chain(meta.indexes().flat_map(|i| i.key.attrs()))
        .map(|a| a.name.clone())
        .chain(vector_indexes::defined_attributes(&meta.vector_indexes).map(String::from))
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
    if reorder {
        merged = java_hash_order(&merged, |(n, _)| n)
            .into_iter()
            .cloned()
            .collect();
    }
    meta.attribute_definitions = merged;
}
