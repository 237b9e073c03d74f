//! Plans and what they allow: the plans on offer, an owner's plan with its usage, and an admin's
//! change of a plan. The limits themselves are enforced by the store, in the transactions that
//! create resources and accept messages.

use crate::error::{ServiceError, ServiceResult};
use crate::i18n::Text;
use crate::state::AppState;
use domain::policy::{self, whatsapp_scope, Capability};
use domain::{Actor, Plan, PlanLimits, Rupiah};
use serde::Deserialize;
use store::{Allowance, PlanDetails, PlanFields};

const NAME_MAX: usize = 40;
const FOOTER_MAX: usize = 200;
/// Rp 1 billion a year: beyond it is a typing slip.
const PRICE_MAX: i64 = 1_000_000_000;

/// Every plan, cheapest first: what anyone logged in may choose from.
pub async fn plans(state: &AppState) -> ServiceResult<Vec<PlanDetails>> {
    Ok(state.store.plans().await?)
}

/// The caller's plan now, its limits and what is used of them.
pub async fn allowance(state: &AppState, actor: Actor) -> ServiceResult<Allowance> {
    whatsapp_scope(actor)?;
    Ok(state.store.allowance(actor.user_id, state.clock.now()).await?)
}

/// An admin's change of a plan: every field, as the plans editor sends it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    pub name: String,
    pub price_monthly: Rupiah,
    pub price_yearly: Rupiah,
    /// `null` for each limit the plan does not have.
    pub limits: PlanLimits,
    /// Added below every message of the plan's owners; empty for none.
    #[serde(default)]
    pub footer: String,
}

pub async fn update_plan(state: &AppState, actor: Actor, plan: Plan, input: PlanInput) -> ServiceResult<PlanDetails> {
    policy::require(actor, Capability::ManageBilling)?;
    let name = input.name.trim();
    if name.is_empty() {
        return Err(ServiceError::invalid("name", "error-required"));
    }
    if name.chars().count() > NAME_MAX {
        return Err(ServiceError::invalid("name", Text::new("error-too-long").arg("max", NAME_MAX)));
    }
    for (field, price) in [("price_monthly", input.price_monthly), ("price_yearly", input.price_yearly)] {
        if !(0..=PRICE_MAX).contains(&price.0) {
            return Err(ServiceError::invalid(field, Text::new("error-price-range").arg("max", Rupiah(PRICE_MAX))));
        }
    }
    let footer = input.footer.trim();
    if footer.chars().count() > FOOTER_MAX {
        return Err(ServiceError::invalid("footer", Text::new("error-too-long").arg("max", FOOTER_MAX)));
    }
    let l = input.limits;
    for (field, value) in [
        ("limits.messages_per_month", l.messages_per_month),
        ("limits.outlets", l.outlets),
        ("limits.auto_replies", l.auto_replies),
        ("limits.chatbots", l.chatbots),
        ("limits.contacts", l.contacts),
        ("limits.templates", l.templates),
        ("limits.api_keys", l.api_keys),
        ("limits.webhooks", l.webhooks),
        ("limits.integrations", l.integrations),
    ] {
        if value.is_some_and(|v| v < 0) {
            return Err(ServiceError::invalid(field, "error-limit-negative"));
        }
    }
    let fields =
        PlanFields { name, price_monthly: input.price_monthly, price_yearly: input.price_yearly, limits: l, footer };
    Ok(state.store.update_plan(plan, &fields, state.clock.now()).await?)
}
