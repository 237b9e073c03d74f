# Dasbor: angka yang boleh dilihat seseorang, dan tempat untuk mulai.

dashboard-title = Dasbor
dashboard-users = Pengguna
dashboard-outlets = Outlet
dashboard-my-outlets = Outlet saya
dashboard-monitoring-note = Peran Anda hanya untuk melihat: angka seluruh platform, tanpa fitur WhatsApp.
# Di sekitar tautan ke halaman outlet (nama menunya, nav-outlets).
dashboard-outlets-hint-before = Tambahkan cabang Anda di menu
dashboard-outlets-hint-after = ; setiap outlet punya nomor WhatsApp sendiri.
