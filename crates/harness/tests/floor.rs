//! `feedlab floor` on a few sockets, paced and flat out: the figures are there, make sense together, and the
//! JSON follows its schema. (How large they are is a measurement, never asserted.)

use std::time::Duration;

use feedlab_harness::{FloorConfig, run_floor};

#[test]
fn a_small_floor_measures_every_case_paced_and_flat_out() {
    for send_rate in [FloorConfig::default().send_rate, 0.0] {
        let config = FloorConfig {
            pairs: 64,
            frames_per_send: vec![1, 16],
            warmup: Duration::from_millis(100),
            window: Duration::from_millis(300),
            repeats: 2,
            send_rate,
            ..FloorConfig::default()
        };
        check(&run_floor(&config, None).unwrap());
    }
}

fn check(r: &feedlab_contract::FloorResult) {
    assert_eq!((r.pairs, r.header_bytes, r.payload_bytes, r.repeats), (64, 2, 32, 2));
    let frames: Vec<u64> = r.cases.iter().map(|c| c.frames_per_send).collect();
    assert_eq!(frames, [1, 16]);
    for c in &r.cases {
        assert_eq!(c.runs.len(), 2);
        assert!(c.send_us.min > 0.0 && c.send_us.min <= c.send_us.median && c.send_us.median <= c.send_us.max);
        assert!(c.reader_us_per_frame.median > 0.0, "{c:#?}");
        for run in &c.runs {
            assert!(run.sends > 0 && run.sender_cpu_s > 0.0 && run.reader_bytes > 0, "{run:#?}");
            assert!(run.reader_reads > 0 && run.reader_wakeups > 0, "{run:#?}");
        }
    }
    // Coalescing: a frame costs less when 16 share one send() than when each has its own.
    let (one, sixteen) = (r.case(1).unwrap(), r.case(16).unwrap());
    assert!(sixteen.frame_us.median < one.frame_us.median, "1: {:?}, 16: {:?}", one.frame_us, sixteen.frame_us);
    assert_eq!(one.frame_us, one.send_us);

    let schema: serde_json::Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../contract/schema/floor.schema.json"
    )))
    .unwrap();
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(json["send_rate_per_s"], r.send_rate_per_s);
    let errors: Vec<String> =
        jsonschema::validator_for(&schema).unwrap().iter_errors(&json).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let table = feedlab_harness::summary::render_floor(r);
    assert!(table.contains("64 loopback TCP pairs") && table.lines().count() >= 7, "{table}");
}
