//! `extends`: tables merge key by key, arrays replace whole, table paths resolve relative to
//! the file that names them, cycles are caught, and errors point into the file that wrote
//! the key.

use bloc_scenario::{load, load_from, Embedded, ScenarioError};
use std::path::{Path, PathBuf};

fn base_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/base"))
}

/// The corpus base copied into `dir/base/`, plus a `variants/` folder.
fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    std::fs::create_dir_all(&base).unwrap();
    std::fs::create_dir_all(dir.path().join("variants")).unwrap();
    for f in std::fs::read_dir(base_dir()).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), base.join(f.file_name())).unwrap();
    }
    dir
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

fn invalid(e: &ScenarioError) -> (String, Option<usize>, Option<String>, String) {
    match e {
        ScenarioError::Invalid { at, message } => (
            at.file.file_name().unwrap().to_string_lossy().into_owned(),
            at.line,
            at.field.clone(),
            message.clone(),
        ),
        other => panic!("not Invalid: {other}"),
    }
}

#[test]
fn table_paths_resolve_against_the_file_that_names_them() {
    let dir = setup();
    let v = dir.path().join("variants");
    let demand = std::fs::read_to_string(dir.path().join("base/demand.csv"))
        .unwrap()
        .replace("10000,60000", "20000,60000");
    write(&v.join("demand-high.csv"), &demand);
    write(
        &v.join("high.toml"),
        "extends = \"../base/scenario.toml\"\nname = \"high\"\n\n[tables]\ndemand = \"demand-high.csv\"\n\n[time]\nperiods = 12\n",
    );
    let s = load(&v.join("high.toml")).unwrap();
    assert_eq!(s.name, "high");
    assert_eq!(s.demand[0].quantity.0, 20000.0);
    // `[time]` merged key by key: periods from the variant, start and step from the base.
    assert_eq!(s.time.periods, 12);
    assert_eq!(s.time.label(0), "2026Q1");
    let names: Vec<String> = s
        .files
        .iter()
        .map(|p| {
            let parent = p.parent().unwrap().file_name().unwrap().to_string_lossy();
            format!("{parent}/{}", p.file_name().unwrap().to_string_lossy())
        })
        .collect();
    assert_eq!(
        names,
        [
            "variants/high.toml",
            "base/scenario.toml",
            "base/regions.csv",
            "base/commodities.csv",
            "base/processes.csv",
            "base/inputs.csv",
            "variants/demand-high.csv",
            "base/transport.csv",
            "base/tariffs.csv"
        ]
    );
}

#[test]
fn bloc_merges_by_key_and_arrays_replace_whole() {
    let dir = setup();
    let v = dir.path().join("variants");
    // Only the bloc's name: members and floors inherited.
    write(
        &v.join("renamed.toml"),
        "extends = \"../base/scenario.toml\"\nname = \"r\"\n[bloc]\nname = \"alliance\"\n",
    );
    let s = load(&v.join("renamed.toml")).unwrap();
    assert_eq!(s.bloc.name, "alliance");
    assert_eq!(s.bloc.members.len(), 2);
    assert_eq!(s.bloc.floors.len(), 1);
    // A new members array replaces the inherited two.
    write(
        &v.join("members.toml"),
        "extends = \"renamed.toml\"\nname = \"m\"\n[bloc]\nmembers = [{ region = \"CHN\", from = \"2027Q1\" }]\n",
    );
    let s = load(&v.join("members.toml")).unwrap();
    assert_eq!(s.bloc.name, "alliance");
    assert_eq!(s.bloc.members.len(), 1);
    assert_eq!(s.bloc.members[0].region.as_str(), "CHN");
    assert_eq!(s.bloc.members[0].span.from, 4);
    // An empty floor array removes the floors.
    write(
        &v.join("nofloor.toml"),
        "extends = \"members.toml\"\nname = \"n\"\n[bloc]\nfloor = []\n",
    );
    let s = load(&v.join("nofloor.toml")).unwrap();
    assert!(s.bloc.floors.is_empty());
    assert_eq!(s.bloc.members.len(), 1);
}

#[test]
fn errors_after_the_merge_point_into_the_file_that_wrote_the_key() {
    let dir = setup();
    let v = dir.path().join("variants");
    // The variant starts a quarter later; the base's member date of 2026Q1 now lies outside.
    write(
        &v.join("short.toml"),
        "extends = \"../base/scenario.toml\"\nname = \"s\"\n[time]\nstart = \"2026Q2\"\n",
    );
    let e = load(&v.join("short.toml")).unwrap_err();
    let (file, line, field, msg) = invalid(&e);
    assert_eq!(file, "scenario.toml", "{e}");
    assert_eq!(line, Some(24));
    assert_eq!(field.as_deref(), Some("bloc.members[0].from"));
    assert!(
        msg.contains("`2026Q1` lies outside the horizon 2026Q2–2028Q1 (8 periods)"),
        "{e}"
    );
    // A wrong key in the variant is reported in the variant.
    write(
        &v.join("typo.toml"),
        "extends = \"../base/scenario.toml\"\nname = \"t\"\n\n[bloc]\nnmae = \"x\"\n",
    );
    let (file, line, field, _) = invalid(&load(&v.join("typo.toml")).unwrap_err());
    assert_eq!(
        (file.as_str(), line, field.as_deref()),
        ("typo.toml", Some(5), Some("bloc.nmae"))
    );
    // A member region named in the variant that does not exist.
    write(
        &v.join("eu.toml"),
        "extends = \"../base/scenario.toml\"\nname = \"e\"\n[bloc]\nmembers = [\n  { region = \"USA\", from = \"2026Q1\" },\n  { region = \"EU\", from = \"2026Q1\" },\n]\n",
    );
    let (file, line, field, msg) = invalid(&load(&v.join("eu.toml")).unwrap_err());
    assert_eq!(
        (file.as_str(), line, field.as_deref()),
        ("eu.toml", Some(6), Some("bloc.members[1].region"))
    );
    assert!(msg.contains("the regions are `USA`, `CHN`, `AUS`"), "{msg}");
}

#[test]
fn cycles_name_the_chain() {
    let dir = setup();
    let v = dir.path().join("variants");
    write(&v.join("a.toml"), "extends = \"b.toml\"\nname = \"a\"\n");
    write(&v.join("b.toml"), "name = \"b\"\nextends = \"./c.toml\"\n");
    write(&v.join("c.toml"), "extends = \"../variants/a.toml\"\n");
    let e = load(&v.join("a.toml")).unwrap_err();
    let (file, line, field, msg) = invalid(&e);
    assert_eq!(
        (file.as_str(), line, field.as_deref()),
        ("c.toml", Some(1), Some("extends"))
    );
    assert!(msg.contains("a.toml → b.toml → c.toml → a.toml"), "{msg}");
    write(&v.join("self.toml"), "extends = \"self.toml\"\n");
    let (_, _, _, msg) = invalid(&load(&v.join("self.toml")).unwrap_err());
    assert!(msg.contains("self.toml → self.toml"), "{msg}");
}

#[test]
fn extends_works_in_an_embedded_set() {
    let mut e = Embedded::new();
    for f in std::fs::read_dir(base_dir()).unwrap() {
        let f = f.unwrap();
        e.insert(
            Path::new("world").join(f.file_name()),
            std::fs::read(f.path()).unwrap(),
        );
    }
    e.insert(
        "variants/v.toml",
        b"extends = \"../world/scenario.toml\"\nname = \"v\"\n[time]\nstep = \"year\"\nstart = \"2026\"\n".to_vec(),
    );
    // The base's process dates are quarters (2026Q3); in a yearly run they are an error,
    // reported in the CSV.
    let err = load_from(&e, Path::new("variants/v.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("world/processes.csv:4: field `online`: `2026Q3` names a quarter"),
        "{err}"
    );
    let s = load_from(&e, Path::new("world")).unwrap();
    assert_eq!(s.files[0], PathBuf::from("world/scenario.toml"));
}

#[test]
fn missing_tables_section_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("scenario.toml"),
        "name = \"x\"\nbase_year = 2024\n",
    );
    let (file, line, field, msg) = invalid(&load(dir.path()).unwrap_err());
    assert_eq!(
        (file.as_str(), line, field.as_deref()),
        ("scenario.toml", Some(1), Some("tables"))
    );
    assert!(
        msg.contains("the required key `tables` is missing"),
        "{msg}"
    );
}

#[test]
fn defaults_of_time_and_seed() {
    let dir = setup();
    let v = dir.path().join("variants");
    std::fs::copy(
        dir.path().join("base/processes.csv"),
        v.join("processes.csv"),
    )
    .unwrap();
    let toml = std::fs::read_to_string(dir.path().join("base/scenario.toml")).unwrap();
    // Drop [time] and seed: 2026Q1, 40 quarters, seed 0.
    let toml = toml.replace("seed = 7\n", "").replace(
        "[time]\nstart = \"2026Q1\"\nperiods = 8\nstep = \"quarter\"\n",
        "",
    );
    write(&dir.path().join("base/scenario.toml"), &toml);
    let s = load(&dir.path().join("base")).unwrap();
    assert_eq!(s.seed, 0);
    assert_eq!(s.time.periods, 40);
    assert_eq!(s.time.label(39), "2035Q4");
    assert_eq!(s.bloc.members[1].span.to, Some(7));
}

/// `load_with_changes` (what Python's `Scenario.with_changes` calls): each change extends
/// the one before exactly as a file would, and an error in a change names its layer.
#[test]
fn changes_layer_over_the_scenario_as_extending_files_would() {
    use bloc_scenario::{load_with_changes, Disk};
    let base = base_dir();
    let plain = load(&base).unwrap();
    let changes = [
        "name = \"changed\"\n[time]\nperiods = 12\n".to_string(),
        "[time]\nperiods = 10\n".to_string(),
    ];
    let (s, _) = load_with_changes(&Disk, &base, &changes).unwrap();
    assert_eq!(s.name, "changed");
    // The second change wins over the first; `[time]` merges key by key.
    assert_eq!(s.time.periods, 10);
    assert_eq!(s.time.label(0), plain.time.label(0));
    assert_eq!(s.demand, plain.demand);
    // No change: the scenario itself.
    let (same, _) = load_with_changes(&Disk, &base, &[]).unwrap();
    assert_eq!(same.name, plain.name);

    let e = load_with_changes(&Disk, &base, &["[time]\nperiods = 0\n".to_string()]).unwrap_err();
    let (file, line, field, _) = invalid(&e);
    assert_eq!(file, "with_changes-1.toml");
    // Line 1 is the `extends` the layer is given; the change's own line 2 is line 3.
    assert_eq!(line, Some(3));
    assert_eq!(field.as_deref(), Some("time.periods"));

    let e = load_with_changes(&Disk, &base, &["extends = \"x.toml\"\n".to_string()]).unwrap_err();
    let (file, _, field, message) = invalid(&e);
    assert_eq!(
        (file.as_str(), field.as_deref()),
        ("with_changes-1.toml", Some("extends"))
    );
    assert!(message.contains("cannot set `extends`"), "{message}");
}

/// Issue 21: an inherited array replaced whole is warned about, with both files and counts;
/// `members_add` appends instead, and `[[bloc.floor_override]]` changes one floor by commodity.
#[test]
fn replacing_an_inherited_array_warns_and_the_explicit_forms_add_or_override() {
    let dir = setup();
    let v = dir.path().join("variants");
    let base = load(&dir.path().join("base")).unwrap();
    assert!(base.warnings.is_empty(), "{:?}", base.warnings);

    write(
        &v.join("replace.toml"),
        "extends = \"../base/scenario.toml\"\n[bloc]\nmembers = [{ region = \"CHN\", from = \"2026Q1\" }]\n",
    );
    let s = load(&v.join("replace.toml")).unwrap();
    assert_eq!(s.bloc.members.len(), 1);
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    let w = &s.warnings[0];
    assert!(w.starts_with("bloc.members: 2 inherited entries ("), "{w}");
    assert!(
        w.contains("replaced by 1 (") && w.contains("replace.toml:3"),
        "{w}"
    );
    assert!(w.contains("`members_add = [...]`"), "{w}");
    assert!(w.contains("`members_replace = [...]`"), "{w}");

    // Restating the inherited array, entry for entry, drops nothing: no warning.
    write(
        &v.join("restate.toml"),
        "extends = \"../base/scenario.toml\"\n[bloc]\nmembers = [{ region = \"USA\", from = \"2026Q1\" }, { region = \"AUS\", from = \"2026Q3\", to = \"2027Q4\" }]\n",
    );
    let s = load(&v.join("restate.toml")).unwrap();
    assert_eq!(s.bloc.members, base.bloc.members);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);

    // `_replace` says the replacement is meant: the same members, no warning; beside an
    // `_add` in the same file it applies first, whatever the order of the keys.
    write(
        &v.join("replace-on-purpose.toml"),
        "extends = \"../base/scenario.toml\"\n[bloc]\nmembers_add = [{ region = \"AUS\", from = \"2027Q4\" }]\nmembers_replace = [{ region = \"CHN\", from = \"2026Q1\" }]\n",
    );
    let s = load(&v.join("replace-on-purpose.toml")).unwrap();
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    let ids: Vec<&str> = s.bloc.members.iter().map(|m| m.region.as_str()).collect();
    assert_eq!(ids, ["CHN", "AUS"]);

    write(
        &v.join("add.toml"),
        "extends = \"../base/scenario.toml\"\n[bloc]\nmembers_add = [{ region = \"CHN\", from = \"2026Q1\" }]\n",
    );
    let s = load(&v.join("add.toml")).unwrap();
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    let ids: Vec<&str> = s.bloc.members.iter().map(|m| m.region.as_str()).collect();
    assert_eq!(ids, ["USA", "AUS", "CHN"]);

    // An override changes the named floor's keys and keeps the rest; adds stack over a chain.
    write(
        &v.join("override.toml"),
        "extends = \"add.toml\"\n[bloc]\nmembers_add = [{ region = \"AUS\", from = \"2027Q4\" }]\n[[bloc.floor_override]]\ncommodity = \"ndpr_oxide\"\nratio = 0.8\n",
    );
    let s = load(&v.join("override.toml")).unwrap();
    assert_eq!(s.bloc.members.len(), 4);
    assert_eq!(s.bloc.floors.len(), base.bloc.floors.len());
    assert_eq!(s.bloc.floors[0].ratio, 0.8);
    assert_eq!(s.bloc.floors[0].reference, base.bloc.floors[0].reference);
    assert_eq!(s.bloc.floors[0].levy, base.bloc.floors[0].levy);

    // Overriding a floor that is not there says which floors there are.
    write(
        &v.join("bad-override.toml"),
        "extends = \"../base/scenario.toml\"\n[[bloc.floor_override]]\ncommodity = \"gallium\"\nratio = 0.8\n",
    );
    let e = load(&v.join("bad-override.toml")).unwrap_err();
    let (file, line, field, message) = invalid(&e);
    assert_eq!((file.as_str(), line), ("bad-override.toml", Some(2)));
    assert_eq!(field.as_deref(), Some("bloc.floor_override.commodity"));
    assert!(message.contains("`ndpr_oxide`"), "{message}");
    // `_add` on something that is not an array is an error, not a silent no-op.
    write(
        &v.join("bad-add.toml"),
        "extends = \"../base/scenario.toml\"\n[bloc]\nname_add = [\"x\"]\n",
    );
    let e = load(&v.join("bad-add.toml")).unwrap_err();
    let (_, _, field, message) = invalid(&e);
    assert_eq!(field.as_deref(), Some("bloc.name_add"));
    assert!(message.contains("is not one"), "{message}");
}
