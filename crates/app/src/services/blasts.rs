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
mod plan;
mod preview;
mod recipient_file;
mod report;

pub use eta::{PausedShare, Waiting};
pub use media::{attach as attach_media, file as media_file, gap_ms, may_attach, remove as remove_media};
pub use plan::Extras;
pub use preview::preview;
pub use recipient_file::RecipientFile;
pub use report::{export, recipients_page};

use plan::{clock_time, invalid, no_recipients, plan, rfc3339, too_many_recipients, Plan, Resolve};

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
    Audience, AudienceMember, Blast, BlastRecipient, BlastSchedule, BlastShare, ContactAudience, NewBlast, NewSchedule,
    Pacing, Page, Paged, PlannedRecipient, RecipientValues, Recipients, Refusal, ScheduleAdvance, StoreError,
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
    let plan = plan(state, actor, &request, extras, Resolve::InDatabase).await?;
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
    let recipients = match &plan.in_database {
        Some(audience) => Recipients::Contacts(ContactAudience {
            tags: audience.tags.as_deref(),
            max: i64::try_from(MAX_RECIPIENTS).unwrap_or(i64::MAX),
        }),
        None => Recipients::Planned(&plan.recipients),
    };
    match state.store.create_blast(new, recipients, advance, state.clock.now()).await {
        Err(StoreError::Refused(Refusal::BlastWithoutRecipients)) => Err(no_recipients()),
        Err(StoreError::Refused(Refusal::BlastTooLarge)) => Err(too_many_recipients()),
        written => Ok(written?),
    }
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
    let plan = plan(state, actor, &request, Extras::default(), Resolve::Here).await?;
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
    let plan = match plan(state, owner, &request, Extras::default(), Resolve::Here).await {
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
    /// A draft (one given its media, say) is scheduled to start at this time.
    ScheduleAt(Timestamp),
}

/// Schedules a draft to start at `start_at` (RFC 3339).
pub async fn schedule(state: &AppState, actor: Actor, id: i64, start_at: &str) -> ServiceResult<BlastView> {
    act(state, actor, id, Action::ScheduleAt(rfc3339("start_at", start_at)?)).await
}

pub async fn act(state: &AppState, actor: Actor, id: i64, action: Action) -> ServiceResult<BlastView> {
    let scope = whatsapp_scope(actor)?;
    let current = find(state, scope, id).await?;
    let (to, start_at) = match action {
        Action::Start | Action::Resume => (BlastStatus::Running, None),
        Action::Pause => (BlastStatus::Paused, None),
        Action::Cancel => (BlastStatus::Cancelled, None),
        Action::ScheduleAt(at) => (BlastStatus::Scheduled, Some(at)),
    };
    let allowed = match action {
        Action::Start => matches!(current.status, BlastStatus::Draft | BlastStatus::Scheduled),
        Action::Resume => current.status == BlastStatus::Paused,
        Action::ScheduleAt(_) => current.status == BlastStatus::Draft,
        _ => domain::check_blast_transition(current.status, to).is_ok(),
    };
    if allowed && matches!(action, Action::Start | Action::ScheduleAt(_)) {
        media::check_start(&current)?;
    }
    let now = state.clock.now();
    let changed = if allowed { state.store.change_blast_status(scope, id, to, start_at, now).await? } else { None };
    let Some(blast) = changed else {
        return Err(ServiceError::Conflict {
            code: "blast_state",
            message: Text::new("error-blast-state").arg("status", current.status.as_str()),
        });
    };
    state.blasts_wake.notify_one();
    // The page hears of it at once (the dispatcher only reports running blasts).
    match BlastProgress::of(state, &blast).await {
        Ok(progress) => {
            let _ = state.blast_progress.send(progress);
        }
        Err(e) => tracing::warn!(blast = blast.id, error = %e, "blast progress after a change"),
    }
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
