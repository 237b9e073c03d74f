# The layout around every page, and what every page script shares (core.js).

nav-dashboard = Dashboard
nav-outlet-status = Outlet status
nav-outlets = Outlets
nav-messages = Messages
nav-contacts = Contacts
nav-users = Users
nav-webhooks = Webhooks
nav-api-keys = API keys
nav-billing = Plan & billing
nav-profile = Profile
shell-menu = Menu
shell-log-out = Log out
shell-demo = demo
role-user = user
role-admin = admin
role-superadmin = superadmin
role-monitoring = monitoring
plan-free = free
plan-pro = pro
plan-enterprise = enterprise
plan-unlimited = unlimited
forbidden-title = Not allowed
forbidden-body = Your role ({ $role }) may not open this page.
forbidden-back = Back to the dashboard
logout-csrf-failed = The form's security token is missing or wrong. Reload the page and try again.

js-session-ended = Your session ended; log in again.
js-request-failed = Request failed ({ $status })
js-never = never
js-pager-total = { $total } total · page { $page } of { $pages }
js-pager-shown = { $total } shown · page { $page } of { $pages }
js-previous = Previous
js-next = Next
js-cancel = Cancel
js-save = Save
js-updated-seconds-ago = Last updated { $seconds } s ago
