//! The syntax tree produced by the parsers: query options, expressions, literals and operators.

/// Every system query option of one request (or of one `$expand` item).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryOptions {
    /// `$filter`.
    pub filter: Option<Expr>,
    /// `$select`: each item is a path; `*` is `["*"]`.
    pub select: Option<Vec<Vec<String>>>,
    /// `$expand`.
    pub expand: Option<Vec<ExpandItem>>,
    /// `$orderby`.
    pub orderby: Option<Vec<OrderBy>>,
    /// `$top`.
    pub top: Option<u64>,
    /// `$skip`.
    pub skip: Option<u64>,
    /// `$count`.
    pub count: Option<bool>,
    /// `$skiptoken`, decoded, otherwise uninterpreted.
    pub skiptoken: Option<String>,
    /// `$search`, decoded; surrounding quotes are removed when the value is one quoted phrase.
    pub search: Option<String>,
}

/// One `$expand` item: `requestor($expand=connectedOrganization;$select=id)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpandItem {
    /// The navigation path; `*` is `["*"]`.
    pub path: Vec<String>,
    /// Nested options; only `$select`, `$expand`, `$filter`, `$orderby`, `$top`, `$skip` and
    /// `$count` can be set here.
    pub options: QueryOptions,
}

/// One `$orderby` item.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderBy {
    /// The property path, segments as written.
    pub path: Vec<String>,
    /// `desc` was given.
    pub descending: bool,
}

/// A `$filter` expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal value.
    Literal(Literal),
    /// A property path such as `accessPackage/id`; segments as written (case preserved).
    Path(Vec<String>),
    /// A binary operator.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// Logical `not`.
    Not(Box<Expr>),
    /// Arithmetic negation `-x` (a minus directly before a number is part of the number literal).
    Negate(Box<Expr>),
    /// `left in (a, b, ...)`; the list is never empty.
    In {
        /// The tested value.
        left: Box<Expr>,
        /// The candidates.
        list: Vec<Expr>,
    },
    /// A canonical function call; `name` is lower-cased and the argument count was checked.
    Call {
        /// Lower-cased function name.
        name: String,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// `collection/any(v: body)`, `collection/all(v: body)` or `collection/any()`.
    Lambda {
        /// The collection path.
        collection: Vec<String>,
        /// `any` or `all`.
        kind: LambdaKind,
        /// The range variable; `None` only for `any()`.
        variable: Option<String>,
        /// The predicate; `None` only for `any()`.
        body: Option<Box<Expr>>,
    },
}

/// The two lambda operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LambdaKind {
    /// `any`.
    Any,
    /// `all`.
    All,
}

/// Binary operators, named after their OData keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
    /// `and`
    And,
    /// `or`
    Or,
    /// `has`
    Has,
    /// `add`
    Add,
    /// `sub`
    Sub,
    /// `mul`
    Mul,
    /// `div`
    Div,
    /// `mod`
    Mod,
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits in `i64`.
    Int(i64),
    /// A number with a fraction or an exponent (always finite).
    Decimal(f64),
    /// `'text'`, unescaped (`''` became `'`).
    String(String),
    /// An unquoted GUID, lower-cased, `8-4-4-4-12`.
    Guid(String),
    /// An unquoted date-time with offset, as written (shape and ranges validated).
    DateTimeOffset(String),
    /// An unquoted date `YYYY-MM-DD`, as written (validated).
    Date(String),
    /// The ISO 8601 text of `duration'P1D'`.
    Duration(String),
    /// `Namespace.Type'value'`.
    Enum {
        /// The qualified type name (contains at least one `.`).
        type_name: String,
        /// The value text, unescaped.
        value: String,
    },
}

/// Binding powers, loosest first. Shared by the parser and the printer so that printing inserts
/// exactly the parentheses the parser needs.
pub(crate) mod prec {
    pub const OR: u8 = 1;
    pub const AND: u8 = 2;
    pub const NOT: u8 = 3;
    pub const COMPARE: u8 = 4;
    pub const ADD: u8 = 5;
    pub const MUL: u8 = 6;
    pub const UNARY: u8 = 7;
    pub const PRIMARY: u8 = 8;
}

const BINARY_OPS: [BinaryOp; 14] = [
    BinaryOp::Eq,
    BinaryOp::Ne,
    BinaryOp::Gt,
    BinaryOp::Ge,
    BinaryOp::Lt,
    BinaryOp::Le,
    BinaryOp::And,
    BinaryOp::Or,
    BinaryOp::Has,
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Div,
    BinaryOp::Mod,
];

impl BinaryOp {
    /// The OData keyword, lower-case (`"eq"`, `"and"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Eq => "eq",
            BinaryOp::Ne => "ne",
            BinaryOp::Gt => "gt",
            BinaryOp::Ge => "ge",
            BinaryOp::Lt => "lt",
            BinaryOp::Le => "le",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
            BinaryOp::Has => "has",
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Mod => "mod",
        }
    }

    /// The operator for a keyword, case-insensitively.
    pub fn from_keyword(word: &str) -> Option<BinaryOp> {
        BINARY_OPS.into_iter().find(|op| op.as_str().eq_ignore_ascii_case(word))
    }

    /// `true` for `eq ne gt ge lt le has`.
    pub fn is_comparison(self) -> bool {
        self.precedence() == prec::COMPARE
    }

    pub(crate) fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => prec::OR,
            BinaryOp::And => prec::AND,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Has => {
                prec::COMPARE
            }
            BinaryOp::Add | BinaryOp::Sub => prec::ADD,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => prec::MUL,
        }
    }
}

impl Expr {
    /// How tightly this node binds when printed (see [`prec`]).
    pub(crate) fn precedence(&self) -> u8 {
        match self {
            Expr::Binary { op, .. } => op.precedence(),
            Expr::In { .. } => prec::COMPARE,
            Expr::Not(_) => prec::NOT,
            Expr::Negate(_) => prec::UNARY,
            Expr::Literal(_) | Expr::Path(_) | Expr::Call { .. } | Expr::Lambda { .. } => prec::PRIMARY,
        }
    }
}

/// Canonical functions accepted in `$filter`, with their minimum and maximum argument counts.
pub(crate) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("contains", 2, 2),
    ("startswith", 2, 2),
    ("endswith", 2, 2),
    ("length", 1, 1),
    ("indexof", 2, 2),
    ("substring", 2, 3),
    ("tolower", 1, 1),
    ("toupper", 1, 1),
    ("trim", 1, 1),
    ("concat", 2, 2),
    ("matchespattern", 2, 2),
    ("year", 1, 1),
    ("month", 1, 1),
    ("day", 1, 1),
    ("hour", 1, 1),
    ("minute", 1, 1),
    ("second", 1, 1),
    ("fractionalseconds", 1, 1),
    ("totalseconds", 1, 1),
    ("totaloffsetminutes", 1, 1),
    ("date", 1, 1),
    ("time", 1, 1),
    ("now", 0, 0),
    ("mindatetime", 0, 0),
    ("maxdatetime", 0, 0),
    ("round", 1, 1),
    ("floor", 1, 1),
    ("ceiling", 1, 1),
    ("hassubset", 2, 2),
    ("hassubsequence", 2, 2),
];

/// `(min, max)` argument counts of a lower-cased canonical function name.
pub(crate) fn function_arity(lower_name: &str) -> Option<(usize, usize)> {
    FUNCTIONS.iter().find(|(name, _, _)| *name == lower_name).map(|&(_, min, max)| (min, max))
}
