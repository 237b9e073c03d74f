use super::*;

fn file(text: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("kewhats_cfg_{}_{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("kewhats.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn flags_beat_environment_beat_file_beat_defaults() {
    let path = file("bind = \"0.0.0.0:9000\"\nregistration = \"open\"\nlogin_window_secs = 60\ntrust_proxy = true\n");
    let mut o = Overrides { config_file: Some(path.clone()), ..Default::default() };
    let c = Config::load(Mode::Serve, &o).unwrap();
    assert_eq!(c.bind.to_string(), "0.0.0.0:9000");
    assert!(c.registration_open() && c.trust_proxy);
    assert_eq!(c.login_window_secs, 60);
    assert_eq!(c.session_ttl_secs(), 7 * 24 * 3600, "default");
    // Only this test sets this variable.
    std::env::set_var("KEWHATS_LOGIN_WINDOW_SECS", "120");
    assert_eq!(Config::load(Mode::Serve, &o).unwrap().login_window_secs, 120);
    std::env::remove_var("KEWHATS_LOGIN_WINDOW_SECS");
    o.bind = Some("127.0.0.1:7000".into());
    assert_eq!(Config::load(Mode::Serve, &o).unwrap().bind.to_string(), "127.0.0.1:7000");
}

#[test]
fn demo_defaults_differ_and_bad_settings_say_where() {
    let path = file("max_body_kib = 8\n");
    let o = Overrides { config_file: Some(path), ..Default::default() };
    let demo = Config::load(Mode::Demo, &o).unwrap();
    assert!(demo.demo && demo.registration_open() && demo.sandbox);
    assert!(demo.database_url().starts_with("sqlite://kewhats-demo-data/"));
    assert_eq!(demo.max_body_bytes(), 8 * 1024);
    let serve = Config::load(Mode::Serve, &Overrides::default()).unwrap();
    assert!(!serve.sandbox && serve.default_engine == EngineKind::Web, "no simulated network outside the demo");
    let unknown = Overrides { config_file: Some(file("colour = \"green\"\n")), ..Default::default() };
    let err = Config::load(Mode::Serve, &unknown).unwrap_err().to_string();
    assert!(err.contains("unknown setting 'colour'"), "{err}");
    let bad = Overrides { config_file: Some(file("session_ttl_hours = \"soon\"\n")), ..Default::default() };
    let err = Config::load(Mode::Serve, &bad).unwrap_err().to_string();
    assert!(err.contains("session_ttl_hours") && err.contains("soon"), "{err}");
    let sim = Overrides { config_file: Some(file("default_engine = \"sim\"\n")), ..Default::default() };
    let err = Config::load(Mode::Serve, &sim).unwrap_err().to_string();
    assert!(err.contains("sandbox"), "{err}");
    let short = Overrides { config_file: Some(file("metrics_token = \"secret\"\n")), ..Default::default() };
    let err = Config::load(Mode::Serve, &short).unwrap_err().to_string();
    assert!(err.contains("metrics_token must be at least 16"), "{err}");
    let missing = Overrides { config_file: Some(PathBuf::from("/nonexistent/kewhats.toml")), ..Default::default() };
    assert!(Config::load(Mode::Serve, &missing).unwrap_err().to_string().contains("does not exist"));
}

#[test]
fn secrets_never_show_in_debug_output_or_errors() {
    let secret = "ab".repeat(32);
    let path = file(&format!("secret_key = \"{secret}\"\n"));
    let c = Config::load(Mode::Serve, &Overrides { config_file: Some(path), ..Default::default() }).unwrap();
    assert_eq!(c.secret_key.as_ref().map(Secret::expose), Some(secret.as_str()));
    let shown = format!("{c:?}");
    assert!(!shown.contains(&secret) && shown.contains("redacted"), "{shown}");
}

/// The README's table is what `SETTINGS` generates; a key added here and not there (or the
/// reverse, or a changed default or meaning) fails this test, which prints the table to paste.
#[test]
fn the_readme_documents_every_setting() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let documented: Vec<&str> = readme.lines().filter(|l| l.starts_with("| `")).collect();
    let expected = markdown_table();
    let missing: Vec<String> =
        SETTINGS.iter().map(Setting::markdown_row).filter(|row| !documented.contains(&row.as_str())).collect();
    assert!(missing.is_empty(), "README rows missing or different:\n{}\n\nthe table:\n{expected}", missing.join("\n"));
    let keys: Vec<String> = SETTINGS.iter().map(|s| format!("| `{}` |", s.key)).collect();
    let config_section = readme.split("## Configuration").nth(1).unwrap_or("").split("\n## ").next().unwrap_or("");
    for line in config_section.lines().filter(|l| l.starts_with("| `")) {
        assert!(keys.iter().any(|k| line.starts_with(k.as_str())), "the README documents an unknown setting: {line}");
    }
}
