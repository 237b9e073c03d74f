//! Plans' limits, subscriptions and the month a message quota counts in.

use crate::{Plan, Timestamp};
use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime};

/// What a plan limits: how many of a resource an owner may have, or (`Messages`) how many
/// messages are accepted per quota month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    Messages,
    Outlets,
    AutoReplies,
    Chatbots,
    Contacts,
    Templates,
    ApiKeys,
    Webhooks,
    Integrations,
}

crate::role::string_enum!(Limit, "limit", Messages => "messages", Outlets => "outlets",
    AutoReplies => "auto_replies", Chatbots => "chatbots", Contacts => "contacts", Templates => "templates",
    ApiKeys => "api_keys", Webhooks => "webhooks", Integrations => "integrations");

/// A plan's limits; `None` is unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanLimits {
    pub messages_per_month: Option<i64>,
    pub outlets: Option<i64>,
    pub auto_replies: Option<i64>,
    pub chatbots: Option<i64>,
    pub contacts: Option<i64>,
    pub templates: Option<i64>,
    pub api_keys: Option<i64>,
    pub webhooks: Option<i64>,
    pub integrations: Option<i64>,
}

impl PlanLimits {
    pub fn of(&self, limit: Limit) -> Option<i64> {
        match limit {
            Limit::Messages => self.messages_per_month,
            Limit::Outlets => self.outlets,
            Limit::AutoReplies => self.auto_replies,
            Limit::Chatbots => self.chatbots,
            Limit::Contacts => self.contacts,
            Limit::Templates => self.templates,
            Limit::ApiKeys => self.api_keys,
            Limit::Webhooks => self.webhooks,
            Limit::Integrations => self.integrations,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BillingCycle {
    Monthly,
    Yearly,
}

crate::role::string_enum!(BillingCycle, "billing cycle", Monthly => "monthly", Yearly => "yearly");

impl BillingCycle {
    pub fn months(self) -> u32 {
        match self {
            BillingCycle::Monthly => 1,
            BillingCycle::Yearly => 12,
        }
    }
}

/// `active` until its end; `past_due` while a renewal is unpaid; `expired` (fallen back to
/// free) or `cancelled` after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    Active,
    PastDue,
    Expired,
    Cancelled,
}

crate::role::string_enum!(SubscriptionStatus, "subscription status", Active => "active", PastDue => "past_due",
    Expired => "expired", Cancelled => "cancelled");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum InvoiceStatus {
    Pending,
    Paid,
    Expired,
    Failed,
    Refunded,
}

crate::role::string_enum!(InvoiceStatus, "invoice status", Pending => "pending", Paid => "paid",
    Expired => "expired", Failed => "failed", Refunded => "refunded");

/// Where an invoice is paid: a payment gateway, a bank transfer an admin records, or the
/// simulated page of the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Gateway {
    Midtrans,
    Xendit,
    Manual,
    Sandbox,
}

crate::role::string_enum!(Gateway, "payment gateway", Midtrans => "midtrans", Xendit => "xendit",
    Manual => "manual", Sandbox => "sandbox");

/// The plan in force at `now`: a paid plan whose period ended without payment is free.
pub fn effective_plan(plan: Plan, period_end: Option<Timestamp>, now: Timestamp) -> Plan {
    match period_end {
        Some(end) if end <= now => Plan::Free,
        _ => plan,
    }
}

/// `at` moved by `months` calendar months (UTC), the day kept or, where the month is shorter,
/// its last day: 31 January + 1 month is 28 (or 29) February.
pub fn add_months(at: Timestamp, months: u32) -> Timestamp {
    let Ok(start) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.millis()) * 1_000_000) else {
        return at;
    };
    let total = i64::from(start.month() as u8 - 1) + i64::from(months);
    let year = start.year() + i32::try_from(total / 12).unwrap_or(0);
    let Ok(month) = Month::try_from(u8::try_from(total % 12 + 1).unwrap_or(1)) else { return at };
    let day = start.day().min(month.length(year));
    let Ok(date) = Date::from_calendar_date(year, month, day) else { return at };
    let moved = start.replace_date(date);
    Timestamp(i64::try_from(moved.unix_timestamp_nanos() / 1_000_000).unwrap_or(at.millis()))
}

/// The start of the quota month holding `now`, months counted from `anchor` (a subscription's
/// start, or when the account began on the free plan): the quota resets each month on the
/// anchor's day and time. Before the anchor, the anchor itself.
pub fn quota_month_start(anchor: Timestamp, now: Timestamp) -> Timestamp {
    if now <= anchor {
        return anchor;
    }
    // A first guess from the average month, then exact steps.
    let guess = u32::try_from((now.millis() - anchor.millis()) / (30 * 24 * 3600 * 1000)).unwrap_or(0);
    let mut months = guess.saturating_sub(1);
    while add_months(anchor, months + 1) <= now {
        months += 1;
    }
    while months > 0 && add_months(anchor, months) > now {
        months -= 1;
    }
    add_months(anchor, months)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        let t = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap();
        Timestamp(i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap())
    }

    #[test]
    fn months_keep_the_day_or_end_the_shorter_month() {
        assert_eq!(add_months(at("2026-01-31T03:00:00Z"), 1), at("2026-02-28T03:00:00Z"));
        assert_eq!(add_months(at("2028-01-31T03:00:00Z"), 1), at("2028-02-29T03:00:00Z"));
        assert_eq!(add_months(at("2026-11-15T00:00:00Z"), 2), at("2027-01-15T00:00:00Z"));
        assert_eq!(add_months(at("2026-03-10T10:30:00Z"), 12), at("2027-03-10T10:30:00Z"));
    }

    #[test]
    fn a_quota_month_starts_on_the_anchors_day() {
        let anchor = at("2026-01-31T05:00:00Z");
        assert_eq!(quota_month_start(anchor, at("2026-01-31T05:00:00Z")), anchor);
        assert_eq!(quota_month_start(anchor, at("2026-02-27T23:00:00Z")), anchor);
        assert_eq!(quota_month_start(anchor, at("2026-02-28T05:00:00Z")), at("2026-02-28T05:00:00Z"));
        assert_eq!(quota_month_start(anchor, at("2026-04-30T04:59:59Z")), at("2026-03-31T05:00:00Z"));
        assert_eq!(quota_month_start(anchor, at("2029-07-01T00:00:00Z")), at("2029-06-30T05:00:00Z"));
        assert_eq!(quota_month_start(anchor, at("2025-12-01T00:00:00Z")), anchor);
    }

    #[test]
    fn an_unpaid_period_end_falls_back_to_free() {
        let end = Some(at("2026-02-01T00:00:00Z"));
        assert_eq!(effective_plan(Plan::Pro, end, at("2026-01-31T23:59:59Z")), Plan::Pro);
        assert_eq!(effective_plan(Plan::Pro, end, at("2026-02-01T00:00:00Z")), Plan::Free);
        assert_eq!(effective_plan(Plan::Unlimited, None, at("2030-01-01T00:00:00Z")), Plan::Unlimited);
    }
}
