//! Parsers for the list-shaped options: `$select`, `$orderby` and `$expand` (with nested options).

use crate::ast::{ExpandItem, OrderBy, QueryOptions};
use crate::error::{Ctx, ODataError};
use crate::lexer::Tok;
use crate::parser::{Parser, MAX_DEPTH};
use crate::query::{apply_option, Opt, Seen};

/// `$select`: comma-separated paths or `*`.
pub(crate) fn parse_select_in(text: &str, ctx: Ctx) -> Result<Vec<Vec<String>>, ODataError> {
    let mut p = Parser::new(text, ctx)?;
    let mut items = Vec::new();
    loop {
        items.push(path_or_star(&mut p)?);
        if !list_continues(&mut p, "',' or the end of $select")? {
            return Ok(items);
        }
    }
}

/// `$orderby`: comma-separated `path [asc|desc]`.
pub(crate) fn parse_orderby_in(text: &str, ctx: Ctx) -> Result<Vec<OrderBy>, ODataError> {
    let mut p = Parser::new(text, ctx)?;
    let mut items = Vec::new();
    loop {
        let path = p.path()?;
        let descending = if p.at_word("desc") {
            p.bump();
            true
        } else {
            if p.at_word("asc") {
                p.bump();
            }
            false
        };
        items.push(OrderBy { path, descending });
        if !list_continues(&mut p, "'asc', 'desc', ',' or the end of $orderby")? {
            return Ok(items);
        }
    }
}

fn path_or_star(p: &mut Parser<'_>) -> Result<Vec<String>, ODataError> {
    if p.at(&Tok::Star) {
        p.bump();
        return Ok(vec!["*".to_string()]);
    }
    p.path()
}

/// After an item: consumes a comma and returns `true`, or returns `false` at the end.
fn list_continues(p: &mut Parser<'_>, expected: &str) -> Result<bool, ODataError> {
    match p.peek().tok {
        Tok::Comma => {
            p.bump();
            Ok(true)
        }
        Tok::Eof => Ok(false),
        _ => Err(p.unexpected(expected)),
    }
}

/// `$expand`: comma-separated `path` or `path(option;option...)`; `depth` counts nesting.
pub(crate) fn parse_expand_in(text: &str, ctx: Ctx, depth: usize) -> Result<Vec<ExpandItem>, ODataError> {
    if depth > MAX_DEPTH {
        return Err(ctx.err(0, format!("$expand is nested too deeply (more than {MAX_DEPTH} levels)")));
    }
    split_top_level(text, b',', ctx)?
        .into_iter()
        .map(|(offset, item)| {
            let (offset, item) = trim_span(offset, item);
            expand_item(item, ctx.shift(offset), depth)
        })
        .collect()
}

fn expand_item(item: &str, ctx: Ctx, depth: usize) -> Result<ExpandItem, ODataError> {
    if item.is_empty() {
        return Err(ctx.err(0, "expected a navigation property in $expand, found an empty item"));
    }
    let Some(open) = item.find('(') else {
        return Ok(ExpandItem { path: single_path(item, ctx)?, options: QueryOptions::default() });
    };
    let close = matching_paren(item, open).unwrap_or(item.len());
    if close + 1 != item.len() {
        return Err(ctx.err(close + 1, "unexpected text after ')' in $expand item: separate items with ','"));
    }
    let path = single_path(&item[..open], ctx)?;
    let inner = item.get(open + 1..close).unwrap_or("");
    let options = expand_options(inner, ctx.shift(open + 1), depth)?;
    Ok(ExpandItem { path, options })
}

fn single_path(text: &str, ctx: Ctx) -> Result<Vec<String>, ODataError> {
    let mut p = Parser::new(text, ctx)?;
    let path = path_or_star(&mut p)?;
    if !p.at(&Tok::Eof) {
        return Err(p.unexpected("'(', ',' or the end of the $expand item"));
    }
    Ok(path)
}

fn expand_options(inner: &str, ctx: Ctx, depth: usize) -> Result<QueryOptions, ODataError> {
    let mut options = QueryOptions::default();
    let mut seen = Seen::default();
    for (offset, part) in split_top_level(inner, b';', ctx)? {
        let (offset, part) = trim_span(offset, part);
        if part.is_empty() {
            return Err(ctx.err(offset, "expected a query option such as $select=id"));
        }
        let Some(eq) = part.find('=') else {
            return Err(ctx.err(offset + part.len(), "expected '=' after the option name"));
        };
        let name = part[..eq].trim_end_matches([' ', '\t']);
        let opt = Opt::from_name(name).filter(|o| o.allowed_in_expand()).ok_or_else(|| {
            ctx.err(
                offset,
                format!(
                    "'{name}' is not allowed inside $expand (allowed: $select, $expand, \
                         $filter, $orderby, $top, $skip, $count)"
                ),
            )
        })?;
        let value = &part[eq + 1..];
        let value_ctx = Ctx { in_expand: true, ..ctx.shift(offset + eq + 1) };
        apply_option(&mut options, &mut seen, opt, value, value_ctx, depth + 1)?;
    }
    Ok(options)
}

/// Removes spaces and tabs around `s`, moving `offset` along.
fn trim_span(offset: usize, s: &str) -> (usize, &str) {
    let start = s.trim_start_matches([' ', '\t']);
    (offset + (s.len() - start.len()), start.trim_end_matches([' ', '\t']))
}

/// Byte index of the `)` matching the `(` at `open`, skipping quoted strings.
fn matching_paren(s: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quoted = false;
    for (i, b) in s.bytes().enumerate().skip(open) {
        match b {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits on `sep` outside parentheses and quoted strings; pieces keep their offsets.
fn split_top_level(text: &str, sep: u8, ctx: Ctx) -> Result<Vec<(usize, &str)>, ODataError> {
    let mut parts = Vec::new();
    let mut opens: Vec<usize> = Vec::new();
    let mut quote: Option<usize> = None;
    let mut piece_start = 0;
    for (i, b) in text.bytes().enumerate() {
        if quote.is_some() {
            if b == b'\'' {
                quote = None;
            }
            continue;
        }
        match b {
            b'\'' => quote = Some(i),
            b'(' => opens.push(i),
            // Pops the matching '(' as a side effect; an unmatched ')' is an error.
            b')' if opens.pop().is_none() => {
                return Err(ctx.err(i, "unexpected ')' with no matching '('"));
            }
            _ if b == sep && opens.is_empty() => {
                parts.push((piece_start, &text[piece_start..i]));
                piece_start = i + 1;
            }
            _ => {}
        }
    }
    if let Some(q) = quote {
        return Err(ctx.err(q, "unterminated string literal: the quote opened here is never closed"));
    }
    if let Some(&open) = opens.last() {
        return Err(ctx.err(open, "missing ')' to close the '(' opened here"));
    }
    parts.push((piece_start, &text[piece_start..]));
    Ok(parts)
}
