//! Scenario variants written as overlays on one base scenario: a TOML file of cases, each a
//! list of edits to the base's files (replace a text that occurs exactly once, append, write
//! the whole file, delete it) and where loading the result must fail.
//!
//! Why overlays and not one folder per case: a folder per case is a full copy of the base
//! (the bad-input corpus was 122 copies, 4.4 MB) in which the one broken thing is hard to see
//! and a change to the base must be made again in every copy. An overlay names only what it
//! breaks. The price is that an edit could quietly stop applying when the base changes under
//! it, so every edit is checked: a replaced text must occur exactly once, a file edited must
//! exist, and a case whose edits leave the base as it was is an error, never a no-op.
//!
//! The format is described in the header of `crates/bloc-scenario/tests/bad-input.toml`;
//! `python/tests/test_scenario.py` reads the same file.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The files of a scenario folder: name → bytes.
pub type Files = BTreeMap<String, Vec<u8>>;

/// An overlay file: its base scenario and its cases.
#[derive(Debug, Clone)]
pub struct Overlay {
    /// The base scenario folder (`base` in the file, relative to the file).
    pub base: PathBuf,
    /// The cases, in the file's order; their names are unique.
    pub cases: Vec<Case>,
}

/// One case: a name, the edits that make it from the base, and where its error must point.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// A unique name.
    pub name: String,
    /// Where loading the edited scenario must fail.
    pub error: Expected,
    /// The edits, applied in order.
    #[serde(rename = "edit")]
    pub edits: Vec<Edit>,
}

/// Where a case's error must point, and what it must say.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    /// The last component of the file the error names.
    pub file: String,
    /// The 1-based line (in a CSV the header is line 1).
    pub line: usize,
    /// The column or dotted TOML key, if the error names one.
    #[serde(default)]
    pub field: Option<String>,
    /// Text the message must contain.
    pub phrase: String,
}

/// One edit of one file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "EditRaw")]
pub struct Edit {
    /// The file's name in the scenario folder.
    pub file: String,
    /// What is done to it.
    pub change: Change,
}

/// What an [`Edit`] does to its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Replace `old`, which must occur exactly once, by `new`.
    Replace {
        /// The text replaced.
        old: String,
        /// What replaces it (bytes: it may be made not to be UTF-8).
        new: Vec<u8>,
    },
    /// Add the text at the end of the file.
    Append(String),
    /// Make the file this text, whether or not it existed.
    Write(String),
    /// Remove the file.
    Delete,
}

/// An edit as written: `file` and exactly one of `replace` (with `with` or `with_bytes`),
/// `append`, `write` and `delete = true`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EditRaw {
    file: String,
    replace: Option<String>,
    with: Option<String>,
    with_bytes: Option<String>,
    append: Option<String>,
    write: Option<String>,
    delete: Option<bool>,
}

impl TryFrom<EditRaw> for Edit {
    type Error = String;

    fn try_from(r: EditRaw) -> Result<Edit, String> {
        let file = r.file;
        let has_with = r.with.is_some() || r.with_bytes.is_some();
        let change = match (r.replace, r.append, r.write, r.delete) {
            (Some(old), None, None, None) => {
                let new = match (r.with, r.with_bytes) {
                    (Some(w), None) => w.into_bytes(),
                    (None, Some(b)) => unescape_bytes(&b)?,
                    _ => {
                        return Err(format!(
                            "edit of {file}: `replace` needs one of `with` and `with_bytes`"
                        ))
                    }
                };
                Change::Replace { old, new }
            }
            (None, Some(text), None, None) => Change::Append(text),
            (None, None, Some(text), None) => Change::Write(text),
            (None, None, None, Some(true)) => Change::Delete,
            _ => {
                return Err(format!(
                    "edit of {file}: write exactly one of `replace`, `append`, `write` and \
                     `delete = true`"
                ))
            }
        };
        if has_with && !matches!(change, Change::Replace { .. }) {
            return Err(format!(
                "edit of {file}: `with` and `with_bytes` go with `replace` only"
            ));
        }
        Ok(Edit { file, change })
    }
}

/// `with_bytes`: the text's UTF-8, except that `\xNN` (two hex digits) is the byte NN.
fn unescape_bytes(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.extend_from_slice(&rest.as_bytes()[..i]);
        let hex = rest
            .get(i + 1..i + 4)
            .and_then(|e| e.strip_prefix('x'))
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .ok_or_else(|| format!("with_bytes {s:?}: a `\\` must start `\\xNN`"))?;
        out.push(hex);
        rest = &rest[i + 4..];
    }
    out.extend_from_slice(rest.as_bytes());
    Ok(out)
}

/// How many times `needle` occurs in `hay`, overlapping occurrences counted.
fn occurrences(hay: &[u8], needle: &[u8]) -> usize {
    if needle.is_empty() {
        return usize::MAX;
    }
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OverlayRaw {
    base: PathBuf,
    #[serde(rename = "case")]
    cases: Vec<Case>,
}

impl Overlay {
    /// Parses overlay text; `dir` is the folder the base's path is relative to. `Err` says
    /// what is wrong: TOML, an edit, or a name used twice.
    pub fn parse(text: &str, dir: &Path) -> Result<Overlay, String> {
        let raw: OverlayRaw = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut seen = std::collections::BTreeSet::new();
        for c in &raw.cases {
            if !seen.insert(c.name.as_str()) {
                return Err(format!("case `{}` is named twice", c.name));
            }
            if c.edits.is_empty() {
                return Err(format!("case `{}` has no edit", c.name));
            }
        }
        Ok(Overlay {
            base: dir.join(raw.base),
            cases: raw.cases,
        })
    }

    /// Reads and parses the overlay file at `path`; panics naming the file when it cannot.
    pub fn read(path: &Path) -> Overlay {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let dir = path.parent().expect("the overlay file's folder");
        Overlay::parse(&text, dir).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The files of the base folder (its subfolders are not part of it).
    pub fn base_files(&self) -> Files {
        let mut files = Files::new();
        let dir = &self.base;
        for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let e = e.expect("a directory entry");
            if e.path().is_file() {
                let name = e.file_name().into_string().expect("a UTF-8 file name");
                let bytes = std::fs::read(e.path())
                    .unwrap_or_else(|err| panic!("{}: {err}", e.path().display()));
                files.insert(name, bytes);
            }
        }
        files
    }

    /// The case's scenario written to a fresh temporary folder named after the case (so that
    /// messages show its name); see [`Case::apply`] for when it is an `Err`.
    pub fn make(&self, case: &Case) -> Result<Made, String> {
        let files = case.apply(&self.base_files())?;
        let tmp = tempfile::tempdir().map_err(|e| format!("a temporary folder: {e}"))?;
        let dir = tmp.path().join(&case.name);
        std::fs::create_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for (name, bytes) in &files {
            let p = dir.join(name);
            std::fs::write(&p, bytes).map_err(|e| format!("{}: {e}", p.display()))?;
        }
        Ok(Made { _tmp: tmp, dir })
    }
}

/// A case's scenario on disk, removed when this is dropped.
#[derive(Debug)]
pub struct Made {
    _tmp: tempfile::TempDir,
    /// The scenario folder.
    pub dir: PathBuf,
}

impl Case {
    /// The base's files with this case's edits applied in order. `Err`, naming the case, the
    /// edit and the file: a replaced text that occurs other than exactly once, an edit of a
    /// file that does not exist (but `write`), or a result identical to the base.
    pub fn apply(&self, base: &Files) -> Result<Files, String> {
        let mut files = base.clone();
        for (i, e) in self.edits.iter().enumerate() {
            let at = format!("case `{}`, edit {} of {}", self.name, i + 1, e.file);
            let missing = || format!("{at}: there is no file {}", e.file);
            match &e.change {
                Change::Replace { old, new } => {
                    let text = files.get_mut(&e.file).ok_or_else(missing)?;
                    let n = occurrences(text, old.as_bytes());
                    if n != 1 {
                        return Err(format!(
                            "{at}: the text to replace must occur exactly once, but occurs \
                             {n} times: {old:?}"
                        ));
                    }
                    let i = text
                        .windows(old.len())
                        .position(|w| w == old.as_bytes())
                        .expect("found once");
                    text.splice(i..i + old.len(), new.iter().copied());
                }
                Change::Append(t) => {
                    let text = files.get_mut(&e.file).ok_or_else(missing)?;
                    text.extend_from_slice(t.as_bytes());
                }
                Change::Write(t) => {
                    files.insert(e.file.clone(), t.clone().into_bytes());
                }
                Change::Delete => {
                    files.remove(&e.file).ok_or_else(missing)?;
                }
            }
        }
        if &files == base {
            return Err(format!(
                "case `{}`: its edits leave the base as it was",
                self.name
            ));
        }
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(edits: &str) -> Result<Case, String> {
        let text = format!(
            "base = \"b\"\n[[case]]\nname = \"c\"\n\
             error = {{ file = \"a.csv\", line = 2, phrase = \"p\" }}\n{edits}"
        );
        let o = Overlay::parse(&text, Path::new("/x"))?;
        assert_eq!(o.base, Path::new("/x/b"));
        Ok(o.cases.into_iter().next().unwrap())
    }

    fn base() -> Files {
        Files::from([
            ("a.csv".to_string(), b"id\nx\ny\n".to_vec()),
            ("s.toml".to_string(), b"k = 1\n".to_vec()),
        ])
    }

    #[test]
    fn each_kind_of_edit_applies_in_order() {
        let c = case(
            "[[case.edit]]\nfile = \"a.csv\"\nreplace = \"x\\n\"\nwith_bytes = 'z\\xFF\\x0a'\n\
             [[case.edit]]\nfile = \"a.csv\"\nappend = \"w\\n\"\n\
             [[case.edit]]\nfile = \"n.csv\"\nwrite = \"new\"\n\
             [[case.edit]]\nfile = \"s.toml\"\ndelete = true\n",
        )
        .unwrap();
        assert_eq!(c.error.field, None);
        let got = c.apply(&base()).unwrap();
        assert_eq!(
            got,
            Files::from([
                ("a.csv".to_string(), b"id\nz\xFF\ny\nw\n".to_vec()),
                ("n.csv".to_string(), b"new".to_vec()),
            ])
        );
    }

    #[test]
    fn a_text_found_zero_or_two_times_is_an_error_not_a_no_op() {
        let c = case("[[case.edit]]\nfile = \"a.csv\"\nreplace = \"q\"\nwith = \"r\"\n").unwrap();
        assert_eq!(
            c.apply(&base()).unwrap_err(),
            "case `c`, edit 1 of a.csv: the text to replace must occur exactly once, but \
             occurs 0 times: \"q\""
        );
        let c = case("[[case.edit]]\nfile = \"a.csv\"\nreplace = \"\\n\"\nwith = \",\"\n").unwrap();
        assert!(c.apply(&base()).unwrap_err().contains("occurs 3 times"));
        let c = case("[[case.edit]]\nfile = \"no.csv\"\nappend = \"r\"\n").unwrap();
        assert_eq!(
            c.apply(&base()).unwrap_err(),
            "case `c`, edit 1 of no.csv: there is no file no.csv"
        );
    }

    #[test]
    fn edits_that_leave_the_base_as_it_was_are_an_error() {
        let c = case("[[case.edit]]\nfile = \"a.csv\"\nreplace = \"x\"\nwith = \"x\"\n").unwrap();
        assert_eq!(
            c.apply(&base()).unwrap_err(),
            "case `c`: its edits leave the base as it was"
        );
        let c = case("[[case.edit]]\nfile = \"s.toml\"\nwrite = \"k = 1\\n\"\n").unwrap();
        assert!(c.apply(&base()).is_err());
    }

    #[test]
    fn a_malformed_edit_or_a_repeated_name_is_refused() {
        let two = "[[case.edit]]\nfile = \"a.csv\"\nappend = \"r\"\nwrite = \"w\"\n";
        assert!(
            case(two).unwrap_err().contains("exactly one of"),
            "two kinds"
        );
        let bare = "[[case.edit]]\nfile = \"a.csv\"\nreplace = \"x\"\n";
        assert!(case(bare).unwrap_err().contains("needs one of"), "no with");
        let stray = "[[case.edit]]\nfile = \"a.csv\"\nappend = \"r\"\nwith = \"w\"\n";
        assert!(case(stray).unwrap_err().contains("go with `replace` only"));
        let bad = "[[case.edit]]\nfile = \"a.csv\"\nreplace = \"x\"\nwith_bytes = 'a\\q'\n";
        assert!(case(bad).unwrap_err().contains("must start `\\xNN`"));
        let none = "";
        assert!(case(none).is_err(), "a case with no edit");
        let twice = "base = \"b\"\n\
            [[case]]\nname = \"c\"\nerror = { file = \"f\", line = 1, phrase = \"p\" }\n\
            [[case.edit]]\nfile = \"a.csv\"\nappend = \"r\"\n\
            [[case]]\nname = \"c\"\nerror = { file = \"f\", line = 1, phrase = \"p\" }\n\
            [[case.edit]]\nfile = \"a.csv\"\nappend = \"r\"\n";
        assert_eq!(
            Overlay::parse(twice, Path::new(".")).unwrap_err(),
            "case `c` is named twice"
        );
    }
}
