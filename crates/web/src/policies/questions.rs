//! Policy questions on the wire. v1.0: `text` + `localizations`, `isMultipleSelectionAllowed`,
//! choices with `text` + `localizations`. beta: `text`/choice `displayValue` as
//! `accessPackageLocalizedContent` {`defaultText`, `localizedTexts`}, `allowsMultipleSelection`.
//! Both shapes are read on both versions; each version writes its own. The derived type comes
//! from `@odata.type` and is required (the base type is abstract).
use super::reader::{bad, At, Obj};
use crate::error::GraphResult;
use crate::json::ApiVersion;
use grantd_domain::policy::{AnswerChoice, LocalizedText, Question, QuestionKind};
use serde_json::{json, Value};
use uuid::Uuid;

fn localized_list(o: &Obj<'_>, name: &str) -> GraphResult<Vec<LocalizedText>> {
    let mut out = Vec::new();
    for at in o.array(name)? {
        let l = at.obj()?;
        let Some(language_code) = l.string("languageCode")? else {
            return Err(bad(&l.at("languageCode"), "a value is required"));
        };
        out.push(LocalizedText { language_code, text: l.string("text")? });
    }
    Ok(out)
}

/// A text that is a plain string + `localizations` (v1.0) or localized content (beta).
fn text_and_localizations(
    o: &Obj<'_>,
    name: &str,
    localizations: &str,
) -> GraphResult<(Option<String>, Vec<LocalizedText>)> {
    match o.child(name) {
        Some(At { value: Value::String(s), .. }) => Ok((Some(s.clone()), localized_list(o, localizations)?)),
        Some(at) => {
            let c = at.obj()?;
            let mut locs = localized_list(&c, "localizedTexts")?;
            locs.extend(localized_list(o, localizations)?);
            Ok((c.string("defaultText")?, locs))
        }
        None => Ok((None, localized_list(o, localizations)?)),
    }
}

fn read_choice(at: &At<'_>) -> GraphResult<AnswerChoice> {
    let c = at.obj()?;
    let Some(actual_value) = c.string("actualValue")? else {
        return Err(bad(&c.at("actualValue"), "a value is required"));
    };
    let (text, localizations) = if c.get("displayValue").is_some() {
        text_and_localizations(&c, "displayValue", "localizations")?
    } else {
        text_and_localizations(&c, "text", "localizations")?
    };
    Ok(AnswerChoice { actual_value, text, localizations })
}

fn read_one(at: &At<'_>, position: usize) -> GraphResult<Question> {
    let o = at.obj()?;
    let (text, localizations) = text_and_localizations(&o, "text", "localizations")?;
    let kind = match o.odata_type()?.as_deref() {
        Some("accesspackagetextinputquestion") => QuestionKind::TextInput {
            is_single_line_question: o.bool_or("isSingleLineQuestion", true)?,
            regex_pattern: o.string("regexPattern")?,
        },
        Some("accesspackagemultiplechoicequestion") => {
            let multi = match o.bool("isMultipleSelectionAllowed")? {
                Some(b) => b,
                None => o.bool_or("allowsMultipleSelection", false)?,
            };
            let choices = o.array("choices")?.iter().map(read_choice).collect::<GraphResult<Vec<_>>>()?;
            QuestionKind::MultipleChoice { choices, is_multiple_selection_allowed: multi }
        }
        Some(_) => {
            let raw = o.string("@odata.type")?.unwrap_or_default();
            return Err(bad(&o.at("@odata.type"), format!("'{raw}' is not a known question type")));
        }
        None => {
            return Err(bad(
                &o.at("@odata.type"),
                "the question type is required (#microsoft.graph.accessPackageTextInputQuestion or #microsoft.graph.accessPackageMultipleChoiceQuestion)",
            ))
        }
    };
    let id = match o.string("id")? {
        Some(id) if !id.trim().is_empty() => id,
        _ => Uuid::now_v7().to_string(),
    };
    Ok(Question {
        id,
        kind,
        text,
        localizations,
        is_required: o.bool_or("isRequired", false)?,
        is_answer_editable: o.bool_or("isAnswerEditable", false)?,
        sequence: o.i32("sequence")?.unwrap_or(i32::try_from(position + 1).unwrap_or(i32::MAX)),
    })
}

/// Reads the `questions` array (absent or null = none).
pub fn read(o: &Obj<'_>) -> GraphResult<Vec<Question>> {
    o.array("questions")?.iter().enumerate().map(|(i, at)| read_one(at, i)).collect()
}

fn render_localized(list: &[LocalizedText]) -> Value {
    Value::Array(list.iter().map(|l| json!({"languageCode": l.language_code, "text": l.text})).collect())
}

fn content(text: &Option<String>, list: &[LocalizedText]) -> Value {
    json!({"defaultText": text, "localizedTexts": render_localized(list)})
}

pub fn render(q: &Question, v: ApiVersion) -> Value {
    let mut out = json!({
        "@odata.type": format!("#microsoft.graph.{}", q.type_name()),
        "id": q.id,
        "sequence": q.sequence,
        "isRequired": q.is_required,
        "isAnswerEditable": q.is_answer_editable,
    });
    match v {
        ApiVersion::V1 => {
            out["text"] = json!(q.text);
            out["localizations"] = render_localized(&q.localizations);
        }
        ApiVersion::Beta => out["text"] = content(&q.text, &q.localizations),
    }
    match &q.kind {
        QuestionKind::TextInput { is_single_line_question, regex_pattern } => {
            out["isSingleLineQuestion"] = json!(is_single_line_question);
            out["regexPattern"] = json!(regex_pattern);
        }
        QuestionKind::MultipleChoice { choices, is_multiple_selection_allowed } => {
            let choices: Vec<Value> = choices
                .iter()
                .map(|c| match v {
                    ApiVersion::V1 => json!({
                        "actualValue": c.actual_value,
                        "text": c.text,
                        "localizations": render_localized(&c.localizations),
                    }),
                    ApiVersion::Beta => json!({
                        "actualValue": c.actual_value,
                        "displayValue": content(&c.text, &c.localizations),
                    }),
                })
                .collect();
            let flag = if v == ApiVersion::V1 { "isMultipleSelectionAllowed" } else { "allowsMultipleSelection" };
            out[flag] = json!(is_multiple_selection_allowed);
            out["choices"] = Value::Array(choices);
        }
    }
    out
}

pub fn render_list(qs: &[Question], v: ApiVersion) -> Value {
    Value::Array(qs.iter().map(|q| render(q, v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_round_trip_on_each_version_and_across() {
        let body = json!({"questions": [
            {"@odata.type": "#microsoft.graph.accessPackageMultipleChoiceQuestion", "sequence": "1", "isRequired": "true",
             "text": "Country?", "isMultipleSelectionAllowed": "false",
             "choices": [{"@odata.type": "microsoft.graph.accessPackageAnswerChoice", "actualValue": "KE", "text": "Kenya"}]},
            {"@odata.type": "#microsoft.graph.accessPackageTextInputQuestion", "id": "q2", "text": "Work?",
             "localizations": [{"languageCode": "fr-CA", "text": "Travail?"}], "regexPattern": "[a-z]+"}
        ]});
        let qs = read(&Obj::root(&body).unwrap()).unwrap();
        assert_eq!(qs.len(), 2);
        assert_eq!(qs[0].sequence, 1);
        assert_eq!(qs[1].sequence, 2);
        assert_eq!(qs[1].id, "q2");
        for v in [ApiVersion::V1, ApiVersion::Beta] {
            let wire = json!({"questions": render_list(&qs, v)});
            assert_eq!(read(&Obj::root(&wire).unwrap()).unwrap(), qs, "{v:?}");
        }
        let beta = render(&qs[1], ApiVersion::Beta);
        assert_eq!(beta["text"]["defaultText"], "Work?");
        assert_eq!(beta["text"]["localizedTexts"][0]["languageCode"], "fr-CA");
        let v1 = render(&qs[0], ApiVersion::V1);
        assert_eq!(v1["choices"][0]["text"], "Kenya");
        assert_eq!(render(&qs[0], ApiVersion::Beta)["choices"][0]["displayValue"]["defaultText"], "Kenya");
    }

    #[test]
    fn a_question_needs_its_type() {
        let body = json!({"questions": [{"text": "?"}]});
        let e = read(&Obj::root(&body).unwrap()).unwrap_err();
        assert!(e.message.contains("questions[0].@odata.type"), "{}", e.message);
    }
}
