//! The metadata section (FORMAT.md section 10): names, labels and units
//! written by the spec API, read back borrowed, checked at `parse`, skipped
//! (frame only) by `parse_without_checksum`, and absent blobs unchanged.
use vigil_inference_core::format::{FLAG_METADATA, HEADER_LEN};
use vigil_inference_core::metadata::{FeatureInfo, FRAME_COST};
use vigil_inference_core::preprocess::FeatureTransform;
use vigil_inference_core::spec::{
    BodySpec, EnsembleSpec, FeatureMeta, LayerSpec, MetadataSpec, ModelSpec, SpecError, Weights,
};
use vigil_inference_core::tree::Node;
use vigil_inference_core::{cost, format::Activation, FormatError, Model, Score, Wide};

fn identity() -> FeatureTransform {
    FeatureTransform {
        clip_lo: None,
        clip_hi: None,
        log1p: false,
        scale: 1,
        shift: 0,
        offset: 0,
    }
}

fn linear(n: usize) -> ModelSpec {
    ModelSpec {
        threshold: Score::from_bits(1 << 30),
        features: vec![identity(); n],
        body: BodySpec::Linear(LayerSpec {
            weights: Weights::I8((0..n as i8).collect()),
            scales: vec![(1, 6)],
            biases: vec![-16384],
            activation: Activation::Sigmoid,
        }),
    }
}

fn gbdt() -> ModelSpec {
    let leaf = |v| Node {
        feature: 0xFFFF,
        right: 0,
        value: v,
        mean: v,
    };
    ModelSpec {
        threshold: Score::from_bits(1 << 30),
        features: vec![identity(); 2],
        body: BodySpec::Gbdt(EnsembleSpec {
            base: 0,
            max_depth: 1,
            explain: true,
            trees: vec![vec![
                Node {
                    feature: 1,
                    right: 2,
                    value: 65536,
                    mean: 0,
                },
                leaf(-65536),
                leaf(65536),
            ]],
        }),
    }
}

fn full_meta() -> MetadataSpec {
    MetadataSpec {
        features: vec![
            FeatureMeta {
                name: "amount_eth".into(),
                label: Some("Amount sent".into()),
                unit: Some("ETH".into()),
            },
            FeatureMeta {
                name: "gas_price".into(),
                label: None,
                unit: Some("gwei".into()),
            },
            FeatureMeta {
                name: "età".into(),
                label: Some("Âge du compte, en jours".into()),
                unit: None,
            },
        ],
    }
}

#[test]
fn no_section_writes_the_same_bytes_as_before() {
    for spec in [linear(3), gbdt()] {
        let plain = spec.to_bytes().unwrap();
        assert_eq!(spec.to_bytes_with_metadata(None).unwrap(), plain);
        assert_eq!(plain[7] & FLAG_METADATA, 0);
        let m = Model::parse(&plain).unwrap();
        assert!(!m.has_metadata());
        assert_eq!(m.metadata(), Ok(None));
        assert!(m.feature_names().is_none());
        assert_eq!(m.metadata_spec(), None);
    }
}

#[test]
fn names_labels_units_round_trip() {
    let spec = linear(3);
    let meta = full_meta();
    let blob = spec.to_bytes_with_metadata(Some(&meta)).unwrap();
    let plain = spec.to_bytes().unwrap();
    // Same body bytes; the section is appended after it, flag bit 1 set.
    assert_eq!(blob[7], FLAG_METADATA);
    assert_eq!(blob[HEADER_LEN..plain.len()], plain[HEADER_LEN..]);
    let m = Model::parse(&blob).unwrap();
    assert!(m.has_metadata());
    let names: Vec<&str> = m.feature_names().unwrap().collect();
    assert_eq!(names, ["amount_eth", "gas_price", "età"]);
    let md = m.metadata().unwrap().unwrap();
    assert!(md.has_labels() && md.has_units());
    assert_eq!(md.len(), 3);
    assert_eq!(md.position("gas_price"), Some(1));
    assert_eq!(md.position("nope"), None);
    let infos: Vec<FeatureInfo> = md.features().collect();
    assert_eq!(infos[0].label, Some("Amount sent"));
    assert_eq!(infos[1].label, None);
    assert_eq!(infos[2].unit, None);
    // Stored labels and units read back as `Some` for every feature ("" where
    // a record's is empty).
    let mut stored = meta.clone();
    stored.features[1].label = Some(String::new());
    stored.features[2].unit = Some(String::new());
    assert_eq!(m.metadata_spec(), Some(stored));
    // to_spec + metadata_spec reproduce the blob.
    assert_eq!(
        m.to_spec()
            .to_bytes_with_metadata(m.metadata_spec().as_ref())
            .unwrap(),
        blob
    );
    // Same scores as without the section.
    let p = Model::parse(&plain).unwrap();
    let x = [Wide::from_num(3), Wide::from_num(-2), Wide::from_num(7)];
    let mut s1 = vec![Default::default(); m.scratch_len()];
    let mut s2 = s1.clone();
    assert_eq!(m.infer(&x, &mut s1).unwrap(), p.infer(&x, &mut s2).unwrap());
    // The checksum covers the section: a changed name changes it.
    let mut other = meta.clone();
    other.features[0].name = "amount_wei".into();
    let blob2 = spec.to_bytes_with_metadata(Some(&other)).unwrap();
    assert_ne!(blob2[20..52], blob[20..52]);
    let mut flipped = blob.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    assert_eq!(
        Model::parse(&flipped).map(|_| ()),
        Err(FormatError::ChecksumMismatch)
    );
}

#[test]
fn names_only_section_layout() {
    let spec = gbdt();
    let blob = spec
        .to_bytes_with_metadata(Some(&MetadataSpec::from_names(["a", "bc"])))
        .unwrap();
    let plain_len = spec.to_bytes().unwrap().len();
    // flags, count, then (len, bytes) per name, then meta_len.
    assert_eq!(
        blob[plain_len..],
        [0, 2, 0, 1, b'a', 2, b'b', b'c', 8, 0, 0, 0]
    );
    let m = Model::parse(&blob).unwrap();
    let md = m.metadata().unwrap().unwrap();
    assert!(!md.has_labels() && !md.has_units());
    assert_eq!(m.feature_names().unwrap().collect::<Vec<_>>(), ["a", "bc"]);
}

#[test]
fn spec_refuses_bad_sections() {
    let spec = linear(3);
    let names = |n: &[&str]| MetadataSpec::from_names(n.iter().copied());
    assert_eq!(
        spec.to_bytes_with_metadata(Some(&names(&["a", "b"]))),
        Err(SpecError::Invalid(FormatError::MetadataCount {
            declared: 2,
            expected: 3
        }))
    );
    assert!(matches!(
        spec.to_bytes_with_metadata(Some(&names(&["a", "b", "a"]))),
        Err(SpecError::Invalid(FormatError::DuplicateFeatureName {
            feature: 2,
            first: 0
        }))
    ));
    assert!(matches!(
        spec.to_bytes_with_metadata(Some(&names(&["a", "", "c"]))),
        Err(SpecError::Invalid(FormatError::MetadataTextLength { .. }))
    ));
    let long = "x".repeat(300);
    assert_eq!(
        spec.to_bytes_with_metadata(Some(&names(&["a", &long, "c"]))),
        Err(SpecError::TooLarge)
    );
}

#[test]
fn unchecked_parse_reads_only_the_frame() {
    let spec = linear(3);
    let blob = spec
        .to_bytes_with_metadata(Some(&MetadataSpec::from_names(["a", "b", "c"])))
        .unwrap();
    // Corrupt a name (invalid UTF-8) and fix the checksum: parse refuses,
    // the per-query parse accepts (it never reads the text), metadata()
    // then reports the error and feature_names() is None.
    let mut bad = blob.clone();
    let last_name_byte = bad.len() - 5;
    bad[last_name_byte] = 0xff;
    let sum = vigil_inference_core::format::checksum(&bad);
    bad[20..52].copy_from_slice(&sum);
    assert!(matches!(
        Model::parse(&bad).map(|_| ()),
        Err(FormatError::MetadataText { .. })
    ));
    let m = Model::parse_without_checksum(&bad).unwrap();
    assert!(matches!(
        m.metadata(),
        Err(FormatError::MetadataText { .. })
    ));
    assert!(m.feature_names().is_none());
    // A good blob parsed without checksum still gives its names.
    let m = Model::parse_without_checksum(&blob).unwrap();
    assert_eq!(
        m.feature_names().unwrap().collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
}

#[test]
fn cost_adds_only_the_frame_check() {
    for spec in [linear(3), gbdt()] {
        let n = spec.features.len();
        let names: Vec<String> = (0..n).map(|i| format!("feature_{i}")).collect();
        let plain = spec.to_bytes().unwrap();
        let blob = spec
            .to_bytes_with_metadata(Some(&MetadataSpec::from_names(names)))
            .unwrap();
        let a = Model::parse(&plain).unwrap().cost();
        let b = Model::parse(&blob).unwrap().cost();
        assert_eq!(b.ops, a.ops + FRAME_COST[0]);
        assert_eq!(b.cosmwasm_units, a.cosmwasm_units + FRAME_COST[1]);
        assert_eq!(b.model_bytes, blob.len() as u64);
        let _ = cost::WASM_OPS;
    }
}

/// Found by the `blob` fuzz target: a valid section whose `LABELS` (or
/// `UNITS`) flag is set while every label (unit) is empty was re-encoded
/// without the flag, so `to_spec` + `metadata_spec` did not reproduce the
/// blob (another encoding, another checksum for the same model).
#[test]
fn flags_with_only_empty_texts_round_trip() {
    let spec = linear(2);
    for (label, unit) in [(true, false), (false, true), (true, true)] {
        let meta = MetadataSpec {
            features: ["a", "b"]
                .iter()
                .map(|n| FeatureMeta {
                    name: (*n).into(),
                    label: label.then(String::new),
                    unit: unit.then(String::new),
                })
                .collect(),
        };
        let blob = spec.to_bytes_with_metadata(Some(&meta)).unwrap();
        let m = Model::parse(&blob).unwrap();
        let md = m.metadata().unwrap().unwrap();
        assert_eq!((md.has_labels(), md.has_units()), (label, unit));
        assert!(md.features().all(|f| f.label.is_none() && f.unit.is_none()));
        assert_eq!(m.metadata_spec(), Some(meta));
        assert_eq!(
            m.to_spec()
                .to_bytes_with_metadata(m.metadata_spec().as_ref())
                .unwrap(),
            blob,
            "labels {label}, units {unit}"
        );
    }
    // Names only: no flag, `None` labels and units.
    let names = MetadataSpec::from_names(["a", "b"]);
    let blob = spec.to_bytes_with_metadata(Some(&names)).unwrap();
    let m = Model::parse(&blob).unwrap();
    assert_eq!(m.metadata_spec(), Some(names));
}
