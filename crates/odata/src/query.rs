//! The query-string level: splitting `name=value` pairs, percent-decoding, recognising system
//! query options, and applying one option's value to a [`QueryOptions`].

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

use crate::ast::QueryOptions;
use crate::error::{Ctx, ODataError};
use crate::lists::{parse_expand_in, parse_orderby_in, parse_select_in};
use crate::parser::parse_filter_in;

/// Longest raw query string (and longest single option text) accepted, in bytes.
pub const MAX_QUERY_LEN: usize = 8 * 1024;

/// The system query options this crate knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opt {
    Filter,
    Select,
    Expand,
    OrderBy,
    Top,
    Skip,
    Count,
    SkipToken,
    Search,
    Format,
}

const ALL_OPTS: [Opt; 10] = [
    Opt::Filter,
    Opt::Select,
    Opt::Expand,
    Opt::OrderBy,
    Opt::Top,
    Opt::Skip,
    Opt::Count,
    Opt::SkipToken,
    Opt::Search,
    Opt::Format,
];

impl Opt {
    pub fn name(self) -> &'static str {
        match self {
            Opt::Filter => "$filter",
            Opt::Select => "$select",
            Opt::Expand => "$expand",
            Opt::OrderBy => "$orderby",
            Opt::Top => "$top",
            Opt::Skip => "$skip",
            Opt::Count => "$count",
            Opt::SkipToken => "$skiptoken",
            Opt::Search => "$search",
            Opt::Format => "$format",
        }
    }

    /// The option named `name` (with its `$`, any case).
    pub fn from_name(name: &str) -> Option<Opt> {
        ALL_OPTS.into_iter().find(|o| o.name().eq_ignore_ascii_case(name))
    }

    pub fn allowed_in_expand(self) -> bool {
        !matches!(self, Opt::SkipToken | Opt::Search | Opt::Format)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// Which options one option list has already seen (duplicates are errors).
#[derive(Debug, Default)]
pub(crate) struct Seen(u16);

/// Parses a raw, still percent-encoded query string (the part after `?`).
pub fn parse_query(raw_query: &str) -> Result<QueryOptions, ODataError> {
    let raw = raw_query.strip_prefix('?').unwrap_or(raw_query);
    if raw.len() > MAX_QUERY_LEN {
        return Err(ODataError::new(
            "query",
            format!("the query string is too long ({} bytes; the limit is {MAX_QUERY_LEN})", raw.len()),
        ));
    }
    let mut options = QueryOptions::default();
    let mut seen = Seen::default();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode(raw_name, "query", "a query parameter name")?;
        if !name.starts_with('$') {
            continue; // a custom query option: not ours to judge
        }
        let Some(opt) = Opt::from_name(&name) else {
            return Err(ODataError::new("query", format!("unknown system query option '{name}'")));
        };
        let value = decode(raw_value, opt.name(), "the value")?;
        apply_option(&mut options, &mut seen, opt, &value, Ctx::top(opt.name()), 0)?;
    }
    Ok(options)
}

/// Percent-decodes one name or value; a raw `+` is a space.
fn decode(raw: &str, option: &'static str, what: &str) -> Result<String, ODataError> {
    let spaced: Cow<'_, str> = if raw.contains('+') { Cow::Owned(raw.replace('+', " ")) } else { Cow::Borrowed(raw) };
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(Cow::into_owned)
        .map_err(|_| ODataError::new(option, format!("{what} of {option} is not valid UTF-8 after percent-decoding")))
}

/// Parses `value` as option `opt` and stores it in `options`.
pub(crate) fn apply_option(
    options: &mut QueryOptions,
    seen: &mut Seen,
    opt: Opt,
    value: &str,
    ctx: Ctx,
    depth: usize,
) -> Result<(), ODataError> {
    let name = opt.name();
    if seen.0 & opt.bit() != 0 {
        return Err(
            ctx.value_err(format!("{name} is given more than once; each system query option may appear only once"))
        );
    }
    seen.0 |= opt.bit();
    let trimmed = value.trim_matches([' ', '\t']);
    if trimmed.is_empty() {
        return Err(ctx.value_err(format!("{name} must not be empty")));
    }
    if value.len() > MAX_QUERY_LEN {
        return Err(ctx.value_err(format!("{name} is longer than {MAX_QUERY_LEN} bytes")));
    }
    match opt {
        Opt::Filter => options.filter = Some(parse_filter_in(value, ctx)?),
        Opt::Select => options.select = Some(parse_select_in(value, ctx)?),
        Opt::Expand => options.expand = Some(parse_expand_in(value, ctx, depth)?),
        Opt::OrderBy => options.orderby = Some(parse_orderby_in(value, ctx)?),
        Opt::Top => options.top = Some(non_negative(trimmed, name, ctx)?),
        Opt::Skip => options.skip = Some(non_negative(trimmed, name, ctx)?),
        Opt::Count => {
            options.count = Some(if trimmed.eq_ignore_ascii_case("true") {
                true
            } else if trimmed.eq_ignore_ascii_case("false") {
                false
            } else {
                return Err(ctx.value_err(format!("invalid {name} value '{}': expected true or false", short(trimmed))));
            })
        }
        Opt::SkipToken => options.skiptoken = Some(value.to_string()),
        Opt::Search => options.search = Some(search_text(value, ctx)?),
        Opt::Format => {
            let f = trimmed.to_ascii_lowercase();
            if f != "json" && f != "application/json" && !f.starts_with("application/json;") {
                return Err(ctx.value_err(format!("unsupported {name} '{}': only json is available", short(trimmed))));
            }
        }
    }
    Ok(())
}

fn short(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}

fn non_negative(text: &str, name: &str, ctx: Ctx) -> Result<u64, ODataError> {
    let invalid = || ctx.value_err(format!("invalid {name} value '{}': expected a non-negative integer", short(text)));
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    text.parse::<u64>().map_err(|_| invalid())
}

/// `$search` text; a value that is one `"quoted phrase"` loses its quotes.
fn search_text(value: &str, ctx: Ctx) -> Result<String, ODataError> {
    let text =
        value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).filter(|inner| !inner.contains('"')).unwrap_or(value);
    if text.trim().is_empty() {
        return Err(ctx.value_err("$search must not be empty"));
    }
    Ok(text.to_string())
}
