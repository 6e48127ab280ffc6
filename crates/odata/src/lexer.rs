//! Lexer for OData expression text (`$filter`, `$orderby`, `$select`, `$expand` paths): tokens
//! with byte spans, including every literal form.

use crate::ast::Literal;
use crate::error::{Ctx, ODataError};
use crate::literal::{guid_prefix, is_ident_continue, is_ident_start, looks_like_date, scan_date_time, valid_duration};

/// A token kind.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// An identifier or keyword; may be dotted (`microsoft.graph.x`).
    Ident(String),
    Lit(Literal),
    LParen,
    RParen,
    Comma,
    Slash,
    Colon,
    /// A `-` not directly followed by a digit.
    Minus,
    Star,
    Eof,
}

/// A token and its byte span in the lexed text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

/// Splits `text` into tokens; the last token is always [`Tok::Eof`].
pub(crate) fn tokenize(text: &str, ctx: Ctx) -> Result<Vec<Token>, ODataError> {
    let mut lx = Lexer { text, i: 0, ctx };
    let mut out = Vec::new();
    loop {
        lx.skip_ws();
        let start = lx.i;
        let Some(c) = lx.peek() else {
            out.push(Token { tok: Tok::Eof, start, end: start });
            return Ok(out);
        };
        let tok = lx.token(c)?;
        out.push(Token { tok, start, end: lx.i });
    }
}

struct Lexer<'a> {
    text: &'a str,
    i: usize,
    ctx: Ctx,
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        self.text.get(self.i..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_byte_at(&self, offset: usize) -> Option<u8> {
        self.text.as_bytes().get(self.i + offset).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.i += 1;
        }
    }

    fn err(&self, pos: usize, detail: impl std::fmt::Display) -> ODataError {
        self.ctx.err(pos, detail)
    }

    fn token(&mut self, c: char) -> Result<Tok, ODataError> {
        let single = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            ',' => Some(Tok::Comma),
            '/' => Some(Tok::Slash),
            ':' => Some(Tok::Colon),
            '*' => Some(Tok::Star),
            _ => None,
        };
        if let Some(tok) = single {
            self.i += 1;
            return Ok(tok);
        }
        if c == '\'' {
            return Ok(Tok::Lit(Literal::String(self.string_body()?)));
        }
        if c.is_ascii_hexdigit() {
            if let Some(guid) = guid_prefix(self.rest()) {
                self.i += 36;
                return Ok(Tok::Lit(Literal::Guid(guid)));
            }
        }
        if c == '-' {
            if self.peek_byte_at(1).is_some_and(|b| b.is_ascii_digit()) {
                return self.number();
            }
            self.i += 1;
            return Ok(Tok::Minus);
        }
        if c.is_ascii_digit() {
            if looks_like_date(self.rest()) {
                return self.date_time();
            }
            return self.number();
        }
        if is_ident_start(c) {
            return self.ident_or_typed_literal();
        }
        Err(self.err(self.i, format!("unexpected character '{}'", c.escape_debug())))
    }

    /// Reads a quoted string starting at the opening quote; `''` is an escaped quote.
    fn string_body(&mut self) -> Result<String, ODataError> {
        let open = self.i;
        self.i += 1;
        let mut out = String::new();
        loop {
            let Some(k) = self.rest().find('\'') else {
                return Err(self.err(open, "unterminated string literal: the quote opened here is never closed"));
            };
            out.push_str(&self.rest()[..k]);
            self.i += k + 1;
            if self.peek() == Some('\'') {
                out.push('\'');
                self.i += 1;
            } else {
                return Ok(out);
            }
        }
    }

    fn skip_digits(&mut self) -> usize {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - start
    }

    /// `[-]digits[.digits][e[+|-]digits]`
    fn number(&mut self) -> Result<Tok, ODataError> {
        let start = self.i;
        if self.peek() == Some('-') {
            self.i += 1;
        }
        self.skip_digits();
        let mut decimal = false;
        if self.peek() == Some('.') {
            self.i += 1;
            if self.skip_digits() == 0 {
                return Err(self.err(self.i, "invalid number: expected a digit after '.'"));
            }
            decimal = true;
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let sign = usize::from(matches!(self.peek_byte_at(1), Some(b'+' | b'-')));
            if self.peek_byte_at(1 + sign).is_some_and(|b| b.is_ascii_digit()) {
                self.i += 1 + sign;
                self.skip_digits();
                decimal = true;
            }
        }
        let text = &self.text[start..self.i];
        if self.peek().is_some_and(|c| is_ident_continue(c) || c == '.') {
            return Err(self.err(start, format!("invalid number literal starting '{text}'")));
        }
        if decimal {
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(Tok::Lit(Literal::Decimal(v))),
                _ => Err(self.err(start, format!("decimal literal '{text}' is out of range"))),
            }
        } else {
            text.parse::<i64>()
                .map(|v| Tok::Lit(Literal::Int(v)))
                .map_err(|_| self.err(start, format!("integer literal '{text}' is out of range (64-bit signed)")))
        }
    }

    fn date_time(&mut self) -> Result<Tok, ODataError> {
        let start = self.i;
        let scan = scan_date_time(self.rest()).map_err(|(at, msg)| self.err(start + at, msg))?;
        self.i += scan.len;
        if self.peek().is_some_and(|c| is_ident_continue(c) || matches!(c, '.' | ':' | '-' | '+')) {
            return Err(self.err(self.i, "invalid date/time literal: unexpected character after it"));
        }
        let text = self.text[start..self.i].to_string();
        Ok(Tok::Lit(if scan.has_time { Literal::DateTimeOffset(text) } else { Literal::Date(text) }))
    }

    /// An identifier, possibly dotted; `duration'…'` and `Qualified.Name'…'` become literals.
    fn ident_or_typed_literal(&mut self) -> Result<Tok, ODataError> {
        let start = self.i;
        self.eat_ident_chars();
        while self.peek() == Some('.') && self.rest()[1..].chars().next().is_some_and(is_ident_start) {
            self.i += 1;
            self.eat_ident_chars();
        }
        let name = &self.text[start..self.i];
        if self.peek() != Some('\'') {
            return Ok(Tok::Ident(name.to_string()));
        }
        if name.contains('.') {
            let type_name = name.to_string();
            let value = self.string_body()?;
            return Ok(Tok::Lit(Literal::Enum { type_name, value }));
        }
        if name.eq_ignore_ascii_case("duration") {
            let quote = self.i;
            let value = self.string_body()?;
            if !valid_duration(&value) {
                return Err(self.err(quote, format!("invalid duration '{value}': expected ISO 8601 such as 'P1DT2H'")));
            }
            return Ok(Tok::Lit(Literal::Duration(value)));
        }
        // `eq'x'` and the like: a keyword directly followed by a string.
        Ok(Tok::Ident(name.to_string()))
    }

    fn eat_ident_chars(&mut self) {
        while let Some(c) = self.peek().filter(|c| is_ident_continue(*c)) {
            self.i += c.len_utf8();
        }
    }
}
