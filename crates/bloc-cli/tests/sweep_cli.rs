//! `bloc sweep` on the command line: a sweep of the shipped default, exit codes on bad
//! input, shards merged with `bloc sweep merge`.

use std::path::Path;
use std::process::{Command, Output};

fn bloc(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bloc"))
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
    assert!(
        text(&o).contains("declares no [[uncertain]] inputs"),
        "{}",
        text(&o)
    );
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
