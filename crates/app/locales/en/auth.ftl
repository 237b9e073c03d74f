# Logging in and registering.

auth-email = E-mail
auth-password = Password
auth-name = Name
auth-password-rule = At least 10 characters, not a common password.
login-title = Log in
login-submit = Log in
login-no-account = No account?
login-register-link = Create one.
login-demo-accounts = Demo accounts
register-title = Create account
register-heading = Create an account
register-submit = Create account
register-have-account = Already registered?
register-login-link = Log in.
