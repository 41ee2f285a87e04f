//! Generates the browser package's fixtures into `www/fixtures/` (host only:
//! this example uses the core's `float` feature; the wasm never does):
//!
//! - `eth-fraud.vgl`: the demo's model, a logistic regression over the 38
//!   eth-fraud account features (signed `log1p`, standardised, i16 weights).
//!   Fitted by plain full-batch gradient descent on the eth-fraud training
//!   set when it is available (read in place, never copied), else built from
//!   the default parameters below (the rounded result of such a fit);
//! - `eth-fraud.json`: its model card (feature names and labels, metrics,
//!   provenance);
//! - `bench-mlp.vgl`: an eth-fraud-sized MLP (38-32-16-1) for `npm run bench`;
//! - `samples.json`: synthetic accounts for the demo (made-up figures, no
//!   row of the data set);
//! - `golden.json`: golden vectors computed by the native core
//!   (`tools/golden.rs`), which the browser tests compare bit for bit: the
//!   package's own models, plus every model of host-tests' golden vectors
//!   (`host-tests/golden/vectors.json`, the project's one source of them),
//!   imported as `host-tests/<name>`.
//!
//! ```sh
//! cargo run -p vigil-web --example fixtures                 # data set at ../shared/datasets/eth-fraud
//! cargo run -p vigil-web --example fixtures -- --data DIR   # or elsewhere
//! cargo run -p vigil-web --example fixtures -- --default    # ignore the data set
//! cargo run -p vigil-web --example fixtures -- --refresh-golden
//! ```
//!
//! `--refresh-golden` keeps every committed blob and input of the package's
//! own models and only re-derives golden.json's expectations, and re-imports
//! host-tests' golden vectors: for an intended change of the core's
//! arithmetic or messages (the model itself stays the same, with or without
//! the data set), or after `cargo run -p host-tests --bin
//! golden-vectors`.
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use vigil_inference_core::decimal;
use vigil_inference_core::float::{
    FloatBody, FloatEnsemble, FloatFeature, FloatLayer, FloatModel, FloatNode, QuantizeOptions,
};
use vigil_inference_core::format::{Activation, LEAF};
use vigil_inference_core::{Act, Model};

#[path = "../tools/golden.rs"]
mod golden;

/// The 38 eth-fraud features, in column order, with the labels the demo and
/// widget show.
const FEATURES: [(&str, &str); 38] = [
    (
        "avg_min_between_sent_tnx",
        "Average minutes between sent transactions",
    ),
    (
        "avg_min_between_received_tnx",
        "Average minutes between received transactions",
    ),
    (
        "time_diff_between_first_and_last_mins",
        "Minutes between first and last transaction",
    ),
    ("sent_tnx", "Transactions sent"),
    ("received_tnx", "Transactions received"),
    ("number_of_created_contracts", "Contracts created"),
    (
        "unique_received_from_addresses",
        "Distinct addresses received from",
    ),
    ("unique_sent_to_addresses", "Distinct addresses sent to"),
    ("min_value_received", "Smallest amount received (ETH)"),
    ("max_value_received", "Largest amount received (ETH)"),
    ("avg_val_received", "Average amount received (ETH)"),
    ("min_val_sent", "Smallest amount sent (ETH)"),
    ("max_val_sent", "Largest amount sent (ETH)"),
    ("avg_val_sent", "Average amount sent (ETH)"),
    (
        "min_value_sent_to_contract",
        "Smallest amount sent to a contract (ETH)",
    ),
    (
        "max_val_sent_to_contract",
        "Largest amount sent to a contract (ETH)",
    ),
    (
        "avg_value_sent_to_contract",
        "Average amount sent to contracts (ETH)",
    ),
    (
        "total_transactions_including_tnx_to_create_contract",
        "Total transactions",
    ),
    ("total_ether_sent", "Total ETH sent"),
    ("total_ether_received", "Total ETH received"),
    ("total_ether_sent_contracts", "Total ETH sent to contracts"),
    ("total_ether_balance", "ETH balance (received minus sent)"),
    ("total_erc20_tnxs", "ERC-20 token transfers"),
    ("erc20_total_ether_received", "ERC-20 value received"),
    ("erc20_total_ether_sent", "ERC-20 value sent"),
    (
        "erc20_total_ether_sent_contract",
        "ERC-20 value sent to contracts",
    ),
    ("erc20_uniq_sent_addr", "ERC-20: distinct addresses sent to"),
    (
        "erc20_uniq_rec_addr",
        "ERC-20: distinct addresses received from",
    ),
    (
        "erc20_uniq_sent_addr_1",
        "ERC-20: distinct addresses sent to (second count)",
    ),
    (
        "erc20_uniq_rec_contract_addr",
        "ERC-20: distinct token contracts received from",
    ),
    ("erc20_min_val_rec", "ERC-20: smallest amount received"),
    ("erc20_max_val_rec", "ERC-20: largest amount received"),
    ("erc20_avg_val_rec", "ERC-20: average amount received"),
    ("erc20_min_val_sent", "ERC-20: smallest amount sent"),
    ("erc20_max_val_sent", "ERC-20: largest amount sent"),
    ("erc20_avg_val_sent", "ERC-20: average amount sent"),
    ("erc20_uniq_sent_token_name", "ERC-20: distinct tokens sent"),
    (
        "erc20_uniq_rec_token_name",
        "ERC-20: distinct tokens received",
    ),
];
const N: usize = FEATURES.len();

/// Default parameters (used without the data set): per feature the mean and
/// standard deviation of `slog1p(x)` and the logistic weight on the
/// standardised value; then bias and threshold. The rounded result of
/// `fit` on the eth-fraud training set (written by a run with the data).
#[allow(clippy::type_complexity)]
const DEFAULT: ([(f64, f64, f64); N], f64, f64) = include!("fixtures_default.in");

fn slog1p(x: f64) -> f64 {
    x.signum() * x.abs().ln_1p()
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// One labelled row: the raw decimal strings and their f64 values.
struct Row {
    text: Vec<String>,
    x: Vec<f64>,
    label: bool,
}

fn read_csv(path: &Path) -> Result<Vec<Row>, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().ok_or("empty csv")?.split(',').collect();
    let expected: Vec<&str> = FEATURES
        .iter()
        .map(|f| f.0)
        .chain(std::iter::once("label"))
        .collect();
    if header != expected {
        return Err(format!("{}: unexpected columns {header:?}", path.display()));
    }
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            if cells.len() != N + 1 {
                return Err(format!("bad row {l}"));
            }
            let x = cells[..N]
                .iter()
                .map(|c| c.parse::<f64>().map_err(|e| format!("{c}: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Row {
                text: cells[..N].iter().map(|c| (*c).to_owned()).collect(),
                x,
                label: cells[N] == "1",
            })
        })
        .collect()
}

/// Standardisation statistics and a logistic fit by full-batch gradient
/// descent with a small L2 penalty; the threshold maximises F1 on the
/// training set.
struct Fit {
    mean: Vec<f64>,
    std: Vec<f64>,
    w: Vec<f64>,
    b: f64,
    threshold: f64,
}

fn fit(train: &[Row]) -> Fit {
    let n = train.len() as f64;
    let z: Vec<Vec<f64>> = train
        .iter()
        .map(|r| r.x.iter().map(|&v| slog1p(v)).collect())
        .collect();
    let mut mean = vec![0.0; N];
    let mut std = vec![0.0; N];
    for j in 0..N {
        mean[j] = z.iter().map(|r| r[j]).sum::<f64>() / n;
        let var = z.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n;
        // Constant columns (all zero in this data set) keep a unit scale
        // and get no weight.
        std[j] = if var > 1e-12 { var.sqrt() } else { 1.0 };
    }
    let xs: Vec<Vec<f64>> = z
        .iter()
        .map(|r| (0..N).map(|j| (r[j] - mean[j]) / std[j]).collect())
        .collect();
    let ys: Vec<f64> = train.iter().map(|r| f64::from(u8::from(r.label))).collect();
    let (mut w, mut b) = (vec![0.0; N], 0.0);
    let (lr, l2) = (0.5, 1e-3);
    for _ in 0..1500 {
        let mut gw = vec![0.0; N];
        let mut gb = 0.0;
        for (x, y) in xs.iter().zip(&ys) {
            let p = sigmoid(b + x.iter().zip(&w).map(|(a, c)| a * c).sum::<f64>());
            let d = p - y;
            gb += d;
            for j in 0..N {
                gw[j] += d * x[j];
            }
        }
        for j in 0..N {
            w[j] -= lr * (gw[j] / n + l2 * w[j]);
        }
        b -= lr * gb / n;
    }
    // Threshold maximising F1 on the training set.
    let mut scored: Vec<(f64, bool)> = xs
        .iter()
        .zip(train)
        .map(|(x, r)| {
            let p = sigmoid(b + x.iter().zip(&w).map(|(a, c)| a * c).sum::<f64>());
            (p, r.label)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let positives = scored.iter().filter(|s| s.1).count() as f64;
    let (mut tp, mut fp) = (0.0, 0.0);
    let (mut best_f1, mut threshold) = (0.0, 0.5);
    for (i, &(p, label)) in scored.iter().enumerate() {
        if label {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let f1 = 2.0 * tp / (2.0 * tp + fp + (positives - tp));
        let next = scored.get(i + 1).map_or(0.0, |s| s.0);
        if f1 > best_f1 && next < p {
            best_f1 = f1;
            // Round to two decimals: a readable threshold.
            threshold = ((p + next) / 2.0 * 100.0).round() / 100.0;
        }
    }
    Fit {
        mean,
        std,
        w,
        b,
        threshold,
    }
}

fn logistic_model(f: &Fit) -> FloatModel {
    FloatModel {
        threshold: f.threshold,
        features: (0..N)
            .map(|j| FloatFeature {
                clip_lo: None,
                clip_hi: None,
                log1p: true,
                mean: f.mean[j],
                std: f.std[j],
            })
            .collect(),
        body: FloatBody::Linear(FloatLayer {
            weights: f.w.clone(),
            biases: vec![f.b],
            activation: Activation::Sigmoid,
        }),
    }
}

/// SplitMix64: deterministic fixtures without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The benchmark model: an eth-fraud-sized MLP, 38-32-16-1, on the same
/// standardised signed-log1p features (weights are pseudo-random: the
/// benchmark measures speed, the golden vectors bit-exactness).
fn bench_mlp(f: &Fit) -> FloatModel {
    let mut rng = Rng(0x5EED_0001);
    let widths = [N, 32, 16, 1];
    let layers = widths
        .windows(2)
        .enumerate()
        .map(|(k, w)| {
            let scale = (2.0 / w[0] as f64).sqrt();
            FloatLayer {
                weights: (0..w[0] * w[1]).map(|_| rng.range(-scale, scale)).collect(),
                biases: (0..w[1]).map(|_| rng.range(-0.1, 0.1)).collect(),
                activation: if k + 2 == widths.len() {
                    Activation::Sigmoid
                } else {
                    Activation::Relu
                },
            }
        })
        .collect();
    FloatModel {
        threshold: 0.5,
        features: logistic_model(f).features,
        body: FloatBody::Mlp(layers),
    }
}

/// A small explained GBDT over the same features, to cover the tree path
/// in the golden vectors.
fn small_gbdt(f: &Fit) -> FloatModel {
    fn build(out: &mut Vec<FloatNode>, depth: u8, rng: &mut Rng) -> f64 {
        let at = out.len();
        if depth == 3 {
            let v = rng.range(-0.6, 0.6);
            out.push(FloatNode {
                feature: LEAF,
                right: 0,
                value: v,
                mean: v,
            });
            return v;
        }
        out.push(FloatNode {
            feature: rng.below(N as u64) as u16,
            right: 0,
            value: rng.range(-1.0, 1.0),
            mean: 0.0,
        });
        let left = build(out, depth + 1, rng);
        out[at].right = out.len() as u16;
        let right = build(out, depth + 1, rng);
        out[at].mean = (left + right) / 2.0;
        out[at].mean
    }
    let mut rng = Rng(0x5EED_0002);
    let trees = (0..16)
        .map(|_| {
            let mut t = Vec::new();
            build(&mut t, 0, &mut rng);
            t
        })
        .collect();
    FloatModel {
        threshold: 0.5,
        features: logistic_model(f).features,
        body: FloatBody::Gbdt(FloatEnsemble { base: -0.4, trees }),
    }
}

/// A decimal string for a figure: integers plain, others with up to 6
/// significant fractional digits.
fn fmt_num(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".into()
    } else {
        s.into()
    }
}

/// A made-up account, from the figures a wallet could compute for it.
#[derive(Clone)]
struct Account {
    minutes: f64,
    sent: f64,
    received: f64,
    created: f64,
    from_addrs: f64,
    to_addrs: f64,
    recv: [f64; 3],
    sent_val: [f64; 3],
    erc20_tnxs: f64,
    erc20_recv_total: f64,
    erc20_sent_total: f64,
    erc20_to: f64,
    erc20_from: f64,
    erc20_contracts: f64,
    erc20_recv: [f64; 3],
    erc20_sent: [f64; 3],
    tokens_sent: f64,
    tokens_recv: f64,
}

impl Account {
    fn row(&self) -> Vec<f64> {
        let per = |n: f64| if n > 0.0 { self.minutes / n } else { 0.0 };
        let total_sent = self.sent * self.sent_val[2];
        let total_recv = self.received * self.recv[2];
        vec![
            per(self.sent),
            per(self.received),
            self.minutes,
            self.sent,
            self.received,
            self.created,
            self.from_addrs,
            self.to_addrs,
            self.recv[0],
            self.recv[1],
            self.recv[2],
            self.sent_val[0],
            self.sent_val[1],
            self.sent_val[2],
            0.0,
            0.0,
            0.0,
            self.sent + self.received + self.created,
            total_sent,
            total_recv,
            0.0,
            total_recv - total_sent,
            self.erc20_tnxs,
            self.erc20_recv_total,
            self.erc20_sent_total,
            0.0,
            self.erc20_to,
            self.erc20_from,
            0.0,
            self.erc20_contracts,
            self.erc20_recv[0],
            self.erc20_recv[1],
            self.erc20_recv[2],
            self.erc20_sent[0],
            self.erc20_sent[1],
            self.erc20_sent[2],
            self.tokens_sent,
            self.tokens_recv,
        ]
    }
}

const QUIET: Account = Account {
    minutes: 0.0,
    sent: 0.0,
    received: 0.0,
    created: 0.0,
    from_addrs: 0.0,
    to_addrs: 0.0,
    recv: [0.0; 3],
    sent_val: [0.0; 3],
    erc20_tnxs: 0.0,
    erc20_recv_total: 0.0,
    erc20_sent_total: 0.0,
    erc20_to: 0.0,
    erc20_from: 0.0,
    erc20_contracts: 0.0,
    erc20_recv: [0.0; 3],
    erc20_sent: [0.0; 3],
    tokens_sent: 0.0,
    tokens_recv: 0.0,
};

/// The demo's synthetic accounts: (id, title, description, figures).
fn accounts() -> Vec<(&'static str, &'static str, &'static str, Account)> {
    vec![
        (
            "defi-regular",
            "Long-time DeFi user",
            "Two years of steady activity with many counterparties and tokens.",
            Account {
                minutes: 1_051_200.0,
                sent: 180.0,
                received: 95.0,
                from_addrs: 41.0,
                to_addrs: 68.0,
                recv: [0.01, 25.0, 1.9],
                sent_val: [0.005, 18.0, 0.93],
                erc20_tnxs: 120.0,
                erc20_recv_total: 5400.0,
                erc20_sent_total: 4100.0,
                erc20_to: 22.0,
                erc20_from: 30.0,
                erc20_contracts: 18.0,
                erc20_recv: [0.5, 1500.0, 75.0],
                erc20_sent: [1.0, 1200.0, 68.0],
                tokens_sent: 12.0,
                tokens_recv: 18.0,
                ..QUIET
            },
        ),
        (
            "collector",
            "High-volume collector",
            "Thousands of deposits from distinct addresses, regularly swept to one wallet: a pattern shared by exchange deposit addresses and drainers.",
            Account {
                minutes: 620_000.0,
                sent: 410.0,
                received: 2400.0,
                from_addrs: 1900.0,
                to_addrs: 1.0,
                recv: [0.002, 310.0, 2.4],
                sent_val: [0.5, 900.0, 14.0],
                ..QUIET
            },
        ),
        (
            "dormant-saver",
            "Dormant saver",
            "A few large deposits years ago, one withdrawal, no tokens.",
            Account {
                minutes: 1_400_000.0,
                sent: 1.0,
                received: 3.0,
                from_addrs: 2.0,
                to_addrs: 1.0,
                recv: [1.5, 40.0, 15.2],
                sent_val: [10.0, 10.0, 10.0],
                ..QUIET
            },
        ),
        (
            "contract-deployer",
            "Contract developer",
            "Deploys contracts and funds them from a handful of addresses.",
            Account {
                minutes: 300_000.0,
                sent: 60.0,
                received: 12.0,
                created: 14.0,
                from_addrs: 4.0,
                to_addrs: 9.0,
                recv: [0.1, 20.0, 4.0],
                sent_val: [0.01, 3.0, 0.6],
                ..QUIET
            },
        ),
        (
            "fresh-wallet",
            "Brand-new wallet",
            "Created minutes ago; one incoming transfer, nothing else yet.",
            Account {
                minutes: 0.0,
                received: 1.0,
                from_addrs: 1.0,
                recv: [0.25, 0.25, 0.25],
                ..QUIET
            },
        ),
        (
            "phishing-drop",
            "Phishing drop",
            "Dozens of victims send funds within days; everything is swept out in a few large transfers; scam tokens arrive.",
            Account {
                minutes: 4_300.0,
                sent: 3.0,
                received: 57.0,
                from_addrs: 55.0,
                to_addrs: 1.0,
                recv: [0.02, 6.5, 0.81],
                sent_val: [9.0, 21.0, 15.3],
                erc20_tnxs: 6.0,
                erc20_recv_total: 1.337,
                erc20_from: 4.0,
                erc20_contracts: 5.0,
                erc20_recv: [0.0, 1.337, 0.2228],
                tokens_recv: 5.0,
                ..QUIET
            },
        ),
        (
            "airdrop-bait",
            "Scam-token target",
            "Receives a single unsolicited token transfer and a little ETH, sends nothing.",
            Account {
                minutes: 26_000.0,
                received: 6.0,
                from_addrs: 5.0,
                recv: [0.01, 2.0, 0.75],
                erc20_tnxs: 1.0,
                erc20_recv_total: 1.337,
                erc20_from: 1.0,
                erc20_contracts: 1.0,
                erc20_recv: [1.337, 1.337, 1.337],
                tokens_recv: 1.0,
                ..QUIET
            },
        ),
    ]
}

fn score_of(blob: &[u8], row: &[String]) -> u32 {
    let model = Model::parse(blob).expect("fixture model parses");
    let inputs: Vec<_> = row
        .iter()
        .map(|s| decimal::parse(s).expect("fixture inputs parse"))
        .collect();
    let mut scratch = vec![Act::ZERO; model.scratch_len()];
    model
        .infer(&inputs, &mut scratch)
        .expect("infer")
        .score
        .to_bits()
}

fn strings(row: &[f64]) -> Vec<String> {
    row.iter().map(|&v| fmt_num(v)).collect()
}

/// A synthetic account between a safe and a dangerous one (geometric
/// interpolation of every figure), chosen by bisection to land in the
/// middle of the caution band.
fn borderline(blob: &[u8], safe: &[f64], danger: &[f64]) -> Vec<String> {
    let model = Model::parse(blob).expect("parses");
    let t = model.threshold().to_bits();
    let target = (t >> 1) + (t >> 2); // 3/4 of the threshold
    let mix = |a: f64| -> Vec<String> {
        strings(
            &safe
                .iter()
                .zip(danger)
                .map(|(&s, &d)| {
                    let v = (slog1p(s) * (1.0 - a) + slog1p(d) * a).abs().exp_m1();
                    let v = v * (s + d).signum();
                    if v.abs() >= 10.0 {
                        v.round()
                    } else {
                        (v * 1e4).round() / 1e4
                    }
                })
                .collect::<Vec<_>>(),
        )
    };
    let (mut lo, mut hi) = (0.0, 1.0);
    for _ in 0..40 {
        let mid = (lo + hi) / 2.0;
        if score_of(blob, &mix(mid)) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    mix((lo + hi) / 2.0)
}

/// Pseudo-random input vectors spanning magnitudes, signs and notations.
fn random_inputs(rng: &mut Rng, count: usize, n: usize) -> Vec<Vec<String>> {
    (0..count)
        .map(|_| {
            (0..n)
                .map(|_| {
                    let mag = 10f64.powf(rng.range(-6.0, 12.0));
                    let v = if rng.below(8) == 0 { -mag } else { mag };
                    match rng.below(5) {
                        0 => "0".to_owned(),
                        1 => format!("{}", v.round() as i64),
                        2 => format!("{v:e}"),
                        _ => fmt_num((v * 1e6).round() / 1e6),
                    }
                })
                .collect()
        })
        .collect()
}

fn edge_inputs(n: usize) -> Vec<Vec<String>> {
    let fill = |s: &str| vec![s.to_owned(); n];
    let mut mixed: Vec<String> = [
        "-15605352.04",
        "0.000004",
        "1000020000000",
        "7",
        "1e-6",
        "2.5E+12",
        ".5",
        "5.",
        "+3",
        "-0",
        "9223372036854775807",
        "-9223372036854775808",
        "0.0000000000000000001",
        "123456789.123456789123456789",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    mixed.resize(n, "1".to_owned());
    vec![
        fill("0"),
        fill("1"),
        fill("-1"),
        fill("1e12"),
        fill("-1e12"),
        fill("0.000001"),
        mixed,
    ]
}

fn refused_inputs(n: usize) -> Vec<Vec<String>> {
    let with = |i: usize, s: &str| {
        let mut v = vec!["1".to_owned(); n];
        v[i.min(n - 1)] = s.to_owned();
        v
    };
    vec![
        with(0, "12a"),
        with(1, ""),
        with(2, "nan"),
        with(3, "-inf"),
        with(4, "1e"),
        with(5, "1.2.3"),
        with(6, " 1"),
        with(7, "1e19"),
        with(8, "--1"),
        with(9, "0x10"),
        vec!["1".to_owned(); n - 1],
    ]
}

/// Blobs that must be refused, with what the core says.
fn malformed(blob: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let mut flipped = blob.to_vec();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    let mut version = blob.to_vec();
    version[4] = 9;
    let mut magic = blob.to_vec();
    magic[..4].copy_from_slice(b"PNG\x89");
    vec![
        ("empty", Vec::new()),
        ("truncated-header", blob[..30].to_vec()),
        ("truncated-payload", blob[..blob.len() - 7].to_vec()),
        ("bad-magic", magic),
        ("unsupported-version", version),
        ("checksum-mismatch", flipped),
        ("not-a-model", b"<!doctype html><title>404</title>".to_vec()),
    ]
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    println!("wrote {} ({} bytes)", path.display(), bytes.len());
}

/// Pretty JSON with arrays of scalars and small objects on one line, so the
/// golden file stays readable and diffable.
fn json_bytes(v: &Value) -> Vec<u8> {
    fn compact(v: &Value) -> bool {
        match v {
            Value::Array(a) => a.iter().all(|x| !x.is_array() && !x.is_object()),
            Value::Object(o) => {
                o.values().all(|x| !x.is_object())
                    && o.values().all(|x| !x.is_array() || compact(x))
            }
            _ => true,
        }
    }
    fn out(v: &Value, indent: usize, s: &mut String) {
        let pad = "  ".repeat(indent + 1);
        match v {
            Value::Array(a) if !compact(v) && !a.is_empty() => {
                s.push_str("[\n");
                for (i, x) in a.iter().enumerate() {
                    s.push_str(&pad);
                    out(x, indent + 1, s);
                    s.push_str(if i + 1 < a.len() { ",\n" } else { "\n" });
                }
                s.push_str(&"  ".repeat(indent));
                s.push(']');
            }
            Value::Object(o) if !compact(v) || indent == 0 => {
                s.push_str("{\n");
                for (i, (k, x)) in o.iter().enumerate() {
                    s.push_str(&pad);
                    s.push_str(&Value::String(k.clone()).to_string());
                    s.push_str(": ");
                    out(x, indent + 1, s);
                    s.push_str(if i + 1 < o.len() { ",\n" } else { "\n" });
                }
                s.push_str(&"  ".repeat(indent));
                s.push('}');
            }
            _ => s.push_str(&v.to_string()),
        }
    }
    let mut s = String::new();
    out(v, 0, &mut s);
    s.push('\n');
    s.into_bytes()
}

/// Accuracy, precision, recall and F1 of the quantised blob on a data set,
/// scored by the integer core.
fn metrics(blob: &[u8], rows: &[Row]) -> Value {
    let model = Model::parse(blob).expect("parses");
    let mut scratch = vec![Act::ZERO; model.scratch_len()];
    let (mut tp, mut fp, mut tn, mut fneg) = (0u32, 0u32, 0u32, 0u32);
    for r in rows {
        let inputs: Vec<_> = r
            .text
            .iter()
            .map(|s| decimal::parse(s).expect("data parses"))
            .collect();
        let label = model.infer(&inputs, &mut scratch).expect("infer").label;
        match (label, r.label) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, false) => tn += 1,
            (false, true) => fneg += 1,
        }
    }
    let ratio = |a: u32, b: u32| {
        if b == 0 {
            0.0
        } else {
            (f64::from(a) / f64::from(b) * 1e4).round() / 1e4
        }
    };
    json!({
        "rows": rows.len(),
        "accuracy": ratio(tp + tn, tp + tn + fp + fneg),
        "precision": ratio(tp, tp + fp),
        "recall": ratio(tp, tp + fneg),
        "f1": ratio(2 * tp, 2 * tp + fp + fneg),
        "tp": tp, "fp": fp, "tn": tn, "fn": fneg,
    })
}

fn main() {
    let www = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut args = std::env::args().skip(1);
    let mut data_dir = www.join("../../shared/datasets/eth-fraud");
    if let Ok(dir) = std::env::var("VIGIL_ETH_FRAUD_DIR") {
        data_dir = PathBuf::from(dir);
    }
    let mut use_data = true;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--data" => data_dir = PathBuf::from(args.next().expect("--data DIR")),
            "--default" => use_data = false,
            "--refresh-golden" => {
                let path = www.join("fixtures/golden.json");
                let text = fs::read_to_string(&path).expect("fixtures/golden.json");
                let doc: Value = serde_json::from_str(&text).expect("golden.json parses");
                let doc = golden::refresh(&doc, shared_models()).unwrap_or_else(|e| panic!("{e}"));
                write(&www.join("fixtures"), "golden.json", &json_bytes(&doc));
                return;
            }
            _ => {
                eprintln!("usage: fixtures [--data DIR | --default | --refresh-golden]");
                std::process::exit(2);
            }
        }
    }
    let train_path = data_dir.join("train.csv");
    let test_path = data_dir.join("test.csv");
    let data = if use_data && train_path.exists() && test_path.exists() {
        let train = read_csv(&train_path).expect("train.csv");
        let test = read_csv(&test_path).expect("test.csv");
        Some((train, test))
    } else {
        None
    };

    let (fit, provenance) = match &data {
        Some((train, _)) => {
            println!("fitting on {} ({} rows)", train_path.display(), train.len());
            let f = fit(train);
            // Print the defaults for `fixtures_default.in`.
            let mut defaults = String::from(
                "// Generated by `cargo run -p vigil-web --example fixtures` (with the data set):\n\
                 // ([(mean, std, weight); 38], bias, threshold) of the fitted logistic model.\n([\n",
            );
            for j in 0..N {
                defaults.push_str(&format!(
                    "    ({:.4}, {:.4}, {:.4}),\n",
                    f.mean[j], f.std[j], f.w[j]
                ));
            }
            defaults.push_str(&format!("], {:.4}, {})\n", f.b, f.threshold));
            fs::write(www.join("examples/fixtures_default.in"), defaults).expect("write defaults");
            println!("bias {:.4}, threshold {}", f.b, f.threshold);
            (
                f,
                "logistic regression fitted by full-batch gradient descent (1500 steps, L2 1e-3) on the eth-fraud training set (train.csv); threshold maximises F1 on it",
            )
        }
        None => {
            println!(
                "eth-fraud data not found at {}: default parameters",
                data_dir.display()
            );
            (
                Fit {
                    mean: DEFAULT.0.iter().map(|p| p.0).collect(),
                    std: DEFAULT.0.iter().map(|p| p.1).collect(),
                    w: DEFAULT.0.iter().map(|p| p.2).collect(),
                    b: DEFAULT.1,
                    threshold: DEFAULT.2,
                },
                "generated default: fixed parameters in www/examples/fixtures_default.in (rounded from a fit on the eth-fraud training set)",
            )
        }
    };

    let options = QuantizeOptions {
        wide_weights: true,
        per_channel: false,
        explain: true,
    };
    let logistic = logistic_model(&fit)
        .quantize(&options)
        .to_bytes()
        .expect("logistic encodes");
    let mlp = bench_mlp(&fit)
        .quantize(&QuantizeOptions::default())
        .to_bytes()
        .expect("mlp encodes");
    let gbdt = small_gbdt(&fit)
        .quantize(&QuantizeOptions::default())
        .to_bytes()
        .expect("gbdt encodes");

    let dir = www.join("fixtures");
    fs::create_dir_all(&dir).expect("fixtures dir");
    write(&dir, "eth-fraud.vgl", &logistic);
    write(&dir, "bench-mlp.vgl", &mlp);

    // Samples: the synthetic accounts, plus one between the safest and the
    // most dangerous of them that lands in the caution band.
    let names: Vec<String> = FEATURES.iter().map(|f| f.0.to_owned()).collect();
    let mut samples: Vec<(String, String, String, Vec<String>)> = accounts()
        .into_iter()
        .map(|(id, title, about, a)| (id.into(), title.into(), about.into(), strings(&a.row())))
        .collect();
    let scores: Vec<u32> = samples.iter().map(|s| score_of(&logistic, &s.3)).collect();
    let safest = (0..samples.len())
        .min_by_key(|&i| scores[i])
        .expect("samples");
    let worst = (0..samples.len())
        .max_by_key(|&i| scores[i])
        .expect("samples");
    let safe_row: Vec<f64> = samples[safest]
        .3
        .iter()
        .map(|s| s.parse().expect("num"))
        .collect();
    let bad_row: Vec<f64> = samples[worst]
        .3
        .iter()
        .map(|s| s.parse().expect("num"))
        .collect();
    samples.push((
        "borderline".into(),
        "Borderline account".into(),
        "A synthetic mix of a normal and a suspicious account: some signals, not conclusive."
            .into(),
        borderline(&logistic, &safe_row, &bad_row),
    ));
    for (id, _, _, row) in &samples {
        println!(
            "sample {id:<18} score {:.4}",
            f64::from(score_of(&logistic, row)) / f64::from(1u32 << 31)
        );
    }
    let samples_json = json!({
        "about": "Synthetic accounts for the demo: made-up figures shaped like the eth-fraud features (no row of the data set). Generated by `cargo run -p vigil-web --example fixtures`.",
        "feature_names": names,
        "samples": samples.iter().map(|(id, title, about, row)| json!({
            "id": id, "title": title, "description": about,
            "features": names.iter().zip(row).map(|(n, v)| (n.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
        })).collect::<Vec<_>>(),
    });
    write(&dir, "samples.json", &json_bytes(&samples_json));

    let card = json!({
        "name": "eth-fraud-logistic",
        "description": "Phishing / fraud score of an Ethereum account from 38 aggregate activity figures (signed log1p, standardised, logistic regression with i16 weights).",
        "model": "eth-fraud.vgl",
        "provenance": provenance,
        "checksum": golden::hex(&Model::parse(&logistic).expect("parses").checksum()),
        "features": FEATURES.iter().map(|(n, l)| json!({ "name": n, "label": l })).collect::<Vec<_>>(),
        "metrics_test": data.as_ref().map(|(_, test)| metrics(&logistic, test)),
        "metrics_train": data.as_ref().map(|(train, _)| metrics(&logistic, train)),
    });
    write(&dir, "eth-fraud.json", &json_bytes(&card));

    // Golden vectors.
    let mut rng = Rng(0x5EED_0003);
    let mut cases: Vec<Vec<String>> = samples.iter().map(|s| s.3.clone()).collect();
    cases.extend(edge_inputs(N));
    cases.extend(random_inputs(&mut rng, 40, N));
    let worked_example = worked_example();
    let models = [
        golden::GoldenModel {
            name: "eth-fraud-logistic".into(),
            description: "the demo's model (eth-fraud.vgl): linear, explained".into(),
            blob: logistic.clone(),
            feature_names: Some(names.clone()),
            cases: cases.clone(),
            refused: refused_inputs(N),
        },
        golden::GoldenModel {
            name: "bench-mlp".into(),
            description: "the benchmark's MLP 38-32-16-1 (bench-mlp.vgl): no contributions".into(),
            blob: mlp,
            feature_names: Some(names.clone()),
            cases: cases.clone(),
            refused: refused_inputs(N),
        },
        golden::GoldenModel {
            name: "gbdt-explained".into(),
            description: "a GBDT of 16 depth-3 trees with explanation values".into(),
            blob: gbdt,
            feature_names: Some(names.clone()),
            cases,
            refused: vec![],
        },
        golden::GoldenModel {
            name: "format-worked-example".into(),
            description: "FORMAT.md section 8's logistic regression on two features".into(),
            blob: worked_example,
            feature_names: None,
            cases: vec![
                vec!["5000".into(), "1.5".into()],
                vec!["2e7".into(), "-3".into()],
                vec!["0".into(), "0".into()],
            ],
            refused: vec![vec!["1".into()], vec!["1".into(), "2".into(), "3".into()]],
        },
    ];
    let doc = json!({
        "format": golden::FORMAT,
        "about": "Expected outputs of the native vigil-inference-core for these blobs and decimal-string inputs. Regenerate with `cargo run -p vigil-web --example fixtures`; `cargo test -p vigil-web --test golden` re-derives every entry.",
        "models": models.iter().map(|m| golden::model_entry(m).expect("golden model")).chain(shared_models()).collect::<Vec<_>>(),
        "malformed": malformed(&logistic).iter().map(|(n, b)| golden::malformed_entry(n, b).expect("malformed")).collect::<Vec<_>>(),
    });
    write(&dir, "golden.json", &json_bytes(&doc));
}

/// host-tests' golden vectors (`host-tests/golden/vectors.json`), imported
/// for the browser tests (see `tools/golden.rs`).
fn shared_models() -> Vec<Value> {
    let doc = vigil_host_tests::golden::load().unwrap_or_else(|e| panic!("{e}"));
    golden::import_shared(&doc).unwrap_or_else(|e| {
        panic!(
            "{e}\n(if host-tests' file is stale, regenerate it first: `{}`)",
            vigil_host_tests::golden::REGENERATE
        )
    })
}

/// FORMAT.md's worked example, built with the spec builder.
fn worked_example() -> Vec<u8> {
    use vigil_inference_core::preprocess::FeatureTransform;
    use vigil_inference_core::spec::{BodySpec, LayerSpec, ModelSpec, Weights};
    use vigil_inference_core::{Score, Wide};
    ModelSpec {
        threshold: Score::from_num(0.5),
        features: vec![
            FeatureTransform {
                clip_lo: None,
                clip_hi: Some(Wide::from_num(1_000_000)),
                log1p: true,
                scale: 1,
                shift: 1,
                offset: -262_144,
            },
            FeatureTransform::IDENTITY,
        ],
        body: BodySpec::Linear(LayerSpec {
            weights: Weights::I8(vec![64, -32]),
            scales: vec![(1, 6)],
            biases: vec![-16_384],
            activation: Activation::Sigmoid,
        }),
    }
    .to_bytes()
    .expect("worked example encodes")
}
