//! Loading a scenario: read the TOML chain (`extends`), merge it with provenance, read the
//! CSV tables it names, and validate everything into a [`Scenario`].
//!
//! The order matters for messages: the TOML is read and merged first (so a key from a parent
//! file keeps its own file and line), then the horizon is fixed (dates in the tables are
//! checked against it), then regions and commodities (everything else refers to them), then
//! the tables that refer to them, and the bloc last.

mod bloc;
mod check;
mod counter;
pub(crate) mod csv_table;
mod de;
mod dynamics;
mod limits;
mod origin;
mod scenario;
mod strategy;
mod tables;
mod tree;
mod uncertain;

use crate::model::Scenario;
use crate::source::{normalize, Disk, FileSource};
use crate::uncertain::Uncertain;
use crate::ScenarioError;
use check::Known;
use csv_table::{CsvTable, Schema};
use de::{At, Located};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tree::{Kind, Node};

/// The name of the scenario file in a scenario folder.
pub const SCENARIO_FILE: &str = "scenario.toml";

/// Longest `extends` chain accepted.
const MAX_EXTENDS_DEPTH: usize = 32;

/// Loads the scenario at `path` from the file system: a folder holding `scenario.toml`, or a
/// `.toml` file. Everything is validated before it returns.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    load_from(&Disk, path)
}

/// Loads the scenario at `path` from `files` (the file system, or an embedded set).
pub fn load_from(files: &dyn FileSource, path: &Path) -> Result<Scenario, ScenarioError> {
    load_with_uncertain(files, path).map(|(s, _)| s)
}

/// The file name of the `k`-th change layer (1-based) of [`load_with_changes`], beside the
/// scenario's own file: what an error in a change names.
pub fn change_file_name(k: usize) -> String {
    format!("with_changes-{k}.toml")
}

/// `files` with `changes` laid over the scenario at `path`, in order, and the path to load:
/// each change a TOML document of the scenario's keys (`[bloc] members = [...]`,
/// `[[bloc.floor]]`, ...) that extends the one before, exactly as a file with `extends` would
/// (tables merge key by key, arrays replace). The layers are held in memory as
/// `with_changes-1.toml`, ... beside the scenario's file, so an error in one names that file,
/// its line and its key. With no change, the path is the scenario's own.
pub fn with_changes<'a>(
    files: &'a dyn FileSource,
    path: &Path,
    changes: &[String],
) -> Result<(crate::Layered<'a, dyn FileSource + 'a>, PathBuf), ScenarioError> {
    let path = normalize(path);
    let mut over = crate::Embedded::new();
    if changes.is_empty() {
        return Ok((crate::Layered::new(files, over), path));
    }
    let top = if files.is_dir(&path) {
        path.join(SCENARIO_FILE)
    } else {
        path
    };
    let dir = top.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut below = top
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut last = top.clone();
    for (i, text) in changes.iter().enumerate() {
        let name = change_file_name(i + 1);
        let file = dir.join(&name);
        if let Ok(doc) = text.parse::<toml_edit::DocumentMut>() {
            if doc.contains_key("extends") {
                return Err(ScenarioError::invalid(
                    &file,
                    None,
                    Some("extends"),
                    "a change cannot set `extends`: it always extends the scenario it changes; load the other scenario instead",
                ));
            }
        }
        let quoted = toml_edit::Value::from(below.as_str()).to_string();
        over.insert(&file, format!("extends = {quoted}\n{text}").into_bytes());
        below = name;
        last = file;
    }
    Ok((crate::Layered::new(files, over), last))
}

/// Loads the scenario at `path` from `files` with `changes` laid over it (see
/// [`with_changes`]), with its `[[uncertain]]` inputs.
pub fn load_with_changes(
    files: &dyn FileSource,
    path: &Path,
    changes: &[String],
) -> Result<(Scenario, Vec<Uncertain>), ScenarioError> {
    let (layered, top) = with_changes(files, path, changes)?;
    load_with_uncertain(&layered, &top)
}

/// Loads one sample of a sweep: the scenario at `path` from `files` (the files as written
/// with the sample's draws laid over them), without checking its `[[uncertain]]` inputs
/// again. They were checked on the files as written; a draw may leave no row that a selector
/// chose by the value it replaced (`where = { elasticity = "-0.3" }` with `apply = "set"`).
pub fn load_sample(files: &dyn FileSource, path: &Path) -> Result<Scenario, ScenarioError> {
    load_inner(files, path, false).map(|(s, _)| s)
}

/// Loads the scenario at `path` from `files`, with its `[[uncertain]]` inputs, each checked
/// against the scenario as written (its table, column and selector, or its key).
pub fn load_with_uncertain(
    files: &dyn FileSource,
    path: &Path,
) -> Result<(Scenario, Vec<Uncertain>), ScenarioError> {
    load_inner(files, path, true)
}

fn load_inner(
    files: &dyn FileSource,
    path: &Path,
    with_uncertain: bool,
) -> Result<(Scenario, Vec<Uncertain>), ScenarioError> {
    let path = normalize(path);
    let top = if files.is_dir(&path) {
        path.join(SCENARIO_FILE)
    } else {
        path
    };
    let mut reader = Reader {
        files,
        read: Vec::new(),
        notes: tree::Notes::default(),
    };
    let tree = reader.toml_chain(&top, None, &mut Vec::new())?;
    let raw: scenario::ScenarioRaw = de::from_node(&tree)?;

    let name = scenario::check_name(&raw.name)?;
    let description = raw
        .description
        .as_ref()
        .map(|d| d.value.trim().to_string())
        .unwrap_or_default();
    let base_year = scenario::check_base_year(&raw.base_year)?;
    let seed = scenario::check_seed(raw.seed.as_ref())?;
    let time = scenario::check_time(raw.time.as_ref())?;

    let t = &raw.tables.value;
    let Tables {
        regions,
        commodities,
        refs,
        processes,
        demand,
        transport,
        tariffs,
    } = reader.tables(t, &time)?;

    // What the bloc, counter-policy and growth checks need of the rest, built once.
    let ctx = bloc::BlocCtx {
        time: &time,
        regions: &refs.regions,
        commodities: &refs.commodities,
        processes: &processes,
    };
    let bloc = bloc::check_bloc(raw.bloc.as_ref(), &ctx)?;
    let counter = counter::check_counter(&raw, &ctx)?;
    let strategies = strategy::check_strategies(&raw.strategy, &bloc, &ctx)?;
    let origin = origin::check_origin(raw.origin.as_ref(), &bloc, &counter, &strategies, &ctx)?;

    let uncertain = if with_uncertain {
        uncertain::check_uncertain(raw.uncertain.as_ref(), &tree, t, files)?
    } else {
        Vec::new()
    };
    let investment = dynamics::check_investment(raw.investment.as_ref())?;
    let closures = dynamics::check_closures(raw.closures.as_ref())?;
    let demand_growth = dynamics::check_demand_growths(&raw.demand_growth, &ctx)?;
    let recycling = dynamics::check_recyclings(&raw.recycling, &ctx)?;
    let baseline = check_baseline(raw.baseline.as_ref(), files)?;
    let hash = reader.hash();
    let files = reader.read.iter().map(|(p, _)| p.clone()).collect();

    Ok((
        Scenario {
            name,
            description,
            base_year,
            seed,
            time,
            regions,
            commodities,
            processes,
            demand,
            transport,
            tariffs,
            bloc,
            counter,
            origin,
            strategies,
            investment,
            closures,
            demand_growth,
            recycling,
            baseline,
            files,
            hash,
            warnings: reader.notes.0,
        },
        uncertain,
    ))
}

/// The scenario's tables, checked against each other.
struct Tables {
    regions: Vec<crate::model::Region>,
    commodities: Vec<crate::model::Commodity>,
    refs: tables::Refs,
    processes: Vec<crate::model::Process>,
    demand: Vec<crate::model::Demand>,
    transport: Vec<crate::model::TransportRule>,
    tariffs: Vec<crate::model::TariffRule>,
}

/// `baseline = "..."`: the path as written, which must name a scenario folder or file.
fn check_baseline(
    baseline: Option<&Located<String>>,
    files: &dyn FileSource,
) -> Result<Option<PathBuf>, ScenarioError> {
    let Some(b) = baseline else {
        return Ok(None);
    };
    let p = PathBuf::from(b.value.trim());
    if b.value.trim().is_empty() || !(files.is_dir(&p) || files.read(&p).is_ok()) {
        return Err(b.error(format!(
            "cannot find the baseline scenario `{}`; name a scenario folder or .toml file, relative to the file that names it, as `baseline = \"no-bloc.toml\"`",
            b.value
        )));
    }
    Ok(Some(p))
}

/// The most routes a scenario may have (each a column of every period's problem): the
/// benchmark's large world has 93,600; two million would take gigabytes and hours a period.
pub const MAX_ROUTES: usize = 2_000_000;

/// Refuses a scenario whose transport rules make more than [`MAX_ROUTES`] routes, before
/// any route is built, naming the widest rule. The count is an upper bound: the sum over
/// rules of the (origin, destination, commodity) triples each matches, at most
/// regions × regions × commodities.
fn check_route_count(
    rules: &[crate::model::TransportRule],
    nr: usize,
    nc: usize,
    file: &Path,
) -> Result<(), ScenarioError> {
    use crate::model::Sel;
    let width = |r: &crate::model::TransportRule| {
        let n = |any: bool, k: usize| if any { k } else { 1 };
        n(matches!(r.origin, Sel::Any), nr)
            .saturating_mul(n(matches!(r.destination, Sel::Any), nr))
            .saturating_mul(n(matches!(r.commodity, Sel::Any), nc))
    };
    let all = nr.saturating_mul(nr).saturating_mul(nc);
    let bound = rules
        .iter()
        .map(width)
        .fold(0usize, usize::saturating_add)
        .min(all);
    if bound <= MAX_ROUTES {
        return Ok(());
    }
    let widest = rules
        .iter()
        .max_by_key(|r| width(r))
        .expect("a bound above 0 has a rule");
    Err(ScenarioError::invalid(
        file.to_path_buf(),
        Some(widest.line),
        Some("origin"),
        format!(
            "the transport rules make up to {bound} routes ({nr} regions × {nr} × {nc} commodities at most), more than the {MAX_ROUTES} this engine solves; this rule alone matches {}. Name the origins, destinations or commodities that trade instead of `*`, or split the world",
            width(widest)
        ),
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Reads files through a [`FileSource`], keeping every file read, in order.
struct Reader<'a> {
    files: &'a dyn FileSource,
    read: Vec<(PathBuf, Vec<u8>)>,
    /// What the `extends` merges replaced (see [`tree::merge`]).
    notes: tree::Notes,
}

impl Reader<'_> {
    /// Reads `path`; when a TOML key named it, a failure is reported at that key.
    fn read(&mut self, path: &Path, named_by: Option<&At>) -> Result<Vec<u8>, ScenarioError> {
        match self.files.read(path) {
            Ok(bytes) => {
                self.read.push((path.to_path_buf(), bytes.clone()));
                Ok(bytes)
            }
            Err(e) => Err(match named_by {
                Some(at) => at.error(format!(
                    "cannot read `{}`: {e}; check the path, which is relative to the file that names it",
                    path.display()
                )),
                None => ScenarioError::Io {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                },
            }),
        }
    }

    /// Reads the TOML file at `path` and, recursively, the files it `extends`; returns the
    /// merged tree. `stack` holds the files being read, to catch a cycle.
    fn toml_chain(
        &mut self,
        path: &Path,
        named_by: Option<&At>,
        stack: &mut Vec<PathBuf>,
    ) -> Result<Node, ScenarioError> {
        let bytes = self.read(path, named_by)?;
        let text = decode(path, &bytes)?;
        let file: Arc<Path> = Arc::from(path);
        let mut node = tree::parse(&file, text)?;
        let dir = path.parent().unwrap_or(Path::new(""));
        resolve_tables(&mut node, dir);
        if let Some(Node {
            kind: Kind::Str(s), ..
        }) = node.get_mut("baseline")
        {
            if !s.trim().is_empty() {
                *s = normalize(&dir.join(s.trim()))
                    .to_string_lossy()
                    .into_owned();
            }
        }
        let Some(ext) = node.remove("extends") else {
            return tree::settle(node, "");
        };
        let at = At {
            file: path.to_path_buf(),
            line: ext.at.line,
            field: "extends".to_string(),
        };
        let Kind::Str(parent) = &ext.kind else {
            return Err(at.error(
                "`extends` must be a quoted path to the scenario this one builds on, as `extends = \"base.toml\"`",
            ));
        };
        let parent = normalize(&dir.join(parent));
        stack.push(path.to_path_buf());
        if let Some(i) = stack.iter().position(|p| *p == parent) {
            let top_dir = stack[0].parent().unwrap_or(Path::new(""));
            let chain: Vec<String> = stack[i..]
                .iter()
                .chain(std::iter::once(&parent))
                .map(|p| p.strip_prefix(top_dir).unwrap_or(p).display().to_string())
                .collect();
            return Err(at.error(format!(
                "`extends` makes a cycle: {}; a scenario cannot extend itself, so remove one of these `extends`",
                chain.join(" → ")
            )));
        }
        // `stack` holds this file and the files that extend it; `parent` would be one more.
        if stack.len() + 1 > MAX_EXTENDS_DEPTH {
            return Err(at.error(format!(
                "the `extends` chain is longer than {MAX_EXTENDS_DEPTH} files (the limit); shorten it"
            )));
        }
        let base = self.toml_chain(&parent, Some(&at), stack)?;
        stack.pop();
        tree::merge(base, node, "", &mut self.notes)
    }

    /// Reads the table named by the TOML key `named` against `schema`.
    /// The SHA-256 of every file read, in the order read.
    fn hash(&self) -> String {
        let mut hasher = Sha256::new();
        for (_, bytes) in &self.read {
            hasher.update(bytes);
        }
        hex(&hasher.finalize())
    }

    /// Reads and checks the tables `t` names, in the order a reader fixes them: regions and
    /// commodities first (every other table names them), processes and their projects,
    /// inputs, demand, transport, tariffs, outputs.
    fn tables(
        &mut self,
        t: &scenario::TablesRaw,
        time: &crate::model::TimeAxis,
    ) -> Result<Tables, ScenarioError> {
        let regions_t = self.table(&t.regions, tables::REGIONS)?;
        let regions = tables::check_regions(&regions_t)?;
        let commodities_t = self.table(&t.commodities, tables::COMMODITIES)?;
        let commodities = tables::check_commodities(&commodities_t)?;
        let refs = tables::Refs {
            regions: Known::new(
                "region",
                file_name(&regions_t.file),
                regions.iter().map(|r| r.id.to_string()),
            ),
            commodities: Known::new(
                "commodity",
                file_name(&commodities_t.file),
                commodities.iter().map(|c| c.id.to_string()),
            ),
        };
        let processes_t = self.table(&t.processes, tables::PROCESSES)?;
        let processes_file = file_name(&processes_t.file);
        let mut processes = tables::check_processes(&processes_t, &refs, time)?;
        if let Some(projects) = &t.projects {
            let projects_t = self.table(projects, dynamics::PROJECTS)?;
            let planned =
                dynamics::check_projects(&projects_t, &refs, time, &processes, &processes_file)?;
            processes.extend(planned);
        }
        if let Some(inputs) = &t.inputs {
            let inputs_t = self.table(inputs, tables::INPUTS)?;
            tables::check_inputs(
                &inputs_t,
                &mut processes,
                &processes_file,
                &commodities,
                &refs,
            )?;
        }
        let demand_t = self.table(&t.demand, tables::DEMAND)?;
        let demand = tables::check_demand(&demand_t, &refs)?;
        let transport = match &t.transport {
            Some(p) => {
                let table = self.table(p, tables::TRANSPORT)?;
                let rules = tables::check_transport(&table, &refs)?;
                check_route_count(&rules, regions.len(), commodities.len(), &table.file)?;
                rules
            }
            None => Vec::new(),
        };
        let tariffs = match &t.tariffs {
            Some(p) => tables::check_tariffs(&self.table(p, tables::TARIFFS)?, &refs)?,
            None => Vec::new(),
        };
        if let Some(outputs) = &t.outputs {
            let outputs_t = self.table(outputs, tables::OUTPUTS)?;
            tables::check_outputs(&outputs_t, &mut processes, &processes_file, &refs)?;
        }
        Ok(Tables {
            regions,
            commodities,
            refs,
            processes,
            demand,
            transport,
            tariffs,
        })
    }

    fn table(
        &mut self,
        named: &Located<String>,
        schema: Schema,
    ) -> Result<CsvTable, ScenarioError> {
        let path = PathBuf::from(&named.value);
        if named.value.trim().is_empty() {
            return Err(named.error(format!(
                "the path is empty; name the {} table's CSV file, as `{} = \"{}.csv\"`",
                schema.table, schema.table, schema.table
            )));
        }
        let bytes = self.read(&path, Some(&named.at))?;
        CsvTable::read(&path, &bytes, schema)
    }
}

/// UTF-8 text, without a BOM.
fn decode<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, ScenarioError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let ok = bytes.get(..e.valid_up_to()).unwrap_or_default();
        let line = ok.iter().filter(|&&b| b == b'\n').count() + 1;
        ScenarioError::invalid(
            path.to_path_buf(),
            Some(line),
            None,
            "the file is not valid UTF-8 text; save it as UTF-8",
        )
    })
}

/// `[tables]` paths are relative to the file that names them: resolve them before the merge,
/// while it is still known which file that is.
fn resolve_tables(node: &mut Node, dir: &Path) {
    if let Some(Node {
        kind: Kind::Table(entries),
        ..
    }) = node.get_mut("tables")
    {
        for (_, v) in entries.iter_mut() {
            if let Kind::Str(s) = &mut v.kind {
                if !s.trim().is_empty() {
                    *s = normalize(&dir.join(s.trim()))
                        .to_string_lossy()
                        .into_owned();
                }
            }
        }
    }
}

#[cfg(test)]
mod column_names {
    use super::csv_table::{markdown_table, Column, Schema};
    use super::{dynamics, tables};

    /// Every CSV schema, in the order of the README's tables.
    const SCHEMAS: [Schema; 9] = [
        tables::REGIONS,
        tables::COMMODITIES,
        tables::PROCESSES,
        tables::INPUTS,
        tables::OUTPUTS,
        tables::DEMAND,
        tables::TRANSPORT,
        tables::TARIFFS,
        dynamics::PROJECTS,
    ];

    /// The string literal that is the second argument of each `{call}(row, "column")` in
    /// `src`, possibly across lines (a call whose first argument is a literal, as the
    /// schemas' `.number("t/yr", …)`, or that has none, is not a read).
    fn columns_read<'a>(src: &'a str, call: &str) -> Vec<&'a str> {
        let mut out = Vec::new();
        for piece in src.split(call).skip(1) {
            let Some(q) = piece.find('"') else { continue };
            if piece[..q].contains(')') || !piece[..q].contains(',') {
                continue;
            }
            let rest = &piece[q + 1..];
            out.push(&rest[..rest.find('"').unwrap()]);
        }
        out
    }

    /// Every `cell(row, "name")`, `number(row, "name")` and `opt_number(row, "name")` in a
    /// loader names a column of one of that file's schemas (issue 16, item 7: a misspelt name
    /// used to read as an empty optional cell), and a column read as a number has a bound and
    /// an example in its schema (issue 16, item 8: `Cell::number` takes them from there).
    #[test]
    fn every_column_read_is_in_a_schema() {
        let files: [(&str, &str, &[Schema]); 2] = [
            ("tables.rs", include_str!("tables.rs"), &SCHEMAS[..8]),
            ("dynamics.rs", include_str!("dynamics.rs"), &SCHEMAS[8..]),
        ];
        let mut checked = 0;
        let mut numbers = 0;
        for (name, src, schemas) in files {
            let find = |column: &str| -> Vec<&Column> {
                schemas
                    .iter()
                    .flat_map(|s| s.columns)
                    .filter(|c| c.name == column)
                    .collect()
            };
            for column in columns_read(src, ".cell(") {
                assert!(
                    !find(column).is_empty(),
                    "{name}: `{column}` is read but is no column of its schemas"
                );
                checked += 1;
            }
            for call in [".number(", ".opt_number("] {
                for column in columns_read(src, call) {
                    let found = find(column);
                    assert!(
                        !found.is_empty(),
                        "{name}: `{column}` is read but is no column of its schemas"
                    );
                    for c in found {
                        assert!(
                            c.bound.is_some() && !c.example.is_empty(),
                            "{name}: `{column}` is read as a number but its schema gives it no bound or example"
                        );
                    }
                    checked += 1;
                    numbers += 1;
                }
            }
        }
        assert!(
            checked > 30 && numbers >= 15,
            "only {checked} column reads ({numbers} numbers) found: the scan is broken"
        );
    }

    /// Every column says what it is: an example and a meaning; a number column a bound.
    #[test]
    fn every_column_is_described() {
        for s in SCHEMAS {
            for c in s.columns {
                assert!(
                    !c.example.is_empty() && !c.doc.is_empty(),
                    "{}: `{}` has no example or no doc",
                    s.table,
                    c.name
                );
                assert!(
                    !c.doc.contains('|') && !c.doc.contains('\n'),
                    "{}: the doc of `{}` must be one line without `|` (it is a table cell)",
                    s.table,
                    c.name
                );
            }
        }
    }

    const BEGIN: &str = "<!-- csv-tables: generated from the schemas by `markdown_table`; BLOC_UPDATE_README=1 cargo test -p bloc-scenario readme_tables rewrites it -->\n";
    const END: &str = "<!-- /csv-tables -->";

    /// The README's CSV tables (section "The CSV tables"), as the schemas make them.
    fn generated() -> String {
        let tables: Vec<String> = SCHEMAS.iter().map(markdown_table).collect();
        tables.join("\n")
    }

    /// README.md's format tables of the CSV files are exactly what the schemas generate: each
    /// column with its required flag, unit, bound, example and meaning (issue 16, item 8).
    /// With `BLOC_UPDATE_README=1` the test writes them into README.md instead.
    #[test]
    fn readme_tables() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
        let readme = std::fs::read_to_string(path).expect("README.md");
        let start = readme
            .find(BEGIN)
            .expect("README.md has the csv-tables begin marker")
            + BEGIN.len();
        let end = start
            + readme[start..]
                .find(END)
                .expect("README.md has the `<!-- /csv-tables -->` marker");
        let want = generated();
        if std::env::var("BLOC_UPDATE_README").as_deref() == Ok("1") {
            let updated = format!("{}{want}{}", &readme[..start], &readme[end..]);
            std::fs::write(path, updated).expect("write README.md");
            return;
        }
        assert!(
            readme[start..end] == want,
            "README.md's CSV tables differ from the schemas; run \
             `BLOC_UPDATE_README=1 cargo test -p bloc-scenario readme_tables` and review the diff"
        );
        for s in SCHEMAS {
            assert!(readme.contains(&markdown_table(&s)), "{}", s.table);
        }
    }
}
