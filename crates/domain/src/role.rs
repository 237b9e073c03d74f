use serde::{Deserialize, Serialize};

/// Who a user is on the platform. See [`crate::policy`] for what each may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(description = "`user` (an owner), `admin`, `superadmin`, or `monitoring` (read-only platform numbers)")]
pub enum Role {
    User,
    Admin,
    Superadmin,
    Monitoring,
}

/// A subscription plan. Limits per plan arrive with the features they limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Free,
    Pro,
    Enterprise,
    Unlimited,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} '{value}': expected one of {expected}")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
    pub expected: &'static str,
}

macro_rules! string_enum {
    ($ty:ident, $kind:literal, $($variant:ident => $text:literal),+) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($text => Ok($ty::$variant),)+
                    _ => Err($crate::UnknownValue {
                        kind: $kind,
                        value: s.to_string(),
                        expected: concat!($($text, " "),+),
                    }),
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use string_enum;

string_enum!(Role, "role", User => "user", Admin => "admin", Superadmin => "superadmin", Monitoring => "monitoring");
string_enum!(Plan, "plan", Free => "free", Pro => "pro", Enterprise => "enterprise", Unlimited => "unlimited");

impl Role {
    /// Admins and superadmins: the roles that see and manage every tenant's resources.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Admin | Role::Superadmin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_plans_round_trip_through_text() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), *r);
        }
        for p in Plan::ALL {
            assert_eq!(p.as_str().parse::<Plan>().unwrap(), *p);
        }
        assert_eq!(" Admin ".parse::<Role>().unwrap(), Role::Admin);
    }

    #[test]
    fn unknown_role_names_the_choices() {
        let err = "root".parse::<Role>().unwrap_err();
        assert!(err.to_string().contains("user admin superadmin monitoring"));
    }
}
