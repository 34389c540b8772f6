//! The built `bloc` binary on synthetic scenario folders (`bloc-synth`):
//!
//! * `--dump-lp` writes one MPS file per period, and HiGHS, reading each file back, solves it
//!   to the objective `run.json` records for that period;
//! * two runs of the same scenario write byte-identical result files (run.json apart from its
//!   timings).

mod common;

use bloc_synth::{generate, write_scenario_folder, SynthSpec};
use common::bloc_command;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Writes the synthetic world of `seed` (with `periods` periods) into `dir/scenario`.
fn scenario_folder(dir: &Path, seed: u64, periods: usize) -> (PathBuf, bloc_scenario::Scenario) {
    let mut spec = SynthSpec::small(seed);
    spec.periods = periods;
    let s = generate(&spec);
    let folder = dir.join(format!("scenario-{seed}"));
    write_scenario_folder(&s, &folder).expect("write the scenario folder");
    (folder, s)
}

/// Runs `bloc run SCENARIO --out OUT --quiet [extra…]` and insists on exit 0.
fn bloc_run(scenario: &Path, out: &Path, extra: &[&Path]) {
    let mut cmd = bloc_command();
    cmd.arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .arg("--quiet");
    if let Some(lp) = extra.first() {
        cmd.arg("--dump-lp").arg(lp);
    }
    let o = cmd.output().expect("start bloc");
    assert!(
        o.status.success(),
        "bloc run {} failed ({}):\n{}",
        scenario.display(),
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
}

fn run_json(out: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join("run.json")).expect("run.json");
    serde_json::from_str(&text).expect("run.json is JSON")
}

#[test]
fn dump_lp_writes_one_mps_per_period_that_highs_solves_to_the_recorded_objective() {
    let tmp = tempfile::tempdir().unwrap();
    // One world per chain length.
    let seeds: Vec<u64> = (0..)
        .filter(|&s| {
            let spec = SynthSpec::small(s);
            spec.route_density >= 1.0 && spec.regions * spec.commodities() <= 24
        })
        .scan([false; 3], |seen, s| {
            let stages = SynthSpec::small(s).stages;
            let new = !seen[stages - 1];
            seen[stages - 1] = true;
            Some((s, new, *seen))
        })
        .filter(|(_, new, _)| *new)
        .map(|(s, _, _)| s)
        .take(3)
        .collect();
    for seed in seeds {
        let (folder, s) = scenario_folder(tmp.path(), seed, 4);
        let out = tmp.path().join(format!("out-{seed}"));
        let lp = tmp.path().join(format!("lp-{seed}"));
        bloc_run(&folder, &out, &[&lp]);

        let mut files: Vec<String> = std::fs::read_dir(&lp)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let mut expect: Vec<String> = (0..s.time.periods)
            .map(|t| format!("{}.mps", s.time.label(t)))
            .collect();
        expect.sort();
        assert_eq!(files, expect, "seed {seed}: one .mps per period");

        let json = run_json(&out);
        let per_period = json["per_period"].as_array().expect("per_period");
        assert_eq!(per_period.len(), s.time.periods, "seed {seed}");
        #[cfg(feature = "highs")]
        for p in per_period {
            let label = p["period"].as_str().expect("period label");
            let recorded = p["objective_usd"].as_f64().expect("objective_usd");
            let file = lp.join(format!("{label}.mps"));
            let (status, objective, _) =
                bloc_market::highs_solve_mps_file(&file).unwrap_or_else(|e| {
                    panic!("seed {seed}: HiGHS cannot solve {}: {e}", file.display())
                });
            assert_eq!(
                status,
                bloc_market::SolveStatus::Optimal,
                "seed {seed} {label}"
            );
            let rel = (objective - recorded).abs() / objective.abs().max(recorded.abs()).max(1.0);
            assert!(
                rel <= 1e-6,
                "seed {seed} {label}: HiGHS solves the dump to {objective}, run.json records {recorded} (rel diff {rel:.2e})"
            );
        }
    }
}

/// run.json without what changes from run to run: `timings` and every per-period `*_s`.
fn without_timings(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("timings");
    }
    if let Some(ps) = v["per_period"].as_array_mut() {
        for p in ps {
            if let Some(o) = p.as_object_mut() {
                o.retain(|k, _| !k.ends_with("_s"));
            }
        }
    }
    v
}

fn files_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn two_runs_of_one_scenario_write_identical_results() {
    let tmp = tempfile::tempdir().unwrap();
    for seed in [5, 17] {
        let (folder, _) = scenario_folder(tmp.path(), seed, 4);
        let (a, b) = (
            tmp.path().join(format!("a-{seed}")),
            tmp.path().join(format!("b-{seed}")),
        );
        bloc_run(&folder, &a, &[]);
        bloc_run(&folder, &b, &[]);
        let (fa, fb) = (files_of(&a), files_of(&b));
        assert_eq!(
            fa.keys().collect::<Vec<_>>(),
            fb.keys().collect::<Vec<_>>(),
            "seed {seed}: the same files"
        );
        assert!(
            fa.contains_key("prices.csv") && fa.contains_key("run.json"),
            "seed {seed}: {:?}",
            fa.keys()
        );
        for (name, bytes) in &fa {
            if name == "run.json" {
                continue;
            }
            assert!(
                bytes == &fb[name],
                "seed {seed}: {name} differs between two runs"
            );
        }
        assert_eq!(
            without_timings(run_json(&a)),
            without_timings(run_json(&b)),
            "seed {seed}: run.json"
        );
    }
}
