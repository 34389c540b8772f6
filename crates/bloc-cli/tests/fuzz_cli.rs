//! End-to-end mutation fuzzing of the `bloc` binary (issue 15): the shipped examples'
//! CSV and TOML files are mutated (bytes, cells, numbers scaled to 1e±300, tokens such as
//! `NaN`), and `bloc run` must, for every mutant, exit 0, 1 or 2 without a panic and within
//! a time limit; a run that exits 0 writes no NaN or infinity; and nothing outside `--out`
//! changes (the scenario files, a sentinel file beside them).
//!
//! The mutants come from a seeded RNG (`BLOC_FUZZ_SEED`), so a failure is replayed by its
//! seed and iteration; the hunt lasts `BLOC_FUZZ_SECONDS` (default 60; CI sets 120).

mod common;

use common::{bloc_command, repo};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

const SEED: u64 = 15_2026;
/// Longest a mutant may run: the examples solve in milliseconds, so this is a hang.
const HANG: Duration = Duration::from_secs(60);

const TOKENS: &[&str] = &[
    "",
    "-1",
    "0",
    "1e308",
    "1e-308",
    "1e300",
    "-1e300",
    "1e-100",
    "NaN",
    "inf",
    "*",
    "2027Q5",
    "2099Q4",
    "2026",
    "A",
    "B",
    "x",
    "linear",
    "\"",
    ",",
    "\n",
    "é",
    "[bloc]",
    "=",
    "{",
    "1e15",
    "999999999999",
    "-0",
    "0.0000001",
];

/// Every file below `dir`, as (path relative to `dir`, bytes).
fn snapshot(dir: &Path, skip: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, skip: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p == skip {
                continue;
            }
            if p.is_dir() {
                walk(root, &p, skip, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_path_buf();
                out.insert(rel, fs::read(&p).unwrap_or_default());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, skip, &mut out);
    out
}

/// Scales a number in the text by 10^k, or replaces a cell with a token, or damages bytes.
fn mutate(rng: &mut ChaCha8Rng, bytes: &mut Vec<u8>) -> String {
    let text = String::from_utf8_lossy(bytes).into_owned();
    match rng.gen_range(0..6) {
        0 | 1 => {
            // A number, scaled by a power of ten (the way 37,527 mutants found issue 15).
            let spans: Vec<(usize, usize)> = number_spans(&text);
            if spans.is_empty() {
                return "no number".into();
            }
            let (a, b) = *spans.choose(rng).unwrap();
            let v: f64 = text[a..b].parse().unwrap_or(1.0);
            let k = *[-300, -100, -12, -6, 6, 12, 100, 200, 300, 307]
                .choose(rng)
                .unwrap();
            let w = format!("{:e}", if v == 0.0 { 1.0 } else { v } * 10f64.powi(k));
            let mut s = text.clone();
            s.replace_range(a..b, &w);
            *bytes = s.into_bytes();
            format!("number at {a} := {w}")
        }
        2 => {
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            if lines.is_empty() {
                return "empty".into();
            }
            let k = rng.gen_range(0..lines.len());
            let mut cells: Vec<String> = lines[k].split(',').map(str::to_string).collect();
            let c = rng.gen_range(0..cells.len());
            let t = TOKENS.choose(rng).unwrap();
            cells[c] = t.to_string();
            lines[k] = cells.join(",");
            *bytes = (lines.join("\n") + "\n").into_bytes();
            format!("line {k} cell {c} := {t:?}")
        }
        3 => {
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            if lines.len() > 1 {
                let k = rng.gen_range(0..lines.len());
                let l = lines[k].clone();
                lines.insert(k, l);
            }
            *bytes = (lines.join("\n") + "\n").into_bytes();
            "duplicate a line".into()
        }
        4 => {
            let i = rng.gen_range(0..=bytes.len());
            bytes.truncate(i);
            format!("truncate at {i}")
        }
        _ => {
            let i = rng.gen_range(0..=bytes.len());
            let t = TOKENS.choose(rng).unwrap();
            bytes.splice(i..i, t.bytes());
            format!("insert {t:?} at {i}")
        }
    }
}

/// Byte ranges of plain decimal numbers in `text`.
fn number_spans(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit()
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        {
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            if i < b.len() && !(b[i].is_ascii_alphabetic() || b[i] == b'_') {
                out.push((start, i));
            }
        } else {
            i += 1;
        }
    }
    out
}

/// What is wrong with the run of one mutant (empty: all right).
fn judge(out: &Path, code: Option<i32>, stderr: &str) -> Vec<String> {
    let mut wrong = Vec::new();
    match code {
        Some(0..=2) => {}
        other => wrong.push(format!("exit code {other:?}")),
    }
    if stderr.contains("panicked") {
        wrong.push("panicked".into());
    }
    if code == Some(2) && !stderr.contains("error") {
        wrong.push("exit 2 without a message".into());
    }
    if stderr.contains(" at \n") || stderr.trim_end().ends_with(" at") {
        wrong.push("a message with an empty location".into());
    }
    if code == Some(0) {
        for e in fs::read_dir(out).into_iter().flatten() {
            let p = e.unwrap().path();
            let text = fs::read_to_string(&p).unwrap_or_default();
            if p.ends_with("run.json") {
                // serde_json writes a NaN or an infinity as `null`.
                for l in text.lines() {
                    let l = l.trim();
                    if l.ends_with("null,") || l.ends_with("null") {
                        wrong.push(format!("run.json: {l}"));
                    }
                }
                continue;
            }
            // Value columns only: an id may be spelt `inf`.
            let mut rows = csv::ReaderBuilder::new().from_reader(text.as_bytes());
            let header = rows.headers().cloned().unwrap_or_default();
            let value = |h: &str| h == "value" || h.contains("usd") || h.ends_with("_t");
            for r in rows.records().flatten() {
                for (h, cell) in header.iter().zip(r.iter()) {
                    let finite = cell.parse::<f64>().is_ok_and(f64::is_finite);
                    if value(h) && !cell.is_empty() && !finite {
                        wrong.push(format!("{} column {h} holds `{cell}`", p.display()));
                    }
                }
            }
        }
    }
    wrong
}

#[test]
fn mutated_examples_never_panic_hang_or_delete() {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let budget = Duration::from_secs(env("BLOC_FUZZ_SECONDS").unwrap_or(60));
    let seed = env("BLOC_FUZZ_SEED").unwrap_or(SEED);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let examples = repo().join("scenarios/examples");
    let mut names: Vec<String> = fs::read_dir(&examples)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| examples.join(n).join("scenario.toml").is_file())
        .collect();
    names.sort();
    let started = Instant::now();
    let mut counts: BTreeMap<i32, usize> = BTreeMap::new();
    let mut iteration = 0usize;
    while started.elapsed() < budget {
        iteration += 1;
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("examples");
        let name = names.choose(&mut rng).unwrap().clone();
        for dir in ["base", name.as_str()] {
            let d = root.join(dir);
            fs::create_dir_all(&d).unwrap();
            for e in fs::read_dir(examples.join(dir)).unwrap() {
                let e = e.unwrap();
                fs::copy(e.path(), d.join(e.file_name())).unwrap();
            }
        }
        let mut files: Vec<PathBuf> = ["base", name.as_str()]
            .iter()
            .flat_map(|d| {
                fs::read_dir(root.join(d))
                    .unwrap()
                    .map(|e| e.unwrap().path())
            })
            .collect();
        files.sort();
        files.dedup();
        let mut log = vec![format!("example {name}")];
        for _ in 0..rng.gen_range(1..4) {
            let f = files.choose(&mut rng).unwrap();
            let mut bytes = fs::read(f).unwrap();
            let what = mutate(&mut rng, &mut bytes);
            fs::write(f, bytes).unwrap();
            log.push(format!(
                "{}: {what}",
                f.strip_prefix(&root).unwrap().display()
            ));
        }
        fs::write(tmp.path().join("sentinel.txt"), "not bloc's").unwrap();
        // Now and then, --out names a directory that bloc did not write.
        let out = if rng.gen_bool(0.2) {
            let o = tmp.path().join("theirs");
            fs::create_dir_all(&o).unwrap();
            fs::write(o.join("keep.txt"), "keep").unwrap();
            o
        } else {
            tmp.path().join("out")
        };
        let skip = if out.ends_with("theirs") {
            tmp.path().join("none")
        } else {
            out.clone()
        };
        let before = snapshot(tmp.path(), &skip);
        let mut child = bloc_command()
            .current_dir(tmp.path())
            .args(["run", "-q"])
            .arg(root.join(&name))
            .arg("--out")
            .arg(&out)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let t0 = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break Some(s);
            }
            if t0.elapsed() > HANG {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let stderr = {
            use std::io::Read;
            let mut s = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut s);
            s
        };
        let Some(status) = status else {
            panic!(
                "seed {seed} iteration {iteration} hung for {HANG:?}: {}",
                log.join("; ")
            );
        };
        let mut wrong = judge(&out, status.code(), &stderr);
        let after = snapshot(tmp.path(), &skip);
        if before != after {
            wrong.push("files outside --out changed".into());
        }
        assert!(
            wrong.is_empty(),
            "seed {seed} iteration {iteration}: {}\nmutations: {}\nstderr: {stderr}",
            wrong.join("; "),
            log.join("; ")
        );
        *counts.entry(status.code().unwrap_or(-1)).or_default() += 1;
    }
    println!(
        "{iteration} mutants in {:?}: exit codes {counts:?}",
        started.elapsed()
    );
    assert!(
        iteration >= 20,
        "too few mutants ran ({iteration}); the machine is too slow for the budget"
    );
    // The mutations reach both the loader's errors and the solver.
    assert!(
        counts.contains_key(&0) && counts.contains_key(&1),
        "{counts:?}"
    );
}
