//! `$search` on the lists that support it (access packages and catalogs: `displayName` and
//! `description`). A term matches when one of the searchable properties contains it, case-
//! insensitively; several terms must all match. `"a quoted phrase"` is one term, and
//! `displayName:term` restricts a term to one property. `AND` between terms is accepted; `OR`
//! and `NOT` are refused with a 400 rather than read as words.
use super::bind::invalid;
use crate::error::{GraphError, GraphResult};
use grantd_domain::filter::{Col, Filter, TextOp};

/// Longest accepted `$search` text, in characters.
const MAX_SEARCH: usize = 256;
/// Most terms in one `$search`.
const MAX_TERMS: usize = 8;

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::bad_request("BadRequest", message)
}

/// Splits `text` into terms: quoted phrases, or runs of non-space characters.
fn terms(text: &str) -> GraphResult<Vec<String>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut term = String::new();
        let mut quoted = false;
        while let Some(&c) = chars.peek() {
            if c == '"' {
                quoted = !quoted;
                chars.next();
                continue;
            }
            if c.is_whitespace() && !quoted {
                break;
            }
            term.push(c);
            chars.next();
        }
        if quoted {
            return Err(bad("Invalid $search: a quote is never closed."));
        }
        if !term.is_empty() {
            out.push(term);
        }
    }
    Ok(out)
}

/// Binds `$search` text to a filter over the `searchable` (wire name, column) properties.
pub(crate) fn bind_search(text: &str, searchable: &[(&'static str, &'static str)]) -> GraphResult<Filter> {
    if text.chars().count() > MAX_SEARCH {
        return Err(bad(format!("$search is longer than {MAX_SEARCH} characters.")));
    }
    let mut parts = Vec::new();
    for term in terms(text)? {
        match term.as_str() {
            "AND" => continue,
            "OR" | "NOT" => return Err(bad(format!("Invalid $search: '{term}' is not supported; terms are ANDed."))),
            _ => {}
        }
        let (columns, needle): (Vec<&'static str>, String) = match term.split_once(':') {
            Some((prop, rest)) if searchable.iter().any(|(w, _)| w.eq_ignore_ascii_case(prop)) => {
                let cols = searchable.iter().filter(|(w, _)| w.eq_ignore_ascii_case(prop)).map(|(_, c)| *c).collect();
                (cols, rest.trim_matches('"').to_string())
            }
            Some((prop, _)) if !prop.is_empty() && prop.chars().all(|c| c.is_ascii_alphanumeric()) => {
                let names: Vec<&str> = searchable.iter().map(|(w, _)| *w).collect();
                return Err(invalid(format!(
                    "$search on '{prop}' is not supported; searchable properties: {}.",
                    names.join(", ")
                )));
            }
            _ => (searchable.iter().map(|(_, c)| *c).collect(), term.clone()),
        };
        if needle.is_empty() {
            continue;
        }
        let any = columns
            .into_iter()
            .map(|column| Filter::Text {
                col: Col { column, lower: true },
                op: TextOp::Contains,
                value: needle.clone(),
            })
            .collect();
        parts.push(Filter::Or(any));
    }
    if parts.len() > MAX_TERMS {
        return Err(bad(format!("$search has more than {MAX_TERMS} terms.")));
    }
    if parts.is_empty() {
        return Err(bad("$search must name at least one term."));
    }
    Ok(Filter::and(parts))
}
