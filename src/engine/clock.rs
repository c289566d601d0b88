//! Injectable time. Production reads the system clock; tests and the admin API move a manual one
//! (TTL sweeps, stream retention and iterator expiry, throughput refill), so no test sleeps.
use std::sync::atomic::{AtomicI64, Ordering};

pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch, with millisecond precision.
    fn now(&self) -> f64;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> f64 {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        (d.as_millis() as f64) / 1000.0
    }
}

/// The system clock shifted by an offset that can be advanced at run time.
#[derive(Default)]
pub struct OffsetClock {
    offset_ms: AtomicI64,
}

impl OffsetClock {
    /// The system clock moved on by `offset_ms` (what an earlier run advanced it by).
    pub fn with_offset_ms(offset_ms: i64) -> OffsetClock {
        OffsetClock {
            offset_ms: AtomicI64::new(offset_ms),
        }
    }
    /// Moves the clock on; returns the new offset in milliseconds.
    pub fn advance(&self, seconds: f64) -> i64 {
        let by = (seconds * 1000.0) as i64;
        self.offset_ms.fetch_add(by, Ordering::SeqCst) + by
    }
    /// Sets the offset (a snapshot restore puts back the clock the snapshot saw).
    pub fn set_offset_ms(&self, offset_ms: i64) {
        self.offset_ms.store(offset_ms, Ordering::SeqCst);
    }
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> f64 {
        SystemClock.now() + self.offset_ms.load(Ordering::SeqCst) as f64 / 1000.0
    }
}

/// `2026-11-24T19:06:13.564` (UTC) for epoch seconds: the shape of a stream label.
pub fn iso8601(epoch: f64) -> String {
    let ms = (epoch * 1000.0).round() as i64;
    let (secs, millis) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso8601_formats_utc() {
        assert_eq!(super::iso8601(1795547173.564), "2026-11-24T19:06:13.564");
        assert_eq!(super::iso8601(0.0), "1970-01-01T00:00:00.000");
    }
}
