//! DescribeTableReplicaAutoScaling and UpdateTableReplicaAutoScaling, and the auto scaling
//! settings they share with the 2017.11.29 global table settings (`global_tables.rs`). awsim
//! does not scale anything: the settings Application Auto Scaling would hold are validated,
//! stored in each replica's metadata and described. Write capacity settings belong to the whole
//! global table (every replica gets them), read capacity settings to one replica.
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::{
    AutoScaling, BillingMode, CapacityAutoScaling, ScalingPolicy, Scope, TableMeta,
};
use crate::ops::Input;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// Target utilisation, in percent, that Application Auto Scaling accepts for DynamoDB.
pub const MIN_TARGET: f64 = 20.0;
pub const MAX_TARGET: f64 = 90.0;

fn invalid(msg: impl std::fmt::Display) -> Error {
    Error::validation(format!("One or more parameter values were invalid: {msg}"))
}

/// Read or write capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capacity {
    Read,
    Write,
}

impl Capacity {
    fn metric(self) -> &'static str {
        match self {
            Capacity::Read => "DynamoDBReadCapacityUtilization",
            Capacity::Write => "DynamoDBWriteCapacityUtilization",
        }
    }
    pub fn of(self, c: &mut CapacityAutoScaling) -> &mut Option<AutoScaling> {
        match self {
            Capacity::Read => &mut c.read,
            Capacity::Write => &mut c.write,
        }
    }
}

/// An `AutoScalingSettingsUpdate`, checked on its own (minimum not above maximum, a target
/// utilisation Application Auto Scaling accepts).
#[derive(Clone, Copy)]
pub struct SettingsUpdate<'a>(Input<'a>);

pub fn parse_update(u: Input) -> Result<SettingsUpdate> {
    let (min, max) = (u.i64("MinimumUnits"), u.i64("MaximumUnits"));
    if let (Some(min), Some(max)) = (min, max) {
        if min > max {
            return Err(invalid(format!(
                "MinimumUnits ({min}) must be less than or equal to MaximumUnits ({max})"
            )));
        }
    }
    if let Some(t) = u
        .obj("ScalingPolicyUpdate")
        .and_then(|p| p.obj("TargetTrackingScalingPolicyConfiguration"))
    {
        let target = t.get("TargetValue").and_then(Value::as_f64).unwrap_or(0.0);
        if !(MIN_TARGET..=MAX_TARGET).contains(&target) {
            return Err(invalid(format!(
                "TargetValue ({target}) must be between {MIN_TARGET} and {MAX_TARGET}"
            )));
        }
        for c in ["ScaleInCooldown", "ScaleOutCooldown"] {
            if t.i64(c).is_some_and(|v| v < 0) {
                return Err(invalid(format!("{c} must not be negative")));
            }
        }
    }
    Ok(SettingsUpdate(u))
}

/// The role Application Auto Scaling uses for DynamoDB (its service-linked role).
fn default_role(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable")
}

/// The scalable resource: `table/<name>` or `table/<name>/index/<index>`.
pub fn resource(table: &str, index: Option<&str>) -> String {
    match index {
        Some(i) => format!("table/{table}/index/{i}"),
        None => format!("table/{table}"),
    }
}

impl SettingsUpdate<'_> {
    /// The settings after this update; a first update must name both limits.
    pub fn apply(
        &self,
        current: Option<&AutoScaling>,
        account: &str,
        capacity: Capacity,
        resource: &str,
    ) -> Result<AutoScaling> {
        let u = self.0;
        let min = u.i64("MinimumUnits").or(current.map(|c| c.min));
        let max = u.i64("MaximumUnits").or(current.map(|c| c.max));
        let (Some(min), Some(max)) = (min, max) else {
            return Err(invalid(
                "MinimumUnits and MaximumUnits are required to set up auto scaling",
            ));
        };
        if min > max {
            return Err(invalid(format!(
                "MinimumUnits ({min}) must be less than or equal to MaximumUnits ({max})"
            )));
        }
        let mut policies = current.map(|c| c.policies.clone()).unwrap_or_default();
        if let Some(p) = u.obj("ScalingPolicyUpdate") {
            let t = p
                .obj("TargetTrackingScalingPolicyConfiguration")
                .ok_or_else(|| invalid("TargetTrackingScalingPolicyConfiguration is required"))?;
            let name = p
                .str("PolicyName")
                .map(String::from)
                .unwrap_or_else(|| format!("{}:{resource}", capacity.metric()));
            let policy = ScalingPolicy {
                name: name.clone(),
                target: t.get("TargetValue").and_then(Value::as_f64).unwrap_or(0.0),
                disable_scale_in: t.bool("DisableScaleIn"),
                scale_in_cooldown: t.i64("ScaleInCooldown"),
                scale_out_cooldown: t.i64("ScaleOutCooldown"),
            };
            policies.retain(|p| p.name != name);
            policies.push(policy);
        }
        Ok(AutoScaling {
            min,
            max,
            disabled: u
                .bool("AutoScalingDisabled")
                .or(current.map(|c| c.disabled))
                .unwrap_or(false),
            role_arn: u
                .str("AutoScalingRoleArn")
                .map(String::from)
                .or(current.map(|c| c.role_arn.clone()))
                .unwrap_or_else(|| default_role(account)),
            policies,
        })
    }
}

/// An `AutoScalingSettingsDescription`.
pub fn render(s: &AutoScaling) -> Value {
    let policies: Vec<Value> = s
        .policies
        .iter()
        .map(|p| {
            let mut t = Map::new();
            if let Some(v) = p.disable_scale_in {
                t.insert("DisableScaleIn".into(), json!(v));
            }
            if let Some(v) = p.scale_in_cooldown {
                t.insert("ScaleInCooldown".into(), json!(v));
            }
            if let Some(v) = p.scale_out_cooldown {
                t.insert("ScaleOutCooldown".into(), json!(v));
            }
            t.insert("TargetValue".into(), json!(p.target));
            json!({"PolicyName": p.name, "TargetTrackingScalingPolicyConfiguration": t})
        })
        .collect();
    json!({
        "MinimumUnits": s.min,
        "MaximumUnits": s.max,
        "AutoScalingDisabled": s.disabled,
        "AutoScalingRoleArn": s.role_arn,
        "ScalingPolicies": policies,
    })
}

/// The auto scaling settings of one of the table's GSIs (default: none).
pub fn index_settings(meta: &TableMeta, index: &str) -> CapacityAutoScaling {
    meta.index_auto_scaling
        .iter()
        .find(|(n, _)| n == index)
        .map(|(_, c)| c.clone())
        .unwrap_or_default()
}

/// Mutable access to a GSI's settings, created empty when missing.
pub fn index_settings_mut<'m>(meta: &'m mut TableMeta, index: &str) -> &'m mut CapacityAutoScaling {
    let at = match meta.index_auto_scaling.iter().position(|(n, _)| n == index) {
        Some(at) => at,
        None => {
            meta.index_auto_scaling
                .push((index.to_string(), CapacityAutoScaling::default()));
            meta.index_auto_scaling.len() - 1
        }
    };
    &mut meta.index_auto_scaling[at].1
}

/// One replica's `ReplicaAutoScalingDescription`.
fn replica_description(meta: &TableMeta) -> Value {
    let mut m = Map::new();
    m.insert("RegionName".into(), json!(meta.region));
    let indexes: Vec<Value> = meta
        .gsis
        .iter()
        .map(|g| {
            let s = index_settings(meta, &g.name);
            let mut d = Map::new();
            d.insert("IndexName".into(), json!(g.name));
            d.insert("IndexStatus".into(), json!(g.status));
            if let Some(r) = &s.read {
                d.insert(
                    "ProvisionedReadCapacityAutoScalingSettings".into(),
                    render(r),
                );
            }
            if let Some(w) = &s.write {
                d.insert(
                    "ProvisionedWriteCapacityAutoScalingSettings".into(),
                    render(w),
                );
            }
            Value::Object(d)
        })
        .collect();
    m.insert("GlobalSecondaryIndexes".into(), Value::Array(indexes));
    if let Some(r) = &meta.auto_scaling.read {
        m.insert(
            "ReplicaProvisionedReadCapacityAutoScalingSettings".into(),
            render(r),
        );
    }
    if let Some(w) = &meta.auto_scaling.write {
        m.insert(
            "ReplicaProvisionedWriteCapacityAutoScalingSettings".into(),
            render(w),
        );
    }
    m.insert("ReplicaStatus".into(), json!("ACTIVE"));
    Value::Object(m)
}

/// The members of the table's group (the table alone when it is not global), by region.
fn members(engine: &Engine, meta: &Arc<TableMeta>) -> Vec<Arc<TableMeta>> {
    if meta.replicas.is_empty() {
        return vec![meta.clone()];
    }
    engine
        .group_members(&meta.account, &meta.name)
        .into_iter()
        .filter(|m| meta.replicas.iter().any(|r| r.region == m.region))
        .collect()
}

fn description(engine: &Engine, meta: &Arc<TableMeta>, status: &str) -> Value {
    let replicas: Vec<Value> = members(engine, meta)
        .iter()
        .map(|m| replica_description(m))
        .collect();
    json!({"TableAutoScalingDescription": {
        "TableName": meta.name,
        "TableStatus": status,
        "Replicas": replicas,
    }})
}

pub fn describe(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let meta = engine.table(scope, input.table_name())?;
    Ok(description(engine, &meta, &meta.status))
}

/// One change an UpdateTableReplicaAutoScaling asks for.
struct Change<'a> {
    /// None: every replica (write capacity); Some: that region's replica (read capacity).
    region: Option<String>,
    index: Option<String>,
    capacity: Capacity,
    update: SettingsUpdate<'a>,
}

pub fn update(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let mut changes = Vec::new();
    if let Some(u) = input.obj("ProvisionedWriteCapacityAutoScalingUpdate") {
        changes.push(Change {
            region: None,
            index: None,
            capacity: Capacity::Write,
            update: parse_update(u)?,
        });
    }
    for g in input
        .list("GlobalSecondaryIndexUpdates")
        .into_iter()
        .flatten()
    {
        let g = Input::entry(g);
        if let Some(u) = g.obj("ProvisionedWriteCapacityAutoScalingUpdate") {
            changes.push(Change {
                region: None,
                index: g.str("IndexName").map(String::from),
                capacity: Capacity::Write,
                update: parse_update(u)?,
            });
        }
    }
    for r in input.list("ReplicaUpdates").into_iter().flatten() {
        let r = Input::entry(r);
        let region = r.str("RegionName").unwrap_or_default().to_string();
        if let Some(u) = r.obj("ReplicaProvisionedReadCapacityAutoScalingUpdate") {
            changes.push(Change {
                region: Some(region.clone()),
                index: None,
                capacity: Capacity::Read,
                update: parse_update(u)?,
            });
        }
        for g in r
            .list("ReplicaGlobalSecondaryIndexUpdates")
            .into_iter()
            .flatten()
        {
            let g = Input::entry(g);
            if let Some(u) = g.obj("ProvisionedReadCapacityAutoScalingUpdate") {
                changes.push(Change {
                    region: Some(region.clone()),
                    index: g.str("IndexName").map(String::from),
                    capacity: Capacity::Read,
                    update: parse_update(u)?,
                });
            }
        }
    }
    if changes.is_empty() {
        return Err(invalid("At least one auto scaling update is required"));
    }
    let name = input.table_name();
    let meta = engine.table(scope, name)?;
    if meta.billing_mode != BillingMode::Provisioned {
        return Err(invalid(format!(
            "Auto scaling applies to tables in PROVISIONED billing mode; table {name} is PAY_PER_REQUEST"
        )));
    }
    let regions: Vec<&str> = if meta.replicas.is_empty() {
        vec![meta.region.as_str()]
    } else {
        meta.replicas.iter().map(|r| r.region.as_str()).collect()
    };
    for c in &changes {
        if let Some(r) = &c.region {
            if !regions.contains(&r.as_str()) {
                return Err(invalid(format!(
                    "Table {name} has no replica in region {r}"
                )));
            }
        }
        if let Some(i) = &c.index {
            if !meta.gsis.iter().any(|g| g.name == *i) {
                return Err(Error::new(
                    crate::error::ErrorKind::ResourceNotFound,
                    format!("Requested resource not found: Index: {i} not found in table {name}"),
                ));
            }
        }
    }
    let meta = engine.update_group(scope, name, |m| {
        for c in &changes {
            if c.region.as_deref().is_some_and(|r| r != m.region) {
                continue;
            }
            let res = resource(name, c.index.as_deref());
            let (account, capacity) = (m.account.clone(), c.capacity);
            let slot = match &c.index {
                Some(i) => capacity.of(index_settings_mut(m, i)),
                None => capacity.of(&mut m.auto_scaling),
            };
            *slot = Some(c.update.apply(slot.as_ref(), &account, capacity, &res)?);
        }
        Ok(())
    })?;
    Ok(description(engine, &meta, "UPDATING"))
}
