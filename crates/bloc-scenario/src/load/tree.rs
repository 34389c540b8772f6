//! The scenario TOML as a tree in which every value remembers the file and line it was written
//! on, and the `extends` merge over such trees.
//!
//! Why a tree of our own: after `floor.toml` extends `scenario.toml`, one merged document holds
//! keys from both files. A check that runs on the merged document (a member that is not a
//! region) must still say *which* file and line wrote that key, so provenance is kept per
//! value through the merge, and the serde layer (`de.rs`) hands it to the `…Raw` types.

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
    /// The value of `key` in a table node.
    #[cfg(test)]
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

/// `over` (the extending file) on top of `base` (the file it extends): tables merge key by
/// key, recursively; anything else, arrays included, replaces the inherited value whole.
pub(crate) fn merge(base: Node, over: Node) -> Node {
    match (base.kind, over.kind) {
        (Kind::Table(mut b), Kind::Table(o)) => {
            for (k, v) in o {
                match b.iter_mut().find(|(bk, _)| *bk == k) {
                    Some(slot) => {
                        let old = std::mem::replace(
                            &mut slot.1,
                            Node {
                                kind: Kind::Bool(false),
                                at: v.at.clone(),
                            },
                        );
                        slot.1 = merge(old, v);
                    }
                    None => b.push((k, v)),
                }
            }
            Node {
                kind: Kind::Table(b),
                at: over.at,
            }
        }
        (_, kind) => Node { kind, at: over.at },
    }
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
        let m = merge(base, over);
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
