//! Every text a person reads, in English and Bahasa Indonesia: Fluent catalogues under
//! `crates/app/locales/<lang>/*.ftl`, compiled into the binary.
//!
//! Pages look texts up through a [`Tr`] for the viewer's language; page scripts get the
//! messages whose id starts with `js-` as JSON in the page (see [`Tr::script_messages`]). The tests in
//! `i18n/tests.rs` fail when a key exists in one language only; the server's
//! `http/ui/catalogue_check.rs` when a page, script or error names a key no catalogue has.

use domain::{Language, LanguageChoice};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Unicode isolation marks around each value would end up in the HTML and the JSON.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

macro_rules! sources {
    ($($file:literal),+ $(,)?) => {
        &[$(
            (Language::En, $file, include_str!(concat!("../locales/en/", $file))),
            (Language::Id, $file, include_str!(concat!("../locales/id/", $file))),
        )+]
    };
}

/// Every catalogue file, for what the loader cannot list: the ids and variables of the script
/// messages (those whose id starts with `js-`). The tests check that this is every file there is.
pub(crate) const SOURCES: &[(Language, &str, &str)] = sources![
    "shell.ftl",
    "auth.ftl",
    "dashboard.ftl",
    "outlets.ftl",
    "outlet_status.ftl",
    "messages.ftl",
    "webhooks.ftl",
    "api_keys.ftl",
    "users.ftl",
    "profile.ftl",
    "contacts.ftl",
    "templates.ftl",
    "errors.ftl",
    "contact_import.ftl",
    "blasts.ftl",
    "blast_page.ftl",
    "auto_replies.ftl",
    "chatbots.ftl",
    "auto_reply_page.ftl",
    "chatbot_page.ftl",
    "integrations.ftl",
    "integration_page.ftl",
    "billing.ftl",
];

fn langid(lang: Language) -> &'static LanguageIdentifier {
    static EN: LazyLock<LanguageIdentifier> = LazyLock::new(|| fluent_templates::langid!("en"));
    static ID: LazyLock<LanguageIdentifier> = LazyLock::new(|| fluent_templates::langid!("id"));
    match lang {
        Language::En => &EN,
        Language::Id => &ID,
    }
}

/// The language to speak: the user's choice, else the browser's, else the platform's.
pub fn negotiate(choice: LanguageChoice, accept_language: Option<&str>, default: Language) -> Language {
    choice.language().or_else(|| accept_language.and_then(Language::from_accept_language)).unwrap_or(default)
}

/// Looks texts up in one language. Cheap to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr(pub Language);

impl Tr {
    pub fn lang(&self) -> &'static str {
        self.0.as_str()
    }

    /// Does the catalogue have `key`? (A lookup cannot tell: it fails on missing variables too.)
    pub fn has(&self, key: &str) -> bool {
        static IDS: LazyLock<HashSet<(Language, String)>> = LazyLock::new(|| {
            SOURCES
                .iter()
                .flat_map(|(lang, _, source)| messages_of(source).into_iter().map(|(id, _)| (*lang, id)))
                .collect()
        });
        IDS.contains(&(self.0, key.to_string()))
    }

    /// The message `key`; the key itself when no catalogue has it (the tests prevent that).
    pub fn t(&self, key: &str) -> String {
        self.lookup(key, None)
    }

    /// The message `key` with one variable, e.g. `tr.t1("page-of", "n", 3)`.
    pub fn t1(&self, key: &str, name: &'static str, value: impl Into<FluentValue<'static>>) -> String {
        let args = HashMap::from([(Cow::Borrowed(name), value.into())]);
        self.lookup(key, Some(&args))
    }

    pub(crate) fn lookup(&self, key: &str, args: Option<&HashMap<Cow<'static, str>, FluentValue>>) -> String {
        LOCALES.try_lookup_complete(langid(self.0), key, args).unwrap_or_else(|| {
            tracing::warn!(key, lang = self.lang(), "no such message in the catalogue");
            key.to_string()
        })
    }

    /// The script messages (ids starting with `js-`) as a JSON object, each variable left as `{name}` for the
    /// page script to fill in; safe to place inside a `<script type="application/json">`.
    pub fn script_messages(&self) -> &'static str {
        static JSON: LazyLock<HashMap<Language, String>> =
            LazyLock::new(|| Language::ALL.iter().map(|l| (*l, render_script_messages(Tr(*l)))).collect());
        JSON.get(&self.0).map_or("{}", String::as_str)
    }
}

/// The ids of a Fluent source and the variables each one uses.
pub(crate) fn messages_of(source: &str) -> Vec<(String, Vec<String>)> {
    use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};
    fn vars(pattern: &Pattern<&str>, out: &mut Vec<String>) {
        for element in &pattern.elements {
            if let PatternElement::Placeable { expression } = element {
                match expression {
                    Expression::Inline(InlineExpression::VariableReference { id }) => out.push(id.name.to_string()),
                    Expression::Select { selector: InlineExpression::VariableReference { id }, variants } => {
                        out.push(id.name.to_string());
                        variants.iter().for_each(|v| vars(&v.value, out));
                    }
                    _ => {}
                }
            }
        }
    }
    let resource = match fluent_syntax::parser::parse(source) {
        Ok(r) => r,
        Err((r, _)) => r,
    };
    resource
        .body
        .iter()
        .filter_map(|entry| match entry {
            Entry::Message(m) => {
                let mut names = Vec::new();
                if let Some(p) = &m.value {
                    vars(p, &mut names);
                }
                names.dedup();
                Some((m.id.name.to_string(), names))
            }
            _ => None,
        })
        .collect()
}

fn render_script_messages(tr: Tr) -> String {
    let script_messages = SOURCES
        .iter()
        .filter(|(lang, _, _)| *lang == tr.0)
        .flat_map(|(_, _, source)| messages_of(source))
        .filter(|(id, _)| id.starts_with("js-"));
    let map: serde_json::Map<String, serde_json::Value> = script_messages
        .map(|(id, names)| {
            let args: HashMap<Cow<'static, str>, FluentValue> = names
                .into_iter()
                .map(|n| {
                    let placeholder = FluentValue::from(format!("{{{n}}}"));
                    (Cow::Owned(n), placeholder)
                })
                .collect();
            let text = tr.lookup(&id, Some(&args));
            (id, serde_json::Value::String(text))
        })
        .collect();
    script_safe(serde_json::Value::Object(map).to_string())
}

/// JSON to place inside a `<script>` element: no `<` at all, since `</script>` or `<!--` in a
/// string would end or bend the element; JSON reads `\u003c` back as `<`.
fn script_safe(json: String) -> String {
    json.replace('<', "\\u003c")
}

pub(crate) mod errors;
#[cfg(test)]
mod tests;
mod text;

pub use text::Text;
