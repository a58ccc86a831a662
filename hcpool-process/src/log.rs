//! Logging for the binaries: one `tracing` subscriber writing to stdout or stderr and, once
//! the configuration names it, to a log file rotated by size ([`LogFile`]), with a filter
//! that `debuglevel` replaces after the configuration is read ([`Logging::set_filter`]).
//!
//! The subscriber starts before the configuration is read (so a configuration error is
//! logged too) at `info`, or at the filter of the binary's environment variable
//! (`HCPOOL_LOG`, `STAKEPOOLD_LOG`), which then wins over `debuglevel`. The file gets the
//! same lines without colours. hcstakepool wrote `<logdir>/<network>/hcstakepool.log`,
//! rotated at 10 MiB with 3 old files kept; [`LogFile::under`] builds the same path, and the
//! size and count are the `maxlogsize` / `logstokeep` keys (those defaults). Rotated files
//! are `<name>.log.1` (newest) … `<name>.log.<keep>`, uncompressed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use file_rotate::compression::Compression;
use file_rotate::suffix::AppendCount;
use file_rotate::{ContentLimit, FileRotate};
use hcpool_core::Network;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{fmt, reload, EnvFilter, Layer as _, Registry};

use crate::Error;

/// Where the console lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output (hcstakepool logged there; hcpool-web does).
    Stdout,
    /// Standard error (stakepoold).
    Stderr,
}

/// A log file and its rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFile {
    /// The file (`<logdir>/<network>/<name>`).
    pub path: PathBuf,
    /// Rotate once the file has grown past this many bytes.
    pub max_bytes: usize,
    /// How many rotated files to keep.
    pub keep: usize,
}

impl LogFile {
    /// `<logdir>/<network>/<name>` (hcstakepool's layout: `mainnet`, `testnet2`, `simnet`),
    /// rotated past `max_mib` MiB with `keep` old files.
    pub fn under(logdir: &Path, network: Network, name: &str, max_mib: u64, keep: u32) -> Self {
        let max = usize::try_from(max_mib.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX);
        LogFile {
            path: logdir.join(network.params().name).join(name),
            max_bytes: max.max(1),
            keep: keep as usize,
        }
    }
}

/// `~/x` with the home directory (hcstakepool expanded `~` in paths); other paths as given.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ if path == "~" => std::env::var_os("HOME").map_or_else(|| path.into(), PathBuf::from),
        _ => PathBuf::from(path),
    }
}

type Rotating = FileRotate<AppendCount>;

/// The file writer, empty until [`Logging::open`].
#[derive(Clone, Default)]
struct FileSlot(Arc<OnceLock<Mutex<Rotating>>>);

/// One event's write: to the file when one is open, else nowhere.
struct SlotWriter<'a>(Option<MutexGuard<'a, Rotating>>);

impl Write for SlotWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.0 {
            Some(f) => f.write(buf),
            None => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.0 {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl<'a> MakeWriter<'a> for FileSlot {
    type Writer = SlotWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        SlotWriter(
            self.0
                .get()
                .map(|m| m.lock().unwrap_or_else(PoisonError::into_inner)),
        )
    }
}

/// The installed logging: change its filter, open its file.
#[derive(Clone)]
pub struct Logging {
    filter: reload::Handle<EnvFilter, Registry>,
    file: FileSlot,
    from_env: bool,
}

impl std::fmt::Debug for Logging {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logging")
            .field("from_env", &self.from_env)
            .field("file_open", &self.file.0.get().is_some())
            .finish()
    }
}

impl Logging {
    /// A subscriber writing to `stream` (colours only on a terminal) and to the log file
    /// once opened, filtered by `env_var` when set (and valid), else `info`; and its handle.
    /// [`Logging::install`] makes it the global one; tests use it with
    /// `tracing::subscriber::with_default`.
    pub fn subscriber(
        stream: Stream,
        env_var: &str,
    ) -> (impl tracing::Subscriber + Send + Sync, Logging) {
        let env = std::env::var(env_var)
            .ok()
            .and_then(|v| EnvFilter::try_new(v).ok());
        let from_env = env.is_some();
        let (filter, handle) = reload::Layer::new(env.unwrap_or_else(|| EnvFilter::new("info")));
        let file = FileSlot::default();
        let console = match stream {
            Stream::Stdout => fmt::layer()
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
                .boxed(),
            Stream::Stderr => fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .boxed(),
        };
        let sub = Registry::default()
            .with(filter)
            .with(console)
            .with(fmt::layer().with_ansi(false).with_writer(file.clone()));
        (
            sub,
            Logging {
                filter: handle,
                file,
                from_env,
            },
        )
    }

    /// Installs [`Logging::subscriber`] as the process's subscriber. When one is already
    /// installed (a test harness), the handle still works on the new one, which then goes
    /// unused.
    pub fn install(stream: Stream, env_var: &str) -> Logging {
        let (sub, logging) = Self::subscriber(stream, env_var);
        // Already set: keep the existing subscriber.
        let _ = tracing::subscriber::set_global_default(sub);
        logging
    }

    /// Whether the environment variable set the filter (then `debuglevel` is not applied).
    pub fn filter_from_env(&self) -> bool {
        self.from_env
    }

    /// Replaces the filter with `directives` (an `EnvFilter` string, such as
    /// [`hcpool_core::config::debuglevel`] makes), unless the environment variable set it.
    ///
    /// # Errors
    /// [`Error::Filter`] when `tracing` refuses the directives.
    pub fn set_filter(&self, directives: &str) -> Result<(), Error> {
        if self.from_env {
            return Ok(());
        }
        let f = EnvFilter::try_new(directives).map_err(|e| Error::Filter(e.to_string()))?;
        self.filter
            .reload(f)
            .map_err(|e| Error::Filter(e.to_string()))
    }

    /// Opens `file` (creating its directories) and writes every later line there too.
    ///
    /// # Errors
    /// [`Error::LogFile`] when the directory or the file cannot be created or written;
    /// [`Error::AlreadyOpen`] on a second call.
    pub fn open(&self, file: &LogFile) -> Result<(), Error> {
        let err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::LogFile { path, source }
        };
        if let Some(dir) = file.path.parent() {
            std::fs::create_dir_all(dir).map_err(err(dir))?;
        }
        // FileRotate reports an unwritable file only on the first write: try it here.
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&file.path)
            .map_err(err(&file.path))?;
        let rotating = FileRotate::new(
            &file.path,
            AppendCount::new(file.keep),
            ContentLimit::BytesSurpassed(file.max_bytes),
            Compression::None,
            None,
        );
        self.file
            .0
            .set(Mutex::new(rotating))
            .map_err(|_| Error::AlreadyOpen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_per_network_rotated_by_size() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = LogFile::under(dir.path(), Network::Testnet, "hcstakepool.log", 1, 2);
        assert_eq!(
            file.path,
            dir.path().join("testnet2").join("hcstakepool.log")
        );
        assert_eq!(file.max_bytes, 1024 * 1024);
        file.max_bytes = 2000;
        let (sub, logging) = Logging::subscriber(Stream::Stderr, "HCPOOL_PROCESS_TEST_UNSET");
        tracing::subscriber::with_default(sub, || {
            tracing::info!("before the file is open");
            logging.open(&file).unwrap();
            assert!(matches!(logging.open(&file), Err(Error::AlreadyOpen)));
            for i in 0..30 {
                tracing::info!(i, "line {i} {}", "x".repeat(200));
            }
            tracing::debug!("filtered out at info");
            logging.set_filter("debug").unwrap();
            tracing::debug!("now shown");
            assert!(logging.set_filter("=[").is_err());
        });
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        let current = read(&file.path);
        assert!(current.contains("now shown"), "{current}");
        assert!(!current.contains("filtered out"));
        assert!(!current.contains('\x1b'), "no colours in the file");
        let one = file.path.with_file_name("hcstakepool.log.1");
        let two = file.path.with_file_name("hcstakepool.log.2");
        assert!(read(&one).contains("line"), "rotated once");
        assert!(read(&two).contains("line"), "rotated twice");
        assert!(
            !file.path.with_file_name("hcstakepool.log.3").exists(),
            "only 2 kept"
        );
        let all = [read(&two), read(&one), current].concat();
        assert!(!all.contains("before the file is open"));
        assert!(all.contains("line 29 "));
        for f in [&file.path, &one, &two] {
            let len = std::fs::metadata(f).unwrap().len();
            assert!(len < 2000 + 400, "{} is {len} bytes", f.display());
        }
    }

    #[test]
    fn unwritable_logdir_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "not a dir").unwrap();
        let (_sub, logging) = Logging::subscriber(Stream::Stdout, "HCPOOL_PROCESS_TEST_UNSET");
        let file = LogFile::under(&blocker, Network::Mainnet, "stakepoold.log", 10, 3);
        let e = logging.open(&file).unwrap_err().to_string();
        assert!(e.starts_with("logdir: "), "{e}");
    }

    #[test]
    fn home_expansion() {
        assert_eq!(expand_home("/var/log"), PathBuf::from("/var/log"));
        assert_eq!(expand_home("logs"), PathBuf::from("logs"));
        if let Some(home) = std::env::var_os("HOME") {
            assert_eq!(expand_home("~/logs"), PathBuf::from(home).join("logs"));
        }
    }
}
