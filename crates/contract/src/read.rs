//! The strict reader of feedlab's documents (bench, soak and floor results, the suite's data files).
//!
//! A reader that guesses hides a broken contract, so this one does not: the document's `schema_version`
//! must be the one this build writes, every required field must be there with its type, and names are
//! exact (no aliases). Every refusal names the file and the field (`steps[3].bench.latency_us.p99`).
//! Unknown fields are ignored, so a newer writer's additions still read. The one leniency is the
//! versioning rule's: an optional field (null when not measured) added to a layout without a version bump
//! reads as null from a document written before it existed; and a type may name older versions it still
//! reads ([`Versioned::older_versions_read`]), whose missing fields then read as absent.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;

/// A document with a layout version.
pub trait Versioned {
    /// The version this build writes and reads.
    const SCHEMA_VERSION: u32;
    /// What the document is, for messages ("bench result").
    const WHAT: &'static str;

    /// The version the document says it has.
    fn schema_version(&self) -> u32;

    /// Older versions this build still reads (their missing fields read as absent); none by default.
    fn older_versions_read() -> &'static [u32] {
        &[]
    }

    /// Versions of documents embedded in this one: (field path, found, expected).
    fn nested_versions(&self) -> Vec<(String, u32, u32)> {
        Vec::new()
    }
}

/// Why a document could not be read.
#[derive(Debug)]
pub struct ReadError {
    /// The file (or `<text>` for text not read from a file).
    pub file: PathBuf,
    /// The field at fault, as a path from the document's root (empty: the document as a whole).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}: field `{}`: {}", self.file.display(), self.field, self.message)
        }
    }
}

impl std::error::Error for ReadError {}

/// Only the version, read before the rest so a document of another layout is refused as such rather than
/// for whichever field happens to differ first.
#[derive(Deserialize)]
struct VersionOnly {
    schema_version: Option<u32>,
}

/// Parses `text` (the content of `file`) strictly as a `T`.
pub fn from_json<T: Versioned + DeserializeOwned>(file: &Path, text: &str) -> Result<T, ReadError> {
    let fail = |field: String, message: String| ReadError { file: file.to_owned(), field, message };
    // serde reads a struct from a JSON array too; a document is an object.
    let version = Some(text.trim_start())
        .filter(|t| t.starts_with('{'))
        .ok_or_else(|| "not a JSON object".to_string())
        .and_then(|t| serde_json::from_str::<VersionOnly>(t).map_err(|e| e.to_string()))
        .map_err(|e| fail(String::new(), format!("not a {}: {e}", T::WHAT)))?;
    match version.schema_version {
        None => return Err(fail("schema_version".into(), format!("missing: not a {}", T::WHAT))),
        Some(v) if v != T::SCHEMA_VERSION && !T::older_versions_read().contains(&v) => {
            let read: Vec<String> = std::iter::once(T::SCHEMA_VERSION)
                .chain(T::older_versions_read().iter().copied())
                .map(|v| v.to_string())
                .collect();
            return Err(fail(
                "schema_version".into(),
                format!("{v} is not the {} layout this build reads ({})", T::WHAT, read.join(" or ")),
            ));
        }
        Some(_) => {}
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    let doc: T = serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let field = if field == "." { String::new() } else { field };
        fail(field, e.into_inner().to_string())
    })?;
    if let Some((field, found, expected)) = doc.nested_versions().into_iter().find(|(_, f, e)| f != e) {
        return Err(fail(field, format!("{found} is not the layout this build reads ({expected})")));
    }
    Ok(doc)
}

/// Reads `path` and parses it strictly as a `T`.
pub fn load<T: Versioned + DeserializeOwned>(path: &Path) -> Result<T, ReadError> {
    let text = std::fs::read_to_string(path).map_err(|e| ReadError {
        file: path.to_owned(),
        field: String::new(),
        message: format!("cannot read: {e}"),
    })?;
    from_json(path, &text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::BenchResult;
    use crate::data::ExperimentData;

    fn read<T: Versioned + DeserializeOwned>(text: &str) -> Result<T, String> {
        from_json::<T>(Path::new("x.json"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn refuses_another_version_or_none() {
        let err = read::<BenchResult>(r#"{"schema_version": 9}"#).unwrap_err();
        assert_eq!(err, "x.json: field `schema_version`: 9 is not the bench result layout this build reads (1)");
        let err = read::<BenchResult>(r#"{"transport": "ws"}"#).unwrap_err();
        assert_eq!(err, "x.json: field `schema_version`: missing: not a bench result");
        assert!(read::<BenchResult>("[1]").unwrap_err().contains("not a bench result"));
    }

    #[test]
    fn data_files_of_layout_1_still_read_and_others_are_refused() {
        let doc = |v: u32| {
            format!(
                r#"{{"schema_version": {v}, "experiment": "x", "title": "", "quick": false,
                "machine": {{"cpus": 2, "mem_gib": 1.0, "os": "", "commit": "", "date": ""}}, "steps": []}}"#
            )
        };
        let old = read::<ExperimentData>(&doc(1)).unwrap();
        assert_eq!((old.schema_version, old.floor), (1, None));
        assert_eq!(read::<ExperimentData>(&doc(2)).unwrap().schema_version, 2);
        let err = read::<ExperimentData>(&doc(3)).unwrap_err();
        assert!(err.ends_with("3 is not the feedlab data file layout this build reads (2 or 1)"), "{err}");
    }

    #[test]
    fn names_the_missing_field_with_its_path() {
        let doc = r#"{"schema_version": 2, "experiment": "x", "title": "", "quick": false,
            "machine": {"cpus": 2, "mem_gib": 1.0, "os": "", "commit": ""}, "steps": []}"#;
        let err = read::<ExperimentData>(doc).unwrap_err();
        assert!(err.starts_with("x.json: field `machine`: missing field `date` at line 2"), "{err}");
    }
}
