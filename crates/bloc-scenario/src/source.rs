//! Where scenario files come from: the file system, or a set of files held in memory.
//!
//! The loader never touches `std::fs` itself; it asks a [`FileSource`]. That lets the CLI
//! embed the shipped default scenario in the binary (`include_bytes!`) and load it from
//! anywhere, and lets tests and fuzzers load mutated scenarios without writing files.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};

/// A place to read scenario files from.
pub trait FileSource {
    /// The whole content of the file at `path`.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Whether `path` is a folder (then the scenario is `path/scenario.toml`).
    fn is_dir(&self, path: &Path) -> bool;
}

/// The file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct Disk;

impl Disk {
    /// `path` as a scenario path to read from the disk: one of only `.` components (`.`,
    /// `./`) names the working directory, which it becomes (the loader reads paths lexically,
    /// so `.` alone has no parent to resolve `extends` and table paths against); any other is
    /// kept as given. An error only when the working directory cannot be read.
    pub fn scenario_path(path: &Path) -> io::Result<PathBuf> {
        if path.components().all(|c| matches!(c, Component::CurDir)) {
            std::env::current_dir()
        } else {
            Ok(path.to_path_buf())
        }
    }
}

/// The largest scenario file read (TOML or CSV): 256 MiB, far above any real table (the
/// shipped world's largest is under 1 MiB) and small enough to hold in memory.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

impl FileSource for Disk {
    /// Reads a regular file of at most [`MAX_FILE_BYTES`]. A FIFO, a device (`/dev/zero`)
    /// or a directory is refused before it is opened, so no read can hang or fill memory.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        use std::io::Read;
        let meta = std::fs::metadata(path)?;
        if !meta.is_file() {
            let what = if meta.is_dir() {
                "a directory"
            } else {
                "not a regular file (a FIFO, socket or device)"
            };
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("it is {what}; name a regular file"),
            ));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "it holds {} bytes, more than the limit of {MAX_FILE_BYTES} (256 MiB)",
                    meta.len()
                ),
            ));
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        std::fs::File::open(path)?
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("it grew past the limit of {MAX_FILE_BYTES} bytes (256 MiB) while read"),
            ));
        }
        Ok(bytes)
    }
    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }
}

/// A set of files held in memory, keyed by relative paths such as `world/scenario.toml`.
///
/// ```
/// use bloc_scenario::Embedded;
/// let files = Embedded::from_static(&[
///     ("world/scenario.toml", b"name = \"w\"" as &[u8]),
///     ("world/regions.csv", b"id,name\n"),
/// ]);
/// assert_eq!(files.iter().count(), 2);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Embedded {
    files: BTreeMap<PathBuf, Cow<'static, [u8]>>,
}

impl Embedded {
    /// No files.
    pub fn new() -> Self {
        Self::default()
    }

    /// Files whose contents live in the binary (`include_bytes!`).
    pub fn from_static(files: &[(&str, &'static [u8])]) -> Self {
        let mut e = Self::new();
        for (path, bytes) in files {
            e.insert(*path, Cow::Borrowed(*bytes));
        }
        e
    }

    /// Adds (or replaces) a file.
    pub fn insert(&mut self, path: impl AsRef<Path>, bytes: impl Into<Cow<'static, [u8]>>) {
        self.files.insert(normalize(path.as_ref()), bytes.into());
    }

    /// The files, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&Path, &[u8])> {
        self.files.iter().map(|(p, b)| (p.as_path(), b.as_ref()))
    }
}

impl From<BTreeMap<PathBuf, Vec<u8>>> for Embedded {
    fn from(map: BTreeMap<PathBuf, Vec<u8>>) -> Self {
        map.into_iter().collect()
    }
}

impl FromIterator<(PathBuf, Vec<u8>)> for Embedded {
    fn from_iter<I: IntoIterator<Item = (PathBuf, Vec<u8>)>>(iter: I) -> Self {
        let mut e = Self::new();
        for (p, b) in iter {
            e.insert(p, b);
        }
        e
    }
}

impl FileSource for Embedded {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.files
            .get(&normalize(path))
            .map(|b| b.to_vec())
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, "no such file in the embedded set")
            })
    }
    fn is_dir(&self, path: &Path) -> bool {
        let dir = normalize(path);
        if self.files.contains_key(&dir) {
            return false;
        }
        self.files.keys().any(|k| k.starts_with(&dir) && k != &dir)
    }
}

/// Files held in memory laid over another source: a path it holds is read from it, any
/// other from the source beneath (how [`crate::load_with_changes`] adds its change files).
#[derive(Debug)]
pub struct Layered<'a, S: FileSource + ?Sized> {
    base: &'a S,
    over: Embedded,
}

impl<'a, S: FileSource + ?Sized> Layered<'a, S> {
    /// `over` laid on `base`.
    pub fn new(base: &'a S, over: Embedded) -> Self {
        Layered { base, over }
    }
}

impl<S: FileSource + ?Sized> FileSource for Layered<'_, S> {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.over.files.get(&normalize(path)) {
            Some(b) => Ok(b.to_vec()),
            None => self.base.read(path),
        }
    }
    fn is_dir(&self, path: &Path) -> bool {
        !self.over.files.contains_key(&normalize(path)) && self.base.is_dir(path)
    }
}

/// `a/./b/../c` → `a/c`, without asking the file system (an embedded set has none). A `..`
/// that would climb above the start is kept.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_lexically() {
        assert_eq!(
            normalize(Path::new("a/./b/../c.toml")),
            PathBuf::from("a/c.toml")
        );
        assert_eq!(normalize(Path::new("../x/y/../z")), PathBuf::from("../x/z"));
        assert_eq!(normalize(Path::new("/a/../../b")), PathBuf::from("/b"));
    }

    #[test]
    fn embedded_folders() {
        let e = Embedded::from_static(&[("world/scenario.toml", b"x"), ("world/data/r.csv", b"y")]);
        assert!(e.is_dir(Path::new("world")));
        assert!(e.is_dir(Path::new("world/data")));
        assert!(e.is_dir(Path::new("")));
        assert!(!e.is_dir(Path::new("world/scenario.toml")));
        assert!(!e.is_dir(Path::new("wor")));
        assert_eq!(
            e.read(Path::new("./world/data/../scenario.toml")).unwrap(),
            b"x"
        );
        assert!(e.read(Path::new("world/none.csv")).is_err());
    }
}
