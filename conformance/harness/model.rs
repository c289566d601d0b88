//! The scenario and fixture formats of conformance/README.md: strict loading from JSON (unknown
//! fields and wrong types are errors that name the file and the JSON path) and writing fixtures
//! back as stable, pretty-printed JSON.
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// A request or response body: JSON (sent compact / compared structurally) or raw text.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Json(Value),
    Raw(String),
}

#[derive(Debug, Clone)]
pub struct Request {
    /// The full `X-Amz-Target`; `None` sends no header.
    pub target: Option<String>,
    pub body: Body,
    /// Extra request headers, in file order.
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub body: Body,
}

/// Why an exchange follows the service rather than DynamoDB Local (`"source": "service"`).
#[derive(Debug, Clone)]
pub struct Correction {
    pub reason: String,
    pub oracle_response: Option<Response>,
}

#[derive(Debug, Clone)]
pub struct Exchange {
    pub request: Request,
    pub response: Response,
    pub correction: Option<Correction>,
}

/// One recorded file, `fixtures/<area>/<case>.json`.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// `area/case`.
    pub name: String,
    pub description: String,
    pub normalised: Vec<String>,
    pub exchanges: Vec<Exchange>,
}

/// One scenario step: the request and, optionally, the service's answer overriding the oracle's.
#[derive(Debug, Clone)]
pub struct Step {
    pub request: Request,
    /// `(service answer, reason)`.
    pub service: Option<(Response, String)>,
}

/// One hand-written file, `conformance/scenarios/<area>/<case>.json`.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// `area/case`.
    pub name: String,
    pub description: String,
    pub steps: Vec<Step>,
}

type Result<T> = std::result::Result<T, String>;

/// Every `*.json` file below `dir`, sorted, as `(area/case, path)`. A missing dir is empty.
pub fn json_files(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else if path.extension().is_some_and(|x| x == "json") {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut paths = Vec::new();
    if dir.exists() {
        walk(dir, &mut paths)?;
    }
    paths.sort();
    Ok(paths.into_iter().map(|p| (name_of(dir, &p), p)).collect())
}

/// `area/case` for a file below `root`.
pub fn name_of(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path).with_extension("");
    let parts: Vec<_> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    parts.join("/")
}

fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: invalid JSON: {e}", path.display()))
}

impl Fixture {
    pub fn load(name: &str, path: &Path) -> Result<Fixture> {
        let v = read_json(path)?;
        Fixture::from_json(name, &v).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn from_json(name: &str, v: &Value) -> Result<Fixture> {
        let top = object(
            v,
            "$",
            &["description", "source", "normalised", "exchanges"],
        )?;
        let description = opt_string(top, "description", "$")?.unwrap_or_default();
        let source = opt_string(top, "source", "$")?;
        if !matches!(source.as_deref(), None | Some("dynamodb-local" | "service")) {
            return Err("$.source: expected \"dynamodb-local\" or \"service\"".into());
        }
        let normalised = match top.get("normalised") {
            None => Vec::new(),
            Some(v) => v
                .as_array()
                .and_then(|a| a.iter().map(|r| r.as_str().map(String::from)).collect())
                .ok_or("$.normalised: expected an array of strings")?,
        };
        if let Some(bad) = normalised
            .iter()
            .find(|r| !super::normalise::RULES.contains(&r.as_str()))
        {
            return Err(format!("$.normalised: unknown rule {bad:?}"));
        }
        let mut exchanges = Vec::new();
        for (i, x) in array(top, "exchanges", "$")?.iter().enumerate() {
            let at = format!("$.exchanges[{i}]");
            let m = object(
                x,
                &at,
                &["request", "response", "source", "reason", "oracle_response"],
            )?;
            let request = m.get("request").ok_or(format!("{at}: missing request"))?;
            let req_at = format!("{at}.request");
            let request = parse_request(
                object(request, &req_at, &["target", "body", "raw_body", "headers"])?,
                &req_at,
            )?;
            let response = m.get("response").ok_or(format!("{at}: missing response"))?;
            let response = parse_response(response, &format!("{at}.response"))?;
            let correction = match opt_string(m, "source", &at)?.as_deref() {
                None | Some("dynamodb-local") => None,
                Some("service") => Some(Correction {
                    reason: opt_string(m, "reason", &at)?
                        .ok_or(format!("{at}: \"source\": \"service\" needs a reason"))?,
                    oracle_response: match m.get("oracle_response") {
                        None => None,
                        Some(r) => Some(parse_response(r, &format!("{at}.oracle_response"))?),
                    },
                }),
                Some(other) => return Err(format!("{at}.source: unknown source {other:?}")),
            };
            exchanges.push(Exchange {
                request,
                response,
                correction,
            });
        }
        if exchanges.is_empty() {
            return Err("$.exchanges: no exchanges".into());
        }
        let fixture = Fixture {
            name: name.into(),
            description,
            normalised,
            exchanges,
        };
        match source {
            Some(s) if s != fixture.source() => Err(format!(
                "$.source: {s:?}, but {} (\"service\" when any exchange has \"source\": \"service\")",
                match fixture.source() {
                    "service" => "an exchange is corrected",
                    _ => "no exchange is corrected",
                }
            )),
            _ => Ok(fixture),
        }
    }

    /// `service` when any exchange was corrected, else `dynamodb-local`.
    pub fn source(&self) -> &'static str {
        if self.exchanges.iter().any(|x| x.correction.is_some()) {
            "service"
        } else {
            "dynamodb-local"
        }
    }

    pub fn to_json(&self) -> Value {
        let exchanges: Vec<Value> = self
            .exchanges
            .iter()
            .map(|x| {
                let mut m = Map::new();
                m.insert("request".into(), x.request.to_json());
                m.insert("response".into(), x.response.to_json());
                if let Some(c) = &x.correction {
                    m.insert("source".into(), json!("service"));
                    m.insert("reason".into(), json!(c.reason));
                    if let Some(r) = &c.oracle_response {
                        m.insert("oracle_response".into(), r.to_json());
                    }
                }
                Value::Object(m)
            })
            .collect();
        json!({
            "description": self.description,
            "source": self.source(),
            "normalised": self.normalised,
            "exchanges": exchanges,
        })
    }

    /// The file contents: pretty-printed with a 2-space indent and a trailing newline.
    pub fn to_file_text(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.to_json()).expect("JSON values serialise");
        s.push('\n');
        s
    }
}

impl Scenario {
    pub fn load(name: &str, path: &Path) -> Result<Scenario> {
        let v = read_json(path)?;
        Scenario::from_json(name, &v).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn from_json(name: &str, v: &Value) -> Result<Scenario> {
        let top = object(v, "$", &["description", "requests"])?;
        let description = opt_string(top, "description", "$")?.unwrap_or_default();
        let mut steps = Vec::new();
        for (i, r) in array(top, "requests", "$")?.iter().enumerate() {
            let at = format!("$.requests[{i}]");
            let allowed = ["target", "body", "raw_body", "headers", "service", "reason"];
            let m = object(r, &at, &allowed)?;
            let request = parse_request(m, &at)?;
            let service = match (m.get("service"), opt_string(m, "reason", &at)?) {
                (None, None) => None,
                (Some(s), Some(reason)) => {
                    Some((parse_response(s, &format!("{at}.service"))?, reason))
                }
                (Some(_), None) => return Err(format!("{at}: \"service\" needs a \"reason\"")),
                (None, Some(_)) => return Err(format!("{at}: \"reason\" without \"service\"")),
            };
            steps.push(Step { request, service });
        }
        if steps.is_empty() {
            return Err("$.requests: no requests".into());
        }
        Ok(Scenario {
            name: name.into(),
            description,
            steps,
        })
    }
}

impl Request {
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("target".into(), json!(self.target));
        self.body.insert_into(&mut m);
        if !self.headers.is_empty() {
            let h: Map<String, Value> = self
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            m.insert("headers".into(), Value::Object(h));
        }
        Value::Object(m)
    }

    /// The same request: target, body (JSON by value, object keys in any order) and headers (in
    /// any order, names case-insensitive).
    pub fn same_as(&self, other: &Request) -> bool {
        let headers = |r: &Request| {
            let mut h: Vec<(String, String)> = r
                .headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect();
            h.sort();
            h
        };
        self.target == other.target && self.body == other.body && headers(self) == headers(other)
    }

    /// A short label for reports: the operation name, or `no X-Amz-Target`.
    pub fn label(&self) -> &str {
        match &self.target {
            Some(t) => t.rsplit('.').next().unwrap_or(t),
            None => "no X-Amz-Target",
        }
    }
}

impl Response {
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("status".into(), json!(self.status));
        self.body.insert_into(&mut m);
        Value::Object(m)
    }
}

impl Body {
    fn insert_into(&self, m: &mut Map<String, Value>) {
        match self {
            Body::Json(v) => m.insert("body".into(), v.clone()),
            Body::Raw(s) => m.insert("raw_body".into(), json!(s)),
        };
    }
}

fn parse_request(m: &Map<String, Value>, at: &str) -> Result<Request> {
    let target = match m.get("target") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) => None,
        Some(_) => return Err(format!("{at}.target: expected a string or null")),
        None => {
            return Err(format!(
                "{at}: missing target (use null to send no X-Amz-Target)"
            ))
        }
    };
    let mut headers = Vec::new();
    if let Some(h) = m.get("headers") {
        let h = h
            .as_object()
            .ok_or(format!("{at}.headers: expected an object"))?;
        for (k, v) in h {
            let v = v
                .as_str()
                .ok_or(format!("{at}.headers.{k}: expected a string"))?;
            headers.push((k.clone(), v.to_string()));
        }
    }
    Ok(Request {
        target,
        body: parse_body(m, at)?,
        headers,
    })
}

fn parse_response(v: &Value, at: &str) -> Result<Response> {
    let m = object(v, at, &["status", "body", "raw_body"])?;
    let status = m
        .get("status")
        .and_then(Value::as_u64)
        .filter(|s| (100..600).contains(s))
        .ok_or(format!("{at}.status: expected an HTTP status code"))?;
    Ok(Response {
        status: status as u16,
        body: parse_body(m, at)?,
    })
}

fn parse_body(m: &Map<String, Value>, at: &str) -> Result<Body> {
    match (m.get("body"), m.get("raw_body")) {
        (Some(b), None) => Ok(Body::Json(b.clone())),
        (None, Some(Value::String(s))) => Ok(Body::Raw(s.clone())),
        (None, Some(_)) => Err(format!("{at}.raw_body: expected a string")),
        _ => Err(format!("{at}: expected exactly one of body, raw_body")),
    }
}

fn object<'a>(v: &'a Value, at: &str, allowed: &[&str]) -> Result<&'a Map<String, Value>> {
    let m = v.as_object().ok_or(format!("{at}: expected an object"))?;
    match m.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!(
            "{at}: unknown field {k:?} (expected one of: {})",
            allowed.join(", ")
        )),
        None => Ok(m),
    }
}

fn array<'a>(m: &'a Map<String, Value>, key: &str, at: &str) -> Result<&'a Vec<Value>> {
    m.get(key)
        .and_then(Value::as_array)
        .ok_or(format!("{at}.{key}: expected an array"))
}

fn opt_string(m: &Map<String, Value>, key: &str, at: &str) -> Result<Option<String>> {
    match m.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{at}.{key}: expected a string")),
    }
}
