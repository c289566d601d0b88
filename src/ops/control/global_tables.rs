//! Global tables, version 2017.11.29: CreateGlobalTable, UpdateGlobalTable, DescribeGlobalTable,
//! ListGlobalTables, DescribeGlobalTableSettings, UpdateGlobalTableSettings. A 2017 global table
//! joins existing, empty tables of the same name and key schema, with NEW_AND_OLD_IMAGES streams,
//! in several regions into one replication group (kept in each member's metadata); from then on
//! writes replicate between them exactly as for version 2019.11.21 (engine/replication.rs).
//! Settings (billing mode, capacities, auto scaling) change across the group in one transaction.
use super::auto_scaling::{self, index_settings, index_settings_mut, parse_update, Capacity};
use crate::engine::replication::VERSION_2017;
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{BillingMode, Scope, TableMeta};
use crate::ops::tables::replica_updates::is_region;
use crate::ops::Input;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// ListGlobalTables' page size when no Limit is given.
const DEFAULT_LIMIT: usize = 100;

fn invalid(msg: impl std::fmt::Display) -> Error {
    Error::validation(format!("One or more parameter values were invalid: {msg}"))
}

fn not_found(name: &str) -> Error {
    Error::new(
        ErrorKind::GlobalTableNotFound,
        format!("Global table not found: Global table with name: {name} does not exist."),
    )
}

/// The members of the 2017.11.29 global table `name` and its regions, in group order.
fn group(engine: &Engine, account: &str, name: &str) -> Result<(Vec<Arc<TableMeta>>, Vec<String>)> {
    let members: Vec<Arc<TableMeta>> = engine
        .group_members(account, name)
        .into_iter()
        .filter(|m| m.global_version.as_deref() == Some(VERSION_2017))
        .collect();
    let Some(first) = members.first() else {
        return Err(not_found(name));
    };
    let regions: Vec<String> = first.replicas.iter().map(|r| r.region.clone()).collect();
    Ok((members, regions))
}

fn description(account: &str, name: &str, regions: &[String], created: f64, status: &str) -> Value {
    let group: Vec<Value> = regions.iter().map(|r| json!({"RegionName": r})).collect();
    json!({"GlobalTableDescription": {
        "ReplicationGroup": group,
        "GlobalTableArn": format!("arn:aws:dynamodb::{account}:global-table/{name}"),
        "CreationDateTime": created,
        "GlobalTableStatus": status,
        "GlobalTableName": name,
    }})
}

/// What a table must be to join a 2017.11.29 global table.
fn check_joinable(meta: &TableMeta, items: i64, like: Option<&TableMeta>) -> Result<()> {
    let (name, region) = (&meta.name, &meta.region);
    let stream_ok = meta
        .stream
        .as_ref()
        .is_some_and(|s| s.enabled && s.view_type == "NEW_AND_OLD_IMAGES");
    if !stream_ok {
        return Err(invalid(format!(
            "Table {name} in region {region} must have DynamoDB Streams enabled with StreamViewType NEW_AND_OLD_IMAGES"
        )));
    }
    if like.is_some_and(|other| other.key != meta.key) {
        return Err(invalid(format!(
            "Table {name} in region {region} does not have the same key schema as the other replicas"
        )));
    }
    if items > 0 {
        return Err(invalid(format!(
            "Table {name} in region {region} must be empty to join a global table"
        )));
    }
    Ok(())
}

fn table_not_found(name: &str, region: &str) -> Error {
    Error::new(
        ErrorKind::TableNotFound,
        format!("Table: {name} not found in region {region}"),
    )
}

fn read_regions(list: Option<&Vec<Value>>) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for r in list.into_iter().flatten() {
        let region = r["RegionName"].as_str().unwrap_or_default().to_string();
        if !is_region(&region) {
            return Err(invalid(format!("Invalid region name: {region}")));
        }
        if out.contains(&region) {
            return Err(invalid(format!("Region {region} is given more than once")));
        }
        out.push(region);
    }
    Ok(out)
}

pub fn create(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let name = input.str("GlobalTableName").unwrap_or_default();
    let regions = read_regions(input.list("ReplicationGroup"))?;
    if engine
        .group_members(&scope.account, name)
        .iter()
        .any(|m| m.global_version.is_some())
    {
        return Err(Error::new(
            ErrorKind::GlobalTableAlreadyExists,
            "Global table with this name already exists",
        ));
    }
    let members = engine.set_legacy_group(&scope.account, name, &regions, |members| {
        for region in &regions {
            let Some((m, items)) = members.iter().find(|(m, _)| m.region == *region) else {
                return Err(table_not_found(name, region));
            };
            check_joinable(m, *items, members.first().map(|(f, _)| &**f))?;
        }
        Ok(())
    })?;
    let created = members
        .first()
        .and_then(|m| m.global_created)
        .unwrap_or_default();
    Ok(description(
        &scope.account,
        name,
        &regions,
        created,
        "CREATING",
    ))
}

pub fn update(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let name = input.str("GlobalTableName").unwrap_or_default();
    let mut creates = Vec::new();
    let mut deletes = Vec::new();
    for u in input.list("ReplicaUpdates").into_iter().flatten() {
        let u = Input::entry(u);
        let (list, action) = match (u.obj("Create"), u.obj("Delete")) {
            (Some(c), None) => (&mut creates, c),
            (None, Some(d)) => (&mut deletes, d),
            _ => {
                return Err(invalid(
                    "A ReplicaUpdate must contain exactly one of Create or Delete",
                ))
            }
        };
        let region = action.str("RegionName").unwrap_or_default().to_string();
        if !is_region(&region) {
            return Err(invalid(format!("Invalid region name: {region}")));
        }
        list.push(region);
    }
    let (_, current) = group(engine, &scope.account, name)?;
    for r in &creates {
        if current.contains(r) {
            return Err(Error::new(
                ErrorKind::ReplicaAlreadyExists,
                format!("Replica already exists in region {r} for global table {name}"),
            ));
        }
    }
    for r in &deletes {
        if !current.contains(r) {
            return Err(Error::new(
                ErrorKind::ReplicaNotFound,
                format!("Replica not found in region {r} for global table {name}"),
            ));
        }
    }
    let regions: Vec<String> = current
        .iter()
        .filter(|r| !deletes.contains(r))
        .chain(creates.iter())
        .cloned()
        .collect();
    if regions.is_empty() {
        return Err(invalid(format!(
            "Global table {name} must keep at least one replica"
        )));
    }
    let members = engine.set_legacy_group(&scope.account, name, &regions, |members| {
        let like = members.iter().find(|(m, _)| !creates.contains(&m.region));
        for region in &creates {
            let Some((m, items)) = members.iter().find(|(m, _)| m.region == *region) else {
                return Err(table_not_found(name, region));
            };
            if m.global_version.is_some() {
                return Err(invalid(format!(
                    "Table {name} in region {region} already belongs to a global table"
                )));
            }
            check_joinable(m, *items, like.map(|(l, _)| &**l))?;
        }
        Ok(())
    })?;
    let created = members
        .first()
        .and_then(|m| m.global_created)
        .unwrap_or_default();
    Ok(description(
        &scope.account,
        name,
        &regions,
        created,
        "UPDATING",
    ))
}

pub fn describe(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let name = input.str("GlobalTableName").unwrap_or_default();
    let (members, regions) = group(engine, &scope.account, name)?;
    let created = members[0].global_created.unwrap_or(members[0].created);
    Ok(description(
        &scope.account,
        name,
        &regions,
        created,
        "ACTIVE",
    ))
}

pub fn list(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let limit = input
        .i64("Limit")
        .map(|l| l as usize)
        .unwrap_or(DEFAULT_LIMIT);
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for m in engine.account_tables(&scope.account) {
        if m.global_version.as_deref() != Some(VERSION_2017)
            || groups.iter().any(|(n, _)| *n == m.name)
        {
            continue;
        }
        groups.push((
            m.name.clone(),
            m.replicas.iter().map(|r| r.region.clone()).collect(),
        ));
    }
    groups.sort();
    if let Some(region) = input.str("RegionName") {
        groups.retain(|(_, regions)| regions.iter().any(|r| r == region));
    }
    let start = match input.str("ExclusiveStartGlobalTableName") {
        Some(after) => groups.partition_point(|(n, _)| n.as_str() <= after),
        None => 0,
    };
    let page: Vec<&(String, Vec<String>)> = groups[start..].iter().take(limit).collect();
    let mut out = Map::new();
    out.insert(
        "GlobalTables".into(),
        Value::Array(
            page.iter()
                .map(|(n, regions)| {
                    let group: Vec<Value> =
                        regions.iter().map(|r| json!({"RegionName": r})).collect();
                    json!({"GlobalTableName": n, "ReplicationGroup": group})
                })
                .collect(),
        ),
    );
    if start + page.len() < groups.len() {
        if let Some((last, _)) = page.last() {
            out.insert("LastEvaluatedGlobalTableName".into(), json!(last));
        }
    }
    Ok(Value::Object(out))
}

/// Auto scaling settings as DescribeGlobalTableSettings shows them (disabled when none).
fn scaling(s: Option<&crate::model::AutoScaling>) -> Value {
    match s {
        Some(s) => auto_scaling::render(s),
        None => json!({"AutoScalingDisabled": true}),
    }
}

fn settings(name: &str, members: &[Arc<TableMeta>]) -> Value {
    let replicas: Vec<Value> = members
        .iter()
        .map(|m| {
            let override_read = m
                .replicas
                .iter()
                .find(|r| r.region == m.region)
                .and_then(|r| r.read_override);
            let mut billing = Map::new();
            billing.insert("BillingMode".into(), json!(m.billing_mode.as_str()));
            if let Some(t) = m.last_update_to_pay_per_request {
                billing.insert("LastUpdateToPayPerRequestDateTime".into(), json!(t));
            }
            let indexes: Vec<Value> = m
                .gsis
                .iter()
                .map(|g| {
                    let s = index_settings(m, &g.name);
                    let t = g.throughput.clone().unwrap_or_default();
                    json!({
                        "IndexName": g.name,
                        "IndexStatus": g.status,
                        "ProvisionedReadCapacityUnits": t.read,
                        "ProvisionedReadCapacityAutoScalingSettings": scaling(s.read.as_ref()),
                        "ProvisionedWriteCapacityUnits": t.write,
                        "ProvisionedWriteCapacityAutoScalingSettings": scaling(s.write.as_ref()),
                    })
                })
                .collect();
            let mut d = Map::new();
            d.insert("RegionName".into(), json!(m.region));
            d.insert("ReplicaStatus".into(), json!("ACTIVE"));
            d.insert("ReplicaBillingModeSummary".into(), Value::Object(billing));
            d.insert(
                "ReplicaProvisionedReadCapacityUnits".into(),
                json!(override_read.unwrap_or(m.throughput.read)),
            );
            d.insert(
                "ReplicaProvisionedReadCapacityAutoScalingSettings".into(),
                scaling(m.auto_scaling.read.as_ref()),
            );
            d.insert(
                "ReplicaProvisionedWriteCapacityUnits".into(),
                json!(m.throughput.write),
            );
            d.insert(
                "ReplicaProvisionedWriteCapacityAutoScalingSettings".into(),
                scaling(m.auto_scaling.write.as_ref()),
            );
            d.insert(
                "ReplicaGlobalSecondaryIndexSettings".into(),
                Value::Array(indexes),
            );
            if let Some(c) = &m.table_class {
                d.insert("ReplicaTableClassSummary".into(), json!({"TableClass": c}));
            }
            Value::Object(d)
        })
        .collect();
    json!({"GlobalTableName": name, "ReplicaSettings": replicas})
}

pub fn describe_settings(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let name = input.str("GlobalTableName").unwrap_or_default();
    let (members, _) = group(engine, &scope.account, name)?;
    Ok(settings(name, &members))
}

pub fn update_settings(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let name = input.str("GlobalTableName").unwrap_or_default();
    let billing = match input.str("GlobalTableBillingMode") {
        Some("PAY_PER_REQUEST") => Some(BillingMode::PayPerRequest),
        Some(_) => Some(BillingMode::Provisioned),
        None => None,
    };
    let write_units = input.i64("GlobalTableProvisionedWriteCapacityUnits");
    let write_scaling = input
        .obj("GlobalTableProvisionedWriteCapacityAutoScalingSettingsUpdate")
        .map(parse_update)
        .transpose()?;
    let mut index_updates = Vec::new();
    for g in input
        .list("GlobalTableGlobalSecondaryIndexSettingsUpdate")
        .into_iter()
        .flatten()
    {
        let g = Input::entry(g);
        index_updates.push((
            g.str("IndexName").unwrap_or_default().to_string(),
            g.i64("ProvisionedWriteCapacityUnits"),
            g.obj("ProvisionedWriteCapacityAutoScalingSettingsUpdate")
                .map(parse_update)
                .transpose()?,
        ));
    }
    let mut replica_updates = Vec::new();
    for r in input.list("ReplicaSettingsUpdate").into_iter().flatten() {
        let r = Input::entry(r);
        let mut gsis = Vec::new();
        for g in r
            .list("ReplicaGlobalSecondaryIndexSettingsUpdate")
            .into_iter()
            .flatten()
        {
            let g = Input::entry(g);
            gsis.push((
                g.str("IndexName").unwrap_or_default().to_string(),
                g.i64("ProvisionedReadCapacityUnits"),
                g.obj("ProvisionedReadCapacityAutoScalingSettingsUpdate")
                    .map(parse_update)
                    .transpose()?,
            ));
        }
        replica_updates.push((
            r.str("RegionName").unwrap_or_default().to_string(),
            r.i64("ReplicaProvisionedReadCapacityUnits"),
            r.obj("ReplicaProvisionedReadCapacityAutoScalingSettingsUpdate")
                .map(parse_update)
                .transpose()?,
            r.str("ReplicaTableClass").map(String::from),
            gsis,
        ));
    }
    let (members, regions) = group(engine, &scope.account, name)?;
    for (region, ..) in &replica_updates {
        if !regions.contains(region) {
            return Err(Error::new(
                ErrorKind::ReplicaNotFound,
                format!("Replica not found in region {region} for global table {name}"),
            ));
        }
    }
    let first = &members[0];
    let index_names = index_updates.iter().map(|(i, ..)| i).chain(
        replica_updates
            .iter()
            .flat_map(|r| r.4.iter().map(|(i, ..)| i)),
    );
    for i in index_names {
        if !first.gsis.iter().any(|g| g.name == *i) {
            return Err(Error::new(
                ErrorKind::IndexNotFound,
                format!("Index not found: {i} is not an index of global table {name}"),
            ));
        }
    }
    let mode = billing.unwrap_or(first.billing_mode);
    let asks_capacity = write_units.is_some()
        || write_scaling.is_some()
        || index_updates
            .iter()
            .any(|(_, w, s)| w.is_some() || s.is_some())
        || replica_updates
            .iter()
            .any(|(_, r, s, _, g)| r.is_some() || s.is_some() || !g.is_empty());
    if mode == BillingMode::PayPerRequest && asks_capacity {
        return Err(invalid(
            "Provisioned capacity and auto scaling cannot be set when the global table's billing mode is PAY_PER_REQUEST",
        ));
    }
    if billing == Some(BillingMode::Provisioned)
        && first.billing_mode == BillingMode::PayPerRequest
        && write_units.is_none()
    {
        return Err(invalid(
            "GlobalTableProvisionedWriteCapacityUnits is required to switch a global table to PROVISIONED",
        ));
    }
    let at = Scope {
        account: scope.account.clone(),
        region: if regions.contains(&scope.region) {
            scope.region.clone()
        } else {
            first.region.clone()
        },
    };
    let now = engine.now();
    engine.update_group(&at, name, |m| {
        let account = m.account.clone();
        if let Some(b) = billing {
            if b != m.billing_mode {
                m.billing_mode = b;
                if b == BillingMode::PayPerRequest {
                    m.throughput.read = 0;
                    m.throughput.write = 0;
                    m.last_update_to_pay_per_request = Some(now);
                    for g in &mut m.gsis {
                        g.throughput = None;
                    }
                    // Auto scaling has nothing to scale on demand.
                    m.auto_scaling = Default::default();
                    m.index_auto_scaling.clear();
                } else {
                    let units = write_units.unwrap_or(1);
                    m.throughput.read = units;
                    for g in &mut m.gsis {
                        g.throughput = Some(crate::model::Throughput {
                            read: units,
                            write: units,
                            ..Default::default()
                        });
                    }
                }
            }
        }
        if let Some(w) = write_units {
            m.throughput.write = w;
        }
        if let Some(u) = &write_scaling {
            let res = auto_scaling::resource(name, None);
            m.auto_scaling.write = Some(u.apply(
                m.auto_scaling.write.as_ref(),
                &account,
                Capacity::Write,
                &res,
            )?);
        }
        for (index, units, update) in &index_updates {
            if let (Some(w), Some(g)) = (units, m.gsis.iter_mut().find(|g| g.name == *index)) {
                g.throughput.get_or_insert_with(Default::default).write = *w;
            }
            if let Some(u) = update {
                let res = auto_scaling::resource(name, Some(index));
                let slot = &mut index_settings_mut(m, index).write;
                *slot = Some(u.apply(slot.as_ref(), &account, Capacity::Write, &res)?);
            }
        }
        for (region, read, update, class, gsis) in &replica_updates {
            if *region != m.region {
                continue;
            }
            if let Some(r) = read {
                m.throughput.read = *r;
            }
            if let Some(u) = update {
                let res = auto_scaling::resource(name, None);
                m.auto_scaling.read =
                    Some(u.apply(m.auto_scaling.read.as_ref(), &account, Capacity::Read, &res)?);
            }
            if let Some(c) = class {
                m.table_class = Some(c.clone());
            }
            for (index, units, update) in gsis {
                if let (Some(r), Some(g)) = (units, m.gsis.iter_mut().find(|g| g.name == *index)) {
                    g.throughput.get_or_insert_with(Default::default).read = *r;
                }
                if let Some(u) = update {
                    let res = auto_scaling::resource(name, Some(index));
                    let slot = &mut index_settings_mut(m, index).read;
                    *slot = Some(u.apply(slot.as_ref(), &account, Capacity::Read, &res)?);
                }
            }
        }
        Ok(())
    })?;
    let (members, _) = group(engine, &scope.account, name)?;
    Ok(settings(name, &members))
}
