//! Structured logging to a daily rotating JSON-lines file.
//!
//! Privacy rule for every crate of the kiosk: log events, ids we generate,
//! counts, durations and error kinds; never names, document numbers, images,
//! embeddings, scores tied to a person, file names chosen by customers,
//! credentials or tokens.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::{EnvFilter, Layer, layer::SubscriberExt, util::SubscriberInitExt};

/// Prefix of the log files: `dayfusion-kiosk.YYYY-MM-DD.log`.
pub const LOG_FILE_PREFIX: &str = "dayfusion-kiosk";
/// How many daily files are kept before the oldest is deleted.
pub const MAX_LOG_FILES: usize = 14;
/// Environment variable with a `tracing` filter (default `info`).
pub const LOG_FILTER_ENV: &str = "DAYFUSION_LOG";

/// Errors while setting up logging.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    /// The rotating file appender could not be created.
    #[error("cannot open log folder {path}: {source}")]
    Appender {
        /// The log folder.
        path: String,
        /// Underlying error.
        source: tracing_appender::rolling::InitError,
    },
    /// A global subscriber was already installed.
    #[error("logging already initialised: {0}")]
    AlreadySet(String),
}

/// Keeps the background writer alive; drop it last to flush the log.
pub struct LogGuard {
    _worker: WorkerGuard,
}

/// Builds the JSON file layer and its guard, without installing it.
pub fn file_layer<S>(
    log_dir: &Path,
) -> Result<(impl Layer<S> + Send + Sync + 'static, LogGuard), LoggingError>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    let appender = Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix(LOG_FILE_PREFIX)
        .filename_suffix("log")
        .max_log_files(MAX_LOG_FILES)
        .build(log_dir)
        .map_err(|source| LoggingError::Appender {
            path: log_dir.display().to_string(),
            source,
        })?;
    let (writer, worker) = tracing_appender::non_blocking(appender);
    let layer = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(false)
        .with_span_list(false)
        .with_writer(writer);
    Ok((layer, LogGuard { _worker: worker }))
}

/// Installs the global subscriber: JSON lines into `log_dir`, and a compact
/// human format on stderr when `echo_stderr` is set (development, CLI).
pub fn init(log_dir: &Path, echo_stderr: bool) -> Result<LogGuard, LoggingError> {
    let filter = EnvFilter::try_from_env(LOG_FILTER_ENV).unwrap_or_else(|_| EnvFilter::new("info"));
    let (file, guard) = file_layer(log_dir)?;
    let stderr = echo_stderr.then(|| {
        tracing_subscriber::fmt::layer()
            .compact()
            .with_writer(std::io::stderr)
    });
    tracing_subscriber::registry()
        .with(filter)
        .with(file)
        .with(stderr)
        .try_init()
        .map_err(|e| LoggingError::AlreadySet(e.to_string()))?;
    Ok(guard)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn events_are_written_as_json_lines_in_a_dated_file() -> Result<(), Box<dyn std::error::Error>>
    {
        let tmp = tempfile::tempdir()?;
        let (layer, guard) = file_layer(tmp.path())?;
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                event = "camera_state",
                state = "live",
                devices = 2,
                "camera opened"
            );
        });
        drop(guard); // flushes the background writer

        let files: Vec<_> = std::fs::read_dir(tmp.path())?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<Result<_, _>>()?;
        assert_eq!(files.len(), 1, "{files:?}");
        let name = &files[0];
        assert!(
            name.starts_with("dayfusion-kiosk.") && name.ends_with(".log"),
            "{name}"
        );

        let text = std::fs::read_to_string(tmp.path().join(name))?;
        let line: serde_json::Value = serde_json::from_str(text.trim())?;
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["fields"]["event"], "camera_state");
        assert_eq!(line["fields"]["devices"], 2);
        assert!(line["timestamp"].is_string());
        Ok(())
    }
}
