//! UpdateTimeToLive and DescribeTimeToLive. Enabling takes effect at once (DescribeTimeToLive
//! answers ENABLED, as DynamoDB Local does); the engine's sweeper then deletes expired items.
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::{Scope, TtlState};
use crate::ops::Input;
use serde_json::{json, Value};

pub fn update(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let spec = input.obj("TimeToLiveSpecification");
    let enabled = spec.and_then(|s| s.bool("Enabled")).unwrap_or(false);
    let attribute = spec
        .and_then(|s| s.str("AttributeName"))
        .unwrap_or_default()
        .to_string();
    if attribute.is_empty() || attribute.len() > 255 {
        return Err(Error::validation(
            "Names of key attributes and attributes projected into an index must be between 1 and 255 characters, inclusive",
        ));
    }
    let name = attribute.clone();
    engine.update_table(scope, input.table_name(), |meta| {
        let current = meta.ttl.as_ref().filter(|t| t.enabled);
        match (current, enabled) {
            (Some(t), _) if t.attribute != name => Err(Error::validation(
                "TimeToLive is active on a different AttributeName",
            )),
            (Some(_), true) => Err(Error::validation("TimeToLive is already enabled")),
            (None, false) => Err(Error::validation("TimeToLive is already disabled")),
            _ => {
                meta.ttl = Some(TtlState {
                    attribute: name,
                    enabled,
                });
                Ok(())
            }
        }
    })?;
    Ok(json!({"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute}}))
}

pub fn describe(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let meta = engine.table(scope, input.table_name())?;
    let description = match meta.ttl.as_ref().filter(|t| t.enabled) {
        Some(t) => json!({"TimeToLiveStatus": "ENABLED", "AttributeName": t.attribute}),
        None => json!({"TimeToLiveStatus": "DISABLED"}),
    };
    Ok(json!({"TimeToLiveDescription": description}))
}
