//! Request metrics for `GET /_awsim/metrics`, rendered in the Prometheus text format (version
//! 0.0.4): requests and latency histograms by operation, errors by operation and `__type`, and
//! the per-table gauges and counters the caller hands to `render`. Counting is a few atomic
//! adds per request (a map lock only the first time an operation is seen, and on errors).
//! Depends on nothing in awsim: the server records, the admin API renders.
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Upper bounds of the latency buckets, in seconds (`le` labels; `+Inf` follows).
const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// One operation's counters.
#[derive(Default)]
struct OpStats {
    requests: AtomicU64,
    /// Requests whose latency fell in each bucket (not cumulative; summed when rendered).
    buckets: [AtomicU64; BUCKETS.len() + 1],
    /// Total latency in nanoseconds (u64 holds 584 years of it).
    nanos: AtomicU64,
}

/// The counters of one server.
pub struct Metrics {
    started: Instant,
    /// By operation name (or `unknown`). Read-locked per request; written the first time an
    /// operation is seen, so at most once per operation of the API.
    ops: RwLock<HashMap<String, Arc<OpStats>>>,
    /// By (operation, error `__type` without its namespace).
    errors: Mutex<BTreeMap<(String, String), u64>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            started: Instant::now(),
            ops: RwLock::new(HashMap::new()),
            errors: Mutex::new(BTreeMap::new()),
        }
    }
}

/// One table's line in the per-table families.
pub struct TableSample<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub table: &'a str,
    pub items: i64,
    pub bytes: i64,
    pub throttled: u64,
}

impl Metrics {
    /// Counts one answered API request: its operation (a name of the API, or `unknown`), its
    /// error type when it failed (`ValidationException`, ...) and how long it took.
    pub fn record(&self, operation: &str, error: Option<&str>, elapsed: Duration) {
        let count = |stats: &OpStats| {
            stats.requests.fetch_add(1, Ordering::Relaxed);
            let seconds = elapsed.as_secs_f64();
            let bucket = BUCKETS
                .iter()
                .position(|le| seconds <= *le)
                .unwrap_or(BUCKETS.len());
            stats.buckets[bucket].fetch_add(1, Ordering::Relaxed);
            stats.nanos.fetch_add(
                u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
        };
        // Counted under the read lock: no reference count to take and give back per request.
        let seen = match self
            .ops
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(operation)
        {
            Some(stats) => {
                count(stats);
                true
            }
            None => false,
        };
        if !seen {
            count(
                self.ops
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry(operation.to_string())
                    .or_default(),
            );
        }
        if let Some(error) = error {
            *self
                .errors
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry((operation.to_string(), error.to_string()))
                .or_default() += 1;
        }
    }

    /// The whole exposition: the request families, then one line per table in each table
    /// family.
    pub fn render(&self, tables: &[TableSample]) -> String {
        let mut out = String::new();
        let ops: BTreeMap<String, Arc<OpStats>> = self
            .ops
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        family(
            &mut out,
            "awsim_uptime_seconds",
            "gauge",
            "Seconds since the server started.",
        );
        let _ = writeln!(
            out,
            "awsim_uptime_seconds {}",
            self.started.elapsed().as_secs_f64()
        );
        family(
            &mut out,
            "awsim_requests_total",
            "counter",
            "API requests answered, by operation (errors included).",
        );
        for (op, s) in &ops {
            let _ = writeln!(
                out,
                "awsim_requests_total{{operation=\"{}\"}} {}",
                escape(op),
                s.requests.load(Ordering::Relaxed)
            );
        }
        family(
            &mut out,
            "awsim_errors_total",
            "counter",
            "API requests answered with an error, by operation and error __type.",
        );
        for ((op, ty), n) in self.errors.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(
                out,
                "awsim_errors_total{{operation=\"{}\",type=\"{}\"}} {n}",
                escape(op),
                escape(ty)
            );
        }
        family(
            &mut out,
            "awsim_request_duration_seconds",
            "histogram",
            "Time from the request read to the answer ready, by operation.",
        );
        for (op, s) in &ops {
            let op = escape(op);
            let mut cumulative = 0;
            for (i, le) in BUCKETS.iter().enumerate() {
                cumulative += s.buckets[i].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "awsim_request_duration_seconds_bucket{{operation=\"{op}\",le=\"{le}\"}} {cumulative}"
                );
            }
            cumulative += s.buckets[BUCKETS.len()].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "awsim_request_duration_seconds_bucket{{operation=\"{op}\",le=\"+Inf\"}} {cumulative}"
            );
            let _ = writeln!(
                out,
                "awsim_request_duration_seconds_sum{{operation=\"{op}\"}} {}",
                s.nanos.load(Ordering::Relaxed) as f64 / 1e9
            );
            let _ = writeln!(
                out,
                "awsim_request_duration_seconds_count{{operation=\"{op}\"}} {cumulative}"
            );
        }
        let per_table: [TableFamily; 3] = [
            ("awsim_table_items", "gauge", "Items in the table.", |t| {
                t.items.to_string()
            }),
            (
                "awsim_table_size_bytes",
                "gauge",
                "Size of the table's items by DynamoDB's item size rules.",
                |t| t.bytes.to_string(),
            ),
            (
                "awsim_throttled_requests_total",
                "counter",
                "Requests refused with ProvisionedThroughputExceededException, by table.",
                |t| t.throttled.to_string(),
            ),
        ];
        for (name, kind, help, value) in per_table {
            family(&mut out, name, kind, help);
            for t in tables {
                let _ = writeln!(
                    out,
                    "{name}{{account=\"{}\",region=\"{}\",table=\"{}\"}} {}",
                    escape(t.account),
                    escape(t.region),
                    escape(t.table),
                    value(t)
                );
            }
        }
        out
    }
}

/// A per-table family: name, type, help and the value of a table's line.
type TableFamily = (
    &'static str,
    &'static str,
    &'static str,
    fn(&TableSample) -> String,
);

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A label value as the text format wants it: backslash, double quote and newline escaped.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // The exposition is read by Prometheus: cumulative buckets ending in +Inf equal to the
    // count, errors under their type, tables with their labels.
    #[test]
    fn renders_cumulative_histograms_errors_and_tables() {
        let m = Metrics::default();
        m.record("GetItem", None, Duration::from_micros(50));
        m.record("GetItem", None, Duration::from_millis(3));
        m.record(
            "GetItem",
            Some("ResourceNotFoundException"),
            Duration::from_secs(30),
        );
        let text = m.render(&[TableSample {
            account: "000000000000",
            region: "us-east-1",
            table: "t\"1",
            items: 7,
            bytes: 700,
            throttled: 0,
        }]);
        for line in [
            "awsim_requests_total{operation=\"GetItem\"} 3",
            "awsim_errors_total{operation=\"GetItem\",type=\"ResourceNotFoundException\"} 1",
            "awsim_request_duration_seconds_bucket{operation=\"GetItem\",le=\"0.0001\"} 1",
            "awsim_request_duration_seconds_bucket{operation=\"GetItem\",le=\"0.0025\"} 1",
            "awsim_request_duration_seconds_bucket{operation=\"GetItem\",le=\"0.005\"} 2",
            "awsim_request_duration_seconds_bucket{operation=\"GetItem\",le=\"2.5\"} 2",
            "awsim_request_duration_seconds_bucket{operation=\"GetItem\",le=\"+Inf\"} 3",
            "awsim_request_duration_seconds_count{operation=\"GetItem\"} 3",
            "awsim_table_items{account=\"000000000000\",region=\"us-east-1\",table=\"t\\\"1\"} 7",
            "awsim_table_size_bytes{account=\"000000000000\",region=\"us-east-1\",table=\"t\\\"1\"} 700",
            "awsim_throttled_requests_total{account=\"000000000000\",region=\"us-east-1\",table=\"t\\\"1\"} 0",
            "# TYPE awsim_request_duration_seconds histogram",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
        let sum = text
            .lines()
            .find_map(|l| {
                l.strip_prefix("awsim_request_duration_seconds_sum{operation=\"GetItem\"} ")
            })
            .unwrap();
        let sum: f64 = sum.parse().unwrap();
        assert!((sum - 30.00305).abs() < 1e-6, "{sum}");
    }
}
