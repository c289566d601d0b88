//! What Query and Scan share: the index named by IndexName, legacy filters (QueryFilter /
//! ScanFilter), Select with ProjectionExpression / AttributesToGet and what an index projects,
//! ExclusiveStartKey validation, and running a page into the response shape.
pub mod query;
pub mod scan;
pub mod search_vectors;
use crate::engine::read::{Page, Read};
use crate::engine::{decode_row, Engine};
use crate::error::{Error, Result};
use crate::expr::projection::{apply_projection, PathElem, Projection};
use crate::model::{
    AttributeValue, IndexDef, IndexKind, Item, KeySchema, ProjectionType, TableMeta,
};
use crate::ops::expressions::{join_legacy, legacy_conditions, value_list, Check, Legacy};
use crate::ops::{Input, Output};
use crate::protocol::json;
use serde_json::{Map, Value};

fn invalid(msg: impl std::fmt::Display) -> Error {
    Error::validation(format!("One or more parameter values were invalid: {msg}"))
}

/// The index named by IndexName, if any.
pub fn index<'m>(meta: &'m TableMeta, input: Input) -> Result<Option<&'m IndexDef>> {
    let Some(name) = input.str("IndexName") else {
        return Ok(None);
    };
    meta.index(name).map(Some).ok_or_else(|| {
        Error::validation(format!(
            "The table does not have the specified index: {name}"
        ))
    })
}

/// ConsistentRead true on a GSI.
pub fn check_consistent_read(index: Option<&IndexDef>, input: Input) -> Result<()> {
    if input.bool("ConsistentRead") == Some(true)
        && index.is_some_and(|i| i.kind == IndexKind::Global)
    {
        return Err(Error::validation(
            "Consistent reads are not supported on global secondary indexes",
        ));
    }
    Ok(())
}

/// A legacy QueryFilter / ScanFilter (+ ConditionalOperator) as a filter. Operator names are
/// checked by the model (an enum) before this runs.
pub fn legacy_filter(input: Input, param: &str) -> Result<Option<Check>> {
    let Some(map) = legacy_conditions(input, param)? else {
        return Ok(None);
    };
    let mut legacy = Legacy::default();
    let mut conds = Vec::new();
    let empty = Map::new();
    for (attr, spec) in map {
        let spec = Input(spec.as_object().unwrap_or(&empty));
        let op = spec.str("ComparisonOperator").unwrap_or_default();
        let list = value_list(spec)?.unwrap_or_default();
        conds.push(legacy.comparison(attr, op, list)?);
    }
    Ok(join_legacy(input, conds).map(|cond| Check::from_legacy(cond, legacy, input)))
}

/// The attributes an index holds (None: all of them).
pub fn projected(meta: &TableMeta, ix: &IndexDef) -> Option<Vec<String>> {
    if ix.projection.ty == ProjectionType::All {
        return None;
    }
    let mut names: Vec<String> = meta.key.attrs().map(|a| a.name.clone()).collect();
    for a in ix.key.attrs() {
        if !names.contains(&a.name) {
            names.push(a.name.clone());
        }
    }
    names.extend(ix.projection.non_key_attributes.iter().flatten().cloned());
    Some(names)
}

/// Filter attributes the index does not project.
pub fn check_filter_projected(
    meta: &TableMeta,
    index: Option<&IndexDef>,
    filter: Option<&Check>,
) -> Result<()> {
    let (Some(ix), Some(filter)) = (index, filter) else {
        return Ok(());
    };
    let Some(held) = projected(meta, ix) else {
        return Ok(());
    };
    let missing: Vec<String> = filter
        .attributes()
        .into_iter()
        .filter(|a| !held.contains(a))
        .collect();
    if !missing.is_empty() {
        return Err(invalid(format!(
            "Secondary index {} does not project one or more filter attributes: [{}]",
            ix.name,
            missing.join(", ")
        )));
    }
    Ok(())
}

/// What each returned item is made of.
pub enum Returned {
    /// Select COUNT: no items.
    Count,
    /// The item as read (whole table item, or what the index holds).
    AsRead,
    /// These paths of the item.
    Paths(Projection),
}

/// Select with ProjectionExpression / AttributesToGet, checked as the service does. Returns the
/// output and whether an LSI read must fetch whole items from the table.
pub fn select(
    meta: &TableMeta,
    index: Option<&IndexDef>,
    input: Input,
    projection: Option<Projection>,
) -> Result<(Returned, bool)> {
    let has_pe = input.get("ProjectionExpression").is_some();
    let has_atg = input.get("AttributesToGet").is_some();
    let cannot = |what: &str| -> Result<()> {
        if has_pe {
            return Err(Error::validation(format!(
                "Cannot specify the ProjectionExpression when choosing to get {what}"
            )));
        }
        if has_atg {
            return Err(Error::validation(format!(
                "Cannot specify the AttributesToGet when choosing to get {what}"
            )));
        }
        Ok(())
    };
    let held = index.and_then(|ix| projected(meta, ix));
    let select = input.str("Select");
    match select {
        Some("ALL_ATTRIBUTES") => {
            cannot("ALL_ATTRIBUTES")?;
            if let (Some(ix), Some(_)) = (index, &held) {
                if ix.kind == IndexKind::Global {
                    return Err(invalid(format!(
                        "Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
                        ix.name
                    )));
                }
            }
        }
        Some("ALL_PROJECTED_ATTRIBUTES") => {
            cannot("ALL_PROJECTED_ATTRIBUTES")?;
            if index.is_none() {
                return Err(Error::validation(
                    "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
                ));
            }
        }
        Some("COUNT") => cannot("only the Count")?,
        Some("SPECIFIC_ATTRIBUTES") if !has_pe && !has_atg => {
            return Err(Error::validation(
                "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
            ));
        }
        _ => {}
    }
    if let Some(p) = &projection {
        check_key_paths(meta, p)?;
    }
    let lsi = index.is_some_and(|i| i.kind == IndexKind::Local);
    if let (Some(ix), Some(held), Some(p)) = (index, &held, &projection) {
        let missing: Vec<&str> = top_names(p)
            .into_iter()
            .filter(|n| !held.iter().any(|h| h == n))
            .collect();
        if !missing.is_empty() {
            if ix.kind == IndexKind::Global {
                return Err(invalid(format!(
                    "Global secondary index {} does not project [{}]",
                    ix.name,
                    missing.join(", ")
                )));
            }
            return Ok((Returned::Paths(projection.expect("matched")), true));
        }
    }
    Ok(match (select, projection) {
        (Some("COUNT"), _) => (Returned::Count, false),
        (_, Some(p)) => (Returned::Paths(p), false),
        (Some("ALL_ATTRIBUTES"), None) => (Returned::AsRead, lsi && held.is_some()),
        _ => (Returned::AsRead, false),
    })
}

/// Distinct top-level names of a projection, in order.
fn top_names(p: &Projection) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for path in &p.paths {
        if let Some(PathElem::Attr(a)) = path.first() {
            if !out.contains(&a.as_str()) {
                out.push(a);
            }
        }
    }
    out
}

/// A projection may not reach into a key attribute (`sk.x`, `pk[0]`): a table key is named
/// first (`Key: sk`), else a key attribute of any of the table's indexes (`IndexKey: g`, also
/// when another index or the table is read), as DynamoDB Local 2026 answers.
fn check_key_paths(meta: &TableMeta, p: &Projection) -> Result<()> {
    let nested = || {
        p.paths.iter().filter_map(|path| match path.first() {
            Some(PathElem::Attr(a)) if path.len() > 1 => Some(a),
            _ => None,
        })
    };
    let fail = |what: &str, a: &str| {
        Err(Error::validation(format!(
            "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: {what}: {a}"
        )))
    };
    if let Some(a) = nested().find(|a| meta.key.contains(a)) {
        return fail("Key", a);
    }
    if let Some(a) = nested().find(|a| meta.indexes().any(|i| i.key.contains(a))) {
        return fail("IndexKey", a);
    }
    Ok(())
}

/// The key attributes an ExclusiveStartKey must hold, in schema order: the table's, then the
/// index's that are not the table's.
fn start_key_attrs<'m>(
    meta: &'m TableMeta,
    index: Option<&'m IndexDef>,
) -> Vec<&'m crate::model::KeyAttr> {
    let mut out: Vec<&crate::model::KeyAttr> = meta.key.attrs().collect();
    if let Some(ix) = index {
        for a in ix.key.attrs() {
            if !out.iter().any(|o| o.name == a.name) {
                out.push(a);
            }
        }
    }
    out
}

/// ExclusiveStartKey: the right attributes with the right types, no empty values.
pub fn read_start_key(
    meta: &TableMeta,
    index: Option<&IndexDef>,
    input: Input,
    scan: bool,
) -> Result<Option<Item>> {
    let Some(v) = input.get("ExclusiveStartKey") else {
        return Ok(None);
    };
    let key = crate::protocol::attr::parse_item(v)?;
    let invalid_key = || Error::validation("The provided starting key is invalid");
    if key.is_empty() {
        return Err(invalid_key());
    }
    let attrs = start_key_attrs(meta, index);
    // Spurious or missing attributes: a Scan of the table says why, the others do not (the
    // service's words, as public suites recorded them).
    if key.len() != attrs.len() {
        if scan && index.is_none() {
            return Err(Error::validation(
                "The provided starting key is invalid: The provided key element does not match the schema",
            ));
        }
        return Err(invalid_key());
    }
    for a in &attrs {
        let Some(v) = key.get(&a.name) else {
            return Err(invalid_key());
        };
        if v.scalar_type() != Some(a.ty.scalar()) {
            return Err(Error::validation(
                "The provided key element does not match the schema",
            ));
        }
    }
    for a in &attrs {
        let empty = match &key[&a.name] {
            AttributeValue::S(s) => s.is_empty().then_some("string"),
            AttributeValue::B(b) => b.is_empty().then_some("binary"),
            _ => None,
        };
        // DynamoDB Local 2026 prefixes these for an empty one-attribute partition key (the
        // table's or the read index's), whether it Queries or Scans.
        let partition = meta.key.hash.name == a.name
            || index.is_some_and(|ix| ix.key.more_hash.is_empty() && ix.key.hash.name == a.name);
        let restart = if partition {
            "The query can return at most one row and cannot be restarted. "
        } else {
            ""
        };
        let index_key = index.filter(|_| !meta.key.contains(&a.name));
        if let (Some(kind), Some(ix)) = (empty, index_key) {
            return Err(Error::validation(format!(
                "{restart}The provided starting key is invalid: One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {kind} value. IndexName: {}, IndexKey: {}",
                ix.name, a.name
            )));
        }
        if let Some(kind) = empty {
            return Err(Error::validation(format!(
                "{restart}The provided starting key is invalid: One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {kind} value. Key: {}",
                a.name
            )));
        }
    }
    Ok(Some(key))
}

/// The key schema a read walks: the index's, or the table's.
pub fn walked_schema<'m>(meta: &'m TableMeta, index: Option<&'m IndexDef>) -> &'m KeySchema {
    index.map(|i| &i.key).unwrap_or(&meta.key)
}

/// When a page's LastEvaluatedKey is given.
pub struct Resume<'a> {
    /// False for a Query of a table without a sort key (one item per partition).
    pub allowed: bool,
    /// The range's inclusive bound in the walk's direction, on a table's sort key: a page cut
    /// at Limit exactly there has nothing left.
    pub inclusive_end: Option<(&'a str, &'a AttributeValue)>,
}

/// Runs one page and renders Query/Scan's output.
pub fn run_page(
    engine: &Engine,
    meta: &TableMeta,
    input: Input,
    read: &Read,
    filter: Option<&Check>,
    returned: &Returned,
    resume: Resume,
) -> Result<Output> {
    let mut out = json::Object::with_capacity(4096);
    let items = !matches!(returned, Returned::Count);
    if items {
        out.member("Items").push(b'[');
    }
    let mut count = 0usize;
    let page: Page = engine.read_page(meta, read, &mut |row| {
        let decoded = match filter {
            Some(f) => {
                let item = decode_row(row)?;
                if !f.passes(Some(&item)) {
                    return Ok(());
                }
                Some(item)
            }
            None => None,
        };
        count += 1;
        let buf = out.buffer();
        if items && count > 1 {
            buf.push(b',');
        }
        match (returned, decoded) {
            (Returned::Count, _) => {}
            (Returned::AsRead, Some(item)) => json::item(buf, &item),
            (Returned::AsRead, None) => json::stored_item(buf, row)?,
            (Returned::Paths(p), item) => {
                let item = match item {
                    Some(item) => item,
                    None => decode_row(row)?,
                };
                json::item(buf, &apply_projection(&item, p))
            }
        }
        Ok(())
    })?;
    if items {
        out.buffer().push(b']');
    }
    out.value("Count", &count.into());
    out.value("ScannedCount", &page.scanned.into());
    if let (Some(last), true) = (&page.last, resume.allowed) {
        // A page cut at 1 MiB resumes only if rows follow; one cut at Limit always does, unless
        // it ended on the range's inclusive bound with nothing after it (as the oracle answers).
        let at_end = resume
            .inclusive_end
            .is_some_and(|(name, v)| last.get(name) == Some(v));
        let resumable = match page.by_size {
            true => page.more,
            false => page.more || !at_end,
        };
        if resumable {
            json::item(out.member("LastEvaluatedKey"), last);
        }
    }
    let factor = if input.bool("ConsistentRead").unwrap_or(false) {
        1.0
    } else {
        0.5
    };
    let units = (page.bytes.max(0) as u64).div_ceil(4096) as f64 * factor;
    let base_units = page.base_blocks as f64 * factor;
    let partition = match &read.mode {
        crate::engine::read::Mode::Query { partition, .. } => Some(std::slice::from_ref(partition)),
        crate::engine::read::Mode::QueryTuple { partition, .. } => Some(partition.as_slice()),
        crate::engine::read::Mode::Scan { .. } => None,
    };
    let consumed = charge_read(
        engine, input, meta, read.index, partition, units, base_units,
    )?;
    if let Some(cc) = consumed {
        out.value("ConsumedCapacity", &cc);
    }
    Ok(Output::Written(out.finish()))
}

/// Meters a page read (`units` on the table or the index read, `base_units` on the table for
/// the items an LSI read fetched from it): charged to the table or the GSI (a throttled page
/// is refused whole), a Query's partition counted for contributor insights; the
/// ConsumedCapacity to answer, when asked.
pub fn charge_read(
    engine: &Engine,
    input: Input,
    meta: &TableMeta,
    index: Option<&IndexDef>,
    partition: Option<&[AttributeValue]>,
    units: f64,
    base_units: f64,
) -> Result<Option<Value>> {
    use crate::engine::capacity::Consumed;
    let meter = crate::ops::capacity::Meter::new(engine, input, 1.0);
    let c = match index {
        Some(ix) => Consumed::index_read(meta, ix, units, base_units),
        None => Consumed::table_read(units),
    };
    let key = match partition {
        Some(p) if engine.insights_on(meta) => {
            let schema = walked_schema(meta, index);
            let names = schema.hash_attrs().map(|a| a.name.clone());
            Some(names.zip(p.iter().cloned()).collect::<Item>())
        }
        _ => None,
    };
    let c = meter.read(meta, index, key.as_ref(), c)?;
    Ok(crate::ops::capacity::render(meta, &c, meter.report))
}
