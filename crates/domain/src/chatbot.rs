//! Chatbot flows: a list of steps with ids, the first one the start, each naming the step that
//! follows (none: the flow ends). [`validate`] checks a flow when it is saved, so the engine
//! (`app::services::chatbots::engine`) can trust it: ids unique, every edge to an existing
//! step, every step reachable from the start, no cycle that does not wait for the customer (an
//! *ask*), sizes bounded. Errors name the step. No IO.

use crate::auto_reply::{BusinessHours, MatchType};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub const MAX_STEPS: usize = 100;
pub const MAX_STEP_ID_CHARS: usize = 40;
pub const MAX_TEXT_CHARS: usize = 4096;
pub const MAX_CASES: usize = 20;
pub const MAX_OPTIONS: usize = 20;
pub const MAX_RETRIES: u32 = 10;
/// A *delay* waits at most ten minutes: a longer pause is a follow-up, not a conversation.
pub const MAX_DELAY_SECS: u32 = 600;
pub const MAX_HTTP_TIMEOUT_SECS: u32 = 10;
pub const MAX_HAND_OVER_MINUTES: u32 = 7 * 24 * 60;

/// What starts a flow for a contact without a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[schema(as = ChatbotTrigger)]
pub enum Trigger {
    /// One of the words or phrases, matched like an auto-reply rule's triggers.
    Keywords {
        keywords: Vec<String>,
        #[serde(default)]
        match_type: MatchType,
    },
    /// Any message.
    Any,
    /// The first message ever received from a number.
    First,
}

/// How an *ask* checks the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[schema(as = ChatbotValidation)]
pub enum Validation {
    Number,
    Email,
    Regex {
        pattern: String,
    },
    /// The answer is one of these (e.g. "1", "2", "3"), compared without case or accents.
    Options {
        options: Vec<String>,
    },
}

/// A *branch* condition on the value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "op", rename_all = "snake_case")]
#[schema(as = ChatbotCondition)]
pub enum Condition {
    Equals {
        value: String,
    },
    Contains {
        value: String,
    },
    Regex {
        pattern: String,
    },
    /// A number between `min` and `max`, both included (either may be left out).
    Range {
        min: Option<f64>,
        max: Option<f64>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ChatbotCase)]
pub struct Case {
    #[serde(flatten)]
    pub when: Condition,
    pub next: String,
}

/// A value an *HTTP call* keeps: the JSON pointer into the response (e.g. `/data/status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ChatbotHttpSave)]
pub struct HttpSave {
    pub pointer: String,
    pub variable: String,
}

/// One step. `next` absent: the flow ends after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[schema(as = ChatbotStepKind)]
pub enum StepKind {
    /// Sends a text (`{{variables}}` of the contact and of the flow) or a template with its media.
    Send {
        text: Option<String>,
        template_id: Option<i64>,
        next: Option<String>,
    },
    /// Sends the prompt, waits for the answer and keeps it in `variable`.
    Ask {
        prompt: String,
        variable: String,
        validation: Option<Validation>,
        /// Sent when the answer does not pass; the prompt again without it.
        retry_message: Option<String>,
        #[serde(default = "default_retries")]
        max_retries: u32,
        next: Option<String>,
        /// Where to go when the retries run out (none: the flow ends).
        on_fail: Option<String>,
    },
    /// Goes to the first case the value passes, else to `otherwise`. The value is `variable`,
    /// or the last answer without one.
    Branch {
        variable: Option<String>,
        cases: Vec<Case>,
        otherwise: String,
    },
    SetVariable {
        variable: String,
        value: String,
        next: Option<String>,
    },
    /// Calls a URL (the guarded outbound client: public addresses only), keeps fields of the
    /// JSON answer; on a failure goes to `on_error` (none: on to `next`).
    Http {
        #[serde(default = "default_method")]
        method: String,
        url: String,
        body: Option<String>,
        #[serde(default = "default_http_timeout")]
        timeout_secs: u32,
        #[serde(default)]
        save: Vec<HttpSave>,
        next: Option<String>,
        on_error: Option<String>,
    },
    /// Waits, then goes on (at most [`MAX_DELAY_SECS`]).
    Delay {
        seconds: u32,
        next: Option<String>,
    },
    /// Goes to `open` inside the hours (the owner's time zone), else to `closed`.
    BusinessHours {
        hours: BusinessHours,
        open: String,
        closed: String,
    },
    /// The bot goes quiet for this contact for `minutes`; the owner is told.
    HandOver {
        message: Option<String>,
        minutes: u32,
    },
    End {
        message: Option<String>,
    },
}

fn default_retries() -> u32 {
    3
}
fn default_method() -> String {
    "GET".into()
}
fn default_http_timeout() -> u32 {
    5
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ChatbotStep)]
pub struct Step {
    pub id: String,
    #[serde(flatten)]
    pub kind: StepKind,
}

impl Step {
    /// The steps this one may go to.
    pub fn edges(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        match &self.kind {
            StepKind::Send { next, .. } | StepKind::SetVariable { next, .. } | StepKind::Delay { next, .. } => {
                out.extend(next.as_deref())
            }
            StepKind::Ask { next, on_fail, .. } => out.extend(next.as_deref().into_iter().chain(on_fail.as_deref())),
            StepKind::Http { next, on_error, .. } => out.extend(next.as_deref().into_iter().chain(on_error.as_deref())),
            StepKind::Branch { cases, otherwise, .. } => {
                out.extend(cases.iter().map(|c| c.next.as_str()));
                out.push(otherwise);
            }
            StepKind::BusinessHours { open, closed, .. } => out.extend([open.as_str(), closed.as_str()]),
            StepKind::HandOver { .. } | StepKind::End { .. } => {}
        }
        out
    }
}

/// Why a flow was refused; `step` names the step at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    #[error("a flow needs at least one step")]
    Empty,
    #[error("a flow has at most {MAX_STEPS} steps")]
    TooManySteps,
    #[error("step '{step}': {what}")]
    Invalid { step: String, what: String },
    #[error("step id '{0}' is used twice")]
    DuplicateId(String),
    #[error("step '{step}' goes to '{target}', which does not exist")]
    MissingStep { step: String, target: String },
    #[error("step '{0}' cannot be reached from the start")]
    Unreachable(String),
    #[error("step '{0}' is in a loop that never waits for an answer (add an ask step)")]
    CycleWithoutAsk(String),
}

impl FlowError {
    /// The step at fault, if one is.
    pub fn step(&self) -> Option<&str> {
        match self {
            FlowError::Empty | FlowError::TooManySteps => None,
            FlowError::Invalid { step, .. } | FlowError::MissingStep { step, .. } => Some(step),
            FlowError::DuplicateId(s) | FlowError::Unreachable(s) | FlowError::CycleWithoutAsk(s) => Some(s),
        }
    }
}

/// A variable name a template can hold: letters, digits and `_`.
pub fn is_variable_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 40 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Compiles a flow's regular expression within the auto-reply limits.
pub fn compile_regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(crate::REGEX_SIZE_LIMIT)
        .dfa_size_limit(crate::REGEX_SIZE_LIMIT)
        .nest_limit(50)
        .build()
        .map_err(|e| e.to_string().lines().last().unwrap_or_default().trim().to_string())
}

/// Checks a flow (see the module notes). The per-step checks come first, then the graph.
pub fn validate(steps: &[Step]) -> Result<(), FlowError> {
    if steps.is_empty() {
        return Err(FlowError::Empty);
    }
    if steps.len() > MAX_STEPS {
        return Err(FlowError::TooManySteps);
    }
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, s) in steps.iter().enumerate() {
        let bad = |what: &str| FlowError::Invalid { step: s.id.clone(), what: what.to_string() };
        if s.id.trim().is_empty() || s.id.chars().count() > MAX_STEP_ID_CHARS {
            return Err(bad("the id must be 1 to 40 characters"));
        }
        if index.insert(s.id.as_str(), i).is_some() {
            return Err(FlowError::DuplicateId(s.id.clone()));
        }
        check_step(s).map_err(|what| bad(&what))?;
    }
    for s in steps {
        for target in s.edges() {
            if !index.contains_key(target) {
                return Err(FlowError::MissingStep { step: s.id.clone(), target: target.to_string() });
            }
        }
    }
    let mut seen = vec![false; steps.len()];
    let mut stack = vec![0usize];
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        stack.extend(steps[i].edges().into_iter().map(|t| index[t]));
    }
    if let Some(i) = seen.iter().position(|s| !s) {
        return Err(FlowError::Unreachable(steps[i].id.clone()));
    }
    // An ask ends a run (the engine waits for the customer), so a loop through one is fine;
    // with the asks' edges left out, any loop would run forever within one message.
    let waits = |i: usize| matches!(steps[i].kind, StepKind::Ask { .. });
    let mut color = vec![0u8; steps.len()];
    for root in 0..steps.len() {
        if color[root] != 0 {
            continue;
        }
        let mut path: Vec<(usize, usize)> = vec![(root, 0)];
        color[root] = 1;
        while let Some(&mut (node, ref mut edge)) = path.last_mut() {
            let targets: Vec<usize> =
                if waits(node) { Vec::new() } else { steps[node].edges().into_iter().map(|t| index[t]).collect() };
            if let Some(&t) = targets.get(*edge) {
                *edge += 1;
                match color[t] {
                    0 => {
                        color[t] = 1;
                        path.push((t, 0));
                    }
                    1 => return Err(FlowError::CycleWithoutAsk(steps[t].id.clone())),
                    _ => {}
                }
            } else {
                color[node] = 2;
                path.pop();
            }
        }
    }
    Ok(())
}

fn text_ok(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("a text is empty".into());
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(format!("a text is longer than {MAX_TEXT_CHARS} characters"));
    }
    Ok(())
}

fn variable_ok(name: &str) -> Result<(), String> {
    if is_variable_name(name) {
        Ok(())
    } else {
        Err(format!("'{name}' is not a variable name: use letters, digits and _"))
    }
}

fn check_step(s: &Step) -> Result<(), String> {
    match &s.kind {
        StepKind::Send { text, template_id, .. } => match (text, template_id) {
            (Some(t), None) => text_ok(t),
            (None, Some(_)) => Ok(()),
            _ => Err("give a text or a template, not both".into()),
        },
        StepKind::Ask { prompt, variable, validation, retry_message, max_retries, .. } => {
            text_ok(prompt)?;
            variable_ok(variable)?;
            if let Some(r) = retry_message {
                text_ok(r)?;
            }
            if *max_retries > MAX_RETRIES {
                return Err(format!("at most {MAX_RETRIES} retries"));
            }
            match validation {
                Some(Validation::Regex { pattern }) => compile_regex(pattern).map(|_| ()),
                Some(Validation::Options { options }) if options.is_empty() || options.len() > MAX_OPTIONS => {
                    Err(format!("1 to {MAX_OPTIONS} options"))
                }
                _ => Ok(()),
            }
        }
        StepKind::Branch { variable, cases, .. } => {
            if let Some(v) = variable {
                variable_ok(v)?;
            }
            if cases.len() > MAX_CASES {
                return Err(format!("at most {MAX_CASES} cases"));
            }
            for c in cases {
                match &c.when {
                    Condition::Regex { pattern } => {
                        compile_regex(pattern)?;
                    }
                    Condition::Range { min: None, max: None } => return Err("a range needs min or max".into()),
                    _ => {}
                }
            }
            Ok(())
        }
        StepKind::SetVariable { variable, value, .. } => {
            variable_ok(variable)?;
            if value.chars().count() > MAX_TEXT_CHARS {
                return Err("the value is too long".into());
            }
            Ok(())
        }
        StepKind::Http { method, url, timeout_secs, save, .. } => {
            if !matches!(method.as_str(), "GET" | "POST") {
                return Err("the method is GET or POST".into());
            }
            // With variables in it the URL is checked when called (the outbound client does).
            if !url.contains("{{") {
                crate::WebhookUrl::parse(url, true).map_err(|e| e.to_string())?;
            }
            if !(1..=MAX_HTTP_TIMEOUT_SECS).contains(timeout_secs) {
                return Err(format!("the timeout is 1 to {MAX_HTTP_TIMEOUT_SECS} seconds"));
            }
            save.iter().try_for_each(|v| variable_ok(&v.variable))
        }
        StepKind::Delay { seconds, .. } if *seconds == 0 || *seconds > MAX_DELAY_SECS => {
            Err(format!("a delay is 1 to {MAX_DELAY_SECS} seconds"))
        }
        StepKind::BusinessHours { hours, .. } if !hours.is_valid() => Err("the business hours are not valid".into()),
        StepKind::HandOver { minutes, .. } if *minutes == 0 || *minutes > MAX_HAND_OVER_MINUTES => {
            Err(format!("a hand-over lasts 1 to {MAX_HAND_OVER_MINUTES} minutes"))
        }
        StepKind::HandOver { message: Some(m), .. } | StepKind::End { message: Some(m) } => text_ok(m),
        _ => Ok(()),
    }
}

/// Does `answer` pass the validation? (Options: compared folded; the kept answer is the option.)
pub fn check_answer(validation: &Validation, answer: &str) -> Option<String> {
    let a = answer.trim();
    match validation {
        Validation::Number => a.replace(',', ".").parse::<f64>().ok().filter(|n| n.is_finite()).map(|_| a.to_string()),
        Validation::Email => crate::Email::parse(a).ok().map(|_| a.to_string()),
        Validation::Regex { pattern } => compile_regex(pattern).ok().filter(|r| r.is_match(a)).map(|_| a.to_string()),
        Validation::Options { options } => {
            let folded = crate::fold(a);
            options.iter().find(|o| crate::fold(o) == folded).cloned()
        }
    }
}

/// Does `value` pass the condition? Text comparisons ignore case and accents.
pub fn condition_holds(when: &Condition, value: &str) -> bool {
    let v = crate::fold(value);
    match when {
        Condition::Equals { value } => crate::fold(value) == v,
        Condition::Contains { value } => v.contains(&crate::fold(value)),
        Condition::Regex { pattern } => compile_regex(pattern).is_ok_and(|r| r.is_match(value.trim())),
        Condition::Range { min, max } => value
            .trim()
            .replace(',', ".")
            .parse::<f64>()
            .is_ok_and(|n| min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(json: serde_json::Value) -> Vec<Step> {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_good_flow_passes_and_each_fault_names_its_step() {
        let good = flow(serde_json::json!([
            {"id": "name", "type": "ask", "prompt": "Nama?", "variable": "nama", "next": "menu"},
            {"id": "menu", "type": "ask", "prompt": "1 atau 2?", "variable": "pilih",
             "validation": {"type": "options", "options": ["1", "2"]}, "next": "b"},
            {"id": "b", "type": "branch", "cases": [{"op": "equals", "value": "1", "next": "one"}], "otherwise": "menu"},
            {"id": "one", "type": "end", "message": "Bye {{nama}}"}
        ]));
        assert_eq!(validate(&good), Ok(()), "a loop back to an ask is fine");
        let nowhere = flow(serde_json::json!([{"id": "a", "type": "send", "text": "x", "next": "zzz"}]));
        assert_eq!(validate(&nowhere), Err(FlowError::MissingStep { step: "a".into(), target: "zzz".into() }));
        let unreachable = flow(serde_json::json!([
            {"id": "a", "type": "end"}, {"id": "lost", "type": "send", "text": "x"}]));
        assert_eq!(validate(&unreachable), Err(FlowError::Unreachable("lost".into())));
        let spin = flow(serde_json::json!([
            {"id": "a", "type": "send", "text": "x", "next": "b"},
            {"id": "b", "type": "set_variable", "variable": "v", "value": "1", "next": "a"}]));
        assert_eq!(validate(&spin), Err(FlowError::CycleWithoutAsk("a".into())));
        let twice = flow(serde_json::json!([{"id": "a", "type": "end"}, {"id": "a", "type": "end"}]));
        assert_eq!(validate(&twice), Err(FlowError::DuplicateId("a".into())));
        let regex = flow(serde_json::json!([{"id": "q", "type": "ask", "prompt": "?", "variable": "v",
            "validation": {"type": "regex", "pattern": "(x"}}]));
        assert!(matches!(validate(&regex), Err(FlowError::Invalid { step, .. }) if step == "q"));
        let long = flow(serde_json::json!([{"id": "d", "type": "delay", "seconds": 601}]));
        assert_eq!(validate(&long).unwrap_err().step(), Some("d"));
        assert_eq!(validate(&[]), Err(FlowError::Empty));
    }

    #[test]
    fn answers_and_conditions() {
        let options = Validation::Options { options: vec!["1".into(), "Ya".into()] };
        assert_eq!(check_answer(&options, " YA "), Some("Ya".into()));
        assert_eq!(check_answer(&options, "3"), None);
        assert_eq!(check_answer(&Validation::Number, "12,5"), Some("12,5".into()));
        assert_eq!(check_answer(&Validation::Number, "dua"), None);
        assert!(check_answer(&Validation::Email, "a@b.id").is_some());
        assert!(condition_holds(&Condition::Equals { value: "Ya".into() }, "ya"));
        assert!(condition_holds(&Condition::Contains { value: "kirim".into() }, "mau KIRIM dong"));
        assert!(condition_holds(&Condition::Range { min: Some(1.0), max: Some(5.0) }, "5"));
        assert!(!condition_holds(&Condition::Range { min: Some(1.0), max: None }, "0"));
        assert!(condition_holds(&Condition::Regex { pattern: r"^\d{3}$".into() }, "123"));
    }
}
