# Tata letak di sekitar setiap halaman, dan yang dipakai bersama oleh setiap skrip halaman (core.js).

nav-dashboard = Dasbor
nav-outlet-status = Status Outlet
nav-outlets = Outlet
nav-messages = Pesan
nav-contacts = Kontak
nav-users = Pengguna
nav-webhooks = Webhook
nav-api-keys = Kunci API
nav-billing = Paket & tagihan
nav-profile = Profil
shell-menu = Menu
shell-log-out = Keluar
shell-demo = demo
role-user = pengguna
role-admin = admin
role-superadmin = superadmin
role-monitoring = monitoring
plan-free = gratis
plan-pro = pro
plan-enterprise = enterprise
plan-unlimited = tanpa batas
forbidden-title = Tidak diizinkan
forbidden-body = Peran Anda ({ $role }) tidak boleh membuka halaman ini.
forbidden-back = Kembali ke dasbor
logout-csrf-failed = Token keamanan formulir hilang atau salah. Muat ulang halaman lalu coba lagi.

js-session-ended = Sesi Anda berakhir; silakan masuk lagi.
js-request-failed = Permintaan gagal ({ $status })
js-never = belum pernah
js-pager-total = { $total } total · halaman { $page } dari { $pages }
js-pager-shown = { $total } ditampilkan · halaman { $page } dari { $pages }
js-previous = Sebelumnya
js-next = Berikutnya
js-cancel = Batal
js-save = Simpan
js-updated-seconds-ago = Terakhir diperbarui { $seconds } detik lalu
