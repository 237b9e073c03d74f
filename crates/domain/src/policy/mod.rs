//! Who may do what. One table ([`POLICY`]) plus the few rules that depend on the target.
//!
//! Handlers never compare roles themselves; they ask this module, so the rules are tested here
//! once and hold for the API and the pages alike.

pub mod endpoints;

use crate::{Role, UserId};

/// What an actor is allowed to do, independent of which resource it touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Outlets, devices, messages and the rest of the WhatsApp features, on one's own resources.
    UseWhatsApp,
    /// The same features on every tenant's resources.
    ActOnAllTenants,
    /// Platform-wide aggregate numbers (the monitoring dashboard).
    ViewPlatformAggregates,
    /// List and create users; change a user's role, plan or disabled flag.
    ManageUsers,
    /// Create, promote to, demote or disable admins and superadmins.
    ManageStaff,
    /// Change one's own password and profile.
    EditOwnProfile,
    /// Edit plans and payment settings; record payments.
    ManageBilling,
}

use Capability::*;

/// The policy table: every role and exactly what it may do.
pub const POLICY: &[(Role, &[Capability])] = &[
    (Role::User, &[UseWhatsApp, EditOwnProfile]),
    (Role::Admin, &[UseWhatsApp, ActOnAllTenants, ViewPlatformAggregates, ManageUsers, EditOwnProfile, ManageBilling]),
    (
        Role::Superadmin,
        &[
            UseWhatsApp,
            ActOnAllTenants,
            ViewPlatformAggregates,
            ManageUsers,
            ManageStaff,
            EditOwnProfile,
            ManageBilling,
        ],
    ),
    (Role::Monitoring, &[ViewPlatformAggregates, EditOwnProfile]),
];

pub fn allows(role: Role, capability: Capability) -> bool {
    POLICY.iter().find(|(r, _)| *r == role).is_some_and(|(_, caps)| caps.contains(&capability))
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub role: Role,
}

/// Which tenants' rows a query may touch. Every tenant-owned store function takes one.
///
/// Only this module makes scopes ([`whatsapp_scope`] for a request's actor, [`system_scope`]
/// for the server's own work), so a handler cannot widen its reach by building one:
///
/// ```compile_fail
/// let everything = kewhats_domain::Scope::All;
/// ```
/// ```compile_fail
/// let someone_else = kewhats_domain::Scope::Owner(kewhats_domain::UserId(2));
/// ```
/// ```
/// use kewhats_domain::{policy::whatsapp_scope, Actor, Role, UserId};
/// let mine = whatsapp_scope(Actor { user_id: UserId(2), role: Role::User }).unwrap();
/// assert_eq!(mine.owner(), Some(UserId(2)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope(Reach);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    Owner(UserId),
    All,
}

impl Scope {
    /// The one tenant this scope is limited to; `None` for every tenant.
    pub fn owner(self) -> Option<UserId> {
        match self.0 {
            Reach::Owner(id) => Some(id),
            Reach::All => None,
        }
    }

    /// May rows owned by `owner` be seen in this scope?
    pub fn covers(self, owner: UserId) -> bool {
        self.owner().is_none_or(|mine| mine == owner)
    }
}

/// Every tenant's rows, for the server's own work: device sessions, workers, the CLI and demo
/// seeding. Never for a request: those get [`whatsapp_scope`].
pub fn system_scope() -> Scope {
    Scope(Reach::All)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The role lacks the capability.
    #[error("{}", missing_text(*.0))]
    Missing(Capability),
    #[error("you cannot disable your own account")]
    DisableSelf,
    #[error("this is the last active superadmin; promote another superadmin first")]
    LastSuperadmin,
}

fn missing_text(capability: Capability) -> &'static str {
    match capability {
        UseWhatsApp | ActOnAllTenants => "your role may not use WhatsApp features",
        ViewPlatformAggregates => "only monitoring and admin roles may view platform numbers",
        ManageUsers => "only admins may manage users",
        ManageStaff => "only a superadmin may create, promote, demote or disable admins",
        EditOwnProfile => "your role may not edit its profile",
        ManageBilling => "only admins may change plans and payments",
    }
}

/// The scope for WhatsApp features: one's own resources, or all of them for staff.
/// Monitoring gets none: it sees aggregates only.
pub fn whatsapp_scope(actor: Actor) -> Result<Scope, Denied> {
    if !allows(actor.role, UseWhatsApp) {
        return Err(Denied::Missing(UseWhatsApp));
    }
    Ok(Scope(if allows(actor.role, ActOnAllTenants) { Reach::All } else { Reach::Owner(actor.user_id) }))
}

pub fn require(actor: Actor, capability: Capability) -> Result<(), Denied> {
    if allows(actor.role, capability) {
        Ok(())
    } else {
        Err(Denied::Missing(capability))
    }
}

/// May `actor` create a user with `role`?
pub fn check_create_user(actor: Actor, role: Role) -> Result<(), Denied> {
    require(actor, ManageUsers)?;
    if role.is_staff() {
        require(actor, ManageStaff)?;
    }
    Ok(())
}

/// A requested change to another user's account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserChange {
    pub role: Option<crate::Role>,
    pub plan: Option<crate::Plan>,
    pub disabled: Option<bool>,
}

/// The target of a user change as it is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserTarget {
    pub id: UserId,
    pub role: Role,
    pub disabled: bool,
}

/// May `actor` apply `change` to `target`? `active_superadmins` counts enabled superadmins
/// including the target; the store re-checks it inside the write's transaction.
pub fn check_user_change(
    actor: Actor,
    target: UserTarget,
    change: UserChange,
    active_superadmins: u64,
) -> Result<(), Denied> {
    require(actor, ManageUsers)?;
    let role_changes = change.role.is_some_and(|r| r != target.role);
    let disabling = change.disabled == Some(true) && !target.disabled;
    if role_changes {
        let new_role = change.role.unwrap_or(target.role);
        if target.role.is_staff() || new_role.is_staff() {
            require(actor, ManageStaff)?;
        }
    }
    if change.disabled.is_some_and(|d| d != target.disabled) && target.role.is_staff() {
        require(actor, ManageStaff)?;
    }
    if disabling && target.id == actor.user_id {
        return Err(Denied::DisableSelf);
    }
    if removes_superadmin(target, change) && active_superadmins <= 1 {
        return Err(Denied::LastSuperadmin);
    }
    Ok(())
}

/// Does the change take an active superadmin away (demotion or disabling)?
pub fn removes_superadmin(target: UserTarget, change: UserChange) -> bool {
    target.role == Role::Superadmin
        && !target.disabled
        && (change.role.is_some_and(|r| r != Role::Superadmin) || change.disabled == Some(true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Plan;

    fn actor(role: Role) -> Actor {
        Actor { user_id: UserId(1), role }
    }

    fn target(role: Role) -> UserTarget {
        UserTarget { id: UserId(2), role, disabled: false }
    }

    #[test]
    fn the_policy_table_lists_every_role_once() {
        for role in Role::ALL {
            assert_eq!(POLICY.iter().filter(|(r, _)| r == role).count(), 1, "{role}");
        }
    }

    #[test]
    fn capabilities_per_role() {
        let expect = [
            (Role::User, [true, false, false, false, false, true]),
            (Role::Admin, [true, true, true, true, false, true]),
            (Role::Superadmin, [true, true, true, true, true, true]),
            (Role::Monitoring, [false, false, true, false, false, true]),
        ];
        let caps = [UseWhatsApp, ActOnAllTenants, ViewPlatformAggregates, ManageUsers, ManageStaff, EditOwnProfile];
        for (role, row) in expect {
            for (cap, want) in caps.iter().zip(row) {
                assert_eq!(allows(role, *cap), want, "{role} {cap:?}");
            }
        }
    }

    #[test]
    fn scopes() {
        assert_eq!(whatsapp_scope(actor(Role::User)).map(Scope::owner), Ok(Some(UserId(1))));
        assert_eq!(whatsapp_scope(actor(Role::Admin)), Ok(system_scope()));
        assert_eq!(whatsapp_scope(actor(Role::Superadmin)), Ok(system_scope()));
        assert!(whatsapp_scope(actor(Role::Monitoring)).is_err());
    }

    #[test]
    fn only_staff_change_roles_and_plans() {
        let plan = UserChange { plan: Some(Plan::Pro), ..Default::default() };
        for role in [Role::User, Role::Monitoring] {
            assert!(check_user_change(actor(role), target(Role::User), plan, 1).is_err());
        }
        assert!(check_user_change(actor(Role::Admin), target(Role::User), plan, 1).is_ok());
        let to_monitoring = UserChange { role: Some(Role::Monitoring), ..Default::default() };
        assert!(check_user_change(actor(Role::Admin), target(Role::User), to_monitoring, 1).is_ok());
    }

    #[test]
    fn only_superadmin_creates_or_demotes_staff() {
        for staff in [Role::Admin, Role::Superadmin] {
            assert!(check_create_user(actor(Role::Admin), staff).is_err());
            assert!(check_create_user(actor(Role::Superadmin), staff).is_ok());
            let promote = UserChange { role: Some(staff), ..Default::default() };
            assert!(check_user_change(actor(Role::Admin), target(Role::User), promote, 2).is_err());
            assert!(check_user_change(actor(Role::Superadmin), target(Role::User), promote, 2).is_ok());
        }
        let demote = UserChange { role: Some(Role::User), ..Default::default() };
        assert!(check_user_change(actor(Role::Admin), target(Role::Admin), demote, 2).is_err());
        assert!(check_user_change(actor(Role::Superadmin), target(Role::Admin), demote, 2).is_ok());
        let disable = UserChange { disabled: Some(true), ..Default::default() };
        assert!(check_user_change(actor(Role::Admin), target(Role::Admin), disable, 2).is_err());
        assert!(check_create_user(actor(Role::Admin), Role::User).is_ok());
        assert!(check_create_user(actor(Role::User), Role::User).is_err());
    }

    #[test]
    fn nobody_removes_the_last_superadmin() {
        let demote = UserChange { role: Some(Role::Admin), ..Default::default() };
        let disable = UserChange { disabled: Some(true), ..Default::default() };
        let sa = actor(Role::Superadmin);
        assert_eq!(check_user_change(sa, target(Role::Superadmin), demote, 1), Err(Denied::LastSuperadmin));
        assert_eq!(check_user_change(sa, target(Role::Superadmin), disable, 1), Err(Denied::LastSuperadmin));
        assert!(check_user_change(sa, target(Role::Superadmin), demote, 2).is_ok());
        let me = UserTarget { id: UserId(1), role: Role::Superadmin, disabled: false };
        assert_eq!(check_user_change(sa, me, demote, 1), Err(Denied::LastSuperadmin));
        assert!(check_user_change(sa, me, disable, 3).is_err(), "nobody disables themselves");
        let plan_only = UserChange { plan: Some(Plan::Pro), ..Default::default() };
        assert!(check_user_change(sa, me, plan_only, 1).is_ok());
    }
}
