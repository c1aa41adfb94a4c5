//! The terminal conventions `feedlab bench`, `feedlab run` (feedlab-suite) and the binary's logging share: a
//! live bar and colours only on a terminal, plain lines without escape codes in a file or a pipe, log lines
//! printed above the bar instead of through it, and Ctrl-C and SIGTERM treated alike.

use std::io::{IsTerminal, Write as _};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, WeakProgressBar};

/// Resolves on the first Ctrl-C (SIGINT) or SIGTERM, naming it. `feedlab bench` and `feedlab run` treat
/// both alike: a service manager or `timeout` sends SIGTERM where a person presses Ctrl-C, and both should
/// keep what was measured. Call it again to wait for the next one.
pub async fn interrupted() -> &'static str {
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => s.recv().await,
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<Option<()>>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "interrupted (Ctrl-C)",
        _ = terminate => "terminated (SIGTERM)",
    }
}

/// How one output stream is shown: a terminal gets live bars and colours, a file or a pipe plain lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Console {
    /// A terminal that can redraw a line: progress bars are drawn.
    pub live: bool,
    /// ANSI colours may be used: a terminal, and `NO_COLOR` unset (<https://no-color.org>).
    pub color: bool,
}

impl Console {
    /// Standard error: the progress bar and log lines.
    pub fn stderr() -> Console {
        Console::detect(std::io::stderr().is_terminal())
    }

    /// Standard output: tables and summaries.
    pub fn stdout() -> Console {
        Console::detect(std::io::stdout().is_terminal())
    }

    fn detect(terminal: bool) -> Console {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        Console::new(terminal, var("TERM").is_some_and(|t| t == "dumb"), var("NO_COLOR").is_some())
    }

    /// The rule itself: a `dumb` terminal cannot move the cursor or colour; `NO_COLOR` keeps the bar.
    fn new(terminal: bool, dumb: bool, no_color: bool) -> Console {
        Console { live: terminal && !dumb, color: terminal && !dumb && !no_color }
    }
}

/// The bar on screen, so that [`LogWriter`] can print above it.
static ON_SCREEN: std::sync::Mutex<Option<WeakProgressBar>> = std::sync::Mutex::new(None);

/// A progress bar on stderr in `style`, or a hidden one when stderr is not a live terminal. [`LogWriter`]
/// prints log lines above it.
pub fn live_bar(len: Option<u64>, style: ProgressStyle) -> ProgressBar {
    if !Console::stderr().live {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr()).with_style(style);
    // unwrap: poisoned only if a thread panicked while swapping the handle, which cannot panic.
    *ON_SCREEN.lock().unwrap() = Some(bar.downgrade());
    bar
}

/// A line for the user on stderr, above the bar if one is drawn.
pub fn say(line: &str) {
    // One write, so the bar is hidden and redrawn once.
    let _ = LogWriter.write_all(format!("{line}\n").as_bytes());
}

/// Standard error with the bar on screen hidden while a line is written, then drawn again below it:
/// `tracing_subscriber::fmt().with_writer(|| LogWriter)`, and [`say`].
#[derive(Debug, Clone, Copy, Default)]
pub struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // unwrap: see ON_SCREEN.
        let bar = ON_SCREEN.lock().unwrap().as_ref().and_then(WeakProgressBar::upgrade);
        let write = || std::io::stderr().lock().write_all(buf);
        match bar {
            Some(bar) if !bar.is_finished() => bar.suspend(write)?,
            _ => write()?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_and_colours_only_on_a_capable_terminal() {
        let c = Console::new;
        assert_eq!(c(true, false, false), Console { live: true, color: true });
        assert_eq!(c(true, false, true), Console { live: true, color: false }, "NO_COLOR keeps the bar");
        assert_eq!(c(true, true, false), Console { live: false, color: false }, "TERM=dumb");
        assert_eq!(c(false, false, false), Console { live: false, color: false }, "a file or a pipe");
    }
}
