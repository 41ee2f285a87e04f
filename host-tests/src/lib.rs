//! Host-side checks on the WebAssembly Vigil ships.
//!
//! * [`shim`] builds `vigil-wasm-shim` (the core, no `alloc`/`std`/`float`)
//!   for `wasm32-unknown-unknown` as shipped;
//! * [`fuel`] meters its exports with wasmtime fuel (the cost model's
//!   calibration and its check in `tests/cost_bound.rs`);
//! * [`models`] builds models of every family and size, and inputs that
//!   drive their expensive paths;
//! * [`golden`] builds the golden vectors (`golden/vectors.json`) every
//!   engine must reproduce bit for bit (`tests/bit_exact.rs`);
//! * [`scan`] (below) finds forbidden instructions;
//! * [`artifact_root`]: the checkout whose `artifacts/vigil_guard.wasm`
//!   and `artifacts/vigil_governor.wasm` the contract tests load through
//!   `vigil_chain_sim::artifact` ([`Artifacts`]).
//!
//! The chain simulator (cosmwasm-vm with wasmd's gas) is the
//! `vigil-chain-sim` crate; [`gas`] and the contract tests run the shipped
//! artifact on it.
//!
//! Tools: `cargo run -p host-tests --bin cost-calibration` derives
//! the cost coefficients; `--bin profile-report` measures the `wasm`
//! profile's `opt-level` choices.
//!
//! [`scan`] walks a compiled module and reports every instruction (and every
//! function-type, local or global of a float or vector type) that a
//! deterministic, float-free build must not contain:
//!
//! * [`Category::Float`]: any `f32`/`f64` operation, including constants,
//!   loads/stores, conversions (`i32.trunc_f64_s`, `f64.convert_i64_u`, ...),
//!   reinterprets, saturating truncations and float-typed blocks/selects;
//! * [`Category::Simd`]: any `v128` operation;
//! * [`Category::BulkMemory`]: `memory.copy`, `memory.fill`, `memory.init`,
//!   `data.drop`, `table.copy`, `table.init`, `elem.drop`;
//! * [`Category::ReferenceTypes`]: `ref.null`, `ref.is_null`, `ref.func`,
//!   `table.get/set/grow/size/fill` and typed `select`.
//!
//! Callers decide which categories are fatal: float is always fatal for
//! Vigil; bulk memory is reported separately because recent Rust toolchains
//! enable it by default on `wasm32-unknown-unknown`.

#[cfg(feature = "fuel")]
pub mod fuel;
#[cfg(feature = "fuel")]
pub mod gas;
pub mod golden;
pub mod models;
pub mod shim;

/// The repository checkout these tests belong to (the workspace root), for
/// `vigil_chain_sim::artifact`'s functions.
pub fn artifact_root() -> std::path::PathBuf {
    shim::workspace_root()
}

/// The two shipped contracts: the guard integrators query and its
/// governor.
pub struct Artifacts {
    /// `artifacts/vigil_guard.wasm`.
    pub guard: Vec<u8>,
    /// `artifacts/vigil_governor.wasm`.
    pub governor: Vec<u8>,
}

impl Artifacts {
    /// Both artifacts of [`artifact_root`], each built first (into
    /// `target_dir`) if missing or stale.
    pub fn load(target_dir: &std::path::Path) -> Result<Artifacts, String> {
        let root = artifact_root();
        Ok(Artifacts {
            guard: vigil_chain_sim::artifact::load(&root, target_dir)?,
            governor: vigil_chain_sim::artifact::load_governor(&root, target_dir)?,
        })
    }

    /// A simulated chain holding both codes
    /// (`vigil_chain_sim::split::chain`: the governor first, then the
    /// guard), its VM cache in `cache_dir`.
    pub fn chain(&self, cache_dir: &std::path::Path) -> Result<vigil_chain_sim::Chain, String> {
        vigil_chain_sim::split::chain(
            &self.governor,
            &self.guard,
            cache_dir,
            vigil_chain_sim::WasmdGas::DEFAULT,
        )
    }
}

use std::collections::HashMap;
use std::fmt;

use wasmparser::{
    BinaryReaderError, ExternalKind, KnownCustom, Name, Operator, OperatorsReader, Parser, Payload,
    TypeRef, ValType,
};

/// What kind of forbidden construct a [`Finding`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// `f32`/`f64` instruction or value type.
    Float,
    /// `v128` (SIMD) instruction or value type.
    Simd,
    /// Bulk-memory instruction.
    BulkMemory,
    /// Reference-types instruction.
    ReferenceTypes,
}

impl Category {
    /// Every category, in reporting order.
    pub const ALL: [Category; 4] = [
        Category::Float,
        Category::Simd,
        Category::BulkMemory,
        Category::ReferenceTypes,
    ];
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Category::Float => "float",
            Category::Simd => "simd",
            Category::BulkMemory => "bulk-memory",
            Category::ReferenceTypes => "reference-types",
        })
    }
}

/// Where in the module a [`Finding`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// Inside a function body (index in the function index space, i.e.
    /// counting imported functions first). `name` comes from the `name`
    /// custom section, or from an export when there is no name section.
    Function {
        /// Function index.
        index: u32,
        /// Function name, when the module records one.
        name: Option<String>,
    },
    /// A function type in the type section.
    Type {
        /// Type index.
        index: u32,
    },
    /// A global's type or initialiser (index in the global index space).
    Global {
        /// Global index.
        index: u32,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Function {
                index,
                name: Some(name),
            } => write!(f, "function #{index} `{name}`"),
            Location::Function { index, name: None } => write!(f, "function #{index}"),
            Location::Type { index } => write!(f, "type #{index}"),
            Location::Global { index } => write!(f, "global #{index}"),
        }
    }
}

/// One forbidden construct found by [`scan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What kind of construct it is.
    pub category: Category,
    /// Where it is.
    pub location: Location,
    /// Byte offset in the module.
    pub offset: u64,
    /// The operator (its `wasmparser` `Debug` form, e.g. `F64Add`) or the
    /// offending value type (e.g. `local f64`).
    pub what: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}] {}: {} (offset {:#x})",
            self.category, self.location, self.what, self.offset
        )
    }
}

/// Findings of one category.
pub fn of_category(findings: &[Finding], category: Category) -> Vec<&Finding> {
    findings.iter().filter(|f| f.category == category).collect()
}

/// Number of findings per category, in [`Category::ALL`] order.
pub fn summary(findings: &[Finding]) -> Vec<(Category, usize)> {
    Category::ALL
        .iter()
        .map(|&c| (c, findings.iter().filter(|f| f.category == c).count()))
        .collect()
}

/// Formats findings one per line (at most `limit`, then a count of the rest).
pub fn report(findings: &[&Finding], limit: usize) -> String {
    let mut out = String::new();
    for finding in findings.iter().take(limit) {
        out.push_str(&format!("  {finding}\n"));
    }
    if findings.len() > limit {
        out.push_str(&format!("  ... and {} more\n", findings.len() - limit));
    }
    out
}

/// Names of the functions a module exports.
pub fn exported_functions(wasm: &[u8]) -> Result<Vec<String>, BinaryReaderError> {
    let mut names = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::ExportSection(reader) = payload? {
            for export in reader {
                let export = export?;
                if matches!(export.kind, ExternalKind::Func | ExternalKind::FuncExact) {
                    names.push(export.name.to_owned());
                }
            }
        }
    }
    Ok(names)
}

/// Scans a core WebAssembly module for float, SIMD, bulk-memory and
/// reference-types constructs. Errors only if the module is malformed.
pub fn scan(wasm: &[u8]) -> Result<Vec<Finding>, BinaryReaderError> {
    let mut findings = Vec::new();
    let mut imported_funcs = 0u32;
    let mut imported_globals = 0u32;
    let mut next_body = None::<u32>;
    let mut names: HashMap<u32, String> = HashMap::new();
    let mut export_names: HashMap<u32, String> = HashMap::new();

    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::TypeSection(reader) => {
                let mut index = 0u32;
                for group in reader {
                    for sub in group?.into_types() {
                        if let wasmparser::CompositeInnerType::Func(func) =
                            &sub.composite_type.inner
                        {
                            for (role, ty) in func
                                .params()
                                .iter()
                                .map(|t| ("param", t))
                                .chain(func.results().iter().map(|t| ("result", t)))
                            {
                                if let Some(category) = value_type_category(*ty) {
                                    findings.push(Finding {
                                        category,
                                        location: Location::Type { index },
                                        offset: 0,
                                        what: format!("{role} {}", val_type_name(*ty)),
                                    });
                                }
                            }
                        }
                        index += 1;
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports_with_offsets() {
                    let (offset, import) = import?;
                    match import.ty {
                        TypeRef::Func(_) | TypeRef::FuncExact(_) => imported_funcs += 1,
                        TypeRef::Global(global) => {
                            if let Some(category) = value_type_category(global.content_type) {
                                findings.push(Finding {
                                    category,
                                    location: Location::Global {
                                        index: imported_globals,
                                    },
                                    offset,
                                    what: format!(
                                        "imported global {}",
                                        val_type_name(global.content_type)
                                    ),
                                });
                            }
                            imported_globals += 1;
                        }
                        _ => {}
                    }
                }
            }
            Payload::GlobalSection(reader) => {
                for (index, global) in (imported_globals..).zip(reader.into_iter_with_offsets()) {
                    let (offset, global) = global?;
                    if let Some(category) = value_type_category(global.ty.content_type) {
                        findings.push(Finding {
                            category,
                            location: Location::Global { index },
                            offset,
                            what: format!("global {}", val_type_name(global.ty.content_type)),
                        });
                    }
                    scan_operators(
                        global.init_expr.get_operators_reader(),
                        &Location::Global { index },
                        &mut findings,
                    )?;
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    if matches!(export.kind, ExternalKind::Func | ExternalKind::FuncExact) {
                        export_names
                            .entry(export.index)
                            .or_insert_with(|| export.name.to_owned());
                    }
                }
            }
            Payload::CodeSectionStart { .. } => next_body = Some(imported_funcs),
            Payload::CodeSectionEntry(body) => {
                let index = next_body.unwrap_or(imported_funcs);
                next_body = Some(index + 1);
                let location = Location::Function { index, name: None };
                let mut locals = body.get_locals_reader()?;
                for _ in 0..locals.get_count() {
                    let offset = locals.original_position();
                    let (_, ty) = locals.read()?;
                    if let Some(category) = value_type_category(ty) {
                        findings.push(Finding {
                            category,
                            location: location.clone(),
                            offset,
                            what: format!("local {}", val_type_name(ty)),
                        });
                    }
                }
                scan_operators(body.get_operators_reader()?, &location, &mut findings)?;
            }
            Payload::CustomSection(reader) => {
                if let KnownCustom::Name(name_reader) = reader.as_known() {
                    for subsection in name_reader {
                        // A malformed name section only costs us names.
                        let Ok(Name::Function(map)) = subsection else {
                            continue;
                        };
                        for naming in map.into_iter().flatten() {
                            names.insert(naming.index, demangle(naming.name));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    for finding in &mut findings {
        if let Location::Function { index, name } = &mut finding.location {
            *name = names
                .get(index)
                .or_else(|| export_names.get(index))
                .cloned();
        }
    }
    Ok(findings)
}

/// Rust symbol names (legacy or v0 mangling) made readable, without hash.
fn demangle(name: &str) -> String {
    format!("{:#}", rustc_demangle::demangle(name))
}

fn scan_operators(
    reader: OperatorsReader<'_>,
    location: &Location,
    findings: &mut Vec<Finding>,
) -> Result<(), BinaryReaderError> {
    for item in reader.into_iter_with_offsets() {
        let (op, offset) = item?;
        let categories = operator_categories(&op);
        if categories.is_empty() {
            continue;
        }
        let what = format!("{op:?}");
        for category in categories {
            findings.push(Finding {
                category,
                location: location.clone(),
                offset,
                what: what.clone(),
            });
        }
    }
    Ok(())
}

/// The categories an operator falls into (usually none; `f32x4.add` is both
/// float and SIMD).
pub fn operator_categories(op: &Operator<'_>) -> Vec<Category> {
    let mut categories = Vec::new();
    if matches!(
        op,
        Operator::MemoryCopy { .. }
            | Operator::MemoryFill { .. }
            | Operator::MemoryInit { .. }
            | Operator::DataDrop { .. }
            | Operator::TableCopy { .. }
            | Operator::TableInit { .. }
            | Operator::ElemDrop { .. }
    ) {
        categories.push(Category::BulkMemory);
        return categories;
    }
    if matches!(
        op,
        Operator::RefNull { .. }
            | Operator::RefIsNull
            | Operator::RefFunc { .. }
            | Operator::TableGet { .. }
            | Operator::TableSet { .. }
            | Operator::TableGrow { .. }
            | Operator::TableSize { .. }
            | Operator::TableFill { .. }
            | Operator::TypedSelect { .. }
            | Operator::TypedSelectMulti { .. }
    ) {
        categories.push(Category::ReferenceTypes);
    }
    // The full Debug form names the operator and its immediates, so this also
    // catches float-typed blocks (`Block { blockty: Type(F64) }`) and typed
    // selects, besides every F32*/F64* operator and every *F32*/*F64*
    // conversion.
    let debug = format!("{op:?}");
    let name = debug
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or_default();
    if debug.contains("F32") || debug.contains("F64") {
        categories.push(Category::Float);
    }
    if is_simd_name(name) {
        categories.push(Category::Simd);
    }
    categories
}

/// `V128*` operators and lane-shaped ones (`I8x16*`, `I32x4*`, `F64x2*`, ...).
fn is_simd_name(name: &str) -> bool {
    name.contains("V128")
        || name
            .as_bytes()
            .windows(2)
            .any(|w| w[0] == b'x' && w[1].is_ascii_digit())
}

fn value_type_category(ty: ValType) -> Option<Category> {
    match ty {
        ValType::F32 | ValType::F64 => Some(Category::Float),
        ValType::V128 => Some(Category::Simd),
        _ => None,
    }
}

fn val_type_name(ty: ValType) -> String {
    match ty {
        ValType::I32 => "i32".into(),
        ValType::I64 => "i64".into(),
        ValType::F32 => "f32".into(),
        ValType::F64 => "f64".into(),
        ValType::V128 => "v128".into(),
        ValType::Ref(r) => format!("{r:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(text: &str) -> Vec<u8> {
        wat::parse_str(text).expect("test module is valid WAT")
    }

    #[test]
    fn finds_and_names_f64_add() {
        let wasm = module(
            r#"(module
                (func $clean (export "clean") (param i32) (result i32)
                    local.get 0
                    i32.const 1
                    i32.add)
                (func $dirty (param i32) (result i32)
                    f64.const 1.5
                    f64.const 2.25
                    f64.add
                    drop
                    local.get 0))"#,
        );
        let findings = scan(&wasm).unwrap();
        let floats = of_category(&findings, Category::Float);
        assert_eq!(floats.len(), 3, "{findings:#?}");
        let add = floats
            .iter()
            .find(|f| f.what == "F64Add")
            .expect("f64.add is reported");
        assert_eq!(
            add.location,
            Location::Function {
                index: 1,
                name: Some("dirty".into())
            }
        );
        assert!(add.to_string().contains("function #1 `dirty`: F64Add"));
        assert!(floats.iter().any(|f| f.what.starts_with("F64Const")));
        assert_eq!(summary(&findings)[0], (Category::Float, 3));
    }

    #[test]
    fn clean_integer_module_has_no_findings() {
        let wasm = module(
            r#"(module
                (memory 1)
                (func (export "f") (param i64 i64) (result i64)
                    local.get 0
                    local.get 1
                    i64.mul
                    i32.const 0
                    i64.load
                    i64.add))"#,
        );
        assert_eq!(scan(&wasm).unwrap(), Vec::new());
        assert_eq!(exported_functions(&wasm).unwrap(), vec!["f".to_string()]);
    }

    #[test]
    fn function_index_counts_imports_and_falls_back_to_export_name() {
        let wasm = module(
            r#"(module
                (import "env" "g" (func (param i32)))
                (func (export "conv") (param i64) (result i32)
                    local.get 0
                    f32.convert_i64_s
                    i32.reinterpret_f32))"#,
        );
        // Strip names by round-tripping through a parser would be overkill:
        // WAT gives imported funcs no name, and `conv` has only its export.
        let findings = scan(&wasm).unwrap();
        let floats = of_category(&findings, Category::Float);
        assert_eq!(floats.len(), 2, "{findings:#?}");
        for f in floats {
            assert_eq!(
                f.location,
                Location::Function {
                    index: 1,
                    name: Some("conv".into())
                }
            );
        }
    }

    #[test]
    fn float_types_locals_and_globals_are_reported() {
        let wasm = module(
            r#"(module
                (global f64 (f64.const 0))
                (func (param f32) (local f64)))"#,
        );
        let findings = scan(&wasm).unwrap();
        let whats: Vec<_> = findings.iter().map(|f| f.what.as_str()).collect();
        assert!(whats.contains(&"param f32"), "{whats:?}");
        assert!(whats.contains(&"local f64"), "{whats:?}");
        assert!(whats.contains(&"global f64"), "{whats:?}");
        assert!(whats.iter().any(|w| w.starts_with("F64Const")), "{whats:?}");
        assert!(findings.iter().all(|f| f.category == Category::Float));
    }

    #[test]
    fn bulk_memory_simd_and_reference_types_are_separate() {
        let wasm = module(
            r#"(module
                (memory 1)
                (table 1 funcref)
                (func $f (export "f")
                    i32.const 0
                    i32.const 8
                    i32.const 4
                    memory.copy
                    i32.const 0
                    i32.const 0
                    i32.const 4
                    memory.fill
                    v128.const i32x4 1 2 3 4
                    i32x4.extract_lane 0
                    drop
                    ref.func $f
                    drop
                    table.size 0
                    drop
                    i32.const 1
                    i32.const 2
                    i32.const 0
                    select (result i32)
                    drop)
                (elem declare func $f))"#,
        );
        let findings = scan(&wasm).unwrap();
        assert_eq!(
            summary(&findings),
            vec![
                (Category::Float, 0),
                (Category::Simd, 2),
                (Category::BulkMemory, 2),
                (Category::ReferenceTypes, 3),
            ],
            "{findings:#?}"
        );
    }

    #[test]
    fn f32x4_is_both_float_and_simd() {
        let wasm = module(
            r#"(module
                (func (result i32)
                    v128.const i32x4 0 0 0 0
                    v128.const i32x4 0 0 0 0
                    f32x4.add
                    i32x4.extract_lane 0))"#,
        );
        let findings = scan(&wasm).unwrap();
        let add: Vec<_> = findings.iter().filter(|f| f.what == "F32x4Add").collect();
        assert_eq!(add.len(), 2);
        assert!(add.iter().any(|f| f.category == Category::Float));
        assert!(add.iter().any(|f| f.category == Category::Simd));
    }

    #[test]
    fn malformed_module_is_an_error() {
        assert!(scan(b"\0asm\x01\0\0\0\x0a\xff").is_err());
    }
}
