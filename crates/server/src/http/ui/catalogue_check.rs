//! Every text a page or page script shows comes from the catalogue (`crates/app/locales`):
//! the templates hold no words of their own, the scripts show none without `t(...)`, and every
//! key either uses exists.

use app::i18n::Tr;
use domain::Language;
use std::fs;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Words that are the same in every language: the brand, language names, sample data.
const NOT_TRANSLATED: &[&str] = &[
    "kewhats",
    "ke",
    "whats",
    "Bahasa Indonesia",
    "English",
    "UTC",
    "URL",
    "E-mail",
    "Telegram",
    "Discord",
    "Slack",
    "Webhook",
    "STARTTLS",
    "TLS",
];

/// `text` without askama blocks, comments and expressions, HTML tags and entities, scripts and
/// `<code>`.
fn bare_text(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find(['{', '<', '&']) {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = if tail.starts_with("{{") {
            tail.find("}}").map(|e| e + 2)
        } else if tail.starts_with("{%") {
            tail.find("%}").map(|e| e + 2)
        } else if tail.starts_with("{#") {
            tail.find("#}").map(|e| e + 2)
        } else if tail.starts_with("<script") && !tail.starts_with("<script type=\"module\"") {
            tail.find("</script>").map(|e| e + 9)
        } else if tail.starts_with("<code") {
            // Header names, event names, JSON: the same in every language.
            tail.find("</code>").map(|e| e + 7)
        } else if tail.starts_with('<') {
            tail.find('>').map(|e| e + 1)
        } else if tail.starts_with('&') {
            tail.find(';').map(|e| e + 1)
        } else {
            Some(1)
        };
        let end = end.unwrap_or(tail.len());
        out.push(' ');
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The quoted literal (`"…"` or `'…'`) `text` starts with.
fn literal(text: &str) -> Option<&str> {
    let quote = text.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    text[1..].split(quote).next()
}

/// Quoted literals in `text` that follow `prefix`.
fn quoted_after<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.match_indices(prefix).filter_map(|(i, _)| literal(&text[i + prefix.len()..])).collect()
}

/// The string literal first argument of every call of the function `name` (not a method).
fn calls<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let call = format!("{name}(");
    text.match_indices(&call)
        .filter(|(i, _)| !text[..*i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.' || c == '$'))
        .filter_map(|(i, _)| literal(&text[i + call.len()..]))
        .collect()
}

fn files(dir: &str, ext: &str) -> Vec<(String, String)> {
    let mut out: Vec<_> = fs::read_dir(format!("{ROOT}/{dir}"))
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .map(|p| {
            (p.file_name().unwrap_or_default().to_string_lossy().to_string(), fs::read_to_string(&p).expect("read"))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn templates_show_no_text_of_their_own() {
    let mut wrong = Vec::new();
    for (name, html) in files("templates", "html") {
        if name == "api_docs.html" {
            continue; // the vendored viewer's page: its texts are Swagger UI's
        }
        let mut text = bare_text(&html);
        for word in NOT_TRANSLATED {
            text = text.replace(word, " ");
        }
        let left: Vec<&str> = text.split_whitespace().filter(|w| w.chars().any(char::is_alphabetic)).collect();
        if !left.is_empty() {
            wrong.push(format!("{name}: {left:?}"));
        }
        for attr in ["placeholder=", "aria-label=", "alt=", "title="] {
            for value in quoted_after(&html, attr) {
                let example_url = value.contains("://");
                if value.chars().any(char::is_alphabetic) && !value.contains("{{") && !example_url {
                    wrong.push(format!("{name}: {attr}\"{value}\""));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "texts outside the catalogue:\n{}", wrong.join("\n"));
}

#[test]
fn scripts_show_no_sentence_of_their_own() {
    let mut wrong = Vec::new();
    for (name, js) in files("assets/js", "js") {
        if name == "api_docs.js" {
            continue;
        }
        for line in js.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for quote in ['"', '`'] {
                for (i, literal) in line.split(quote).enumerate() {
                    // Odd pieces are inside quotes; a sentence starts with a capital and has a space.
                    let sentence = literal.chars().next().is_some_and(char::is_uppercase)
                        && literal.contains(' ')
                        && literal.chars().filter(|c| c.is_lowercase()).count() > 3;
                    if i % 2 == 1 && sentence {
                        wrong.push(format!("{name}: {quote}{literal}{quote}"));
                    }
                }
            }
        }
    }
    assert!(wrong.is_empty(), "script texts outside the catalogue (use t(\"js-…\")):\n{}", wrong.join("\n"));
}

#[test]
fn every_key_a_page_or_script_names_is_in_the_catalogue() {
    let mut missing = Vec::new();
    for (name, html) in files("templates", "html") {
        for key in quoted_after(&html, "tr.t(").into_iter().chain(quoted_after(&html, "tr.t1(")) {
            if !Tr(Language::En).has(key) {
                missing.push(format!("{name}: {key}"));
            }
        }
    }
    for (name, js) in files("assets/js", "js") {
        for key in calls(&js, "t") {
            if !key.starts_with("js-") {
                missing.push(format!("{name}: {key} (script keys start with js-)"));
            } else if !Tr(Language::En).has(key) {
                missing.push(format!("{name}: {key}"));
            }
        }
    }
    assert!(missing.is_empty(), "keys no catalogue has:\n{}", missing.join("\n"));
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
    for entry in fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push((path.display().to_string(), fs::read_to_string(&path).expect("read")));
        }
    }
}

#[test]
fn every_message_key_the_code_names_is_in_the_catalogue() {
    let mut sources = Vec::new();
    for dir in ["../app/src", "src"] {
        rust_files(&std::path::Path::new(ROOT).join(dir), &mut sources);
    }
    let mut missing = Vec::new();
    let mut seen = 0;
    for (name, code) in &sources {
        for (i, _) in code.match_indices("\"error-").chain(code.match_indices("\"field-")) {
            let key: String = code[i + 1..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
            if key.ends_with('-') || name.ends_with("catalogue_check.rs") {
                continue; // a prefix in prose or in this scan
            }
            seen += 1;
            if !Tr(Language::En).has(&key) {
                missing.push(format!("{name}: {key}"));
            }
        }
    }
    // Arguments that must be keys, whatever they start with.
    for (name, code) in &sources {
        for call in ["not_found(", "not_found_as(", "conflict(", "forbidden(", "bad_request(", "unauthorized("] {
            for key in quoted_after(code, call) {
                if !name.ends_with("catalogue_check.rs") && !Tr(Language::En).has(key) {
                    missing.push(format!("{name}: {call}\"{key}\""));
                }
            }
        }
    }
    assert!(seen > 80, "the scan found the error messages: {seen}");
    assert!(missing.is_empty(), "message keys no catalogue has:\n{}", missing.join("\n"));
}

#[test]
fn the_scan_sees_text_where_there_is_some() {
    assert_eq!(bare_text("<p>{{ tr.t(\"a\") }}</p>").split_whitespace().count(), 0);
    assert!(bare_text("<p class=\"x\">Hello {{ name }}</p>").contains("Hello"));
    assert_eq!(quoted_after("x placeholder=\"Cari\" y", "placeholder="), vec!["Cari"]);
    assert_eq!(calls("a.split(\"x\"); t(\"js-a\", {}); at(\"b\")", "t"), vec!["js-a"]);
    assert_eq!(
        calls("t(x ? \"js-a\" : \"js-b\"); f.format(\"id\")", "t"),
        Vec::<&str>::new(),
        "only a literal first argument"
    );
}
