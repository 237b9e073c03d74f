//! Planning a blast: the request checked (name, outlets, content, pacing), its recipients
//! resolved from every choice (tags, all contacts, chosen contacts, pasted numbers, a file),
//! each number once, the exclusions decided and each pending one given an outlet — all before
//! anything is written.

use super::*;

/// A blast planned but not yet written.
pub(super) struct Plan {
    pub(super) owner: UserId,
    pub(super) name: String,
    pub(super) template_id: Option<i64>,
    pub(super) body: String,
    pub(super) template: Template,
    pub(super) pacing: Pacing,
    pub(super) outlets: Vec<(OutletId, String)>,
    pub(super) recipients: Vec<PlannedRecipient>,
    pub(super) duplicates: usize,
    pub(super) media: Option<media::PlannedMedia>,
    /// Set when the recipients are to be decided in the database as the blast is written
    /// (`recipients` is then empty).
    pub(super) in_database: Option<InDatabase>,
    /// What the blast records of its recipients file, if it had one.
    pub(super) file: Option<serde_json::Value>,
}

/// How a plan resolves its recipients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Resolve {
    /// Into rows here: every recipient known (a preview, a schedule's checks and runs).
    Here,
    /// In the database as the blast is written, when the choice is every contact or contacts
    /// by tag alone (the large case: 100,000 contacts are never read into the process).
    InDatabase,
}

/// Recipients to decide in the database: every contact of the owner, or those with these tags.
pub(super) struct InDatabase {
    pub(super) tags: Option<Vec<i64>>,
}

/// What a request brings beside its JSON: an uploaded recipients file, or what a duplicate or
/// a resend takes over from the blast it copies (recipients with their values, media).
#[derive(Default)]
pub struct Extras {
    pub(super) upload: Option<RecipientFile>,
    pub(super) rows: Option<recipient_file::FileRecipients>,
    pub(super) media: Option<media::PlannedMedia>,
}

impl Extras {
    /// A request with a recipients file (CSV or `.xlsx`).
    pub fn with_file(file: RecipientFile) -> Extras {
        Extras { upload: Some(file), ..Extras::default() }
    }

    pub(super) fn has_file(&self) -> bool {
        self.upload.is_some() || self.rows.is_some()
    }
}

pub(super) fn invalid(field: &'static str, key: &'static str) -> ServiceError {
    ServiceError::invalid(field, key)
}

/// `HH:MM` as minutes after midnight.
pub(super) fn clock_time(field: &'static str, text: &str) -> ServiceResult<i64> {
    let bad = || ServiceError::invalid(field, Text::new("error-blast-time-of-day"));
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

pub(super) fn rfc3339(field: &'static str, text: &str) -> ServiceResult<Timestamp> {
    let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| ServiceError::invalid(field, Text::new("error-blast-time")))?;
    Ok(Timestamp(i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)))
}

/// Checks the pacing and fills in the defaults.
pub(super) fn pacing(input: &PacingInput, time_zone: &str) -> ServiceResult<Pacing> {
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
pub(super) async fn plan(
    state: &AppState,
    actor: Actor,
    request: &BlastRequest,
    extras: Extras,
    resolve: Resolve,
) -> ServiceResult<Plan> {
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

    let choice = &request.recipients;
    // Refused before anything is parsed or looked up (a large request body could hold millions).
    if choice.numbers.len() > MAX_RECIPIENTS || choice.contact_ids.len() > MAX_RECIPIENTS {
        return Err(too_many_recipients());
    }
    let contacts_only = file.is_none() && choice.numbers.is_empty() && choice.contact_ids.is_empty();
    let (recipients, duplicates, in_database) = match resolve {
        Resolve::InDatabase if contacts_only && choice.all_contacts => (Vec::new(), 0, Some(InDatabase { tags: None })),
        Resolve::InDatabase if contacts_only && !choice.tag_ids.is_empty() => {
            (Vec::new(), 0, Some(InDatabase { tags: Some(owned_tags(state, owner, &choice.tag_ids).await?) }))
        }
        _ => {
            let (recipients, duplicates) = recipients(state, owner, choice, file.as_ref(), &outlets).await?;
            if recipients.is_empty() {
                return Err(no_recipients());
            }
            if recipients.len() > MAX_RECIPIENTS {
                return Err(too_many_recipients());
            }
            (recipients, duplicates, None)
        }
    };
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
        in_database,
        file: file.map(|f| f.choice()),
    })
}

pub(super) fn no_recipients() -> ServiceError {
    invalid("recipients", "error-blast-no-recipients")
}

pub(super) fn too_many_recipients() -> ServiceError {
    ServiceError::invalid("recipients", Text::new("error-blast-too-many").arg("max", MAX_RECIPIENTS))
}

/// The tags asked for, once each, all the owner's (else not found).
async fn owned_tags(state: &AppState, owner: UserId, ids: &[i64]) -> ServiceResult<Vec<i64>> {
    let tags = dedup(ids);
    if state.store.owned_tag_ids(owner, &tags).await?.len() != tags.len() {
        return Err(ServiceError::not_found("error-tag-not-found"));
    }
    Ok(tags)
}

pub(super) fn dedup(ids: &[i64]) -> Vec<i64> {
    let mut seen = HashSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

/// The owner's outlets whose device is connected now.
pub(super) async fn healthy_outlets(state: &AppState, owner: UserId) -> ServiceResult<Vec<(OutletId, String)>> {
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
/// The same rules decide in the database for every contact or by tags alone
/// (`store::Recipients::Contacts`); `plan_in_the_database_as_here` tests they agree.
pub(super) async fn recipients(
    state: &AppState,
    owner: UserId,
    choice: &RecipientChoice,
    file: Option<&recipient_file::FileRecipients>,
    outlets: &[(OutletId, String)],
) -> ServiceResult<(Vec<PlannedRecipient>, usize)> {
    let store = &state.store;
    let mut members: Vec<AudienceMember> = Vec::new();
    if !choice.tag_ids.is_empty() {
        let tags = owned_tags(state, owner, &choice.tag_ids).await?;
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
