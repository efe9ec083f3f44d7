//! The `log` backend: `[seconds.micros] LEVEL target: message` on the console.
//!
//! The timestamp is the monotonic time since boot (`clock::now`). The level is set by the
//! command line (`loglevel=error|warn|info|debug|trace`, default `info`).

use log::{LevelFilter, Log, Metadata, Record};

struct Logger;

static LOGGER: Logger = Logger;

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        // Seconds and microseconds as u64/u32: formatting the u128 of `as_micros` would link
        // u128 formatting (about 1 KB) for nothing else.
        let now = crate::clock::now();
        crate::console::write_fmt(format_args!(
            "[{:5}.{:06}] {:<5} {}: {}\n",
            now.as_secs(),
            now.subsec_micros(),
            record.level(),
            record.target(),
            record.args()
        ));
    }

    fn flush(&self) {}
}

/// Parses a `loglevel=` value.
pub fn parse_level(text: &str) -> Option<LevelFilter> {
    Some(match text {
        "off" => LevelFilter::Off,
        "error" => LevelFilter::Error,
        "warn" => LevelFilter::Warn,
        "info" => LevelFilter::Info,
        "debug" => LevelFilter::Debug,
        "trace" => LevelFilter::Trace,
        _ => return None,
    })
}

/// Installs the logger at `level`.
pub fn init(level: LevelFilter) {
    // A second call (impossible in the boot sequence) would only keep the first logger.
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(level);
}
