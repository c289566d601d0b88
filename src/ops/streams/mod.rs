//! The DynamoDB Streams API (`DynamoDBStreams_20120810.*` on the same port): ListStreams,
//! DescribeStream, GetShardIterator, GetRecords. A stream has one shard; its records are read
//! from SQLite by sequence number. Shard iterators are opaque strings naming the stream, the
//! position and when they were issued; they expire after 15 minutes of the engine's clock.
use crate::engine::streams::{decode, event_id, stream_arn, StreamRow, StreamView};
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{KeySchema, Scope};
use crate::ops::Input;
use crate::protocol::attr::render_item;
use base64::Engine as _;
use serde_json::{json, Map, Value};

/// Shard iterators are valid this long.
const ITERATOR_TTL_SECS: f64 = 15.0 * 60.0;

/// Sequence numbers are 21-digit decimal strings.
fn sequence_number(seq: i64) -> String {
    format!("{seq:021}")
}

fn stream_not_found(arn: &str) -> Error {
    Error::new(
        ErrorKind::ResourceNotFound,
        format!("Requested resource not found: Stream: {arn} not found"),
    )
}

fn find(engine: &Engine, scope: &Scope, arn: &str) -> Result<StreamView> {
    engine
        .stream(scope, arn)?
        .ok_or_else(|| stream_not_found(arn))
}

/// The most streams or shards one page lists.
const MAX_LIMIT: i64 = 100;

pub fn list_streams(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let table = input.str("TableName");
    let limit = input.i64("Limit").unwrap_or(MAX_LIMIT);
    if limit > MAX_LIMIT {
        return Err(Error::validation(format!(
            "One or more parameter values were invalid: Limit cannot be greater than the maximum allowed size: {MAX_LIMIT}"
        )));
    }
    let limit = limit.max(1) as usize;
    let streams = engine.list_streams(scope, table)?;
    let start = input.str("ExclusiveStartStreamArn");
    let views: Vec<(String, &StreamRow)> =
        streams.iter().map(|row| (stream_arn(row), row)).collect();
    let skip = match start {
        Some(s) => views
            .iter()
            .position(|(arn, _)| arn == s)
            .map_or(views.len(), |i| i + 1),
        None => 0,
    };
    let page: Vec<_> = views.iter().skip(skip).take(limit).collect();
    let mut out = Map::new();
    out.insert(
        "Streams".into(),
        Value::Array(
            page.iter()
                .map(|(arn, row)| {
                    json!({"StreamArn": arn, "TableName": row.table_name, "StreamLabel": row.label})
                })
                .collect(),
        ),
    );
    if skip + page.len() < views.len() {
        if let Some((arn, _)) = page.last() {
            out.insert("LastEvaluatedStreamArn".into(), json!(arn));
        }
    }
    Ok(Value::Object(out))
}

pub fn describe_stream(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let arn = input.str("StreamArn").unwrap_or_default();
    // A ShardFilter must say what it filters (the model leaves Type optional).
    let filter = input.obj("ShardFilter");
    if filter.is_some_and(|f| f.str("Type").is_none()) {
        return Err(Error::validation(
            "1 validation error detected: Value 'null' at 'shardFilter.type' failed to satisfy constraint: Member must be CHILD_SHARDS",
        ));
    }
    let view = find(engine, scope, arn)?;
    let row = &view.row;
    let schema: KeySchema = serde_json::from_str(&row.key_schema).map_err(Error::internal)?;
    let key_schema: Vec<Value> = schema
        .attrs()
        .enumerate()
        .map(|(i, a)| json!({"AttributeName": a.name, "KeyType": if i == 0 { "HASH" } else { "RANGE" }}))
        .collect();
    let mut range = Map::new();
    // Where the shard starts: its first record, or, before it has any, the next sequence
    // number a record can take (records only ever get higher ones).
    let start = match view.bounds {
        Some((a, _)) => a,
        None => engine.last_sequence()? + 1,
    };
    range.insert(
        "StartingSequenceNumber".into(),
        json!(sequence_number(start)),
    );
    if row.disabled.is_some() {
        if let Some((_, b)) = view.bounds {
            range.insert("EndingSequenceNumber".into(), json!(sequence_number(b)));
        }
    }
    let mut shard = Map::new();
    shard.insert("ShardId".into(), json!(row.shard_id));
    shard.insert("SequenceNumberRange".into(), Value::Object(range));
    // One shard, which has no children (CHILD_SHARDS lists none); an ExclusiveStartShardId
    // naming it leaves nothing to list, one naming no shard of the stream is refused.
    let shards = match input.str("ExclusiveStartShardId") {
        Some(id) if id == row.shard_id => vec![],
        Some(id) => {
            return Err(Error::new(
                ErrorKind::ResourceNotFound,
                format!("Requested resource not found: Shard: {id} not found"),
            ))
        }
        None if filter.is_some() => vec![],
        None => vec![Value::Object(shard)],
    };
    let status = if row.disabled.is_some() {
        "DISABLED"
    } else {
        "ENABLED"
    };
    Ok(json!({
        "StreamDescription": {
            "StreamArn": view.arn(),
            "StreamLabel": row.label,
            "StreamStatus": status,
            "StreamViewType": row.view_type,
            "CreationRequestDateTime": row.created,
            "TableName": row.table_name,
            "KeySchema": key_schema,
            "Shards": shards,
        }
    }))
}

/// What a shard iterator says: read the stream's records after `after`.
struct Iterator {
    stream: i64,
    after: i64,
    issued: f64,
}

impl Iterator {
    fn encode(&self, arn: &str) -> String {
        let inner = format!(
            "{}|{}|{}",
            self.stream,
            self.after,
            (self.issued * 1000.0) as i64
        );
        let b64 = base64::engine::general_purpose::STANDARD.encode(inner);
        format!("{arn}|1|{b64}")
    }

    fn decode(text: &str) -> Option<Iterator> {
        let (_, b64) = text.rsplit_once("|1|")?;
        let inner = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
        let inner = String::from_utf8(inner).ok()?;
        let mut parts = inner.split('|');
        let stream = parts.next()?.parse().ok()?;
        let after = parts.next()?.parse().ok()?;
        let issued_ms: i64 = parts.next()?.parse().ok()?;
        Some(Iterator {
            stream,
            after,
            issued: issued_ms as f64 / 1000.0,
        })
    }
}

pub fn get_shard_iterator(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let arn = input.str("StreamArn").unwrap_or_default();
    let kind = input.str("ShardIteratorType").unwrap_or_default();
    let seq = input.str("SequenceNumber");
    let view = find(engine, scope, arn)?;
    if input.str("ShardId") != Some(view.row.shard_id.as_str()) {
        return Err(Error::new(
            ErrorKind::ResourceNotFound,
            "Shard does not exist",
        ));
    }
    let invalid =
        |m: &str| Error::validation(format!("One or more parameter values were invalid: {m}"));
    let parsed = |s: &str| -> Result<i64> {
        s.parse::<i64>()
            .map_err(|_| invalid("Invalid SequenceNumber"))
    };
    let after = match kind {
        "AT_TIMESTAMP" if seq.is_some() => {
            return Err(invalid(
                "SequenceNumber should not be passed for this iterator type",
            ))
        }
        // The first record at or after the time (2026 API): seconds since the epoch.
        "AT_TIMESTAMP" => {
            let Some(at) = input.get("Timestamp").and_then(Value::as_f64) else {
                return Err(invalid(
                    "Timestamp must be passed for AT_TIMESTAMP iterator type",
                ));
            };
            engine.sequence_before(view.row.id, at)?
        }
        "TRIM_HORIZON" | "LATEST" if input.get("Timestamp").is_some() => {
            return Err(invalid(
                "Timestamp should not be passed for this iterator type",
            ))
        }
        "TRIM_HORIZON" | "LATEST" if seq.is_some() => {
            return Err(invalid(
                "SequenceNumber should not be passed for this iterator type",
            ))
        }
        "TRIM_HORIZON" => 0,
        "LATEST" => engine.last_sequence()?,
        "AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER" => {
            let Some(seq) = seq else {
                return Err(invalid("Invalid SequenceNumber"));
            };
            let n = parsed(seq)?;
            if kind == "AT_SEQUENCE_NUMBER" {
                n - 1
            } else {
                n
            }
        }
        _ => return Err(invalid("Invalid ShardIteratorType")),
    };
    if let Some((first, _)) = view.bounds {
        if matches!(kind, "AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER") && after + 1 < first {
            return Err(Error::new(
                ErrorKind::TrimmedDataAccess,
                "The operation attempted to read past the oldest stream record in a shard.",
            ));
        }
    }
    let it = Iterator {
        stream: view.row.id,
        after,
        issued: engine.now(),
    };
    Ok(json!({"ShardIterator": it.encode(&view.arn())}))
}

pub fn get_records(engine: &Engine, _scope: &Scope, input: Input) -> Result<Value> {
    let text = input.str("ShardIterator").unwrap_or_default();
    let limit = input.i64("Limit").unwrap_or(1000);
    if limit > 1000 {
        return Err(Error::validation(
            "One or more parameter values were invalid: Limit should be less than or equal to 1000",
        ));
    }
    let it = Iterator::decode(text).ok_or_else(|| Error::validation("Invalid ShardIterator"))?;
    let now = engine.now();
    if now - it.issued > ITERATOR_TTL_SECS {
        return Err(Error::new(
            ErrorKind::ExpiredIterator,
            "Iterator expired. The iterator was created more than 15 minutes ago.",
        ));
    }
    let view = engine
        .stream_by_id(it.stream)?
        .ok_or_else(|| Error::new(ErrorKind::ResourceNotFound, "Requested resource not found"))?;
    let records = engine.stream_records(it.stream, it.after, limit.max(1) as usize)?;
    let region = view.row.region.clone();
    let mut out = Vec::with_capacity(records.len());
    let mut last = it.after;
    for r in &records {
        last = r.seq;
        let mut ddb = Map::new();
        // The service states the time to the minute.
        ddb.insert(
            "ApproximateCreationDateTime".into(),
            json!((r.created / 60.0).floor() * 60.0),
        );
        ddb.insert("Keys".into(), render_item(&decode(&r.keys)?));
        if let Some(img) = &r.new_image {
            ddb.insert("NewImage".into(), render_item(&decode(img)?));
        }
        if let Some(img) = &r.old_image {
            ddb.insert("OldImage".into(), render_item(&decode(img)?));
        }
        ddb.insert("SequenceNumber".into(), json!(sequence_number(r.seq)));
        ddb.insert("SizeBytes".into(), json!(r.size));
        ddb.insert("StreamViewType".into(), json!(view.row.view_type));
        let mut rec = Map::new();
        rec.insert("eventID".into(), json!(event_id(r.seq, it.stream)));
        rec.insert("eventName".into(), json!(r.event));
        rec.insert("eventVersion".into(), json!("1.1"));
        rec.insert("eventSource".into(), json!("aws:dynamodb"));
        rec.insert("awsRegion".into(), json!(region));
        rec.insert("dynamodb".into(), Value::Object(ddb));
        if r.by_ttl {
            rec.insert(
                "userIdentity".into(),
                json!({"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}),
            );
        } else if r.replicated {
            // A write replicated from another region of a global table: made by the service's
            // replication principal (the one its service-linked role trusts), not a client.
            rec.insert(
                "userIdentity".into(),
                json!({"Type": "Service", "PrincipalId": "replication.dynamodb.amazonaws.com"}),
            );
        }
        out.push(Value::Object(rec));
    }
    let mut body = Map::new();
    body.insert("Records".into(), Value::Array(out));
    // A closed shard (stream disabled) read to its end has no next iterator.
    let exhausted = view.bounds.is_none_or(|(_, end)| last >= end);
    if !(view.row.disabled.is_some() && exhausted) {
        let next = Iterator {
            stream: it.stream,
            after: last,
            issued: now,
        };
        body.insert("NextShardIterator".into(), json!(next.encode(&view.arn())));
    }
    Ok(Value::Object(body))
}
