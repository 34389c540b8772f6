//! serde over the provenance tree of `tree.rs`: the `…Raw` types derive `Deserialize` as
//! usual (`deny_unknown_fields` included), and a field typed [`Located<T>`] receives, beside
//! its value, the file, line and key path where that value was written. Errors serde raises
//! (an unknown key, a wrong type, a missing key) are given the position of the key they are
//! about on the way out.

use super::tree::{Kind, Node, Origin};
use crate::ScenarioError;
use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use std::fmt;
use std::path::PathBuf;

/// Where a TOML value was written: file, 1-based line of its key, and the dotted key path
/// (`bloc.floor[0].levy.lag`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct At {
    pub file: PathBuf,
    pub line: usize,
    pub field: String,
}

impl At {
    /// An error at this key.
    pub fn error(&self, message: impl Into<String>) -> ScenarioError {
        ScenarioError::invalid(
            self.file.clone(),
            Some(self.line),
            Some(&self.field),
            message,
        )
    }
}

/// A value with the place it was written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Located<T> {
    pub value: T,
    pub at: At,
}

impl<T> Located<T> {
    /// An error at this value's key.
    pub fn error(&self, message: impl Into<String>) -> ScenarioError {
        self.at.error(message)
    }
}

const LOCATED: &str = "$__bloc_scenario_private_Located";
const LOCATED_FIELDS: &[&str] = &["file", "line", "field", "value"];

impl<'de, T: de::Deserialize<'de>> de::Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: de::Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Located<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a located value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Located<T>, A::Error> {
                let mut at = At::default();
                let mut value = None;
                while let Some(k) = map.next_key::<String>()? {
                    match k.as_str() {
                        "file" => at.file = PathBuf::from(map.next_value::<String>()?),
                        "line" => at.line = map.next_value::<u64>()? as usize,
                        "field" => at.field = map.next_value::<String>()?,
                        _ => value = Some(map.next_value::<T>()?),
                    }
                }
                let value = value.ok_or_else(|| de::Error::missing_field("value"))?;
                Ok(Located { value, at })
            }
        }
        d.deserialize_struct(LOCATED, LOCATED_FIELDS, V(std::marker::PhantomData))
    }
}

/// A serde error, with the place it is about once that is known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeError {
    message: String,
    at: Option<Origin>,
    field: Option<String>,
    /// A key that a table lacks (its path is the table's path plus this).
    missing: Option<String>,
}

impl DeError {
    fn new(message: String) -> Self {
        DeError {
            message,
            at: None,
            field: None,
            missing: None,
        }
    }

    /// Gives a placeless error the place of `node` at `path`.
    fn place(mut self, at: &Origin, path: &str) -> Self {
        if self.at.is_none() {
            self.at = Some(at.clone());
            self.field = Some(match self.missing.take() {
                Some(k) => join(path, &k),
                None => path.to_string(),
            });
        }
        self
    }

    /// As a scenario error.
    pub fn into_scenario_error(self, fallback: &Origin) -> ScenarioError {
        let at = self.at.unwrap_or_else(|| fallback.clone());
        let field = self.field.or(self.missing);
        ScenarioError::invalid(
            at.file.to_path_buf(),
            Some(at.line),
            field.as_deref().filter(|f| !f.is_empty()),
            self.message,
        )
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

/// What serde calls a type, as a person writing TOML would say it.
fn plain_expected(exp: &dyn de::Expected) -> String {
    let e = exp.to_string();
    match e.as_str() {
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize" => {
            "a whole number, as `4`".to_string()
        }
        "f32" | "f64" => "a number, as `12.5`".to_string(),
        "a string" => "a quoted string, as `\"text\"`".to_string(),
        s if s.starts_with("struct ") => "a table, as `{ key = value }`".to_string(),
        "a sequence" => "an array, as `[ ... ]`".to_string(),
        _ => e,
    }
}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::new(msg.to_string())
    }
    fn invalid_type(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        DeError::new(format!("found {unexp}; write {}", plain_expected(exp)))
    }
    fn invalid_value(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        DeError::new(format!(
            "{unexp} is not allowed here; write {}",
            plain_expected(exp)
        ))
    }
    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let allowed = if expected.is_empty() {
            "no keys are allowed here".to_string()
        } else {
            format!(
                "the keys allowed here are {}",
                expected
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        DeError::new(format!("unknown key `{field}`; {allowed}"))
    }
    fn missing_field(field: &'static str) -> Self {
        let mut e = DeError::new(format!("the required key `{field}` is missing; add it"));
        e.missing = Some(field.to_string());
        e
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Deserializes a `T` from a tree node.
pub(crate) fn from_node<'de, T: de::Deserialize<'de>>(node: &'de Node) -> Result<T, ScenarioError> {
    T::deserialize(NodeDe {
        node,
        path: String::new(),
    })
    .map_err(|e| e.place(&node.at, "").into_scenario_error(&node.at))
}

/// A deserializer for one node at a key path.
struct NodeDe<'a> {
    node: &'a Node,
    path: String,
}

impl<'de> NodeDe<'de> {
    fn place<T>(&self, r: Result<T, DeError>) -> Result<T, DeError> {
        r.map_err(|e| e.place(&self.node.at, &self.path))
    }
}

impl<'de> Deserializer<'de> for NodeDe<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let r = match &self.node.kind {
            Kind::Table(entries) => visitor.visit_map(TableAccess {
                entries: entries.iter(),
                pending: None,
                path: &self.path,
            }),
            Kind::Array(items) => visitor.visit_seq(ArrayAccess {
                items: items.iter().enumerate(),
                path: &self.path,
            }),
            Kind::Str(s) => visitor.visit_borrowed_str(s),
            // A seed is any integer; every other number is bounded by its unit (`limits`).
            Kind::Int(i) if self.path == "seed" => visitor.visit_i64(*i),
            Kind::Int(i) => match super::limits::check(&self.path, *i as f64) {
                Ok(()) => visitor.visit_i64(*i),
                Err(m) => Err(DeError::new(m)),
            },
            Kind::Float(f) if !f.is_finite() => Err(DeError::new(format!(
                "`{f}` is not allowed; write a finite number, as `12.5`"
            ))),
            Kind::Float(f) => match super::limits::check(&self.path, *f) {
                Ok(()) => visitor.visit_f64(*f),
                Err(m) => Err(DeError::new(m)),
            },
            Kind::Bool(b) => visitor.visit_bool(*b),
            Kind::Datetime(d) => Err(de::Error::invalid_type(
                de::Unexpected::Other(&format!("the TOML date-time {d}")),
                &visitor,
            )),
        };
        self.place(r)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == LOCATED {
            let r = visitor.visit_map(LocatedAccess {
                node: self.node,
                path: &self.path,
                step: 0,
            });
            return self.place(r);
        }
        self.deserialize_any(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let r = match &self.node.kind {
            Kind::Str(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            _ => return self.deserialize_any(visitor),
        };
        self.place(r)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let r = visitor.visit_newtype_struct(NodeDe {
            node: self.node,
            path: self.path.clone(),
        });
        self.place(r)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple
        tuple_struct map identifier ignored_any
    }
}

/// The entries of a table.
struct TableAccess<'a, 'p> {
    entries: std::slice::Iter<'a, (String, Node)>,
    pending: Option<&'a (String, Node)>,
    path: &'p str,
}

impl<'de> MapAccess<'de> for TableAccess<'de, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(entry) = self.entries.next() else {
            return Ok(None);
        };
        self.pending = Some(entry);
        let key: de::value::BorrowedStrDeserializer<'de, DeError> =
            de::value::BorrowedStrDeserializer::new(&entry.0);
        seed.deserialize(key)
            .map(Some)
            .map_err(|e| e.place(&entry.1.at, &join(self.path, &entry.0)))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some((k, node)) = self.pending.take() else {
            return Err(DeError::new("a value without a key".to_string()));
        };
        let path = join(self.path, k);
        seed.deserialize(NodeDe {
            node,
            path: path.clone(),
        })
        .map_err(|e| e.place(&node.at, &path))
    }
}

/// The elements of an array.
struct ArrayAccess<'a, 'p> {
    items: std::iter::Enumerate<std::slice::Iter<'a, Node>>,
    path: &'p str,
}

impl<'de> SeqAccess<'de> for ArrayAccess<'de, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some((i, node)) = self.items.next() else {
            return Ok(None);
        };
        let path = format!("{}[{i}]", self.path);
        seed.deserialize(NodeDe {
            node,
            path: path.clone(),
        })
        .map(Some)
        .map_err(|e| e.place(&node.at, &path))
    }
}

/// The four pseudo-fields of a [`Located`].
struct LocatedAccess<'a, 'p> {
    node: &'a Node,
    path: &'p str,
    step: usize,
}

impl<'de> MapAccess<'de> for LocatedAccess<'de, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(name) = LOCATED_FIELDS.get(self.step) else {
            return Ok(None);
        };
        let key: de::value::BorrowedStrDeserializer<'de, DeError> =
            de::value::BorrowedStrDeserializer::new(name);
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let step = self.step;
        self.step += 1;
        match step {
            0 => seed.deserialize(
                self.node
                    .at
                    .file
                    .to_string_lossy()
                    .into_owned()
                    .into_deserializer(),
            ),
            1 => seed.deserialize((self.node.at.line as u64).into_deserializer()),
            2 => seed.deserialize(self.path.to_string().into_deserializer()),
            _ => seed.deserialize(NodeDe {
                node: self.node,
                path: self.path.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tree::parse;
    use super::*;
    use serde::Deserialize;
    use std::path::Path;
    use std::sync::Arc;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Top {
        name: Located<String>,
        #[serde(default)]
        inner: Option<Inner>,
        #[serde(default)]
        list: Vec<Located<Inner>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        x: Located<f64>,
        #[serde(default)]
        n: Option<Located<i64>>,
    }

    fn load(text: &str) -> Result<Top, ScenarioError> {
        let node = parse(&Arc::from(Path::new("t.toml")), text).unwrap();
        from_node::<Top>(&node)
    }

    #[test]
    fn located_values_carry_line_and_path() {
        let t = load("name = \"a\"\n[inner]\nx = 3\nn = 2\n[[list]]\nx = 1.5\n").unwrap();
        assert_eq!(t.name.value, "a");
        assert_eq!(t.name.at.line, 1);
        let inner = t.inner.unwrap();
        assert_eq!(inner.x.value, 3.0);
        assert_eq!(inner.x.at.line, 3);
        assert_eq!(inner.x.at.field, "inner.x");
        assert_eq!(inner.n.map(|n| n.value), Some(2));
        assert_eq!(t.list[0].at.line, 5);
        assert_eq!(t.list[0].value.x.at.field, "list[0].x");
    }

    #[test]
    fn serde_errors_are_placed() {
        let e = load("name = \"a\"\n[inner]\nx = 3\nbogus = 1\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "t.toml:4: field `inner.bogus`: unknown key `bogus`; the keys allowed here are `x`, `n`"
        );
        let e = load("name = \"a\"\n[inner]\nx = \"three\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.toml:3: field `inner.x`: found string"),
            "{e}"
        );
        let e = load("name = \"a\"\n\n[inner]\nn = 1\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.toml:3: field `inner.x`: the required key `x` is missing"),
            "{e}"
        );
        let e = load("name = \"a\"\n[inner]\nx = nan\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.toml:3: field `inner.x`: `NaN` is not allowed"),
            "{e}"
        );
        let e = load("inner = { x = 1 }\n").unwrap_err().to_string();
        assert!(
            e.starts_with("t.toml:1: field `name`: the required key"),
            "{e}"
        );
    }
}
