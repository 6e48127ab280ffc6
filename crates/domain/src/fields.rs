//! Field catalogs: for each entity and API version, which wire property paths may appear in
//! `$filter`/`$orderby`, the stored column each one reads and its type. A property not listed
//! here is rejected with a Graph 400 before any SQL exists.

/// How a field's values are typed (and so how literals are checked and converted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Uuid,
    DateTime,
    Bool,
    Int,
    /// An enum stored as its canonical v1.0 camelCase value; literals match case-insensitively.
    /// `wire` pairs list (accepted literal, stored value), so beta's PascalCase strings and
    /// v1.0's camelCase values map onto one stored form.
    Enum(&'static [(&'static str, &'static str)]),
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Wire paths, lower-cased, `/`-separated ("accesspackage/id").
    pub paths: &'static [&'static str],
    pub column: &'static str,
    pub kind: FieldKind,
    /// May appear in `$orderby` (only non-null columns, so that keyset paging is exact).
    pub sortable: bool,
}

/// A multi-valued relation usable with `any()`: `members/any(m: m/id eq '...')`.
#[derive(Debug, Clone, Copy)]
pub struct Relation {
    pub path: &'static str,
    pub relation: &'static str,
    pub kind: FieldKind,
}

#[derive(Debug, Clone, Copy)]
pub struct FieldCatalog {
    /// The Graph type name, for messages ("microsoft.graph.accessPackage").
    pub entity: &'static str,
    pub fields: &'static [Field],
    pub relations: &'static [Relation],
    /// The order used when the caller gives no `$orderby`.
    pub default_order: &'static [(&'static str, bool)],
}

impl FieldCatalog {
    /// Looks up a path case-insensitively (Graph treats property paths that way in `$filter`).
    pub fn field(&self, path: &[String]) -> Option<&'static Field> {
        let key = path.iter().map(|s| s.to_ascii_lowercase()).collect::<Vec<_>>().join("/");
        self.fields.iter().find(|f| f.paths.iter().any(|p| *p == key))
    }
    pub fn relation(&self, path: &[String]) -> Option<&'static Relation> {
        let key = path.iter().map(|s| s.to_ascii_lowercase()).collect::<Vec<_>>().join("/");
        self.relations.iter().find(|r| r.path == key)
    }
}

/// Builds a `Field` tersely in the static catalogs.
pub const fn field(paths: &'static [&'static str], column: &'static str, kind: FieldKind, sortable: bool) -> Field {
    Field { paths, column, kind, sortable }
}
