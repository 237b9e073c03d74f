//! [`Text`]: a message for a person, kept as a catalogue key and its arguments until the
//! language of whoever reads it is known (the HTTP layer renders it per request; logs and the
//! CLI read English through `Display`).

use super::Tr;
use domain::Language;
use fluent_templates::fluent_bundle::FluentValue;
use std::borrow::Cow;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    key: &'static str,
    args: Vec<(&'static str, Arg)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Arg {
    /// Shown as it is: a value, a name, a number.
    Plain(String),
    /// Itself a message, in the same language (e.g. the name of the field at fault).
    Text(Text),
}

impl Text {
    pub fn new(key: &'static str) -> Text {
        Text { key, args: Vec::new() }
    }

    /// Adds a variable shown as it is.
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Text {
        self.args.push((name, Arg::Plain(value.to_string())));
        self
    }

    /// Adds a variable that is itself a message.
    pub fn arg_text(mut self, name: &'static str, value: Text) -> Text {
        self.args.push((name, Arg::Text(value)));
        self
    }

    /// A text from outside (another system's error): shown as it is, in every language.
    pub fn foreign(detail: impl ToString) -> Text {
        Text::new("error-foreign").arg("detail", detail)
    }

    /// The message in `tr`'s language.
    pub fn render(&self, tr: Tr) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> = self
            .args
            .iter()
            .map(|(name, arg)| {
                let value = match arg {
                    Arg::Plain(s) => s.clone(),
                    Arg::Text(t) => t.render(tr),
                };
                (Cow::Borrowed(*name), FluentValue::from(value))
            })
            .collect();
        tr.lookup(self.key, Some(&args))
    }
}

/// English, for logs and the command line.
impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(Tr(Language::En)))
    }
}
