use super::*;
use std::collections::BTreeMap;
use std::fs;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/locales");

/// file name → message id → variables, for one language.
fn catalogue(lang: Language) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let dir = format!("{ROOT}/{}", lang.as_str());
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(&dir).expect("a folder per language") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_string_lossy().to_string();
        assert!(name.ends_with(".ftl"), "only .ftl files in {dir}: {name}");
        let source = fs::read_to_string(&path).expect("read");
        let parsed = fluent_syntax::parser::parse(source.as_str());
        assert!(parsed.is_ok(), "{dir}/{name} does not parse: {:?}", parsed.err().map(|(_, e)| e));
        let mut messages: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (id, mut vars) in messages_of(&source) {
            vars.sort();
            assert!(messages.insert(id.clone(), vars).is_none(), "{dir}/{name}: {id} twice");
        }
        files.insert(name, messages);
    }
    files
}

#[test]
fn every_message_exists_in_every_language_with_the_same_variables() {
    let languages: Vec<String> =
        fs::read_dir(ROOT).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    let mut expected: Vec<String> = Language::ALL.iter().map(|l| l.as_str().to_string()).collect();
    let mut found = languages.clone();
    found.sort();
    expected.sort();
    assert_eq!(found, expected, "one folder per supported language");
    let en = catalogue(Language::En);
    let id = catalogue(Language::Id);
    assert_eq!(en.keys().collect::<Vec<_>>(), id.keys().collect::<Vec<_>>(), "the same files in en/ and id/");
    let mut all = std::collections::BTreeSet::new();
    for (file, en_messages) in &en {
        let id_messages = &id[file];
        for (key, vars) in en_messages {
            assert!(all.insert(key.clone()), "{key} is defined in two files");
            match id_messages.get(key) {
                None => panic!("{key} ({file}) has no Indonesian text"),
                Some(v) => assert_eq!(v, vars, "{key} ({file}) uses other variables in Indonesian"),
            }
        }
        for key in id_messages.keys() {
            assert!(en_messages.contains_key(key), "{key} ({file}) has no English text");
        }
    }
    assert!(all.len() > 50, "the catalogue holds the pages' texts: {}", all.len());
}

#[test]
fn the_embedded_sources_are_the_files_on_disk_and_script_messages_keep_their_variables() {
    for lang in Language::ALL {
        let dir = format!("{ROOT}/{}", lang.as_str());
        let mut on_disk: Vec<String> =
            fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
        let mut listed: Vec<String> =
            SOURCES.iter().filter(|(l, _, _)| l == lang).map(|(_, f, _)| f.to_string()).collect();
        on_disk.sort();
        listed.sort();
        assert_eq!(on_disk, listed, "i18n::SOURCES lists every file of {dir}");
        for (_, file, source) in SOURCES.iter().filter(|(l, _, _)| l == lang) {
            assert_eq!(*source, fs::read_to_string(format!("{dir}/{file}")).unwrap());
        }
    }
    let json: serde_json::Value = serde_json::from_str(Tr(Language::Id).script_messages()).unwrap();
    let updated = json["js-updated-seconds-ago"].as_str().expect("a script message with a variable");
    assert!(updated.contains("{seconds}") && updated.contains("detik"), "{updated}");
    assert!(json.as_object().unwrap().keys().all(|k| k.starts_with("js-")));
    let hostile = script_safe(serde_json::json!({"js-x": "a </script><!-- b"}).to_string());
    assert!(!hostile.contains('<'), "{hostile}");
    let back: serde_json::Value = serde_json::from_str(&hostile).unwrap();
    assert_eq!(back["js-x"], "a </script><!-- b", "the script still reads the text as written");
}

#[test]
fn a_language_is_chosen_by_profile_then_browser_then_platform() {
    assert_eq!(negotiate(LanguageChoice::En, Some("id"), Language::Id), Language::En);
    assert_eq!(negotiate(LanguageChoice::Auto, Some("id-ID,en;q=0.5"), Language::En), Language::Id);
    assert_eq!(negotiate(LanguageChoice::Auto, Some("fr"), Language::Id), Language::Id);
    assert_eq!(negotiate(LanguageChoice::Auto, None, Language::En), Language::En);
    assert_eq!(Tr(Language::Id).t("nav-dashboard"), "Dasbor");
    assert_eq!(Tr(Language::En).t("nav-dashboard"), "Dashboard");
    assert_eq!(Tr(Language::En).t("no-such-key"), "no-such-key");
}
