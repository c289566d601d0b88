//! The normaliser: the one function applied to both recorded and live bodies before comparing
//! (rules in conformance/README.md). It also sorts object keys, so stored fixtures are stable.
use serde_json::{Map, Value};

/// Every rule name a fixture's `normalised` list may carry. `error-message-key` is a recording
/// correction (the recorder renames DynamoDB Local's `Message`); replay does not apply it.
pub const RULES: [&str; 9] = [
    "arn",
    "timestamp",
    "table-id",
    "stream-label",
    "error-message-key",
    "stream-record",
    "next-token",
    "revision-id",
    "insights-rule",
];

const TIMESTAMP_KEYS: [&str; 14] = [
    "CreationDateTime",
    "StartTime",
    "ExportTime",
    "BackupCreationDateTime",
    "TableCreationDateTime",
    "EarliestRestorableDateTime",
    "LatestRestorableDateTime",
    "RestoreDateTime",
    "LastIncreaseDateTime",
    "LastDecreaseDateTime",
    "LastUpdateToPayPerRequestDateTime",
    "LastUpdateDateTime",
    "CreationRequestDateTime",
    "ApproximateCreationDateTime",
];

/// `stream-record`: values that are opaque or random in the Streams API. Sequence numbers too:
/// DynamoDB Local numbers records and shards from one counter in its own way; what a client may
/// rely on (they increase within a shard) is proven by the streams proptest instead.
const STREAM_OPAQUE: [(&str, &str); 8] = [
    ("SequenceNumber", "<sequence-number>"),
    ("StartingSequenceNumber", "<sequence-number>"),
    ("EndingSequenceNumber", "<sequence-number>"),
    ("ShardIterator", "<iterator>"),
    ("NextShardIterator", "<iterator>"),
    ("eventID", "<event-id>"),
    ("ShardId", "<shard-id>"),
    ("awsRegion", "<region>"),
];

/// Applies the named rules; unknown names are ignored (fixture loading rejects them).
pub fn normalise(v: &Value, rules: &[String]) -> Value {
    let on = |r: &str| rules.iter().any(|x| x == r);
    let rules = Rules {
        arn: on("arn"),
        timestamp: on("timestamp"),
        table_id: on("table-id"),
        stream_label: on("stream-label"),
        stream_record: on("stream-record"),
        next_token: on("next-token"),
        revision_id: on("revision-id"),
        insights_rule: on("insights-rule"),
    };
    walk(v, None, &rules)
}

struct Rules {
    arn: bool,
    timestamp: bool,
    table_id: bool,
    stream_label: bool,
    stream_record: bool,
    /// PartiQL's NextToken: opaque, each server's own.
    next_token: bool,
    revision_id: bool,
    /// Contributor insights rule names end with the epoch milliseconds of their creation.
    insights_rule: bool,
}

fn walk(v: &Value, key: Option<&str>, r: &Rules) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<_> = m.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let m: Map<String, Value> = entries
                .into_iter()
                .map(|(k, v)| match (k.as_str(), v) {
                    ("ContributorInsightsRuleList", Value::Array(a)) if r.insights_rule => {
                        (k.clone(), Value::Array(a.iter().map(rule_name).collect()))
                    }
                    _ => (k.clone(), walk(v, Some(k), r)),
                })
                .collect();
            Value::Object(m)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| walk(x, None, r)).collect()),
        Value::Number(n) => match key {
            Some(k) if r.timestamp && TIMESTAMP_KEYS.contains(&k) && n.as_f64() != Some(0.0) => {
                Value::String("<timestamp>".into())
            }
            _ => v.clone(),
        },
        Value::String(s) => match key {
            Some("TableId") if r.table_id => Value::String("<uuid>".into()),
            Some("RevisionId") if r.revision_id => Value::String("<revision>".into()),
            Some("LatestStreamLabel" | "StreamLabel") if r.stream_label => {
                Value::String("<label>".into())
            }
            Some("NextToken") if r.next_token => Value::String("<next-token>".into()),
            Some(k) if r.stream_record && STREAM_OPAQUE.iter().any(|(n, _)| *n == k) => {
                let (_, to) = STREAM_OPAQUE
                    .iter()
                    .find(|(n, _)| *n == k)
                    .expect("matched");
                Value::String((*to).into())
            }
            _ if r.arn => Value::String(arns(s)),
            _ => v.clone(),
        },
        _ => v.clone(),
    }
}

/// `insights-rule`: a rule name's trailing `-<epoch millis>` becomes `-<millis>`.
fn rule_name(v: &Value) -> Value {
    match v.as_str().and_then(|s| s.rsplit_once('-')) {
        Some((head, millis))
            if !millis.is_empty() && millis.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Value::String(format!("{head}-<millis>"))
        }
        _ => v.clone(),
    }
}

/// Rewrites the region, account, stream label, and the backup, export, import and bulk
/// operation ids of every `arn:aws:dynamodb:` ARN in `s`.
fn arns(s: &str) -> String {
    const PREFIX: &str = "arn:aws:dynamodb:";
    const STREAM: &str = "/stream/";
    const BACKUP: &str = "/backup/";
    const EXPORT: &str = "/export/";
    const IMPORT: &str = "/import/";
    const BULK: &str = "bulk-operation/";
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(PREFIX) {
        out.push_str(&rest[..i + PREFIX.len()]);
        rest = &rest[i + PREFIX.len()..];
        let mut parts = rest.splitn(3, ':');
        let (Some(_region), Some(_account), Some(tail)) =
            (parts.next(), parts.next(), parts.next())
        else {
            break;
        };
        out.push_str("<region>:<account>:");
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';'))
            .unwrap_or(tail.len());
        let resource = &tail[..end];
        let id = [
            (STREAM, "<label>"),
            (BACKUP, "<backup-id>"),
            (EXPORT, "<export-id>"),
            (IMPORT, "<import-id>"),
            (BULK, "<bulk-operation-id>"),
        ]
        .into_iter()
        .find_map(|(part, to)| resource.find(part).map(|j| (j + part.len(), to)));
        match id {
            Some((j, to)) => {
                out.push_str(&resource[..j]);
                out.push_str(to);
            }
            None => out.push_str(resource),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Self-checks, run as tests by the conformance test binary (see `replay::checks`).
pub mod checks {
    use super::*;
    use serde_json::json;

    /// Every rule rewrites what it names, and normalising twice changes nothing.
    pub fn rules_apply_and_are_idempotent() {
        let all: Vec<String> = RULES.iter().map(|s| s.to_string()).collect();
        let v = json!({"Table": {
            "TableArn": "arn:aws:dynamodb:eu-west-1:123456789012:table/t",
            "LatestStreamArn": "arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/2026-04-21T10:00:00.000",
            "LatestStreamLabel": "2026-04-21T10:00:00.000",
            "TableId": "0b8f0c0e-1",
            "CreationDateTime": 1776765600.123,
            "ProvisionedThroughput": {"LastDecreaseDateTime": 0, "LastIncreaseDateTime": 17.5}
        }});
        let n = normalise(&v, &all);
        assert_eq!(
            n,
            json!({"Table": {
                "CreationDateTime": "<timestamp>",
                "LatestStreamArn": "arn:aws:dynamodb:<region>:<account>:table/t/stream/<label>",
                "LatestStreamLabel": "<label>",
                "ProvisionedThroughput": {"LastDecreaseDateTime": 0, "LastIncreaseDateTime": "<timestamp>"},
                "TableArn": "arn:aws:dynamodb:<region>:<account>:table/t",
                "TableId": "<uuid>"
            }})
        );
        assert_eq!(normalise(&n, &all), n);
        assert_eq!(
            arns("arn:aws:dynamodb:us-east-1:1:table/x/backup/01765000000000-0a1b2c3d"),
            "arn:aws:dynamodb:<region>:<account>:table/x/backup/<backup-id>"
        );
        assert_eq!(
            arns("arn:aws:dynamodb:us-east-1:1:bulk-operation/01765000000000-0a1b2c3d"),
            "arn:aws:dynamodb:<region>:<account>:bulk-operation/<bulk-operation-id>"
        );
        assert_eq!(
            arns("no table arn:aws:dynamodb:us-east-1:1:table/x, sorry"),
            "no table arn:aws:dynamodb:<region>:<account>:table/x, sorry"
        );
    }
}
