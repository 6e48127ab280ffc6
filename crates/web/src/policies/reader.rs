//! A small reader over a JSON request body that knows its own path, so every binding error
//! names the property (`requestApprovalSettings.stages[0].durationBeforeAutomaticDenial`) the
//! way `json::bind_value` does, while handling what derive-based binding cannot: polymorphic
//! values chosen by `@odata.type`, and Graph's lenient scalars.
//!
//! Booleans and integers sent as strings (`"true"`, `"1"`) are accepted (open question 17):
//! Microsoft's own v1.0 create-policy example 4 sends them and is answered 201, as the .NET
//! binder behind Graph coerces such strings. Anything else of the wrong type is a 400
//! `InvalidModel` naming the property. Unknown properties are ignored, as Graph's binder does.
use crate::error::{GraphError, GraphResult};
use crate::wire;
use chrono::{DateTime, Utc};
use grantd_domain::policy::Span;
use serde_json::{Map, Value};

/// A JSON object at a path.
#[derive(Clone, Copy)]
pub struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

/// An owned path plus the value found there (array items, nested objects).
pub struct At<'a> {
    pub value: &'a Value,
    pub path: String,
}

pub fn bad(path: &str, what: impl std::fmt::Display) -> GraphError {
    if path.is_empty() {
        GraphError::invalid_model(format!("The model is invalid. {what}."))
    } else {
        GraphError::invalid_model(format!("The model is invalid. Property '{path}': {what}."))
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads a boolean leniently: JSON booleans, or the strings `true`/`false` in any case.
pub fn as_bool(v: &Value, path: &str) -> GraphResult<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Ok(false),
        other => Err(bad(path, format!("expected a boolean, found {}", type_of(other)))),
    }
}

/// Reads an Int32 leniently: a JSON integer, or a string holding one.
pub fn as_i32(v: &Value, path: &str) -> GraphResult<i32> {
    let n = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    n.and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| bad(path, format!("expected a 32-bit integer, found {}", type_of(v))))
}

impl<'a> At<'a> {
    pub fn obj(&self) -> GraphResult<Obj<'_>> {
        match self.value {
            Value::Object(map) => Ok(Obj { map, path: &self.path }),
            other => Err(bad(&self.path, format!("expected an object, found {}", type_of(other)))),
        }
    }
    pub fn string(&self) -> GraphResult<String> {
        match self.value {
            Value::String(s) => Ok(s.clone()),
            other => Err(bad(&self.path, format!("expected a string, found {}", type_of(other)))),
        }
    }
}

impl<'a> Obj<'a> {
    /// The body itself (`path` is empty).
    pub fn root(v: &'a Value) -> GraphResult<Obj<'a>> {
        match v {
            Value::Object(map) => Ok(Obj { map, path: "" }),
            other => Err(bad("", format!("The body must be a JSON object, not {}", type_of(other)))),
        }
    }

    pub fn at(&self, name: &str) -> String {
        join(self.path, name)
    }

    /// The value of `name`, `None` when absent or null.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// `name` is present, even as null (PATCH distinguishes null from absent).
    pub fn map_has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// A nested object at `name`.
    pub fn child(&self, name: &str) -> Option<At<'a>> {
        self.get(name).map(|value| At { value, path: self.at(name) })
    }

    pub fn string(&self, name: &str) -> GraphResult<Option<String>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(bad(&self.at(name), format!("expected a string, found {}", type_of(other)))),
        }
    }
    pub fn bool(&self, name: &str) -> GraphResult<Option<bool>> {
        self.get(name).map(|v| as_bool(v, &self.at(name))).transpose()
    }
    pub fn bool_or(&self, name: &str, default: bool) -> GraphResult<bool> {
        Ok(self.bool(name)?.unwrap_or(default))
    }
    pub fn i32(&self, name: &str) -> GraphResult<Option<i32>> {
        self.get(name).map(|v| as_i32(v, &self.at(name))).transpose()
    }
    /// An ISO 8601 duration, or Python's `str(timedelta)` form (WIRE.md 9).
    pub fn duration(&self, name: &str) -> GraphResult<Option<Span>> {
        match self.string(name)? {
            None => Ok(None),
            Some(s) => wire::parse_duration(&s)
                .map(Some)
                .ok_or_else(|| bad(&self.at(name), format!("'{s}' is not a valid ISO 8601 duration"))),
        }
    }
    pub fn datetime(&self, name: &str) -> GraphResult<Option<DateTime<Utc>>> {
        match self.string(name)? {
            None => Ok(None),
            Some(s) => wire::parse_datetime(&s)
                .map(Some)
                .ok_or_else(|| bad(&self.at(name), format!("'{s}' is not a valid date and time"))),
        }
    }
    /// An enum member, matched case-insensitively by `parse`.
    pub fn enumeration<T>(&self, name: &str, parse: fn(&str) -> Option<T>) -> GraphResult<Option<T>> {
        match self.string(name)? {
            None => Ok(None),
            Some(s) => parse(&s).map(Some).ok_or_else(|| bad(&self.at(name), format!("the value '{s}' is not valid"))),
        }
    }
    /// The items of an array at `name` (absent or null = none).
    pub fn array(&self, name: &str) -> GraphResult<Vec<At<'a>>> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => {
                let base = self.at(name);
                Ok(items.iter().enumerate().map(|(i, value)| At { value, path: format!("{base}[{i}]") }).collect())
            }
            Some(other) => Err(bad(&self.at(name), format!("expected an array, found {}", type_of(other)))),
        }
    }
    /// The `@odata.type` without `#` and `microsoft.graph.` (WIRE.md 11: both forms arrive),
    /// lower-cased for matching.
    pub fn odata_type(&self) -> GraphResult<Option<String>> {
        Ok(self.string("@odata.type")?.map(|t| {
            let t = t.trim().trim_start_matches('#').to_ascii_lowercase();
            t.strip_prefix("microsoft.graph.").map(str::to_string).unwrap_or(t)
        }))
    }
    /// `{"id": "..."}` of a navigation bound by a nested object.
    pub fn nav_id(&self, name: &str) -> GraphResult<Option<String>> {
        match self.child(name) {
            None => Ok(None),
            Some(at) => at.obj()?.string("id"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lenient_scalars_and_paths() {
        let v = json!({"a": "TRUE", "b": "7", "c": {"d": [1, {"e": "x"}]}, "n": null});
        let o = Obj::root(&v).unwrap();
        assert_eq!(o.bool("a").unwrap(), Some(true));
        assert_eq!(o.i32("b").unwrap(), Some(7));
        assert_eq!(o.bool("n").unwrap(), None);
        let e = o.bool("b").unwrap_err();
        assert!(e.message.contains("Property 'b'"), "{}", e.message);
        let c = o.child("c").unwrap();
        let items = c.obj().unwrap().array("d").unwrap();
        let e = items[0].obj().err().unwrap();
        assert!(e.message.contains("'c.d[0]'"), "{}", e.message);
        let e = items[1].obj().unwrap().i32("e").unwrap_err();
        assert!(e.message.contains("'c.d[1].e'"), "{}", e.message);
        assert_eq!(e.code, "InvalidModel");
    }

    #[test]
    fn odata_types_are_normalised() {
        for t in ["#microsoft.graph.singleUser", "microsoft.graph.singleuser", "#Microsoft.Graph.SingleUser"] {
            let v = json!({"@odata.type": t});
            assert_eq!(Obj::root(&v).unwrap().odata_type().unwrap().as_deref(), Some("singleuser"));
        }
    }

    #[test]
    fn durations_accept_timedelta_form() {
        let v = json!({"d": "30 days, 0:00:00", "e": "P14D", "f": "soon"});
        let o = Obj::root(&v).unwrap();
        assert_eq!(o.duration("d").unwrap(), Some(Span::days(30)));
        assert_eq!(o.duration("e").unwrap(), Some(Span::days(14)));
        assert!(o.duration("f").unwrap_err().message.contains("'f'"));
    }
}
