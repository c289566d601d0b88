//! PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy, and the policy checks CreateTable
//! shares. A policy is attached to a table or to one of its streams, kept in the table's
//! metadata (SQLite) with its revision id, and goes with the table. Policies are stored and
//! returned, never enforced: awsim authorises nothing until strict authentication exists.
//!
//! Checks in the service's order: model constraints, the ARN's form and the policy document
//! (ValidationException), then the resource (an ARN of another account is AccessDenied, a table
//! or stream that does not exist ResourceNotFound), then `ExpectedRevisionId`
//! (PolicyNotFoundException).
use super::{access_denied, parse_arn, Resource, ResourceArn};
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Policy, Scope, TableMeta};
use crate::ops::Input;
use serde_json::{json, Value};

/// The largest policy document, in bytes, white space included (the service's 20 KB).
pub const MAX_POLICY_BYTES: usize = 20 * 1024;

/// `ExpectedRevisionId` meaning "only if the resource has no policy yet".
pub const NO_POLICY: &str = "NO_POLICY";

/// Checks a policy document: size, JSON, `Version`, and statements with `Effect`, `Principal`
/// and `Action` (a resource-based policy names who it applies to).
pub fn validate_policy(document: &str) -> Result<()> {
    let invalid = |why: &str| Error::validation(format!("Invalid policy document: {why}"));
    if document.len() > MAX_POLICY_BYTES {
        return Err(Error::validation(format!(
            "Policy document size {} bytes exceeds the maximum allowed size of {MAX_POLICY_BYTES} bytes",
            document.len()
        )));
    }
    let doc: Value = serde_json::from_str(document)
        .map_err(|_| invalid("the policy must be a well-formed JSON document"))?;
    let Some(doc) = doc.as_object() else {
        return Err(invalid("the policy must be a JSON object"));
    };
    match doc.get("Version").and_then(Value::as_str) {
        Some("2012-10-17" | "2008-10-17") => {}
        Some(v) => return Err(invalid(&format!("unsupported Version '{v}'"))),
        None => return Err(invalid("missing Version")),
    }
    let statements = match doc.get("Statement") {
        Some(Value::Array(list)) if !list.is_empty() => list.iter().collect::<Vec<_>>(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => return Err(invalid("missing Statement")),
    };
    for s in statements {
        let Some(s) = s.as_object() else {
            return Err(invalid("each Statement must be a JSON object"));
        };
        match s.get("Effect").and_then(Value::as_str) {
            Some("Allow" | "Deny") => {}
            _ => return Err(invalid("each Statement needs an Effect of Allow or Deny")),
        }
        if !s.contains_key("Principal") && !s.contains_key("NotPrincipal") {
            return Err(invalid("each Statement needs a Principal"));
        }
        if !s.contains_key("Action") && !s.contains_key("NotAction") {
            return Err(invalid("each Statement needs an Action"));
        }
    }
    Ok(())
}

/// A new revision id: the engine clock in milliseconds, after the resource's last one.
pub fn next_revision(now: f64, last: Option<&str>) -> String {
    let now_ms = (now * 1000.0) as i64;
    let last = last.and_then(|r| r.parse::<i64>().ok()).unwrap_or(0);
    now_ms.max(last + 1).to_string()
}

/// The ARN of a policy request: a table or a stream of this scope.
fn policy_arn<'a>(input: Input<'a>) -> Result<(&'a str, ResourceArn<'a>)> {
    let raw = input.str("ResourceArn").unwrap_or_default();
    match parse_arn(raw) {
        Some(arn) if !matches!(arn.resource, Resource::Index { .. }) => Ok((raw, arn)),
        _ => Err(Error::validation(format!(
            "Invalid ResourceArn provided as input {raw}"
        ))),
    }
}

fn not_found(raw: &str) -> Error {
    Error::new(
        ErrorKind::ResourceNotFound,
        format!("Requested resource not found: ResourceArn: {raw} not found"),
    )
}

/// The table holding the policy of `arn` (for a stream ARN, the stream must exist too).
fn resource_table(
    engine: &Engine,
    scope: &Scope,
    raw: &str,
    arn: &ResourceArn,
    action: &str,
) -> Result<std::sync::Arc<TableMeta>> {
    if !arn.is_in(scope) {
        return Err(access_denied(scope, action, raw));
    }
    let meta = engine
        .table(scope, arn.table())
        .map_err(|_| not_found(raw))?;
    if let Resource::Stream { .. } = arn.resource {
        if engine.stream(scope, raw)?.is_none() {
            return Err(not_found(raw));
        }
    }
    Ok(meta)
}

/// The policy slot of `arn` in the table's metadata.
fn slot<'m>(meta: &'m mut TableMeta, arn: &ResourceArn) -> PolicySlot<'m> {
    match arn.resource {
        Resource::Stream { label, .. } => PolicySlot::Stream(meta, label.to_string()),
        _ => PolicySlot::Table(meta),
    }
}

enum PolicySlot<'m> {
    Table(&'m mut TableMeta),
    Stream(&'m mut TableMeta, String),
}

impl PolicySlot<'_> {
    fn get(&self) -> Option<&Policy> {
        match self {
            PolicySlot::Table(m) => m.policy.as_ref(),
            PolicySlot::Stream(m, label) => m
                .stream_policies
                .iter()
                .find(|(l, _)| l == label)
                .map(|(_, p)| p),
        }
    }
    fn set(&mut self, policy: Option<Policy>) {
        match self {
            PolicySlot::Table(m) => m.policy = policy,
            PolicySlot::Stream(m, label) => {
                m.stream_policies.retain(|(l, _)| l != label);
                if let Some(p) = policy {
                    m.stream_policies.push((label.clone(), p));
                }
            }
        }
    }
}

fn policy_not_found(raw: &str) -> Error {
    Error::new(
        ErrorKind::PolicyNotFound,
        format!("Resource-based policy not found for the provided ResourceArn: {raw}"),
    )
}

/// `ExpectedRevisionId` against the current policy.
fn check_expected(expected: Option<&str>, current: Option<&Policy>, raw: &str) -> Result<()> {
    match (expected, current) {
        (None, _) => Ok(()),
        (Some(NO_POLICY), None) => Ok(()),
        (Some(e), Some(p)) if p.revision == e => Ok(()),
        (Some(e), Some(_)) => Err(Error::new(
            ErrorKind::PolicyNotFound,
            format!(
                "Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id {e}, but the policy associated to target resource {raw} has a different revision id"
            ),
        )),
        (Some(_), None) => Err(policy_not_found(raw)),
    }
}

pub fn put_resource_policy(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let (raw, arn) = policy_arn(input)?;
    let document = input.str("Policy").unwrap_or_default().to_string();
    validate_policy(&document)?;
    let meta = resource_table(engine, scope, raw, &arn, "PutResourcePolicy")?;
    let expected = input.str("ExpectedRevisionId");
    let now = engine.now();
    let mut revision = String::new();
    engine.update_table(scope, &meta.name, |m| {
        let mut slot = slot(m, &arn);
        check_expected(expected, slot.get(), raw)?;
        // The same document again keeps its revision (the service's idempotency).
        match slot.get() {
            Some(p) if p.document == document => revision = p.revision.clone(),
            current => {
                revision = next_revision(now, current.map(|p| p.revision.as_str()));
                slot.set(Some(Policy {
                    document: document.clone(),
                    revision: revision.clone(),
                }));
            }
        }
        Ok(())
    })?;
    Ok(json!({ "RevisionId": revision }))
}

pub fn get_resource_policy(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let (raw, arn) = policy_arn(input)?;
    let meta = resource_table(engine, scope, raw, &arn, "GetResourcePolicy")?;
    let mut meta = (*meta).clone();
    let slot = slot(&mut meta, &arn);
    let policy = slot.get().ok_or_else(|| policy_not_found(raw))?;
    Ok(json!({"Policy": policy.document, "RevisionId": policy.revision}))
}

/// Deleting where there is no policy is not an error (the service's idempotency) unless an
/// `ExpectedRevisionId` was given; the answer then has no RevisionId.
pub fn delete_resource_policy(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let (raw, arn) = policy_arn(input)?;
    let meta = resource_table(engine, scope, raw, &arn, "DeleteResourcePolicy")?;
    let expected = input.str("ExpectedRevisionId");
    if expected == Some(NO_POLICY) {
        return Err(policy_not_found(raw));
    }
    let now = engine.now();
    let mut revision = None;
    engine.update_table(scope, &meta.name, |m| {
        let mut slot = slot(m, &arn);
        check_expected(expected, slot.get(), raw)?;
        if let Some(p) = slot.get() {
            revision = Some(next_revision(now, Some(&p.revision)));
            slot.set(None);
        }
        Ok(())
    })?;
    Ok(match revision {
        Some(r) => json!({ "RevisionId": r }),
        None => json!({}),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // What the service documents for a resource-based policy: at most 20 KB counting white
    // space, JSON, a Version, and statements saying who (Principal) may do what (Action).
    #[test]
    fn policy_documents_are_validated() {
        let good = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"dynamodb:GetItem","Resource":"*"}]}"#;
        assert!(validate_policy(good).is_ok());
        let single = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":["dynamodb:*"]}}"#;
        assert!(validate_policy(single).is_ok());
        for bad in [
            "not json",
            "[]",
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"dynamodb:*"}]}"#,
            r#"{"Version":"2012-10-17"}"#,
            r#"{"Version":"2012-10-17","Statement":[]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":"*","Action":"x"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"x"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*"}]}"#,
        ] {
            assert!(validate_policy(bad).is_err(), "{bad}");
        }
        let padded = format!("{good}{}", " ".repeat(MAX_POLICY_BYTES - good.len()));
        assert!(validate_policy(&padded).is_ok());
        assert!(validate_policy(&format!("{padded} ")).is_err());
    }

    // Revision ids only grow, even when the clock has not moved past the last one.
    #[test]
    fn revisions_increase() {
        assert_eq!(next_revision(1.5, None), "1500");
        assert_eq!(next_revision(1.5, Some("1500")), "1501");
        assert_eq!(next_revision(2.0, Some("1500")), "2000");
    }
}
