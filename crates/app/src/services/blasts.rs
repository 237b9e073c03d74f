//! Blasts: one text (a template or a body, rendered per recipient with spintax and variables)
//! to many recipients across an owner's outlets, paced per device, inside a daily window, with
//! a per-device daily cap. Planning resolves the recipients (tags, all contacts, chosen
//! contacts, pasted numbers), decides exclusions (`skipped` with a reason: opted out, blocked,
//! invalid number) and assigns each pending one to an outlet (their home outlet when chosen,
//! the rest round-robin), then writes everything in one transaction. The dispatcher
//! (`workers::blasts`) hands recipients to the outbox one at a time per outlet.
//!
//! A blast may carry one image or document (`media`) and take recipients from an uploaded
//! CSV or `.xlsx` file (`recipient_file`).

mod eta;
mod media;
mod recipient_file;

pub use eta::{PausedShare, Waiting};
pub use media::{attach as attach_media, file as media_file, gap_ms, may_attach, remove as remove_media};
pub use recipient_file::RecipientFile;

use crate::error::{ServiceError, ServiceResult};
use crate::i18n::errors::label;
use crate::i18n::Text;
use crate::services::templates;
use crate::state::AppState;
use domain::policy::whatsapp_scope;
use domain::{
    Actor, BlastStatus, Label, OutletId, PhoneNumber, RecipientStatus, Recurrence, Role, Scope, Template, Timestamp,
    UserId,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use store::{
    Audience, AudienceMember, Blast, BlastRecipient, BlastSchedule, BlastShare, NewBlast, NewSchedule, Pacing, Page,
    Paged, PlannedRecipient, RecipientValues, ScheduleAdvance,
};

const NAME_MAX: usize = 100;
/// The most recipients one blast may have.
pub const MAX_RECIPIENTS: usize = 200_000;
pub const DEFAULT_GAP_MIN_SECS: i64 = 3;
pub const DEFAULT_GAP_MAX_SECS: i64 = 8;
pub const MIN_GAP_SECS: i64 = 1;
pub const MAX_GAP_SECS: i64 = 600;
pub const DEFAULT_DAILY_CAP: i64 = 1_000;
pub const MAX_DAILY_CAP: i64 = 10_000;
const DEFAULT_WINDOW: (&str, &str) = ("08:00", "21:00");

/// A blast as asked for: kept (as JSON) with a recurring schedule, and what duplicate repeats.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = BlastRequest)]
pub struct BlastRequest {
    #[schema(example = "Promo Desember", max_length = 100)]
    pub name: String,
    /// A saved template (its body is copied into the blast), or…
    pub template_id: Option<i64>,
    /// …a text with `{{variables}}` and `{a|b}` spintax.
    #[schema(example = "{Halo|Hai} {{name}}, promo akhir tahun di {{outlet}}!")]
    pub body: Option<String>,
    /// The outlets that send; none or empty: every outlet of the owner whose device is connected.
    #[serde(default)]
    pub outlet_ids: Vec<i64>,
    #[serde(default)]
    pub recipients: RecipientChoice,
    #[serde(default)]
    pub pacing: PacingInput,
    /// `draft` (default), `now`, `at` (with `start_at`) or `recurring` (with `schedule`).
    #[serde(default)]
    pub start: StartMode,
    /// RFC 3339, for `start: at`.
    pub start_at: Option<String>,
    pub schedule: Option<ScheduleInput>,
}

/// Whom to send to: the union of everything given, each number once.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = BlastRecipientChoice)]
#[serde(deny_unknown_fields)]
pub struct RecipientChoice {
    /// Every contact of the owner.
    #[serde(default)]
    pub all_contacts: bool,
    /// Contacts carrying any of these tags.
    #[serde(default)]
    pub tag_ids: Vec<i64>,
    #[serde(default)]
    pub contact_ids: Vec<i64>,
    /// Pasted numbers (`0812…`, `62812…`, `+…`); those that are contacts get their values.
    #[serde(default)]
    pub numbers: Vec<String>,
}

/// Pacing as asked for; a value left out takes its default.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = BlastPacingInput)]
#[serde(deny_unknown_fields)]
pub struct PacingInput {
    /// Seconds, at least 1; default 3.
    pub gap_min_secs: Option<i64>,
    /// Seconds, at most 600; default 8.
    pub gap_max_secs: Option<i64>,
    /// Messages per device per day (all blasts together), 1–10,000; default 1,000.
    pub daily_cap: Option<i64>,
    /// `HH:MM` in the owner's time zone; default `08:00`.
    pub window_start: Option<String>,
    /// `HH:MM`; default `21:00`. The same as the start: any time.
    pub window_end: Option<String>,
    /// Skip a number that got the same text in the last 24 hours; default false.
    pub skip_recent_duplicates: Option<bool>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = BlastStartMode)]
#[serde(rename_all = "lowercase")]
pub enum StartMode {
    #[default]
    Draft,
    Now,
    At,
    Recurring,
}

/// A recurring blast: `{"every": "weekly", "days": [1, 4]}`, at a local time.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = BlastScheduleInput)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    pub rule: Recurrence,
    /// `HH:MM` in the owner's time zone.
    #[schema(example = "09:00")]
    pub time: String,
    /// RFC 3339: no run after this.
    pub ends_at: Option<String>,
    /// Stop after this many runs.
    pub max_runs: Option<i64>,
}

/// A blast with its outlet shares and an estimate of when it ends.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BlastView {
    #[serde(flatten)]
    pub blast: Blast,
    pub shares: Vec<BlastShare>,
    /// When the pending recipients should all be handed over at the current pace, inside the
    /// send window and the daily cap; none when nothing is pending, it is not running, or every
    /// share waits for its device.
    pub eta: Option<Timestamp>,
    /// Why the blast is not sending right now, if it is not.
    pub waiting: Option<Waiting>,
}

/// What creating answers: the blast, or for a recurring one its schedule.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = BlastCreated)]
pub struct Created {
    pub blast: Option<BlastView>,
    pub schedule: Option<BlastSchedule>,
    /// Numbers given more than once (kept once).
    pub duplicates: usize,
}

/// What a blast would do, before it is made.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = BlastPreview)]
pub struct Preview {
    /// Recipients after exclusions.
    pub recipients: usize,
    /// Excluded, by reason (`opted_out`, `blocked`, `invalid_number`).
    pub skipped: BTreeMap<String, usize>,
    pub duplicates: usize,
    /// Recipients per outlet.
    pub per_outlet: Vec<OutletCount>,
    /// The text as the chosen contact (else the first recipient) would get it.
    pub sample: Option<String>,
    /// Whose sample it is, when a contact.
    pub sample_contact: Option<SampleContact>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = BlastSampleContact)]
pub struct SampleContact {
    pub id: i64,
    pub name: String,
    pub wa_number: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = BlastOutletCount)]
pub struct OutletCount {
    pub outlet_id: OutletId,
    pub name: String,
    pub recipients: usize,
}

/// Live progress of one blast on the event stream (`event: blast.progress`).
#[derive(Debug, Clone, Serialize)]
pub struct BlastProgress {
    pub blast_id: i64,
    #[serde(skip)]
    pub owner_id: UserId,
    pub status: BlastStatus,
    pub counters: store::BlastCounters,
    pub eta: Option<Timestamp>,
    pub waiting: Option<Waiting>,
    /// The shares that wait for their device, and why.
    pub paused: Vec<PausedShare>,
    pub at: Timestamp,
}

impl BlastProgress {
    /// The progress of a blast now, with its estimate.
    pub async fn of(state: &AppState, blast: &Blast) -> ServiceResult<BlastProgress> {
        let shares = state.store.blast_shares(blast.id).await?;
        let e = eta::estimate(state, blast, &shares).await?;
        Ok(BlastProgress {
            blast_id: blast.id,
            owner_id: blast.owner_id,
            status: blast.status,
            counters: blast.counters,
            eta: e.eta,
            waiting: e.waiting,
            paused: e.paused,
            at: state.clock.now(),
        })
    }
}

/// A blast planned but not yet written.
struct Plan {
    owner: UserId,
    name: String,
    template_id: Option<i64>,
    body: String,
    template: Template,
    pacing: Pacing,
    outlets: Vec<(OutletId, String)>,
    recipients: Vec<PlannedRecipient>,
    duplicates: usize,
    media: Option<media::PlannedMedia>,
    /// What the blast records of its recipients file, if it had one.
    file: Option<serde_json::Value>,
}

/// What a request brings beside its JSON: an uploaded recipients file, or what a duplicate or
/// a resend takes over from the blast it copies (recipients with their values, media).
#[derive(Default)]
pub struct Extras {
    upload: Option<RecipientFile>,
    rows: Option<recipient_file::FileRecipients>,
    media: Option<media::PlannedMedia>,
}

impl Extras {
    /// A request with a recipients file (CSV or `.xlsx`).
    pub fn with_file(file: RecipientFile) -> Extras {
        Extras { upload: Some(file), ..Extras::default() }
    }

    fn has_file(&self) -> bool {
        self.upload.is_some() || self.rows.is_some()
    }
}

fn invalid(field: &'static str, key: &'static str) -> ServiceError {
    ServiceError::invalid(field, key)
}

/// `HH:MM` as minutes after midnight.
fn clock_time(field: &'static str, text: &str) -> ServiceResult<i64> {
    let bad = || ServiceError::invalid(field, Text::new("error-blast-time-of-day"));
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn rfc3339(field: &'static str, text: &str) -> ServiceResult<Timestamp> {
    let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| ServiceError::invalid(field, Text::new("error-blast-time")))?;
    Ok(Timestamp(i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)))
}

/// Checks the pacing and fills in the defaults.
fn pacing(input: &PacingInput, time_zone: &str) -> ServiceResult<Pacing> {
    let gap_min = input.gap_min_secs.unwrap_or(DEFAULT_GAP_MIN_SECS);
    let gap_max = input.gap_max_secs.unwrap_or(DEFAULT_GAP_MAX_SECS.max(gap_min));
    let gap_error = |field| {
        ServiceError::invalid(field, Text::new("error-blast-gap").arg("min", MIN_GAP_SECS).arg("max", MAX_GAP_SECS))
    };
    if !(MIN_GAP_SECS..=MAX_GAP_SECS).contains(&gap_min) {
        return Err(gap_error("pacing.gap_min_secs"));
    }
    if !(gap_min..=MAX_GAP_SECS).contains(&gap_max) {
        return Err(gap_error("pacing.gap_max_secs"));
    }
    let cap = input.daily_cap.unwrap_or(DEFAULT_DAILY_CAP);
    if !(1..=MAX_DAILY_CAP).contains(&cap) {
        return Err(ServiceError::invalid(
            "pacing.daily_cap",
            Text::new("error-blast-daily-cap").arg("max", MAX_DAILY_CAP),
        ));
    }
    let start = clock_time("pacing.window_start", input.window_start.as_deref().unwrap_or(DEFAULT_WINDOW.0))?;
    let end = clock_time("pacing.window_end", input.window_end.as_deref().unwrap_or(DEFAULT_WINDOW.1))?;
    Ok(Pacing {
        gap_min_secs: gap_min,
        gap_max_secs: gap_max,
        daily_cap: cap,
        window_start_min: start,
        window_end_min: end,
        time_zone: time_zone.to_string(),
        skip_recent_duplicates: input.skip_recent_duplicates.unwrap_or(false),
    })
}

/// Resolves, checks and assigns everything a request asks for, writing nothing.
async fn plan(state: &AppState, actor: Actor, request: &BlastRequest, extras: Extras) -> ServiceResult<Plan> {
    let scope = whatsapp_scope(actor)?;
    let name = Label::parse(&request.name, NAME_MAX)
        .map_err(|e| ServiceError::invalid("name", label("field-blast-name", e)))?;

    // Outlets: the named ones (all of one owner, whom the blast then belongs to), or the
    // caller's own with a connected device.
    let mut outlets: Vec<(OutletId, String)> = Vec::new();
    let mut owner = None;
    for id in dedup(&request.outlet_ids) {
        let outlet = state
            .store
            .outlet(scope, OutletId(id))
            .await?
            .ok_or_else(|| ServiceError::not_found("error-outlet-not-found"))?;
        if *owner.get_or_insert(outlet.owner_id) != outlet.owner_id {
            return Err(invalid("outlet_ids", "error-blast-outlets-one-owner"));
        }
        outlets.push((outlet.id, outlet.name));
    }
    let owner = owner.unwrap_or(actor.user_id);
    if outlets.is_empty() {
        outlets = healthy_outlets(state, owner).await?;
        if outlets.is_empty() {
            return Err(invalid("outlet_ids", "error-blast-no-healthy-outlet"));
        }
    }
    outlets.sort_by_key(|(id, _)| *id);

    let file = match (extras.upload, extras.rows) {
        (Some(upload), _) => Some(recipient_file::read(state, owner, upload).await?),
        (None, rows) => rows,
    };

    // Content: a template of the owner's, or a body checked as templates are.
    let mut saved = None;
    let (template_id, body) = match (request.template_id, &request.body) {
        (Some(id), None) => {
            let t = state
                .store
                .template(scope, id)
                .await?
                .filter(|t| t.owner_id == owner)
                .ok_or_else(|| ServiceError::not_found("error-template-not-found"))?;
            let body = t.body.clone();
            saved = Some(t);
            (Some(id), body)
        }
        (None, Some(body)) => (None, body.clone()),
        _ => return Err(invalid("body", "error-blast-content")),
    };
    let template = if template_id.is_some() {
        // Checked when saved; a field dropped since renders empty.
        Template::parse(&body, &|_| true).map_err(|e| ServiceError::invalid("template_id", &e))?
    } else if let Some(columns) = file.as_ref().map(|f| f.columns()).filter(|c| !c.is_empty()) {
        // A recipients file's own columns are variables too.
        let known = state.store.contact_field_names(owner).await?;
        Template::parse(&body, &|name| columns.contains(name) || known.iter().any(|k| k == name))
            .map_err(|e| ServiceError::invalid("body", &e))?
    } else {
        templates::check_body(state, owner, &body).await?
    };
    if body.chars().count() > crate::services::messages::MAX_TEXT_CHARS {
        return Err(ServiceError::invalid(
            "body",
            Text::new("error-too-long").arg("max", crate::services::messages::MAX_TEXT_CHARS),
        ));
    }
    // Media: what a duplicate takes over, else the template's (with its caption mode).
    let media = match (extras.media, &saved) {
        (Some(m), _) => Some(m),
        (None, Some(t)) => media::from_template(state, scope, t).await?,
        (None, None) => None,
    };
    media::check_caption(&body, media.as_ref().map(|m| m.caption_mode))?;
    let user = state.store.user(owner).await?.ok_or_else(|| ServiceError::internal("blast owner missing"))?;
    let pacing = pacing(&request.pacing, &user.time_zone)?;

    let (recipients, duplicates) = recipients(state, owner, &request.recipients, file.as_ref(), &outlets).await?;
    if recipients.is_empty() {
        return Err(invalid("recipients", "error-blast-no-recipients"));
    }
    if recipients.len() > MAX_RECIPIENTS {
        return Err(ServiceError::invalid("recipients", Text::new("error-blast-too-many").arg("max", MAX_RECIPIENTS)));
    }
    Ok(Plan {
        owner,
        name: name.as_str().to_string(),
        template_id,
        body,
        template,
        pacing,
        outlets,
        recipients,
        duplicates,
        media,
        file: file.map(|f| f.choice()),
    })
}

fn dedup(ids: &[i64]) -> Vec<i64> {
    let mut seen = HashSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

/// The owner's outlets whose device is connected now.
async fn healthy_outlets(state: &AppState, owner: UserId) -> ServiceResult<Vec<(OutletId, String)>> {
    let scope = whatsapp_scope(Actor { user_id: owner, role: Role::User })?;
    let mut found = Vec::new();
    let mut page = 1;
    loop {
        let outlets = state.store.list_outlets(scope, None, Page::new(Some(page), Some(200))).await?;
        for o in &outlets.items {
            if state.sessions.outlet_device(o.id).is_some_and(|(_, live)| live) {
                found.push((o.id, o.name.clone()));
            }
        }
        if outlets.items.len() < 200 {
            return Ok(found);
        }
        page += 1;
    }
}

/// Every recipient once, in the order asked (tags, all, contacts, then numbers), with the
/// exclusions decided and an outlet for each pending one; and how many repeats were dropped.
async fn recipients(
    state: &AppState,
    owner: UserId,
    choice: &RecipientChoice,
    file: Option<&recipient_file::FileRecipients>,
    outlets: &[(OutletId, String)],
) -> ServiceResult<(Vec<PlannedRecipient>, usize)> {
    let store = &state.store;
    let mut members: Vec<AudienceMember> = Vec::new();
    if !choice.tag_ids.is_empty() {
        let tags = dedup(&choice.tag_ids);
        if store.owned_tag_ids(owner, &tags).await?.len() != tags.len() {
            return Err(ServiceError::not_found("error-tag-not-found"));
        }
        members.extend(store.blast_audience(owner, Audience::Tags(&tags)).await?);
    }
    if choice.all_contacts {
        members.extend(store.blast_audience(owner, Audience::All).await?);
    }
    if !choice.contact_ids.is_empty() {
        let ids = dedup(&choice.contact_ids);
        let found = store.blast_audience(owner, Audience::Contacts(&ids)).await?;
        if found.len() != ids.len() {
            return Err(ServiceError::not_found("error-contact-not-found"));
        }
        members.extend(found);
    }
    let mut invalid_numbers: Vec<(String, std::borrow::Cow<'static, str>)> = Vec::new();
    if !choice.numbers.is_empty() {
        let mut parsed = Vec::with_capacity(choice.numbers.len());
        for raw in &choice.numbers {
            match PhoneNumber::parse(raw) {
                Ok(n) => parsed.push(n.as_str().to_string()),
                Err(_) if raw.trim().is_empty() => {}
                Err(_) => invalid_numbers.push((
                    raw.trim().chars().filter(|c| !c.is_control()).take(40).collect::<String>(),
                    "invalid_number".into(),
                )),
            }
        }
        let known: HashMap<String, AudienceMember> = store
            .blast_audience(owner, Audience::Numbers(&parsed))
            .await?
            .into_iter()
            .map(|m| (m.wa_number.clone(), m))
            .collect();
        for number in parsed {
            members.push(known.get(&number).cloned().unwrap_or(AudienceMember {
                id: 0,
                wa_number: number,
                home_outlet_id: None,
                opted_out_at: None,
                blocked: false,
            }));
        }
    }
    // A file's rows: saved contacts are themselves (looked up in batches, as pasted numbers
    // are); other numbers keep the file's values; refused rows are skipped with their reason.
    let mut file_values: HashMap<String, String> = HashMap::new();
    if let Some(file) = file {
        let numbers: Vec<String> = file
            .entries
            .iter()
            .filter_map(|e| match e {
                recipient_file::Entry::Number { number, .. } => Some(number.clone()),
                recipient_file::Entry::Refused { .. } => None,
            })
            .collect();
        let known: HashMap<String, AudienceMember> = store
            .blast_audience(owner, Audience::Numbers(&numbers))
            .await?
            .into_iter()
            .map(|m| (m.wa_number.clone(), m))
            .collect();
        for entry in &file.entries {
            match entry {
                recipient_file::Entry::Number { number, values } => match known.get(number) {
                    Some(contact) => members.push(contact.clone()),
                    None => {
                        if let Some(v) = values {
                            file_values.entry(number.clone()).or_insert_with(|| v.to_json());
                        }
                        members.push(AudienceMember {
                            id: 0,
                            wa_number: number.clone(),
                            home_outlet_id: None,
                            opted_out_at: None,
                            blocked: false,
                        });
                    }
                },
                recipient_file::Entry::Refused { number, reason } => {
                    invalid_numbers.push((number.clone(), reason.clone().into()))
                }
            }
        }
    }
    let chosen: HashSet<i64> = outlets.iter().map(|(id, _)| id.0).collect();
    let mut seen = HashSet::with_capacity(members.len());
    let mut duplicates = 0;
    let mut planned = Vec::with_capacity(members.len() + invalid_numbers.len());
    let mut next = 0usize;
    for m in members {
        if !seen.insert(m.wa_number.clone()) {
            duplicates += 1;
            continue;
        }
        let skip = if m.opted_out_at.is_some() {
            Some("opted_out")
        } else if m.blocked {
            Some("blocked")
        } else {
            None
        };
        let outlet = match (skip, m.home_outlet_id) {
            (Some(_), _) => None,
            (None, Some(home)) if chosen.contains(&home) => Some(OutletId(home)),
            (None, _) => {
                let o = outlets[next % outlets.len()].0;
                next += 1;
                Some(o)
            }
        };
        let vars = if m.id == 0 { file_values.remove(&m.wa_number) } else { None };
        planned.push(PlannedRecipient {
            contact_id: (m.id != 0).then_some(m.id),
            wa_number: m.wa_number,
            outlet_id: outlet,
            status: if skip.is_some() { RecipientStatus::Skipped } else { RecipientStatus::Pending },
            reason: skip.unwrap_or("").into(),
            vars,
        });
    }
    for (raw, reason) in invalid_numbers {
        if !seen.insert(raw.clone()) {
            duplicates += 1;
            continue;
        }
        planned.push(PlannedRecipient {
            contact_id: None,
            wa_number: raw,
            outlet_id: None,
            status: RecipientStatus::Skipped,
            reason,
            vars: None,
        });
    }
    Ok((planned, duplicates))
}

/// Renders a blast's text for one recipient: their values, the date in the owner's time zone
/// and language, their home outlet (else the sending outlet), seeded by their number as single
/// sends are, so both give one number the same words.
pub struct Renderer {
    template: Template,
    date: String,
    outlet_name: String,
}

impl Renderer {
    pub async fn new(state: &AppState, blast: &Blast, outlet_name: &str) -> ServiceResult<Renderer> {
        let template = Template::parse(&blast.body, &|_| true).map_err(|e| ServiceError::invalid("body", &e))?;
        Ok(Renderer { template, date: templates::today(state, blast.owner_id).await?, outlet_name: outlet_name.into() })
    }

    pub fn render(&self, r: &RecipientValues<'_>) -> String {
        let mut values = r.fields.clone();
        values.insert("name".into(), r.name.to_string());
        values.insert("phone".into(), r.phone.to_string());
        values.insert("date".into(), self.date.clone());
        values.insert("outlet".into(), r.home_outlet.unwrap_or(&self.outlet_name).to_string());
        templates::render(&self.template, &values, templates::number_seed(r.phone))
    }
}

/// Creates a blast (a draft, started now, at a time) or a recurring schedule.
pub async fn create(state: &AppState, actor: Actor, request: BlastRequest) -> ServiceResult<Created> {
    create_with(state, actor, request, Extras::default()).await
}

/// [`create`] with what the request brings beside its JSON (a recipients file).
pub async fn create_with(
    state: &AppState,
    actor: Actor,
    request: BlastRequest,
    extras: Extras,
) -> ServiceResult<Created> {
    if request.start == StartMode::Recurring {
        if extras.has_file() {
            // Each run plans its recipients again, and the file is not kept.
            return Err(invalid("recipients_file", "error-blast-file-recurring"));
        }
        return create_schedule(state, actor, request).await;
    }
    let plan = plan(state, actor, &request, extras).await?;
    let (status, start_at) = match request.start {
        StartMode::Draft => (BlastStatus::Draft, None),
        StartMode::Now => (BlastStatus::Running, None),
        StartMode::At => {
            let at = request.start_at.as_deref().ok_or_else(|| invalid("start_at", "error-blast-time"))?;
            (BlastStatus::Scheduled, Some(rfc3339("start_at", at)?))
        }
        StartMode::Recurring => unreachable_recurring()?,
    };
    let blast = write(state, &plan, &request, status, start_at, None, None).await?;
    let Some(blast) = blast else { return Err(ServiceError::internal("blast not written")) };
    state.blasts_wake.notify_one();
    Ok(Created { blast: Some(view(state, blast).await?), schedule: None, duplicates: plan.duplicates })
}

fn unreachable_recurring<T>() -> ServiceResult<T> {
    Err(ServiceError::internal("recurring blasts are made by their schedule"))
}

async fn write(
    state: &AppState,
    plan: &Plan,
    request: &BlastRequest,
    status: BlastStatus,
    start_at: Option<Timestamp>,
    schedule: Option<i64>,
    advance: Option<ScheduleAdvance>,
) -> ServiceResult<Option<Blast>> {
    let outlet_ids: Vec<OutletId> = plan.outlets.iter().map(|(id, _)| *id).collect();
    let outlet_choice = serde_json::json!({ "outlet_ids": request.outlet_ids });
    let mut recipient_choice = serde_json::to_value(&request.recipients).map_err(ServiceError::internal)?;
    if let (Some(file), Some(choice)) = (&plan.file, recipient_choice.as_object_mut()) {
        choice.insert("file".into(), file.clone());
    }
    let new = NewBlast {
        owner: plan.owner,
        name: &plan.name,
        status,
        template_id: plan.template_id,
        body: &plan.body,
        pacing: &plan.pacing,
        outlet_choice: &outlet_choice,
        recipient_choice: &recipient_choice,
        start_at,
        schedule_id: schedule,
        outlets: &outlet_ids,
        media: plan.media.as_ref().map(media::PlannedMedia::as_new),
    };
    Ok(state.store.create_blast(new, &plan.recipients, advance, state.clock.now()).await?)
}

async fn create_schedule(state: &AppState, actor: Actor, request: BlastRequest) -> ServiceResult<Created> {
    let input = request.schedule.clone().ok_or_else(|| invalid("schedule", "error-blast-recurrence"))?;
    if !input.rule.is_valid() {
        return Err(invalid("schedule.rule", "error-blast-recurrence"));
    }
    let time_min = clock_time("schedule.time", &input.time)?;
    let ends_at = input.ends_at.as_deref().map(|t| rfc3339("schedule.ends_at", t)).transpose()?;
    if input.max_runs.is_some_and(|n| n < 1) {
        return Err(invalid("schedule.max_runs", "error-blast-recurrence"));
    }
    // Checked now as each run will be (outlets, content, recipients), so a mistake shows at once.
    let plan = plan(state, actor, &request, Extras::default()).await?;
    let now = state.clock.now();
    let next = input
        .rule
        .next_after(now, i32::try_from(time_min).unwrap_or(0), &plan.pacing.time_zone)
        .filter(|at| ends_at.is_none_or(|end| *at <= end))
        .ok_or_else(|| invalid("schedule", "error-blast-recurrence"))?;
    let mut settings = request.clone();
    settings.start = StartMode::Now;
    settings.schedule = None;
    // A schedule's runs go out through the outlets named, or the owner's healthy ones then.
    let settings = serde_json::to_value(&settings).map_err(ServiceError::internal)?;
    let new = NewSchedule {
        owner: plan.owner,
        name: &plan.name,
        recurrence: &input.rule,
        time_min,
        time_zone: &plan.pacing.time_zone,
        ends_at,
        max_runs: input.max_runs,
        next_run_at: next,
        settings: &settings,
    };
    let schedule = state.store.create_blast_schedule(new, now).await?;
    state.blasts_wake.notify_one();
    Ok(Created { blast: None, schedule: Some(schedule), duplicates: plan.duplicates })
}

/// Makes the due run of a schedule (the dispatcher calls this): a running blast linked to it,
/// written in the transaction that moves the schedule on. A run whose plan fails (no recipient
/// left, outlets gone) is skipped with a log line; the schedule goes on.
pub async fn run_schedule(state: &AppState, schedule: &BlastSchedule) -> ServiceResult<Option<Blast>> {
    let Some(due) = schedule.next_run_at else { return Ok(None) };
    let now = state.clock.now();
    let runs = schedule.runs + 1;
    let next = domain::Recurrence::next_after(
        &schedule.recurrence,
        due.max(now),
        i32::try_from(schedule.time_min).unwrap_or(0),
        &schedule.time_zone,
    )
    .filter(|at| schedule.ends_at.is_none_or(|end| *at <= end))
    .filter(|_| schedule.max_runs.is_none_or(|max| runs < max));
    let advance = ScheduleAdvance { schedule_id: schedule.id, expected_next: due, next };
    let request: BlastRequest = serde_json::from_value(schedule.settings.clone()).map_err(ServiceError::internal)?;
    let owner = Actor { user_id: schedule.owner_id, role: Role::User };
    let plan = match plan(state, owner, &request, Extras::default()).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(schedule = schedule.id, error = %e, "a recurring blast's run was skipped");
            state.store.skip_blast_schedule_run(advance, now).await?;
            return Ok(None);
        }
    };
    let blast =
        write(state, &plan, &request, BlastStatus::Running, Some(due), Some(schedule.id), Some(advance)).await?;
    Ok(blast)
}

/// A blast in a list: with its estimate while it runs (shares only in [`BlastView`]).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = BlastListItem)]
pub struct ListItem {
    #[serde(flatten)]
    pub blast: Blast,
    pub eta: Option<Timestamp>,
    pub waiting: Option<Waiting>,
    /// The shares that wait for their device, and why.
    pub paused: Vec<PausedShare>,
}

/// The caller's blasts (staff: all), newest first; the running ones with their estimate.
pub async fn list(
    state: &AppState,
    actor: Actor,
    status: Option<BlastStatus>,
    page: Page,
) -> ServiceResult<Paged<ListItem>> {
    let scope = whatsapp_scope(actor)?;
    let blasts = state.store.list_blasts(scope, status, page).await?;
    let mut items = Vec::with_capacity(blasts.items.len());
    for blast in blasts.items {
        let e = if blast.status == BlastStatus::Running {
            let shares = state.store.blast_shares(blast.id).await?;
            eta::estimate(state, &blast, &shares).await?
        } else {
            eta::Estimate::default()
        };
        items.push(ListItem { blast, eta: e.eta, waiting: e.waiting, paused: e.paused });
    }
    Ok(Paged { items, total: blasts.total, page: blasts.page, per_page: blasts.per_page })
}

async fn find(state: &AppState, scope: Scope, id: i64) -> ServiceResult<Blast> {
    state.store.blast(scope, id).await?.ok_or_else(|| ServiceError::not_found("error-blast-not-found"))
}

pub async fn show(state: &AppState, actor: Actor, id: i64) -> ServiceResult<BlastView> {
    let scope = whatsapp_scope(actor)?;
    view(state, find(state, scope, id).await?).await
}

async fn view(state: &AppState, blast: Blast) -> ServiceResult<BlastView> {
    let shares = state.store.blast_shares(blast.id).await?;
    let e = eta::estimate(state, &blast, &shares).await?;
    Ok(BlastView { blast, shares, eta: e.eta, waiting: e.waiting })
}

/// What a lifecycle request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A draft starts now; a scheduled one runs now.
    Start,
    Pause,
    Resume,
    Cancel,
}

pub async fn act(state: &AppState, actor: Actor, id: i64, action: Action) -> ServiceResult<BlastView> {
    let scope = whatsapp_scope(actor)?;
    let current = find(state, scope, id).await?;
    let to = match action {
        Action::Start | Action::Resume => BlastStatus::Running,
        Action::Pause => BlastStatus::Paused,
        Action::Cancel => BlastStatus::Cancelled,
    };
    if action == Action::Start {
        media::check_start(&current)?;
    }
    let allowed = match action {
        Action::Start => matches!(current.status, BlastStatus::Draft | BlastStatus::Scheduled),
        Action::Resume => current.status == BlastStatus::Paused,
        _ => domain::check_blast_transition(current.status, to).is_ok(),
    };
    let changed = if allowed { state.store.change_blast_status(scope, id, to, state.clock.now()).await? } else { None };
    let Some(blast) = changed else {
        return Err(ServiceError::Conflict {
            code: "blast_state",
            message: Text::new("error-blast-state").arg("status", current.status.as_str()),
        });
    };
    state.blasts_wake.notify_one();
    // The page hears of it at once (the dispatcher only reports running blasts).
    let _ = state.blast_progress.send(BlastProgress::of(state, &blast).await?);
    view(state, blast).await
}

/// A new draft with the same settings, recipients resolved again now.
pub async fn duplicate(state: &AppState, actor: Actor, id: i64) -> ServiceResult<Created> {
    let scope = whatsapp_scope(actor)?;
    let blast = find(state, scope, id).await?;
    // A file's recipients come from this blast's rows (the file is not kept); the rest of the
    // choice is resolved again. The media is copied.
    let mut choice = blast.recipients.clone();
    let rows = match choice.as_object_mut().and_then(|c| c.remove("file")) {
        Some(_) => Some(recipient_file::from_blast(state, scope, &blast, false).await?),
        None => None,
    };
    let request = BlastRequest {
        name: copy_name(&blast.name),
        recipients: serde_json::from_value(choice).unwrap_or_default(),
        ..same_settings(&blast)
    };
    let extras = Extras { rows, media: media::of_blast(state, scope, &blast).await?, ..Extras::default() };
    let owner = Actor { user_id: blast.owner_id, role: actor.role };
    create_with(state, owner, request, extras).await
}

/// A new blast, started now, to the numbers that failed in this one.
pub async fn resend_failed(state: &AppState, actor: Actor, id: i64) -> ServiceResult<Created> {
    let scope = whatsapp_scope(actor)?;
    let blast = find(state, scope, id).await?;
    let media = media::of_blast(state, scope, &blast).await?;
    if recipient_file::had_file(&blast) {
        // With the values the file gave them.
        let rows = recipient_file::from_blast(state, scope, &blast, true).await?;
        if rows.entries.is_empty() {
            return Err(ServiceError::Conflict { code: "no_failed", message: Text::new("error-blast-no-failed") });
        }
        let request = BlastRequest { name: copy_name(&blast.name), start: StartMode::Now, ..same_settings(&blast) };
        let owner = Actor { user_id: blast.owner_id, role: actor.role };
        return create_with(state, owner, request, Extras { rows: Some(rows), media, ..Extras::default() }).await;
    }
    let mut numbers = Vec::new();
    let mut after = 0;
    loop {
        let page = state.store.blast_recipients_after(blast.id, Some(RecipientStatus::Failed), after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        numbers.extend(page.into_iter().map(|r| r.wa_number));
    }
    if numbers.is_empty() {
        return Err(ServiceError::Conflict { code: "no_failed", message: Text::new("error-blast-no-failed") });
    }
    let request = BlastRequest {
        name: copy_name(&blast.name),
        recipients: RecipientChoice { numbers, ..Default::default() },
        start: StartMode::Now,
        ..same_settings(&blast)
    };
    let owner = Actor { user_id: blast.owner_id, role: actor.role };
    create_with(state, owner, request, Extras { media, ..Extras::default() }).await
}

fn copy_name(name: &str) -> String {
    let base: String = name.chars().take(NAME_MAX - 4).collect();
    format!("{base} (2)")
}

/// A request with this blast's content, outlets and pacing (as a draft).
fn same_settings(blast: &Blast) -> BlastRequest {
    let p = &blast.pacing;
    let hhmm = |m: i64| format!("{:02}:{:02}", m / 60, m % 60);
    let outlet_ids =
        blast.outlets.get("outlet_ids").and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default();
    BlastRequest {
        name: blast.name.clone(),
        template_id: None,
        body: Some(blast.body.clone()),
        outlet_ids,
        recipients: RecipientChoice::default(),
        pacing: PacingInput {
            gap_min_secs: Some(p.gap_min_secs),
            gap_max_secs: Some(p.gap_max_secs),
            daily_cap: Some(p.daily_cap),
            window_start: Some(hhmm(p.window_start_min)),
            window_end: Some(hhmm(p.window_end_min)),
            skip_recent_duplicates: Some(p.skip_recent_duplicates),
        },
        start: StartMode::Draft,
        start_at: None,
        schedule: None,
    }
}

/// Recipient count after exclusions, per outlet, and a rendered sample — for `sample_contact`
/// (any contact of the blast's owner) when given, else for the first recipient; writes nothing.
pub async fn preview(
    state: &AppState,
    actor: Actor,
    request: BlastRequest,
    sample_contact: Option<i64>,
    extras: Extras,
) -> ServiceResult<Preview> {
    let plan = plan(state, actor, &request, extras).await?;
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut per: HashMap<OutletId, usize> = HashMap::new();
    let mut first = None;
    for r in &plan.recipients {
        match r.outlet_id {
            Some(o) if r.status == RecipientStatus::Pending => {
                *per.entry(o).or_default() += 1;
                first.get_or_insert(r);
            }
            // A file's refused row says its line: counted by what was wrong.
            _ => *skipped.entry(r.reason.split(" (line").next().unwrap_or_default().to_string()).or_default() += 1,
        }
    }
    let scope = whatsapp_scope(actor)?;
    // Whom the sample is for: the chosen contact, else the first recipient (a contact or not).
    let (contact, number, outlet) = match sample_contact {
        Some(id) => {
            let c = state
                .store
                .contact(scope, id)
                .await?
                .filter(|c| c.owner_id == plan.owner)
                .ok_or_else(|| ServiceError::not_found("error-contact-not-found"))?;
            let planned = plan.recipients.iter().find(|r| r.wa_number == c.wa_number).and_then(|r| r.outlet_id);
            let outlet = planned.or(c.home_outlet_id).or(plan.outlets.first().map(|(id, _)| *id));
            let number = c.wa_number.clone();
            (Some(c), Some(number), outlet)
        }
        None => match first {
            Some(r) => {
                let parsed = PhoneNumber::parse(&r.wa_number).map_err(|e| ServiceError::invalid("recipients", &e))?;
                (state.store.contact_by_number(plan.owner, &parsed).await?, Some(r.wa_number.clone()), r.outlet_id)
            }
            None => (None, None, None),
        },
    };
    let sample = match &number {
        Some(number) => {
            let outlet_name = plan.outlets.iter().find(|(id, _)| Some(*id) == outlet).map_or("", |(_, n)| n.as_str());
            // A file's row that is no contact: the file's values, as the hand-off renders it.
            let file_values = match (sample_contact, first) {
                (None, Some(r)) => r.vars.as_deref().map(store::FileValues::parse),
                _ => None,
            };
            let fields = match &file_values {
                Some(v) => v.fields.clone(),
                None => contact.as_ref().map(|c| c.fields.clone()).unwrap_or_default(),
            };
            let home = match contact.as_ref().and_then(|c| c.home_outlet_id) {
                Some(id) => state.store.outlet(scope, id).await?.map(|o| o.name),
                None => None,
            };
            let values = RecipientValues {
                name: file_values
                    .as_ref()
                    .map_or_else(|| contact.as_ref().map_or("", |c| c.name.as_str()), |v| v.name.as_str()),
                phone: number,
                fields: &fields,
                home_outlet: home.as_deref(),
            };
            let renderer = Renderer {
                template: plan.template.clone(),
                date: templates::today(state, plan.owner).await?,
                outlet_name: outlet_name.to_string(),
            };
            Some(renderer.render(&values))
        }
        None => None,
    };
    let sample_contact = contact.map(|c| SampleContact { id: c.id, name: c.name, wa_number: c.wa_number });
    let recipients = per.values().sum();
    let per_outlet = plan
        .outlets
        .iter()
        .map(|(id, name)| OutletCount {
            outlet_id: *id,
            name: name.clone(),
            recipients: per.get(id).copied().unwrap_or(0),
        })
        .collect();
    Ok(Preview { recipients, skipped, duplicates: plan.duplicates, per_outlet, sample, sample_contact })
}

/// A page of a blast's recipients, optionally of one status.
pub async fn recipients_page(
    state: &AppState,
    actor: Actor,
    id: i64,
    status: Option<RecipientStatus>,
    page: Page,
) -> ServiceResult<Paged<BlastRecipient>> {
    let scope = whatsapp_scope(actor)?;
    let blast = find(state, scope, id).await?;
    Ok(state.store.blast_recipients(&blast, status, page).await?)
}

/// The blast's recipients as CSV (`phone,status,reason,outlet_id,contact_id,message_id,updated_at`),
/// streamed a page at a time in constant memory.
pub async fn export(
    state: &AppState,
    actor: Actor,
    id: i64,
    status: Option<RecipientStatus>,
) -> ServiceResult<crate::services::contact_import::Export> {
    let scope = whatsapp_scope(actor)?;
    let blast = find(state, scope, id).await?;
    struct Cursor {
        store: store::Store,
        blast: i64,
        status: Option<RecipientStatus>,
        after: i64,
        header: bool,
        done: bool,
    }
    let cursor = Cursor { store: state.store.clone(), blast: blast.id, status, after: 0, header: true, done: false };
    let body = futures_util::stream::unfold(cursor, |mut c| async move {
        if c.done {
            return None;
        }
        let mut out = csv::Writer::from_writer(Vec::new());
        let mut write = |row: &[&str]| out.write_record(row).map_err(ServiceError::internal);
        if std::mem::take(&mut c.header) {
            if let Err(e) = write(&["phone", "status", "reason", "outlet_id", "contact_id", "message_id", "updated_at"])
            {
                c.done = true;
                return Some((Err(e), c));
            }
        }
        let rows = match c.store.blast_recipients_after(c.blast, c.status, c.after, 1000).await {
            Ok(rows) => rows,
            Err(e) => {
                c.done = true;
                return Some((Err(e.into()), c));
            }
        };
        c.done = rows.len() < 1000;
        for r in &rows {
            let id = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
            // A pasted text that was no number is kept as typed: never let Excel run it.
            let phone = match r.wa_number.chars().next() {
                Some('=' | '+' | '-' | '@' | '\t' | '\r') if r.reason == "invalid_number" => {
                    format!("'{}", r.wa_number)
                }
                _ => r.wa_number.clone(),
            };
            let line = [
                phone.as_str(),
                r.status.as_str(),
                r.reason.as_str(),
                &id(r.outlet_id.map(|o| o.0)),
                &id(r.contact_id),
                &id(r.message_id),
                &r.updated_at.to_rfc3339(),
            ];
            if let Err(e) = write(&line) {
                c.done = true;
                return Some((Err(e), c));
            }
        }
        if let Some(last) = rows.last() {
            c.after = last.id;
        }
        let bytes = out.into_inner().map_err(ServiceError::internal);
        match bytes {
            Ok(b) if b.is_empty() => None,
            other => Some((other, c)),
        }
    });
    Ok(crate::services::contact_import::Export {
        file_name: format!("blast-{}-recipients.csv", blast.id),
        body: Box::pin(body),
    })
}

/// The caller's recurring blasts (staff: all), newest first.
pub async fn schedules(state: &AppState, actor: Actor, page: Page) -> ServiceResult<Paged<BlastSchedule>> {
    let scope = whatsapp_scope(actor)?;
    Ok(state.store.list_blast_schedules(scope, page).await?)
}

/// Ends a recurring schedule (its runs made so far stay).
pub async fn stop_schedule(state: &AppState, actor: Actor, id: i64) -> ServiceResult<BlastSchedule> {
    let scope = whatsapp_scope(actor)?;
    if !state.store.stop_blast_schedule(scope, id, state.clock.now()).await? {
        return Err(ServiceError::not_found("error-blast-schedule-not-found"));
    }
    state
        .store
        .blast_schedule(scope, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("error-blast-schedule-not-found"))
}
