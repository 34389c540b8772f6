//! `bloc sweep` on the command line: a sweep of the shipped default, exit codes on bad
//! input, shards merged with `bloc sweep merge`.

mod common;

use common::{bloc_command, BLOC};
use std::path::Path;
use std::process::{Command, Output};

fn bloc(args: &[&str], cwd: &Path) -> Output {
    bloc_command()
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("start bloc")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn sweep_the_default_then_shards_and_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let o = bloc(
        &["sweep", "--samples", "4", "--seed", "2", "--out", "whole"],
        t,
    );
    assert!(o.status.success(), "{}", text(&o));
    // The default scenario (the bloc as announced, on the world) ships its uncertain inputs
    // (scenarios/world/scenario.toml): every sample draws them.
    assert!(
        !text(&o).contains("declares no [[uncertain]] inputs"),
        "{}",
        text(&o)
    );
    let samples = std::fs::read_to_string(t.join("whole").join("samples.csv")).unwrap();
    let header = samples.lines().next().unwrap();
    for name in [
        "elasticity_copper_short",
        "demand_growth",
        "capital_overrun",
        "project_delay",
    ] {
        assert!(header.contains(name), "{header}");
    }
    for f in [
        "bands.csv",
        "indicators.parquet",
        "samples.csv",
        "sweep.json",
    ] {
        assert!(t.join("whole").join(f).exists(), "{f}");
    }
    for i in 0..2 {
        let shard = format!("{i}/2");
        let out = format!("s{i}");
        let o = bloc(
            &[
                "sweep", "-n", "4", "--seed", "2", "--shard", &shard, "-q", "--out", &out,
            ],
            t,
        );
        assert!(o.status.success(), "{}", text(&o));
    }
    let o = bloc(&["sweep", "merge", "s1", "s0", "--out", "merged"], t);
    assert!(o.status.success(), "{}", text(&o));
    for f in [
        "bands.csv",
        "indicators.parquet",
        "samples.csv",
        "sweep.json",
    ] {
        assert_eq!(
            std::fs::read(t.join("whole").join(f)).unwrap(),
            std::fs::read(t.join("merged").join(f)).unwrap(),
            "{f}"
        );
    }
    // One shard missing: bad input, exit 1, no directory written.
    let o = bloc(&["sweep", "merge", "s1", "--out", "half"], t);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("shards missing: 0/2"), "{}", text(&o));
    assert!(!t.join("half").exists());
}

#[test]
fn bad_input_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let o = bloc(&["sweep", "-n", "2", "--shard", "4/4", "--out", "x"], t);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("is not a shard"), "{}", text(&o));

    let s = t.join("s");
    std::fs::create_dir(&s).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/illustrative");
    for e in std::fs::read_dir(shipped).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), s.join(e.file_name())).unwrap();
    }
    let toml = s.join("scenario.toml");
    let mut body = std::fs::read_to_string(&toml).unwrap();
    body += "\n[[uncertain]]\nname = \"d\"\ntable = \"demand\"\ncolumn = \"quantity_t_per_yr\"\ndistribution = \"uniform\"\nmin = 2\nmax = 1\n";
    std::fs::write(&toml, body).unwrap();
    let o = bloc(&["sweep", "-n", "2", "--out", "x", "s"], t);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains(
            "scenario.toml:38: field `uncertain[0].max`: max (1) must be larger than min (2)"
        ),
        "{}",
        text(&o)
    );
    assert!(!t.join("x").exists());
}

/// The shell command of `deploy/k8s/sweep-job.yaml` (its folded `args` scalar), run here for
/// each completion index as the Indexed Job's pods would, with `/sweep` in a temporary
/// folder: the shards merge to the bytes of the unsharded sweep. (The Job itself needs a
/// cluster; this checks the command and the variables it relies on.)
#[test]
fn the_kubernetes_job_command_runs_each_index_as_a_shard() {
    let yaml = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/k8s/sweep-job.yaml"),
    )
    .unwrap();
    assert!(yaml.contains("completionMode: Indexed"));
    let mut lines = yaml.lines().skip_while(|l| l.trim() != "- >-").skip(1);
    let mut command = Vec::new();
    for l in lines.by_ref() {
        if l.trim().is_empty() || l.trim_end().ends_with(':') {
            break;
        }
        command.push(l.trim());
    }
    let command = command.join(" ");
    assert!(command.contains("${JOB_COMPLETION_INDEX}"), "{command}");
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let sweep_dir = t.join("sweep");
    std::fs::create_dir(&sweep_dir).unwrap();
    let command = command.replace("/sweep", &sweep_dir.display().to_string());
    let bin_dir = Path::new(BLOC).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for i in 0..3 {
        let o = Command::new("/bin/sh")
            .arg("-c")
            .arg(&command)
            .env("PATH", &path)
            .env("JOB_COMPLETION_INDEX", i.to_string())
            .env("SWEEP_SHARDS", "3")
            .env("SWEEP_SAMPLES", "5")
            .env("SWEEP_SEED", "4")
            .env("SWEEP_JOBS", "1")
            .env("SWEEP_SCENARIO", "")
            .output()
            .unwrap();
        assert!(o.status.success(), "{command}: {}", text(&o));
    }
    let shards: Vec<String> = (0..3)
        .map(|i| sweep_dir.join(format!("shard-{i}")).display().to_string())
        .collect();
    let mut args = vec!["sweep", "merge", "--out", "merged"];
    args.extend(shards.iter().map(String::as_str));
    let o = bloc(&args, t);
    assert!(o.status.success(), "{}", text(&o));
    let o = bloc(
        &["sweep", "-n", "5", "--seed", "4", "-q", "--out", "whole"],
        t,
    );
    assert!(o.status.success(), "{}", text(&o));
    for f in [
        "bands.csv",
        "indicators.parquet",
        "samples.csv",
        "sweep.json",
    ] {
        assert_eq!(
            std::fs::read(t.join("whole").join(f)).unwrap(),
            std::fs::read(t.join("merged").join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn a_sweep_whose_every_sample_failed_exits_1_and_out_is_guarded() {
    // Issue 15: a sweep of which every sample failed exited 0. Here every draw of A's
    // elasticity is positive, which the loader refuses in each sample.
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/examples/base");
    std::fs::create_dir(t.join("s")).unwrap();
    for e in std::fs::read_dir(&base).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), t.join("s").join(e.file_name())).unwrap();
    }
    let toml = t.join("s/scenario.toml");
    let mut text_ = std::fs::read_to_string(&toml).unwrap();
    text_.push_str("\n[[uncertain]]\nname = \"bad\"\ntable = \"demand\"\ncolumn = \"elasticity\"\nwhere = { region = \"A\" }\napply = \"set\"\ndistribution = \"uniform\"\nmin = 1\nmax = 2\n");
    std::fs::write(&toml, text_).unwrap();
    let o = bloc(&["sweep", "s", "--samples", "3", "--out", "out", "-q"], t);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("every one of the 3 samples failed"),
        "{}",
        text(&o)
    );
    // --out over a directory bloc did not write is refused before any sample runs.
    std::fs::create_dir(t.join("mine")).unwrap();
    std::fs::write(t.join("mine/notes.txt"), "keep").unwrap();
    let o = bloc(&["sweep", "s", "--samples", "1", "--out", "mine", "-q"], t);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(t.join("mine/notes.txt").exists());
    let o = bloc(&["sweep", "s", "--samples", "1", "--out", ".", "-q"], t);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(t.join("s/scenario.toml").exists());
}
