//! Demo data for `kewhats demo`: the accounts the original product documents and a few
//! outlets per owner, each with a simulated device. All but one outlet per owner start paired;
//! the last one waits for a (simulated) QR scan. Seeding is by natural key (e-mail, WhatsApp
//! number, one device per outlet), so running the demo again on the same data dir adds nothing
//! twice.

use crate::crypto::passwords as password;
use domain::policy::{system_scope, whatsapp_scope};
use domain::{Actor, CaptionMode, Email, EngineKind, Label, PhoneNumber, Plan, Role, TemplateCategory, Timestamp};
use store::{NewDevice, NewOutlet, NewTemplate, NewUser, Store, StoreError};

struct DemoUser {
    email: &'static str,
    password: &'static str,
    name: &'static str,
    role: Role,
    plan: Plan,
    outlets: &'static [(&'static str, &'static str, &'static str)],
}

const USERS: &[DemoUser] = &[
    DemoUser {
        email: "admin@kewhats.app",
        password: "admin123",
        name: "Demo Admin",
        role: Role::Admin,
        plan: Plan::Unlimited,
        outlets: &[],
    },
    DemoUser {
        email: "monitoring@kewhats.app",
        password: "monitoring123",
        name: "Demo Monitoring",
        role: Role::Monitoring,
        plan: Plan::Free,
        outlets: &[],
    },
    DemoUser {
        email: "owner1@kewhats.app",
        password: "owner123",
        name: "Owner Satu",
        role: Role::User,
        plan: Plan::Pro,
        // Its customers are `testdata/contacts-sample.csv` (home outlets named like these).
        outlets: &[
            ("Kopi Nusantara Jakarta", "Jakarta", "081110000001"),
            ("Kopi Nusantara Bandung", "Bandung", "081110000002"),
            ("Kopi Nusantara Surabaya", "Surabaya", "081110000003"),
        ],
    },
    DemoUser {
        email: "owner2@kewhats.app",
        password: "owner123",
        name: "Owner Dua",
        role: Role::User,
        plan: Plan::Enterprise,
        outlets: &[
            ("Batik Sari Yogyakarta", "Yogyakarta", "081220000001"),
            ("Batik Sari Semarang", "Semarang", "081220000002"),
            ("Batik Sari Medan", "Medan", "081220000003"),
            ("Batik Sari Denpasar", "Denpasar", "081220000004"),
        ],
    },
];

pub const ACCOUNTS_FOR_DISPLAY: [(&str, &str, &str); 4] = [
    ("admin@kewhats.app", "admin123", "admin"),
    ("monitoring@kewhats.app", "monitoring123", "monitoring"),
    ("owner1@kewhats.app", "owner123", "user (pro)"),
    ("owner2@kewhats.app", "owner123", "user (enterprise)"),
];

/// Creates whatever demo data is missing; returns (users, outlets) created this time.
pub async fn seed(store: &Store, now: Timestamp) -> anyhow::Result<(usize, usize)> {
    let (mut users, mut outlets) = (0, 0);
    for demo in USERS {
        let email = Email::parse(demo.email).map_err(anyhow::Error::msg)?;
        let id = match store.user_credentials(&email).await? {
            Some(existing) => existing.user.id,
            None => {
                // Demo passwords are the documented weak ones, so the strength rule is skipped here only.
                let hash = password::hash(demo.password.to_string()).await?;
                let new =
                    NewUser { email: &email, name: demo.name, password_hash: &hash, role: demo.role, plan: demo.plan };
                users += 1;
                store.create_user(new, now).await?.id
            }
        };
        for (name, city, number) in demo.outlets {
            let name = Label::parse(name, 100)?;
            let city = Label::parse(city, 100)?;
            let number = PhoneNumber::parse(number)?;
            match store.create_outlet(NewOutlet { owner: id, name: &name, city: &city, wa_number: &number }, now).await
            {
                Ok(_) => outlets += 1,
                // Seeded before: the number is taken, or (at the plan's limit) refused first.
                Err(StoreError::Conflict(_) | StoreError::Refused(store::Refusal::PlanLimit { .. })) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if demo.outlets.is_empty() {
            continue;
        }
        // Demo outlets belong to `user` accounts, so this is the owner's own scope.
        let scope = whatsapp_scope(Actor { user_id: id, role: Role::User })?;
        let mine = store.list_outlets(scope, None, store::Page::new(Some(1), Some(50))).await?.items;
        for (i, outlet) in mine.iter().enumerate() {
            let paired = (i + 1 < mine.len()).then(|| outlet.wa_number.trim_start_matches('+').to_string());
            let new = NewDevice { outlet_id: outlet.id, engine: EngineKind::Sim, paired_account: paired };
            match store.create_device(new, now).await {
                Ok(_) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    seed_templates(store, now).await?;
    let total = store.list_outlets(system_scope(), None, store::Page::new(Some(1), Some(1))).await?.total;
    tracing::info!(users, outlets, total_outlets = total, "demo data ready");
    Ok((users, outlets))
}

/// The first owner's customers: the sample export in `testdata/`, imported like any file the
/// first time (its six bad rows are rejected, as the import page would show).
pub async fn seed_contacts(state: &crate::AppState) -> anyhow::Result<u64> {
    let email = Email::parse("owner1@kewhats.app").map_err(anyhow::Error::msg)?;
    let Some(owner) = state.store.user_credentials(&email).await? else { return Ok(0) };
    if state.store.contact_counts(owner.user.id).await?.total > 0 {
        return Ok(0);
    }
    let actor = Actor { user_id: owner.user.id, role: owner.user.role };
    let sample = include_bytes!("../../../testdata/contacts-sample.csv").to_vec();
    let report = crate::services::contact_import::apply_and_wait(state, actor, sample).await?;
    Ok(report.counts.new)
}

/// Templates of the first owner, whose customers (the sample file) carry `ukuran_kaos`.
const TEMPLATES: &[(&str, TemplateCategory, &str)] = &[
    ("Sapa pelanggan", TemplateCategory::Greeting, "{Halo|Hai|Selamat datang} {{name}}! Terima kasih sudah mampir ke {{outlet}}."),
    (
        "Promo kaos",
        TemplateCategory::Marketing,
        "{Halo|Hai} {{name}}, kaos ukuran {{ukuran_kaos}} sedang diskon 20% sampai akhir bulan. Balas BERHENTI bila tidak ingin menerima promo.",
    ),
    ("Pengingat pesanan", TemplateCategory::Reminder, "Halo {{name}}, pesanan Anda siap diambil di {{outlet}} hari ini ({{date}})."),
];

async fn seed_templates(store: &Store, now: Timestamp) -> anyhow::Result<()> {
    let email = Email::parse("owner1@kewhats.app").map_err(anyhow::Error::msg)?;
    let Some(owner) = store.user_credentials(&email).await? else { return Ok(()) };
    for (name, category, body) in TEMPLATES {
        let new =
            NewTemplate { owner: owner.user.id, name, category: *category, body, caption_mode: CaptionMode::Caption };
        match store.create_template(new, now).await {
            Ok(_) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The first owner's automations, so the auto-reply, chatbot and integration pages show real
/// ones: two keyword rules, a sign-up flow, a paused Telegram integration (made through the services, checked as any would be; a name
/// already taken means they are there).
pub async fn seed_automations(state: &crate::AppState) -> anyhow::Result<usize> {
    use crate::services::{auto_replies, chatbots};
    let email = Email::parse("owner1@kewhats.app").map_err(anyhow::Error::msg)?;
    let Some(owner) = state.store.user_credentials(&email).await? else { return Ok(0) };
    let actor = Actor { user_id: owner.user.id, role: owner.user.role };
    let mut made = 0;
    let rules = [
        ("Jam buka", vec!["jam buka", "buka jam"], "Halo {{name}}, {{outlet}} buka setiap hari pukul 08.00–21.00."),
        (
            "Lokasi",
            vec!["alamat", "lokasi"],
            "Alamat {{outlet}} ada di Google Maps: cari \"{{outlet}}\". Sampai jumpa!",
        ),
    ];
    for (name, triggers, reply) in rules {
        let input = auto_replies::RuleInput {
            name: name.into(),
            triggers: triggers.into_iter().map(String::from).collect(),
            match_type: domain::MatchType::Contains,
            case_sensitive: false,
            priority: auto_replies::DEFAULT_PRIORITY,
            reply: Some(reply.into()),
            template_id: None,
            outlet_ids: Vec::new(),
            business_hours: None,
            outside_hours_reply: None,
            cooldown_secs: 600,
            is_welcome: false,
            active: true,
            in_groups: false,
        };
        match auto_replies::create(state, actor, input).await {
            Ok(_) => made += 1,
            Err(crate::ServiceError::Conflict { .. }) => {}
            Err(e) => return Err(anyhow::anyhow!("demo auto-reply {name}: {e}")),
        }
    }
    let flow: chatbots::FlowInput = serde_json::from_value(serde_json::json!({
        "name": "Daftar member", "active": true,
        "trigger": {"type": "keywords", "keywords": ["daftar", "member"]},
        "steps": [
            {"id": "nama", "type": "ask", "prompt": "Terima kasih! Boleh tahu nama Anda?", "variable": "nama", "next": "pilih"},
            {"id": "pilih", "type": "ask", "prompt": "Halo {{nama}}, ketik 1 untuk promo member atau 2 untuk alamat outlet",
             "variable": "pilihan", "validation": {"type": "options", "options": ["1", "2"]},
             "retry_message": "Ketik 1 atau 2 ya", "max_retries": 2, "next": "cabang"},
            {"id": "cabang", "type": "branch", "cases": [{"op": "equals", "value": "1", "next": "promo"}], "otherwise": "alamat"},
            {"id": "promo", "type": "end", "message": "{{nama}}, member dapat diskon 10% setiap Jumat. Sampai jumpa!"},
            {"id": "alamat", "type": "end", "message": "Kunjungi {{outlet}} kapan saja, {{nama}}. Sampai jumpa!"}
        ]
    }))?;
    match chatbots::create(state, actor, flow).await {
        Ok(_) => made += 1,
        Err(crate::ServiceError::Conflict { .. }) => {}
        Err(e) => return Err(anyhow::anyhow!("demo chatbot: {e}")),
    }
    // A Telegram integration as an example of the form, paused: the demo's token reaches no
    // bot, and a paused integration sends nothing.
    let telegram: crate::services::integrations::IntegrationInput = serde_json::from_value(serde_json::json!({
        "name": "Grup staf (contoh)", "active": false,
        "events": ["message.received", "device.disconnected", "chatbot.handed_over"],
        "channel": {"type": "telegram", "bot_token": "123456789:DEMOdemoDEMOdemoDEMOdemoDEMO", "chat_id": "-1001234567890"}
    }))?;
    match crate::services::integrations::create(state, actor, telegram).await {
        Ok(_) => made += 1,
        Err(crate::ServiceError::Conflict { .. }) => {}
        Err(e) => return Err(anyhow::anyhow!("demo integration: {e}")),
    }
    // A draft broadcast of the promo template to every customer, over the owner's outlets,
    // planned (its exclusions shown) but not started.
    let scope = whatsapp_scope(actor)?;
    if state.store.list_blasts(scope, None, store::Page::new(Some(1), Some(1))).await?.total == 0 {
        let outlets = state.store.list_outlets(scope, None, store::Page::new(Some(1), Some(50))).await?.items;
        let templates = state
            .store
            .list_templates(
                scope,
                store::TemplateFilter { search: Some("Promo kaos"), category: None },
                store::Page::new(Some(1), Some(50)),
            )
            .await?;
        if let Some(promo) = templates.items.iter().find(|t| t.name == "Promo kaos") {
            let request = crate::services::blasts::BlastRequest {
                name: "Promo kaos akhir bulan".into(),
                template_id: Some(promo.id),
                outlet_ids: outlets.iter().map(|o| o.id.0).collect(),
                recipients: crate::services::blasts::RecipientChoice { all_contacts: true, ..Default::default() },
                ..Default::default()
            };
            crate::services::blasts::create(state, actor, request).await?;
            made += 1;
        }
    }
    Ok(made)
}
