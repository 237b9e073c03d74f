# The profile page.

profile-title = Profile
profile-account = Account
profile-role = role
profile-plan = plan
profile-preferences = Language and time
profile-language = Language
profile-language-auto = As my browser
profile-time-zone = Time zone
profile-save = Save
profile-change-password = Change password
profile-current-password = Current password
profile-new-password = New password
profile-password-note = Changing the password logs out your other sessions.
profile-sessions = Sessions
profile-logout-all = Log out everywhere
time-zone-Asia-Jakarta = WIB — Jakarta
time-zone-Asia-Pontianak = WIB — Pontianak
time-zone-Asia-Makassar = WITA — Makassar
time-zone-Asia-Jayapura = WIT — Jayapura
time-zone-UTC = UTC

js-profile-password-changed = Password changed. Your other sessions were logged out.
js-profile-logout-all = Log out everywhere
js-profile-logout-all-confirm = Log out of every browser, including this one?
