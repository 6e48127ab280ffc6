//! Pratt parser for `$filter` expressions, plus the token cursor and path parsing that the
//! `$select`/`$orderby`/`$expand` parsers reuse.

use crate::ast::{function_arity, prec, BinaryOp, Expr, LambdaKind, Literal};
use crate::error::{Ctx, ODataError};
use crate::lexer::{tokenize, Tok, Token};

/// Deepest nesting accepted (parentheses, operands, arguments, lambdas, nested `$expand`).
pub const MAX_DEPTH: usize = 100;

/// Parses a complete `$filter` text in context `ctx`.
pub(crate) fn parse_filter_in(text: &str, ctx: Ctx) -> Result<Expr, ODataError> {
    let mut p = Parser::new(text, ctx)?;
    let expr = p.expr(0)?;
    if !p.at(&Tok::Eof) {
        if p.at(&Tok::RParen) {
            return Err(p.err_here("unexpected ')' with no matching '('"));
        }
        return Err(p.unexpected("an operator"));
    }
    Ok(expr)
}

enum Infix {
    Bin(BinaryOp),
    In,
}

fn infix(tok: &Tok) -> Option<(Infix, u8)> {
    let Tok::Ident(word) = tok else { return None };
    if word.eq_ignore_ascii_case("in") {
        return Some((Infix::In, prec::COMPARE));
    }
    BinaryOp::from_keyword(word).map(|op| (Infix::Bin(op), op.precedence()))
}

fn snippet(text: &str) -> String {
    const MAX: usize = 30;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// A cursor over the tokens of one text.
pub(crate) struct Parser<'a> {
    text: &'a str,
    toks: Vec<Token>,
    pos: usize,
    ctx: Ctx,
    depth: usize,
}

impl<'a> Parser<'a> {
    pub fn new(text: &'a str, ctx: Ctx) -> Result<Self, ODataError> {
        Ok(Self { text, toks: tokenize(text, ctx)?, pos: 0, ctx, depth: 0 })
    }

    /// The current token (the final `Eof` once everything is consumed).
    pub fn peek(&self) -> &Token {
        const EOF: Token = Token { tok: Tok::Eof, start: 0, end: 0 };
        self.toks.get(self.pos).or_else(|| self.toks.last()).unwrap_or(&EOF)
    }

    pub fn at(&self, tok: &Tok) -> bool {
        &self.peek().tok == tok
    }

    /// Consumes and returns the current token.
    pub fn bump(&mut self) -> Token {
        let tok = self.peek().clone();
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        tok
    }

    /// `true` if the current token is the keyword `word` (any case).
    pub fn at_word(&self, word: &str) -> bool {
        matches!(&self.peek().tok, Tok::Ident(w) if w.eq_ignore_ascii_case(word))
    }

    pub fn err_at(&self, pos: usize, detail: impl std::fmt::Display) -> ODataError {
        self.ctx.err(pos, detail)
    }

    pub fn err_here(&self, detail: impl std::fmt::Display) -> ODataError {
        self.err_at(self.peek().start, detail)
    }

    fn describe(&self, tok: &Token) -> String {
        match tok.tok {
            Tok::Eof => "end of input".to_string(),
            _ => format!("'{}'", snippet(self.text.get(tok.start..tok.end).unwrap_or(""))),
        }
    }

    /// "expected {what} after '{previous}', found {current}" at the current token.
    pub fn unexpected(&self, what: &str) -> ODataError {
        let found = self.describe(self.peek());
        let detail = match self.pos.checked_sub(1).and_then(|i| self.toks.get(i)) {
            Some(prev) => format!("expected {what} after {}, found {found}", self.describe(prev)),
            None => format!("expected {what}, found {found}"),
        };
        self.err_here(detail)
    }

    /// Consumes the `)` closing the `(` at `open`.
    fn close(&mut self, open: usize, what: &str) -> Result<(), ODataError> {
        match self.peek().tok {
            Tok::RParen => {
                self.bump();
                Ok(())
            }
            Tok::Eof => {
                Err(self.err_here(format!("missing ')' to close the '(' at position {}", self.ctx.base + open)))
            }
            _ => Err(self.unexpected(what)),
        }
    }

    /// A plain path segment: an undotted identifier.
    pub fn segment(&mut self) -> Result<String, ODataError> {
        match &self.peek().tok {
            Tok::Ident(name) if name.contains('.') => Err(self.err_here(format!(
                "qualified name '{}' is not supported here (type-cast segments are not supported)",
                snippet(name)
            ))),
            Tok::Ident(name) => {
                let name = name.clone();
                self.bump();
                Ok(name)
            }
            _ => Err(self.unexpected("a property name")),
        }
    }

    /// `segment ( '/' segment )*`
    pub fn path(&mut self) -> Result<Vec<String>, ODataError> {
        let mut path = vec![self.segment()?];
        while self.at(&Tok::Slash) {
            self.bump();
            path.push(self.segment()?);
        }
        Ok(path)
    }

    /// An expression whose infix operators all bind at least as tightly as `min`.
    pub fn expr(&mut self, min: u8) -> Result<Expr, ODataError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err_here(format!("expression is nested too deeply (more than {MAX_DEPTH} levels)")));
        }
        let result = self.expr_inner(min);
        self.depth -= 1;
        result
    }

    fn expr_inner(&mut self, min: u8) -> Result<Expr, ODataError> {
        let mut left = self.prefix()?;
        while let Some((op, bp)) = infix(&self.peek().tok) {
            if bp < min {
                break;
            }
            self.bump();
            left = match op {
                Infix::In => Expr::In { left: Box::new(left), list: self.in_list()? },
                Infix::Bin(op) => Expr::Binary { op, left: Box::new(left), right: Box::new(self.expr(bp + 1)?) },
            };
        }
        Ok(left)
    }

    fn prefix(&mut self) -> Result<Expr, ODataError> {
        if self.at(&Tok::Minus) {
            self.bump();
            return Ok(Expr::Negate(Box::new(self.expr(prec::UNARY)?)));
        }
        if self.at_word("not") {
            self.bump();
            return Ok(Expr::Not(Box::new(self.expr(prec::NOT)?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ODataError> {
        let token = self.peek().clone();
        match token.tok {
            Tok::Lit(lit) => {
                self.bump();
                Ok(Expr::Literal(lit))
            }
            Tok::LParen => {
                self.bump();
                let inner = self.expr(0)?;
                self.close(token.start, "an operator or ')'")?;
                Ok(inner)
            }
            Tok::Ident(name) if !name.contains('.') => self.ident_expr(name, token.start),
            Tok::Ident(_) => {
                Err(self.err_here("qualified names are not supported here (type casts and namespaced functions)"))
            }
            _ => Err(self.unexpected("an expression")),
        }
    }

    /// A literal keyword, a function call, a path, or a path ending in a lambda.
    fn ident_expr(&mut self, name: String, start: usize) -> Result<Expr, ODataError> {
        self.bump();
        if self.at(&Tok::LParen) {
            return self.call(name, start);
        }
        let keyword = match name.to_ascii_lowercase().as_str() {
            "null" => Some(Literal::Null),
            "true" => Some(Literal::Bool(true)),
            "false" => Some(Literal::Bool(false)),
            _ => None,
        };
        if let Some(lit) = keyword {
            return Ok(Expr::Literal(lit));
        }
        let mut path = vec![name];
        while self.at(&Tok::Slash) {
            self.bump();
            let seg_start = self.peek().start;
            let seg = self.segment()?;
            if self.at(&Tok::LParen) {
                let kind = if seg.eq_ignore_ascii_case("any") {
                    LambdaKind::Any
                } else if seg.eq_ignore_ascii_case("all") {
                    LambdaKind::All
                } else {
                    return Err(self.err_at(
                        seg_start,
                        format!(
                            "'{}' is not a lambda operator: only any(...) and all(...) may follow a path",
                            snippet(&seg)
                        ),
                    ));
                };
                return self.lambda(path, kind);
            }
            path.push(seg);
        }
        Ok(Expr::Path(path))
    }

    fn call(&mut self, name: String, start: usize) -> Result<Expr, ODataError> {
        let lower = name.to_ascii_lowercase();
        let Some((min, max)) = function_arity(&lower) else {
            return Err(self.err_at(start, format!("unknown function '{}'", snippet(&name))));
        };
        let open = self.bump().start;
        let mut args = Vec::new();
        if !self.at(&Tok::RParen) {
            loop {
                args.push(self.expr(0)?);
                if !self.at(&Tok::Comma) {
                    break;
                }
                self.bump();
            }
        }
        self.close(open, "an operator, ',' or ')'")?;
        if args.len() < min || args.len() > max {
            let wanted = if min == max { format!("{min}") } else { format!("{min} to {max}") };
            return Err(
                self.err_at(start, format!("function '{lower}' takes {wanted} argument(s), found {}", args.len()))
            );
        }
        Ok(Expr::Call { name: lower, args })
    }

    fn lambda(&mut self, collection: Vec<String>, kind: LambdaKind) -> Result<Expr, ODataError> {
        let open = self.bump().start;
        if self.at(&Tok::RParen) {
            if kind == LambdaKind::All {
                return Err(self.err_at(open, "all() needs a predicate, such as all(x: x/state eq 'delivered')"));
            }
            self.bump();
            return Ok(Expr::Lambda { collection, kind, variable: None, body: None });
        }
        let variable = match &self.peek().tok {
            Tok::Ident(v) if !v.contains('.') => v.clone(),
            _ => return Err(self.unexpected("a lambda variable name")),
        };
        self.bump();
        if !self.at(&Tok::Colon) {
            return Err(self.unexpected("':'"));
        }
        self.bump();
        let body = self.expr(0)?;
        self.close(open, "an operator or ')'")?;
        Ok(Expr::Lambda { collection, kind, variable: Some(variable), body: Some(Box::new(body)) })
    }

    fn in_list(&mut self) -> Result<Vec<Expr>, ODataError> {
        if !self.at(&Tok::LParen) {
            return Err(self.unexpected("a parenthesised list such as ('a','b')"));
        }
        let open = self.bump().start;
        if self.at(&Tok::RParen) {
            return Err(self.err_here("the list after 'in' must not be empty"));
        }
        let mut list = Vec::new();
        loop {
            list.push(self.expr(0)?);
            if !self.at(&Tok::Comma) {
                break;
            }
            self.bump();
        }
        self.close(open, "',' or ')'")?;
        Ok(list)
    }
}
