//! The README's worked example is a test.
//!
//! The block between `<!-- readme-example -->` and `<!-- /readme-example -->` in README.md is
//! a shell session run from the repository root. Each `$ bloc …` line is run with the built
//! binary; each `$ head -n N FILE` or `$ grep TEXT FILE` line is followed by the lines the
//! README says it prints, which must match what the run wrote (numbers within 1e-6 relative,
//! other cells exactly). Paths under `out/` are moved into a temporary directory.

mod common;

use common::{bloc_command, repo};
use std::path::Path;

const START: &str = "<!-- readme-example -->";
const END: &str = "<!-- /readme-example -->";

/// One `$` line and the output lines the README gives for it.
#[derive(Debug)]
struct Step {
    command: Vec<String>,
    output: Vec<String>,
}

fn steps(readme: &str) -> Vec<Step> {
    let start = readme
        .find(START)
        .expect("README.md has a `<!-- readme-example -->` marker")
        + START.len();
    let end = start
        + readme[start..]
            .find(END)
            .expect("README.md has a `<!-- /readme-example -->` marker");
    let mut steps: Vec<Step> = Vec::new();
    for line in readme[start..end].lines() {
        let line = line.trim_end();
        if line.trim_start().starts_with("```") || line.trim().is_empty() {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            steps.push(Step {
                command: cmd.split_whitespace().map(str::to_string).collect(),
                output: Vec::new(),
            });
        } else if let Some(s) = steps.last_mut() {
            s.output.push(line.to_string());
        }
    }
    steps
}

/// `out/…` → `<tmp>/out/…`.
fn rebase(arg: &str, tmp: &Path) -> String {
    if arg.starts_with("out/") {
        tmp.join(arg).to_string_lossy().into_owned()
    } else {
        arg.to_string()
    }
}

fn same_line(want: &str, got: &str) -> bool {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.split(',').collect(), got.split(',').collect());
    w.len() == g.len()
        && w.iter()
            .zip(&g)
            .all(|(a, b)| match (a.parse::<f64>(), b.parse::<f64>()) {
                (Ok(x), Ok(y)) => (x - y).abs() <= 1e-6 * x.abs().max(y.abs()).max(1.0),
                _ => a == b,
            })
}

#[test]
fn the_readme_worked_example_prints_what_the_readme_says() {
    let root = repo();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let steps = steps(&readme);
    assert!(
        steps
            .iter()
            .any(|s| s.command.first().map(String::as_str) == Some("bloc")),
        "no `$ bloc` line in the example"
    );
    assert!(
        steps.iter().any(|s| !s.output.is_empty()),
        "the example states no output to check"
    );
    let tmp = tempfile::tempdir().unwrap();
    for s in &steps {
        let args: Vec<String> = s
            .command
            .iter()
            .skip(1)
            .map(|a| rebase(a, tmp.path()))
            .collect();
        let shown = s.command.join(" ");
        match s.command[0].as_str() {
            "bloc" => {
                let o = bloc_command()
                    .args(&args)
                    .current_dir(&root)
                    .output()
                    .expect("start bloc");
                assert!(
                    o.status.success(),
                    "`{shown}` failed ({}): {}",
                    o.status,
                    String::from_utf8_lossy(&o.stderr)
                );
            }
            "head" | "grep" => {
                let read = |file: &str| {
                    std::fs::read_to_string(root.join(file))
                        .unwrap_or_else(|e| panic!("`{shown}`: {file}: {e}"))
                };
                let body;
                let got: Vec<&str> = match (s.command[0].as_str(), &args[..]) {
                    ("head", [n, count, file]) if n == "-n" => {
                        body = read(file);
                        body.lines()
                            .take(count.parse().expect("head -n N"))
                            .collect()
                    }
                    ("grep", [text, file]) => {
                        body = read(file);
                        body.lines().filter(|l| l.contains(text.as_str())).collect()
                    }
                    _ => panic!(
                        "`{shown}`: the example may use only `head -n N FILE` and `grep TEXT FILE`"
                    ),
                };
                assert_eq!(
                    got.len(),
                    s.output.len(),
                    "`{shown}` prints {got:#?}, the README says {:#?}",
                    s.output
                );
                for (w, g) in s.output.iter().zip(&got) {
                    assert!(
                        same_line(w, g),
                        "`{shown}`: the README says `{w}`, the run wrote `{g}`"
                    );
                }
            }
            other => panic!("`{shown}`: unknown command `{other}` in the README example"),
        }
    }
}
