//! Kinesis Data Streams destinations: Enable, Disable, Update and DescribeKinesisStreamingDestination.
//! A destination is kept in the table's metadata with the service's status machine: Enable
//! answers ENABLING and the destination is ACTIVE from then on; Disable answers DISABLING and it
//! is DISABLED; Update answers UPDATING and changes the timestamp precision. awsim has no Kinesis:
//! the destination is recorded and described, no record is sent anywhere (README).
//!
//! Checks in order: model constraints, the stream ARN's form, the precision, then the table
//! (ResourceNotFound), then the destination's state and the per-table limit.
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{KinesisDestination, Scope};
use crate::ops::Input;
use serde_json::{json, Map, Value};

/// Destinations streaming (ENABLING or ACTIVE) at once per table.
pub const MAX_ACTIVE_DESTINATIONS: usize = 2;

const DEFAULT_PRECISION: &str = "MILLISECOND";

/// `arn:<partition>:kinesis:<region>:<account>:stream/<name>` with a 12-digit account and a
/// stream name of 1 to 128 of `[a-zA-Z0-9_.-]`.
pub fn is_kinesis_stream_arn(arn: &str) -> bool {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("kinesis"), Some(region), Some(account), Some(rest)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let name = rest.strip_prefix("stream/").unwrap_or_default();
    !partition.is_empty()
        && !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

/// The stream ARN of a request, checked.
fn stream_arn<'a>(input: Input<'a>) -> Result<&'a str> {
    let arn = input.str("StreamArn").unwrap_or_default();
    if !is_kinesis_stream_arn(arn) {
        return Err(Error::validation(format!(
            "Invalid StreamArn: {arn} is not the ARN of a Kinesis data stream"
        )));
    }
    Ok(arn)
}

fn not_streaming(table: &str, arn: &str) -> Error {
    Error::validation(format!(
        "Table {table} is not streaming to the Kinesis data stream {arn}"
    ))
}

/// The answer of Enable/Disable/Update: the table, the stream, the transitional status, and the
/// configuration the request gave.
fn answer(table: &str, arn: &str, status: &str, config: Option<(&str, Input)>) -> Value {
    let mut m = Map::new();
    m.insert("TableName".into(), json!(table));
    m.insert("StreamArn".into(), json!(arn));
    m.insert("DestinationStatus".into(), json!(status));
    if let Some((name, c)) = config {
        m.insert(name.into(), Value::Object(c.0.clone()));
    }
    Value::Object(m)
}

pub fn enable(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let arn = stream_arn(input)?;
    let config = input.obj("EnableKinesisStreamingConfiguration");
    let precision = config
        .and_then(|c| c.str("ApproximateCreationDateTimePrecision"))
        .unwrap_or(DEFAULT_PRECISION)
        .to_string();
    let name = input.table_name();
    engine.table(scope, name)?;
    engine.update_table(scope, name, |meta| {
        let streaming = |d: &KinesisDestination| d.status == "ACTIVE";
        if meta.kinesis.iter().any(|d| d.stream_arn == arn && streaming(d)) {
            return Err(Error::new(
                ErrorKind::ResourceInUse,
                format!("Table {name} is already streaming to the Kinesis data stream {arn}"),
            ));
        }
        if meta.kinesis.iter().filter(|d| streaming(d)).count() >= MAX_ACTIVE_DESTINATIONS {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "Table {name} already streams to {MAX_ACTIVE_DESTINATIONS} Kinesis data streams, the most a table can"
                ),
            ));
        }
        match meta.kinesis.iter_mut().find(|d| d.stream_arn == arn) {
            Some(d) => {
                d.status = "ACTIVE".into();
                d.precision = precision.clone();
            }
            None => meta.kinesis.push(KinesisDestination {
                stream_arn: arn.to_string(),
                status: "ACTIVE".into(),
                precision: precision.clone(),
            }),
        }
        Ok(())
    })?;
    Ok(answer(
        name,
        arn,
        "ENABLING",
        config.map(|c| ("EnableKinesisStreamingConfiguration", c)),
    ))
}

pub fn disable(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let arn = stream_arn(input)?;
    let name = input.table_name();
    engine.table(scope, name)?;
    engine.update_table(scope, name, |meta| {
        match meta
            .kinesis
            .iter_mut()
            .find(|d| d.stream_arn == arn && d.status == "ACTIVE")
        {
            Some(d) => {
                d.status = "DISABLED".into();
                Ok(())
            }
            None => Err(not_streaming(name, arn)),
        }
    })?;
    Ok(answer(
        name,
        arn,
        "DISABLING",
        input
            .obj("EnableKinesisStreamingConfiguration")
            .map(|c| ("EnableKinesisStreamingConfiguration", c)),
    ))
}

pub fn update(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let arn = stream_arn(input)?;
    let config = input.obj("UpdateKinesisStreamingConfiguration");
    let Some(precision) = config.and_then(|c| c.str("ApproximateCreationDateTimePrecision")) else {
        return Err(Error::validation(
            "UpdateKinesisStreamingConfiguration must name an ApproximateCreationDateTimePrecision",
        ));
    };
    let name = input.table_name();
    engine.table(scope, name)?;
    engine.update_table(scope, name, |meta| {
        let d = meta
            .kinesis
            .iter_mut()
            .find(|d| d.stream_arn == arn && d.status == "ACTIVE")
            .ok_or_else(|| not_streaming(name, arn))?;
        if d.precision == precision {
            return Err(Error::validation(format!(
                "The Kinesis streaming destination {arn} already uses ApproximateCreationDateTimePrecision {precision}"
            )));
        }
        d.precision = precision.to_string();
        Ok(())
    })?;
    Ok(answer(
        name,
        arn,
        "UPDATING",
        config.map(|c| ("UpdateKinesisStreamingConfiguration", c)),
    ))
}

pub fn describe(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let meta = engine.table(scope, input.table_name())?;
    let destinations: Vec<Value> = meta
        .kinesis
        .iter()
        .map(|d| {
            json!({
                "StreamArn": d.stream_arn,
                "DestinationStatus": d.status,
                "ApproximateCreationDateTimePrecision": d.precision,
            })
        })
        .collect();
    Ok(json!({"TableName": meta.name, "KinesisDataStreamDestinations": destinations}))
}

#[cfg(test)]
mod tests {
    // Only a Kinesis data stream's ARN can be a destination; a DynamoDB stream ARN (a common
    // mix-up) or a Kinesis consumer ARN is not one.
    #[test]
    fn only_kinesis_stream_arns_are_destinations() {
        use super::is_kinesis_stream_arn as ok;
        assert!(ok("arn:aws:kinesis:us-east-1:123456789012:stream/orders"));
        assert!(ok(
            "arn:aws-cn:kinesis:cn-north-1:123456789012:stream/a.b-c_d"
        ));
        assert!(!ok(
            "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-01-01T00:00:00.000"
        ));
        assert!(!ok(
            "arn:aws:kinesis:us-east-1:123456789012:stream/orders/consumer/c:1"
        ));
        assert!(!ok("arn:aws:kinesis:us-east-1:1234:stream/orders"));
        assert!(!ok("arn:aws:kinesis:us-east-1:123456789012:stream/"));
        assert!(!ok("orders"));
    }
}
