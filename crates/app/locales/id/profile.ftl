# Halaman profil.

profile-title = Profil
profile-account = Akun
profile-role = peran
profile-plan = paket
profile-preferences = Bahasa dan waktu
profile-language = Bahasa
profile-language-auto = Ikuti peramban
profile-time-zone = Zona waktu
profile-save = Simpan
profile-change-password = Ganti kata sandi
profile-current-password = Kata sandi saat ini
profile-new-password = Kata sandi baru
profile-password-note = Mengganti kata sandi akan mengeluarkan sesi Anda yang lain.
profile-sessions = Sesi
profile-logout-all = Keluar dari semua perangkat
time-zone-Asia-Jakarta = WIB — Jakarta
time-zone-Asia-Pontianak = WIB — Pontianak
time-zone-Asia-Makassar = WITA — Makassar
time-zone-Asia-Jayapura = WIT — Jayapura
time-zone-UTC = UTC

js-profile-password-changed = Kata sandi diganti. Sesi Anda yang lain telah dikeluarkan.
js-profile-logout-all = Keluar dari semua perangkat
js-profile-logout-all-confirm = Keluar dari semua peramban, termasuk yang ini?
