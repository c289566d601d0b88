//! Contributor insights: UpdateContributorInsights, DescribeContributorInsights and
//! ListContributorInsights, on tables and their GSIs, with the service's status machine
//! (Update answers ENABLING or DISABLING; described ENABLED or DISABLED from then on) and its
//! rule names: `DynamoDBContributorInsights-<rule>-<table>[-<index>]-<epoch millis of the
//! rules' creation>`, the rules PKC and SKC (most accessed partition keys, and partition and
//! sort keys) and PKT and SKT (most throttled), SKC and SKT only with a sort key, PKC and SKC
//! only in ACCESSED_AND_THROTTLED_KEYS mode. The state is table metadata (persisted); what
//! awsim counts while enabled (`engine::insights`) is served by `report`, behind
//! `GET /_awsim/insights/<table>` (README).
//!
//! Checks in order: model constraints, then the table (ResourceNotFound), then the index (a
//! GSI of the table; anything else is ResourceNotFound).
use crate::engine::insights::{KeyCount, THROTTLED_KEYS};
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{ContributorInsights, IndexDef, Scope, TableMeta};
use crate::ops::Input;
use crate::protocol::attr::render_value;
use serde_json::{json, Map, Value};

/// The default mode (the service's, when a request names none).
pub const DEFAULT_MODE: &str = "ACCESSED_AND_THROTTLED_KEYS";

/// The longest rule name the model admits.
const MAX_RULE_NAME: usize = 128;

/// Summaries ListContributorInsights answers per page unless MaxResults says otherwise.
const DEFAULT_PAGE: usize = 100;

fn not_found() -> Error {
    Error::new(ErrorKind::ResourceNotFound, "Requested resource not found")
}

/// The GSI a request names, or None for the table itself.
fn index<'m>(meta: &'m TableMeta, input: Input) -> Result<Option<&'m IndexDef>> {
    match input.str("IndexName") {
        None => Ok(None),
        Some(name) => meta
            .gsis
            .iter()
            .find(|g| g.name == name)
            .map(Some)
            .ok_or_else(not_found),
    }
}

pub fn update(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let name = input.table_name();
    let meta = engine.table(scope, name)?;
    let ix = index(&meta, input)?.map(|g| g.name.clone());
    let enable = input.str("ContributorInsightsAction") == Some("ENABLE");
    let mode = input.str("ContributorInsightsMode").unwrap_or(DEFAULT_MODE);
    let now = engine.now();
    let updated = engine.update_table(scope, name, |meta| {
        let at = meta.contributor_insights.iter().position(|c| c.index == ix);
        let current = at.map(|i| &mut meta.contributor_insights[i]);
        match (current, enable) {
            (Some(c), true) => {
                // Enabled again, or in another mode: new rules.
                if !c.enabled || c.mode != mode {
                    c.rules_created = (now * 1000.0) as i64;
                    c.updated = now;
                }
                c.enabled = true;
                c.mode = mode.to_string();
            }
            (None, true) => meta.contributor_insights.push(ContributorInsights {
                index: ix.clone(),
                enabled: true,
                mode: mode.to_string(),
                updated: now,
                rules_created: (now * 1000.0) as i64,
            }),
            (Some(c), false) => {
                if c.enabled {
                    c.updated = now;
                }
                c.enabled = false;
            }
            (None, false) => {}
        }
        Ok(())
    })?;
    if !enable {
        engine.clear_insights(&updated, ix.as_deref());
    }
    let mut m = Map::new();
    m.insert("TableName".into(), json!(updated.name));
    if let Some(ix) = &ix {
        m.insert("IndexName".into(), json!(ix));
    }
    m.insert(
        "ContributorInsightsStatus".into(),
        json!(if enable { "ENABLING" } else { "DISABLING" }),
    );
    if enable {
        m.insert("ContributorInsightsMode".into(), json!(mode));
    }
    Ok(Value::Object(m))
}

/// The rule names of enabled insights on a table or one of its GSIs.
pub fn rule_names(meta: &TableMeta, ci: &ContributorInsights) -> Vec<String> {
    let schema = match &ci.index {
        None => &meta.key,
        Some(ix) => match meta.gsis.iter().find(|g| &g.name == ix) {
            Some(g) => &g.key,
            None => return Vec::new(),
        },
    };
    let sorted = schema.range.is_some();
    let mut rules: Vec<&str> = Vec::new();
    if ci.mode != THROTTLED_KEYS {
        rules.push("PKC");
        if sorted {
            rules.push("SKC");
        }
    }
    rules.push("PKT");
    if sorted {
        rules.push("SKT");
    }
    let mut resource = meta.name.clone();
    if let Some(ix) = &ci.index {
        resource.push('-');
        resource.push_str(ix);
    }
    let stamp = ci.rules_created.to_string();
    // Names the model's 128 characters cannot hold are cut in the table/index part.
    let fixed = "DynamoDBContributorInsights-".len() + 3 + 2 + stamp.len();
    let room = MAX_RULE_NAME.saturating_sub(fixed);
    let mut cut = resource.len().min(room);
    while !resource.is_char_boundary(cut) {
        cut -= 1;
    }
    let resource = resource[..cut].trim_end_matches(['-', '_', '.']);
    rules
        .into_iter()
        .map(|r| format!("DynamoDBContributorInsights-{r}-{resource}-{stamp}"))
        .collect()
}

pub fn describe(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let meta = engine.table(scope, input.table_name())?;
    let ix = index(&meta, input)?.map(|g| g.name.clone());
    let mut m = Map::new();
    m.insert("TableName".into(), json!(meta.name));
    if let Some(ix) = &ix {
        m.insert("IndexName".into(), json!(ix));
    }
    match meta.contributor_insights.iter().find(|c| c.index == ix) {
        Some(c) if c.enabled => {
            m.insert(
                "ContributorInsightsRuleList".into(),
                json!(rule_names(&meta, c)),
            );
            m.insert("ContributorInsightsStatus".into(), json!("ENABLED"));
            m.insert("LastUpdateDateTime".into(), json!(c.updated));
            m.insert("ContributorInsightsMode".into(), json!(c.mode));
        }
        Some(c) => {
            m.insert("ContributorInsightsStatus".into(), json!("DISABLED"));
            m.insert("LastUpdateDateTime".into(), json!(c.updated));
        }
        None => {
            m.insert("ContributorInsightsStatus".into(), json!("DISABLED"));
        }
    }
    Ok(Value::Object(m))
}

/// One ListContributorInsights summary.
fn summary(meta: &TableMeta, index: Option<&str>) -> Value {
    let ci = meta
        .contributor_insights
        .iter()
        .find(|c| c.index.as_deref() == index);
    let mut m = Map::new();
    m.insert("TableName".into(), json!(meta.name));
    if let Some(ix) = index {
        m.insert("IndexName".into(), json!(ix));
    }
    let enabled = ci.is_some_and(|c| c.enabled);
    m.insert(
        "ContributorInsightsStatus".into(),
        json!(if enabled { "ENABLED" } else { "DISABLED" }),
    );
    if let Some(c) = ci.filter(|c| c.enabled) {
        m.insert("ContributorInsightsMode".into(), json!(c.mode));
    }
    Value::Object(m)
}

/// With a TableName: the table and each of its GSIs. Without: every table and GSI of the
/// caller's region whose insights were ever enabled, by table name. Pages of MaxResults
/// (default 100); NextToken is the position of the next summary.
pub fn list(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let mut all: Vec<Value> = Vec::new();
    if input.get("TableName").is_some() {
        let meta = engine.table(scope, input.table_name())?;
        all.push(summary(&meta, None));
        for g in &meta.gsis {
            all.push(summary(&meta, Some(&g.name)));
        }
    } else {
        for name in engine.table_names(scope) {
            let Ok(meta) = engine.table(scope, &name) else {
                continue;
            };
            if meta.contributor_insights.iter().any(|c| c.index.is_none()) {
                all.push(summary(&meta, None));
            }
            for g in &meta.gsis {
                let ever = meta
                    .contributor_insights
                    .iter()
                    .any(|c| c.index.as_deref() == Some(&g.name));
                if ever {
                    all.push(summary(&meta, Some(&g.name)));
                }
            }
        }
    }
    let start = match input.str("NextToken") {
        None => 0,
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|s| *s <= all.len())
            .ok_or_else(|| Error::validation("Invalid NextToken"))?,
    };
    let page = input
        .i64("MaxResults")
        .filter(|n| *n > 0)
        .map_or(DEFAULT_PAGE, |n| n as usize);
    let end = (start + page).min(all.len());
    let mut m = Map::new();
    m.insert(
        "ContributorInsightsSummaries".into(),
        Value::Array(all[start..end].to_vec()),
    );
    if end < all.len() {
        m.insert("NextToken".into(), json!(end.to_string()));
    }
    Ok(Value::Object(m))
}

/// awsim's own report of what contributor insights counted on a table and its GSIs over the
/// last `minutes` minutes: for each one with insights enabled, its rules and their top `top`
/// keys (AttributeValue JSON) with their counts.
pub fn report(
    engine: &Engine,
    scope: &Scope,
    table: &str,
    minutes: usize,
    top: usize,
) -> Result<Value> {
    let meta = engine.table(scope, table)?;
    let keys = |list: Vec<KeyCount>, schema: &crate::model::KeySchema| -> Value {
        Value::Array(
            list.into_iter()
                .map(|k| {
                    let mut key = Map::new();
                    key.insert(schema.hash.name.clone(), render_value(&k.partition));
                    if let (Some(r), Some(v)) = (&schema.range, &k.sort) {
                        key.insert(r.name.clone(), render_value(v));
                    }
                    json!({"key": key, "count": k.count})
                })
                .collect(),
        )
    };
    let mut targets = Vec::new();
    for c in meta.contributor_insights.iter().filter(|c| c.enabled) {
        let schema = match &c.index {
            None => &meta.key,
            Some(ix) => match meta.gsis.iter().find(|g| &g.name == ix) {
                Some(g) => &g.key,
                None => continue,
            },
        };
        let r = engine.insights_report(&meta, c.index.as_deref(), minutes, top);
        let mut t = Map::new();
        if let Some(ix) = &c.index {
            t.insert("index".into(), json!(ix));
        }
        t.insert("mode".into(), json!(c.mode));
        t.insert("rules".into(), json!(rule_names(&meta, c)));
        let mut partition_only = schema.clone();
        partition_only.range = None;
        if c.mode != THROTTLED_KEYS {
            t.insert(
                "most_accessed_partition_keys".into(),
                keys(r.accessed_partitions, &partition_only),
            );
            if schema.range.is_some() {
                t.insert("most_accessed_items".into(), keys(r.accessed_items, schema));
            }
        }
        t.insert(
            "most_throttled_partition_keys".into(),
            keys(r.throttled_partitions, &partition_only),
        );
        if schema.range.is_some() {
            t.insert(
                "most_throttled_items".into(),
                keys(r.throttled_items, schema),
            );
        }
        targets.push(Value::Object(t));
    }
    Ok(json!({
        "table": meta.name,
        "window_minutes": minutes.clamp(1, crate::engine::insights::WINDOW_SLOTS),
        "contributor_insights": targets,
    }))
}
