use crate::http::api::auth::removal_cookie;
use crate::http::error::AppError;
use crate::http::extract::Caller;
use app::i18n::{negotiate, Tr};
use app::services::dashboard::{self, Stat};
use app::AppState;
use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequestParts, State};
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::CookieJar;
use domain::policy::{self, Capability};
use domain::Role;
use serde::Deserialize;
use store::User;

/// A logged-in person viewing a page, in their language; anyone else is sent to the login page.
pub struct Viewer {
    user: User,
    caller: Caller,
    tr: Tr,
}

/// The language for a page: the profile's choice, else the browser's, else `default_language`.
fn language(state: &AppState, parts: &Parts, user: Option<&User>) -> Tr {
    let accept = parts.headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let choice = user.map(|u| u.language).unwrap_or_default();
    Tr(negotiate(choice, accept, state.config.default_language))
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let to_login = || (CookieJar::new().remove(removal_cookie()), Redirect::to("/login")).into_response();
        let caller = match Caller::from_cookie(parts, state).await {
            Ok(Some(c)) => c,
            Ok(None) | Err(_) => return Err(to_login()),
        };
        match state.store.user(caller.actor.user_id).await {
            Ok(Some(user)) => Ok(Viewer { tr: language(state, parts, Some(&user)), user, caller }),
            Ok(None) => Err(to_login()),
            Err(e) => Err(AppError::from(e).into_response()),
        }
    }
}

pub struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub active: bool,
}

/// What the layout around every app page needs.
pub struct Shell {
    pub tr: Tr,
    /// Where the page shows times (the profile's time zone).
    pub time_zone: String,
    pub email: String,
    /// The role's name for styles, and as shown.
    pub role: &'static str,
    pub role_label: String,
    pub plan_label: String,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub demo: bool,
}

impl Shell {
    fn new(state: &AppState, viewer: &Viewer, active: &str) -> Shell {
        let role = viewer.user.role;
        let mut nav = vec![("/dashboard", "nav-dashboard")];
        if policy::allows(role, Capability::UseWhatsApp) {
            nav.push(("/outlet-status", "nav-outlet-status"));
            nav.push(("/outlets", "nav-outlets"));
            nav.push(("/messages", "nav-messages"));
            nav.push(("/contacts", "nav-contacts"));
            nav.push(("/templates", "nav-templates"));
            nav.push(("/blast", "nav-blasts"));
            nav.push(("/auto-replies", "nav-auto-replies"));
            nav.push(("/chatbots", "nav-chatbots"));
        }
        if policy::allows(role, Capability::ManageUsers) {
            nav.push(("/admin/users", "nav-users"));
        }
        if policy::allows(role, Capability::ManageBilling) {
            nav.push(("/admin/billing", "nav-admin-billing"));
        }
        if policy::allows(role, Capability::UseWhatsApp) {
            nav.push(("/integrations", "nav-integrations"));
            nav.push(("/webhooks", "nav-webhooks"));
            nav.push(("/api-keys", "nav-api-keys"));
            nav.push(("/billing", "nav-billing"));
        }
        nav.push(("/profile", "nav-profile"));
        let tr = viewer.tr;
        Shell {
            tr,
            time_zone: viewer.user.time_zone.clone(),
            email: viewer.user.email.clone(),
            role: role.as_str(),
            role_label: tr.t(&format!("role-{role}")),
            plan_label: tr.t(&format!("plan-{}", viewer.user.plan)),
            csrf: viewer.caller.browser_session().map(|(_, csrf)| csrf.to_string()).unwrap_or_default(),
            nav: nav
                .into_iter()
                .map(|(href, key)| NavItem { href, label: tr.t(key), active: href == active })
                .collect(),
            demo: state.config.demo,
        }
    }
}

fn render(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => AppError::internal(format!("template: {e}")).into_response(),
    }
}

pub async fn root(State(state): State<AppState>, parts: Parts) -> Redirect {
    match Caller::from_cookie(&parts, &state).await {
        Ok(Some(_)) => Redirect::to("/dashboard"),
        _ => Redirect::to("/login"),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    tr: Tr,
    registration_open: bool,
    demo_accounts: &'static [(&'static str, &'static str, &'static str)],
}

pub async fn login(State(state): State<AppState>, parts: Parts) -> Response {
    let demo_accounts: &'static [_] = if state.config.demo { &app::demo::ACCOUNTS_FOR_DISPLAY } else { &[] };
    let tr = language(&state, &parts, None);
    render(LoginPage { tr, registration_open: state.config.registration_open(), demo_accounts })
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    tr: Tr,
}

pub async fn register(State(state): State<AppState>, parts: Parts) -> Response {
    if !state.config.registration_open() {
        return Redirect::to("/login").into_response();
    }
    render(RegisterPage { tr: language(&state, &parts, None) })
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

/// The sidebar's logout button: a plain form post carrying the CSRF token as `_csrf`.
pub async fn logout(
    State(state): State<AppState>,
    parts: Parts,
    jar: CookieJar,
    form: Result<Form<LogoutForm>, FormRejection>,
) -> Response {
    let Ok(Some(caller)) = Caller::from_cookie(&parts, &state).await else {
        return Redirect::to("/login").into_response();
    };
    let Some(Form(form)) = form.ok().filter(|Form(f)| caller.csrf_matches(&f.csrf)) else {
        let tr = language(&state, &parts, None);
        return (StatusCode::FORBIDDEN, tr.t("logout-csrf-failed")).into_response();
    };
    let _ = form;
    let Ok((hash, _)) = caller.browser_session() else {
        return Redirect::to("/login").into_response();
    };
    if let Err(e) = app::services::accounts::logout(&state, hash).await {
        return AppError::from(e).into_response();
    }
    (jar.remove(removal_cookie()), Redirect::to("/login")).into_response()
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    shell: Shell,
    stats: Vec<Stat>,
    monitoring: bool,
}

pub async fn dashboard(State(state): State<AppState>, viewer: Viewer) -> Response {
    let stats = match dashboard::stats(&state, viewer.caller.actor).await {
        Ok(stats) => stats,
        Err(e) => return AppError::from(e).into_response(),
    };
    let monitoring = viewer.user.role == Role::Monitoring;
    render(DashboardPage { shell: Shell::new(&state, &viewer, "/dashboard"), stats, monitoring })
}

#[derive(Template)]
#[template(path = "outlets.html")]
struct OutletsPage {
    shell: Shell,
    staff: bool,
}

pub async fn outlets(State(state): State<AppState>, viewer: Viewer) -> Response {
    if policy::whatsapp_scope(viewer.caller.actor).is_err() {
        return forbidden_page(&state, &viewer);
    }
    let staff = viewer.user.role.is_staff();
    render(OutletsPage { shell: Shell::new(&state, &viewer, "/outlets"), staff })
}

#[derive(Template)]
#[template(path = "outlet_status.html")]
struct OutletStatusPage {
    shell: Shell,
}

pub async fn outlet_status(State(state): State<AppState>, viewer: Viewer) -> Response {
    if policy::whatsapp_scope(viewer.caller.actor).is_err() {
        return forbidden_page(&state, &viewer);
    }
    render(OutletStatusPage { shell: Shell::new(&state, &viewer, "/outlet-status") })
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    shell: Shell,
    superadmin: bool,
}

pub async fn users(State(state): State<AppState>, viewer: Viewer) -> Response {
    if !policy::allows(viewer.user.role, Capability::ManageUsers) {
        return forbidden_page(&state, &viewer);
    }
    let superadmin = policy::allows(viewer.user.role, Capability::ManageStaff);
    render(UsersPage { shell: Shell::new(&state, &viewer, "/admin/users"), superadmin })
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    shell: Shell,
    name: String,
    language: &'static str,
    time_zones: Vec<ZoneOption>,
}

struct ZoneOption {
    value: &'static str,
    label: String,
    selected: bool,
}

pub async fn profile(State(state): State<AppState>, viewer: Viewer) -> Response {
    let name = viewer.user.name.clone();
    let language = viewer.user.language.as_str();
    let time_zones = domain::TIME_ZONES
        .iter()
        .map(|zone| ZoneOption {
            value: zone,
            label: viewer.tr.t(&format!("time-zone-{}", zone.replace('/', "-"))),
            selected: *zone == viewer.user.time_zone,
        })
        .collect();
    let shell = Shell::new(&state, &viewer, "/profile");
    render(ProfilePage { shell, name, language, time_zones })
}

#[derive(Template)]
#[template(path = "messages.html")]
struct MessagesPage {
    shell: Shell,
}

pub async fn messages(State(state): State<AppState>, viewer: Viewer) -> Response {
    if policy::whatsapp_scope(viewer.caller.actor).is_err() {
        return forbidden_page(&state, &viewer);
    }
    render(MessagesPage { shell: Shell::new(&state, &viewer, "/messages") })
}

#[derive(Template)]
#[template(path = "contacts.html")]
struct ContactsPage {
    shell: Shell,
    /// Each tag colour's value and its name in the viewer's language.
    colors: Vec<(&'static str, String)>,
}

pub async fn contacts(State(state): State<AppState>, viewer: Viewer) -> Response {
    if policy::whatsapp_scope(viewer.caller.actor).is_err() {
        return forbidden_page(&state, &viewer);
    }
    let colors = domain::TagColor::ALL.iter().map(|c| (c.as_str(), viewer.tr.t(&format!("color-{c}")))).collect();
    render(ContactsPage { shell: Shell::new(&state, &viewer, "/contacts"), colors })
}

#[derive(Template)]
#[template(path = "api_keys.html")]
struct ApiKeysPage {
    shell: Shell,
}

pub async fn api_keys(State(state): State<AppState>, viewer: Viewer) -> Response {
    if policy::whatsapp_scope(viewer.caller.actor).is_err() {
        return forbidden_page(&state, &viewer);
    }
    render(ApiKeysPage { shell: Shell::new(&state, &viewer, "/api-keys") })
}

#[derive(Template)]
#[template(path = "billing.html")]
struct BillingPage {
    shell: Shell,
}

pub async fn billing(State(state): State<AppState>, viewer: Viewer) -> Response {
    if policy::whatsapp_scope(viewer.caller.actor).is_err() {
        return forbidden_page(&state, &viewer);
    }
    render(BillingPage { shell: Shell::new(&state, &viewer, "/billing") })
}

#[derive(Template)]
#[template(path = "billing_sandbox.html")]
struct BillingSandboxPage {
    shell: Shell,
    number: String,
    plan: String,
    amount: String,
    status: String,
}

/// The sandbox's payment page for one of the viewer's invoices.
pub async fn billing_sandbox(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Path(number): axum::extract::Path<String>,
) -> Response {
    if !state.config.sandbox {
        return forbidden_page(&state, &viewer);
    }
    let Ok(invoice) = app::services::payments::own_invoice(&state, viewer.caller.actor, &number).await else {
        return forbidden_page(&state, &viewer);
    };
    let tr = viewer.tr;
    let page = BillingSandboxPage {
        shell: Shell::new(&state, &viewer, "/billing"),
        number: invoice.number,
        plan: format!("{} · {}", invoice.plan, tr.t(&format!("js-billing-cycle-{}", invoice.cycle))),
        amount: invoice.amount.to_string(),
        status: tr.t(&format!("js-billing-invoice-{}", invoice.status)),
    };
    render(page)
}

#[derive(Template)]
#[template(path = "admin_billing.html")]
struct AdminBillingPage {
    shell: Shell,
}

pub async fn admin_billing(State(state): State<AppState>, viewer: Viewer) -> Response {
    if !policy::allows(viewer.user.role, Capability::ManageBilling) {
        return forbidden_page(&state, &viewer);
    }
    render(AdminBillingPage { shell: Shell::new(&state, &viewer, "/admin/billing") })
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    shell: Shell,
}

pub async fn webhooks(State(state): State<AppState>, viewer: Viewer) -> Response {
    if policy::whatsapp_scope(viewer.caller.actor).is_err() {
        return forbidden_page(&state, &viewer);
    }
    render(WebhooksPage { shell: Shell::new(&state, &viewer, "/webhooks") })
}

#[derive(Template)]
#[template(path = "templates.html")]
struct TemplatesPage {
    shell: Shell,
    /// Each variable the viewer's templates may use, and how it is written in a body.
    variables: Vec<(String, String)>,
    /// The largest image or document a template may carry.
    media_max_kib: usize,
}

pub async fn templates(State(state): State<AppState>, viewer: Viewer) -> Response {
    if policy::whatsapp_scope(viewer.caller.actor).is_err() {
        return forbidden_page(&state, &viewer);
    }
    let variables = match app::services::templates::variables(&state, viewer.user.id).await {
        Ok(names) => names.into_iter().map(|v| (v.clone(), format!("{{{{{v}}}}}"))).collect(),
        Err(e) => return AppError::from(e).into_response(),
    };
    let media_max_kib = state.config.media_max_kib;
    render(TemplatesPage { shell: Shell::new(&state, &viewer, "/templates"), variables, media_max_kib })
}

#[derive(Template)]
#[template(path = "blasts.html")]
struct BlastsPage {
    shell: Shell,
}

pub async fn blasts(State(state): State<AppState>, viewer: Viewer) -> Response {
    if policy::whatsapp_scope(viewer.caller.actor).is_err() {
        return forbidden_page(&state, &viewer);
    }
    render(BlastsPage { shell: Shell::new(&state, &viewer, "/blast") })
}

#[derive(Template)]
#[template(path = "auto_replies.html")]
struct AutoRepliesPage {
    shell: Shell,
    /// Each variable a reply may use, and how it is written in a reply (as on the templates page).
    variables: Vec<(String, String)>,
}

pub async fn auto_replies(State(state): State<AppState>, viewer: Viewer) -> Response {
    if policy::whatsapp_scope(viewer.caller.actor).is_err() {
        return forbidden_page(&state, &viewer);
    }
    let variables = match app::services::templates::variables(&state, viewer.user.id).await {
        Ok(names) => names.into_iter().map(|v| (v.clone(), format!("{{{{{v}}}}}"))).collect(),
        Err(e) => return AppError::from(e).into_response(),
    };
    render(AutoRepliesPage { shell: Shell::new(&state, &viewer, "/auto-replies"), variables })
}

#[derive(Template)]
#[template(path = "chatbots.html")]
struct ChatbotsPage {
    shell: Shell,
}

pub async fn chatbots(State(state): State<AppState>, viewer: Viewer) -> Response {
    if policy::whatsapp_scope(viewer.caller.actor).is_err() {
        return forbidden_page(&state, &viewer);
    }
    render(ChatbotsPage { shell: Shell::new(&state, &viewer, "/chatbots") })
}

#[derive(Template)]
#[template(path = "integrations.html")]
struct IntegrationsPage {
    shell: Shell,
    /// Each variable a format may use, and how it is written.
    variables: Vec<(String, String)>,
}

pub async fn integrations(State(state): State<AppState>, viewer: Viewer) -> Response {
    if policy::whatsapp_scope(viewer.caller.actor).is_err() {
        return forbidden_page(&state, &viewer);
    }
    let variables = app::services::integrations::render::VARIABLES
        .iter()
        .map(|v| (v.to_string(), format!("{{{{{v}}}}}")))
        .collect();
    render(IntegrationsPage { shell: Shell::new(&state, &viewer, "/integrations"), variables })
}

#[derive(Template)]
#[template(path = "forbidden.html")]
struct ForbiddenPage {
    shell: Shell,
}

fn forbidden_page(state: &AppState, viewer: &Viewer) -> Response {
    let page = ForbiddenPage { shell: Shell::new(state, viewer, "") };
    (StatusCode::FORBIDDEN, render(page)).into_response()
}
