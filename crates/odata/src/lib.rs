//! grantd-odata: OData v4 query-option syntax (lexer, Pratt parser, AST, errors) for grantd. No
//! domain knowledge and no I/O: binding paths to entity fields happens in other crates.
//!
//! Entry points: [`parse_query`] for a whole raw query string, or [`parse_filter`],
//! [`parse_orderby`], [`parse_select`] and [`parse_expand`] for one already-decoded option value.
//! `Display` on [`Expr`] prints canonical text that parses back to an equal tree, and
//! [`QueryOptions::to_query_string`] rebuilds an encoded query string (for next links).
//!
//! `$filter` precedence, loosest first: `or`, `and`, `not`, comparisons (`eq ne gt ge lt le has
//! in`), `add sub`, `mul div mod`, unary `-`. So `not a eq 1` is `not (a eq 1)`. A `-` directly
//! before a digit belongs to the number (`-1` is `Int(-1)`); otherwise it is [`Expr::Negate`].
//! Keywords are case-insensitive. Limits: [`MAX_DEPTH`] nesting levels and [`MAX_QUERY_LEN`]
//! bytes. In a raw query string `+` is a space, so a time-zone offset must be sent as `%2B`.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod ast;
mod display;
mod error;
mod lexer;
mod lists;
mod literal;
mod parser;
mod query;

pub use ast::{BinaryOp, ExpandItem, Expr, LambdaKind, Literal, OrderBy, QueryOptions};
pub use error::ODataError;
pub use parser::MAX_DEPTH;
pub use query::{parse_query, MAX_QUERY_LEN};

use error::Ctx;

fn check_len(text: &str, option: &'static str) -> Result<(), ODataError> {
    if text.len() > MAX_QUERY_LEN {
        return Err(ODataError::new(
            option,
            format!("{option} is too long ({} bytes; the limit is {MAX_QUERY_LEN})", text.len()),
        ));
    }
    Ok(())
}

/// Parses an already-decoded `$filter` value.
pub fn parse_filter(text: &str) -> Result<Expr, ODataError> {
    check_len(text, "$filter")?;
    parser::parse_filter_in(text, Ctx::top("$filter"))
}

/// Parses an already-decoded `$orderby` value: comma-separated `path [asc|desc]`.
pub fn parse_orderby(text: &str) -> Result<Vec<OrderBy>, ODataError> {
    check_len(text, "$orderby")?;
    lists::parse_orderby_in(text, Ctx::top("$orderby"))
}

/// Parses an already-decoded `$select` value: comma-separated paths; `*` is `["*"]`.
pub fn parse_select(text: &str) -> Result<Vec<Vec<String>>, ODataError> {
    check_len(text, "$select")?;
    lists::parse_select_in(text, Ctx::top("$select"))
}

/// Parses an already-decoded `$expand` value, including nested options.
pub fn parse_expand(text: &str) -> Result<Vec<ExpandItem>, ODataError> {
    check_len(text, "$expand")?;
    lists::parse_expand_in(text, Ctx::top("$expand"), 0)
}
