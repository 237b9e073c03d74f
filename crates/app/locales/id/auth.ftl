# Masuk dan mendaftar.

auth-email = E-mail
auth-password = Kata sandi
auth-name = Nama
auth-password-rule = Minimal 10 karakter, bukan kata sandi yang umum.
login-title = Masuk
login-submit = Masuk
login-no-account = Belum punya akun?
login-register-link = Daftar di sini.
login-demo-accounts = Akun demo
register-title = Daftar
register-heading = Buat akun
register-submit = Buat akun
register-have-account = Sudah terdaftar?
register-login-link = Masuk.
