//! ListImports: the caller's imports, oldest first, optionally of one table (TableArn), paged by
//! PageSize (at most 25) with NextToken (the previous page's last ARN as `ops::hex_token`).
use super::bucket_source;
use crate::engine::Engine;
use crate::error::Result;
use crate::model::Scope;
use crate::ops::{from_hex_token, hex_token, Input};
use serde_json::{json, Map, Value};

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let table = input.str("TableArn");
    let size = input.i64("PageSize").unwrap_or(25) as usize;
    let mut imports: Vec<_> = engine
        .list_imports(scope)?
        .into_iter()
        .filter(|i| table.is_none_or(|t| i.spec.table_arn == t))
        .collect();
    if let Some(token) = input.str("NextToken") {
        let after = from_hex_token(token);
        if let Some(i) = imports.iter().position(|x| x.arn == after) {
            imports.drain(..=i);
        }
    }
    let more = imports.len() > size;
    imports.truncate(size);
    let summaries = imports
        .iter()
        .map(|i| {
            let mut m = Map::new();
            m.insert("ImportArn".into(), json!(i.arn));
            m.insert("ImportStatus".into(), json!(i.status));
            m.insert("TableArn".into(), json!(i.spec.table_arn));
            m.insert("S3BucketSource".into(), bucket_source(i));
            m.insert("InputFormat".into(), json!(i.spec.format));
            m.insert("StartTime".into(), json!(i.start_time));
            if let Some(t) = i.end_time {
                m.insert("EndTime".into(), json!(t));
            }
            Value::Object(m)
        })
        .collect();
    let mut out = Map::new();
    out.insert("ImportSummaryList".into(), Value::Array(summaries));
    if more {
        if let Some(last) = imports.last() {
            out.insert("NextToken".into(), json!(hex_token(&last.arn)));
        }
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    // The token must fit the model's shape (hex, 16-digit groups, at least 112 digits) and
    // give the ARN back.
    #[test]
    fn tokens_fit_the_model_and_round_trip() {
        let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/t/import/01765000000000-0a1b2c3d";
        let t = crate::ops::hex_token(arn);
        assert!(t.len() >= 112 && t.len().is_multiple_of(16));
        assert!(t
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(crate::ops::from_hex_token(&t), arn);
    }
}
