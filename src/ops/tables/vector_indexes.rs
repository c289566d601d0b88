//! Vector indexes at CreateTable (`VectorIndexes`) and UpdateTable (`VectorIndexUpdates`), and
//! their `VectorIndexDescription` in table descriptions. The model (botocore's) checks the
//! shapes, enums and bounds first; the rules here are those its documentation states (one
//! HASH in a SearchSchema, SearchSchema attributes defined in AttributeDefinitions, the vector
//! attribute and inline filters counting as projected non-key attributes, one dimension count
//! per vector attribute, one vector index created or deleted per UpdateTable). DynamoDB Local
//! ignores vector indexes, so no recording pins the service's wording: the messages are awsim's
//! (conformance/notes/vectors.md).
use crate::engine::vectors::MAX_DIMENSIONS;
use crate::engine::TableView;
use crate::error::{Error, Result};
use crate::model::*;
use crate::ops::tables::create_table::{invalid, parse_projection};
use crate::ops::Input;
use serde_json::{json, Map, Value};

/// Projected non-key attributes a vector index may have, the vector and each inline filter
/// included (the model's bound on NonKeyAttributes).
pub const MAX_PROJECTED: usize = 20;

/// `[a, b]`, as the service prints a list of names.
fn names_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    format!("[{}]", names.into_iter().collect::<Vec<_>>().join(", "))
}

/// One VectorIndex (or CreateVectorIndexAction) against the table's definitions and the index
/// names already taken.
pub fn parse_vector_index(
    v: Input,
    defs: &[(String, KeyType)],
    key_attrs: &[&str],
    taken: &[String],
) -> Result<VectorIndexDef> {
    let name = v.str("IndexName").unwrap_or_default().to_string();
    if taken.contains(&name) {
        return Err(invalid(format!("Duplicate index name: {name}")));
    }
    let attribute = v
        .obj("VectorAttribute")
        .and_then(|a| a.str("AttributeName"))
        .unwrap_or_default()
        .to_string();
    let dimensions = v.i64("Dimensions").unwrap_or(0);
    if dimensions < 1 || dimensions > MAX_DIMENSIONS as i64 {
        return Err(invalid(format!(
            "Dimensions must be between 1 and {MAX_DIMENSIONS} for vector index: {name}"
        )));
    }
    let distance = Distance::parse(v.str("DistanceFunction").unwrap_or_default())
        .ok_or_else(|| invalid("Unknown DistanceFunction"))?;
    if key_attrs.contains(&attribute.as_str()) {
        return Err(invalid(format!(
            "The vector attribute of vector index {name} is a key attribute: {attribute}"
        )));
    }
    let mut search_schema: Vec<(String, String)> = Vec::new();
    for e in v.list("SearchSchema").into_iter().flatten() {
        let a = e["AttributeName"].as_str().unwrap_or_default().to_string();
        let t = e["SearchSchemaElementType"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if a == attribute {
            return Err(invalid(format!(
                "The vector attribute {a} of vector index {name} cannot be in its SearchSchema"
            )));
        }
        if search_schema.iter().any(|(b, _)| *b == a) {
            return Err(invalid(format!(
                "Duplicate attribute in the SearchSchema of vector index {name}: {a}"
            )));
        }
        search_schema.push((a, t));
    }
    if search_schema.iter().filter(|(_, t)| t == "HASH").count() > 1 {
        return Err(invalid(format!(
            "The SearchSchema of vector index {name} has more than one HASH element"
        )));
    }
    let undefined = search_schema
        .iter()
        .any(|(a, _)| !defs.iter().any(|(d, _)| d == a));
    if undefined {
        return Err(invalid(format!(
            "Some index key attributes are not defined in AttributeDefinitions. Keys: {}, AttributeDefinitions: {}",
            names_list(search_schema.iter().map(|(a, _)| a.as_str())),
            names_list(defs.iter().map(|(d, _)| d.as_str()))
        )));
    }
    let typed = |a: &str| KeyAttr {
        name: a.to_string(),
        ty: defs
            .iter()
            .find(|(d, _)| d == a)
            .map_or(KeyType::S, |(_, t)| *t),
    };
    let partition = search_schema
        .iter()
        .find(|(_, t)| t == "HASH")
        .map(|(a, _)| typed(a));
    let filters: Vec<KeyAttr> = search_schema
        .iter()
        .filter(|(_, t)| t == "INLINE_FILTER")
        .map(|(a, _)| typed(a))
        .collect();
    let projection = parse_projection(v.obj("Projection"))?;
    let projected = 1 + filters.len() + projection.non_key_attributes.as_ref().map_or(0, Vec::len);
    if projected > MAX_PROJECTED {
        return Err(invalid(format!(
            "Number of projected non-key attributes of vector index {name} exceeds the limit of {MAX_PROJECTED}: the vector attribute and each INLINE_FILTER attribute count as one"
        )));
    }
    Ok(VectorIndexDef {
        name,
        attribute,
        dimensions: dimensions as usize,
        distance,
        partition,
        filters,
        search_schema,
        projection,
        status: "ACTIVE".into(),
        backfilling: false,
    })
}

/// Vector indexes reading one attribute must agree on its dimensions.
pub fn check_dimensions(indexes: &[VectorIndexDef]) -> Result<()> {
    for (i, a) in indexes.iter().enumerate() {
        if let Some(b) = indexes[..i]
            .iter()
            .find(|b| b.attribute == a.attribute && b.dimensions != a.dimensions)
        {
            return Err(invalid(format!(
                "Vector indexes on one attribute must have the same number of dimensions: {} has {}, {} has {} (attribute {})",
                b.name, b.dimensions, a.name, a.dimensions, a.attribute
            )));
        }
    }
    Ok(())
}

/// The attributes a table's vector indexes name in AttributeDefinitions (their SearchSchemas).
pub fn defined_attributes(indexes: &[VectorIndexDef]) -> impl Iterator<Item = &str> {
    indexes
        .iter()
        .flat_map(|v| v.search_schema.iter().map(|(a, _)| a.as_str()))
}

/// A table's `VectorIndexes` description.
pub fn render(meta: &TableMeta, view: &TableView) -> Value {
    Value::Array(
        meta.vector_indexes
            .iter()
            .map(|ix| {
                let stats = view.index_stats.get(&ix.name).copied().unwrap_or_default();
                let mut m = Map::new();
                m.insert("IndexName".into(), json!(ix.name));
                m.insert("IndexStatus".into(), json!(ix.status));
                if ix.status == "CREATING" || ix.backfilling {
                    m.insert("Backfilling".into(), json!(ix.backfilling));
                }
                m.insert(
                    "VectorAttribute".into(),
                    json!({"AttributeName": ix.attribute}),
                );
                m.insert("Dimensions".into(), json!(ix.dimensions));
                m.insert("DistanceFunction".into(), json!(ix.distance.as_str()));
                if !ix.search_schema.is_empty() {
                    m.insert(
                        "SearchSchema".into(),
                        Value::Array(
                            ix.search_schema
                                .iter()
                                .map(|(a, t)| json!({"AttributeName": a, "SearchSchemaElementType": t}))
                                .collect(),
                        ),
                    );
                }
                let mut p = Map::new();
                p.insert("ProjectionType".into(), json!(ix.projection.ty.as_str()));
                if let Some(nka) = &ix.projection.non_key_attributes {
                    p.insert("NonKeyAttributes".into(), json!(nka));
                }
                m.insert("Projection".into(), Value::Object(p));
                if ix.status != "CREATING" {
                    m.insert("IndexSizeBytes".into(), json!(stats.size_bytes));
                    m.insert("ItemCount".into(), json!(stats.item_count));
                }
                m.insert(
                    "IndexArn".into(),
                    json!(format!("{}/index/{}", meta.arn(), ix.name)),
                );
                Value::Object(m)
            })
            .collect(),
    )
}

/// UpdateTable's VectorIndexUpdates, checked before the table is looked up: each entry names
/// Create or Delete.
pub fn check_update_list(updates: &[Value]) -> Result<()> {
    for u in updates {
        let ok = u
            .as_object()
            .is_some_and(|o| o.contains_key("Create") || o.contains_key("Delete"));
        if !ok {
            return Err(invalid(
                "One of VectorIndexUpdate.Create, VectorIndexUpdate.Delete must not be null",
            ));
        }
    }
    Ok(())
}

/// Applies VectorIndexUpdates to the table's metadata; returns the names created and the
/// indexes deleted (the answer describes them CREATING and DELETING).
pub fn apply_updates(
    meta: &mut TableMeta,
    updates: &[Value],
    new_defs: &[(String, KeyType)],
) -> Result<(Vec<String>, Vec<VectorIndexDef>)> {
    let mut created = Vec::new();
    let mut deleted = Vec::new();
    for u in updates.iter().filter_map(Value::as_object).map(Input) {
        if let Some(c) = u.obj("Create") {
            let mut defs = meta.attribute_definitions.clone();
            for (n, t) in new_defs {
                match defs.iter().find(|(d, _)| d == n) {
                    Some((_, existing)) if existing != t => {
                        return Err(Error::validation(
                            "invalid attribute, SchemaElement redefined should be of same type as previously defined",
                        ))
                    }
                    Some(_) => {}
                    None => defs.push((n.clone(), *t)),
                }
            }
            let name = c.str("IndexName").unwrap_or_default();
            if meta.index(name).is_some() || meta.vector_index(name).is_some() {
                return Err(Error::validation(
                    "Attempting to create an index which already exists",
                ));
            }
            let key_attrs: Vec<&str> = meta
                .key
                .attrs()
                .chain(meta.indexes().flat_map(|i| i.key.attrs()))
                .map(|a| a.name.as_str())
                .collect();
            let ix = parse_vector_index(c, &defs, &key_attrs, &[])?;
            let mut all = meta.vector_indexes.clone();
            all.push(ix.clone());
            check_dimensions(&all)?;
            created.push(ix.name.clone());
            meta.vector_indexes.push(ix);
        } else if let Some(d) = u.obj("Delete") {
            let name = d.str("IndexName").unwrap_or_default();
            let at = meta
                .vector_indexes
                .iter()
                .position(|v| v.name == name)
                .ok_or_else(|| {
                    Error::new(
                        crate::error::ErrorKind::ResourceNotFound,
                        "Requested resource not found",
                    )
                })?;
            deleted.push(meta.vector_indexes.remove(at));
        }
    }
    Ok((created, deleted))
}
