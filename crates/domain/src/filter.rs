//! The typed filter: what a `$filter` means once bound to an entity's field catalog. Columns are
//! named by the catalog, values are typed; the store compiles this into parameterised SQL.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v")]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Text(String),
    Uuid(Uuid),
    DateTime(DateTime<Utc>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextOp {
    Contains,
    StartsWith,
    EndsWith,
}

/// A column reference. `lower` asks for a case-insensitive comparison (`tolower(x)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Col {
    pub column: &'static str,
    pub lower: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Compare {
        col: Col,
        op: CmpOp,
        value: Value,
    },
    In {
        col: Col,
        values: Vec<Value>,
    },
    Text {
        col: Col,
        op: TextOp,
        value: String,
    },
    /// `ids/any(x: x eq v)`: the row's id appears in a membership-style side table. The store
    /// knows how to express it for the named relation.
    Related {
        relation: &'static str,
        value: Value,
    },
    /// A navigation followed by subquery: `local IN (SELECT remote FROM table WHERE filter)`,
    /// or, with `all`, "no row of `table` linked to this one fails `filter`" (`collection/all`).
    /// `table`, `local` and `remote` come from the static field catalogs, never from input.
    Via {
        local: &'static str,
        table: &'static str,
        remote: &'static str,
        filter: Box<Filter>,
        all: bool,
    },
    /// Always true (`And(vec![])`) or always false.
    Const(bool),
}

impl Filter {
    pub fn and(parts: Vec<Filter>) -> Filter {
        let mut flat = Vec::new();
        for p in parts {
            match p {
                Filter::And(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        Filter::And(flat)
    }
    pub fn eq(column: &'static str, value: Value) -> Filter {
        Filter::Compare { col: Col { column, lower: false }, op: CmpOp::Eq, value }
    }
}

/// One ordering key for a list. Ties are always broken by id, ascending. Nulls (in a
/// `nullable` column) come first ascending and last descending, as OData orders them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    pub column: &'static str,
    pub descending: bool,
    pub nullable: bool,
}
