//! The properties the fuzz targets check, one function per target, shared
//! by the cargo-fuzz binaries (`fuzz_targets/`) and by the stable-toolchain
//! replay (`tests/replay.rs`, which runs every corpus and regression input
//! through the same functions). Each function panics when a property fails;
//! on any input, valid or not, nothing else may panic.
use vigil_inference_core::decimal::{self, Exact};
use vigil_inference_core::format::{self, FLAG_METADATA, HEADER_LEN};
use vigil_inference_core::{Act, InferError, Model, Score, Wide};

/// Raw inputs the blob target feeds every model that parses: zero, units,
/// halves, large, tiny and extreme values (saturation of every transform).
pub fn probe_inputs() -> Vec<Wide> {
    let mut v: Vec<Wide> = [0i64, 1, -1, 3, -7, 100, 1_000_000, -250_000_000]
        .iter()
        .map(|&i| decimal::from_int(i))
        .collect();
    v.extend([
        Wide::from_bits(1),
        Wide::from_bits(-1),
        Wide::from_bits(1 << 63),
        Wide::MAX,
        Wide::MIN,
        Wide::from_bits(0x0000_0000_0000_0123_4567_89ab_cdef_0000),
    ]);
    v
}

/// The blob parser, then inference and explanation on whatever parses.
///
/// - `parse` (checksum verified) accepting implies `parse_without_checksum`
///   accepting, and a blob `parse_without_checksum` refuses is refused by
///   `parse` too;
/// - on a parsed model, `infer` succeeds on the right number of inputs,
///   with a score in `[0, 1]` and `label == (score >= threshold)`;
///   `explain` gives the same score (or `NotExplainable` exactly when the
///   model is not explainable); wrong argument sizes are typed errors;
/// - a fully parsed blob reads back (`to_spec`, `metadata_spec`) into the
///   same bytes.
///
/// Each input is checked as it is and, when it is long enough, sealed
/// ([`seal`]: `payload_len` and the checksum recomputed), so that mutated
/// blobs reach the checksum-verified parse too.
pub fn blob(data: &[u8]) {
    blob_as_is(data);
    if data.len() >= HEADER_LEN {
        blob_as_is(&seal(data.to_vec()));
    }
}

fn blob_as_is(data: &[u8]) {
    let full = Model::parse(data);
    let Ok(m) = Model::parse_without_checksum(data) else {
        assert!(
            full.is_err(),
            "parse accepts what parse_without_checksum refuses"
        );
        return;
    };
    let _ = m.metadata();
    let _ = m.feature_names().map(Iterator::count);
    let _ = m.cost();
    let n = m.n_features();
    let mut scratch = vec![Act::ZERO; m.scratch_len()];
    let probes = probe_inputs();
    for round in 0..3 {
        let inputs: Vec<Wide> = (0..n)
            .map(|i| probes[(i * 5 + round * 3 + data.len()) % probes.len()])
            .collect();
        let out = m
            .infer(&inputs, &mut scratch)
            .expect("infer on a parsed model");
        assert!(out.score <= Score::ONE, "score {} above 1", out.score);
        assert_eq!(out.label, out.score >= m.threshold(), "label vs threshold");
        let mut contributions = vec![Act::ZERO; n];
        match m.explain(&inputs, &mut scratch, &mut contributions) {
            Ok(e) => {
                assert!(m.explainable());
                assert_eq!(e, out, "explain and infer disagree");
            }
            Err(InferError::NotExplainable) => assert!(!m.explainable()),
            Err(e) => panic!("explain on a parsed model: {e:?}"),
        }
        let mut short = vec![Act::ZERO; n + 1];
        if m.explainable() {
            assert!(m.explain(&inputs, &mut scratch, &mut short).is_err());
        }
        let mut longer = inputs.clone();
        longer.push(Wide::ZERO);
        assert!(matches!(
            m.infer(&longer, &mut scratch),
            Err(InferError::FeatureCount { .. })
        ));
        if let Some(cut) = scratch.len().checked_sub(1) {
            assert!(matches!(
                m.infer(&inputs, &mut scratch[..cut]),
                Err(InferError::ScratchTooSmall { .. })
            ));
        }
    }
    if let Ok(full) = full {
        let meta = full.metadata().expect("metadata of a fully parsed model");
        assert_eq!(meta.is_some(), full.has_metadata());
        let again = full
            .to_spec()
            .to_bytes_with_metadata(full.metadata_spec().as_ref())
            .expect("a parsed model re-encodes");
        assert_eq!(
            again, data,
            "to_spec / metadata_spec do not reproduce the blob"
        );
    }
}

/// The smallest valid model with `n` features (identity transforms, one
/// i8 linear layer, sigmoid), without its checksum: section A and B only.
fn base_blob(n: usize) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&format::MAGIC);
    b.extend_from_slice(&1u16.to_le_bytes()); // version
    b.push(1); // family: linear
    b.push(0); // flags
    b.extend_from_slice(&(n as u16).to_le_bytes());
    b.extend_from_slice(&[0, 0]); // reserved
    b.extend_from_slice(&0x4000_0000u32.to_le_bytes()); // threshold 0.5
    b.extend_from_slice(&[0; 4]); // payload_len, set later
    b.extend_from_slice(&[0; 32]); // checksum, set later
    for _ in 0..n {
        b.extend_from_slice(&[0, 0, 1, 0, 0, 0, 0, 0, 0, 0]); // identity
    }
    b.push(1); // layer_count
    b.extend_from_slice(&1u16.to_le_bytes()); // fan_out
    b.extend_from_slice(&[1, 2, 0]); // i8, sigmoid, one scale
    b.extend_from_slice(&1i32.to_le_bytes());
    b.push(6); // scale 2^-6
    b.extend_from_slice(&(-16384i32).to_le_bytes()); // bias -0.25
    for i in 0..n {
        b.push((i as u8).wrapping_mul(37).wrapping_add(5)); // weights
    }
    b
}

/// Seal a blob: `payload_len` and the checksum.
pub fn seal(mut b: Vec<u8>) -> Vec<u8> {
    let payload = (b.len() - HEADER_LEN) as u32;
    b[16..20].copy_from_slice(&payload.to_le_bytes());
    let sum = format::checksum(&b);
    b[20..52].copy_from_slice(&sum);
    b
}

/// The metadata target's blob: byte 0 chooses the feature count (bits
/// 0-2: 1..=8) and, with bit 3, that the last 4 bytes of the input are the
/// section's `meta_len` as written (otherwise the correct length is
/// appended); the rest is section C. The blob is sealed (payload length and
/// checksum correct), so `parse` reaches the section.
pub fn metadata_blob(data: &[u8]) -> Option<Vec<u8>> {
    let (&sel, section) = data.split_first()?;
    let n = usize::from(sel & 7) + 1;
    let mut b = base_blob(n);
    b[7] |= FLAG_METADATA;
    b.extend_from_slice(section);
    if sel & 8 == 0 {
        b.extend_from_slice(&(section.len() as u32).to_le_bytes());
    }
    Some(seal(b))
}

/// The input of the metadata target that gives `blob` (a sealed blob of
/// [`metadata_blob`]'s base model with `n` features and a section).
pub fn metadata_input(n: usize, section: &[u8]) -> Vec<u8> {
    let mut v = vec![((n - 1) & 7) as u8];
    v.extend_from_slice(section);
    v
}

/// The metadata section (feature names, labels, units).
///
/// - `parse` accepts exactly when `parse_without_checksum` (which frames
///   the section only) accepts and `metadata()` then validates it: the
///   checksum being right, the two differ only in the section's contents;
/// - an accepted section has one record per feature, names of 1..=64
///   bytes, unique, labels <= 128 and units <= 32 bytes, and reads the
///   same through both parses;
/// - it re-encodes (`to_bytes_with_metadata` of `to_spec` and
///   `metadata_spec`) into the same bytes, which parse to the same names,
///   labels and units.
pub fn metadata(data: &[u8]) {
    let Some(b) = metadata_blob(data) else {
        return;
    };
    let full = Model::parse(&b);
    let framed = Model::parse_without_checksum(&b);
    let framed_meta = framed.as_ref().ok().map(|m| m.metadata());
    match (&full, &framed_meta) {
        (Ok(_), Some(Ok(Some(_)))) => {}
        (Err(_), None | Some(Err(_))) => {}
        (f, m) => panic!(
            "parse and parse_without_checksum + metadata disagree: {:?} vs {:?}",
            f.as_ref().err(),
            m.as_ref().map(|r| r.as_ref().err())
        ),
    }
    let Ok(full) = full else {
        return;
    };
    let meta = full.metadata().expect("validated").expect("flag set");
    let n = full.n_features();
    assert_eq!(meta.len(), n);
    let records: Vec<_> = meta.features().collect();
    assert_eq!(records.len(), n);
    for (i, r) in records.iter().enumerate() {
        assert!(
            !r.name.is_empty() && r.name.len() <= 64,
            "name {:?}",
            r.name
        );
        assert!(r.label.is_none_or(|l| !l.is_empty() && l.len() <= 128));
        assert!(r.unit.is_none_or(|u| !u.is_empty() && u.len() <= 32));
        assert!(!r.name.chars().any(char::is_control));
        assert!(records[..i].iter().all(|p| p.name != r.name), "duplicate");
        assert_eq!(meta.position(r.name), Some(i));
    }
    let other = framed
        .expect("framed")
        .metadata()
        .expect("valid")
        .expect("present");
    assert!(other.features().eq(meta.features()));
    let again = full
        .to_spec()
        .to_bytes_with_metadata(full.metadata_spec().as_ref())
        .expect("re-encodes");
    let reread = Model::parse(&again).expect("the re-encoded blob parses");
    let reread = reread.metadata().expect("valid").expect("present");
    assert!(reread.features().eq(meta.features()));
    assert_eq!(
        again, b,
        "to_spec / metadata_spec do not reproduce the blob"
    );
}

/// Decimal parsing against [`Exact`].
///
/// - `parse` and `Exact::parse` accept the same strings, except values
///   `Exact` refuses as too precise (more than 19 fractional digits), and
///   refuse the others with the same error;
/// - an `Exact` converts to the same `Wide` as `parse`, prints as a string
///   that parses back to itself, and packs and unpacks to itself;
/// - `Exact::unpack` of the raw bytes never panics, and what it accepts
///   packs back to the bytes it used (canonical encodings only).
pub fn decimal(data: &[u8]) {
    if let Ok((e, used)) = Exact::unpack(data) {
        assert!(used <= data.len());
        let mut again = Vec::new();
        e.pack(&mut again);
        assert_eq!(
            again,
            &data[..used],
            "unpack accepted a non-canonical encoding"
        );
    }
    let wide = decimal::parse_bytes(data);
    let Ok(s) = core::str::from_utf8(data) else {
        return;
    };
    assert_eq!(decimal::parse(s), wide);
    match (wide, Exact::parse(s)) {
        (Ok(w), Ok(e)) => {
            assert_eq!(
                e.to_wide(),
                Ok(w),
                "Exact::to_wide differs from parse for {s:?}"
            );
            let printed = e.to_string();
            assert_eq!(Exact::parse(&printed), Ok(e), "{s:?} prints as {printed:?}");
            assert_eq!(decimal::parse(&printed), Ok(w));
            let mut packed = Vec::new();
            e.pack(&mut packed);
            assert_eq!(Exact::unpack(&packed), Ok((e, packed.len())));
            assert!(e.scale <= 19);
            assert!(e.mantissa != 0 || !e.negative, "negative zero");
        }
        (Ok(_), Err(err)) => assert_eq!(
            err,
            decimal::DecimalError::TooPrecise,
            "parse accepts {s:?}, Exact refuses it"
        ),
        (Err(a), Err(b)) => assert_eq!(a, b, "different errors for {s:?}"),
        (Err(a), Ok(e)) => panic!("Exact accepts {s:?} ({e:?}) but parse refuses it: {a:?}"),
    }
}

/// The fuzz targets, by name.
pub const TARGETS: [&str; 3] = ["blob", "metadata", "decimal"];

/// One seed input.
#[derive(Clone, Debug)]
pub struct Seed {
    /// The target it is for.
    pub target: &'static str,
    /// Its file name in the corpus.
    pub name: String,
    /// The input.
    pub bytes: Vec<u8>,
}

/// The seed corpora, made from the golden vectors
/// (`host-tests/golden/vectors.json`):
///
/// - `blob`: every golden model's blob as it is, and again with a metadata
///   section (names, labels on some features, units on others) added;
/// - `metadata`: those sections in the metadata target's layout
///   ([`metadata_input`]), for the models of up to 8 features;
/// - `decimal`: every distinct input string of the golden cases, the
///   grammar's examples, and the packed `Exact` bytes of each.
pub fn seeds() -> Result<Vec<Seed>, Box<dyn std::error::Error>> {
    use base64::Engine;
    use std::collections::BTreeSet;
    use vigil_inference_core::spec::{FeatureMeta, MetadataSpec};

    let golden = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../host-tests/golden/vectors.json"
    );
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(golden)?)?;
    let mut out = Vec::new();
    let mut seed = |target: &'static str, name: String, bytes: Vec<u8>| {
        out.push(Seed {
            target,
            name,
            bytes,
        })
    };
    let mut strings = BTreeSet::new();
    for m in doc["models"].as_array().ok_or("no models")? {
        let name = m["name"].as_str().ok_or("a model without a name")?;
        let blob = base64::engine::general_purpose::STANDARD
            .decode(m["blob_base64"].as_str().ok_or("no blob")?)?;
        let model = Model::parse(&blob).map_err(|e| format!("{name}: {e:?}"))?;
        let n = model.n_features();
        let meta = MetadataSpec {
            features: (0..n)
                .map(|i| FeatureMeta {
                    name: format!("feature_{i}"),
                    label: (i % 2 == 0).then(|| format!("Feature {i} (ünïcode)")),
                    unit: (i % 3 == 0).then(|| "USD".to_string()),
                })
                .collect(),
        };
        let named = model
            .to_spec()
            .to_bytes_with_metadata(Some(&meta))
            .map_err(|e| format!("{name}: {e:?}"))?;
        if n <= 8 {
            let meta_len = u32::from_le_bytes(named[named.len() - 4..].try_into()?) as usize;
            let section = &named[named.len() - 4 - meta_len..named.len() - 4];
            seed(
                "metadata",
                format!("golden-{name}"),
                metadata_input(n, section),
            );
        }
        seed("blob", format!("golden-{name}"), blob);
        seed("blob", format!("golden-{name}-named"), named);
        for case in m["cases"].as_array().ok_or("no cases")? {
            for s in case["inputs"].as_array().ok_or("no inputs")? {
                strings.insert(
                    s.as_str()
                        .ok_or("an input that is not a string")?
                        .to_string(),
                );
            }
        }
    }
    for s in [
        "-15605352.04",
        "0.000004",
        "1000020000000",
        "7",
        "1e-6",
        "2.5E+12",
        ".5",
        "5.",
        "-0",
        "9223372036854775807",
        "-9223372036854775808",
        "0.0000000000000000001",
        "nan",
        "1e",
    ] {
        strings.insert(s.to_string());
    }
    for (i, s) in strings.iter().enumerate() {
        seed("decimal", format!("golden-{i:03}"), s.as_bytes().to_vec());
        if let Ok(e) = Exact::parse(s) {
            let mut packed = Vec::new();
            e.pack(&mut packed);
            seed("decimal", format!("packed-{i:03}"), packed);
        }
    }
    Ok(out)
}
