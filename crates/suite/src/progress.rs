//! Progress of a suite run on stderr: one bar over the whole run, measured in planned seconds, so its ETA
//! is the time left by the plan. Hidden when stderr is not a terminal (CI logs, pipes); step results then go
//! to the log instead, one line each.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The run's progress bar.
#[derive(Debug, Clone)]
pub struct Progress {
    bar: ProgressBar,
    /// Planned milliseconds of the steps already finished.
    done_ms: u64,
}

impl Progress {
    /// A bar for `planned` time in total; drawn only when `visible` and stderr is a terminal.
    pub fn new(planned: Duration, visible: bool) -> Progress {
        let bar = if visible && std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(millis(planned)), ProgressDrawTarget::stderr());
            // unwrap-free: a template error only loses the styling.
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} ETA {eta:>4} {wide_msg}")
            {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        } else {
            ProgressBar::hidden()
        };
        Progress { bar, done_ms: 0 }
    }

    /// Whether the bar is drawn.
    pub fn is_visible(&self) -> bool {
        !self.bar.is_hidden()
    }

    /// Shows what runs now.
    pub fn step(&self, what: String) {
        if !self.is_visible() {
            tracing::info!("{what}");
        }
        self.bar.set_message(what);
    }

    /// Moves the bar within the current step: `elapsed` of its `planned` time (never past it).
    pub fn within(&self, elapsed: Duration, planned: Duration) {
        self.bar.set_position(self.done_ms + millis(elapsed.min(planned)));
    }

    /// Marks a step of `planned` time finished and prints `result` above the bar (or logs it).
    pub fn finished(&mut self, planned: Duration, result: String) {
        self.done_ms += millis(planned);
        self.bar.set_position(self.done_ms);
        self.say(result);
    }

    /// Prints a line above the bar, or logs it when the bar is hidden.
    pub fn say(&self, line: String) {
        if self.is_visible() {
            self.bar.println(line);
        } else {
            tracing::info!("{line}");
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn millis(d: Duration) -> u64 {
    d.as_millis().min(u128::from(u64::MAX)) as u64
}
