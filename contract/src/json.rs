//! The contract's JSON, hand-written where serde's derives cost the most
//! code (the artifact has a size budget):
//!
//! - decoding the entry-point messages ([`InstantiateMsg`], [`ExecuteMsg`],
//!   [`QueryMsg`], [`MigrateMsg`], and [`ConfigUpdate`] inside
//!   `ExecuteMsg`). serde's derived `Deserialize` monomorphises a JSON map
//!   parser per struct and per enum variant: about 55 KB of the contract for
//!   these messages alone. Here the JSON is parsed once into a small [`Json`]
//!   tree (one visitor) and the messages are read from the tree by plain
//!   functions. The accepted JSON is what the derived impls (`cw_serde`:
//!   snake_case names, unknown fields ignored except in `ConfigUpdate`)
//!   accept with `serde-json-wasm`, the contract's JSON library (the unit
//!   tests hold the two to it on thousands of inputs). (With other formats,
//!   e.g. `serde_json` off-chain, the derived impls also read a struct from
//!   an array of its field values; these impls, like `serde-json-wasm`,
//!   never do.) Errors use serde's wording (`missing field`, `unknown
//!   field`, `unknown variant`, `duplicate field`). The derived `Serialize` and
//!   `JsonSchema` impls stay; the nested types keep their derived
//!   `Deserialize` (clients read them in responses), which the contract never
//!   calls;
//! - writing the query responses ([`ToJson`]): byte for byte what their
//!   derived `Serialize` writes (the unit tests compare the two);
//! - the cw2 record (`contract_info`), read and written as cw2 does.
use core::fmt;
use core::str::FromStr;

use cosmwasm_std::{from_json, Binary, Decimal, StdError, StdResult, Uint128};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::msg::{
    CheckResponse, ConfigResponse, ConfigUpdate, CostResponse, ExecuteMsg, InstantiateMsg, Margin,
    Margins, Metrics, MigrateMsg, ModelResponse, PausedCheck, ProposalStatus, ProposalsResponse,
    QueryMsg, RewardRule, ScoreResponse, TestSample, TestSetResponse,
};

/// A parsed JSON value. Numbers are integers only: no message field is a
/// JSON float (decimals travel as strings), and floats have no place in a
/// contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A non-negative integer.
    Uint(u64),
    /// An integer written with a minus sign (`-0` included).
    Neg(i64),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object, in document order.
    Obj(Vec<(String, Json)>),
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        Json::deserialize(d)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Uint(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        // Signed integers are what JSON writes with a `-`, `-0` included,
        // which no unsigned field takes.
        Ok(Json::Neg(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Str(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Arr(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries: Vec<(String, Json)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value()?;
            entries.push((key, value));
        }
        Ok(Json::Obj(entries))
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

// ---------------------------------------------------------------- errors

/// The first error met while reading a message (serde's wording). Readers
/// do not stop at an error: they note it and return a stand-in value, and
/// the message is refused at the end if anything was noted. No `Result` to
/// thread through every field: less code.
#[derive(Default)]
struct Errs(Option<String>);

impl Errs {
    #[inline(never)]
    fn note(&mut self, e: String) {
        self.0.get_or_insert(e);
    }
}

/// Reads one value: the JSON, the field's name (for errors), the sink.
type Read<T> = fn(Json, &str, &mut Errs) -> T;

/// `before` + `` `name` `` + `after`.
fn quoted(before: &str, name: &str, after: &str) -> String {
    let mut s = String::with_capacity(before.len() + name.len() + after.len() + 2);
    s.push_str(before);
    s.push('`');
    s.push_str(name);
    s.push('`');
    s.push_str(after);
    s
}

/// `` `a`, `b` `` as in serde's "expected one of" lists.
fn one_of(mut msg: String, expected: &[&str]) -> String {
    match expected {
        [] => msg.push_str(", there are no fields"),
        [only] => {
            msg.push_str(", expected `");
            msg.push_str(only);
            msg.push('`');
        }
        _ => {
            msg.push_str(", expected one of ");
            for (i, name) in expected.iter().enumerate() {
                if i > 0 {
                    msg.push_str(", ");
                }
                msg.push('`');
                msg.push_str(name);
                msg.push('`');
            }
        }
    }
    msg
}

/// Note that `field` has the wrong type.
#[inline(never)]
fn invalid(errs: &mut Errs, field: &str, expected: &str) {
    let mut msg = quoted("invalid type for ", field, ": expected ");
    msg.push_str(expected);
    errs.note(msg);
}

/// Decode a message from its [`Json`] tree, reporting errors through the
/// deserializer's error type.
fn decode<'de, D: Deserializer<'de>, T>(d: D, f: fn(Json, &mut Errs) -> T) -> Result<T, D::Error> {
    let json = Json::deserialize(d)?;
    let mut errs = Errs::default();
    let value = f(json, &mut errs);
    match errs.0 {
        None => Ok(value),
        Some(e) => Err(de::Error::custom(e)),
    }
}

// ---------------------------------------------------------------- objects

/// An object's fields, taken one by one. Fields never taken are ignored, as
/// serde's derived impls (without `deny_unknown_fields`) ignore them.
struct Fields(Vec<(String, Json)>);

/// The fields of `json`, which must be an object.
fn fields(json: Json, what: &str, errs: &mut Errs) -> Fields {
    match json {
        Json::Obj(entries) => Fields(entries),
        _ => {
            invalid(errs, what, "an object");
            Fields(Vec::new())
        }
    }
}

/// The fields of `json`, an object with no field outside `expected`
/// (`#[serde(deny_unknown_fields)]`).
fn strict(json: Json, what: &str, expected: &[&str], errs: &mut Errs) -> Fields {
    let f = fields(json, what, errs);
    if let Some((k, _)) = f.0.iter().find(|(k, _)| !expected.contains(&k.as_str())) {
        errs.note(one_of(quoted("unknown field ", k, ""), expected));
    }
    f
}

impl Fields {
    /// A field, if present (`null` included); present twice is an error.
    fn take(&mut self, name: &str, errs: &mut Errs) -> Option<Json> {
        let i = self.0.iter().position(|(k, _)| k == name)?;
        let value = self.0.remove(i).1;
        if self.0[i..].iter().any(|(k, _)| k == name) {
            errs.note(quoted("duplicate field ", name, ""));
        }
        Some(value)
    }

    /// A required field.
    fn req<T>(&mut self, name: &str, read: Read<T>, errs: &mut Errs) -> T {
        let json = self.take(name, errs).unwrap_or_else(|| {
            errs.note(quoted("missing field ", name, ""));
            Json::Null
        });
        read(json, name, errs)
    }

    /// An `Option` field: absent and `null` are `None`.
    fn opt<T>(&mut self, name: &str, read: Read<T>, errs: &mut Errs) -> Option<T> {
        match self.take(name, errs) {
            None | Some(Json::Null) => None,
            Some(json) => Some(read(json, name, errs)),
        }
    }

    /// A `#[serde(default)]` field: absent is the default.
    fn or_default<T: Default>(&mut self, name: &str, read: Read<T>, errs: &mut Errs) -> T {
        match self.take(name, errs) {
            None => T::default(),
            Some(json) => read(json, name, errs),
        }
    }
}

/// An enum value: `"variant"` (a unit variant, value `None`) or
/// `{"variant": value}` (any other variant). An unknown variant is noted
/// and reads as variant `usize::MAX`.
fn variant(json: Json, what: &str, variants: &[&str], errs: &mut Errs) -> (usize, Option<Json>) {
    let (name, value) = match json {
        Json::Str(name) => (name, None),
        Json::Obj(mut entries) if entries.len() == 1 => {
            let (name, value) = entries.swap_remove(0);
            (name, Some(value))
        }
        _ => {
            invalid(errs, what, "a string or an object with one key");
            return (usize::MAX, None);
        }
    };
    match variants.iter().position(|v| *v == name) {
        Some(i) => (i, value),
        None => {
            errs.note(one_of(quoted("unknown variant ", &name, ""), variants));
            (usize::MAX, None)
        }
    }
}

/// A unit variant: written as a string only.
fn unit(value: Option<Json>, what: &str, errs: &mut Errs) {
    if value.is_some() {
        invalid(errs, what, "a unit variant (a string)");
    }
}

/// A struct variant's body: an object.
fn body(value: Option<Json>, what: &str, errs: &mut Errs) -> Fields {
    fields(value.unwrap_or(Json::Null), what, errs)
}

/// A struct variant with no fields: `{}` (unknown fields ignored).
fn empty(value: Option<Json>, what: &str, errs: &mut Errs) {
    body(value, what, errs);
}

/// The one field of a struct variant.
fn single<T>(value: Option<Json>, what: &str, field: &str, read: Read<T>, errs: &mut Errs) -> T {
    body(value, what, errs).req(field, read, errs)
}

// ---------------------------------------------------------------- values

fn uint(json: Json, what: &str, max: u64, expected: &str, errs: &mut Errs) -> u64 {
    match json {
        Json::Uint(v) if v <= max => v,
        _ => {
            invalid(errs, what, expected);
            0
        }
    }
}

fn u64_(json: Json, what: &str, errs: &mut Errs) -> u64 {
    uint(json, what, u64::MAX, "u64", errs)
}

fn u32_(json: Json, what: &str, errs: &mut Errs) -> u32 {
    uint(json, what, u32::MAX.into(), "u32", errs) as u32
}

fn u16_(json: Json, what: &str, errs: &mut Errs) -> u16 {
    uint(json, what, u16::MAX.into(), "u16", errs) as u16
}

fn bool_(json: Json, what: &str, errs: &mut Errs) -> bool {
    match json {
        Json::Bool(b) => b,
        _ => {
            invalid(errs, what, "a boolean");
            false
        }
    }
}

fn string(json: Json, what: &str, errs: &mut Errs) -> String {
    match json {
        Json::Str(s) => s,
        _ => {
            invalid(errs, what, "a string");
            String::new()
        }
    }
}

/// A string-encoded value (`Uint128`, `Decimal`, `Binary`), parse errors
/// prefixed with the field name.
fn parsed<T: Default>(
    json: Json,
    what: &str,
    errs: &mut Errs,
    parse: fn(&str) -> Result<T, String>,
) -> T {
    parse(&string(json, what, errs)).unwrap_or_else(|e| {
        let mut msg = quoted("invalid ", what, ": ");
        msg.push_str(&e);
        errs.note(msg);
        T::default()
    })
}

fn uint128(json: Json, what: &str, errs: &mut Errs) -> Uint128 {
    parsed(json, what, errs, |s| {
        Uint128::from_str(s).map_err(|e| e.to_string())
    })
}

fn decimal(json: Json, what: &str, errs: &mut Errs) -> Decimal {
    parsed(json, what, errs, |s| {
        Decimal::from_str(s).map_err(|e| e.to_string())
    })
}

fn binary(json: Json, what: &str, errs: &mut Errs) -> Binary {
    parsed(json, what, errs, |s| {
        Binary::from_base64(s).map_err(|e| e.to_string())
    })
}

fn array<T>(json: Json, what: &str, item: Read<T>, errs: &mut Errs) -> Vec<T> {
    let Json::Arr(items) = json else {
        invalid(errs, what, "an array");
        return Vec::new();
    };
    let mut out = Vec::with_capacity(items.len());
    for j in items {
        out.push(item(j, what, errs));
    }
    out
}

fn strings(json: Json, what: &str, errs: &mut Errs) -> Vec<String> {
    array(json, what, string, errs)
}

fn u32s(json: Json, what: &str, errs: &mut Errs) -> Vec<u32> {
    array(json, what, u32_, errs)
}

// ---------------------------------------------------------------- types

fn margin(json: Json, what: &str, errs: &mut Errs) -> Margin {
    let mut f = fields(json, what, errs);
    Margin {
        min_gain: f.req("min_gain", decimal, errs),
        tolerance: f.req("tolerance", decimal, errs),
    }
}

fn margins(json: Json, what: &str, errs: &mut Errs) -> Margins {
    let mut f = fields(json, what, errs);
    Margins {
        accuracy: f.req("accuracy", margin, errs),
        f1: f.req("f1", margin, errs),
        precision: f.req("precision", margin, errs),
        recall: f.req("recall", margin, errs),
    }
}

fn reward_rule(json: Json, what: &str, errs: &mut Errs) -> RewardRule {
    let (i, value) = variant(json, what, &["none", "fixed", "bond_share"], errs);
    match i {
        1 => RewardRule::Fixed {
            amount: single(value, "fixed", "amount", uint128, errs),
        },
        2 => RewardRule::BondShare {
            share: single(value, "bond_share", "share", decimal, errs),
        },
        _ => {
            unit(value, "none", errs);
            RewardRule::None
        }
    }
}

fn paused_check(json: Json, what: &str, errs: &mut Errs) -> PausedCheck {
    let (i, value) = variant(json, what, &["allow", "deny", "error"], errs);
    unit(value, what, errs);
    match i {
        0 => PausedCheck::Allow,
        1 => PausedCheck::Deny,
        _ => PausedCheck::Error,
    }
}

fn test_sample(json: Json, what: &str, errs: &mut Errs) -> TestSample {
    let mut f = fields(json, what, errs);
    TestSample {
        features: f.req("features", strings, errs),
        label: f.req("label", bool_, errs),
    }
}

fn test_samples(json: Json, what: &str, errs: &mut Errs) -> Vec<TestSample> {
    array(json, what, test_sample, errs)
}

/// How a setting is read: `InstantiateMsg` requires most (and defaults
/// `margins`), `ConfigUpdate` makes every one optional.
#[derive(Clone, Copy, PartialEq)]
enum Need {
    /// Absent is an error; `null` is read (and refused by the reader).
    Required,
    /// Absent is `None` (the default); `null` is read.
    Defaulted,
    /// Absent and `null` are `None`.
    Optional,
}

impl Fields {
    fn setting<T>(&mut self, name: &str, read: Read<T>, need: Need, errs: &mut Errs) -> Option<T> {
        match self.take(name, errs) {
            None => {
                if need == Need::Required {
                    errs.note(quoted("missing field ", name, ""));
                }
                None
            }
            Some(Json::Null) if need == Need::Optional => None,
            Some(json) => Some(read(json, name, errs)),
        }
    }
}

/// The settings `InstantiateMsg` and `ConfigUpdate` share, read once for
/// both (`instantiate` picks `InstantiateMsg`'s rules).
fn settings(f: &mut Fields, instantiate: bool, errs: &mut Errs) -> ConfigUpdate {
    use Need::*;
    let (required, defaulted) = if instantiate {
        (Required, Defaulted)
    } else {
        (Optional, Optional)
    };
    ConfigUpdate {
        min_bond: f.setting("min_bond", uint128, required, errs),
        margins: f.setting("margins", margins, defaulted, errs),
        reward: f.setting("reward", reward_rule, required, errs),
        max_inference_ops: f.setting("max_inference_ops", u64_, required, errs),
        // An update distinguishes `null` (back to the model's threshold,
        // `Some(None)`) from absent (`None`); instantiate reads both as
        // `None`.
        deny_threshold: match f.take("deny_threshold", errs) {
            None => None,
            Some(Json::Null) => Some(None),
            Some(j) => Some(Some(decimal(j, "deny_threshold", errs))),
        },
        paused_check: f.setting("paused_check", paused_check, required, errs),
        max_class_ratio: f.setting("max_class_ratio", decimal, required, errs),
        eval_batch: f.setting("eval_batch", u32_, required, errs),
    }
}

fn instantiate_msg(json: Json, errs: &mut Errs) -> InstantiateMsg {
    let mut f = fields(json, "InstantiateMsg", errs);
    let s = settings(&mut f, true, errs);
    InstantiateMsg {
        admin: f.opt("admin", string, errs),
        n_features: f.req("n_features", u16_, errs),
        bond_denom: f.req("bond_denom", string, errs),
        min_bond: s.min_bond.unwrap_or_default(),
        margins: s.margins.unwrap_or_default(),
        reward: s.reward.unwrap_or(RewardRule::None),
        max_inference_ops: s.max_inference_ops.unwrap_or_default(),
        deny_threshold: s.deny_threshold.flatten(),
        paused_check: s.paused_check.unwrap_or(PausedCheck::Error),
        max_class_ratio: s.max_class_ratio.unwrap_or_default(),
        eval_batch: s.eval_batch.unwrap_or_default(),
        initial_model: f.opt("initial_model", binary, errs),
        initial_test_set: f.or_default("initial_test_set", test_samples, errs),
    }
}

fn config_update(json: Json, what: &str, errs: &mut Errs) -> ConfigUpdate {
    let mut f = strict(
        json,
        what,
        &[
            "min_bond",
            "margins",
            "reward",
            "max_inference_ops",
            "deny_threshold",
            "paused_check",
            "max_class_ratio",
            "eval_batch",
        ],
        errs,
    );
    settings(&mut f, false, errs)
}

fn execute_msg(json: Json, errs: &mut Errs) -> ExecuteMsg {
    let (i, v) = variant(
        json,
        "ExecuteMsg",
        &[
            "propose_model",
            "continue_evaluation",
            "cancel_proposal",
            "add_test_samples",
            "remove_test_samples",
            "rollback",
            "pause",
            "unpause",
            "update_config",
            "update_admin",
            "fund",
        ],
        errs,
    );
    match i {
        0 => ExecuteMsg::ProposeModel {
            model: single(v, "propose_model", "model", binary, errs),
        },
        1 => ExecuteMsg::ContinueEvaluation {
            proposal_id: single(v, "continue_evaluation", "proposal_id", u64_, errs),
        },
        2 => ExecuteMsg::CancelProposal {
            proposal_id: single(v, "cancel_proposal", "proposal_id", u64_, errs),
        },
        3 => ExecuteMsg::AddTestSamples {
            samples: single(v, "add_test_samples", "samples", test_samples, errs),
        },
        4 => ExecuteMsg::RemoveTestSamples {
            ids: single(v, "remove_test_samples", "ids", u32s, errs),
        },
        5 => ExecuteMsg::Rollback {
            version: single(v, "rollback", "version", u32_, errs),
        },
        6 => {
            empty(v, "pause", errs);
            ExecuteMsg::Pause {}
        }
        7 => {
            empty(v, "unpause", errs);
            ExecuteMsg::Unpause {}
        }
        8 => ExecuteMsg::UpdateConfig(config_update(
            v.unwrap_or(Json::Null),
            "update_config",
            errs,
        )),
        9 => ExecuteMsg::UpdateAdmin {
            admin: single(v, "update_admin", "admin", string, errs),
        },
        _ => {
            empty(v, "fund", errs);
            ExecuteMsg::Fund {}
        }
    }
}

/// `start_after` and `limit` of a paged query.
fn page<T>(
    value: Option<Json>,
    what: &str,
    start_after: Read<T>,
    errs: &mut Errs,
) -> (Option<T>, Option<u32>) {
    let mut f = body(value, what, errs);
    (
        f.opt("start_after", start_after, errs),
        f.opt("limit", u32_, errs),
    )
}

fn query_msg(json: Json, errs: &mut Errs) -> QueryMsg {
    let (i, v) = variant(
        json,
        "QueryMsg",
        &[
            "score",
            "check",
            "model",
            "config",
            "test_set",
            "proposals",
            "cost",
        ],
        errs,
    );
    match i {
        0 => QueryMsg::Score {
            features: single(v, "score", "features", strings, errs),
        },
        1 => QueryMsg::Check {
            features: single(v, "check", "features", strings, errs),
        },
        2 => QueryMsg::Model {
            version: body(v, "model", errs).opt("version", u32_, errs),
        },
        4 => {
            let (start_after, limit) = page(v, "test_set", u32_, errs);
            QueryMsg::TestSet { start_after, limit }
        }
        5 => {
            let (start_after, limit) = page(v, "proposals", u64_, errs);
            QueryMsg::Proposals { start_after, limit }
        }
        6 => QueryMsg::Cost {
            model: single(v, "cost", "model", binary, errs),
        },
        _ => {
            empty(v, "config", errs);
            QueryMsg::Config {}
        }
    }
}

impl<'de> Deserialize<'de> for InstantiateMsg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        decode(d, instantiate_msg)
    }
}

impl<'de> Deserialize<'de> for ExecuteMsg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        decode(d, execute_msg)
    }
}

impl<'de> Deserialize<'de> for ConfigUpdate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        decode(d, |j, errs| config_update(j, "ConfigUpdate", errs))
    }
}

impl<'de> Deserialize<'de> for QueryMsg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        decode(d, query_msg)
    }
}

impl<'de> Deserialize<'de> for MigrateMsg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        decode(d, |j, errs| {
            fields(j, "MigrateMsg", errs);
            MigrateMsg {}
        })
    }
}

// ---------------------------------------------------------------- cw2

/// Where cw2 keeps a contract's name and version.
pub const CW2_KEY: &[u8] = b"contract_info";

/// The cw2 record, `{"contract":…,"version":…}`, byte for byte what
/// `cw2::set_contract_version` writes.
pub fn cw2_record(contract: &str, version: &str) -> Vec<u8> {
    let mut out = Out::default();
    out.open();
    out.f_str("contract", contract);
    out.f_str("version", version);
    out.close();
    out.into_bytes()
}

/// Contract name and version from a cw2 record, as
/// `cw2::get_contract_version` reads them.
pub fn cw2_parse(record: &[u8]) -> StdResult<(String, String)> {
    let json: Json = from_json(record)?;
    let mut errs = Errs::default();
    let mut f = fields(json, "ContractVersion", &mut errs);
    let contract = f.req("contract", string, &mut errs);
    let version = f.req("version", string, &mut errs);
    match errs.0 {
        None => Ok((contract, version)),
        Some(e) => Err(StdError::generic_err(e)),
    }
}

// ---------------------------------------------------------------- encoding

/// A JSON text being written: the query responses, byte for byte what
/// serde's derived `Serialize` writes with `serde-json-wasm` (the unit tests
/// compare the two), without a serializer monomorphised per type.
#[derive(Debug, Default)]
pub struct Out(Vec<u8>);

impl Out {
    /// The JSON text.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    fn raw(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }

    /// A comma unless the value is the first in its object or array.
    fn sep(&mut self) {
        if !matches!(self.0.last(), Some(b'{' | b'[') | None) {
            self.0.push(b',');
        }
    }

    /// Open an object (a value in an object or array: call [`Out::key`] or
    /// [`Out::item`] first).
    fn open(&mut self) {
        self.0.push(b'{');
    }

    fn close(&mut self) {
        self.0.push(b'}');
    }

    /// The next key of an object.
    fn key(&mut self, name: &str) {
        self.sep();
        self.str(name);
        self.0.push(b':');
    }

    /// A string, escaped as `serde-json-wasm` escapes it.
    fn str(&mut self, s: &str) {
        self.0.push(b'"');
        for &b in s.as_bytes() {
            let escaped = match b {
                b'\\' => b'\\',
                b'"' => b'"',
                0x08 => b'b',
                0x09 => b't',
                0x0A => b'n',
                0x0C => b'f',
                0x0D => b'r',
                0x00..=0x1F => {
                    const HEX: &[u8; 16] = b"0123456789ABCDEF";
                    self.0.extend_from_slice(b"\\u00");
                    self.0.push(HEX[usize::from(b >> 4)]);
                    self.0.push(HEX[usize::from(b & 15)]);
                    continue;
                }
                _ => {
                    self.0.push(b);
                    continue;
                }
            };
            self.0.push(b'\\');
            self.0.push(escaped);
        }
        self.0.push(b'"');
    }

    fn uint(&mut self, v: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut v = v;
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.0.extend_from_slice(&digits[i..]);
    }

    fn bool(&mut self, v: bool) {
        self.raw(if v { "true" } else { "false" });
    }

    /// A number-like value that JSON carries as a string (`Decimal`,
    /// `Uint128`, `SignedDecimal`: their `Display`).
    fn display(&mut self, v: &dyn fmt::Display) {
        self.str(&v.to_string());
    }

    fn opt_u32(&mut self, v: Option<u32>) {
        match v {
            Some(v) => self.uint(v.into()),
            None => self.raw("null"),
        }
    }

    // Fields: key, then value.

    fn f_uint(&mut self, name: &str, v: u64) {
        self.key(name);
        self.uint(v);
    }

    fn f_bool(&mut self, name: &str, v: bool) {
        self.key(name);
        self.bool(v);
    }

    fn f_str(&mut self, name: &str, v: &str) {
        self.key(name);
        self.str(v);
    }

    fn f_display(&mut self, name: &str, v: &dyn fmt::Display) {
        self.key(name);
        self.display(v);
    }

    fn f_opt_u32(&mut self, name: &str, v: Option<u32>) {
        self.key(name);
        self.opt_u32(v);
    }
}

/// Written as JSON by [`Out`].
pub trait ToJson {
    /// Write `self` as one JSON value.
    fn write(&self, out: &mut Out);

    /// The JSON text.
    fn to_json(&self) -> Vec<u8> {
        let mut out = Out::default();
        self.write(&mut out);
        out.into_bytes()
    }
}

impl ToJson for Metrics {
    fn write(&self, out: &mut Out) {
        out.open();
        out.f_uint("tp", self.tp.into());
        out.f_uint("fp", self.fp.into());
        out.f_uint("tn", self.tn.into());
        out.f_uint("fn", self.fn_.into());
        out.f_display("accuracy", &self.accuracy);
        out.f_display("f1", &self.f1);
        out.f_display("precision", &self.precision);
        out.f_display("recall", &self.recall);
        out.close();
    }
}

impl ToJson for Margins {
    fn write(&self, out: &mut Out) {
        out.open();
        for (name, m) in [
            ("accuracy", &self.accuracy),
            ("f1", &self.f1),
            ("precision", &self.precision),
            ("recall", &self.recall),
        ] {
            out.key(name);
            out.open();
            out.f_display("min_gain", &m.min_gain);
            out.f_display("tolerance", &m.tolerance);
            out.close();
        }
        out.close();
    }
}

impl ToJson for RewardRule {
    fn write(&self, out: &mut Out) {
        let (variant, field, value): (&str, &str, &dyn fmt::Display) = match self {
            RewardRule::None => return out.str("none"),
            RewardRule::Fixed { amount } => ("fixed", "amount", amount),
            RewardRule::BondShare { share } => ("bond_share", "share", share),
        };
        out.open();
        out.key(variant);
        out.open();
        out.f_display(field, value);
        out.close();
        out.close();
    }
}

impl ToJson for ScoreResponse {
    fn write(&self, out: &mut Out) {
        out.open();
        out.f_display("score", &self.score);
        out.f_uint("score_bits", self.score_bits.into());
        out.f_bool("label", self.label);
        out.f_uint("model_version", self.model_version.into());
        out.key("contributions");
        out.0.push(b'[');
        for c in &self.contributions {
            out.sep();
            out.open();
            out.f_uint("feature", c.feature.into());
            out.f_display("value", &c.value);
            out.close();
        }
        out.0.push(b']');
        out.close();
    }
}

impl ToJson for CheckResponse {
    fn write(&self, out: &mut Out) {
        out.open();
        out.f_bool("allow", self.allow);
        out.f_display("score", &self.score);
        out.f_display("threshold", &self.threshold);
        out.f_uint("model_version", self.model_version.into());
        out.f_bool("paused", self.paused);
        out.close();
    }
}

impl ToJson for ModelResponse {
    fn write(&self, out: &mut Out) {
        out.open();
        out.f_uint("version", self.version.into());
        out.f_bool("active", self.active);
        out.f_str("hash", &self.hash);
        out.f_str("family", &self.family);
        out.f_str("proposer", &self.proposer);
        out.f_uint("size", self.size.into());
        out.f_uint("cost_ops", self.cost_ops);
        out.f_uint("inference_sdk_gas", self.inference_sdk_gas);
        out.key("metrics");
        match &self.metrics {
            Some(m) => m.write(out),
            None => out.raw("null"),
        }
        out.f_opt_u32("test_set_version", self.test_set_version);
        out.close();
    }
}

impl ToJson for ConfigResponse {
    fn write(&self, out: &mut Out) {
        out.open();
        out.f_str("admin", &self.admin);
        out.f_uint("n_features", self.n_features.into());
        out.f_str("bond_denom", &self.bond_denom);
        out.f_display("min_bond", &self.min_bond);
        out.key("margins");
        self.margins.write(out);
        out.key("reward");
        self.reward.write(out);
        out.f_uint("max_inference_ops", self.max_inference_ops);
        out.key("deny_threshold");
        match &self.deny_threshold {
            Some(t) => out.display(t),
            None => out.raw("null"),
        }
        out.f_str(
            "paused_check",
            match self.paused_check {
                PausedCheck::Allow => "allow",
                PausedCheck::Deny => "deny",
                PausedCheck::Error => "error",
            },
        );
        out.f_display("max_class_ratio", &self.max_class_ratio);
        out.f_uint("eval_batch", self.eval_batch.into());
        out.f_bool("paused", self.paused);
        out.f_display("vault", &self.vault);
        out.f_uint("active_version", self.active_version.into());
        out.f_uint("test_set_version", self.test_set_version.into());
        out.f_uint("positives", self.positives.into());
        out.f_uint("negatives", self.negatives.into());
        out.close();
    }
}

impl ToJson for TestSetResponse {
    fn write(&self, out: &mut Out) {
        out.open();
        out.f_uint("version", self.version.into());
        out.key("samples");
        out.0.push(b'[');
        for s in &self.samples {
            out.sep();
            out.open();
            out.f_uint("id", s.id.into());
            out.key("features");
            out.0.push(b'[');
            for f in &s.features {
                out.sep();
                out.str(f);
            }
            out.0.push(b']');
            out.f_bool("label", s.label);
            out.close();
        }
        out.0.push(b']');
        out.close();
    }
}

impl ToJson for ProposalsResponse {
    fn write(&self, out: &mut Out) {
        out.open();
        out.key("proposals");
        out.0.push(b'[');
        for p in &self.proposals {
            out.sep();
            out.open();
            out.f_uint("id", p.id);
            out.f_str("proposer", &p.proposer);
            out.f_display("bond", &p.bond);
            out.f_str("hash", &p.hash);
            out.f_str(
                "status",
                match p.status {
                    ProposalStatus::Evaluating => "evaluating",
                    ProposalStatus::Accepted => "accepted",
                    ProposalStatus::Rejected => "rejected",
                    ProposalStatus::Cancelled => "cancelled",
                },
            );
            out.f_uint("test_set_version", p.test_set_version.into());
            out.f_uint("evaluated", p.evaluated.into());
            out.f_uint("total", p.total.into());
            out.key("candidate");
            p.candidate.write(out);
            out.key("incumbent");
            p.incumbent.write(out);
            out.f_opt_u32("accepted_version", p.accepted_version);
            out.close();
        }
        out.0.push(b']');
        out.close();
    }
}

impl ToJson for CostResponse {
    fn write(&self, out: &mut Out) {
        out.open();
        out.f_uint("ops", self.ops);
        out.f_uint("model_bytes", self.model_bytes);
        out.f_uint("compute_sdk_gas", self.compute_sdk_gas);
        out.f_uint("read_sdk_gas", self.read_sdk_gas);
        out.f_bool("within_budget", self.within_budget);
        out.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{to_json_string, to_json_vec, SignedDecimal};

    use crate::msg::{Contribution, ProposalResponse, StoredSample, TestSample};

    /// The messages as `cw_serde` derived them before: the reference the
    /// hand-written impls must agree with.
    mod derived {
        use cosmwasm_schema::cw_serde;
        use cosmwasm_std::{Binary, Decimal, Uint128};

        use crate::msg::{Margins, PausedCheck, RewardRule, TestSample};

        #[cw_serde]
        pub struct InstantiateMsg {
            pub admin: Option<String>,
            pub n_features: u16,
            pub bond_denom: String,
            pub min_bond: Uint128,
            #[serde(default)]
            pub margins: Margins,
            pub reward: RewardRule,
            pub max_inference_ops: u64,
            pub deny_threshold: Option<Decimal>,
            pub paused_check: PausedCheck,
            pub max_class_ratio: Decimal,
            pub eval_batch: u32,
            pub initial_model: Option<Binary>,
            #[serde(default)]
            pub initial_test_set: Vec<TestSample>,
        }

        #[cw_serde]
        #[allow(clippy::large_enum_variant)]
        pub enum ExecuteMsg {
            ProposeModel { model: Binary },
            ContinueEvaluation { proposal_id: u64 },
            CancelProposal { proposal_id: u64 },
            AddTestSamples { samples: Vec<TestSample> },
            RemoveTestSamples { ids: Vec<u32> },
            Rollback { version: u32 },
            Pause {},
            Unpause {},
            UpdateConfig(ConfigUpdate),
            UpdateAdmin { admin: String },
            Fund {},
        }

        #[cw_serde]
        #[serde(deny_unknown_fields)]
        pub struct ConfigUpdate {
            pub min_bond: Option<Uint128>,
            pub margins: Option<Margins>,
            pub reward: Option<RewardRule>,
            pub max_inference_ops: Option<u64>,
            #[serde(
                default,
                skip_serializing_if = "Option::is_none",
                deserialize_with = "present"
            )]
            pub deny_threshold: Option<Option<Decimal>>,
            pub paused_check: Option<PausedCheck>,
            pub max_class_ratio: Option<Decimal>,
            pub eval_batch: Option<u32>,
        }

        fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
        where
            D: serde::Deserializer<'de>,
            T: serde::Deserialize<'de>,
        {
            serde::Deserialize::deserialize(d).map(Some)
        }

        #[cw_serde]
        pub enum QueryMsg {
            Score {
                features: Vec<String>,
            },
            Check {
                features: Vec<String>,
            },
            Model {
                version: Option<u32>,
            },
            Config {},
            TestSet {
                start_after: Option<u32>,
                limit: Option<u32>,
            },
            Proposals {
                start_after: Option<u64>,
                limit: Option<u32>,
            },
            Cost {
                model: Binary,
            },
        }

        #[cw_serde]
        pub struct MigrateMsg {}
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// Both impls accept `json` or both refuse it, and what they accept
    /// serialises the same (so it is the same value).
    fn agree<New, Old>(json: &str)
    where
        New: serde::de::DeserializeOwned + serde::Serialize,
        Old: serde::de::DeserializeOwned + serde::Serialize,
    {
        let new = from_json::<New>(json);
        let old = from_json::<Old>(json);
        match (&new, &old) {
            (Ok(n), Ok(o)) => assert_eq!(
                to_json_string(n).unwrap(),
                to_json_string(o).unwrap(),
                "{json}"
            ),
            (Err(_), Err(_)) => {}
            _ => panic!(
                "{json}: hand-written {:?}, derived {:?}",
                new.as_ref().err().map(|e| e.to_string()),
                old.as_ref().err().map(|e| e.to_string())
            ),
        }
    }

    /// Variations of a valid object: each field dropped, nulled, doubled,
    /// given the wrong type; an unknown field; the whole value as other
    /// JSON kinds.
    fn mutations(valid: &str) -> Vec<String> {
        let value: serde_json_value::Value = serde_json_value::parse(valid);
        let mut out = vec![valid.to_string()];
        out.extend(value.mutations());
        out
    }

    /// A tiny JSON model for generating test inputs (no serde_json in the
    /// contract's dependencies).
    mod serde_json_value {
        use super::Json;
        use cosmwasm_std::from_json;

        pub type Value = Json;

        pub fn parse(s: &str) -> Value {
            from_json(s).unwrap()
        }

        pub fn render(v: &Value) -> String {
            match v {
                Json::Null => "null".into(),
                Json::Bool(b) => b.to_string(),
                Json::Uint(u) => u.to_string(),
                Json::Neg(i) => i.to_string(),
                Json::Str(s) => cosmwasm_std::to_json_string(s).unwrap(),
                Json::Arr(items) => {
                    let items: Vec<String> = items.iter().map(render).collect();
                    format!("[{}]", items.join(","))
                }
                Json::Obj(entries) => {
                    let entries: Vec<String> = entries
                        .iter()
                        .map(|(k, v)| format!("{}:{}", render(&Json::Str(k.clone())), render(v)))
                        .collect();
                    format!("{{{}}}", entries.join(","))
                }
            }
        }

        impl Json {
            /// Every one-step mutation of every object in the tree.
            pub fn mutations(&self) -> Vec<String> {
                let mut out = Vec::new();
                let replacements = [
                    Json::Null,
                    Json::Bool(true),
                    Json::Uint(70_000),
                    Json::Uint(u64::MAX),
                    Json::Neg(-1),
                    Json::Str("x".into()),
                    Json::Str("1".into()),
                    Json::Arr(vec![]),
                    Json::Obj(vec![]),
                ];
                match self {
                    Json::Obj(entries) => {
                        for i in 0..entries.len() {
                            let mut e = entries.clone();
                            e.remove(i);
                            out.push(render(&Json::Obj(e)));
                            let mut e = entries.clone();
                            e.push(entries[i].clone());
                            out.push(render(&Json::Obj(e)));
                            for r in &replacements {
                                let mut e = entries.clone();
                                e[i].1 = r.clone();
                                out.push(render(&Json::Obj(e)));
                            }
                            for m in entries[i].1.mutations() {
                                let mut e = entries.clone();
                                e[i].1 = super::serde_json_value::parse(&m);
                                out.push(render(&Json::Obj(e)));
                            }
                        }
                        let mut e = entries.clone();
                        e.push(("unknown".into(), Json::Uint(1)));
                        out.push(render(&Json::Obj(e)));
                    }
                    Json::Arr(items) => {
                        for i in 0..items.len() {
                            for m in items[i].mutations() {
                                let mut a = items.clone();
                                a[i] = super::serde_json_value::parse(&m);
                                out.push(render(&Json::Arr(a)));
                            }
                        }
                    }
                    _ => {}
                }
                out
            }
        }
    }

    fn instantiate_msgs() -> Vec<InstantiateMsg> {
        let base = InstantiateMsg {
            admin: Some("admin".into()),
            n_features: 2,
            bond_denom: "uvgl".into(),
            min_bond: Uint128::new(1000),
            margins: Margins {
                accuracy: Margin {
                    min_gain: dec("0.01"),
                    tolerance: dec("0"),
                },
                ..Margins::default()
            },
            reward: RewardRule::BondShare { share: dec("0.1") },
            max_inference_ops: 1_000_000,
            deny_threshold: Some(dec("0.7")),
            paused_check: PausedCheck::Deny,
            max_class_ratio: dec("2"),
            eval_batch: 10,
            initial_model: Some(Binary::new(vec![1, 2, 3, 4])),
            initial_test_set: vec![TestSample {
                features: vec!["1.5".into(), "-2".into()],
                label: true,
            }],
        };
        vec![
            base.clone(),
            InstantiateMsg {
                admin: None,
                reward: RewardRule::None,
                deny_threshold: None,
                paused_check: PausedCheck::Allow,
                initial_model: None,
                initial_test_set: vec![],
                ..base.clone()
            },
            InstantiateMsg {
                reward: RewardRule::Fixed {
                    amount: Uint128::new(5),
                },
                paused_check: PausedCheck::Error,
                ..base
            },
        ]
    }

    fn execute_msgs() -> Vec<ExecuteMsg> {
        vec![
            ExecuteMsg::ProposeModel {
                model: Binary::new(vec![0xff, 0, 7]),
            },
            ExecuteMsg::ContinueEvaluation { proposal_id: 3 },
            ExecuteMsg::CancelProposal {
                proposal_id: u64::MAX,
            },
            ExecuteMsg::AddTestSamples {
                samples: vec![
                    TestSample {
                        features: vec!["1".into(), "2.5e3".into()],
                        label: false,
                    },
                    TestSample {
                        features: vec![],
                        label: true,
                    },
                ],
            },
            ExecuteMsg::RemoveTestSamples { ids: vec![0, 7] },
            ExecuteMsg::Rollback { version: 2 },
            ExecuteMsg::Pause {},
            ExecuteMsg::Unpause {},
            ExecuteMsg::UpdateConfig(ConfigUpdate::default()),
            ExecuteMsg::UpdateConfig(ConfigUpdate {
                min_bond: Some(Uint128::new(9)),
                margins: Some(Margins::default()),
                reward: Some(RewardRule::None),
                max_inference_ops: Some(5),
                deny_threshold: Some(None),
                paused_check: Some(PausedCheck::Allow),
                max_class_ratio: Some(dec("1.5")),
                eval_batch: Some(1),
            }),
            ExecuteMsg::UpdateConfig(ConfigUpdate {
                deny_threshold: Some(Some(dec("0.25"))),
                ..ConfigUpdate::default()
            }),
            ExecuteMsg::UpdateAdmin {
                admin: "new \"admin\"\n".into(),
            },
            ExecuteMsg::Fund {},
        ]
    }

    fn query_msgs() -> Vec<QueryMsg> {
        vec![
            QueryMsg::Score {
                features: vec!["1".into(), "-0.5".into()],
            },
            QueryMsg::Check { features: vec![] },
            QueryMsg::Model { version: None },
            QueryMsg::Model { version: Some(4) },
            QueryMsg::Config {},
            QueryMsg::TestSet {
                start_after: Some(1),
                limit: None,
            },
            QueryMsg::Proposals {
                start_after: None,
                limit: Some(100),
            },
            QueryMsg::Cost {
                model: Binary::new(vec![9; 10]),
            },
        ]
    }

    #[test]
    fn messages_round_trip() {
        for m in instantiate_msgs() {
            assert_eq!(
                from_json::<InstantiateMsg>(to_json_vec(&m).unwrap()).unwrap(),
                m
            );
        }
        for m in execute_msgs() {
            assert_eq!(
                from_json::<ExecuteMsg>(to_json_vec(&m).unwrap()).unwrap(),
                m
            );
        }
        for m in query_msgs() {
            assert_eq!(from_json::<QueryMsg>(to_json_vec(&m).unwrap()).unwrap(), m);
        }
        assert_eq!(from_json::<MigrateMsg>(b"{}").unwrap(), MigrateMsg {});
    }

    #[test]
    fn accepts_what_the_derived_impls_accept() {
        let mut n = 0;
        for m in instantiate_msgs() {
            for json in mutations(&to_json_string(&m).unwrap()) {
                agree::<InstantiateMsg, derived::InstantiateMsg>(&json);
                n += 1;
            }
        }
        for m in execute_msgs() {
            for json in mutations(&to_json_string(&m).unwrap()) {
                agree::<ExecuteMsg, derived::ExecuteMsg>(&json);
                n += 1;
            }
        }
        for m in query_msgs() {
            for json in mutations(&to_json_string(&m).unwrap()) {
                agree::<QueryMsg, derived::QueryMsg>(&json);
                n += 1;
            }
        }
        for json in mutations(r#"{"a":1}"#) {
            agree::<MigrateMsg, derived::MigrateMsg>(&json);
        }
        // Hand-picked edges: enum spellings, numbers, whitespace, escapes.
        for json in [
            r#""pause""#,
            r#"{"pause":null}"#,
            r#"{"pause":{},"fund":{}}"#,
            r#"{}"#,
            r#"[]"#,
            r#"{"rollback":{"version":4294967295}}"#,
            r#"{"rollback":{"version":4294967296}}"#,
            r#"{"rollback":{"version":1.5}}"#,
            r#"{"rollback":{"version":1e3}}"#,
            r#"{"rollback":{"version":-0}}"#,
            r#" { "rollback" : { "version" : 7 } } "#,
            r#"{"rollback":{"version":7}} x"#,
            r#"{"update_admin":{"admin":"a\u0000\"\\\/b\ud83d\ude00"}}"#,
            r#"{"update_config":null}"#,
            r#""update_config""#,
            r#"{"update_config":{"deny_threshold":null,"deny_threshold":null}}"#,
            r#"{"update_config":{"reward":{"none":null}}}"#,
            r#"{"update_config":{"reward":"none"}}"#,
            r#"{"update_config":{"reward":{"fixed":{"amount":"01"}}}}"#,
            r#"{"update_config":{"reward":{"fixed":{"amount":1}}}}"#,
            r#"{"update_config":{"reward":{"bond_share":{"share":"1.0000000000000000001"}}}}"#,
            r#"{"update_config":{"paused_check":"allow"}}"#,
            r#"{"update_config":{"paused_check":{"allow":{}}}}"#,
            r#"{"update_config":{"paused_check":"Allow"}}"#,
            r#"{"propose_model":{"model":"AAE="}}"#,
            r#"{"propose_model":{"model":"AAE"}}"#,
            r#"{"propose_model":{"model":"AAF="}}"#,
            r#"{"propose_model":{"model":"A==="}}"#,
            r#"{"propose_model":{"model":""}}"#,
            r#"{"remove_test_samples":{"ids":[1,2,-3]}}"#,
            r#"{"add_test_samples":{"samples":[{"features":[],"label":1}]}}"#,
        ] {
            agree::<ExecuteMsg, derived::ExecuteMsg>(json);
        }
        for json in [
            r#""config""#,
            r#"{"config":{}}"#,
            r#"{"model":{}}"#,
            r#"{"model":{"version":null}}"#,
            r#"{"test_set":{"start_after":4294967296}}"#,
            r#"{"proposals":{"start_after":18446744073709551615}}"#,
            r#"{"proposals":{"start_after":18446744073709551616}}"#,
            r#"{"score":{"features":["1",2]}}"#,
        ] {
            agree::<QueryMsg, derived::QueryMsg>(json);
        }
        assert!(n > 1_000, "{n} inputs");
    }

    #[test]
    fn structs_as_arrays_are_refused() {
        // serde reads a struct from an array of its field values where the
        // format allows it; serde-json-wasm (the contract's) does not.
        for json in [r#"{"rollback":[3]}"#, r#"{"propose_model":["AAE="]}"#] {
            assert!(from_json::<derived::ExecuteMsg>(json).is_err());
            assert!(from_json::<ExecuteMsg>(json).is_err());
        }
    }

    #[test]
    fn errors_speak_serde() {
        let err = |json: &str| from_json::<ExecuteMsg>(json).unwrap_err().to_string();
        assert!(err(r#"{"roll_back":{"version":1}}"#).contains("unknown variant `roll_back`"));
        assert!(err(r#"{"rollback":{}}"#).contains("missing field `version`"));
        assert!(
            err(r#"{"rollback":{"version":1,"version":2}}"#).contains("duplicate field `version`")
        );
        let e = err(r#"{"update_config":{"eval_bach":1}}"#);
        assert!(
            e.contains("unknown field `eval_bach`, expected one of `min_bond`"),
            "{e}"
        );
        assert!(err(r#"{"rollback":{"version":"1"}}"#).contains("`version`"));
    }

    #[test]
    fn responses_match_serde() {
        let tricky = "a\"b\\c\u{0}\u{1f}\u{7f}\n\r\t\u{8}\u{c}é😀/";
        let metrics = Metrics {
            tp: 1,
            fp: 2,
            tn: u32::MAX,
            fn_: 0,
            accuracy: dec("0.5"),
            f1: Decimal::MAX,
            precision: dec("0"),
            recall: dec("1"),
        };
        let check = |a: Vec<u8>, b: Vec<u8>| {
            assert_eq!(String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap())
        };
        for r in [
            ScoreResponse {
                score: dec("0.123"),
                score_bits: u32::MAX,
                label: true,
                model_version: 3,
                contributions: vec![
                    Contribution {
                        feature: 1,
                        value: SignedDecimal::from_str("-1.5").unwrap(),
                    },
                    Contribution {
                        feature: u16::MAX,
                        value: SignedDecimal::MAX,
                    },
                ],
            },
            ScoreResponse {
                score: dec("0"),
                score_bits: 0,
                label: false,
                model_version: 0,
                contributions: vec![],
            },
        ] {
            check(r.to_json(), to_json_vec(&r).unwrap());
        }
        let r = CheckResponse {
            allow: false,
            score: dec("1"),
            threshold: dec("0.999999999999999999"),
            model_version: 9,
            paused: true,
        };
        check(r.to_json(), to_json_vec(&r).unwrap());
        for metrics in [None, Some(metrics)] {
            let r = ModelResponse {
                version: 1,
                active: true,
                hash: "ab".repeat(32),
                family: tricky.into(),
                proposer: tricky.into(),
                size: 7,
                cost_ops: u64::MAX,
                inference_sdk_gas: 0,
                metrics,
                test_set_version: metrics.map(|_| 4),
            };
            check(r.to_json(), to_json_vec(&r).unwrap());
        }
        for (reward, deny_threshold, paused_check) in [
            (RewardRule::None, None, PausedCheck::Allow),
            (
                RewardRule::Fixed {
                    amount: Uint128::MAX,
                },
                Some(dec("0.5")),
                PausedCheck::Deny,
            ),
            (
                RewardRule::BondShare { share: dec("0.1") },
                None,
                PausedCheck::Error,
            ),
        ] {
            let r = ConfigResponse {
                admin: tricky.into(),
                n_features: u16::MAX,
                bond_denom: tricky.into(),
                min_bond: Uint128::new(1),
                margins: Margins {
                    f1: Margin {
                        min_gain: dec("0.01"),
                        tolerance: dec("0.02"),
                    },
                    ..Margins::default()
                },
                reward,
                max_inference_ops: 5,
                deny_threshold,
                paused_check,
                max_class_ratio: dec("2"),
                eval_batch: 1,
                paused: true,
                vault: Uint128::zero(),
                active_version: 2,
                test_set_version: 3,
                positives: 4,
                negatives: 5,
            };
            check(r.to_json(), to_json_vec(&r).unwrap());
        }
        for samples in [
            vec![],
            vec![
                StoredSample {
                    id: 0,
                    features: vec![],
                    label: true,
                },
                StoredSample {
                    id: u32::MAX,
                    features: vec!["1.5".into(), tricky.into()],
                    label: false,
                },
            ],
        ] {
            let r = TestSetResponse {
                version: 7,
                samples,
            };
            check(r.to_json(), to_json_vec(&r).unwrap());
        }
        let proposal = |status, accepted_version| ProposalResponse {
            id: u64::MAX,
            proposer: tricky.into(),
            bond: Uint128::new(1000),
            hash: "00ff".into(),
            status,
            test_set_version: 1,
            evaluated: 2,
            total: 3,
            candidate: metrics,
            incumbent: Metrics::default(),
            accepted_version,
        };
        for proposals in [
            vec![],
            vec![
                proposal(ProposalStatus::Evaluating, None),
                proposal(ProposalStatus::Accepted, Some(2)),
                proposal(ProposalStatus::Rejected, None),
                proposal(ProposalStatus::Cancelled, None),
            ],
        ] {
            let r = ProposalsResponse { proposals };
            check(r.to_json(), to_json_vec(&r).unwrap());
        }
        let r = CostResponse {
            ops: 1,
            model_bytes: 2,
            compute_sdk_gas: 3,
            read_sdk_gas: u64::MAX,
            within_budget: true,
        };
        check(r.to_json(), to_json_vec(&r).unwrap());
    }

    #[test]
    fn cw2_record_is_cw2s() {
        let mut storage = cosmwasm_std::MemoryStorage::new();
        for (name, version) in [("crates.io:vigil-guard", "0.1.0"), ("a\"b", "1.2.3-rc.1")] {
            cw2::set_contract_version(&mut storage, name, version).unwrap();
            let stored = cosmwasm_std::Storage::get(&storage, CW2_KEY).unwrap();
            assert_eq!(stored, cw2_record(name, version));
            assert_eq!(
                cw2_parse(&stored).unwrap(),
                (name.to_string(), version.to_string())
            );
        }
        // cw2 ignores unknown fields, and so does the reader
        assert_eq!(
            cw2_parse(br#"{"version":"2","x":1,"contract":"c"}"#).unwrap(),
            ("c".to_string(), "2".to_string())
        );
        assert!(cw2_parse(br#"{"contract":"c"}"#).is_err());
        assert!(cw2_parse(b"[]").is_err());
    }
}
