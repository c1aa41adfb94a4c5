//! `/metrics`: the `/stats` totals in Prometheus text exposition format (version 0.0.4), one metric per
//! [`Counter`] in [`Counter::ALL`] order, one sample per channel.

use std::fmt::Write;

use feedlab_contract::counters::Counter;

use super::Stats;

/// Renders every metric for every channel, plus the feed head.
pub fn render(stats: &Stats, feed_head: u64) -> String {
    let totals = stats.totals.snapshot();
    let mut out = String::new();
    for &counter in Counter::ALL {
        let name = counter.metric_name();
        // unwrap: writing to a String cannot fail.
        writeln!(out, "# HELP {name} {}\n# TYPE {name} {}", counter.help(), counter.kind().prometheus_type()).unwrap();
        for (channel, counts) in &totals {
            writeln!(out, "{name}{{transport=\"{}\"}} {}", channel.name(), counts[counter]).unwrap();
        }
    }
    writeln!(out, "# HELP feedlab_feed_head Newest message id.\n# TYPE feedlab_feed_head gauge").unwrap();
    writeln!(out, "feedlab_feed_head {feed_head}").unwrap();
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use feedlab_contract::Transport;

    use super::*;
    use crate::stats::Channel;

    /// Fails when a metric is written by hand, left out, or listed out of order.
    #[test]
    fn metrics_follow_the_counter_list_with_a_sample_per_channel() {
        let stats = Arc::new(Stats::default());
        stats.meter(Transport::Ws.into(), None).add(Counter::Frames, 5);
        let text = render(&stats, 7);

        let mut want_types = Vec::new();
        let mut want_samples = Vec::new();
        for &counter in Counter::ALL {
            want_types.push(format!("{} {}", counter.metric_name(), counter.kind().prometheus_type()));
            for channel in Channel::ALL {
                want_samples.push(format!("{}{{transport=\"{}\"}}", counter.metric_name(), channel.name()));
            }
        }
        want_types.push("feedlab_feed_head gauge".to_owned());
        want_samples.push("feedlab_feed_head".to_owned());
        let types: Vec<_> = text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).collect();
        let samples: Vec<_> =
            text.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.split(' ').next()).collect();
        assert_eq!(types, want_types);
        assert_eq!(samples, want_samples);

        // The names and help text scrapers already know.
        assert!(text.starts_with(
            "# HELP feedlab_requests_total HTTP requests answered.\n# TYPE feedlab_requests_total counter\n"
        ));
        assert!(text.contains("# TYPE feedlab_open_connections gauge\n"));
        assert!(text.contains("feedlab_frames_total{transport=\"ws\"} 5\n"));
        assert!(text.ends_with("feedlab_feed_head 7\n"));
    }
}
