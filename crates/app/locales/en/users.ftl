# The users page (admins): create users, change their role and plan, disable them.

users-title = Users
users-create-heading = Create a user
users-email = E-mail
users-name = Name
users-password = Password
users-role = Role
users-plan = Plan
users-create = Create user
users-search = Search e-mail or name
users-col-email = E-mail
users-col-name = Name
users-col-role = Role
users-col-plan = Plan
users-col-status = Status
users-empty = No users match.

js-role-user = { role-user }
js-role-admin = { role-admin }
js-role-superadmin = { role-superadmin }
js-role-monitoring = { role-monitoring }
js-plan-free = { plan-free }
js-plan-pro = { plan-pro }
js-plan-enterprise = { plan-enterprise }
js-plan-unlimited = { plan-unlimited }
js-users-role-of = Role of { $email }
js-users-plan-of = Plan of { $email }
js-users-role-set = { $email }: role set to { $role }.
js-users-plan-set = { $email }: plan set to { $plan }.
js-users-enabled = { $email }: enabled.
js-users-disabled = { $email }: disabled.
js-users-disable-confirm = Disable { $email }? They are logged out at once.
js-users-enable = Enable
js-users-disable = Disable
js-users-enable-label = Enable { $email }
js-users-disable-label = Disable { $email }
js-users-created = Created { $email } ({ $role }, { $plan }).
