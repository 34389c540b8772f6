//! The scenario TOML as a tree in which every value remembers the file and line it was written
//! on, and the `extends` merge over such trees.
//!
//! Why a tree of our own: after `floor.toml` extends `scenario.toml`, one merged document holds
//! keys from both files. A check that runs on the merged document (a member that is not a
//! region) must still say *which* file and line wrote that key, so provenance is kept per
//! value through the merge, and the serde layer (`de.rs`) hands it to the `…Raw` types.

use super::de::At;
use crate::ScenarioError;
use std::path::Path;
use std::sync::Arc;
use toml_edit::{Item, Table, Value};

/// Where a value was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    /// The TOML file.
    pub file: Arc<Path>,
    /// 1-based line of its key (or of the value, for an array element).
    pub line: usize,
}

/// A TOML value with its origin.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: Kind,
    pub at: Origin,
}

/// The kinds of TOML value.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Table(Vec<(String, Node)>),
    Array(Vec<Node>),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Datetime(String),
}

impl Node {
    /// Whether two nodes hold the same value, wherever each was written (a table's keys in
    /// the same order).
    fn same_value(&self, other: &Node) -> bool {
        match (&self.kind, &other.kind) {
            (Kind::Table(a), Kind::Table(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((ka, va), (kb, vb))| ka == kb && va.same_value(vb))
            }
            (Kind::Array(a), Kind::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_value(y))
            }
            (Kind::Str(a), Kind::Str(b)) | (Kind::Datetime(a), Kind::Datetime(b)) => a == b,
            (Kind::Int(a), Kind::Int(b)) => a == b,
            (Kind::Float(a), Kind::Float(b)) => a == b,
            (Kind::Bool(a), Kind::Bool(b)) => a == b,
            _ => false,
        }
    }

    /// The value of `key` in a table node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Table(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    /// The value of `key` in a table node, to change.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match &mut self.kind {
            Kind::Table(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    /// Takes `key` out of a table node.
    pub fn remove(&mut self, key: &str) -> Option<Node> {
        match &mut self.kind {
            Kind::Table(entries) => {
                let i = entries.iter().position(|(k, _)| k == key)?;
                Some(entries.remove(i).1)
            }
            _ => None,
        }
    }
}

/// Byte offset → 1-based line.
struct Lines<'a>(&'a str);

impl Lines<'_> {
    fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.0.len());
        self.0.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }
    fn of(&self, span: Option<std::ops::Range<usize>>, fallback: usize) -> usize {
        span.map_or(fallback, |s| self.line(s.start))
    }
}

/// Parses one TOML file (already decoded) into a tree.
pub(crate) fn parse(file: &Arc<Path>, text: &str) -> Result<Node, ScenarioError> {
    let doc = toml_edit::ImDocument::parse(text).map_err(|e| {
        let lines = Lines(text);
        let line = lines.of(e.span(), 1);
        let mut msg = e.message().trim().replace('\n', "; ");
        if msg.is_empty() {
            // toml_edit leaves the message of some errors empty; say where and what to check.
            let col = e.span().map_or(0, |s| {
                let head = text.get(..s.start).unwrap_or(text);
                let line_start = head.rfind('\n').map_or(0, |i| i + 1);
                head[line_start..].chars().count() + 1
            });
            msg = format!(
                "unexpected text at column {col}; check the quotes around strings, the `=` after each key and the brackets of tables and arrays"
            );
        }
        ScenarioError::invalid(
            file.to_path_buf(),
            Some(line),
            None,
            format!("this is not valid TOML: {msg}"),
        )
    })?;
    let lines = Lines(text);
    let b = Builder {
        file,
        lines: &lines,
    };
    Ok(b.table(doc.as_table(), 1))
}

struct Builder<'a> {
    file: &'a Arc<Path>,
    lines: &'a Lines<'a>,
}

impl Builder<'_> {
    fn at(&self, line: usize) -> Origin {
        Origin {
            file: self.file.clone(),
            line,
        }
    }

    fn table(&self, t: &Table, line: usize) -> Node {
        let mut entries = Vec::new();
        for (k, item) in t.iter() {
            let key_line = self.lines.of(t.key(k).and_then(|k| k.span()), line);
            if let Some(node) = self.item(item, key_line) {
                entries.push((k.to_string(), node));
            }
        }
        Node {
            kind: Kind::Table(entries),
            at: self.at(line),
        }
    }

    fn item(&self, item: &Item, key_line: usize) -> Option<Node> {
        Some(match item {
            Item::None => return None,
            Item::Value(v) => self.value(v, key_line),
            Item::Table(t) => {
                // A `[header]` table is reported at its header; a dotted or implicit one at
                // its key.
                let line = if t.is_implicit() || t.is_dotted() {
                    key_line
                } else {
                    self.lines.of(t.span(), key_line)
                };
                self.table(t, line)
            }
            Item::ArrayOfTables(a) => {
                let elems: Vec<Node> = a
                    .iter()
                    .map(|t| {
                        let line = self.lines.of(t.span(), key_line);
                        self.table(t, line)
                    })
                    .collect();
                let line = elems.first().map_or(key_line, |n| n.at.line);
                Node {
                    kind: Kind::Array(elems),
                    at: self.at(line),
                }
            }
        })
    }

    fn value(&self, v: &Value, line: usize) -> Node {
        let kind = match v {
            Value::String(s) => Kind::Str(s.value().clone()),
            Value::Integer(i) => Kind::Int(*i.value()),
            Value::Float(f) => Kind::Float(*f.value()),
            Value::Boolean(b) => Kind::Bool(*b.value()),
            Value::Datetime(d) => Kind::Datetime(d.value().to_string()),
            Value::Array(a) => Kind::Array(
                a.iter()
                    .map(|e| self.value(e, self.lines.of(e.span(), line)))
                    .collect(),
            ),
            Value::InlineTable(t) => {
                let mut entries = Vec::new();
                for (k, e) in t.iter() {
                    let key_line = self.lines.of(t.key(k).and_then(|k| k.span()), line);
                    entries.push((k.to_string(), self.value(e, key_line)));
                }
                Kind::Table(entries)
            }
        };
        Node {
            kind,
            at: self.at(line),
        }
    }
}

/// The suffix of a key that adds to an inherited array instead of replacing it
/// (`members_add = [...]`).
pub(crate) const ADD: &str = "_add";

/// The suffix of a key that replaces an inherited array on purpose, without the note a plain
/// `X = [...]` leaves (`[[export_control_replace]]`: a variant that restates a regime).
pub(crate) const REPLACE: &str = "_replace";

/// Arrays of tables whose entries an extending file may change one at a time, by the key that
/// names an entry: `[[bloc.floor_override]]` with `commodity = "x"` merges its keys into the
/// inherited floor on `x`.
const OVERRIDES: &[(&str, &str)] = &[("floor", "commodity")];

/// What an extending file did to what it inherited that its author may not have meant: an
/// array replaced whole.
#[derive(Debug, Default)]
pub(crate) struct Notes(pub Vec<String>);

/// `over` (the extending file) on top of `base` (the file it extends): tables merge key by
/// key, recursively; anything else, arrays included, replaces the inherited value whole (an
/// inherited non-empty array replaced is noted in `notes`). Three explicit forms say what is
/// meant: `X_add = [...]` appends to the inherited array `X` (or starts it), `X_replace =
/// [...]` replaces it whole without a note, and `[[bloc.floor_override]]` merges each entry
/// into the inherited floor on the same commodity.
/// `path` is the dotted key of `base` (empty at the top).
pub(crate) fn merge(
    base: Node,
    over: Node,
    path: &str,
    notes: &mut Notes,
) -> Result<Node, ScenarioError> {
    match (base.kind, over.kind) {
        (Kind::Table(mut b), Kind::Table(o)) => {
            let mut later = Vec::new();
            for (k, v) in o {
                if is_explicit(&k, &v) {
                    later.push((k, v));
                    continue;
                }
                let key = join(path, &k);
                match b.iter_mut().find(|(bk, _)| *bk == k) {
                    Some(slot) => {
                        if let (Kind::Array(old), Kind::Array(new)) = (&slot.1.kind, &v.kind) {
                            // Restating the inherited entries drops nothing: no note.
                            if !old.is_empty() && !slot.1.same_value(&v) {
                                notes.0.push(format!(
                                    "{key}: {} inherited {} ({}) replaced by {} ({}:{}); to keep them and add to them, write `{k}{ADD} = [...]`{}; to replace them on purpose, write `{k}{REPLACE} = [...]`",
                                    old.len(),
                                    if old.len() == 1 { "entry" } else { "entries" },
                                    slot.1.at.file.display(),
                                    new.len(),
                                    v.at.file.display(),
                                    v.at.line,
                                    override_hint(path, &k),
                                ));
                            }
                        }
                        let old = std::mem::replace(
                            &mut slot.1,
                            Node {
                                kind: Kind::Bool(false),
                                at: v.at.clone(),
                            },
                        );
                        slot.1 = merge(old, v, &key, notes)?;
                    }
                    None => b.push((k, settle(v, &key)?)),
                }
            }
            for (k, v) in replace_first(later) {
                apply_explicit(&mut b, path, k, v)?;
            }
            Ok(Node {
                kind: Kind::Table(b),
                at: over.at,
            })
        }
        (_, kind) => settle(Node { kind, at: over.at }, path),
    }
}

/// The explicit forms in a file with nothing beneath it (the first of a chain, or a table the
/// base does not have): `X_add` starts `X`; an override has nothing to change, an error.
pub(crate) fn settle(node: Node, path: &str) -> Result<Node, ScenarioError> {
    match node.kind {
        Kind::Table(entries) => {
            let mut out: Vec<(String, Node)> = Vec::with_capacity(entries.len());
            let mut later = Vec::new();
            for (k, v) in entries {
                if is_explicit(&k, &v) {
                    later.push((k, v));
                } else {
                    let key = join(path, &k);
                    out.push((k, settle(v, &key)?));
                }
            }
            for (k, v) in replace_first(later) {
                apply_explicit(&mut out, path, k, v)?;
            }
            Ok(Node {
                kind: Kind::Table(out),
                at: node.at,
            })
        }
        kind => Ok(Node { kind, at: node.at }),
    }
}

/// The elements of an `X_add` or `X_replace` array (`field`), each settled.
fn settle_all(items: Vec<Node>, field: &str) -> Result<Vec<Node>, ScenarioError> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, n)| settle(n, &format!("{field}[{i}]")))
        .collect()
}

/// The explicit forms of one file in the order they apply: every `X_replace` before the adds
/// and overrides, so that `X_replace` and `X_add` in one file replace, then add.
fn replace_first(mut later: Vec<(String, Node)>) -> Vec<(String, Node)> {
    later.sort_by_key(|(k, _)| !k.ends_with(REPLACE));
    later
}

fn join(path: &str, k: &str) -> String {
    if path.is_empty() {
        k.to_string()
    } else {
        format!("{path}.{k}")
    }
}

fn override_of<'a>(path: &str, k: &'a str) -> Option<(&'a str, &'static str)> {
    let target = k.strip_suffix("_override")?;
    OVERRIDES
        .iter()
        .find(|(array, _)| *array == target && path == "bloc")
        .map(|(_, key)| (target, *key))
}

fn override_hint(path: &str, k: &str) -> String {
    OVERRIDES
        .iter()
        .find(|(array, _)| *array == k && path == "bloc")
        .map(|(array, key)| {
            format!(", or change one with `[[{path}.{array}_override]]` naming its `{key}`")
        })
        .unwrap_or_default()
}

fn is_explicit(k: &str, v: &Node) -> bool {
    let suffixed = |suffix: &str| k.ends_with(suffix) && k.len() > suffix.len();
    matches!(v.kind, Kind::Array(_))
        && (suffixed(ADD) || suffixed(REPLACE) || k.ends_with("_override"))
}

/// Applies `X_add`, `X_replace` or `X_override` (`v`, an array) to the table `b` at `path`.
fn apply_explicit(
    b: &mut Vec<(String, Node)>,
    path: &str,
    k: String,
    v: Node,
) -> Result<(), ScenarioError> {
    let Kind::Array(items) = v.kind else {
        return Ok(());
    };
    let field = join(path, &k);
    if let Some(target) = k.strip_suffix(REPLACE) {
        let items = settle_all(items, &field)?;
        let node = Node {
            kind: Kind::Array(items),
            at: v.at,
        };
        match b.iter_mut().find(|(bk, _)| bk == target) {
            Some((_, slot)) => *slot = node,
            None => b.push((target.to_string(), node)),
        }
        return Ok(());
    }
    if let Some(target) = k.strip_suffix(ADD) {
        let items = settle_all(items, &field)?;
        return apply_add(b, path, (&k, target), items, v.at);
    }
    let Some((target, key)) = override_of(path, &k) else {
        return Err(error_at(
            &v.at,
            v.at.line,
            &field,
            format!(
                "`{field}` is not a key; `_override` works on {}",
                OVERRIDES
                    .iter()
                    .map(|(a, key)| format!("`[[bloc.{a}_override]]` (by `{key}`)"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    };
    let inherited: &mut Vec<Node> = match b.iter_mut().find(|(bk, _)| bk == target) {
        Some((
            _,
            Node {
                kind: Kind::Array(old),
                ..
            },
        )) => old,
        _ => {
            if items.is_empty() {
                return Ok(());
            }
            return Err(error_at(
                &v.at,
                items[0].at.line,
                &field,
                format!(
                    "there is no inherited `{}` to override; write `[[{}]]` to add one",
                    join(path, target),
                    join(path, target)
                ),
            ));
        }
    };
    for item in items {
        apply_override(inherited, path, (&field, target, key), item, &v.at)?;
    }
    Ok(())
}

/// An error at `line` of the file `v_at` is in.
fn error_at(v_at: &Origin, line: usize, field: &str, message: String) -> ScenarioError {
    At {
        file: v_at.file.to_path_buf(),
        line,
        field: field.to_string(),
    }
    .error(message)
}

/// `X_add = [...]`: `items` appended to the array `target` of `b` (or starting it).
fn apply_add(
    b: &mut Vec<(String, Node)>,
    path: &str,
    (k, target): (&str, &str),
    items: Vec<Node>,
    at: Origin,
) -> Result<(), ScenarioError> {
    match b.iter_mut().find(|(bk, _)| bk == target) {
        Some((
            _,
            Node {
                kind: Kind::Array(old),
                ..
            },
        )) => old.extend(items),
        Some(_) => {
            return Err(error_at(
                &at,
                at.line,
                &join(path, k),
                format!(
                    "`{k}` adds to an array, but `{}` is not one",
                    join(path, target)
                ),
            ))
        }
        None => b.push((
            target.to_string(),
            Node {
                kind: Kind::Array(items),
                at,
            },
        )),
    }
    Ok(())
}

/// One `[[X_override]]` `item`: merged over the inherited element of `target` whose `key`
/// it names.
fn apply_override(
    inherited: &mut [Node],
    path: &str,
    (field, target, key): (&str, &str, &str),
    item: Node,
    v_at: &Origin,
) -> Result<(), ScenarioError> {
    let name = match item.get(key).map(|n| &n.kind) {
        Some(Kind::Str(s)) => s.clone(),
        _ => {
            return Err(error_at(
                v_at,
                item.at.line,
                &format!("{field}.{key}"),
                format!("each `[[{field}]]` names the {target} it changes with `{key} = \"...\"`"),
            ))
        }
    };
    let found = inherited
        .iter()
        .position(|n| matches!(n.get(key).map(|x| &x.kind), Some(Kind::Str(s)) if *s == name));
    let Some(slot) = found else {
        let known: Vec<String> = inherited
            .iter()
            .filter_map(|n| match n.get(key).map(|x| &x.kind) {
                Some(Kind::Str(s)) => Some(format!("`{s}`")),
                _ => None,
            })
            .collect();
        return Err(error_at(
            v_at,
            item.at.line,
            &format!("{field}.{key}"),
            format!(
                "no inherited {target} has {key} `{name}` (they are {}); write `[[{}]]` to add one",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                },
                join(path, target)
            ),
        ));
    };
    let old = std::mem::replace(
        &mut inherited[slot],
        Node {
            kind: Kind::Bool(false),
            at: item.at.clone(),
        },
    );
    let mut quiet = Notes::default();
    inherited[slot] = merge(old, item, &format!("{}.{target}", path), &mut quiet)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(name: &str, text: &str) -> Node {
        parse(&Arc::from(Path::new(name)), text).unwrap()
    }

    #[test]
    fn lines_of_keys_headers_and_elements() {
        let t = tree(
            "a.toml",
            "name = \"x\"\n\n[bloc]\nname = \"c\"\nmembers = [\n  { region = \"B\" },\n]\n\n[[bloc.floor]]\ncommodity = \"x\"\nlevy = { lag = 1 }\n",
        );
        assert_eq!(t.get("name").unwrap().at.line, 1);
        let bloc = t.get("bloc").unwrap();
        assert_eq!(bloc.at.line, 3);
        assert_eq!(bloc.get("name").unwrap().at.line, 4);
        let members = bloc.get("members").unwrap();
        assert_eq!(members.at.line, 5);
        let Kind::Array(m) = &members.kind else {
            panic!()
        };
        assert_eq!(m[0].at.line, 6);
        assert_eq!(m[0].get("region").unwrap().at.line, 6);
        let Kind::Array(f) = &bloc.get("floor").unwrap().kind else {
            panic!()
        };
        assert_eq!(f[0].at.line, 9);
        assert_eq!(f[0].get("commodity").unwrap().at.line, 10);
        assert_eq!(f[0].get("levy").unwrap().get("lag").unwrap().at.line, 11);
    }

    #[test]
    fn merge_tables_by_key_arrays_whole() {
        let base = tree("base.toml", "name = \"a\"\n[bloc]\nname = \"c\"\nmembers = [{ region = \"B\" }, { region = \"C\" }]\n");
        let over = tree("over.toml", "\n[bloc]\nmembers = [{ region = \"D\" }]\n");
        let m = merge(base, over, "", &mut Notes::default()).unwrap();
        let bloc = m.get("bloc").unwrap();
        assert_eq!(&*bloc.get("name").unwrap().at.file, Path::new("base.toml"));
        let members = bloc.get("members").unwrap();
        assert_eq!(&*members.at.file, Path::new("over.toml"));
        let Kind::Array(ms) = &members.kind else {
            panic!()
        };
        assert_eq!(ms.len(), 1);
        assert_eq!(m.get("name").unwrap().at.line, 1);
    }

    #[test]
    fn toml_syntax_error_has_a_line() {
        let e = parse(&Arc::from(Path::new("a.toml")), "name = \"x\"\nbad = \n").unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("a.toml:2:"), "{s}");
    }
}
