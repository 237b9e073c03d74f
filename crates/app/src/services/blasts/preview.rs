//! What a blast would do before it is made: counts after exclusions, per outlet, and a sample.

use super::*;

/// Recipient count after exclusions, per outlet, and a rendered sample — for `sample_contact`
/// (any contact of the blast's owner) when given, else for the first recipient; writes nothing.
pub async fn preview(
    state: &AppState,
    actor: Actor,
    request: BlastRequest,
    sample_contact: Option<i64>,
    extras: Extras,
) -> ServiceResult<Preview> {
    let plan = plan(state, actor, &request, extras, Resolve::Here).await?;
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
