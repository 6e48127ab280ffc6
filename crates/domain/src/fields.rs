//! Field catalogs: for each entity and API version, which wire property paths may appear in
//! `$filter`/`$orderby`, the stored column each one reads and its type, the navigation
//! properties a filter may follow (by subquery), and the properties that exist but cannot be
//! filtered (so the 400 can say so). A property not listed here is rejected with a Graph 400
//! before any SQL exists.

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
    /// An `Edm.Duration`, stored as whole seconds (BIGINT); literals are `duration'P1D'`.
    Duration,
}

/// A navigation property a `$filter` path may follow: `accessPackage/displayName eq 'x'` on a
/// policy is `access_package_id IN (SELECT id FROM access_packages WHERE display_name = 'x')`.
/// For a collection (`accessPackages/any(p: ...)` on a catalog) `local` is the row's `id` and
/// `remote` the child table's foreign key.
#[derive(Clone, Copy)]
pub struct Nav {
    /// The table the navigation leads to (a static name, never input).
    pub table: &'static str,
    /// The column of this entity's table that links (`access_package_id`, or `id`).
    pub local: &'static str,
    /// The column of the target table that `local` matches (`id`, or `catalog_id`).
    pub remote: &'static str,
    /// `true` for collections (only usable inside `any`/`all`).
    pub many: bool,
    /// The target's field catalog (a function, so catalogs may point at each other).
    pub target: fn() -> &'static FieldCatalog,
}

impl std::fmt::Debug for Nav {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Nav({}.{} -> {}, many: {})", self.table, self.remote, self.local, self.many)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Wire paths, lower-cased, `/`-separated ("accesspackage/id").
    pub paths: &'static [&'static str],
    pub column: &'static str,
    pub kind: FieldKind,
    /// May appear in `$orderby`.
    pub sortable: bool,
    /// The column may hold NULL (ordering puts nulls first ascending, last descending, and the
    /// keyset cursor handles them).
    pub nullable: bool,
    /// `false` for properties that exist but cannot be filtered or sorted (complex values,
    /// collections kept inside the document): the 400 names them.
    pub filterable: bool,
    /// Set for navigation properties.
    pub nav: Option<Nav>,
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

/// No declared field or relation path has more segments than this (checked by a test over every
/// catalog), so a longer path is unknown without building its key. Binding tries every split of
/// a path; this keeps each try constant-time however long the path.
pub const MAX_PATH_DEPTH: usize = 4;

fn key(path: &[String]) -> String {
    path.iter().map(|s| s.to_ascii_lowercase()).collect::<Vec<_>>().join("/")
}

impl FieldCatalog {
    /// Looks up a path case-insensitively (Graph treats property paths that way in `$filter`).
    pub fn field(&self, path: &[String]) -> Option<&'static Field> {
        if path.len() > MAX_PATH_DEPTH {
            return None;
        }
        let key = key(path);
        self.fields.iter().find(|f| f.paths.iter().any(|p| *p == key))
    }
    pub fn relation(&self, path: &[String]) -> Option<&'static Relation> {
        if path.len() > MAX_PATH_DEPTH {
            return None;
        }
        let key = key(path);
        self.relations.iter().find(|r| r.path == key)
    }
    /// The field whose column is `column` (for cursor checks).
    pub fn by_column(&self, column: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.column == column && f.nav.is_none())
    }
}

/// Builds a non-null `Field` tersely in the static catalogs.
pub const fn field(paths: &'static [&'static str], column: &'static str, kind: FieldKind, sortable: bool) -> Field {
    Field { paths, column, kind, sortable, nullable: false, filterable: true, nav: None }
}

/// A field whose column may be NULL.
pub const fn nullable(paths: &'static [&'static str], column: &'static str, kind: FieldKind, sortable: bool) -> Field {
    Field { paths, column, kind, sortable, nullable: true, filterable: true, nav: None }
}

/// A property that exists on the entity but cannot be filtered or sorted.
pub const fn opaque(paths: &'static [&'static str]) -> Field {
    Field { paths, column: "", kind: FieldKind::Text, sortable: false, nullable: true, filterable: false, nav: None }
}

/// A single-valued navigation: `local` (this table) holds the target's `id`.
pub const fn nav_one(
    paths: &'static [&'static str],
    local: &'static str,
    table: &'static str,
    target: fn() -> &'static FieldCatalog,
) -> Field {
    let nav = Nav { table, local, remote: "id", many: false, target };
    Field {
        paths,
        column: "",
        kind: FieldKind::Uuid,
        sortable: false,
        nullable: true,
        filterable: true,
        nav: Some(nav),
    }
}

/// A collection navigation: rows of `table` whose `remote` column holds this row's id.
pub const fn nav_many(
    paths: &'static [&'static str],
    table: &'static str,
    remote: &'static str,
    target: fn() -> &'static FieldCatalog,
) -> Field {
    let nav = Nav { table, local: "id", remote, many: true, target };
    Field {
        paths,
        column: "",
        kind: FieldKind::Uuid,
        sortable: false,
        nullable: true,
        filterable: true,
        nav: Some(nav),
    }
}
