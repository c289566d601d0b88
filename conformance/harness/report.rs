//! Replay results and their report: every failing fixture with its differences, then a table per
//! area (the folder under fixtures/) of fixtures and of exchanges passed and failed (an exchange
//! count shows how close a server is when one early difference fails a whole fixture).
use std::collections::BTreeMap;
use std::fmt::Write;

/// The result of replaying one fixture; it passed when `failures` is empty.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// `area/case`.
    pub name: String,
    pub failures: Vec<String>,
    /// How many exchanges the fixture has (0 when it did not load).
    pub exchanges: usize,
    /// How many of them differed (or were never sent, after a failed request).
    pub failed_exchanges: usize,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    pub fn area(&self) -> &str {
        self.name.split('/').next().unwrap_or(&self.name)
    }
}

/// The failures (with their differences) followed by the per-area table and a total line.
pub fn render(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    for o in outcomes.iter().filter(|o| !o.passed()) {
        let _ = writeln!(out, "FAIL {}", o.name);
        for f in &o.failures {
            let _ = writeln!(out, "  {}", f.replace('\n', "\n    "));
        }
        out.push('\n');
    }
    #[derive(Default)]
    struct Counts {
        passed: usize,
        failed: usize,
        exchanges_passed: usize,
        exchanges_failed: usize,
    }
    let mut areas: BTreeMap<&str, Counts> = BTreeMap::new();
    let mut total = Counts::default();
    for o in outcomes {
        for c in [areas.entry(o.area()).or_default(), &mut total] {
            if o.passed() {
                c.passed += 1;
            } else {
                c.failed += 1;
            }
            c.exchanges_passed += o.exchanges - o.failed_exchanges.min(o.exchanges);
            c.exchanges_failed += o.failed_exchanges.min(o.exchanges);
        }
    }
    let width = areas.keys().map(|a| a.len()).max().unwrap_or(0).max(5);
    let _ = writeln!(
        out,
        "{:width$}  {:>6}  {:>6}  {:>9}  {:>9}",
        "area", "passed", "failed", "exch.pass", "exch.fail"
    );
    let rows = areas
        .iter()
        .map(|(a, c)| (*a, c))
        .chain([("total", &total)]);
    for (area, c) in rows {
        let _ = writeln!(
            out,
            "{area:width$}  {:>6}  {:>6}  {:>9}  {:>9}",
            c.passed, c.failed, c.exchanges_passed, c.exchanges_failed
        );
    }
    out
}
