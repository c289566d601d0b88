//! Replay results and their report: a pass/fail table per area (the folder under fixtures/),
//! then every failing fixture with its differences.
use std::collections::BTreeMap;
use std::fmt::Write;

/// The result of replaying one fixture; it passed when `failures` is empty.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// `area/case`.
    pub name: String,
    pub failures: Vec<String>,
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
    let mut areas: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for o in outcomes {
        let counts = areas.entry(o.area()).or_default();
        if o.passed() {
            counts.0 += 1;
        } else {
            counts.1 += 1;
        }
    }
    let width = areas.keys().map(|a| a.len()).max().unwrap_or(0).max(5);
    let _ = writeln!(out, "{:width$}  {:>6}  {:>6}", "area", "passed", "failed");
    for (area, (passed, failed)) in &areas {
        let _ = writeln!(out, "{area:width$}  {passed:>6}  {failed:>6}");
    }
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    let failed = outcomes.len() - passed;
    let _ = writeln!(out, "{:width$}  {passed:>6}  {failed:>6}", "total");
    out
}
