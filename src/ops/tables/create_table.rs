//! CreateTable: key schema, attribute definitions (exactly the key attributes of the table and
//! its indexes), LSIs/GSIs with projections, billing mode and throughput rules, streams, SSE,
//! tags, table class, deletion protection. Checks run in the service's order.
use crate::engine::clock::iso8601;
use crate::engine::{Engine, TableView};
use crate::error::{Error, Result};
use crate::model::*;
use crate::ops::tables::describe_table::render_description;
use crate::ops::Input;
use serde_json::{json, Value};
use std::sync::Arc;

pub const MAX_GSIS: usize = 20;
pub const MAX_LSIS: usize = 5;
/// INCLUDE projections may name at most this many non-key attributes across all indexes.
pub const MAX_PROJECTED_ATTRIBUTES: usize = 100;

pub fn invalid(msg: impl std::fmt::Display) -> Error {
    Error::validation(format!("One or more parameter values were invalid: {msg}"))
}

/// `[a, b]`, as the service prints a list of names.
fn names_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    format!("[{}]", names.into_iter().collect::<Vec<_>>().join(", "))
}

/// The elements of a KeySchema list (already model-validated): (AttributeName, KeyType).
fn key_elements(list: &[Value]) -> Vec<(&str, &str)> {
    list.iter()
        .map(|e| {
            (
                e["AttributeName"].as_str().unwrap_or_default(),
                e["KeyType"].as_str().unwrap_or_default(),
            )
        })
        .collect()
}

/// A table's or index's key schema in the service's order of checks: more elements than
/// definitions (the table only), an attribute without a definition, one attribute twice, then
/// the first element HASH and the second RANGE.
fn check_key_schema(
    elems: &[(&str, &str)],
    defs: &[(String, KeyType)],
    index: Option<&str>,
) -> Result<()> {
    let def_names = || defs.iter().map(|(d, _)| d.as_str());
    if index.is_none() && elems.len() > defs.len() {
        return Err(Error::validation(
            "Invalid KeySchema: Some index key attribute have no definition",
        ));
    }
    if elems.iter().any(|(n, _)| !def_names().any(|d| d == *n)) {
        return Err(invalid(format!(
            "Some index key attributes are not defined in AttributeDefinitions. Keys: {}, AttributeDefinitions: {}",
            names_list(elems.iter().map(|e| e.0)),
            names_list(def_names())
        )));
    }
    // (An LSI of more than two elements: DynamoDB Local 2026 reports the size before the roles;
    // a table's are refused by the model's length constraint before this runs.)
    if elems.len() > 2 {
        return Err(Error::validation("Key Schema too big.  Key Schema must at most consist of the hash and range key of a table"));
    }
    if elems.len() == 2 && elems[0].0 == elems[1].0 {
        return Err(Error::validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ));
    }
    if elems.first().map(|e| e.1) != Some("HASH") {
        return Err(Error::validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    if elems.get(1).is_some_and(|e| e.1 != "RANGE") {
        return Err(Error::validation(
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
        ));
    }
    Ok(())
}

/// Parses a table's or an index's KeySchema against the attribute definitions: the first
/// element HASH, the second (if any) RANGE, each attribute defined. `index` names the index
/// (None for the table), `defs` lists the definitions in request order.
pub fn parse_key_schema(
    list: &[Value],
    defs: &[(String, KeyType)],
    index: Option<&str>,
) -> Result<KeySchema> {
    let elems = key_elements(list);
    check_key_schema(&elems, defs, index)?;
    let defined = |name: &str| defs.iter().find(|(d, _)| d == name).map(|(_, t)| *t);
    let attr = |(name, _): &(&str, &str)| KeyAttr {
        name: name.to_string(),
        ty: defined(name).unwrap_or(KeyType::S),
    };
    Ok(KeySchema::new(attr(&elems[0]), elems.get(1).map(attr)))
}

/// The most attributes a multi-attribute GSI key names on each side.
pub const MAX_MULTI_KEY_ATTRIBUTES: usize = 4;

/// A GSI's KeySchema. Beside the classic shapes (one HASH, optionally one RANGE) a GSI may name
/// up to four HASH and four RANGE attributes, HASH first. A schema of that newer shape (more
/// than two elements, or two HASH) is checked as DynamoDB Local 2026 checks it, in its order:
/// the size, duplicate names, the order of HASH and RANGE, a HASH present, the counts on each
/// side; then the attribute definitions (in the service's words, as for every key schema).
/// Classic shapes keep the service's checks (`check_key_schema`).
pub fn parse_gsi_key_schema(
    list: &[Value],
    defs: &[(String, KeyType)],
    index: &str,
) -> Result<KeySchema> {
    let elems = key_elements(list);
    let hashes = elems.iter().filter(|e| e.1 == "HASH").count();
    if elems.len() <= 2 && hashes <= 1 {
        return parse_key_schema(list, defs, Some(index));
    }
    if elems.len() > 2 * MAX_MULTI_KEY_ATTRIBUTES {
        return Err(Error::validation("Key Schema too big.  Key Schema must at most consist of the hash and range key of a table"));
    }
    if elems
        .iter()
        .enumerate()
        .any(|(i, e)| elems[..i].iter().any(|f| f.0 == e.0))
    {
        return Err(Error::validation("Two keys can not have the same name"));
    }
    if elems
        .iter()
        .enumerate()
        .any(|(i, e)| e.1 == "HASH" && elems[..i].iter().any(|f| f.1 == "RANGE"))
    {
        return Err(Error::validation("Invalid key order. Hash Key must be specified first in key schema, Range Key must be specifed second"));
    }
    if hashes == 0 {
        return Err(Error::validation(
            "No Hash Key specified in schema.  All Dynamo DB tables must have exactly one hash key",
        ));
    }
    if hashes > MAX_MULTI_KEY_ATTRIBUTES {
        return Err(Error::validation(format!(
            "Too many partition keys. GSI can have at most {MAX_MULTI_KEY_ATTRIBUTES} partition keys"
        )));
    }
    if elems.len() - hashes > MAX_MULTI_KEY_ATTRIBUTES {
        return Err(Error::validation(format!(
            "Too many sort keys. GSI can have at most {MAX_MULTI_KEY_ATTRIBUTES} sort keys"
        )));
    }
    let def_names = || defs.iter().map(|(d, _)| d.as_str());
    if elems.iter().any(|(n, _)| !def_names().any(|d| d == *n)) {
        return Err(invalid(format!(
            "Some index key attributes are not defined in AttributeDefinitions. Keys: {}, AttributeDefinitions: {}",
            names_list(elems.iter().map(|e| e.0)),
            names_list(def_names())
        )));
    }
    let attr = |(name, _): &(&str, &str)| KeyAttr {
        name: name.to_string(),
        ty: defs
            .iter()
            .find(|(d, _)| d == name)
            .map_or(KeyType::S, |(_, t)| *t),
    };
    let (hash, range) = elems.split_at(hashes);
    let mut key = KeySchema::new(attr(&hash[0]), range.first().map(attr));
    key.more_hash = hash[1..].iter().map(attr).collect();
    key.more_range = range.iter().skip(1).map(attr).collect();
    Ok(key)
}

/// An index's Projection (the model makes it present): a known type, NonKeyAttributes only
/// with INCLUDE, no name twice.
pub fn parse_projection(p: Option<Input>) -> Result<Projection> {
    let empty = serde_json::Map::new();
    let p = p.unwrap_or(Input(&empty));
    let ty = match p.str("ProjectionType") {
        Some("ALL") => ProjectionType::All,
        Some("KEYS_ONLY") => ProjectionType::KeysOnly,
        Some("INCLUDE") => ProjectionType::Include,
        _ => return Err(invalid("Unknown ProjectionType: null")),
    };
    let nka: Option<Vec<String>> = p.list("NonKeyAttributes").map(|l| {
        l.iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    });
    // (INCLUDE without NonKeyAttributes is accepted by the service: only the keys then.)
    if ty != ProjectionType::Include && nka.is_some() {
        return Err(invalid(format!(
            "ProjectionType is {}, but NonKeyAttributes is specified",
            p.str("ProjectionType").unwrap_or_default()
        )));
    }
    if let Some(list) = &nka {
        if list.iter().enumerate().any(|(i, a)| list[..i].contains(a)) {
            return Err(invalid(format!(
                "Input collection {} contains duplicates.",
                names_list(list.iter().map(String::as_str))
            )));
        }
    }
    Ok(Projection {
        ty,
        non_key_attributes: nka,
    })
}

pub fn parse_throughput(t: Option<Input>) -> Option<Throughput> {
    t.map(|t| Throughput {
        read: t.i64("ReadCapacityUnits").unwrap_or(0),
        write: t.i64("WriteCapacityUnits").unwrap_or(0),
        ..Default::default()
    })
}

/// The largest throughput the service accepts to look at (larger is "out of bounds").
const MAX_THROUGHPUT: i64 = 1_000_000_000_000;

/// Throughput values the service refuses outright, before anything else.
pub fn check_throughput_bounds(t: &Throughput) -> Result<()> {
    for (what, v) in [
        ("ReadCapacityUnits", t.read),
        ("WriteCapacityUnits", t.write),
    ] {
        if v > MAX_THROUGHPUT {
            return Err(Error::validation(format!(
                "Given value {v} for {what} is out of bounds"
            )));
        }
    }
    Ok(())
}

pub fn check_throughput(t: &Throughput) -> Result<()> {
    check_throughput_bounds(t)?;
    if t.read < 1 || t.write < 1 {
        let (what, v) = if t.read < 1 {
            ("ReadCapacityUnits", t.read)
        } else {
            ("WriteCapacityUnits", t.write)
        };
        return Err(invalid(format!(
            "{what} must be greater than 0 (Service: DynamoDb, Status Code: 400) value: {v}"
        )));
    }
    Ok(())
}

/// One GSI in the service's order: its key schema, its projection, then its throughput against
/// the billing mode.
pub fn parse_gsi(g: Input, defs: &[(String, KeyType)], billing: BillingMode) -> Result<IndexDef> {
    let name = g.str("IndexName").unwrap_or_default().to_string();
    let key = parse_gsi_key_schema(
        g.list("KeySchema").map(Vec::as_slice).unwrap_or(&[]),
        defs,
        &name,
    )?;
    let projection = parse_projection(g.obj("Projection"))?;
    let throughput = match (billing, parse_throughput(g.obj("ProvisionedThroughput"))) {
        (BillingMode::PayPerRequest, Some(_)) => {
            return Err(invalid(format!("ProvisionedThroughput should not be specified for index: {name} when BillingMode is PAY_PER_REQUEST")))
        }
        (BillingMode::PayPerRequest, None) => None,
        // (No service answer known for this one: DynamoDB Local's words.)
        (BillingMode::Provisioned, None) => {
            return Err(Error::validation("No provisioned throughput specified for the global secondary index"))
        }
        (BillingMode::Provisioned, Some(t)) => {
            check_throughput(&t)?;
            Some(t)
        }
    };
    let on_demand = match billing {
        BillingMode::PayPerRequest => on_demand_throughput(g)
            .map(|o| check_on_demand(o, &format!("index : {name}")))
            .transpose()?,
        BillingMode::Provisioned => None,
    };
    Ok(IndexDef {
        name,
        kind: IndexKind::Global,
        key,
        projection,
        throughput,
        status: "ACTIVE".into(),
        backfilling: false,
        on_demand,
        warm: warm_throughput(g),
    })
}

pub fn stream_state(spec: Option<Input>, now: f64) -> Result<Option<StreamState>> {
    let Some(spec) = spec else { return Ok(None) };
    let enabled = spec.bool("StreamEnabled").unwrap_or(false);
    let view = spec.str("StreamViewType");
    match (enabled, view) {
        (true, None) => Err(Error::validation("Invalid StreamViewType: Stream ViewType must not be null or empty when enabling streams.")),
        (false, Some(_)) => Err(Error::validation("Invalid StreamViewType: Stream StreamEnabled was false but a StreamViewType was present.")),
        (true, Some(v)) => Ok(Some(StreamState { view_type: v.to_string(), label: iso8601(now), enabled: true, id: 0 })),
        (false, None) => Ok(None),
    }
}

/// An OnDemandThroughput's values: each -1 (no maximum) or at least 1. `whose` names the
/// resource as the service's message does (`table`, `index : <name>`).
pub fn check_on_demand(o: (i64, i64), whose: &str) -> Result<(i64, i64)> {
    for (what, v) in [("MaxReadRequestUnits", o.0), ("MaxWriteRequestUnits", o.1)] {
        if v != -1 && v < 1 {
            return Err(invalid(format!(
                "Requested {what} for OnDemandThroughput for {whose} is outside of valid range"
            )));
        }
    }
    Ok(o)
}

/// OnDemandThroughput as given: (MaxReadRequestUnits, MaxWriteRequestUnits), -1 for no maximum
/// (a member left out sets none: the service asks for either or both).
pub fn on_demand_throughput(input: Input) -> Option<(i64, i64)> {
    input.obj("OnDemandThroughput").map(|o| {
        (
            o.i64("MaxReadRequestUnits").unwrap_or(-1),
            o.i64("MaxWriteRequestUnits").unwrap_or(-1),
        )
    })
}

/// WarmThroughput as given: (ReadUnitsPerSecond, WriteUnitsPerSecond).
pub fn warm_throughput(input: Input) -> Option<(i64, i64)> {
    input.obj("WarmThroughput").map(|o| {
        (
            o.i64("ReadUnitsPerSecond").unwrap_or(0),
            o.i64("WriteUnitsPerSecond").unwrap_or(0),
        )
    })
}

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let meta = parse_table(engine, scope, input)?;
    let meta = engine.create_table(meta)?;
    let view = TableView {
        meta: meta.clone(),
        stats: Default::default(),
        index_stats: Default::default(),
    };
    let _: &Arc<TableMeta> = &meta;
    Ok(json!({ "TableDescription": render_description(&view) }))
}

/// A new table's metadata from a CreateTable request (or ImportTable's TableCreationParameters,
/// which has the same members), every check in the service's order; the name must be free.
pub fn parse_table(engine: &Engine, scope: &Scope, input: Input) -> Result<TableMeta> {
    let name = input.table_name().to_string();
    let defs_list: Vec<(String, KeyType)> = input
        .list("AttributeDefinitions")
        .into_iter()
        .flatten()
        .map(|d| {
            let t = KeyType::from(
                crate::model::value::ScalarType::parse(d["AttributeType"].as_str().unwrap_or("S"))
                    .unwrap_or(crate::model::value::ScalarType::S),
            );
            (
                d["AttributeName"].as_str().unwrap_or_default().to_string(),
                t,
            )
        })
        .collect();
    // The model (with CreateTable's own required members) has checked that both lists are
    // present and the key schema is one or two elements of known types.
    let key_list = input.list("KeySchema").map(Vec::as_slice).unwrap_or(&[]);
    let billing = match input.str("BillingMode") {
        Some("PAY_PER_REQUEST") => BillingMode::PayPerRequest,
        _ => BillingMode::Provisioned,
    };
    // 1. Billing mode against throughput, first of the service's own checks.
    let throughput = parse_throughput(input.obj("ProvisionedThroughput"));
    let throughput = match (billing, throughput) {
        (BillingMode::PayPerRequest, Some(_)) => {
            return Err(invalid(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            ))
        }
        (BillingMode::PayPerRequest, None) => Throughput::default(),
        (BillingMode::Provisioned, None) => return Err(invalid("ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")),
        (BillingMode::Provisioned, Some(t)) => {
            check_throughput(&t)?;
            t
        }
    };
    // An on-demand maximum applies to on-demand tables only (a provisioned table ignores it,
    // as DynamoDB Local does).
    let on_demand = match billing {
        BillingMode::PayPerRequest => on_demand_throughput(input)
            .map(|o| check_on_demand(o, "table"))
            .transpose()?,
        BillingMode::Provisioned => None,
    };
    // 2. The table's key schema against the definitions, then its shape.
    if key_list.len() > 2 {
        return Err(crate::protocol::shape::dynamodb().constraint_error(
            "KeySchema",
            &Value::Array(key_list.to_vec()),
            "keySchema",
            "Member must have length less than or equal to 2",
        ));
    }
    let table_elems = key_elements(key_list);
    check_key_schema(&table_elems, &defs_list, None)?;
    let lsi_list = input.list("LocalSecondaryIndexes");
    let gsi_list = input.list("GlobalSecondaryIndexes");
    let vector_list = input.list("VectorIndexes");
    if lsi_list.is_none()
        && gsi_list.is_none()
        && vector_list.is_none()
        && table_elems.len() != defs_list.len()
    {
        return Err(invalid("Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"));
    }
    if defs_list
        .iter()
        .enumerate()
        .any(|(i, (d, _))| defs_list[..i].iter().any(|(e, _)| e == d))
    {
        return Err(Error::validation(
            "Cannot have two attributes with the same name",
        ));
    }
    let key = parse_key_schema(key_list, &defs_list, None)?;
    // 3. The LSIs, then the GSIs, each in order; index names are unique over both.
    let mut names: Vec<String> = Vec::new();
    let duplicate = |name: &str| invalid(format!("Duplicate index name: {name}"));
    let mut lsis = Vec::new();
    if let Some(list) = lsi_list {
        if list.is_empty() {
            return Err(invalid("List of LocalSecondaryIndexes is empty"));
        }
        if key.range.is_none() {
            return Err(invalid("Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"));
        }
        for l in list.iter().filter_map(Value::as_object).map(Input) {
            let name = l.str("IndexName").unwrap_or_default().to_string();
            let elems = key_elements(l.list("KeySchema").map(Vec::as_slice).unwrap_or(&[]));
            check_key_schema(&elems, &defs_list, Some(&name))?;
            if elems.len() != 2 {
                return Err(invalid(format!(
                    "Index KeySchema does not have a range key for index: {name}"
                )));
            }
            let ikey = parse_key_schema(
                l.list("KeySchema").map(Vec::as_slice).unwrap_or(&[]),
                &defs_list,
                Some(&name),
            )?;
            if ikey.hash.name != key.hash.name {
                return Err(invalid(format!(
                    "Index KeySchema does not have the same leading hash key as table KeySchema for index: {name}. index hash key: {}, table hash key: {}",
                    ikey.hash.name, key.hash.name
                )));
            }
            let projection = parse_projection(l.obj("Projection"))?;
            if names.contains(&name) {
                return Err(duplicate(&name));
            }
            names.push(name.clone());
            lsis.push(IndexDef {
                name,
                kind: IndexKind::Local,
                key: ikey,
                projection,
                throughput: None,
                status: "ACTIVE".into(),
                backfilling: false,
                on_demand: None,
                warm: None,
            });
        }
        if list.len() > MAX_LSIS {
            return Err(invalid(format!(
                "Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LSIS}"
            )));
        }
    }
    let mut gsis = Vec::new();
    if let Some(list) = gsi_list {
        if list.is_empty() {
            return Err(invalid("List of GlobalSecondaryIndexes is empty"));
        }
        for g in list.iter().filter_map(Value::as_object).map(Input) {
            let gsi = parse_gsi(g, &defs_list, billing)?;
            if names.contains(&gsi.name) {
                return Err(duplicate(&gsi.name));
            }
            names.push(gsi.name.clone());
            gsis.push(gsi);
        }
        if list.len() > MAX_GSIS {
            return Err(invalid(format!(
                "GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSIS}"
            )));
        }
    }
    // Then the vector indexes (names unique over every index).
    let mut vector_indexes = Vec::new();
    if let Some(list) = vector_list {
        let key_attrs: Vec<&str> = key
            .attrs()
            .chain(lsis.iter().chain(gsis.iter()).flat_map(|i| i.key.attrs()))
            .map(|a| a.name.as_str())
            .collect();
        for v in list.iter().filter_map(Value::as_object).map(Input) {
            let ix = super::vector_indexes::parse_vector_index(v, &defs_list, &key_attrs, &names)?;
            names.push(ix.name.clone());
            vector_indexes.push(ix);
        }
        super::vector_indexes::check_dimensions(&vector_indexes)?;
    }
    // 4. With indexes, every definition must be some key's (or a vector index's SearchSchema).
    if !lsis.is_empty() || !gsis.is_empty() || !vector_indexes.is_empty() {
        let mut used: Vec<&str> = Vec::new();
        for a in key
            .attrs()
            .chain(lsis.iter().chain(gsis.iter()).flat_map(|i| i.key.attrs()))
            .map(|a| a.name.as_str())
            .chain(super::vector_indexes::defined_attributes(&vector_indexes))
        {
            if !used.contains(&a) {
                used.push(a);
            }
        }
        if defs_list.iter().any(|(d, _)| !used.contains(&d.as_str())) {
            return Err(invalid(format!(
                "Some AttributeDefinitions are not used. AttributeDefinitions: {}, keys used: {}",
                names_list(defs_list.iter().map(|(d, _)| d.as_str())),
                names_list(used.iter().copied())
            )));
        }
    }
    let projected: usize = lsis
        .iter()
        .chain(gsis.iter())
        .filter_map(|i| i.projection.non_key_attributes.as_ref())
        .map(Vec::len)
        .sum();
    if projected > MAX_PROJECTED_ATTRIBUTES {
        return Err(invalid(format!("Number of projected attributes in all indexes exceeds limit of {MAX_PROJECTED_ATTRIBUTES}")));
    }
    let now = engine.now();
    let stream = stream_state(input.obj("StreamSpecification"), now)?;
    let sse = input.obj("SSESpecification").map(|s| Sse {
        enabled: s.bool("Enabled").unwrap_or(false),
        sse_type: s.str("SSEType").map(String::from),
        kms_key: s.str("KMSMasterKeyId").map(String::from),
    });
    let requested_tags = crate::ops::control::tags::read_tags(input);
    crate::ops::control::tags::validate_tags(&requested_tags)?;
    let mut tags = Vec::new();
    crate::ops::control::tags::merge_tags(&mut tags, &requested_tags)?;
    let policy = match input.str("ResourcePolicy") {
        Some(document) => {
            crate::ops::control::policies::validate_policy(document)?;
            Some(Policy {
                document: document.to_string(),
                revision: crate::ops::control::policies::next_revision(now, None),
            })
        }
        None => None,
    };
    if engine.table_exists(scope, &name) {
        return Err(Error::new(
            crate::error::ErrorKind::ResourceInUse,
            format!("Table already exists: {name}"),
        ));
    }
    let meta = TableMeta {
        id: 0,
        account: scope.account.clone(),
        region: scope.region.clone(),
        name,
        key,
        attribute_definitions: defs_list,
        billing_mode: billing,
        throughput,
        created: now,
        last_update_to_pay_per_request: (billing == BillingMode::PayPerRequest).then_some(now),
        gsis,
        lsis,
        stream,
        ttl: None,
        sse,
        table_class: input.str("TableClass").map(String::from),
        deletion_protection: input.bool("DeletionProtectionEnabled").unwrap_or(false),
        tags,
        status: "ACTIVE".into(),
        pitr: None,
        restore: None,
        policy,
        stream_policies: Vec::new(),
        kinesis: Vec::new(),
        auto_scaling: Default::default(),
        index_auto_scaling: Vec::new(),
        on_demand,
        warm: warm_throughput(input),
        global_version: None,
        replicas: Vec::new(),
        global_created: None,
        contributor_insights: Vec::new(),
        vector_indexes,
    };
    Ok(meta)
}
