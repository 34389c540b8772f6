//! Where a command may write, and what it may replace.
//!
//! A command never deletes what bloc did not write. A results directory (`bloc run --out`,
//! `bloc sweep --out`) may replace an existing directory only when that directory is empty or
//! holds the [`MARKER`] file that bloc's writers put in every directory they make, naming the
//! same kind of result; an output file (`bloc report -o`, `bloc compare --csv/--html`) may
//! replace an existing file only when that file begins the way bloc writes it. A directory
//! that is the working directory, one of its parents, or that holds one of the command's own
//! inputs (the scenario, a run being reported) is never replaced, marker or not.

use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// The file every results directory written by bloc holds (its content names the kind).
pub const MARKER: &str = ".bloc-result";

/// The kind of results directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutKind {
    /// A run directory (`bloc run --out`).
    Run,
    /// A sweep directory (`bloc sweep --out`, `bloc sweep merge --out`).
    Sweep,
}

impl OutKind {
    /// The marker file's content for this kind.
    pub fn marker_text(self) -> &'static str {
        match self {
            OutKind::Run => "bloc run\n",
            OutKind::Sweep => "bloc sweep\n",
        }
    }
    fn name(self) -> &'static str {
        match self {
            OutKind::Run => "run",
            OutKind::Sweep => "sweep",
        }
    }
}

/// Why an output path is refused. Every variant is bad input (exit 1): the user named a
/// place the command may not write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutError {
    /// The path as the user gave it.
    pub path: PathBuf,
    /// What is wrong and what would be right.
    pub reason: String,
}

impl fmt::Display for OutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.path.display(), self.reason)
    }
}

impl std::error::Error for OutError {}

fn refuse(path: &Path, reason: impl Into<String>) -> OutError {
    OutError {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// `path` made absolute without touching the file system's links (`.` and `..` resolved
/// lexically after joining the working directory), or its canonical form when it exists.
fn absolute(path: &Path) -> Result<PathBuf, OutError> {
    if let Ok(p) = fs::canonicalize(path) {
        return Ok(p);
    }
    let joined = std::path::absolute(path)
        .map_err(|e| refuse(path, format!("cannot resolve the path: {e}")))?;
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    // The nearest existing ancestor is canonicalised, so that links above the path resolve
    // the same way as for the working directory and the inputs it is compared with.
    let mut head = out.clone();
    let mut tail = Vec::new();
    while !head.as_os_str().is_empty() {
        if let Ok(c) = fs::canonicalize(&head) {
            let mut p = c;
            for t in tail.iter().rev() {
                p.push(t);
            }
            return Ok(p);
        }
        match head.file_name() {
            Some(n) => tail.push(n.to_os_string()),
            None => break,
        }
        head.pop();
    }
    Ok(out)
}

/// Checks that `out` may be written as a results directory of `kind`: it does not exist, or
/// it is an empty directory, or it holds bloc's marker for `kind`; and it is neither the
/// working directory (or a parent of it) nor a directory holding any of `inputs`. Returns the
/// absolute path to write.
pub fn check_out_dir(out: &Path, kind: OutKind, inputs: &[&Path]) -> Result<PathBuf, OutError> {
    if out.as_os_str().is_empty() {
        return Err(refuse(
            out,
            "an empty path is not a directory; name one, as `out/run`",
        ));
    }
    let abs = absolute(out)?;
    if abs.file_name().is_none() {
        return Err(refuse(
            out,
            "is the file system's root; name a directory of its own, as `out/run`",
        ));
    }
    if let Ok(cwd) = std::env::current_dir().and_then(fs::canonicalize) {
        if cwd.starts_with(&abs) {
            return Err(refuse(
                out,
                format!(
                    "is the working directory or one of its parents; bloc replaces its --out \
                     directory whole, so name a new directory for the {}, as `out/{}`",
                    kind.name(),
                    kind.name()
                ),
            ));
        }
    }
    for input in inputs {
        if let Ok(i) = fs::canonicalize(input) {
            if i.starts_with(&abs) {
                return Err(refuse(
                    out,
                    format!(
                        "holds the input `{}`; bloc replaces its --out directory whole, so \
                         name a directory outside the inputs",
                        input.display()
                    ),
                ));
            }
        }
    }
    let meta = match fs::symlink_metadata(out) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(abs),
        Err(e) => return Err(refuse(out, format!("cannot be read: {e}"))),
    };
    if meta.file_type().is_symlink() {
        return Err(refuse(
            out,
            "is a symbolic link; name the directory itself (bloc does not replace links)",
        ));
    }
    if !meta.is_dir() {
        return Err(refuse(
            out,
            "exists and is not a directory; name a new directory for the results",
        ));
    }
    let mut entries = fs::read_dir(out).map_err(|e| refuse(out, format!("cannot be read: {e}")))?;
    if entries.next().is_none() {
        return Ok(abs);
    }
    match fs::read_to_string(out.join(MARKER)) {
        Ok(text) if text == kind.marker_text() => Ok(abs),
        Ok(text) => Err(refuse(
            out,
            format!(
                "holds a bloc result of another kind ({}), not a {}; name another directory",
                text.trim(),
                kind.name()
            ),
        )),
        Err(_) => Err(refuse(
            out,
            format!(
                "exists and holds files that bloc did not write (no `{MARKER}` marker), so \
                 bloc will not replace it; name a new or empty directory, or remove this one \
                 yourself"
            ),
        )),
    }
}

/// Checks that `out` may be written as an output file: it does not exist, or it is a regular
/// file whose first bytes satisfy `written_by_bloc` (what bloc itself writes there, e.g. an
/// HTML report's head). `what` names the file in the message (`report`).
pub fn check_out_file(
    out: &Path,
    what: &str,
    written_by_bloc: &dyn Fn(&[u8]) -> bool,
) -> Result<(), OutError> {
    if out.as_os_str().is_empty() || out.file_name().is_none() {
        return Err(refuse(
            out,
            format!("is not a file name; name the {what} file, as `{what}.html`"),
        ));
    }
    let meta = match fs::symlink_metadata(out) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(refuse(out, format!("cannot be read: {e}"))),
    };
    if !meta.is_file() {
        return Err(refuse(
            out,
            format!("exists and is not a regular file; name a new file for the {what}"),
        ));
    }
    let mut head = Vec::with_capacity(4096);
    fs::File::open(out)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .map_err(|e| refuse(out, format!("cannot be read: {e}")))?;
    if written_by_bloc(&head) {
        Ok(())
    } else {
        Err(refuse(
            out,
            format!(
                "exists and was not written by bloc, so bloc will not overwrite it; name a new \
                 file for the {what}, or remove this one yourself"
            ),
        ))
    }
}

/// The temporary sibling of `abs` (absolute, with a file name) that a writer fills before
/// renaming it into place.
pub fn temp_sibling(abs: &Path, tag: &str) -> PathBuf {
    let name = abs
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let parent = abs.parent().unwrap_or(Path::new("."));
    parent.join(format!(".{name}.{tag}-{}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_or_empty_directory_may_be_written() {
        let d = tempfile::tempdir().unwrap();
        let new = d.path().join("new");
        assert!(check_out_dir(&new, OutKind::Run, &[]).is_ok());
        fs::create_dir(&new).unwrap();
        assert!(check_out_dir(&new, OutKind::Run, &[]).is_ok());
    }

    #[test]
    fn a_directory_without_the_marker_is_refused() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("thesis.tex"), "years of work").unwrap();
        let e = check_out_dir(d.path(), OutKind::Run, &[]).unwrap_err();
        assert!(e.reason.contains("did not write"), "{e}");
        fs::write(d.path().join(MARKER), OutKind::Sweep.marker_text()).unwrap();
        let e = check_out_dir(d.path(), OutKind::Run, &[]).unwrap_err();
        assert!(e.reason.contains("another kind"), "{e}");
        fs::write(d.path().join(MARKER), OutKind::Run.marker_text()).unwrap();
        assert!(check_out_dir(d.path(), OutKind::Run, &[]).is_ok());
    }

    #[test]
    fn a_directory_holding_an_input_is_refused_even_with_the_marker() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join(MARKER), OutKind::Run.marker_text()).unwrap();
        let input = d.path().join("scenario.toml");
        fs::write(&input, "name = 'x'").unwrap();
        let e = check_out_dir(d.path(), OutKind::Run, &[&input]).unwrap_err();
        assert!(e.reason.contains("holds the input"), "{e}");
    }

    #[test]
    fn the_root_and_a_file_are_refused() {
        assert!(check_out_dir(Path::new("/"), OutKind::Run, &[]).is_err());
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("f");
        fs::write(&f, "x").unwrap();
        let e = check_out_dir(&f, OutKind::Run, &[]).unwrap_err();
        assert!(e.reason.contains("not a directory"), "{e}");
    }

    #[test]
    fn a_file_is_overwritten_only_when_bloc_wrote_it() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("report.html");
        let ours = |h: &[u8]| h.starts_with(b"<!-- bloc -->");
        assert!(check_out_file(&f, "report", &ours).is_ok());
        fs::write(&f, "<!-- bloc -->rest").unwrap();
        assert!(check_out_file(&f, "report", &ours).is_ok());
        fs::write(&f, "someone's notes").unwrap();
        assert!(check_out_file(&f, "report", &ours).is_err());
        assert!(check_out_file(d.path(), "report", &ours).is_err());
    }
}
