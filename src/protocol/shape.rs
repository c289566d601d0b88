//! Request validation driven by the service model (botocore's shapes, trimmed by
//! `xtask/scripts/trim_model.py` into `model/*.json`).
//!
//! Two passes, as the service's front end does: first the JSON types are checked while
//! "deserialising" (a mismatch is a SerializationException, the first one wins); then every
//! required member, enum, length, range and pattern constraint is checked and *all* violations are
//! reported at once (`N validation errors detected: ...; ...`). Only then do operations run their
//! own semantic checks, and only after those is the table looked up.
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug)]
enum Kind {
    Structure {
        members: Vec<(String, usize)>,
        required: Vec<String>,
    },
    List {
        member: usize,
    },
    Map {
        value: usize,
    },
    String {
        enums: Option<Vec<String>>,
        pattern: Option<Pattern>,
    },
    Integer,
    Double,
    Boolean,
    Blob,
    Timestamp,
}

#[derive(Debug)]
struct Shape {
    name: String,
    kind: Kind,
    min: Option<i64>,
    max: Option<i64>,
}

/// The few patterns the model uses, matched by hand rather than with a regex engine.
#[derive(Debug, Clone, Copy)]
enum Pattern {
    /// `[a-zA-Z0-9_.-]+`: table and index names.
    Name,
}

impl Pattern {
    fn parse(p: &str) -> Option<Pattern> {
        match p {
            "[a-zA-Z0-9_.-]+" => Some(Pattern::Name),
            _ => None,
        }
    }
    fn text(self) -> &'static str {
        match self {
            Pattern::Name => "[a-zA-Z0-9_.-]+",
        }
    }
    fn matches(self, s: &str) -> bool {
        match self {
            Pattern::Name => {
                !s.is_empty()
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
            }
        }
    }
}

/// One service's operations and shapes.
pub struct ServiceModel {
    operations: HashMap<String, Option<usize>>,
    shapes: Vec<Shape>,
}

static DYNAMODB: OnceLock<ServiceModel> = OnceLock::new();
static STREAMS: OnceLock<ServiceModel> = OnceLock::new();

pub fn dynamodb() -> &'static ServiceModel {
    DYNAMODB.get_or_init(|| ServiceModel::load(include_str!("model/dynamodb.json")))
}

pub fn streams() -> &'static ServiceModel {
    STREAMS.get_or_init(|| ServiceModel::load(include_str!("model/streams.json")))
}

/// The model of one of the two APIs served.
pub fn model(service: super::Service) -> &'static ServiceModel {
    match service {
        super::Service::DynamoDb => dynamodb(),
        super::Service::Streams => streams(),
    }
}

impl ServiceModel {
    /// Builds the model from the embedded JSON; it is part of the binary, so a failure here is a
    /// build defect caught by the unit tests, never a runtime condition.
    fn load(text: &str) -> ServiceModel {
        let doc: Value = serde_json::from_str(text).expect("embedded service model is valid JSON");
        let raw = doc["shapes"].as_object().expect("shapes");
        let index: HashMap<&str, usize> = raw
            .keys()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();
        let id = |v: &Value| index[v.as_str().expect("shape ref")];
        let shapes = raw
            .iter()
            .map(|(name, s)| {
                let kind = match s["type"].as_str().unwrap_or("") {
                    "structure" => Kind::Structure {
                        members: s["members"]
                            .as_object()
                            .map(|m| m.iter().map(|(k, v)| (k.clone(), id(v))).collect())
                            .unwrap_or_default(),
                        required: s["required"]
                            .as_array()
                            .map(|r| {
                                r.iter()
                                    .filter_map(|v| v.as_str().map(String::from))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    },
                    "list" => Kind::List {
                        member: id(&s["member"]),
                    },
                    "map" => Kind::Map {
                        value: id(&s["value"]),
                    },
                    "string" => Kind::String {
                        enums: s["enum"].as_array().map(|e| {
                            let listed: Vec<String> = e
                                .iter()
                                .filter_map(|v| v.as_str().map(String::from))
                                .collect();
                            service_enum_order(name, listed)
                        }),
                        pattern: s["pattern"].as_str().and_then(Pattern::parse),
                    },
                    "integer" | "long" => Kind::Integer,
                    "double" => Kind::Double,
                    "boolean" => Kind::Boolean,
                    "blob" => Kind::Blob,
                    _ => Kind::Timestamp,
                };
                Shape {
                    name: name.clone(),
                    kind,
                    min: s["min"].as_i64(),
                    max: s["max"].as_i64(),
                }
            })
            .collect();
        let mut operations: HashMap<String, Option<usize>> = doc["operations"]
            .as_object()
            .expect("operations")
            .iter()
            .map(|(k, v)| (k.clone(), Some(id(v))))
            .collect();
        for op in doc["operationsWithoutInput"]
            .as_array()
            .into_iter()
            .flatten()
        {
            operations.insert(op.as_str().unwrap_or_default().to_string(), None);
        }
        ServiceModel { operations, shapes }
    }

    pub fn has_operation(&self, op: &str) -> bool {
        self.operations.contains_key(op)
    }

    /// Validates a request body against the operation's input shape.
    pub fn validate(&self, op: &str, body: &Value) -> Result<()> {
        let Some(Some(root)) = self.operations.get(op) else {
            return Ok(());
        };
        self.check_types(*root, body)?;
        let mut errors = Vec::new();
        self.check_constraints(*root, body, "", &mut errors);
        if errors.is_empty() {
            return Ok(());
        }
        let head = if errors.len() == 1 {
            "1 validation error detected: ".to_string()
        } else {
            format!("{} validation errors detected: ", errors.len())
        };
        Err(Error::validation(head + &errors.join("; ")))
    }

    fn check_types(&self, shape: usize, v: &Value) -> Result<()> {
        let s = &self.shapes[shape];
        if v.is_null() {
            return Ok(());
        }
        let type_name = match &s.kind {
            Kind::String { .. } | Kind::Blob => "String",
            Kind::Integer => "Integer",
            Kind::Double => "Double",
            Kind::Boolean => "Boolean",
            Kind::Timestamp => "Date",
            _ => "",
        };
        match (&s.kind, v) {
            (Kind::Structure { members, .. }, Value::Object(o)) => {
                for (name, m) in members {
                    if let Some(mv) = o.get(name) {
                        self.check_types(*m, mv)?;
                    }
                }
                Ok(())
            }
            (Kind::Map { value, .. }, Value::Object(o)) => {
                o.values().try_for_each(|mv| self.check_types(*value, mv))
            }
            (Kind::List { member }, Value::Array(a)) => {
                a.iter().try_for_each(|e| self.check_types(*member, e))
            }
            (Kind::Structure { .. } | Kind::Map { .. }, Value::Array(_)) => Err(
                Error::serialization("Start of list found where not expected"),
            ),
            (Kind::Structure { .. } | Kind::Map { .. }, _) => {
                Err(Error::serialization("Unexpected value type in payload"))
            }
            (Kind::List { .. }, Value::Object(_)) => Err(Error::serialization(
                "Start of structure or map found where not expected.",
            )),
            (Kind::List { .. }, _) => Err(Error::serialization("Unexpected field type")),
            (_, Value::Object(_)) => Err(Error::serialization(
                "Start of structure or map found where not expected.",
            )),
            (_, Value::Array(_)) => Err(Error::serialization(
                "Start of list found where not expected",
            )),
            (Kind::String { .. } | Kind::Blob, Value::String(_)) => Ok(()),
            (Kind::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(()),
            (Kind::Double | Kind::Timestamp, Value::Number(_)) => Ok(()),
            (Kind::Boolean, Value::Bool(_)) => Ok(()),
            // BOOL and NULL attribute values read "true"/"false" strings as booleans, as
            // DynamoDB Local does (protocol::attr; values/bool_as_string).
            (Kind::Boolean, Value::String(t))
                if matches!(
                    s.name.as_str(),
                    "BooleanAttributeValue" | "NullAttributeValue"
                ) && (t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("false")) =>
            {
                Ok(())
            }
            (_, other) => {
                let token = match other {
                    Value::String(_) => "STRING_VALUE",
                    Value::Bool(true) => "TRUE_VALUE",
                    Value::Bool(false) => "FALSE_VALUE",
                    _ => "NUMBER_VALUE",
                };
                Err(Error::serialization(format!(
                    "{token} cannot be converted to {type_name}"
                )))
            }
        }
    }

    fn check_constraints(&self, shape: usize, v: &Value, path: &str, errors: &mut Vec<String>) {
        let s = &self.shapes[shape];
        match (&s.kind, v) {
            (Kind::Structure { members, required }, Value::Object(o)) => {
                if s.name == "AttributeValue" {
                    return; // attribute values have the service's own validation (protocol::attr)
                }
                let own = left_to_operations(&s.name);
                for (name, m) in members {
                    let child = join(path, name);
                    match o.get(name) {
                        None | Some(Value::Null)
                            if required.contains(name) && !own.required.contains(&name.as_str()) =>
                        {
                            errors.push(format!("Value null at '{child}' failed to satisfy constraint: Member must not be null"))
                        }
                        None | Some(Value::Null) => {}
                        Some(mv) => self.check_constraints(*m, mv, &child, errors),
                    }
                }
            }
            (Kind::List { member }, Value::Array(a)) => {
                self.check_length(s, a.len(), v, path, errors);
                for (i, e) in a.iter().enumerate() {
                    self.check_constraints(*member, e, &format!("{path}.{}.member", i + 1), errors);
                }
            }
            (Kind::Map { value }, Value::Object(o)) => {
                self.check_length(s, o.len(), v, path, errors);
                if self.shapes[*value].name != "AttributeValue" {
                    for (k, e) in o {
                        self.check_constraints(*value, e, &format!("{path}.{k}.member"), errors);
                    }
                }
            }
            (Kind::String { enums, pattern }, Value::String(text)) => {
                if let Some(enums) = enums {
                    if !enums.iter().any(|e| e == text) {
                        errors.push(format!(
                            "Value '{text}' at '{path}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                            enums.join(", ")
                        ));
                        return;
                    }
                }
                self.check_length(s, text.chars().count(), v, path, errors);
                if let Some(p) = pattern {
                    if !p.matches(text) {
                        errors.push(format!(
                            "Value '{text}' at '{path}' failed to satisfy constraint: Member must satisfy regular expression pattern: {}",
                            p.text()
                        ));
                    }
                }
            }
            (Kind::Integer, Value::Number(n)) => {
                let n = n.as_i64().unwrap_or(i64::MAX);
                if let Some(min) = s.min.filter(|m| n < *m) {
                    errors.push(format!("Value '{n}' at '{path}' failed to satisfy constraint: Member must have value greater than or equal to {min}"));
                }
                if let Some(max) = s.max.filter(|m| n > *m) {
                    errors.push(format!("Value '{n}' at '{path}' failed to satisfy constraint: Member must have value less than or equal to {max}"));
                }
            }
            _ => {}
        }
    }

    fn check_length(&self, s: &Shape, len: usize, v: &Value, path: &str, errors: &mut Vec<String>) {
        let len = len as i64;
        let own = left_to_operations(&s.name);
        if let Some(min) = s.min.filter(|m| len < *m && !own.min) {
            errors.push(format!(
                "Value '{}' at '{path}' failed to satisfy constraint: Member must have length greater than or equal to {min}",
                java_string(v)
            ));
        }
        if let Some(max) = s.max.filter(|m| len > *m && !own.max) {
            errors.push(format!(
                "Value '{}' at '{path}' failed to satisfy constraint: Member must have length less than or equal to {max}",
                java_string(v)
            ));
        }
    }
}

/// Model constraints an operation checks itself instead, with the words DynamoDB Local uses:
/// the service's own constraint message would print Java renderings of request objects
/// (`{users=[com.amazonaws...WriteRequest@1a2b]}`) that cannot be reproduced, and it counts keys
/// and write requests over all tables, which a per-list model constraint cannot express.
struct OwnChecks {
    min: bool,
    max: bool,
    required: &'static [&'static str],
}

fn left_to_operations(shape: &str) -> OwnChecks {
    let (min, max, required): (bool, bool, &'static [&'static str]) = match shape {
        // BatchGetItem: "The list of keys in RequestItems for BatchGetItem is required: ..." and
        // "Too many items requested for the BatchGetItem call" (100 keys over all tables).
        "KeyList" => (true, true, &[]),
        "KeysAndAttributes" => (false, false, &["Keys"]),
        "BatchGetRequestMap" => (false, true, &[]),
        // BatchWriteItem: "The batch write request list for a table cannot be null or empty" and
        // "Too many items requested for the BatchWriteItem call" (25 over all tables).
        "WriteRequests" => (true, true, &[]),
        "BatchWriteItemRequestMap" => (false, true, &[]),
        "PutRequest" => (false, false, &["Item"]),
        "DeleteRequest" => (false, false, &["Key"]),
        // Transactions: "Member must have length less than or equal to 100".
        "TransactWriteItemList" | "TransactGetItemList" => (false, true, &[]),
        // PartiQL: "BatchGetItem cannot fetch more than 25 items" (reads) or "BatchWriteItem
        // cannot write more than 25 items" (writes), and 100 statements a transaction.
        "PartiQLBatchRequest" | "ParameterizedStatements" => (false, true, &[]),
        _ => (false, false, &[]),
    };
    OwnChecks { min, max, required }
}

/// Member paths are the member names with a lower-case first letter, joined by dots.
fn join(path: &str, member: &str) -> String {
    let mut c = member.chars();
    let lower: String = c
        .next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default();
    if path.is_empty() {
        lower
    } else {
        format!("{path}.{lower}")
    }
}

/// How the service's (Java) front end prints a value inside a constraint message.
fn java_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(java_string).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(o) => java_map(o),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

fn java_map(o: &Map<String, Value>) -> String {
    format!(
        "{{{}}}",
        o.iter()
            .map(|(k, v)| format!("{k}={}", java_string(v)))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The order in which the service lists an enum's values in its constraint message. It is not
/// always the model's order (the service prints a Java set); where the oracle has shown the
/// order, it is pinned here, else the model's order is used.
fn service_enum_order(shape: &str, listed: Vec<String>) -> Vec<String> {
    let observed: &[&str] = match shape {
        "ReturnValue" => &["ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"],
        "Select" => &[
            "SPECIFIC_ATTRIBUTES",
            "COUNT",
            "ALL_ATTRIBUTES",
            "ALL_PROJECTED_ATTRIBUTES",
        ],
        "ConditionalOperator" => &["OR", "AND"],
        // DynamoDB Local's CreateTable message and the service's (tables/create_table_schema_model_errors).
        "ScalarAttributeType" => &["B", "N", "S"],
        _ => return listed,
    };
    debug_assert!(observed.len() == listed.len());
    observed.iter().map(|s| s.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // The embedded models must load and know the operations we dispatch.
    #[test]
    fn embedded_models_load() {
        assert!(dynamodb().has_operation("CreateTable"));
        assert!(dynamodb().has_operation("ListTables"));
        assert!(streams().has_operation("GetRecords"));
    }

    // The service reports every model violation at once, in member order.
    #[test]
    fn constraint_violations_are_reported_together() {
        let e = dynamodb()
            .validate(
                "ListTables",
                &json!({"Limit": 0, "ExclusiveStartTableName": "a"}),
            )
            .unwrap_err();
        assert_eq!(
            e.message.unwrap(),
            "2 validation errors detected: Value 'a' at 'exclusiveStartTableName' failed to satisfy constraint: \
             Member must have length greater than or equal to 3; Value '0' at 'limit' failed to satisfy constraint: \
             Member must have value greater than or equal to 1"
        );
    }

    #[test]
    fn wrong_json_type_is_a_serialization_error() {
        let e = dynamodb()
            .validate("ListTables", &json!({"Limit": "x"}))
            .unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::Serialization);
    }
}
