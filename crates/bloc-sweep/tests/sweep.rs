//! Sweeps of the shipped two-region scenario (`scenarios/illustrative`, copied as it is
//! into a temporary folder with `[[uncertain]]` inputs added): bad declarations, same seed
//! same bytes, shards merged equal to the unsharded sweep, failed samples recorded.

use bloc_scenario::Disk;
use bloc_sweep::{
    merge, prepare, read_dir, sweep, write_dir, Sampling, Shard, SweepOptions, SweepOutput,
};
use bloc_testkit::{copy_files, repo};
use std::path::{Path, PathBuf};

fn shipped() -> PathBuf {
    repo().join("scenarios/illustrative")
}

/// The shipped scenario in a temporary folder, with `extra` appended to its TOML.
fn scenario(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_files(&shipped(), dir.path());
    let toml = dir.path().join("scenario.toml");
    let mut text = std::fs::read_to_string(&toml).unwrap();
    text.push('\n');
    text.push_str(extra);
    std::fs::write(&toml, text).unwrap();
    dir
}

const INPUTS: &str = r#"
[[uncertain]]
name = "usa_demand"
table = "demand"
column = "quantity_t_per_yr"
where = { region = "USA" }
distribution = "lognormal"
median = 1.0
sigma = 0.2

[[uncertain]]
name = "chn_separation_capacity"
table = "processes"
column = "capacity_t_per_yr"
where = { id = "chn_separation" }
distribution = "triangular"
min = 0.6
mode = 1.0
max = 1.1

[[uncertain]]
name = "floor_ratio"
key = "bloc.floor[0].ratio"
apply = "set"
distribution = "discrete"
values = [0.8, 1.0, 1.2]
weights = [1, 2, 1]

[[uncertain]]
name = "transport"
table = "transport"
column = "cost_usd_per_t"
distribution = "uniform"
min = 0.5
max = 2.0

[[uncertain]]
name = "elasticity"
table = "demand"
column = "elasticity"
apply = "set"
distribution = "normal"
mean = -0.5
sd = 0.05
"#;

fn error_of(extra: &str) -> String {
    let dir = scenario(extra);
    let e = prepare(&Disk, dir.path()).unwrap_err().to_string();
    // Paths are those of the temporary folder: keep the file name.
    e.replace(&format!("{}/", dir.path().display()), "")
}

fn run(dir: &Path, samples: u64, seed: u64, shard: Option<Shard>) -> SweepOutput {
    run_with(dir, samples, seed, shard, Sampling::Random)
}

fn run_with(
    dir: &Path,
    samples: u64,
    seed: u64,
    shard: Option<Shard>,
    sampling: Sampling,
) -> SweepOutput {
    let p = prepare(&Disk, dir).unwrap();
    sweep(
        &p,
        &SweepOptions {
            samples,
            seed,
            shard,
            sampling,
        },
        &|| {},
    )
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn bad_declarations_are_errors_naming_file_line_and_field() {
    let cases: &[(&str, &str)] = &[
        (
            "[[uncertain]]\nname = \"x\"\ntable = \"demnd\"\ncolumn = \"elasticity\"\ndistribution = \"uniform\"\nmin = 0\nmax = 1\n",
            "scenario.toml:34: field `uncertain[0].table`: `demnd` is not a table; write one of `regions`, `commodities`, `processes`, `inputs`, `demand`, `transport`, `tariffs`",
        ),
        (
            "[[uncertain]]\nname = \"x\"\ntable = \"demand\"\ncolumn = \"qty\"\ndistribution = \"uniform\"\nmin = 0\nmax = 1\n",
            "scenario.toml:35: field `uncertain[0].column`: the `demand` table has no column `qty`; its columns are `region`, `commodity`, `form`, `quantity_t_per_yr`, `price_usd_per_t`, `elasticity`, `growth_per_yr`, `long_run_elasticity`, `adjustment_per_yr`, `choke_usd_per_t`, `source`",
        ),
        (
            "[[uncertain]]\nname = \"x\"\ntable = \"demand\"\ncolumn = \"elasticity\"\nwhere = { region = \"FRA\" }\ndistribution = \"uniform\"\nmin = 0\nmax = 1\n",
            "scenario.toml:36: field `uncertain[0].where`: no row of `demand.csv` matches this selector; check the values against the table",
        ),
        (
            "[[uncertain]]\nname = \"x\"\ntable = \"demand\"\ncolumn = \"elasticity\"\nwhere = { colour = \"red\" }\ndistribution = \"uniform\"\nmin = 0\nmax = 1\n",
            "scenario.toml:36: field `uncertain[0].where.colour`: the `demand` table has no column `colour` to select rows by",
        ),
        (
            "[[uncertain]]\nname = \"x\"\ntable = \"demand\"\ncolumn = \"region\"\ndistribution = \"uniform\"\nmin = 0\nmax = 1\n",
            "demand.csv:2: field `region`: uncertain input `x` draws a number for this cell, but `USA` is not a number",
        ),
        (
            "[[uncertain]]\nname = \"x\"\ntable = \"demand\"\ncolumn = \"elasticity\"\ndistribution = \"uniform\"\nmin = 1\nmax = 1\n",
            "scenario.toml:38: field `uncertain[0].max`: max (1) must be larger than min (1)",
        ),
        (
            "[[uncertain]]\nname = \"x\"\ntable = \"demand\"\ncolumn = \"elasticity\"\ndistribution = \"normal\"\nmean = 1\nsd = -1\n",
            "scenario.toml:38: field `uncertain[0].sd`: sd = -1: the standard deviation must be larger than 0",
        ),
        (
            "[[uncertain]]\nname = \"x\"\ntable = \"demand\"\ncolumn = \"elasticity\"\ndistribution = \"normal\"\nmean = 1\nsigma = 1\n",
            "scenario.toml:38: field `uncertain[0].sigma`: `sigma` is not a parameter of a normal distribution; it takes `mean`, `sd`",
        ),
        (
            "[[uncertain]]\nname = \"x\"\ntable = \"demand\"\ncolumn = \"elasticity\"\ndistribution = \"beta\"\n",
            "scenario.toml:36: field `uncertain[0].distribution`: `beta` is not a distribution",
        ),
        (
            "[[uncertain]]\nname = \"x\"\nkey = \"bloc.floor[3].ratio\"\ndistribution = \"uniform\"\nmin = 0\nmax = 1\n",
            "scenario.toml:34: field `uncertain[0].key`: the scenario has no value at `bloc.floor[3].ratio`",
        ),
        (
            "[[uncertain]]\nname = \"x\"\nkey = \"bloc.members[0].from\"\ndistribution = \"uniform\"\nmin = 0\nmax = 1\n",
            "scenario.toml:34: field `uncertain[0].key`: `bloc.members[0].from` holds text; draw it from a discrete set of text values with `apply = \"set\"`",
        ),
        (
            "[[uncertain]]\nname = \"x\"\nkey = \"bloc.floor[0].ratio\"\ndistribution = \"discrete\"\nvalues = [1, 2]\nweights = [1]\n",
            "scenario.toml:37: field `uncertain[0].weights`: 1 weights for 2 values; give one weight per value",
        ),
        (
            "[[uncertain]]\nname = \"x\"\nkey = \"bloc.floor[0].ratio\"\ndistribution = \"uniform\"\nmin = 0\nmax = 1\nspread = 2\n",
            "scenario.toml:38: field `uncertain[0].spread`: unknown key `spread`",
        ),
        (
            "[[uncertain]]\nname = \"x\"\nkey = \"bloc.floor[0].ratio\"\ndistribution = \"uniform\"\nmin = 0\nmax = 1\n[[uncertain]]\nname = \"x\"\nkey = \"bloc.floor[0].ratio\"\ndistribution = \"uniform\"\nmin = 0\nmax = 1\n",
            "scenario.toml:39: field `uncertain[1].name`: another `[[uncertain]]` is already named `x`",
        ),
        (
            "[[uncertain]]\nname = \"x\"\ndistribution = \"uniform\"\nmin = 0\nmax = 1\n",
            "scenario.toml:32: field `uncertain[0]`: say what is uncertain",
        ),
    ];
    let mut wrong = String::new();
    for (text, expected) in cases {
        let e = error_of(text);
        if !e.starts_with(expected) {
            wrong += &format!("\n got: {e}\nwant: {expected}…\n");
        }
    }
    assert!(wrong.is_empty(), "{wrong}");
}

#[test]
fn same_seed_same_bytes_other_seed_other_draws() {
    let dir = scenario(INPUTS);
    let out = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        out.path().join("a"),
        out.path().join("b"),
        out.path().join("c"),
    );
    write_dir(&a, &run(dir.path(), 12, 7, None)).unwrap();
    write_dir(&b, &run(dir.path(), 12, 7, None)).unwrap();
    write_dir(&c, &run(dir.path(), 12, 8, None)).unwrap();
    let names: Vec<String> = files(&a).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            ".bloc-result",
            "bands.csv",
            "indicators.parquet",
            "samples.csv",
            "sweep.json"
        ]
    );
    assert_eq!(files(&a), files(&b));
    assert_ne!(
        std::fs::read(a.join("samples.csv")).unwrap(),
        std::fs::read(c.join("samples.csv")).unwrap()
    );
    let r = read_dir(&a).unwrap();
    assert!(
        r.samples.iter().all(|s| s.error.is_none()),
        "{:?}",
        r.samples
    );
    // Every sample contributes its indicators.csv rows, in sample order.
    for i in 0..12 {
        assert!(
            r.rows.iter().any(|x| x.sample == i),
            "sample {i} has no rows"
        );
    }
    assert!(r.rows.windows(2).all(|w| w[0].sample <= w[1].sample));
    // The draws vary the results: the members' price is not the same in every sample.
    let usa: Vec<f64> = r
        .rows
        .iter()
        .filter(|x| {
            x.period == "2026Q1"
                && x.indicator == "price_usd_per_t"
                && x.scope == "members:ndpr_oxide"
        })
        .map(|x| x.value)
        .collect();
    assert_eq!(usa.len(), 12);
    assert!(usa.iter().any(|v| (v - usa[0]).abs() > 1e-6), "{usa:?}");
    // The discrete key draws only its values.
    for s in &r.samples {
        assert!(
            ["0.8", "1", "1.2"].contains(&s.draws[2].as_str()),
            "{:?}",
            s.draws
        );
    }
}

#[test]
fn merged_shards_equal_the_unsharded_sweep_byte_for_byte() {
    let dir = scenario(INPUTS);
    let out = tempfile::tempdir().unwrap();
    let whole = out.path().join("whole");
    write_dir(&whole, &run(dir.path(), 10, 42, None)).unwrap();
    let mut shards = Vec::new();
    // Written in reverse order, merged in any order.
    for i in (0..4).rev() {
        let d = out.path().join(format!("shard-{i}"));
        write_dir(
            &d,
            &run(dir.path(), 10, 42, Some(Shard { index: i, count: 4 })),
        )
        .unwrap();
        assert!(!d.join("bands.csv").exists());
        shards.push(d);
    }
    let merged = out.path().join("merged");
    write_dir(&merged, &merge(&shards).unwrap()).unwrap();
    assert_eq!(files(&whole), files(&merged));

    // A missing shard, or one given twice, is refused.
    let e = merge(&shards[..3]).unwrap_err().to_string();
    assert_eq!(e, "cannot merge: shards missing: 0/4");
    let twice = [shards[0].clone(), shards[0].clone()];
    assert!(merge(&twice)
        .unwrap_err()
        .to_string()
        .contains("is given twice"));
    // A shard of another sweep (other seed) is refused.
    let other = out.path().join("other");
    write_dir(
        &other,
        &run(dir.path(), 10, 43, Some(Shard { index: 0, count: 4 })),
    )
    .unwrap();
    let mixed = [
        shards[0].clone(),
        shards[1].clone(),
        shards[2].clone(),
        other,
    ];
    assert!(merge(&mixed)
        .unwrap_err()
        .to_string()
        .contains("are not shards of one sweep"));
}

/// A Latin hypercube sweep: the `transport` input (uniform on [0.5, 2.0]) has exactly one of
/// the 8 samples in each eighth of its range; the sweep says how it was drawn; its shards,
/// which each draw the same strata, merge to the bytes of the unsharded sweep; and a random
/// sweep's shards do not merge with it.
#[test]
fn latin_hypercube_fills_every_stratum_and_shards_merge() {
    let dir = scenario(INPUTS);
    let out = tempfile::tempdir().unwrap();
    let n = 8u64;
    let whole = run_with(dir.path(), n, 5, None, Sampling::LatinHypercube);
    assert_eq!(whole.manifest.sampling, Sampling::LatinHypercube);
    let k = whole
        .manifest
        .uncertain
        .iter()
        .position(|u| u == "transport")
        .unwrap();
    let mut seen = vec![0; n as usize];
    for s in &whole.samples {
        let v: f64 = s.draws[k].parse().unwrap();
        let stratum = ((v - 0.5) / 1.5 * n as f64).floor() as usize;
        seen[stratum.min(n as usize - 1)] += 1;
    }
    assert!(seen.iter().all(|&c| c == 1), "{seen:?}");
    let whole_dir = out.path().join("whole");
    write_dir(&whole_dir, &whole).unwrap();
    assert!(std::fs::read_to_string(whole_dir.join("sweep.json"))
        .unwrap()
        .contains("\"sampling\": \"latin-hypercube\""));
    let mut shards = Vec::new();
    for i in 0..2 {
        let d = out.path().join(format!("lhs-{i}"));
        let shard = Some(Shard { index: i, count: 2 });
        write_dir(
            &d,
            &run_with(dir.path(), n, 5, shard, Sampling::LatinHypercube),
        )
        .unwrap();
        shards.push(d);
    }
    let merged = out.path().join("merged");
    write_dir(&merged, &merge(&shards).unwrap()).unwrap();
    assert_eq!(files(&whole_dir), files(&merged));
    let random = out.path().join("random-1");
    write_dir(
        &random,
        &run(dir.path(), n, 5, Some(Shard { index: 1, count: 2 })),
    )
    .unwrap();
    assert!(merge(&[shards[0].clone(), random])
        .unwrap_err()
        .to_string()
        .contains("are not shards of one sweep"));
}

#[test]
fn a_failed_sample_is_recorded_and_the_sweep_goes_on() {
    // A capacity set anywhere in [-50000, 150000]: about a quarter of the draws are negative,
    // which the loader refuses, exactly as it would refuse a negative capacity written by hand.
    let dir = scenario(
        "[[uncertain]]\nname = \"cap\"\ntable = \"processes\"\ncolumn = \"capacity_t_per_yr\"\nwhere = { id = \"chn_separation\" }\napply = \"set\"\ndistribution = \"uniform\"\nmin = -50000\nmax = 150000\n",
    );
    let r = run(dir.path(), 24, 1, None);
    let failed: Vec<_> = r.samples.iter().filter(|s| s.error.is_some()).collect();
    let ok = r.samples.len() - failed.len();
    assert!(!failed.is_empty() && ok > 0, "{failed:?}");
    for s in &failed {
        assert!(s.draws[0].starts_with('-'), "{s:?}");
        let e = s.error.as_deref().unwrap();
        // Named relative to the scenario's folder: the same bytes wherever it lies.
        assert!(
            e.starts_with("processes.csv:3: field `capacity_t_per_yr`"),
            "{e}"
        );
        assert!(!r.rows.iter().any(|x| x.sample == s.sample));
    }
    let out = tempfile::tempdir().unwrap();
    write_dir(out.path().join("s").as_path(), &r).unwrap();
    let samples = std::fs::read_to_string(out.path().join("s/samples.csv")).unwrap();
    assert!(
        samples.starts_with("sample,status,error,cap\n"),
        "{samples}"
    );
    assert_eq!(samples.matches(",failed,").count(), failed.len());
    let manifest = std::fs::read_to_string(out.path().join("s/sweep.json")).unwrap();
    assert!(
        manifest.contains(&format!("\"failed\": {}", failed.len())),
        "{manifest}"
    );
}

#[test]
fn bands_file_agrees_with_the_samples() {
    let dir = scenario(INPUTS);
    let out = tempfile::tempdir().unwrap();
    let d = out.path().join("s");
    write_dir(&d, &run(dir.path(), 21, 5, None)).unwrap();
    let r = read_dir(&d).unwrap();
    let bands = std::fs::read_to_string(d.join("bands.csv")).unwrap();
    let mut lines = bands.lines();
    assert_eq!(lines.next(), Some("period,indicator,scope,p5,p50,p95"));
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut v: Vec<f64> = r
        .rows
        .iter()
        .filter(|x| x.period == first[0] && x.indicator == first[1] && x.scope == first[2])
        .map(|x| x.value)
        .collect();
    assert_eq!(v.len(), 21);
    v.sort_by(f64::total_cmp);
    // 21 values: n − 1 = 20, so p5 is at h = 1 (the 2nd smallest), p50 at 10 (the 11th),
    // p95 at 19 (the 20th): exact order statistics, no interpolation.
    let close = |s: &str, x: f64| (s.parse::<f64>().unwrap() - x).abs() <= 1e-8 * x.abs().max(1.0);
    assert!(close(first[3], v[1]), "{first:?} {v:?}");
    assert!(close(first[4], v[10]), "{first:?} {v:?}");
    assert!(close(first[5], v[19]), "{first:?} {v:?}");
}

/// The shipped `examples/export-ban` (and the `examples/base` it extends) in a temporary
/// folder, with `extra` appended to its TOML; returns the folder and the scenario path.
fn export_ban(extra: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for name in ["base", "export-ban"] {
        let to = dir.path().join(name);
        std::fs::create_dir_all(&to).unwrap();
        copy_files(&repo().join("scenarios/examples").join(name), &to);
    }
    let toml = dir.path().join("export-ban/scenario.toml");
    let mut text = std::fs::read_to_string(&toml).unwrap();
    text.push('\n');
    text.push_str(extra);
    std::fs::write(&toml, text).unwrap();
    let s = dir.path().join("export-ban");
    (dir, s)
}

#[test]
fn the_readme_uncertain_example_runs() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme
        .find("<!-- uncertain-example -->\n```toml\n")
        .expect("marker")
        + 35;
    let end = start + readme[start..].find("```").unwrap();
    let (_keep, s) = export_ban(&readme[start..end]);
    let r = run(&s, 16, 3, None);
    assert!(
        r.samples.iter().all(|x| x.error.is_none()),
        "{:?}",
        r.samples
    );
    for x in &r.samples {
        assert!(
            ["2027", "2028", "2029"].contains(&x.draws[1].as_str()),
            "{x:?}"
        );
        assert!(x.draws[0].parse::<f64>().unwrap() > 0.0);
    }
}

#[test]
fn bands_of_the_ban_year_known_answer() {
    // examples/base by hand: with trade B collects 24 USD of tariff a year (8 t × 3 USD/t);
    // under the ban there is no flow, so 0 (examples/export-ban). Ban from 2027 or 2029:
    // in 2028 a sample collects 0 if its ban started in 2027, else 24. With k samples of
    // 2027 among n, the sorted values are k zeros then n − k times 24, so the type-7
    // quantile at p is 0 where h = (n − 1)p <= k − 1, 24 where h >= k, and 24·(h − (k − 1))
    // in between. In 2026 (before either start) every sample collects 24.
    let (_keep, s) = export_ban(
        "[[uncertain]]\nname = \"ban_start\"\nkey = \"export_control[0].from\"\napply = \"set\"\ndistribution = \"discrete\"\nvalues = [\"2027\", \"2029\"]\n",
    );
    let n = 30u64;
    let r = run(&s, n, 17, None);
    assert!(
        r.samples.iter().all(|x| x.error.is_none()),
        "{:?}",
        r.samples
    );
    let k = r.samples.iter().filter(|x| x.draws[0] == "2027").count() as f64;
    assert!(
        k > 0.0 && k < n as f64,
        "both years must be drawn (k = {k})"
    );
    let expected = |p: f64| {
        let h = (n as f64 - 1.0) * p;
        if h <= k - 1.0 {
            0.0
        } else if h >= k {
            24.0
        } else {
            24.0 * (h - (k - 1.0))
        }
    };
    let ran: Vec<u64> = r.samples.iter().map(|x| x.sample).collect();
    let bands = bloc_sweep::bands::bands(&r.rows, &ran);
    let band_of = |period: &str, scope: &str| {
        bands
            .iter()
            .find(|b| b.period == period && b.indicator == "tariff_revenue_usd" && b.scope == scope)
            .unwrap_or_else(|| panic!("no band for {period} {scope}"))
    };
    let band = |period: &str| band_of(period, "world");
    // B is the only importer, so its band is the world's. Before issue 15 a run left out
    // B's row where its revenue was 0, and B's band was taken over the samples that had
    // one (P50 24 where the world's was 0).
    let (w, b) = (band("2028"), band_of("2028", "region:B"));
    assert_eq!(
        (w.p5, w.p50, w.p95, w.samples),
        (b.p5, b.p50, b.p95, b.samples)
    );
    let b = band("2028");
    for (got, p) in [(b.p5, 0.05), (b.p50, 0.5), (b.p95, 0.95)] {
        assert!(
            (got - expected(p)).abs() < 1e-6,
            "p{p}: {got} vs {} (k = {k})",
            expected(p)
        );
    }
    let b = band("2026");
    assert!(
        (b.p5 - 24.0).abs() < 1e-6 && (b.p95 - 24.0).abs() < 1e-6,
        "{b:?}"
    );
}

#[test]
fn a_scenario_with_a_baseline_sweeps_with_its_comparison() {
    // Issue 15: every sample of a scenario with a `baseline` failed ("cannot find the
    // baseline scenario") because samples read only the scenario's own files. The shipped
    // examples/floor-fixed names examples/base as its baseline; by hand (its TOML's
    // comment) B's buyers pay (45 − 42) × 17.5 t = 52.5 more a year than in the baseline.
    let dir = repo().join("scenarios/examples/floor-fixed");
    let r = run(&dir, 3, 1, None);
    assert!(
        r.samples.iter().all(|x| x.error.is_none()),
        "{:?}",
        r.samples
    );
    let cost: Vec<f64> = r
        .rows
        .iter()
        .filter(|x| {
            x.period == "2026" && x.indicator == "consumer_cost_usd" && x.scope == "region:B"
        })
        .map(|x| x.value)
        .collect();
    assert_eq!(cost.len(), 3, "one row a sample");
    for c in cost {
        assert!((c - 52.5).abs() < 1e-6, "consumer cost {c}, want 52.5");
    }
}

/// A selector that picks rows by the value its own draw replaces (every demand row at
/// elasticity −0.5 set to a draw) leaves no row matching it in the sample's files; the
/// inputs are checked on the files as written, so every sample must still run (before the
/// fix, every sample failed with "no row ... matches this selector").
#[test]
fn a_selector_on_the_column_it_sets_does_not_fail_the_samples() {
    let dir = scenario(
        r#"
[[uncertain]]
name = "elasticity_by_value"
table = "demand"
column = "elasticity"
where = { elasticity = "-0.5" }
apply = "set"
distribution = "uniform"
min = -0.8
max = -0.2
"#,
    );
    let r = run(dir.path(), 4, 11, None);
    for s in &r.samples {
        assert!(s.error.is_none(), "sample {}: {:?}", s.sample, s.error);
        let v: f64 = s.draws[0].parse().unwrap();
        assert!((-0.8..=-0.2).contains(&v), "{v}");
    }
    // The draws moved the prices: the four samples do not all give the same indicators.
    let first: Vec<_> = r
        .rows
        .iter()
        .filter(|x| x.sample == 0)
        .map(|x| x.value)
        .collect();
    let second: Vec<_> = r
        .rows
        .iter()
        .filter(|x| x.sample == 1)
        .map(|x| x.value)
        .collect();
    assert_ne!(first, second);
}
