//! Hostile use of the command line (issue 15): a run never deletes what it did not write, a
//! number outside its unit's range is bad input, an answer that is not an equilibrium is
//! never a success, `bloc check` refuses what `bloc run` refuses, and a scenario too big
//! for the machine is refused with its size. Each case here failed before the fix.

mod common;

use bloc_testkit::copy_files;
use common::{bloc, bloc_command, repo};
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn two_region() -> PathBuf {
    repo().join("scenarios/examples/base")
}

/// Runs `bloc` with `args` in the working directory `cwd`.
fn bloc_in(cwd: &Path, args: &[&OsStr]) -> Output {
    bloc_command()
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("start bloc")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A copy of the two-region example (scenario and tables) in a fresh directory.
fn copy_example() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("scn");
    fs::create_dir(&dir).unwrap();
    copy_files(&two_region(), &dir);
    (tmp, dir)
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn out_dot_deletes_nothing() {
    // Before the fix, `--out .` deleted everything in the working directory (exit 2).
    let (tmp, scn) = copy_example();
    fs::write(tmp.path().join("thesis.tex"), "years of work").unwrap();
    let before = names(tmp.path());
    let o = bloc_in(
        tmp.path(),
        &[
            "run".as_ref(),
            scn.as_os_str(),
            "--out".as_ref(),
            ".".as_ref(),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("working directory"), "{}", stderr(&o));
    assert_eq!(names(tmp.path()), before);
    assert_eq!(
        fs::read_to_string(tmp.path().join("thesis.tex")).unwrap(),
        "years of work"
    );
}

#[test]
fn out_into_the_scenario_folder_is_refused() {
    // Before the fix, `--out S` replaced the scenario with its results and exited 0.
    let (_tmp, scn) = copy_example();
    let before = names(&scn);
    let o = bloc(&[
        "run".as_ref(),
        scn.as_os_str(),
        "--out".as_ref(),
        scn.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("holds the input"), "{}", stderr(&o));
    assert_eq!(names(&scn), before);
}

#[test]
fn out_over_a_foreign_directory_is_refused_but_an_earlier_run_is_replaced() {
    let (tmp, scn) = copy_example();
    let foreign = tmp.path().join("data");
    fs::create_dir(&foreign).unwrap();
    fs::write(foreign.join("survey.csv"), "a,b\n1,2\n").unwrap();
    let o = bloc(&[
        "run".as_ref(),
        scn.as_os_str(),
        "-q".as_ref(),
        "--out".as_ref(),
        foreign.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("did not write"), "{}", stderr(&o));
    assert!(foreign.join("survey.csv").exists());

    let out = tmp.path().join("run");
    for _ in 0..2 {
        let o = bloc(&[
            "run".as_ref(),
            scn.as_os_str(),
            "-q".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    assert!(out.join(".bloc-result").exists() && out.join("prices.csv").exists());
}

#[test]
fn report_and_compare_never_overwrite_a_file_bloc_did_not_write() {
    let (tmp, scn) = copy_example();
    let run = tmp.path().join("run");
    let o = bloc(&[
        "run".as_ref(),
        scn.as_os_str(),
        "-q".as_ref(),
        "--out".as_ref(),
        run.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let notes = tmp.path().join("notes.html");
    fs::write(&notes, "<!DOCTYPE html><p>my notes</p>").unwrap();
    let o = bloc(&[
        "report".as_ref(),
        run.as_os_str(),
        "-o".as_ref(),
        notes.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(fs::read_to_string(&notes).unwrap().contains("my notes"));
    // A result table is not a report either.
    let prices = run.join("prices.csv");
    let o = bloc(&[
        "report".as_ref(),
        run.as_os_str(),
        "-o".as_ref(),
        prices.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(fs::read_to_string(&prices).unwrap().starts_with("period,"));
    let o = bloc(&[
        "compare".as_ref(),
        run.as_os_str(),
        run.as_os_str(),
        "--csv".as_ref(),
        prices.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(fs::read_to_string(&prices).unwrap().starts_with("period,"));
    // bloc's own report is replaced.
    let report = tmp.path().join("report.html");
    for _ in 0..2 {
        let o = bloc(&[
            "report".as_ref(),
            run.as_os_str(),
            "-o".as_ref(),
            report.as_os_str(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
}

/// Sets `key = value` in the `[[...]]`-free demand table of the copy: rewrites one cell.
fn set_demand_cell(scn: &Path, column: &str, value: &str) {
    let p = scn.join("demand.csv");
    let text = fs::read_to_string(&p).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let k = header.iter().position(|h| *h == column).expect("column");
    let mut cells: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    cells[k] = value.to_string();
    lines[1] = cells.join(",");
    fs::write(&p, lines.join("\n") + "\n").unwrap();
}

#[test]
fn numbers_beyond_their_unit_are_bad_input_in_run_and_check() {
    // Before the fix, growth 1e307 panicked in the warm start and 1e200 wrote NaN with exit 0.
    for (column, value, phrase) in [
        ("growth_per_yr", "1e307", "at most 1 (100% a year)"),
        ("growth_per_yr", "1e200", "at most 1 (100% a year)"),
        ("price_usd_per_t", "1e300", "1e10 USD/t"),
        ("quantity_t_per_yr", "1e200", "1e10 t"),
    ] {
        let (tmp, scn) = copy_example();
        set_demand_cell(&scn, column, value);
        for cmd in ["check", "run"] {
            let out = tmp.path().join("out");
            let o = bloc(
                &[
                    cmd.as_ref(),
                    scn.as_os_str(),
                    "--out".as_ref(),
                    out.as_os_str(),
                ][..if cmd == "check" { 2 } else { 4 }],
            );
            let e = stderr(&o);
            assert_eq!(o.status.code(), Some(1), "{cmd} {column}={value}: {e}");
            assert!(
                e.contains("demand.csv:2") && e.contains(column) && e.contains(phrase),
                "{e}"
            );
            assert!(!out.exists());
        }
    }
}

#[test]
fn a_lead_time_beyond_200_years_is_bad_input() {
    // Before the fix, lead_time_yr = 1e300 saturated a cast and came online at once.
    let scn = repo().join("scenarios/examples/pipeline");
    let tmp = tempfile::tempdir().unwrap();
    let o = bloc(&[
        "example".as_ref(),
        "examples/pipeline".as_ref(),
        tmp.path().as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let copy = tmp.path().join("examples/pipeline");
    let projects = fs::read_dir(&copy)
        .unwrap()
        .chain(fs::read_dir(tmp.path().join("examples")).unwrap())
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().is_some_and(|n| n == "projects.csv"));
    let Some(projects) = projects else {
        panic!(
            "the pipeline example ({}) has a projects.csv",
            scn.display()
        );
    };
    let text = fs::read_to_string(&projects).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let k = header.iter().position(|h| *h == "lead_time_yr").unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut cells: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    cells[k] = "1e300".into();
    lines[1] = cells.join(",");
    fs::write(&projects, lines.join("\n") + "\n").unwrap();
    let o = bloc(&["check".as_ref(), copy.as_os_str()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("lead_time_yr") && stderr(&o).contains("200 years"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_broken_baseline_fails_check_as_it_fails_run() {
    // Before the fix, `bloc check` said ok to a baseline that `bloc run` could not load.
    let (tmp, scn) = copy_example();
    let base = tmp.path().join("base.toml");
    fs::write(
        &base,
        "name = \"base\"\nbase_year = 2026\n[tables]\nregions = \"nowhere.csv\"\n",
    )
    .unwrap();
    let toml = scn.join("scenario.toml");
    let text = fs::read_to_string(&toml).unwrap();
    fs::write(&toml, format!("baseline = \"../base.toml\"\n{text}")).unwrap();
    let run = bloc(&[
        "run".as_ref(),
        scn.as_os_str(),
        "--out".as_ref(),
        tmp.path().join("o").as_os_str(),
    ]);
    let check = bloc(&["check".as_ref(), scn.as_os_str()]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    assert_eq!(check.status.code(), Some(1), "{}", stderr(&check));
    assert!(stderr(&check).contains("baseline"), "{}", stderr(&check));
}

#[test]
fn a_fifo_or_a_device_as_a_table_is_refused_at_once() {
    // Before the fix, a FIFO hung both commands forever and /dev/zero filled memory.
    let (tmp, scn) = copy_example();
    let fifo = tmp.path().join("fifo.csv");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    for target in [fifo.as_path(), Path::new("/dev/zero")] {
        let toml = scn.join("scenario.toml");
        let text = fs::read_to_string(&toml).unwrap();
        let fixed: String = text
            .lines()
            .map(|l| {
                if l.trim_start().starts_with("demand") {
                    format!("demand = \"{}\"", target.display())
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let scn2 = tmp.path().join(format!(
            "s{}",
            target.file_name().unwrap().to_string_lossy()
        ));
        fs::create_dir_all(&scn2).unwrap();
        for e in fs::read_dir(&scn).unwrap() {
            let e = e.unwrap();
            fs::copy(e.path(), scn2.join(e.file_name())).unwrap();
        }
        fs::write(scn2.join("scenario.toml"), fixed).unwrap();
        let o = bloc(&["check".as_ref(), scn2.as_os_str()]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    }
}

#[test]
fn a_world_too_big_for_the_machine_is_refused_with_its_size() {
    // Before the fix, `*,*,*` transport over 20,000 regions aborted on a 1.9 GB allocation
    // after `check` said ok.
    let (_tmp, scn) = copy_example();
    let mut regions = String::from("id,name\n");
    for i in 0..20_000 {
        regions.push_str(&format!("R{i},Region {i}\n"));
    }
    let text = fs::read_to_string(scn.join("regions.csv")).unwrap();
    for l in text.lines().skip(1) {
        regions.push_str(l);
        regions.push('\n');
    }
    fs::write(scn.join("regions.csv"), regions).unwrap();
    fs::write(
        scn.join("transport.csv"),
        "origin,destination,commodity,cost_usd_per_t,source\n*,*,*,5,assumption: test\n",
    )
    .unwrap();
    let o = bloc(&["check".as_ref(), scn.as_os_str()]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("transport.csv:2") && e.contains("routes"), "{e}");
}
