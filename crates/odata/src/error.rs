//! The crate's single error type, [`ODataError`], and the internal context that places an error.

/// A query option that could not be parsed.
///
/// `option` names the system query option at fault (`"$filter"`, `"$top"`, ...) or `"query"` for
/// problems with the query string itself. `position`, when present, is a 0-based byte offset into
/// the *decoded* value of that option. Errors inside a nested `$expand` option report `"$expand"`
/// and an offset into the whole `$expand` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ODataError {
    /// The system query option at fault, or `"query"`.
    pub option: &'static str,
    /// A complete, human-readable message.
    pub message: String,
    /// Byte offset into the decoded option value, when the error has a place.
    pub position: Option<usize>,
}

impl ODataError {
    /// An error with no position.
    pub fn new(option: &'static str, message: impl Into<String>) -> Self {
        Self { option, message: message.into(), position: None }
    }

    /// A syntax error at `position`; the message reads
    /// `syntax error at position {position} in {option}: {detail}`.
    pub fn syntax(option: &'static str, position: usize, detail: impl std::fmt::Display) -> Self {
        Self {
            option,
            message: format!("syntax error at position {position} in {option}: {detail}"),
            position: Some(position),
        }
    }
}

/// Where the text being parsed sits: which option it belongs to and at which offset inside that
/// option's value it starts (non-zero for options nested in `$expand`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    pub option: &'static str,
    pub base: usize,
    pub in_expand: bool,
}

impl Ctx {
    /// Context for the whole value of a top-level option.
    pub fn top(option: &'static str) -> Self {
        Self { option, base: 0, in_expand: false }
    }

    /// The same context moved `offset` bytes further into the option value.
    pub fn shift(self, offset: usize) -> Self {
        Self { base: self.base + offset, ..self }
    }

    /// A syntax error at `pos`, relative to the text this context describes.
    pub fn err(&self, pos: usize, detail: impl std::fmt::Display) -> ODataError {
        ODataError::syntax(self.option, self.base + pos, detail)
    }

    /// An error about a whole option value (bad `$top`, duplicate option, ...).
    pub fn value_err(&self, message: impl std::fmt::Display) -> ODataError {
        if self.in_expand {
            ODataError {
                option: self.option,
                message: format!("{message} (inside $expand at position {})", self.base),
                position: Some(self.base),
            }
        } else {
            ODataError::new(self.option, message.to_string())
        }
    }
}
