//! Reading `results/<experiment>/data.json`: the contract's [`ExperimentData`], read strictly.
//!
//! The suite writes the file from the contract's types (`feedlab_contract::data`), each step embedding the
//! harness's `BenchResult` as it is; the report reads the same types back with the contract's strict reader.
//! An unknown `schema_version`, a missing field or a transport spelt another way is refused with the file
//! and the field (`steps[3].bench.latency_us.p99`), so a report is never drawn from guesses. This module
//! only adds what the report itself needs on top: where the types come from, the strict load, and the
//! section title.

use std::path::Path;

pub use feedlab_contract::bench::{BenchResult, Latency, TimelinePoint, WireBytes};
pub use feedlab_contract::data::{ExperimentData, Machine, Params, Role, Sample, ServerUsage, Step};
pub use feedlab_contract::{FeedKind, HeaderProfile, Transport};

use crate::error::Error;

/// Reads one data file strictly; the error names the file and the field.
pub fn load(path: &Path) -> Result<ExperimentData, Error> {
    feedlab_contract::read::load(path).map_err(Error::BadData)
}

/// The title for the report: `title`, or the experiment name when empty.
pub fn display_title(data: &ExperimentData) -> &str {
    if data.title.is_empty() { &data.experiment } else { &data.title }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiments::fixture;

    /// A complete data file as the suite writes it, as JSON, for editing one field at a time.
    fn written() -> serde_json::Value {
        let data = fixture::data("rtt", vec![fixture::step(Transport::Sse, 100, |_| {})]);
        serde_json::to_value(&data).unwrap()
    }

    fn read(doc: &serde_json::Value) -> Result<ExperimentData, String> {
        feedlab_contract::read::from_json(Path::new("results/rtt/data.json"), &doc.to_string())
            .map_err(|e| Error::BadData(e).to_string())
    }

    #[test]
    fn round_trips() {
        let doc = written();
        let back = read(&doc).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), doc);
        assert_eq!(back.steps[0].bench.transport, Transport::Sse);
    }

    #[test]
    fn a_missing_field_is_named_with_the_file() {
        let mut doc = written();
        doc["steps"][0]["bench"]["latency_us"].as_object_mut().unwrap().remove("p99");
        let err = read(&doc).unwrap_err();
        assert!(err.contains("results/rtt/data.json"), "{err}");
        assert!(err.contains("field `steps[0].bench.latency_us`") && err.contains("missing field `p99`"), "{err}");
        let mut doc = written();
        doc["steps"][0]["params"].as_object_mut().unwrap().remove("rtt_ms");
        let err = read(&doc).unwrap_err();
        assert!(err.contains("`steps[0].params`") && err.contains("`rtt_ms`"), "{err}");
    }

    #[test]
    fn another_schema_version_is_refused() {
        let mut doc = written();
        doc["schema_version"] = 3.into();
        let err = read(&doc).unwrap_err();
        assert!(err.contains("results/rtt/data.json: field `schema_version`: 3 is not"), "{err}");
        let mut doc = written();
        doc["steps"][0]["bench"]["schema_version"] = 0.into();
        let err = read(&doc).unwrap_err();
        assert!(err.contains("field `steps[0].bench.schema_version`"), "{err}");
        let mut doc = written();
        doc.as_object_mut().unwrap().remove("schema_version");
        assert!(read(&doc).unwrap_err().contains("field `schema_version`: missing"));
    }

    #[test]
    fn transport_and_profile_names_are_exact() {
        for (path, alias) in [("params", "websocket"), ("bench", "ajax")] {
            let mut doc = written();
            doc["steps"][0][path]["transport"] = alias.into();
            let err = read(&doc).unwrap_err();
            assert!(err.contains(&format!("field `steps[0].{path}.transport`")), "{err}");
            assert!(err.contains(&format!("unknown variant `{alias}`")), "{err}");
        }
        let mut doc = written();
        doc["steps"][0]["bench"]["headers"] = "curl".into();
        let err = read(&doc).unwrap_err();
        assert!(err.contains("field `steps[0].bench.headers`"), "{err}");
    }

    #[test]
    fn not_a_data_file_is_rejected() {
        assert!(read(&serde_json::json!({"steps": []})).is_err());
        assert!(read(&serde_json::json!({"experiment": "x"})).is_err());
        assert!(read(&serde_json::json!([1])).is_err());
    }

    #[test]
    fn titles_fall_back_to_the_name() {
        let mut data = fixture::data("rtt", Vec::new());
        assert_eq!(display_title(&data), "rtt (synthetic test data)");
        data.title.clear();
        assert_eq!(display_title(&data), "rtt");
    }
}
