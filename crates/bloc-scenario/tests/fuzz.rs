//! Seeded random mutations of real scenarios: whatever the bytes, loading returns `Ok` or a
//! clear `Err`, and never panics.

use bloc_scenario::{load_from, Embedded, ScenarioError};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};

/// Mutated scenarios per run; `BLOC_FUZZ_ITERATIONS` and `BLOC_FUZZ_SEED` override the
/// defaults for a longer hunt.
const ITERATIONS: usize = 4000;
const SEED: u64 = 20260101;

/// The files of a scenario folder, as (name, bytes).
type Files = Vec<(String, Vec<u8>)>;

fn folder(dir: &Path) -> Files {
    let mut files: Files = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            n.ends_with(".csv") || n.ends_with(".toml")
        })
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// Cells a mutation may write: numbers out of range, NaN, wildcards, dates, ids...
const TOKENS: &[&str] = &[
    "",
    "-1",
    "0",
    "1e309",
    "NaN",
    "inf",
    "-inf",
    "*",
    "2027Q5",
    "2026Q1",
    "2099Q4",
    "2027",
    "USA",
    "CHN",
    "A",
    "B",
    "x",
    "ndpr_oxide",
    "mine",
    "linear",
    "\"",
    "\"\"",
    ",",
    "\r\n",
    "\n",
    "é",
    "\u{feff}",
    "[bloc]",
    "[[bloc.floor]]",
    "=",
    "{",
    "extends = \"scenario.toml\"",
];

fn mutate(rng: &mut ChaCha8Rng, bytes: &mut Vec<u8>) -> String {
    let len = bytes.len();
    match rng.gen_range(0..7) {
        0 if len > 0 => {
            let i = rng.gen_range(0..len);
            bytes.remove(i);
            format!("delete byte {i}")
        }
        1 => {
            let text = bytes.clone();
            let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
            let k = rng.gen_range(0..lines.len());
            let mut out = Vec::new();
            for (i, l) in lines.iter().enumerate() {
                out.extend_from_slice(l);
                out.push(b'\n');
                if i == k {
                    out.extend_from_slice(l);
                    out.push(b'\n');
                }
            }
            *bytes = out;
            format!("duplicate line {k}")
        }
        2 => {
            // Swap two cells of one line.
            let text = bytes.clone();
            let mut lines: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
            let k = rng.gen_range(0..lines.len());
            let mut cells: Vec<Vec<u8>> =
                lines[k].split(|&b| b == b',').map(<[u8]>::to_vec).collect();
            if cells.len() >= 2 {
                let a = rng.gen_range(0..cells.len());
                let b = rng.gen_range(0..cells.len());
                cells.swap(a, b);
            }
            lines[k] = cells.join(&b","[..]);
            *bytes = lines.join(&b"\n"[..]);
            format!("swap cells on line {k}")
        }
        3 => {
            // Garbage bytes, invalid UTF-8 included.
            let i = rng.gen_range(0..=len);
            let n = rng.gen_range(1..8);
            let garbage: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
            bytes.splice(i..i, garbage);
            format!("insert {n} random bytes at {i}")
        }
        4 => {
            let i = rng.gen_range(0..=len);
            bytes.truncate(i);
            format!("truncate at {i}")
        }
        5 => {
            let i = rng.gen_range(0..=len);
            let t = TOKENS.choose(rng).unwrap();
            bytes.splice(i..i, t.bytes());
            format!("insert {t:?} at {i}")
        }
        _ => {
            // Replace one cell with a token.
            let text = bytes.clone();
            let mut lines: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
            let k = rng.gen_range(0..lines.len());
            let mut cells: Vec<Vec<u8>> =
                lines[k].split(|&b| b == b',').map(<[u8]>::to_vec).collect();
            let c = rng.gen_range(0..cells.len());
            let t = TOKENS.choose(rng).unwrap();
            cells[c] = t.as_bytes().to_vec();
            lines[k] = cells.join(&b","[..]);
            *bytes = lines.join(&b"\n"[..]);
            format!("cell {c} of line {k} := {t:?}")
        }
    }
}

#[test]
fn mutated_scenarios_never_panic() {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR")));
    let bases: Vec<(Files, &str)> = vec![
        (
            folder(&root.join("../../../shared/examples/two-region")),
            "scenario.toml",
        ),
        (
            folder(&root.join("../../../shared/examples/two-region-linear")),
            "floor-lag1.toml",
        ),
        (folder(&root.join("tests/data/base")), "scenario.toml"),
    ];
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let iterations = env("BLOC_FUZZ_ITERATIONS").map_or(ITERATIONS, |n| n as usize);
    let mut rng = ChaCha8Rng::seed_from_u64(env("BLOC_FUZZ_SEED").unwrap_or(SEED));
    let (mut ok, mut err) = (0, 0);
    for iteration in 0..iterations {
        let (files, top) = &bases[iteration % bases.len()];
        let mut files = files.clone();
        let mut log = Vec::new();
        for _ in 0..rng.gen_range(1..4) {
            let k = rng.gen_range(0..files.len());
            let what = mutate(&mut rng, &mut files[k].1);
            log.push(format!("{}: {what}", files[k].0));
        }
        let mut set = Embedded::new();
        for (name, bytes) in &files {
            set.insert(Path::new("s").join(name), bytes.clone());
        }
        let result = std::panic::catch_unwind(|| load_from(&set, &Path::new("s").join(top)));
        match result {
            Ok(Ok(_)) => ok += 1,
            Ok(Err(e)) => {
                err += 1;
                // Every error names a file; an `Invalid` one a line too.
                if let ScenarioError::Invalid { at, message } = &e {
                    assert!(
                        at.line.is_some_and(|l| l >= 1),
                        "iteration {iteration}: no line: {e}"
                    );
                    assert!(!message.is_empty());
                }
            }
            Err(_) => panic!("iteration {iteration} panicked after: {}", log.join("; ")),
        }
    }
    println!("{iterations} mutated scenarios: {ok} loaded, {err} rejected");
    // Both outcomes happen: the mutations are neither all harmless nor all fatal.
    assert!(ok > 0 && err > 0, "ok {ok}, err {err}");
}
