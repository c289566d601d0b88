//! The rest of the table API (the control plane): tags, limits and endpoints, TruncateTable,
//! resource policies, Kinesis streaming destinations, contributor insights, auto scaling and
//! global-table settings,
//! the 2017.11.29 global tables API. This module holds what they share: DynamoDB resource ARNs
//! and the service's answers for an ARN the caller cannot use. Like every operation family it
//! reads model-validated input and calls the engine; it never touches storage.
pub mod auto_scaling;
pub mod contributor_insights;
pub mod global_tables;
pub mod kinesis;
pub mod limits;
pub mod policies;
pub mod tags;
pub mod truncate_table;

use crate::error::{Error, ErrorKind};
use crate::model::Scope;

/// What a DynamoDB ARN names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource<'a> {
    Table(&'a str),
    Stream { table: &'a str, label: &'a str },
    Index { table: &'a str, index: &'a str },
}

/// `arn:<partition>:dynamodb:<region>:<account>:table/<name>[/stream/<label>|/index/<name>]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceArn<'a> {
    pub region: &'a str,
    pub account: &'a str,
    pub resource: Resource<'a>,
}

impl ResourceArn<'_> {
    /// Whether the ARN is in the caller's own account and region.
    pub fn is_in(&self, scope: &Scope) -> bool {
        self.account == scope.account && self.region == scope.region
    }
    pub fn table(&self) -> &str {
        match self.resource {
            Resource::Table(t)
            | Resource::Stream { table: t, .. }
            | Resource::Index { table: t, .. } => t,
        }
    }
}

fn is_name(s: &str) -> bool {
    (3..=255).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

/// Parses a DynamoDB resource ARN; None when it is not one (any partition, a region of
/// lower-case letters, digits and dashes, a 12-digit account, a valid table name).
pub fn parse_arn(arn: &str) -> Option<ResourceArn<'_>> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("dynamodb"), Some(region), Some(account), Some(rest)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let region_ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    if partition.is_empty() || !region_ok || !account_ok {
        return None;
    }
    let rest = rest.strip_prefix("table/")?;
    let resource = match rest.split_once('/') {
        None => Resource::Table(rest),
        Some((table, tail)) => {
            if let Some(label) = tail.strip_prefix("stream/") {
                if label.is_empty() || label.contains('/') {
                    return None;
                }
                Resource::Stream { table, label }
            } else if let Some(index) = tail.strip_prefix("index/") {
                if !is_name(index) {
                    return None;
                }
                Resource::Index { table, index }
            } else {
                return None;
            }
        }
    };
    let table = match resource {
        Resource::Table(t)
        | Resource::Stream { table: t, .. }
        | Resource::Index { table: t, .. } => t,
    };
    if !is_name(table) {
        return None;
    }
    Some(ResourceArn {
        region,
        account,
        resource,
    })
}

/// The caller's identity as an IAM ARN: awsim has no users, so every caller is its account's
/// root (what STS GetCallerIdentity answers too).
pub fn caller_arn(scope: &Scope) -> String {
    format!("arn:aws:iam::{}:root", scope.account)
}

/// The service's AccessDeniedException for an action on a resource the caller may not use: the
/// service authorises on the ARN before it looks the resource up, so an ARN of another account,
/// and for tagging one of a table that does not exist, is refused this way (tests/tier2/tags of
/// the public suite, recorded against the service).
pub fn access_denied(scope: &Scope, action: &str, arn: &str) -> Error {
    Error::new(
        ErrorKind::AccessDenied,
        format!(
            "User: {} is not authorized to perform: dynamodb:{action} on resource: {arn} because no resource-based policy allows the dynamodb:{action} action",
            caller_arn(scope)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // Which strings name which DynamoDB resource decides between ValidationException and the
    // lookup; a near miss must never be read as a table.
    #[test]
    fn arns_parse_into_tables_streams_and_indexes() {
        let t = parse_arn("arn:aws:dynamodb:us-east-1:123456789012:table/users").unwrap();
        assert_eq!(t.resource, Resource::Table("users"));
        assert_eq!((t.region, t.account), ("us-east-1", "123456789012"));
        let s = parse_arn(
            "arn:aws:dynamodb:eu-west-1:123456789012:table/users/stream/2026-01-01T00:00:00.000",
        )
        .unwrap();
        assert_eq!(
            s.resource,
            Resource::Stream {
                table: "users",
                label: "2026-01-01T00:00:00.000"
            }
        );
        let i = parse_arn("arn:aws-cn:dynamodb:cn-north-1:123456789012:table/users/index/by-x")
            .unwrap();
        assert_eq!(
            i.resource,
            Resource::Index {
                table: "users",
                index: "by-x"
            }
        );
        for bad in [
            "not-a-valid-arn",
            "arn:aws:dynamodb:us-east-1:123456789012:users",
            "arn:aws:dynamodb:us-east-1:1234:table/users",
            "arn:aws:s3:us-east-1:123456789012:table/users",
            "arn:aws:dynamodb:US-EAST-1:123456789012:table/users",
            "arn:aws:dynamodb:us-east-1:123456789012:table/ab",
            "arn:aws:dynamodb:us-east-1:123456789012:table/users/other/x",
            "arn:aws:dynamodb:us-east-1:123456789012:table/users/stream/",
            "arn:aws:dynamodb::123456789012:table/users",
        ] {
            assert_eq!(parse_arn(bad), None, "{bad}");
        }
    }
}
