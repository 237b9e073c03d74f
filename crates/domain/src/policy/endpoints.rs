//! What every caller gets from every API operation: the policy table above, as seen over HTTP.
//!
//! The role × endpoint test (`crates/server/tests/api/access_matrix.rs`) calls each operation of
//! the OpenAPI document as each caller below, once with the session cookie and once with an API
//! key, and compares the answer's class with this table. An operation missing here, or a row
//! the document no longer has, fails that test; so a new route starts here.
//!
//! Path ids name the resources of one tenant, "the owner" (a plain user): their outlet, its
//! device, their message, webhook, delivery, API key, and their own user record.

use crate::Role;

/// The class of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Served: 2xx, or a 4xx about the request itself (400, 409, 413, 415, 422, 429).
    Ok,
    /// 401: not logged in.
    Unauthorized,
    /// 403: the role may not do this.
    Forbidden,
    /// 404: not this caller's to see (another tenant's resource looks absent).
    NotFound,
}

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Anonymous,
    /// The user who owns the resources in the path.
    Owner,
    /// Another plain user.
    OtherTenant,
    Staff(Role),
}

impl Who {
    pub const ALL: [Who; 6] = [
        Who::Anonymous,
        Who::Owner,
        Who::OtherTenant,
        Who::Staff(Role::Monitoring),
        Who::Staff(Role::Admin),
        Who::Staff(Role::Superadmin),
    ];
}

/// One operation: method, path template as in the OpenAPI document, and the answers for
/// [`Who::ALL`] in order: anonymous, owner, other tenant, monitoring, admin, superadmin.
pub type Row = (&'static str, &'static str, [Answer; 6]);

use Answer::{Forbidden as F, NotFound as N, Ok as O, Unauthorized as U};

#[rustfmt::skip]
pub const ENDPOINTS: &[Row] = &[
    //                                                                anon owner other monit admin super
    ("POST",   "/api/auth/login",                                    [O, O, O, O, O, O]),
    ("POST",   "/api/auth/register",                                 [O, O, O, O, O, O]),
    ("POST",   "/api/auth/logout",                                   [U, O, O, O, O, O]),
    ("POST",   "/api/auth/logout-all",                               [U, O, O, O, O, O]),
    ("GET",    "/api/me",                                            [U, O, O, O, O, O]),
    ("PATCH",  "/api/me",                                            [U, O, O, O, O, O]),
    ("POST",   "/api/me/password",                                   [U, O, O, O, O, O]),
    ("GET",    "/api/openapi.json",                                  [O, O, O, O, O, O]),
    ("GET",    "/api/docs",                                          [O, O, O, O, O, O]),
    // API keys are one's own, even for staff.
    ("GET",    "/api/keys",                                          [U, O, O, F, O, O]),
    ("POST",   "/api/keys",                                          [U, O, O, F, O, O]),
    ("DELETE", "/api/keys/{id}",                                     [U, O, N, F, N, N]),
    ("GET",    "/api/outlets",                                       [U, O, O, F, O, O]),
    ("POST",   "/api/outlets",                                       [U, O, O, F, O, O]),
    ("GET",    "/api/outlets/status",                                [U, O, O, F, O, O]),
    ("GET",    "/api/outlets/{id}",                                  [U, O, N, F, O, O]),
    ("PATCH",  "/api/outlets/{id}",                                  [U, O, N, F, O, O]),
    ("DELETE", "/api/outlets/{id}",                                  [U, O, N, F, O, O]),
    ("GET",    "/api/outlets/{id}/device",                           [U, O, N, F, O, O]),
    ("DELETE", "/api/outlets/{id}/device",                           [U, O, N, F, O, O]),
    ("POST",   "/api/outlets/{id}/device/connect",                   [U, O, N, F, O, O]),
    ("GET",    "/api/outlets/{id}/device/qr",                        [U, O, N, F, O, O]),
    ("POST",   "/api/outlets/{id}/device/pairing-code",              [U, O, N, F, O, O]),
    ("POST",   "/api/outlets/{id}/device/logout",                    [U, O, N, F, O, O]),
    ("GET",    "/api/outlets/{id}/device/history",                   [U, O, N, F, O, O]),
    ("GET",    "/api/events",                                        [U, O, O, F, O, O]),
    ("GET",    "/api/messages",                                      [U, O, O, F, O, O]),
    ("POST",   "/api/messages",                                      [U, O, N, F, O, O]),
    ("GET",    "/api/messages/{id}",                                 [U, O, N, F, O, O]),
    // Integrations and webhooks are one's own, even for staff: they carry the owner's messages.
    ("GET",    "/api/integrations",                                  [U, O, O, F, O, O]),
    ("POST",   "/api/integrations",                                  [U, O, O, F, O, O]),
    ("GET",    "/api/integrations/{id}",                             [U, O, N, F, N, N]),
    ("PATCH",  "/api/integrations/{id}",                             [U, O, N, F, N, N]),
    ("DELETE", "/api/integrations/{id}",                             [U, O, N, F, N, N]),
    ("POST",   "/api/integrations/{id}/test",                        [U, O, N, F, N, N]),
    ("GET",    "/api/integrations/{id}/log",                         [U, O, N, F, N, N]),
    ("PUT",    "/api/integrations/{id}/replies",                     [U, O, N, F, N, N]),
    ("GET",    "/api/plans",                                         [U, O, O, F, O, O]),
    ("GET",    "/api/billing",                                       [U, O, O, F, O, O]),
    ("PUT",    "/api/admin/plans/{code}",                            [U, F, F, F, O, O]),
    ("POST",   "/api/billing/checkout",                              [U, O, O, F, O, O]),
    ("GET",    "/api/billing/invoices",                              [U, O, O, F, O, O]),
    ("GET",    "/api/admin/payment-gateways",                        [U, F, F, F, O, O]),
    ("PUT",    "/api/admin/payment-gateways/{gateway}",              [U, F, F, F, O, O]),
    // Midtrans' notification: only its signature gets in.
    ("POST",   "/api/payments/midtrans",                             [U, U, U, U, U, U]),
    ("POST",   "/api/billing/sandbox/{number}",                      [U, O, N, F, N, N]),
    ("DELETE", "/api/integrations/{id}/replies",                     [U, O, N, F, N, N]),
    // Telegram's webhook: only its secret token gets in, whoever is logged in.
    ("POST",   "/api/integrations/{id}/telegram",                    [U, U, U, U, U, U]),
    ("GET",    "/api/webhooks",                                      [U, O, O, F, O, O]),
    ("POST",   "/api/webhooks",                                      [U, O, O, F, O, O]),
    ("GET",    "/api/webhooks/{id}",                                 [U, O, N, F, N, N]),
    ("PATCH",  "/api/webhooks/{id}",                                 [U, O, N, F, N, N]),
    ("DELETE", "/api/webhooks/{id}",                                 [U, O, N, F, N, N]),
    ("GET",    "/api/webhooks/{id}/secret",                          [U, O, N, F, N, N]),
    ("GET",    "/api/webhooks/{id}/deliveries",                      [U, O, N, F, N, N]),
    ("GET",    "/api/webhooks/{id}/deliveries/{delivery}",           [U, O, N, F, N, N]),
    ("POST",   "/api/webhooks/{id}/deliveries/{delivery}/redeliver", [U, O, N, F, N, N]),
    ("POST",   "/api/webhooks/{id}/redeliver-failed",                [U, O, N, F, N, N]),
    ("POST",   "/api/webhooks/{id}/test",                            [U, O, N, F, N, N]),
    ("GET",    "/api/contacts",                                      [U, O, O, F, O, O]),
    ("POST",   "/api/contacts",                                      [U, O, O, F, O, O]),
    ("GET",    "/api/contacts/{id}",                                 [U, O, N, F, O, O]),
    ("PATCH",  "/api/contacts/{id}",                                 [U, O, N, F, O, O]),
    ("DELETE", "/api/contacts/{id}",                                 [U, O, N, F, O, O]),
    // The body names one of the owner's tags: another tenant's call finds no such tag.
    ("POST",   "/api/contacts/bulk",                                 [U, O, N, F, O, O]),
    ("GET",    "/api/tags",                                          [U, O, O, F, O, O]),
    ("POST",   "/api/tags",                                          [U, O, O, F, O, O]),
    ("PATCH",  "/api/tags/{id}",                                     [U, O, N, F, O, O]),
    ("DELETE", "/api/tags/{id}",                                     [U, O, N, F, O, O]),
    ("POST",   "/api/contacts/{id}/opt-in",                          [U, O, N, F, O, O]),
    ("GET",    "/api/auto-replies",                                  [U, O, O, F, O, O]),
    ("POST",   "/api/auto-replies",                                  [U, O, O, F, O, O]),
    ("POST",   "/api/auto-replies/test",                             [U, O, O, F, O, O]),
    ("GET",    "/api/auto-replies/{id}",                             [U, O, N, F, O, O]),
    ("PATCH",  "/api/auto-replies/{id}",                             [U, O, N, F, O, O]),
    ("DELETE", "/api/auto-replies/{id}",                             [U, O, N, F, O, O]),
    ("GET",    "/api/chatbots",                                      [U, O, O, F, O, O]),
    ("POST",   "/api/chatbots",                                      [U, O, O, F, O, O]),
    ("POST",   "/api/chatbots/import",                               [U, O, O, F, O, O]),
    ("POST",   "/api/chatbots/simulate",                             [U, O, O, F, O, O]),
    ("GET",    "/api/chatbots/{id}",                                 [U, O, N, F, O, O]),
    ("PATCH",  "/api/chatbots/{id}",                                 [U, O, N, F, O, O]),
    ("PUT",    "/api/chatbots/{id}",                                 [U, O, N, F, O, O]),
    ("DELETE", "/api/chatbots/{id}",                                 [U, O, N, F, O, O]),
    ("POST",   "/api/chatbots/{id}/activate",                        [U, O, N, F, O, O]),
    ("POST",   "/api/chatbots/{id}/deactivate",                      [U, O, N, F, O, O]),
    ("POST",   "/api/chatbots/{id}/duplicate",                       [U, O, N, F, O, O]),
    ("GET",    "/api/chatbots/{id}/export",                          [U, O, N, F, O, O]),
    ("GET",    "/api/chatbots/sessions",                             [U, O, O, F, O, O]),
    ("POST",   "/api/chatbots/sessions/{id}/hand-over",              [U, O, N, F, O, O]),
    ("POST",   "/api/chatbots/sessions/{id}/resume",                 [U, O, N, F, O, O]),
    ("POST",   "/api/chatbots/sessions/{id}/close",                  [U, O, N, F, O, O]),
    ("GET",    "/api/templates",                                     [U, O, O, F, O, O]),
    ("POST",   "/api/templates",                                     [U, O, O, F, O, O]),
    ("POST",   "/api/templates/preview",                             [U, O, N, F, O, O]),
    ("GET",    "/api/templates/{id}",                                [U, O, N, F, O, O]),
    ("PATCH",  "/api/templates/{id}",                                [U, O, N, F, O, O]),
    ("DELETE", "/api/templates/{id}",                                [U, O, N, F, O, O]),
    ("PUT",    "/api/templates/{id}/media",                          [U, O, N, F, O, O]),
    ("GET",    "/api/templates/{id}/media",                          [U, O, N, F, O, O]),
    ("DELETE", "/api/templates/{id}/media",                          [U, O, N, F, O, O]),
    ("POST",   "/api/contacts/imports",                              [U, O, O, F, O, O]),
    ("GET",    "/api/contacts/imports/{id}",                         [U, O, N, F, N, N]),
    ("GET",    "/api/contacts/export",                               [U, O, O, F, O, O]),
    ("GET",    "/api/blasts",                                        [U, O, O, F, O, O]),
    // The body names one of the owner's outlets: another tenant's call finds no such outlet.
    ("POST",   "/api/blasts",                                        [U, O, N, F, O, O]),
    ("POST",   "/api/blasts/preview",                                [U, O, N, F, O, O]),
    ("GET",    "/api/blasts/{id}",                                   [U, O, N, F, O, O]),
    ("POST",   "/api/blasts/{id}/start",                             [U, O, N, F, O, O]),
    ("POST",   "/api/blasts/{id}/schedule",                          [U, O, N, F, O, O]),
    ("POST",   "/api/blasts/{id}/pause",                             [U, O, N, F, O, O]),
    ("POST",   "/api/blasts/{id}/resume",                            [U, O, N, F, O, O]),
    ("POST",   "/api/blasts/{id}/cancel",                            [U, O, N, F, O, O]),
    ("POST",   "/api/blasts/{id}/duplicate",                         [U, O, N, F, O, O]),
    ("POST",   "/api/blasts/{id}/resend-failed",                     [U, O, N, F, O, O]),
    ("GET",    "/api/blasts/{id}/recipients",                        [U, O, N, F, O, O]),
    ("GET",    "/api/blasts/{id}/recipients.csv",                    [U, O, N, F, O, O]),
    // A draft's image or document (PUT and DELETE answer 409 once it is not a draft).
    ("PUT",    "/api/blasts/{id}/media",                             [U, O, N, F, O, O]),
    ("GET",    "/api/blasts/{id}/media",                             [U, O, N, F, O, O]),
    ("DELETE", "/api/blasts/{id}/media",                             [U, O, N, F, O, O]),
    ("GET",    "/api/blasts/schedules",                              [U, O, O, F, O, O]),
    ("POST",   "/api/blasts/schedules/{id}/stop",                    [U, O, N, F, O, O]),
    ("GET",    "/api/admin/users",                                   [U, F, F, F, O, O]),
    ("POST",   "/api/admin/users",                                   [U, F, F, F, O, O]),
    ("GET",    "/api/admin/users/{id}",                              [U, F, F, F, O, O]),
    ("PATCH",  "/api/admin/users/{id}",                              [U, F, F, F, O, O]),
    ("POST",   "/api/sandbox/outlets/{id}/scan",                     [U, O, N, F, O, O]),
    ("POST",   "/api/sandbox/outlets/{id}/inbound",                  [U, O, N, F, O, O]),
    ("POST",   "/api/sandbox/outlets/{id}/fault",                    [U, O, N, F, O, O]),
];

/// What the monitoring role may change: its own profile, password and sessions. Everything else
/// it may only read (specification: it creates, edits and deletes nothing).
/// Where a provider posts (Telegram's updates): its secret gets in, a login does not; every
/// caller of the matrix, holding none, gets 401.
pub const PROVIDER_CALLBACKS: &[&str] = &["/api/integrations/{id}/telegram", "/api/payments/midtrans"];

pub const MONITORING_MAY_CHANGE: &[&str] = &[
    "/api/auth/login",
    "/api/auth/register",
    "/api/auth/logout",
    "/api/auth/logout-all",
    "/api/me",
    "/api/me/password",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitoring_changes_nothing_but_its_own_account() {
        let monitoring = Who::ALL.iter().position(|c| *c == Who::Staff(Role::Monitoring)).expect("a column");
        for (method, path, answers) in ENDPOINTS {
            let mutation = *method != "GET";
            let whatsapp = !path.starts_with("/api/auth")
                && !path.starts_with("/api/me")
                && !path.starts_with("/api/admin")
                && !matches!(*path, "/api/openapi.json" | "/api/docs");
            if PROVIDER_CALLBACKS.contains(path) {
                assert_eq!(answers, &[Answer::Unauthorized; 6], "{method} {path}: only the provider's secret gets in");
                continue;
            }
            if (mutation && !MONITORING_MAY_CHANGE.contains(path)) || whatsapp {
                assert_eq!(answers[monitoring], Answer::Forbidden, "monitoring must get 403 on {method} {path}");
            }
        }
    }

    #[test]
    fn each_operation_is_listed_once() {
        let mut seen = std::collections::BTreeSet::new();
        for (method, path, _) in ENDPOINTS {
            assert!(seen.insert((method, path)), "{method} {path} is listed twice");
        }
    }
}
