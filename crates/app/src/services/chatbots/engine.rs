//! Runs a flow: given a conversation and what the customer wrote, the bot's replies and the
//! conversation's next state. Writes nothing and sends nothing: the caller stores the turn
//! (`services::chatbots::run`) or shows it (the simulator). The only effect, an *HTTP call*,
//! goes through the [`Caller`] it is given; the simulator's calls nothing.
//!
//! A run goes from step to step until one waits: an *ask* (for the answer), a *delay* (until
//! its due time; the automations worker resumes it), a *hand-over*, or the end. Flows are
//! checked when saved (no loop without an ask), and a run still stops after [`MAX_RUN_STEPS`].

use domain::chatbot::{check_answer, condition_holds, Step, StepKind};
use domain::{Template, Timestamp};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;

/// The most steps one run goes through.
pub const MAX_RUN_STEPS: usize = 200;
/// The variable that holds the last answer.
pub const ANSWER: &str = "answer";
/// Values kept from a JSON answer are cut to this many characters.
const MAX_VALUE_CHARS: usize = 1000;

/// Where a conversation is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ChatbotConversation)]
pub struct Conversation {
    /// The ask waiting for an answer, or the step due after a delay.
    pub step: Option<String>,
    pub variables: BTreeMap<String, String>,
    pub retries: u32,
}

/// One message the bot sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[schema(as = ChatbotReply)]
pub enum Reply {
    /// A text, its variables filled in.
    Text { text: String },
    /// A saved template (its text and media), filled in when sent.
    Template { template_id: i64 },
}

/// How a run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[schema(as = ChatbotEnding)]
pub enum Ending {
    /// At an ask, for the answer.
    Waiting,
    /// At a delay; the conversation's step goes on after this many seconds.
    Delayed {
        seconds: u32,
    },
    /// Handed over to a person for this many minutes.
    HandedOver {
        minutes: u32,
    },
    Ended,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Turn {
    pub replies: Vec<Reply>,
    pub conversation: Conversation,
    pub ending: Ending,
}

/// Makes a flow's HTTP calls: the JSON answer, or why there is none.
pub trait Caller {
    fn call(
        &self,
        method: &str,
        url: &str,
        body: Option<&str>,
        timeout_secs: u32,
    ) -> impl Future<Output = Result<serde_json::Value, String>> + Send;
}

/// Calls nothing (the simulator): every call fails with this reason.
pub struct NoCalls;

impl Caller for NoCalls {
    async fn call(&self, _: &str, _: &str, _: Option<&str>, _: u32) -> Result<serde_json::Value, String> {
        Err("not called in the simulator".into())
    }
}

/// What a run knows of its surroundings.
pub struct Env<'a> {
    pub now: Timestamp,
    /// The owner's, for *business hours*.
    pub time_zone: &'a str,
    /// The contact's template values (name, phone, …); the flow's variables come on top.
    pub values: &'a BTreeMap<String, String>,
    /// Picks spintax alternatives (stable per number).
    pub seed: u64,
}

struct Run<'a, C: Caller> {
    steps: HashMap<&'a str, &'a Step>,
    env: &'a Env<'a>,
    caller: &'a C,
    replies: Vec<Reply>,
    conversation: Conversation,
}

/// A new conversation from the first step.
pub async fn start<C: Caller>(steps: &[Step], env: &Env<'_>, caller: &C) -> Turn {
    let mut run = Run::new(steps, env, caller, Conversation::default());
    let first = steps.first().map(|s| s.id.as_str());
    let ending = run.go(first).await;
    run.finish(ending)
}

/// The customer answered the ask the conversation waits on. A conversation whose step is no
/// longer an ask (the flow was changed) starts again.
pub async fn answer<C: Caller>(
    steps: &[Step],
    conversation: Conversation,
    text: &str,
    env: &Env<'_>,
    caller: &C,
) -> Turn {
    let mut run = Run::new(steps, env, caller, conversation);
    let waiting = run.conversation.step.as_deref().and_then(|id| run.steps.get(id).copied());
    let Some(Step {
        kind: StepKind::Ask { prompt, variable, validation, retry_message, max_retries, next, on_fail },
        ..
    }) = waiting
    else {
        run.conversation = Conversation::default();
        let first = steps.first().map(|s| s.id.as_str());
        let ending = run.go(first).await;
        return run.finish(ending);
    };
    let checked = match validation {
        Some(v) => check_answer(v, text),
        None => Some(text.trim().to_string()),
    };
    let Some(value) = checked else {
        run.conversation.retries += 1;
        if run.conversation.retries > *max_retries {
            run.conversation.retries = 0;
            let ending = run.go(on_fail.as_deref()).await;
            return run.finish(ending);
        }
        let again = retry_message.as_deref().unwrap_or(prompt);
        run.say(again);
        return run.finish(Ending::Waiting);
    };
    run.conversation.retries = 0;
    run.conversation.variables.insert(variable.clone(), value.clone());
    run.conversation.variables.insert(ANSWER.into(), value);
    let ending = run.go(next.as_deref()).await;
    run.finish(ending)
}

/// A delay came due: goes on from the conversation's step.
pub async fn resume<C: Caller>(steps: &[Step], conversation: Conversation, env: &Env<'_>, caller: &C) -> Turn {
    let mut run = Run::new(steps, env, caller, conversation);
    let step = run.conversation.step.clone();
    let ending = run.go(step.as_deref()).await;
    run.finish(ending)
}

impl<'a, C: Caller> Run<'a, C> {
    fn new(steps: &'a [Step], env: &'a Env<'a>, caller: &'a C, conversation: Conversation) -> Self {
        let steps = steps.iter().map(|s| (s.id.as_str(), s)).collect();
        Run { steps, env, caller, replies: Vec::new(), conversation }
    }

    fn finish(mut self, ending: Ending) -> Turn {
        if matches!(ending, Ending::Ended | Ending::HandedOver { .. }) {
            self.conversation.step = None;
        }
        Turn { replies: self.replies, conversation: self.conversation, ending }
    }

    /// The text with the contact's values and the flow's variables filled in.
    fn render(&self, text: &str) -> String {
        self.render_as(text, |v| v.to_string())
    }

    /// [`Run::render`] with each value passed through `escape` first: what a customer typed
    /// goes into an HTTP call's URL percent-encoded and into its JSON body as string content,
    /// so it cannot add a path, a query or a JSON field of its own.
    fn render_as(&self, text: &str, escape: impl Fn(&str) -> String) -> String {
        let Ok(template) = Template::parse(text, &|_| true) else { return text.to_string() };
        let escaped: Vec<(&str, String)> = self
            .env
            .values
            .iter()
            .chain(self.conversation.variables.iter())
            .map(|(k, v)| (k.as_str(), escape(v)))
            .collect();
        let values: HashMap<&str, &str> = escaped.iter().map(|(k, v)| (*k, v.as_str())).collect();
        template.render(&values, self.env.seed)
    }

    fn say(&mut self, text: &str) {
        let text = self.render(text);
        if !text.trim().is_empty() {
            self.replies.push(Reply::Text { text });
        }
    }

    async fn go(&mut self, from: Option<&str>) -> Ending {
        let mut at = from.map(str::to_string);
        for _ in 0..MAX_RUN_STEPS {
            let Some(id) = at.take() else { return Ending::Ended };
            let Some(step) = self.steps.get(id.as_str()).copied() else { return Ending::Ended };
            at = match &step.kind {
                StepKind::Send { text, template_id, next } => {
                    match (text, template_id) {
                        (Some(t), _) => self.say(t),
                        (None, Some(id)) => self.replies.push(Reply::Template { template_id: *id }),
                        (None, None) => {}
                    }
                    next.clone()
                }
                StepKind::Ask { prompt, .. } => {
                    self.say(prompt);
                    self.conversation.step = Some(step.id.clone());
                    self.conversation.retries = 0;
                    return Ending::Waiting;
                }
                StepKind::Branch { variable, cases, otherwise } => {
                    let name = variable.as_deref().unwrap_or(ANSWER);
                    let value = self.conversation.variables.get(name).cloned().unwrap_or_default();
                    let hit = cases.iter().find(|c| condition_holds(&c.when, &value));
                    Some(hit.map_or_else(|| otherwise.clone(), |c| c.next.clone()))
                }
                StepKind::SetVariable { variable, value, next } => {
                    let value = self.render(value);
                    self.conversation.variables.insert(variable.clone(), value);
                    next.clone()
                }
                StepKind::Http { method, url, body, timeout_secs, save, next, on_error } => {
                    let url = self.render_as(url, |v| {
                        percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
                    });
                    let body = body.as_deref().map(|b| self.render_as(b, json_content));
                    match self.caller.call(method, &url, body.as_deref(), *timeout_secs).await {
                        Ok(json) => {
                            for s in save {
                                let value = match json.pointer(&s.pointer) {
                                    Some(serde_json::Value::String(v)) => v.clone(),
                                    Some(serde_json::Value::Null) | None => String::new(),
                                    Some(other) => other.to_string(),
                                };
                                let value: String = value.chars().take(MAX_VALUE_CHARS).collect();
                                self.conversation.variables.insert(s.variable.clone(), value);
                            }
                            next.clone()
                        }
                        Err(why) => {
                            self.conversation.variables.insert("http_error".into(), why);
                            on_error.clone().or_else(|| next.clone())
                        }
                    }
                }
                StepKind::Delay { seconds, next } => {
                    let Some(next) = next else { return Ending::Ended };
                    self.conversation.step = Some(next.clone());
                    return Ending::Delayed { seconds: *seconds };
                }
                StepKind::BusinessHours { hours, open, closed } => {
                    let is_open = hours.is_open(self.env.now, self.env.time_zone);
                    Some(if is_open { open.clone() } else { closed.clone() })
                }
                StepKind::HandOver { message, minutes } => {
                    if let Some(m) = message {
                        self.say(m);
                    }
                    return Ending::HandedOver { minutes: *minutes };
                }
                StepKind::End { message } => {
                    if let Some(m) = message {
                        self.say(m);
                    }
                    return Ending::Ended;
                }
            };
        }
        tracing::warn!("a chatbot run went through {MAX_RUN_STEPS} steps and was stopped");
        Ending::Ended
    }
}

/// A value as the inside of a JSON string (quotes, backslashes and control characters escaped).
fn json_content(v: &str) -> String {
    let quoted = serde_json::Value::String(v.to_string()).to_string();
    quoted[1..quoted.len() - 1].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow() -> Vec<Step> {
        serde_json::from_value(serde_json::json!([
            {"id": "name", "type": "ask", "prompt": "Nama?", "variable": "nama", "next": "menu"},
            {"id": "menu", "type": "ask", "prompt": "{{nama}}, pilih 1 atau 2", "variable": "pilih",
             "validation": {"type": "options", "options": ["1", "2"]}, "retry_message": "Ketik 1 atau 2",
             "max_retries": 1, "next": "b", "on_fail": "bye"},
            {"id": "b", "type": "branch", "cases": [{"op": "equals", "value": "1", "next": "one"}], "otherwise": "two"},
            {"id": "one", "type": "end", "message": "Satu untuk {{nama}}"},
            {"id": "two", "type": "delay", "seconds": 60, "next": "bye"},
            {"id": "bye", "type": "end", "message": "Dadah"}
        ]))
        .unwrap()
    }

    fn texts(t: &Turn) -> Vec<String> {
        t.replies
            .iter()
            .map(|r| match r {
                Reply::Text { text } => text.clone(),
                Reply::Template { .. } => "T".into(),
            })
            .collect()
    }

    #[tokio::test]
    async fn asks_validates_branches_and_ends() {
        let steps = flow();
        let values = BTreeMap::new();
        let env = Env { now: Timestamp(0), time_zone: "Asia/Jakarta", values: &values, seed: 1 };
        let t = start(&steps, &env, &NoCalls).await;
        assert_eq!((texts(&t), t.ending), (vec!["Nama?".to_string()], Ending::Waiting));
        let t = answer(&steps, t.conversation, "Ana", &env, &NoCalls).await;
        assert_eq!(texts(&t), ["Ana, pilih 1 atau 2"]);
        let t = answer(&steps, t.conversation, "3", &env, &NoCalls).await;
        assert_eq!((texts(&t), t.conversation.retries), (vec!["Ketik 1 atau 2".to_string()], 1));
        let done = answer(&steps, t.conversation.clone(), "1", &env, &NoCalls).await;
        assert_eq!((texts(&done), done.ending), (vec!["Satu untuk Ana".to_string()], Ending::Ended));
        let failed = answer(&steps, t.conversation.clone(), "x", &env, &NoCalls).await;
        assert_eq!((texts(&failed), failed.ending), (vec!["Dadah".to_string()], Ending::Ended), "retries ran out");
        let later = answer(&steps, t.conversation, "2", &env, &NoCalls).await;
        assert_eq!((later.ending, later.conversation.step.as_deref()), (Ending::Delayed { seconds: 60 }, Some("bye")));
        let resumed = resume(&steps, later.conversation, &env, &NoCalls).await;
        assert_eq!(texts(&resumed), ["Dadah"]);
    }

    #[tokio::test]
    async fn hours_variables_and_ranges_pick_the_way() {
        let steps: Vec<Step> = serde_json::from_value(serde_json::json!([
            {"id": "jam", "type": "business_hours", "hours": {"days": [1, 2, 3, 4, 5], "start_min": 480, "end_min": 1020},
             "open": "set", "closed": "tutup"},
            {"id": "set", "type": "set_variable", "variable": "sapa", "value": "Halo {{name}}", "next": "umur"},
            {"id": "umur", "type": "ask", "prompt": "{{sapa}}, umur?", "variable": "umur",
             "validation": {"type": "number"}, "next": "b"},
            {"id": "b", "type": "branch", "variable": "umur",
             "cases": [{"op": "range", "max": 17, "next": "muda"}], "otherwise": "dewasa"},
            {"id": "muda", "type": "end", "message": "Muda"},
            {"id": "dewasa", "type": "hand_over", "message": "Admin menyusul", "minutes": 30},
            {"id": "tutup", "type": "end", "message": "Kami tutup"}
        ]))
        .unwrap();
        assert_eq!(domain::chatbot::validate(&steps), Ok(()));
        let values = BTreeMap::from([("name".to_string(), "Ana".to_string())]);
        // Monday 2026-11-30 10:00 and 20:00 in Jakarta.
        let monday = Timestamp(1_795_910_400_000 + 27 * 3600 * 1000);
        let open = Env { now: monday, time_zone: "Asia/Jakarta", values: &values, seed: 1 };
        let t = start(&steps, &open, &NoCalls).await;
        assert_eq!(texts(&t), ["Halo Ana, umur?"]);
        let young = answer(&steps, t.conversation.clone(), "12", &open, &NoCalls).await;
        assert_eq!(texts(&young), ["Muda"]);
        let old = answer(&steps, t.conversation, "40", &open, &NoCalls).await;
        assert_eq!((texts(&old), old.ending), (vec!["Admin menyusul".to_string()], Ending::HandedOver { minutes: 30 }));
        let closed = Env { now: monday.plus_secs(10 * 3600), ..open };
        assert_eq!(texts(&start(&steps, &closed, &NoCalls).await), ["Kami tutup"]);
    }

    /// Records the calls it is asked for.
    struct Recorder(std::sync::Mutex<Vec<(String, Option<String>)>>);

    impl Caller for Recorder {
        async fn call(&self, _: &str, url: &str, body: Option<&str>, _: u32) -> Result<serde_json::Value, String> {
            self.0.lock().unwrap().push((url.to_string(), body.map(str::to_string)));
            Ok(serde_json::json!({"ok": true}))
        }
    }

    #[tokio::test]
    async fn what_a_customer_types_stays_a_value_in_an_http_call() {
        let steps: Vec<Step> = serde_json::from_value(serde_json::json!([
            {"id": "q", "type": "ask", "prompt": "Resi", "variable": "resi", "next": "h"},
            {"id": "h", "type": "http", "method": "POST", "url": "https://api.example.com/track/{{resi}}",
             "body": "{\"resi\": \"{{resi}}\"}", "save": [{"pointer": "/ok", "variable": "ok"}]}
        ]))
        .unwrap();
        let values = BTreeMap::new();
        let env = Env { now: Timestamp(0), time_zone: "Asia/Jakarta", values: &values, seed: 1 };
        let calls = Recorder(Default::default());
        let t = start(&steps, &env, &calls).await;
        let t = answer(&steps, t.conversation, "x/../admin?a=\"1\", \"admin\": true", &env, &calls).await;
        assert_eq!(t.conversation.variables["ok"], "true");
        let (url, body) = calls.0.lock().unwrap()[0].clone();
        assert_eq!(url, "https://api.example.com/track/x%2F%2E%2E%2Fadmin%3Fa%3D%221%22%2C%20%22admin%22%3A%20true");
        let json: serde_json::Value = serde_json::from_str(&body.unwrap()).unwrap();
        assert_eq!(json, serde_json::json!({"resi": "x/../admin?a=\"1\", \"admin\": true"}));
    }
}
