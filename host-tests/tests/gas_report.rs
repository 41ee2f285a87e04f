//! The gas report's command runs end to end (`--quick`: fewer sizes and
//! searches) and writes what it promises: a JSON object with the headline
//! keys as numbers, and an SVG chart. The full report is
//! `cargo run --release -p host-tests --bin gas-report -- --json PATH`.

use std::process::Command;

#[test]
fn gas_report_writes_its_json_and_chart() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("gas-report-smoke");
    let _ = std::fs::remove_dir_all(&dir);
    let json = dir.join("gas.json");
    let svg = dir.join("gas.svg");
    let output = Command::new(env!("CARGO_BIN_EXE_gas-report"))
        .arg("--quick")
        .arg("--json")
        .arg(&json)
        .arg("--svg")
        .arg(&svg)
        .output()
        .expect("run gas-report");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "gas-report failed: {}\n{stderr}",
        output.status
    );
    for heading in [
        "# Vigil gas report",
        "## One guarded inference",
        "## Dense layers",
        "## Largest model one smart query",
        "## Every call of a Proof-of-Improvement round",
    ] {
        assert!(stdout.contains(heading), "no {heading:?} in:\n{stdout}");
    }
    let value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("JSON written")).expect("valid JSON");
    for key in [
        "ops_per_mac",
        "bound_over_measured_max",
        "largest_mlp_params_in_query",
        "poim_eval_1857_sdk_gas",
        "mlp_inference_sdk_gas_above_setup",
        "mlp_floor_sdk_gas",
    ] {
        let n = value[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} is not a number in {value}"));
        assert!(n > 0.0, "{key} = {n}");
    }
    let chart = std::fs::read_to_string(&svg).expect("SVG written");
    assert!(
        chart.starts_with("<svg") && chart.contains("mlp"),
        "not the chart: {chart:.200}"
    );
}
