//! Tests of the parent module (kept apart so the module itself reads as what it does).

use super::super::fixture::{data, floor, step};
use super::*;
use crate::text::Lang::{En, Zh};

fn at(t: Transport, clients: u64, cpu_s: f64, errors: u64) -> Step {
    step(t, clients, |s| {
        s.server.as_mut().unwrap().cpu_s = cpu_s;
        if errors > 0 {
            s.bench.errors.insert("http_503".into(), errors);
        }
    })
}

#[test]
fn c10k_and_cpu_supported() {
    let s = shape(&data(
        "connection-scale",
        vec![at(Transport::Poll, 10_000, 20.0, 0), at(Transport::Ws, 100, 0.1, 0), at(Transport::Ws, 10_000, 2.0, 0)],
    ));
    assert_eq!(s.verdicts[0].outcome, Outcome::Supported, "{:?}", s.verdicts[0].evidence);
    assert_eq!(s.verdicts[1].outcome, Outcome::Supported, "{:?}", s.verdicts[1].evidence);
    assert_eq!(s.charts.len(), 3);
}

#[test]
fn errors_or_costlier_push_not_supported() {
    let s =
        shape(&data("connection-scale", vec![at(Transport::Poll, 10_000, 1.0, 0), at(Transport::Ws, 10_000, 2.0, 5)]));
    assert_eq!(s.verdicts[0].outcome, Outcome::NotSupported);
    assert_eq!(s.verdicts[1].outcome, Outcome::NotSupported);
}

#[test]
fn small_run_is_inconclusive() {
    let s = shape(&data("connection-scale", vec![at(Transport::Ws, 500, 1.0, 0)]));
    assert_eq!(s.verdicts[0].outcome, Outcome::Inconclusive);
    assert_eq!(s.verdicts[1].outcome, Outcome::Inconclusive);
}

/// A step of round `round` whose steady window cost the server `total_us` per delivered message
/// (40% user, 60% kernel), 100 µs per connection to set up, and the harness 5 µs per message.
fn steady(t: Transport, clients: u64, round: u32, total_us: f64) -> Step {
    use feedlab_contract::bench::{CpuPer, ServerCpu};
    use feedlab_contract::procfs::CpuTimes;
    let cpu = |us: f64, count: u64| CpuTimes {
        user_s: us * 0.4 * count as f64 / 1e6,
        system_s: us * 0.6 * count as f64 / 1e6,
    };
    step(t, clients, |s| {
        s.repeat = Some(round);
        let setup = CpuPer::new(2.0, cpu(100.0, clients), clients);
        s.bench.server_cpu = Some(ServerCpu {
            pid: 1,
            processes: None,
            steady: CpuPer::new(10.0, cpu(total_us, 100_000), 100_000),
            setup,
        });
        s.bench.harness_cpu = Some(CpuPer::new(10.0, cpu(5.0, 100_000), 100_000));
    })
}

/// Three rounds of `t` at 10,000 clients.
fn rounds(t: Transport, totals: [f64; 3]) -> Vec<Step> {
    (0..3).map(|r| steady(t, 10_000, r, totals[r as usize])).collect()
}

fn with_floor(steps: Vec<Step>, send_us: Option<f64>) -> ExperimentData {
    let mut d = data("connection-scale", steps);
    d.floor = send_us.map(floor);
    d
}

#[test]
fn the_steady_verdict_compares_medians_whose_ranges_do_not_overlap() {
    let steps = [rounds(Transport::Poll, [55.0, 50.0, 60.0]), rounds(Transport::Ws, [20.0, 30.0, 25.0])].concat();
    let s = shape(&with_floor(steps, Some(20.0)));
    let v = &s.verdicts[1];
    assert_eq!(v.outcome, Outcome::Supported, "{:?}", v.evidence);
    // Medians with their ranges, each against the floor: 55 / 20 and 25 / 20.
    assert!(v.evidence[En].contains("polling 55 (50-60) µs (2.75 x floor)"), "{:?}", v.evidence);
    assert!(v.evidence[En].contains("25 (20-30) µs (1.25 x floor)"), "{:?}", v.evidence);
    assert!(v.evidence[Zh].contains("2.75 x 下限"), "{:?}", v.evidence);
    assert!(!v.evidence[En].contains("too close"));

    // The push transport dearer, clearly: not supported.
    let steps = [rounds(Transport::Poll, [20.0, 21.0, 22.0]), rounds(Transport::Ws, [30.0, 31.0, 32.0])].concat();
    assert_eq!(shape(&with_floor(steps, None)).verdicts[1].outcome, Outcome::NotSupported);
}

#[test]
fn overlapping_ranges_are_too_close_to_call_whichever_median_is_lower() {
    for (poll, ws) in [([40.0, 30.0, 50.0], [35.0, 45.0, 60.0]), ([35.0, 45.0, 60.0], [40.0, 30.0, 50.0])] {
        let steps = [rounds(Transport::Poll, poll), rounds(Transport::Sse, ws)].concat();
        let v = &shape(&with_floor(steps, Some(16.0))).verdicts[1];
        assert_eq!(v.outcome, Outcome::Inconclusive, "{:?}", v.evidence);
        assert!(v.evidence[En].contains("too close to call"), "{:?}", v.evidence);
        assert!(v.evidence[Zh].contains("差距太小"), "{:?}", v.evidence);
    }
}

#[test]
fn the_steady_table_has_one_row_per_configuration_with_the_floor_beside_it() {
    let mut steps = [rounds(Transport::Poll, [55.0, 50.0, 60.0]), rounds(Transport::Ws, [20.0, 30.0, 25.0])].concat();
    steps.push(steady(Transport::Ws, 100, 0, 40.0));
    let s = shape(&with_floor(steps, Some(20.0)));
    assert_eq!(s.tables.len(), 2);
    assert_eq!(s.charts.iter().map(|c| c.name()).collect::<Vec<_>>(), ["memory", "cpu", "p99", "cpu-steady"]);
    let t = &s.tables[1];
    let row = |i: usize| t.rows[i].iter().map(|c| c[En].to_owned()).collect::<Vec<_>>();
    // transport, clients, rounds, user, kernel, total, x floor, setup, harness
    assert_eq!(row(0), ["poll", "10,000", "3", "22 (20-24)", "33 (30-36)", "55 (50-60)", "2.75", "100", "5"]);
    assert_eq!(row(1)[..3], ["ws", "100", "1"]);
    assert_eq!(row(2)[5..7], ["25 (20-30)", "1.25"]);
    // The per-step table reads the whole step's CPU against the floor too, and names the rounds.
    assert!(s.tables[0].rows[0][0][En].ends_with("#1"), "{:?}", s.tables[0].rows[0][0]);
    assert!(s.notes.iter().any(|n| n[En].contains("measured at the start of this run on 5,000")), "{:?}", s.notes);
}

#[test]
fn a_failure_in_any_round_fails_c10k_and_charts_draw_medians() {
    let mut steps = rounds(Transport::Ws, [20.0, 30.0, 25.0]);
    steps[0].bench.integrity.lost = 2;
    let s = shape(&data("connection-scale", steps.clone()));
    assert_eq!(s.verdicts[0].outcome, Outcome::NotSupported, "{:?}", s.verdicts[0].evidence);
    assert!(s.verdicts[0].evidence[En].contains("ws at 10k clients over 3 rounds"), "{:?}", s.verdicts[0].evidence);
    assert!(s.verdicts[0].evidence[Zh].contains("共 3 轮"), "{:?}", s.verdicts[0].evidence);
    steps[0].bench.integrity.lost = 0;
    let s = shape(&data("connection-scale", steps));
    assert_eq!(s.verdicts[0].outcome, Outcome::Supported);
    // One point per configuration, at the median of its rounds.
    let Chart::Lines(steady) = &s.charts[3] else { panic!("a line chart") };
    assert_eq!(steady.series[0].points, [(10_000.0, 25.0)]);
    let Chart::Lines(cpu) = &s.charts[1] else { panic!("a line chart") };
    assert_eq!(cpu.series[0].points.len(), 1);
}

#[test]
fn a_layout_1_file_says_what_was_not_measured() {
    let s =
        shape(&data("connection-scale", vec![at(Transport::Poll, 10_000, 20.0, 0), at(Transport::Ws, 10_000, 2.0, 0)]));
    assert_eq!((s.tables.len(), s.charts.len()), (1, 3));
    let noted = |en: &str, zh: &str| s.notes.iter().any(|n| n[En].contains(en) && n[Zh].contains(zh));
    assert!(noted("Steady-window CPU", "本次运行未测量"), "{:?}", s.notes);
    assert!(noted("floor: not measured in this run", "本次运行未测量"), "{:?}", s.notes);
    // The whole-step verdict as before.
    assert_eq!(s.verdicts[1].outcome, Outcome::Supported);
    assert!(s.tables[0].rows[0].iter().all(|c| !c[En].contains('#')));
}

#[test]
fn memory_per_thousand() {
    // fixture: 10 MiB growth over 100 clients = 100 MiB per 1,000.
    let s = step(Transport::Ws, 100, |_| {});
    assert_eq!(mib_per_1000(&s), Some(100.0));
    assert_eq!(cpu_us_per_message(&s), Some(1e6 / 1000.0));
}
