//! Request validation driven by the service model (botocore's shapes, trimmed by
//! `xtask/scripts/trim_model.py` into `model/*.json`).
//!
//! Two passes, as the service's front end does: first the JSON types are checked while
//! "deserialising" (a mismatch is a SerializationException, the first one wins); then every
//! required member, enum, length, range and pattern constraint is checked and *all* violations are
//! reported at once (`N validation errors detected: ...; ...`). Only then do operations run their
//! own semantic checks, and only after those is the table looked up.
use crate::error::{Error, Result};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug)]
enum Kind {
    Structure {
        members: Vec<(&'static str, usize)>,
        required: Vec<&'static str>,
    },
    List {
        member: usize,
    },
    Map {
        key: usize,
        value: usize,
    },
    String {
        enums: Option<Vec<&'static str>>,
        pattern: Option<Pattern>,
    },
    /// `integer` and `long` shapes (the flag: long), one JSON number type.
    Integer(bool),
    Double,
    Boolean,
    Blob,
    Timestamp,
}

#[derive(Debug)]
struct Shape {
    name: &'static str,
    kind: Kind,
    min: Option<i64>,
    max: Option<i64>,
}

/// The few patterns the model uses, matched by hand rather than with a regex engine.
#[derive(Debug, Clone, Copy)]
enum Pattern {
    /// `[a-zA-Z0-9_.-]+`: table and index names.
    Name,
    /// `^[a-z0-9A-Z]+[\.\-\w]*[a-z0-9A-Z]+$`: S3 bucket names (exports, imports).
    Bucket,
    /// `^[^\$]+$`: client tokens (no `$`, not empty).
    NoDollar,
    /// `[0-9]{12}`: account ids (bucket owners).
    Account,
    /// `([0-9a-f]{16})+`: ListImports' and ListBulkOperations' paging tokens.
    HexGroups,
}

impl Pattern {
    fn parse(p: &str) -> Option<Pattern> {
        match p {
            "[a-zA-Z0-9_.-]+" => Some(Pattern::Name),
            r"^[a-z0-9A-Z]+[\.\-\w]*[a-z0-9A-Z]+$" => Some(Pattern::Bucket),
            r"^[^\$]+$" => Some(Pattern::NoDollar),
            "[0-9]{12}" => Some(Pattern::Account),
            "([0-9a-f]{16})+" => Some(Pattern::HexGroups),
            _ => None,
        }
    }
    fn text(self) -> &'static str {
        match self {
            Pattern::Name => "[a-zA-Z0-9_.-]+",
            Pattern::Bucket => r"^[a-z0-9A-Z]+[\.\-\w]*[a-z0-9A-Z]+$",
            Pattern::NoDollar => r"^[^\$]+$",
            Pattern::Account => "[0-9]{12}",
            Pattern::HexGroups => "([0-9a-f]{16})+",
        }
    }
    fn matches(self, s: &str) -> bool {
        match self {
            Pattern::Name => {
                !s.is_empty()
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
            }
            Pattern::Bucket => {
                // `\w` is ASCII letters, digits and `_` (Java's default).
                let b = s.as_bytes();
                b.len() >= 2
                    && b[0].is_ascii_alphanumeric()
                    && b[b.len() - 1].is_ascii_alphanumeric()
                    && b.iter()
                        .all(|c| c.is_ascii_alphanumeric() || b"._-".contains(c))
            }
            Pattern::NoDollar => !s.is_empty() && !s.contains('$'),
            // Java's `matches` holds the whole string to the pattern.
            Pattern::Account => s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()),
            Pattern::HexGroups => {
                !s.is_empty()
                    && s.len().is_multiple_of(16)
                    && s.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            }
        }
    }
}

/// awsim's own operations, served on the DynamoDB target beside the model's (README): the
/// operation, its input's members (name, shape of the model) and the required ones.
type OwnOperation = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);
const AWSIM_OPERATIONS: &[OwnOperation] = &[(
    "TruncateTable",
    &[("TableName", "TableArn")],
    &["TableName"],
)];

/// One service's operations and shapes.
pub struct ServiceModel {
    operations: HashMap<&'static str, Option<usize>>,
    shapes: Vec<Shape>,
}

/// The model file as it is read: names and shape references borrowed from the embedded text
/// (none of them has an escape), maps kept in their order.
#[derive(serde::Deserialize)]
struct RawModel {
    #[serde(rename = "targetPrefix")]
    target_prefix: &'static str,
    operations: Ordered<&'static str>,
    #[serde(rename = "operationsWithoutInput", default)]
    without_input: Vec<&'static str>,
    shapes: Ordered<RawShape>,
}

#[derive(serde::Deserialize)]
struct RawShape {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(default)]
    members: Ordered<&'static str>,
    #[serde(default)]
    required: Vec<&'static str>,
    member: Option<&'static str>,
    key: Option<&'static str>,
    value: Option<&'static str>,
    #[serde(rename = "enum")]
    enums: Option<Vec<&'static str>>,
    /// Patterns hold backslashes, so they are not borrowed.
    pattern: Option<String>,
    min: Option<serde_json::Number>,
    max: Option<serde_json::Number>,
}

/// A JSON object's entries in their order.
struct Ordered<T>(Vec<(&'static str, T)>);

impl<T> Default for Ordered<T> {
    fn default() -> Ordered<T> {
        Ordered(Vec::new())
    }
}

impl<'de: 'static, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Ordered<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Entries<T>(std::marker::PhantomData<T>);
        impl<'de: 'static, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Entries<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Ordered<T>, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(entry) = map.next_entry::<&'static str, T>()? {
                    out.push(entry);
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(Entries(std::marker::PhantomData))
    }
}

static DYNAMODB: OnceLock<ServiceModel> = OnceLock::new();
static STREAMS: OnceLock<ServiceModel> = OnceLock::new();

pub fn dynamodb() -> &'static ServiceModel {
    DYNAMODB.get_or_init(|| ServiceModel::load(include_str!("model/dynamodb.json")))
}

pub fn streams() -> &'static ServiceModel {
    STREAMS.get_or_init(|| ServiceModel::load(include_str!("model/streams.json")))
}

/// Builds both models now rather than on the first request that needs them: the binary and
/// `embedded::Server` call this while the store opens on another thread, so the 80 KB of JSON
/// is parsed beside that instead of in front of the first answer.
pub fn load_models() {
    dynamodb();
    streams();
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
    fn load(text: &'static str) -> ServiceModel {
        let raw: RawModel = serde_json::from_str(text).expect("embedded service model is valid");
        let index: HashMap<&str, usize> = raw
            .shapes
            .0
            .iter()
            .enumerate()
            .map(|(i, (k, _))| (*k, i))
            .collect();
        let id = |name: Option<&str>| index[name.expect("shape ref")];
        let mut shapes = raw
            .shapes
            .0
            .into_iter()
            .map(|(name, s)| {
                let kind = match s.kind {
                    "structure" => Kind::Structure {
                        members: s.members.0.iter().map(|(k, v)| (*k, id(Some(v)))).collect(),
                        required: s.required,
                    },
                    "list" => Kind::List {
                        member: id(s.member),
                    },
                    "map" => Kind::Map {
                        key: id(s.key),
                        value: id(s.value),
                    },
                    "string" => Kind::String {
                        enums: s.enums.map(|listed| service_enum_order(name, listed)),
                        pattern: s.pattern.as_deref().and_then(Pattern::parse),
                    },
                    "integer" => Kind::Integer(false),
                    "long" => Kind::Integer(true),
                    "double" => Kind::Double,
                    "boolean" => Kind::Boolean,
                    "blob" => Kind::Blob,
                    _ => Kind::Timestamp,
                };
                Shape {
                    name,
                    kind,
                    min: s.min.and_then(|n| n.as_i64()),
                    max: s.max.and_then(|n| n.as_i64()),
                }
            })
            .collect::<Vec<Shape>>();
        let mut operations: HashMap<&'static str, Option<usize>> = raw
            .operations
            .0
            .iter()
            .map(|(k, v)| (*k, Some(id(Some(v)))))
            .collect();
        for op in raw.without_input {
            operations.insert(op, None);
        }
        if raw.target_prefix == "DynamoDB_20120810" {
            for (op, members, required) in AWSIM_OPERATIONS {
                let kind = Kind::Structure {
                    members: members
                        .iter()
                        .map(|(m, shape)| (*m, index[shape]))
                        .collect(),
                    required: required.to_vec(),
                };
                shapes.push(Shape {
                    // Leaked once per process: the model lives as long as the program.
                    name: Box::leak(format!("{op}Input").into_boxed_str()),
                    kind,
                    min: None,
                    max: None,
                });
                operations.insert(op, Some(shapes.len() - 1));
            }
        }
        ServiceModel { operations, shapes }
    }

    /// `Value '<v printed as the service prints a <shape>>' at '<path>' failed to satisfy
    /// constraint: <constraint>`, for checks an operation makes in the coral form itself.
    pub fn constraint_error(&self, shape: &str, v: &Value, path: &str, constraint: &str) -> Error {
        let line = match self.shapes.iter().position(|s| s.name == shape) {
            Some(id) => self.violation(id, v, path, constraint),
            None => format!("Value '{v}' at '{path}' failed to satisfy constraint: {constraint}"),
        };
        Error::validation(validation_errors(&[line]))
    }

    /// The model's own name of operation `op`, if it has one.
    pub fn operation_name(&self, op: &str) -> Option<&'static str> {
        self.operations.get_key_value(op).map(|(name, _)| *name)
    }

    /// Validates a request body against the operation's input shape: JSON types first (the
    /// first mismatch is a SerializationException), then table names, then every other model
    /// constraint at once.
    ///
    /// Table names are reported alone, before anything else: a member of shape `TableArn`
    /// (a table name or ARN) must be 1 to 1024 characters, and a name that is not an ARN is then
    /// held to the table name rules (pattern, then at least 3, then at most 255 characters), in
    /// the coral form at the member's path. The table-level operations word a missing
    /// TableName themselves.
    pub fn validate(&self, op: &str, body: &Value) -> Result<()> {
        let Some(Some(root)) = self.operations.get(op) else {
            return Ok(());
        };
        self.check_types(*root, body, false)?;
        // The table-level operations word a missing TableName themselves (the item operations
        // keep the coral form), as public suites recorded from the service.
        const OWN_REQUIRED: [&str; 6] = [
            "CreateTable",
            "DeleteTable",
            "DescribeTable",
            "UpdateTable",
            "DescribeTimeToLive",
            "UpdateTimeToLive",
        ];
        if OWN_REQUIRED.contains(&op) && body.get("TableName").is_none_or(Value::is_null) {
            return Err(Error::validation(
                "The parameter 'TableName' is required but was not present in the request",
            ));
        }
        let mut found = Found::default();
        self.check_constraints(*root, body, &Path::Root, &mut found);
        let errors = if found.names.is_empty() {
            found.others
        } else {
            found.names
        };
        if errors.is_empty() {
            return Ok(());
        }
        Err(Error::validation(validation_errors(&errors)))
    }

    /// The JSON type pass, as the service's deserializer words its refusals. `in_collection`:
    /// the value is a list member or a map value (a structure there is read differently from a
    /// structure member).
    fn check_types(&self, shape: usize, v: &Value, in_collection: bool) -> Result<()> {
        let s = &self.shapes[shape];
        if v.is_null() {
            return Ok(());
        }
        let fail = |msg: String| Err(Error::serialization(msg));
        let number_token = |n: &serde_json::Number| {
            if n.is_f64() {
                "DECIMAL_VALUE"
            } else {
                "NUMBER_VALUE"
            }
        };
        const NO_MAP: &str = "Start of structure or map found where not expected";
        match (&s.kind, v) {
            (Kind::Structure { members, .. }, Value::Object(o)) => {
                for (name, m) in members {
                    if let Some(mv) = o.get(*name) {
                        self.check_types(*m, mv, false)?;
                    }
                }
                Ok(())
            }
            (Kind::Structure { .. }, Value::Array(_)) => fail(format!(
                "Unrecognized collection type class {}",
                self.java_class(shape)
            )),
            (Kind::Structure { .. }, _) if in_collection => {
                fail("Unexpected value type in payload".into())
            }
            (Kind::Structure { .. }, _) => fail("Unexpected field type".into()),
            (Kind::Map { value, .. }, Value::Object(o)) => o
                .values()
                .try_for_each(|mv| self.check_types(*value, mv, true)),
            (Kind::Map { value, .. }, Value::Array(_)) => fail(format!(
                "Unrecognized collection type java.util.Map<java.lang.String, {}>",
                self.java_class(*value)
            )),
            (Kind::List { member }, Value::Array(a)) => a
                .iter()
                .try_for_each(|e| self.check_types(*member, e, true)),
            (Kind::List { .. }, Value::Object(_)) => fail(NO_MAP.into()),
            (Kind::List { .. } | Kind::Map { .. }, _) => fail("Unexpected field type".into()),
            (_, Value::Object(_)) => fail(NO_MAP.into()),
            (_, Value::Array(_)) => fail(format!(
                "Unrecognized collection type class {}",
                self.java_class(shape)
            )),
            (Kind::String { .. }, Value::String(_)) | (Kind::Blob, Value::String(_)) => Ok(()),
            (Kind::Blob, _) => fail("only base-64-encoded strings are convertible to bytes".into()),
            (Kind::Integer(_), Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(()),
            (Kind::Double | Kind::Timestamp, Value::Number(_)) => Ok(()),
            (Kind::Boolean, Value::Bool(_)) => Ok(()),
            // A boolean may be written as a string the service's reader converts (any case):
            // true/false, 1/0, yes/no; any other string is not a boolean token.
            (Kind::Boolean, Value::String(t)) => {
                let t = t.to_ascii_uppercase();
                if ["TRUE", "FALSE", "1", "0", "YES", "NO"].contains(&t.as_str()) {
                    Ok(())
                } else {
                    fail("Unexpected token received from parser".into())
                }
            }
            (_, other) => {
                let token = match other {
                    Value::String(_) => "STRING_VALUE",
                    Value::Bool(true) => "TRUE_VALUE",
                    Value::Bool(false) => "FALSE_VALUE",
                    Value::Number(n) => number_token(n),
                    _ => "NULL_VALUE",
                };
                let class = self.java_class(shape);
                let simple = class.rsplit('.').next().unwrap_or_default();
                fail(format!("{token} cannot be converted to {simple}"))
            }
        }
    }

    /// The Java class the service's reader maps a shape to, as its messages name it.
    fn java_class(&self, shape: usize) -> String {
        let s = &self.shapes[shape];
        match &s.kind {
            Kind::Structure { .. } => format!("com.amazonaws.dynamodb.v20120810.{}", s.name),
            Kind::String { .. } => "java.lang.String".into(),
            Kind::Integer(false) => "java.lang.Integer".into(),
            Kind::Integer(true) => "java.lang.Long".into(),
            Kind::Double => "java.lang.Double".into(),
            Kind::Boolean => "java.lang.Boolean".into(),
            Kind::Blob => "java.nio.ByteBuffer".into(),
            Kind::Timestamp => "java.util.Date".into(),
            Kind::List { member } => format!("java.util.List<{}>", self.java_class(*member)),
            Kind::Map { value, .. } => format!(
                "java.util.Map<java.lang.String, {}>",
                self.java_class(*value)
            ),
        }
    }

    fn check_constraints(&self, shape: usize, v: &Value, path: &Path, found: &mut Found) {
        let s = &self.shapes[shape];
        match (&s.kind, v) {
            (Kind::Structure { members, required }, Value::Object(o)) => {
                if s.name == "AttributeValue" {
                    return; // attribute values have the service's own validation (protocol::attr)
                }
                let own = left_to_operations(s.name);
                for (name, m) in members {
                    if own.members.contains(name) {
                        continue;
                    }
                    let child = Path::Member(path, name);
                    let required = required.contains(name) || also_required(s.name, o, name);
                    match o.get(*name) {
                        None | Some(Value::Null)
                            if required && !own.required.contains(name) =>
                        {
                            found.others.push(format!("Value null at '{child}' failed to satisfy constraint: Member must not be null"))
                        }
                        None | Some(Value::Null) => {}
                        Some(mv) => self.check_constraints(*m, mv, &child, found),
                    }
                }
            }
            (Kind::List { member }, Value::Array(a)) => {
                for c in self.length_violations(s, a.len()) {
                    found.others.push(self.violation(shape, v, path, &c));
                }
                // A list of strings is reported as a whole, as a map's values are: the list
                // with every constraint of its member shape (`Member must satisfy constraint:
                // [...]`), once, whichever members break them.
                if let Kind::String { enums, .. } = &self.shapes[*member].kind {
                    let bad = a.iter().any(|e| {
                        e.as_str()
                            .is_some_and(|t| !self.string_violations(*member, t).is_empty())
                    });
                    if bad {
                        let all = match enums {
                            Some(e) => vec![format!(
                                "Member must satisfy enum value set: [{}]",
                                e.join(", ")
                            )],
                            None => self.all_constraints(*member),
                        };
                        let msg = format!("Member must satisfy constraint: [{}]", all.join(", "));
                        found.others.push(self.violation(shape, v, path, &msg));
                    }
                    return;
                }
                for (i, e) in a.iter().enumerate() {
                    self.check_constraints(*member, e, &Path::Index(path, i), found);
                }
            }
            (Kind::Map { key, value }, Value::Object(o)) => {
                for c in self.length_violations(s, o.len()) {
                    found.others.push(self.violation(shape, v, path, &c));
                }
                // A key or value that breaks its shape's constraints is reported once for the
                // whole map, listing every constraint of that shape (`Map keys must satisfy
                // constraint: [...]`).
                let bad_key = o
                    .keys()
                    .any(|k| !self.string_violations(*key, k).is_empty());
                if bad_key {
                    let all = self.all_constraints(*key);
                    let msg = format!("Map keys must satisfy constraint: [{}]", all.join(", "));
                    let line = self.violation(shape, v, path, &msg);
                    if self.shapes[*key].name == "TableArn" {
                        found.names.push(line);
                    } else {
                        found.others.push(line);
                    }
                }
                let value_shape = &self.shapes[*value];
                let bad_value = o.values().any(|e| match e {
                    Value::Array(a) => !self.length_violations(value_shape, a.len()).is_empty(),
                    Value::String(text) => !self.string_violations(*value, text).is_empty(),
                    _ => false,
                });
                if bad_value {
                    let all = self.all_constraints(*value);
                    let msg = format!("Map value must satisfy constraint: [{}]", all.join(", "));
                    found.others.push(self.violation(shape, v, path, &msg));
                }
                if value_shape.name != "AttributeValue" {
                    for (k, e) in o {
                        let at = Path::Key(path, k);
                        match (&value_shape.kind, e) {
                            // The list's own length is the map value constraint above.
                            (Kind::List { member }, Value::Array(a)) => {
                                for (i, x) in a.iter().enumerate() {
                                    let p = Path::Index(&at, i);
                                    self.check_constraints(*member, x, &p, found);
                                }
                            }
                            (Kind::Structure { .. }, _) => {
                                self.check_constraints(*value, e, &at, found)
                            }
                            _ => {}
                        }
                    }
                }
            }
            (Kind::String { .. }, Value::String(text)) => {
                let into = if s.name == "TableArn" {
                    &mut found.names
                } else {
                    &mut found.others
                };
                for c in self.string_violations(shape, text) {
                    into.push(self.violation(shape, v, path, &c));
                }
            }
            (Kind::Integer(_), Value::Number(n)) => {
                let n = n.as_i64().unwrap_or(i64::MAX);
                if let Some(min) = s.min.filter(|m| n < *m) {
                    found.others.push(format!("Value '{n}' at '{path}' failed to satisfy constraint: Member must have value greater than or equal to {min}"));
                }
                if let Some(max) = s.max.filter(|m| n > *m) {
                    found.others.push(format!("Value '{n}' at '{path}' failed to satisfy constraint: Member must have value less than or equal to {max}"));
                }
            }
            _ => {}
        }
    }

    /// `Value '<v>' at '<path>' failed to satisfy constraint: <constraint>`.
    fn violation(
        &self,
        shape: usize,
        v: &Value,
        path: impl std::fmt::Display,
        constraint: &str,
    ) -> String {
        format!(
            "Value '{}' at '{path}' failed to satisfy constraint: {constraint}",
            self.java(shape, v)
        )
    }

    /// The constraints a string breaks, in the order the service lists them: the enum alone
    /// (nothing else is checked then), else the pattern, then the lengths. A table name given
    /// as a name rather than an ARN is also held to the table name rules.
    fn string_violations(&self, shape: usize, text: &str) -> Vec<String> {
        let s = &self.shapes[shape];
        let Kind::String { enums, pattern } = &s.kind else {
            return Vec::new();
        };
        if let Some(enums) = enums {
            if !enums.contains(&text) {
                return vec![format!(
                    "Member must satisfy enum value set: [{}]",
                    enums.join(", ")
                )];
            }
        }
        let mut out = Vec::new();
        if let Some(p) = pattern.filter(|p| !p.matches(text)) {
            out.push(pattern_constraint(p));
        }
        out.extend(self.length_violations(s, text.chars().count()));
        if s.name == "TableArn" && out.is_empty() && !text.starts_with("arn:") {
            if !Pattern::Name.matches(text) {
                out.push(pattern_constraint(Pattern::Name));
            }
            let len = text.chars().count();
            if len < 3 {
                out.push(length_constraint(Some(3), None));
            }
            if len > 255 {
                out.push(length_constraint(None, Some(255)));
            }
        }
        out
    }

    fn length_violations(&self, s: &Shape, len: usize) -> Vec<String> {
        let len = len as i64;
        let own = left_to_operations(s.name);
        let mut out = Vec::new();
        if s.min.is_some_and(|m| len < m && !own.min) {
            out.push(length_constraint(s.min, None));
        }
        if s.max.is_some_and(|m| len > m && !own.max) {
            out.push(length_constraint(None, s.max));
        }
        out
    }

    /// Every constraint of a shape, as a map key or value constraint lists them: maximum
    /// length, minimum length, pattern (a table name or ARN: the table name rules).
    fn all_constraints(&self, shape: usize) -> Vec<String> {
        let s = &self.shapes[shape];
        let (min, max, pattern) = match (&s.kind, s.name) {
            (_, "TableArn") => (Some(3), Some(255), Some(Pattern::Name)),
            (Kind::String { pattern, .. }, _) => (s.min, s.max, *pattern),
            _ => (s.min, s.max, None),
        };
        let mut out = Vec::new();
        if max.is_some() {
            out.push(length_constraint(None, max));
        }
        if min.is_some() {
            out.push(length_constraint(min, None));
        }
        out.extend(pattern.map(pattern_constraint));
        out
    }

    /// How the service's (Java) front end prints a request value inside a constraint message:
    /// strings bare, lists `[a, b]`, maps `{k=v}`, structures as their class with every member
    /// (`KeySchemaElement(attributeName=pk, keyType=HASH)`, absent ones `null`), blobs as a
    /// `java.nio.HeapByteBuffer`.
    fn java(&self, shape: usize, v: &Value) -> String {
        let s = &self.shapes[shape];
        match (&s.kind, v) {
            (_, Value::Null) => "null".into(),
            (Kind::Structure { members, .. }, Value::Object(o)) => {
                let fields: Vec<String> = members
                    .iter()
                    .map(|(name, m)| {
                        let value = o
                            .get(*name)
                            .map_or_else(|| "null".to_string(), |mv| self.java(*m, mv));
                        format!("{}={value}", lower_first(name))
                    })
                    .collect();
                format!("{}({})", s.name, fields.join(", "))
            }
            (Kind::List { member }, Value::Array(a)) => {
                let items: Vec<String> = a.iter().map(|e| self.java(*member, e)).collect();
                format!("[{}]", items.join(", "))
            }
            (Kind::Map { value, .. }, Value::Object(o)) => {
                let items: Vec<String> = o
                    .iter()
                    .map(|(k, e)| format!("{k}={}", self.java(*value, e)))
                    .collect();
                format!("{{{}}}", items.join(", "))
            }
            (Kind::Blob, Value::String(b64)) => {
                let n = b64.trim_end_matches('=').len() * 3 / 4;
                format!("java.nio.HeapByteBuffer[pos=0 lim={n} cap={n}]")
            }
            (_, Value::String(text)) => text.clone(),
            (_, other) => other.to_string(),
        }
    }
}

/// What the constraint pass found: table name violations (reported alone, first) and the rest.
#[derive(Default)]
struct Found {
    names: Vec<String>,
    others: Vec<String>,
}

/// `N validation error(s) detected: a; b`.
pub fn validation_errors(errors: &[String]) -> String {
    let head = if errors.len() == 1 {
        "1 validation error detected: ".to_string()
    } else {
        format!("{} validation errors detected: ", errors.len())
    };
    head + &errors.join("; ")
}

fn length_constraint(min: Option<i64>, max: Option<i64>) -> String {
    match (min, max) {
        (Some(min), _) => format!("Member must have length greater than or equal to {min}"),
        (_, Some(max)) => format!("Member must have length less than or equal to {max}"),
        _ => String::new(),
    }
}

fn pattern_constraint(p: Pattern) -> String {
    format!(
        "Member must satisfy regular expression pattern: {}",
        p.text()
    )
}

fn lower_first(name: &str) -> String {
    let mut c = name.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

/// Model constraints an operation checks itself instead, in words the service uses for them:
/// the batch operations count keys and write requests over all tables ("Too many items
/// requested for the BatchGetItem call") and word an empty RequestItems themselves; Query words
/// its Limit without the value (`Value at 'Limit' ...`).
struct OwnChecks {
    min: bool,
    max: bool,
    required: &'static [&'static str],
    /// Members whose constraints the operation checks (neither required nor ranges here).
    members: &'static [&'static str],
}

fn left_to_operations(shape: &str) -> OwnChecks {
    let (min, max, required, members): (bool, bool, &[&str], &[&str]) = match shape {
        // "The requestItems parameter is required for BatchGetItem" (absent or empty).
        "BatchGetItemInput" | "BatchWriteItemInput" => (false, false, &["RequestItems"], &[]),
        "BatchGetRequestMap" | "BatchWriteItemRequestMap" => (true, true, &[], &[]),
        // BatchGetItem: "The list of keys in RequestItems for BatchGetItem is required: ..." and
        // "Value at 'RequestItems.<table>.member.Keys' failed to satisfy constraint: ...".
        "KeyList" => (true, true, &[], &[]),
        "KeysAndAttributes" => (false, false, &["Keys"], &[]),
        "PutRequest" => (false, false, &["Item"], &[]),
        "DeleteRequest" => (false, false, &["Key"], &[]),
        // "Value at 'Limit' failed to satisfy constraint: ..." (ops/reads/query.rs).
        "QueryInput" => (false, false, &[], &["Limit"]),
        _ => (false, false, &[], &[]),
    };
    OwnChecks {
        min,
        max,
        required,
        members,
    }
}

/// Members the service requires although the current model makes them optional: a CreateTable
/// that does not copy a global table (GlobalTableSourceArn) needs its AttributeDefinitions and
/// KeySchema, and says so in the coral form.
fn also_required(shape: &str, o: &serde_json::Map<String, Value>, member: &str) -> bool {
    shape == "CreateTableInput"
        && matches!(member, "AttributeDefinitions" | "KeySchema")
        && o.get("GlobalTableSourceArn").is_none_or(Value::is_null)
}

/// Where a value sits in a request, as the service's messages name it: member names with a
/// lower-case first letter, list members by 1-based position and map values by key, each
/// followed by `.member`, joined by dots. Built on the stack as validation descends and
/// rendered only into a message, so a valid request allocates no path at all.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Member(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
    Key(&'a Path<'a>, &'a str),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (parent, tail) = match *self {
            Path::Root => return Ok(()),
            Path::Member(parent, name) => (parent, lower_first(name)),
            Path::Index(parent, i) => (parent, format!("{}.member", i + 1)),
            Path::Key(parent, key) => (parent, format!("{key}.member")),
        };
        match parent {
            Path::Root => f.write_str(&tail),
            _ => write!(f, "{parent}.{tail}"),
        }
    }
}

/// The order in which the service lists an enum's values in its constraint message. It is not
/// always the model's order (the service prints a Java set); where the oracle has shown the
/// order, it is pinned here, else the model's order is used.
fn service_enum_order(shape: &str, listed: Vec<&'static str>) -> Vec<&'static str> {
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
    observed.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // The embedded models must load and know the operations we dispatch.
    #[test]
    fn embedded_models_load() {
        assert!(dynamodb().operation_name("CreateTable").is_some());
        assert!(dynamodb().operation_name("ListTables").is_some());
        assert!(streams().operation_name("GetRecords").is_some());
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

    // A bad table name is reported alone, before the request's other constraint violations,
    // pattern first, then length (public suite: validation-ordering/createTable).
    #[test]
    fn table_name_violations_are_reported_alone_and_first() {
        let e = dynamodb()
            .validate(
                "CreateTable",
                &json!({"TableName": "x!", "KeySchema": [], "AttributeDefinitions": []}),
            )
            .unwrap_err();
        assert_eq!(
            e.message.unwrap(),
            "2 validation errors detected: Value 'x!' at 'tableName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value 'x!' at 'tableName' \
             failed to satisfy constraint: Member must have length greater than or equal to 3"
        );
        // An empty name breaks the ARN shape's own minimum, and only that.
        let e = dynamodb()
            .validate("PutItem", &json!({"TableName": "", "Item": {}}))
            .unwrap_err();
        assert_eq!(
            e.message.unwrap(),
            "1 validation error detected: Value '' at 'tableName' failed to satisfy constraint: \
             Member must have length greater than or equal to 1"
        );
        // An ARN is not held to the name pattern.
        let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/users";
        assert!(dynamodb()
            .validate("DescribeTable", &json!({"TableName": arn}))
            .is_ok());
    }

    // A list inside a map that breaks its bounds is reported once for the whole map, listing all
    // the value shape's constraints; structures print as their class with every member.
    #[test]
    fn map_value_violations_print_the_map_in_java_form() {
        let e = dynamodb()
            .validate(
                "BatchWriteItem",
                &json!({"RequestItems": {"t_1": [], "t_2": [{"DeleteRequest": {"Key": {"pk": {"B": "AAE="}}}}]}}),
            )
            .unwrap_err();
        assert_eq!(
            e.message.unwrap(),
            "1 validation error detected: Value '{t_1=[], t_2=[WriteRequest(putRequest=null, \
             deleteRequest=DeleteRequest(key={pk=AttributeValue(s=null, n=null, \
             b=java.nio.HeapByteBuffer[pos=0 lim=2 cap=2], sS=null, nS=null, bS=null, m=null, l=null, \
             nULL=null, bOOL=null)}))]}' at 'requestItems' failed to satisfy constraint: Map value must \
             satisfy constraint: [Member must have length less than or equal to 25, Member must have \
             length greater than or equal to 1]"
        );
        let e = dynamodb()
            .validate(
                "BatchGetItem",
                &json!({"RequestItems": {"ab": {"Keys": [{}]}}}),
            )
            .unwrap_err();
        assert!(e.message.unwrap().ends_with(
            "at 'requestItems' failed to satisfy constraint: Map keys must satisfy constraint: \
             [Member must have length less than or equal to 255, Member must have length greater \
             than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]"
        ));
    }
}

#[cfg(test)]
mod pattern_tests {
    use super::Pattern;

    // The export and import patterns, matched by hand: what each regex accepts and refuses.
    #[test]
    fn bucket_token_and_account_patterns() {
        for ok in ["ab", "my-bucket.v2", "a_b", "A1"] {
            assert!(Pattern::Bucket.matches(ok), "{ok}");
        }
        for bad in ["a", "-bad-", "bad-", ".x", "a b", "a/b", ""] {
            assert!(!Pattern::Bucket.matches(bad), "{bad}");
        }
        assert!(Pattern::NoDollar.matches("token-1"));
        assert!(!Pattern::NoDollar.matches("a$b"));
        assert!(!Pattern::NoDollar.matches(""));
        assert!(Pattern::Account.matches("123456789012"));
        assert!(!Pattern::Account.matches("12345678901"));
        assert!(!Pattern::Account.matches("12345678901a"));
    }
}
