//! Contact import (CSV and .xlsx, checked, then applied in one transaction) and the streamed
//! CSV export, on both backends, with the shared sample file (`testdata/contacts-sample.csv`, a copy of `shared/data/`:
//! 1,000 rows, six wrong on purpose).

use crate::helpers::*;
use app::i18n::Text;
use domain::{Email, PhoneNumber, Role, UserId};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Connection;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use store::both_backends;
use store::testing::TestDb;

const SAMPLE: &str = include_str!("../../../../testdata/contacts-sample.csv");
const BAD_LINES: [u64; 6] = [19, 44, 101, 152, 302, 514];
const OUTLETS: [&str; 3] = ["Kopi Nusantara Bandung", "Kopi Nusantara Jakarta", "Kopi Nusantara Surabaya"];

async fn upload(s: &Session, name: &str, data: Vec<u8>, mode: &str) -> reqwest::Response {
    let form = Form::new().part("file", Part::bytes(data).file_name(name.to_string())).text("mode", mode.to_string());
    s.client
        .post(format!("{}/api/contacts/imports", s.base))
        .header("x-csrf-token", &s.csrf)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Polls the job until it is no longer running.
async fn wait_job(s: &Session, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let job = expect_json(s.get(&format!("/api/contacts/imports/{id}")).await, StatusCode::OK).await;
        if job["status"] != "running" {
            return job;
        }
        assert!(Instant::now() < deadline, "the import never finished: {job}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Uploads, waits, and returns the finished job (which must have succeeded).
async fn import(s: &Session, name: &str, data: Vec<u8>, mode: &str) -> Value {
    let started = expect_json(upload(s, name, data, mode).await, StatusCode::ACCEPTED).await;
    assert_eq!(started["mode"], mode);
    let job = wait_job(s, started["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["phase"], "done");
    job
}

fn counts(job: &Value) -> [u64; 4] {
    let c = &job["report"]["counts"];
    ["new", "updated", "unchanged", "rejected"].map(|k| c[k].as_u64().unwrap())
}

/// (total, with an e-mail) counted from the contacts table itself, and the stored counters.
async fn fresh_counts(db: &TestDb, app: &TestApp, owner: UserId) -> ((i64, i64), (i64, i64)) {
    let sql = "SELECT COUNT(*), COUNT(email) FROM contacts WHERE owner_id = $1";
    let fresh: (i64, i64) = if db.url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::query_as(sql).bind(owner.0).fetch_one(&mut c).await.unwrap()
    } else {
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::query_as(sql).bind(owner.0).fetch_one(&mut c).await.unwrap()
    };
    let kept = app.store.contact_counts(owner).await.unwrap();
    (fresh, (kept.total, kept.with_email))
}

/// One number from the database: `sql` with the owner as `$1`.
async fn scalar(db: &TestDb, sql: &str, owner: UserId) -> i64 {
    if db.url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::query_scalar(sql).bind(owner.0).fetch_one(&mut c).await.unwrap()
    } else {
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::query_scalar(sql).bind(owner.0).fetch_one(&mut c).await.unwrap()
    }
}

/// The sample's good rows (split on commas: the sample quotes nothing).
fn sample_rows() -> Vec<Vec<&'static str>> {
    SAMPLE
        .lines()
        .enumerate()
        .skip(1)
        .filter(|(i, _)| !BAD_LINES.contains(&(*i as u64 + 1)))
        .map(|(_, l)| l.split(',').collect())
        .collect()
}

async fn with_outlets(s: &Session) -> Vec<i64> {
    let mut ids = Vec::new();
    for (i, name) in OUTLETS.iter().enumerate() {
        ids.push(create_outlet(s, name, "Kota", &format!("08120000000{i}")).await);
    }
    ids
}

/// The owner's contact with this number, as stored.
async fn contact(app: &TestApp, owner: UserId, number: &str) -> store::Contact {
    app.store.contact_by_number(owner, &PhoneNumber::parse(number).unwrap()).await.unwrap().expect("the contact")
}

async fn export(s: &Session, query: &str) -> (String, String) {
    let res = s.get(&format!("/api/contacts/export{query}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_string();
    (disposition, res.text().await.unwrap())
}

both_backends! {
    async fn the_sample_is_checked_exactly_then_applied_once_and_reimported_unchanged(db) {
        let app = TestApp::start(db).await;
        let (ana, s) = app.as_new("ana@shop.id", Role::User).await;
        let outlets = with_outlets(&s).await;

        // Check only: the exact report, and nothing written.
        let job = import(&s, "kontak.csv", SAMPLE.as_bytes().to_vec(), "check").await;
        assert_eq!(counts(&job), [994, 0, 0, 6]);
        assert_eq!(job["rows_total"], 1000);
        let report = &job["report"];
        let rejected = report["rejected"].as_array().unwrap();
        assert_eq!(report["rejected_total"], 6);
        let lines: Vec<u64> = rejected.iter().map(|r| r["line"].as_u64().unwrap()).collect();
        assert_eq!(lines, BAD_LINES);
        let phone = |input: &str| Text::from(&PhoneNumber::parse(input).unwrap_err()).to_string();
        let reasons: Vec<(&str, &str, &str)> = rejected
            .iter()
            .map(|r| (r["column"].as_str().unwrap_or(""), r["value"].as_str().unwrap(), r["reason"].as_str().unwrap()))
            .collect();
        let email = Text::from(Email::parse("bukan-email").unwrap_err()).to_string();
        assert_eq!(reasons, [
            ("no_wa", "0812", phone("0812").as_str()),
            ("no_wa", "0812-ABCD-1234", phone("0812-ABCD-1234").as_str()),
            ("email", "bukan-email", email.as_str()),
            ("no_wa", "+62-83490350503", "duplicate of line 5 (the first one is imported)"),
            ("no_wa", "4915123456789", phone("4915123456789").as_str()),
            ("", "", "empty row"),
        ]);
        let columns: Vec<(&str, &str)> = report["columns"].as_array().unwrap().iter()
            .map(|c| (c["header"].as_str().unwrap(), c["field"].as_str().unwrap())).collect();
        assert_eq!(columns, [("nama", "name"), ("no_wa", "number"), ("email", "email"), ("tags", "tags"),
            ("outlet", "outlet"), ("ukuran_kaos", "fields.ukuran_kaos"), ("member_sejak", "fields.member_sejak")]);
        assert_eq!(report["preview"].as_array().unwrap().len(), 5);
        assert_eq!(report["preview"][0]["name"], "Dewi Halim");
        assert_eq!(report["preview"][0]["tags"], serde_json::json!(["promo-ramadan", "baru"]));
        assert_eq!(app.store.contact_counts(ana).await.unwrap().total, 0);
        assert_eq!(scalar(db, "SELECT COUNT(*) FROM contacts WHERE owner_id = $1", ana).await, 0);

        // The reasons in Indonesian for a reader who asks for it.
        let id = job["id"].as_str().unwrap();
        let res = s.client.get(format!("{}/api/contacts/imports/{id}", s.base)).header("accept-language", "id").send().await.unwrap();
        let in_id = expect_json(res, StatusCode::OK).await;
        assert_eq!(in_id["report"]["rejected"][5]["reason"], "baris kosong");

        // Apply: every good row, its tags, custom fields and home outlet.
        let job = import(&s, "kontak.csv", SAMPLE.as_bytes().to_vec(), "apply").await;
        assert_eq!(counts(&job), [994, 0, 0, 6]);
        let (fresh, kept) = fresh_counts(db, &app, ana).await;
        assert_eq!(fresh, kept, "the counters agree with the table");
        let with_email = sample_rows().iter().filter(|r| !r[2].is_empty()).count() as i64;
        assert_eq!(fresh, (994, with_email));
        let lestari = contact(&app, ana, "+6285112336038").await;
        assert_eq!(lestari.name, "Lestari Saputra");
        let fields: Vec<(&str, &str)> = lestari.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(fields, [("member_sejak", "2024-03-15"), ("ukuran_kaos", "L")]);
        let wulan = contact(&app, ana, "087784743907").await;
        assert_eq!((wulan.name.as_str(), wulan.home_outlet_id.map(|o| o.0)), ("Wulan Susanto", Some(outlets[2])));
        let vip = sample_rows().iter().filter(|r| r[3].split(';').any(|t| t == "vip")).count() as i64;
        let tagged = scalar(db, "SELECT COUNT(*) FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
                                 WHERE t.owner_id = $1 AND t.name = 'vip'", ana).await;
        assert_eq!(tagged, vip);
        let tags: BTreeSet<&str> = sample_rows().iter().flat_map(|r| r[3].split(';')).filter(|t| !t.is_empty()).collect();
        assert_eq!(scalar(db, "SELECT COUNT(*) FROM tags WHERE owner_id = $1", ana).await, tags.len() as i64);
        assert_eq!(scalar(db, "SELECT COUNT(*) FROM contact_field_names WHERE owner_id = $1", ana).await, 2);

        // Again: nothing new, nothing changed, no duplicates.
        let job = import(&s, "kontak.csv", SAMPLE.as_bytes().to_vec(), "apply").await;
        assert_eq!(counts(&job), [0, 0, 994, 6]);
        let (fresh, kept) = fresh_counts(db, &app, ana).await;
        assert_eq!((fresh, kept.0), ((994, with_email), 994));
        assert_eq!(scalar(db, "SELECT COUNT(*) FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
                                WHERE t.owner_id = $1 AND t.name = 'vip'", ana).await, vip);

        // The export, filtered by tag, holds exactly the tagged rows and reads back unchanged.
        let vip_id = scalar(db, "SELECT id FROM tags WHERE owner_id = $1 AND name = 'vip'", ana).await;
        let (disposition, csv) = export(&s, &format!("?tag_id={vip_id}")).await;
        assert!(disposition.starts_with("attachment; filename=\"contacts-20") && disposition.ends_with(".csv\""), "{disposition}");
        let csv = csv.strip_prefix('\u{feff}').expect("a byte order mark for Excel");
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("name,phone,email,tags,outlet,notes,opted_out,blocked,member_sejak,ukuran_kaos"));
        assert_eq!(lines.count() as i64, vip);
        let job = import(&s, "export.csv", csv.as_bytes().to_vec(), "apply").await;
        assert_eq!(counts(&job), [0, 0, vip as u64, 0]);
        let (_, all) = export(&s, "").await;
        assert_eq!(all.lines().count(), 995);
        let job = import(&s, "export.csv", all.into_bytes(), "check").await;
        assert_eq!(counts(&job), [0, 0, 994, 0]);
        let (fresh, kept) = fresh_counts(db, &app, ana).await;
        assert_eq!(fresh, kept);
        app.stop().await;
    }
}

both_backends! {
    async fn a_known_number_is_filled_and_tagged_without_erasing(db) {
        let app = TestApp::start(db).await;
        let (ana, s) = app.as_new("ana@shop.id", Role::User).await;
        let body = serde_json::json!({"name": "Bu Sari", "wa_number": "081311112222", "fields": {"kota": "Bandung"}});
        expect_json(s.post("/api/contacts", body).await, StatusCode::CREATED).await;
        let file = "Nama;WhatsApp;E-mail;Label;Kota;Ukuran\nSari Baru;+62 813-1111-2222;sari@contoh.id;vip, Baru;Bogor;L\n\
                    ;081399998888;;;;\n";
        let check = import(&s, "merge.csv", file.as_bytes().to_vec(), "check").await;
        assert_eq!(counts(&check), [1, 1, 0, 0]);
        assert_eq!(app.store.contact_counts(ana).await.unwrap().total, 1);
        let job = import(&s, "merge.csv", file.as_bytes().to_vec(), "apply").await;
        assert_eq!(counts(&job), [1, 1, 0, 0]);
        let sari = contact(&app, ana, "081311112222").await;
        assert_eq!(sari.name, "Bu Sari", "a name is never overwritten");
        assert_eq!(sari.email.as_deref(), Some("sari@contoh.id"), "an empty e-mail is filled");
        let fields: Vec<(&str, &str)> = sari.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(fields, [("kota", "Bandung"), ("ukuran", "L")], "a field is filled, none overwritten");
        let tags = scalar(db, "SELECT COUNT(*) FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE t.owner_id = $1", ana).await;
        assert_eq!(tags, 2);
        let (fresh, kept) = fresh_counts(db, &app, ana).await;
        assert_eq!((fresh, kept), ((2, 1), (2, 1)));
        // The same file again changes nothing.
        let job = import(&s, "merge.csv", file.as_bytes().to_vec(), "apply").await;
        assert_eq!(counts(&job), [0, 0, 2, 0]);
        app.stop().await;
    }
}

both_backends! {
    async fn an_xlsx_file_imports_like_the_csv(db) {
        let app = TestApp::start(db).await;
        let (ana, s) = app.as_new("ana@shop.id", Role::User).await;
        with_outlets(&s).await;
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (row, line) in SAMPLE.lines().enumerate() {
            for (col, cell) in line.split(',').enumerate() {
                let (r, c) = (row as u32, col as u16);
                if cell.is_empty() {
                    continue;
                }
                // Long numbers typed into Excel are kept as floats (6.28821e12), and a leading
                // 0 is lost: the import must give back the digits.
                if col == 1 && cell.len() >= 9 && cell.bytes().all(|b| b.is_ascii_digit()) {
                    sheet.write_number(r, c, cell.parse::<f64>().unwrap()).unwrap();
                } else {
                    sheet.write_string(r, c, cell).unwrap();
                }
            }
        }
        let data = book.save_to_buffer().unwrap();
        // Told apart by its bytes, not its name.
        let job = import(&s, "kontak.csv", data.clone(), "check").await;
        assert_eq!(counts(&job), [994, 0, 0, 6]);
        let lines: Vec<u64> = job["report"]["rejected"].as_array().unwrap().iter().map(|r| r["line"].as_u64().unwrap()).collect();
        assert_eq!(lines, BAD_LINES);
        import(&s, "kontak.xlsx", data, "apply").await;
        assert_eq!(contact(&app, ana, "087784743907").await.name, "Wulan Susanto");
        let (fresh, kept) = fresh_counts(db, &app, ana).await;
        assert_eq!(fresh, kept);
        assert_eq!(fresh.0, 994);
        // The CSV now finds every one of them.
        let job = import(&s, "kontak.csv", SAMPLE.as_bytes().to_vec(), "check").await;
        assert_eq!(counts(&job), [0, 0, 994, 6]);
        app.stop().await;
    }
}

both_backends! {
    async fn imports_are_kept_per_owner_and_bad_files_say_what_to_fix(db) {
        let app = TestApp::start(db).await;
        let (_, ana) = app.as_new("ana@shop.id", Role::User).await;
        let (bob_id, bob) = app.as_new("bob@shop.id", Role::User).await;
        create_outlet(&ana, "Kopi Nusantara Bandung", "Bandung", "081200000001").await;
        let file = b"nama,no_wa,cabang\nSari,081311112222,Kopi Nusantara Bandung\n".to_vec();
        let started = expect_json(upload(&ana, "a.csv", file.clone(), "check").await, StatusCode::ACCEPTED).await;
        let id = started["id"].as_str().unwrap();
        wait_job(&ana, id).await;
        // Another owner's job does not exist for bob, and ana's outlets are not his.
        expect_error(bob.get(&format!("/api/contacts/imports/{id}")).await, StatusCode::NOT_FOUND).await;
        let job = import(&bob, "a.csv", file, "apply").await;
        assert_eq!(counts(&job), [0, 0, 0, 1]);
        let reason = job["report"]["rejected"][0]["reason"].as_str().unwrap();
        assert!(reason.contains("no outlet named 'Kopi Nusantara Bandung'"), "{reason}");
        assert_eq!(app.store.contact_counts(bob_id).await.unwrap().total, 0);

        let refused = |data: &'static [u8]| {
            let ana = &ana;
            async move { expect_error(upload(ana, "x.csv", data.to_vec(), "check").await, StatusCode::UNPROCESSABLE_ENTITY).await }
        };
        let e = refused(b"nama,email\nSari,sari@contoh.id\n").await;
        assert!(e["message"].as_str().unwrap().contains("no column holds the WhatsApp number"), "{e}");
        let e = refused(b"").await;
        assert!(e["message"].as_str().unwrap().contains("empty"), "{e}");
        let e = refused(b"nama,no_wa\nS\xe9ri,0812\n").await;
        assert!(e["message"].as_str().unwrap().contains("UTF-8"), "{e}");
        let e = refused(b"PK\x03\x04 not really a workbook").await;
        assert!(e["message"].as_str().unwrap().contains("Excel"), "{e}");
        // A small workbook whose used range claims the whole sheet (one stray cell in its last
        // column and row) is refused by the cell's position, not read as a 17-billion-cell range;
        // so is a CSV line of too many columns.
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "no_wa").unwrap();
        sheet.write_string(1_048_575, 16_383, "x").unwrap();
        let workbook = book.save_to_buffer().unwrap();
        let e = refused(Box::leak(workbook.into_boxed_slice())).await;
        assert!(e["message"].as_str().unwrap().contains("beyond column 50"), "{e}");
        let wide = format!("no_wa{}\n0812\n", ",x".repeat(60));
        let e = refused(Box::leak(wide.into_bytes().into_boxed_slice())).await;
        assert!(e["message"].as_str().unwrap().contains("beyond column 50"), "{e}");
        let e = refused(b"nama,no_wa,phone\nSari,0812,0813\n").await;
        assert!(e["message"].as_str().unwrap().contains("mean the same field"), "{e}");
        let e = expect_error(upload(&ana, "x.csv", b"no_wa\n0812\n".to_vec(), "later").await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(e["message"].as_str().unwrap().contains("check or apply"), "{e}");
        // Too many rows, and too large a file.
        let mut many = String::from("no_wa\n");
        for i in 0..200_001 {
            many.push_str(&format!("0812{i:08}\n"));
        }
        let e = expect_error(upload(&ana, "x.csv", many.into_bytes(), "check").await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(e["message"].as_str().unwrap().contains("more than 200000 rows"), "{e}");
        let huge = vec![b'a'; 33 * 1024 * 1024];
        let e = expect_error(upload(&ana, "x.csv", huge, "check").await, StatusCode::PAYLOAD_TOO_LARGE).await;
        assert!(e["message"].as_str().unwrap().contains("32 MB"), "{e}");
        app.stop().await;
    }
}
