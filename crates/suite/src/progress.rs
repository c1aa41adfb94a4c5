//! Progress of a suite run, on stderr.
//!
//! - On a terminal: one bar over the whole run, measured in planned milliseconds (the estimates
//!   `feedlab run --dry-run` prints), so the time left it shows comes from the plan, not from a guess at
//!   the pace; each finished step is printed above it.
//! - In a file or a pipe: no bar and no escape codes, one plain line per finished step ending with the
//!   planned time left.
//!
//! Either way a finished step reads `[ 3/27] idle-cost sse: delivered ...`: the step's number in the run,
//! the experiment, the step's label and what it measured.

use std::time::Duration;

use feedlab_harness::cli::{live_bar, say};
use indicatif::{ProgressBar, ProgressState, ProgressStyle};

/// The bar: `{left}` is the planned time left (see [`left`]).
const BAR: &str = "{spinner} [{elapsed_precise}] {bar:30} {percent:>3}%, {left} left  {wide_msg}";

/// How often the bar is redrawn (its spinner and elapsed time move even while a step's number does not).
const TICK: Duration = Duration::from_millis(200);

/// The run's progress.
#[derive(Debug, Clone)]
pub struct Progress {
    bar: ProgressBar,
    /// Planned time of the whole run.
    planned: Duration,
    /// Planned time of the steps finished (or skipped, when their experiment failed).
    done: Duration,
    /// Steps in the run.
    steps: usize,
    /// Steps finished or skipped.
    finished: usize,
}

impl Progress {
    /// Progress over `steps` steps planned to take `planned` in all; a bar only when stderr is a terminal.
    pub fn new(planned: Duration, steps: usize) -> Progress {
        let style = ProgressStyle::with_template(BAR)
            .map(|s| s.with_key("left", left))
            // A template error only loses the styling (and a test checks this one).
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        let bar = live_bar(Some(millis(planned)), style);
        if !bar.is_hidden() {
            bar.enable_steady_tick(TICK);
        }
        Progress { bar, planned, done: Duration::ZERO, steps, finished: 0 }
    }

    /// Whether the bar is drawn.
    pub fn is_visible(&self) -> bool {
        !self.bar.is_hidden()
    }

    /// Shows on the bar the step that runs now (`idle-cost sse`).
    pub fn step(&self, what: &str) {
        self.bar.set_message(format!("{} {what}", self.number(self.finished + 1)));
    }

    /// Moves the bar within the current step: `elapsed` of its `planned` time (never past it).
    pub fn within(&self, elapsed: Duration, planned: Duration) {
        self.bar.set_position(millis(self.done + elapsed.min(planned)));
    }

    /// Marks a step of `planned` time finished and prints `result` (`idle-cost sse: delivered ...`) as its
    /// one line.
    pub fn finished(&mut self, planned: Duration, result: &str) {
        self.finished += 1;
        self.done += planned;
        self.bar.set_position(millis(self.done));
        let line = format!("{} {result}", self.number(self.finished));
        if self.is_visible() {
            self.bar.println(line);
        } else {
            say(&format!("{line} ({} left)", minutes(self.planned.saturating_sub(self.done))));
        }
    }

    /// Marks a measurement of `planned` time that is not a numbered step (an experiment's floor) done, and
    /// prints `result` as its line.
    pub fn finished_apart(&mut self, planned: Duration, result: &str) {
        self.done += planned;
        self.bar.set_position(millis(self.done));
        if self.is_visible() {
            self.bar.println(result);
        } else {
            say(&format!("{result} ({} left)", minutes(self.planned.saturating_sub(self.done))));
        }
    }

    /// Counts `steps` steps of `planned` time that will not run (their experiment failed), so the time left
    /// stays the plan's.
    pub fn skipped(&mut self, steps: usize, planned: Duration) {
        self.finished += steps;
        self.done += planned;
        self.bar.set_position(millis(self.done));
    }

    /// Steps finished or skipped so far.
    pub fn steps_done(&self) -> usize {
        self.finished
    }

    /// Prints a line above the bar, or as it is when there is no bar.
    pub fn say(&self, line: &str) {
        if self.is_visible() {
            self.bar.println(line);
        } else {
            say(line);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// `[ 3/27]`: a step's number in the run, padded so the lines align.
    fn number(&self, n: usize) -> String {
        let width = self.steps.to_string().len();
        format!("[{n:>width$}/{}]", self.steps)
    }
}

/// The bar's `{left}` key: the planned time of what is not done yet (the bar counts planned milliseconds).
fn left(state: &ProgressState, w: &mut dyn std::fmt::Write) {
    let left = state.len().unwrap_or(0).saturating_sub(state.pos());
    let _ = w.write_str(&minutes(Duration::from_millis(left)));
}

/// `3 min 20 s` / `45 s`.
pub fn minutes(d: Duration) -> String {
    let s = d.as_secs_f64().round() as u64;
    if s >= 60 { format!("{} min {} s", s / 60, s % 60) } else { format!("{s} s") }
}

fn millis(d: Duration) -> u64 {
    d.as_millis().min(u128::from(u64::MAX)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_template_parses() {
        assert!(ProgressStyle::with_template(BAR).is_ok());
    }

    #[test]
    fn minutes_read_well() {
        assert_eq!(minutes(Duration::from_secs(45)), "45 s");
        assert_eq!(minutes(Duration::from_secs(200)), "3 min 20 s");
    }

    #[test]
    fn step_numbers_align_and_count_skipped_steps() {
        let (planned, steps) = (Duration::from_secs(100), 12);
        let mut p = Progress { bar: ProgressBar::hidden(), planned, done: Duration::ZERO, steps, finished: 0 };
        assert_eq!(p.number(3), "[ 3/12]");
        p.finished(Duration::from_secs(10), "a x: ok");
        p.skipped(2, Duration::from_secs(20));
        assert_eq!(p.steps_done(), 3);
        assert_eq!(p.done, Duration::from_secs(30));
        assert_eq!(p.number(p.steps_done() + 1), "[ 4/12]");
    }
}
