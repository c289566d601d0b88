//! DescribeLimits and DescribeEndpoints: answers about the service itself, no table involved.
use crate::error::Result;
use crate::model::Scope;
use serde_json::{json, Value};

/// The service's default provisioned-capacity quotas of a region (and DynamoDB Local's answer,
/// fixtures/control/describe_limits): per account across its tables, and per new table.
pub const ACCOUNT_MAX_CAPACITY_UNITS: i64 = 80_000;
pub const TABLE_MAX_CAPACITY_UNITS: i64 = 40_000;

/// How long a client may cache the endpoint DescribeEndpoints gives (the service's 24 hours).
pub const ENDPOINT_CACHE_MINUTES: i64 = 1440;

pub fn describe_limits() -> Result<Value> {
    Ok(json!({
        "AccountMaxReadCapacityUnits": ACCOUNT_MAX_CAPACITY_UNITS,
        "AccountMaxWriteCapacityUnits": ACCOUNT_MAX_CAPACITY_UNITS,
        "TableMaxReadCapacityUnits": TABLE_MAX_CAPACITY_UNITS,
        "TableMaxWriteCapacityUnits": TABLE_MAX_CAPACITY_UNITS,
    }))
}

/// The one endpoint of the region: the address the client used (its `Host` header), so that a
/// client doing endpoint discovery keeps talking to awsim; without one, the service's regional
/// name.
pub fn describe_endpoints(scope: &Scope, host: Option<&str>) -> Result<Value> {
    let address = match host.filter(|h| !h.is_empty()) {
        Some(h) => h.to_string(),
        None => format!("dynamodb.{}.amazonaws.com", scope.region),
    };
    Ok(json!({
        "Endpoints": [{"Address": address, "CachePeriodInMinutes": ENDPOINT_CACHE_MINUTES}]
    }))
}
