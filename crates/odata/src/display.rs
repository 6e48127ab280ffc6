//! Canonical OData text for the syntax tree: `Display` for expressions and literals (re-parses
//! to an equal tree), and [`QueryOptions::to_query_string`] for building next links.

use std::fmt::{self, Display, Formatter, Write as _};

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use crate::ast::{prec, BinaryOp, ExpandItem, Expr, LambdaKind, Literal, OrderBy, QueryOptions};

impl Display for BinaryOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for LambdaKind {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LambdaKind::Any => "any",
            LambdaKind::All => "all",
        })
    }
}

fn quoted(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('\'')?;
    for part in s.split_inclusive('\'') {
        f.write_str(part)?;
        if part.ends_with('\'') {
            f.write_char('\'')?;
        }
    }
    f.write_char('\'')
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Int(i) => write!(f, "{i}"),
            // `{:?}` always keeps a '.' or an exponent, so the text reads back as a decimal.
            Literal::Decimal(d) => write!(f, "{d:?}"),
            Literal::String(s) => quoted(f, s),
            Literal::Guid(s) | Literal::DateTimeOffset(s) | Literal::Date(s) => f.write_str(s),
            Literal::Duration(s) => {
                f.write_str("duration")?;
                quoted(f, s)
            }
            Literal::Enum { type_name, value } => {
                f.write_str(type_name)?;
                quoted(f, value)
            }
        }
    }
}

fn path(f: &mut Formatter<'_>, segments: &[String]) -> fmt::Result {
    for (i, seg) in segments.iter().enumerate() {
        if i > 0 {
            f.write_char('/')?;
        }
        f.write_str(seg)?;
    }
    Ok(())
}

fn list(f: &mut Formatter<'_>, items: &[Expr]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_char(',')?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

/// Prints `e`, in parentheses when `parens` is set.
fn operand(f: &mut Formatter<'_>, e: &Expr, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal(lit) => write!(f, "{lit}"),
            Expr::Path(segments) => path(f, segments),
            Expr::Binary { op, left, right } => {
                let p = op.precedence();
                operand(f, left, left.precedence() < p)?;
                write!(f, " {op} ")?;
                operand(f, right, right.precedence() <= p)
            }
            Expr::Not(inner) => {
                f.write_str("not ")?;
                let parens = inner.precedence() < prec::UNARY;
                operand(f, inner, parens)
            }
            Expr::Negate(inner) => {
                f.write_char('-')?;
                // `-(1)` rather than `-1`, which would read back as a negative literal.
                let parens = inner.precedence() < prec::UNARY || matches!(**inner, Expr::Literal(_));
                operand(f, inner, parens)
            }
            Expr::In { left, list: items } => {
                operand(f, left, left.precedence() < prec::COMPARE)?;
                f.write_str(" in (")?;
                list(f, items)?;
                f.write_char(')')
            }
            Expr::Call { name, args } => {
                write!(f, "{name}(")?;
                list(f, args)?;
                f.write_char(')')
            }
            Expr::Lambda { collection, kind, variable, body } => {
                path(f, collection)?;
                write!(f, "/{kind}(")?;
                if let (Some(variable), Some(body)) = (variable, body) {
                    write!(f, "{variable}:{body}")?;
                }
                f.write_char(')')
            }
        }
    }
}

impl Display for OrderBy {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        path(f, &self.path)?;
        if self.descending {
            f.write_str(" desc")?;
        }
        Ok(())
    }
}

impl Display for ExpandItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        path(f, &self.path)?;
        let nested = self.options.pairs();
        if !nested.is_empty() {
            f.write_char('(')?;
            for (i, (name, value)) in nested.iter().enumerate() {
                if i > 0 {
                    f.write_char(';')?;
                }
                write!(f, "{name}={value}")?;
            }
            f.write_char(')')?;
        }
        Ok(())
    }
}

fn joined<T: Display>(items: &[T]) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{item}");
    }
    out
}

/// Characters escaped in query values: everything that would end or change a `name=value` pair
/// (`&`, `=`, `+`, `#`, `%`), spaces, and characters not allowed in URLs.
const VALUE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'=')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b'\\')
    .add(b'^')
    .add(b'[')
    .add(b']');

impl QueryOptions {
    /// The options as `(name, decoded value)` pairs, in a fixed order.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(filter) = &self.filter {
            out.push(("$filter", filter.to_string()));
        }
        if let Some(select) = &self.select {
            let paths: Vec<String> = select.iter().map(|p| p.join("/")).collect();
            out.push(("$select", paths.join(",")));
        }
        if let Some(expand) = &self.expand {
            out.push(("$expand", joined(expand)));
        }
        if let Some(orderby) = &self.orderby {
            out.push(("$orderby", joined(orderby)));
        }
        if let Some(top) = self.top {
            out.push(("$top", top.to_string()));
        }
        if let Some(skip) = self.skip {
            out.push(("$skip", skip.to_string()));
        }
        if let Some(count) = self.count {
            out.push(("$count", count.to_string()));
        }
        if let Some(search) = &self.search {
            out.push(("$search", search.clone()));
        }
        if let Some(token) = &self.skiptoken {
            out.push(("$skiptoken", token.clone()));
        }
        out
    }

    /// A percent-encoded query string (without `?`) that [`crate::parse_query`] reads back as
    /// these options; empty when no option is set.
    pub fn to_query_string(&self) -> String {
        let pairs: Vec<String> = self
            .pairs()
            .into_iter()
            .map(|(name, value)| format!("{name}={}", utf8_percent_encode(&value, VALUE)))
            .collect();
        pairs.join("&")
    }
}
