//! Feature names stored in a model (the blob's metadata section): written
//! by `train` and `import`, matched against CSV headers by `eval` and `msg`.
use anyhow::{bail, Context, Result};
use vigil_inference_core::spec::MetadataSpec;
use vigil_inference_core::Model;

use crate::data::Table;

/// `--feature-names a,b,c`, checked against the model's feature count.
pub fn parse_list(s: &str, n: usize) -> Result<Vec<String>> {
    let names: Vec<String> = s.split(',').map(|p| p.trim().to_string()).collect();
    if names.len() != n {
        bail!(
            "--feature-names gives {} names ({}), the model takes {n} inputs",
            names.len(),
            names.join(", ")
        );
    }
    Ok(names)
}

/// `blob` re-written with `names` in its metadata section (replacing any
/// names it had). Invalid names (empty, longer than 64 bytes, duplicated,
/// control characters) are refused with the core's reason.
pub fn with_names(blob: &[u8], names: &[String]) -> Result<Vec<u8>> {
    let model = Model::parse(blob)?;
    if names.len() != model.n_features() {
        bail!(
            "{} feature names ({}), the model takes {} inputs",
            names.len(),
            names.join(", "),
            model.n_features()
        );
    }
    let meta = MetadataSpec::from_names(names.iter().cloned());
    model
        .to_spec()
        .to_bytes_with_metadata(Some(&meta))
        .map_err(|e| anyhow::anyhow!("cannot store the feature names {}: {e}", names.join(", ")))
}

/// The names a blob stores, if any.
pub fn of_blob(blob: &[u8]) -> Result<Option<Vec<String>>> {
    let model = Model::parse(blob)?;
    Ok(model
        .feature_names()
        .map(|n| n.map(str::to_string).collect()))
}

/// Match `table`'s columns to the model's names, when it has names:
/// reorder them, or refuse a mismatch naming both lists. Returns a note
/// to print when columns were reordered.
pub fn match_table(blob: &[u8], table: &mut Table) -> Result<Option<String>> {
    let Some(names) = of_blob(blob)? else {
        return Ok(None);
    };
    let before = table.columns.clone();
    let reordered = table
        .match_names(&names)
        .map_err(anyhow::Error::new)
        .context("matching CSV columns to the model's feature names")?;
    Ok(reordered.then(|| {
        format!(
            "note: {}: columns reordered by name to the model's order ({} -> {})",
            table.path.display(),
            before.join(", "),
            names.join(", ")
        )
    }))
}
