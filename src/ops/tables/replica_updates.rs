//! UpdateTable's `ReplicaUpdates` (global tables version 2019.11.21): Create a replica in another
//! region of this awsim (a new table with the source's schema, settings and items, replicated
//! from then on, see engine/replication.rs), Update its overrides (table class, read capacity),
//! Delete it (its table and items go). The answer describes the table as the service does right
//! after the request: UPDATING, the replica CREATING, UPDATING or DELETING; DescribeTable shows
//! the settled state.
//!
//! Rules, checked before anything changes: one action per entry, a region name, no 2017.11.29
//! global table, no replica in the table's own region, a stream with NEW_AND_OLD_IMAGES, and
//! write capacity that is on demand or auto scaled (the service's requirements for replicas).
use crate::engine::replication::VERSION_2017;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::{BillingMode, Scope, TableMeta};
use crate::ops::Input;
use serde_json::Value;
use std::sync::Arc;

/// One entry of `ReplicaUpdates`.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplicaAction {
    Create(String),
    Update {
        region: String,
        table_class: Option<String>,
        read: Option<i64>,
    },
    Delete(String),
}

impl ReplicaAction {
    pub fn region(&self) -> &str {
        match self {
            ReplicaAction::Create(r) | ReplicaAction::Delete(r) => r,
            ReplicaAction::Update { region, .. } => region,
        }
    }
}

/// An AWS region name: `xx-name-N`, with `-gov`/`-iso` style parts allowed in between.
pub fn is_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].parse::<u8>().is_ok()
}

fn invalid(msg: impl std::fmt::Display) -> Error {
    Error::validation(format!("One or more parameter values were invalid: {msg}"))
}

/// Reads `ReplicaUpdates` (already model-validated): one action per entry, valid region names.
pub fn parse(input: &Input) -> Result<Vec<ReplicaAction>> {
    let mut out = Vec::new();
    for entry in input
        .list("ReplicaUpdates")
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(Input)
    {
        let present: Vec<&str> = ["Create", "Update", "Delete"]
            .into_iter()
            .filter(|a| entry.obj(a).is_some())
            .collect();
        let [action] = present[..] else {
            return Err(invalid(
                "A ReplicaUpdate must contain exactly one of Create, Update or Delete",
            ));
        };
        let body = entry.obj(action).expect("present");
        let region = body.str("RegionName").unwrap_or_default().to_string();
        if !is_region(&region) {
            return Err(invalid(format!("Invalid region name: {region}")));
        }
        out.push(match action {
            "Create" => ReplicaAction::Create(region),
            "Delete" => ReplicaAction::Delete(region),
            _ => ReplicaAction::Update {
                region,
                table_class: body.str("TableClassOverride").map(String::from),
                read: body
                    .obj("ProvisionedThroughputOverride")
                    .and_then(|p| p.i64("ReadCapacityUnits")),
            },
        });
    }
    let mut regions: Vec<&str> = out.iter().map(ReplicaAction::region).collect();
    regions.sort();
    if regions.windows(2).any(|w| w[0] == w[1]) {
        return Err(invalid(
            "Only one update per replica region is allowed in a request",
        ));
    }
    Ok(out)
}

/// The service's requirements for a table that gets a replica.
fn check_create(src: &TableMeta, existing: Option<&TableMeta>, region: &str) -> Result<()> {
    if region == src.region {
        return Err(invalid(format!(
            "Cannot add a replica of table {} in its own region {region}",
            src.name
        )));
    }
    if existing.is_some() || src.replicas.iter().any(|r| r.region == region) {
        return Err(Error::validation(format!(
            "Failed to create a the new replica of table with name: '{}' because one or more replicas already existed as tables.",
            src.name
        )));
    }
    let stream_ok = src
        .stream
        .as_ref()
        .is_some_and(|s| s.enabled && s.view_type == "NEW_AND_OLD_IMAGES");
    if !stream_ok {
        return Err(invalid(
            "Table must have DynamoDB Streams enabled with StreamViewType NEW_AND_OLD_IMAGES to have replicas",
        ));
    }
    if src.billing_mode == BillingMode::Provisioned && src.auto_scaling.write.is_none() {
        return Err(Error::validation(
            "Table write capacity should either be Pay-Per-Request or AutoScaled.",
        ));
    }
    Ok(())
}

fn check_member(src: &TableMeta, region: &str) -> Result<()> {
    if region == src.region {
        return Err(invalid(format!(
            "Cannot update or delete the replica in the region of the request ({region}); use UpdateTable or DeleteTable there"
        )));
    }
    if !src.replicas.iter().any(|r| r.region == region) {
        return Err(invalid(format!(
            "Table {} has no replica in region {region}",
            src.name
        )));
    }
    Ok(())
}

/// Checks what does not depend on the order of the actions (done before any change).
pub fn validate(meta: &TableMeta, actions: &[ReplicaAction]) -> Result<()> {
    if meta.global_version.as_deref() == Some(VERSION_2017) && !actions.is_empty() {
        return Err(invalid(format!(
            "Table {} belongs to a global table of version {VERSION_2017}; use UpdateGlobalTable",
            meta.name
        )));
    }
    Ok(())
}

/// The replicas an UpdateTable changed, with the status its answer shows for each.
pub type Reported = Vec<(String, &'static str)>;

/// Applies the actions in order; returns the caller's table and the replica statuses to report.
pub fn apply(
    engine: &Engine,
    scope: &Scope,
    name: &str,
    actions: &[ReplicaAction],
) -> Result<(Arc<TableMeta>, Reported)> {
    let mut meta = engine.table(scope, name)?;
    let mut reported = Vec::new();
    for action in actions {
        meta = match action {
            ReplicaAction::Create(region) => {
                reported.push((region.clone(), "CREATING"));
                engine.add_replica(scope, name, region, |src, existing| {
                    check_create(src, existing, region)
                })?
            }
            ReplicaAction::Delete(region) => {
                reported.push((region.clone(), "DELETING"));
                engine.remove_replica(scope, name, region, |src| check_member(src, region))?
            }
            ReplicaAction::Update {
                region,
                table_class,
                read,
            } => {
                check_member(&meta, region)?;
                reported.push((region.clone(), "UPDATING"));
                engine.update_group(scope, name, |m| {
                    if let Some(r) = m.replicas.iter_mut().find(|r| r.region == *region) {
                        if let Some(c) = table_class {
                            r.table_class = Some(c.clone());
                        }
                        if let Some(n) = read {
                            r.read_override = Some(*n);
                        }
                    }
                    if m.region == *region {
                        if let Some(c) = table_class {
                            m.table_class = Some(c.clone());
                        }
                    }
                    Ok(())
                })?
            }
        };
    }
    Ok((meta, reported))
}

/// The table as the service answers right after the request: UPDATING, each changed replica in
/// its transitional status (a deleted one still listed as DELETING).
pub fn as_reported(meta: &TableMeta, reported: &[(String, &'static str)]) -> TableMeta {
    let mut meta = meta.clone();
    meta.status = "UPDATING".into();
    for (region, status) in reported {
        match meta.replicas.iter_mut().find(|r| r.region == *region) {
            Some(r) => r.status = status.to_string(),
            None => {
                if meta.replicas.is_empty() {
                    // The last replica is going: the table is still global in the answer.
                    meta.replicas.push(crate::model::Replica {
                        region: meta.region.clone(),
                        status: "ACTIVE".into(),
                        table_class: None,
                        read_override: None,
                    });
                    meta.global_version = Some(crate::engine::replication::VERSION_2019.into());
                }
                meta.replicas.push(crate::model::Replica {
                    region: region.clone(),
                    status: status.to_string(),
                    table_class: None,
                    read_override: None,
                })
            }
        }
    }
    meta
}

#[cfg(test)]
mod tests {
    use super::*;

    // Region names decide whether a replica can be addressed at all.
    #[test]
    fn region_names() {
        for ok in ["eu-west-1", "us-gov-west-1", "ap-southeast-2", "cn-north-1"] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in [
            "",
            "eu",
            "eu-west",
            "EU-WEST-1",
            "eu-west-x",
            "e-west-1",
            "eu--1",
        ] {
            assert!(!is_region(bad), "{bad}");
        }
    }
}
