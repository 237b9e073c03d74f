# Pesan kesalahan API: apa yang salah dan apa yang perlu diperbaiki. Kode kesalahan tetap berbahasa Inggris.

error-foreign = { $detail }
error-field = { $field }: { $message }
error-internal = terjadi kesalahan di sisi kami; sudah dicatat
error-not-found = tidak ditemukan
error-required = wajib diisi
error-too-long = paling banyak { $max } karakter
error-no-endpoint = endpoint API ini tidak ada
error-log-in-first = silakan masuk dulu, atau kirim kunci API (Authorization: Bearer …)
error-browser-session-needed = endpoint ini memerlukan sesi peramban yang sudah masuk, bukan kunci API
error-csrf = header X-CSRF-Token tidak ada atau salah: kirim csrf_token dari GET /api/me atau dari jawaban login
error-json-content-type = kirim isi permintaan sebagai JSON dengan header Content-Type: application/json
error-json-syntax = isi permintaan bukan JSON yang sah: { $detail }
error-body-too-large = isi permintaan terlalu besar; lihat max_body_kib di README
error-query = query string tidak sah: { $detail }
error-path = path tidak sah: { $detail }
error-form-unreadable = formulir tidak bisa dibaca: { $detail }
error-form-unknown-field = kolom formulir '{ $field }' tidak dikenal: gunakan outlet_id, to, type, text, caption, media_url, file_name, file
error-must-be-number = harus berupa angka

field-name = nama
field-outlet-name = nama outlet
field-city = kota
field-key-name = nama kunci
error-label-required = { $field } wajib diisi
error-label-too-long = { $field } paling banyak { $max } karakter
error-label-control = { $field } tidak boleh berisi karakter kontrol

error-bad-login = e-mail atau kata sandi salah
error-too-many-logins = terlalu banyak percobaan masuk yang gagal; coba lagi dalam { $seconds } detik
error-account-disabled = akun ini dinonaktifkan; hubungi administrator Anda
error-session-ended = sesi Anda sudah berakhir; silakan masuk lagi
error-registration-closed = pendaftaran ditutup; minta akun kepada administrator
error-api-key-invalid = kunci API tidak sah: tidak dikenal, sudah dicabut, atau penggunanya dinonaktifkan
error-api-key-not-found = kunci API tidak ditemukan
error-email-required = e-mail wajib diisi
error-email-too-long = e-mail lebih dari 254 karakter
error-email-malformed = e-mail harus berbentuk nama@contoh.com
error-password-empty = kata sandi kosong
error-password-too-short = kata sandi minimal { $min } karakter (baru { $got })
error-password-too-long = kata sandi paling banyak { $max } karakter
error-password-common = kata sandi terlalu umum; pilih yang tidak ada di daftar kata sandi yang bocor
error-password-contains-email = kata sandi tidak boleh memuat nama e-mail Anda
error-password-repetitive = kata sandi kurang beragam: gunakan minimal { $min } karakter yang berbeda
error-password-not-current = bukan kata sandi Anda saat ini
error-password-unchanged = harus berbeda dari kata sandi saat ini
error-user-not-found = pengguna tidak ditemukan
error-no-such-user = tidak ada pengguna dengan id ini
error-user-nothing-to-change = tidak ada yang diubah: kirim minimal salah satu dari role, plan, disabled
error-preferences-nothing-to-change = tidak ada yang diubah: kirim language atau time_zone
error-time-zone = zona waktu '{ $zone }' tidak dikenal: pilih salah satu dari { $zones }
error-taken-email = sudah ada pengguna dengan e-mail ini
error-last-superadmin = ini superadmin aktif terakhir; angkat superadmin lain terlebih dahulu
error-disable-self = Anda tidak bisa menonaktifkan akun sendiri
error-role-no-whatsapp = peran Anda tidak boleh memakai fitur WhatsApp
error-role-no-aggregates = hanya peran monitoring dan admin yang boleh melihat angka platform
error-role-no-users = hanya admin yang boleh mengelola pengguna
error-role-no-staff = hanya superadmin yang boleh membuat, mengangkat, menurunkan, atau menonaktifkan admin
error-role-no-profile = peran Anda tidak boleh mengubah profilnya

error-phone-empty = nomor WhatsApp wajib diisi
error-phone-invalid-character = nomor WhatsApp hanya boleh berisi angka, spasi, tanda hubung, titik, kurung, dan + di depan; ditemukan '{ $character }'
error-phone-country-code = nomor WhatsApp perlu kode negara: awali dengan + (mis. +62 812…) atau, untuk Indonesia, dengan 0 (0812…)
error-phone-too-short = nomor WhatsApp terlalu pendek: nomor E.164 terdiri dari 8 sampai 15 angka, ini { $digits }
error-phone-too-long = nomor WhatsApp terlalu panjang: nomor E.164 paling banyak 15 angka, ini { $digits }
error-phone-zero-country-code = kode negara tidak pernah diawali 0; hapus angka 0 tambahan setelah kode negara
error-phone-not-mobile = nomor WhatsApp Indonesia adalah nomor seluler: setelah +62 diawali 8 (mis. 0812… atau +62 812…)
error-phone-not-valid-for-country = nomor ini tidak berlaku untuk kode negaranya; periksa angka setelah tanda +
error-phone-indonesian-length = nomor seluler Indonesia terdiri dari 9 sampai 12 angka setelah +62, ini { $digits }

error-outlet-not-found = outlet tidak ditemukan
error-outlet-for-another-user = hanya admin yang boleh membuat outlet untuk pengguna lain
error-taken-wa-number = nomor WhatsApp ini sudah dipakai outlet lain
error-renumber-paired = perangkat outlet ini tertaut dengan nomornya sekarang; keluarkan perangkat dulu sebelum mengganti nomor

error-device-not-found = perangkat tidak ditemukan
error-no-device = outlet ini belum punya perangkat; buat dengan POST /api/outlets/{"{"}id{"}"}/device/connect
error-taken-contact = sudah ada kontak dengan nomor WhatsApp ini
error-taken-tag = sudah ada label dengan nama ini
error-taken-device = outlet ini sudah punya perangkat
error-device-other-engine = perangkat outlet ini berjalan di mesin { $engine }; hapus perangkatnya untuk berganti mesin
error-device-engine-off = mesin { $engine } tidak aktif di server ini; hapus perangkatnya untuk menautkannya di mesin lain
error-engine-off = mesin { $engine } tidak aktif di server ini (mesin sim memerlukan pengaturan sandbox = true)
error-no-qr = tidak ada kode QR untuk ditampilkan: status perangkat { $status }; hubungkan untuk mendapatkannya
error-device-not-connected = perangkat belum terhubung; hubungkan dulu (POST …/device/connect)
error-device-already-paired = perangkat sudah tertaut
error-device-not-running = perangkat tidak punya sesi yang berjalan; hubungkan dulu (POST …/device/connect)
error-sessions-standby = proses kewhats lain pada basis data ini yang menjalankan sesi WhatsApp; gunakan yang itu (lihat /healthz)
error-status-changed = status perangkat berubah sementara itu; coba lagi
error-sandbox-off = sandbox tidak aktif di server ini; aktif di `kewhats demo` atau dengan pengaturan sandbox = true
error-sandbox-sim-only = aksi sandbox hanya berlaku untuk perangkat yang berjalan di mesin sim

error-message-not-found = pesan tidak ditemukan
error-message-type = '{ $type }' bukan salah satu dari text, image, document
error-text-required = wajib diisi untuk pesan teks
error-text-control = tidak boleh berisi karakter kontrol selain baris baru dan tab
error-text-with-media = media_url, file, file_name, dan caption hanya untuk pesan gambar dan dokumen
error-media-with-text = gambar atau dokumen membawa caption, bukan text
error-media-both = kirim file atau media_url, jangan keduanya
error-media-missing = gambar atau dokumen memerlukan media_url atau file yang diunggah
error-media-too-large = media lebih besar dari batas server ini ({ $kib } KiB; pengaturan media_max_kib)
error-media-fetch = tidak bisa diambil: { $detail }
error-media-status = menjawab HTTP { $status }
error-media-download = unduhan gagal: { $detail }
error-file-empty = kosong
error-image-format = gambar harus berupa file JPEG, PNG, atau WebP; kirim file lain sebagai dokumen
error-idempotency-key-length = Idempotency-Key harus 1 sampai { $max } karakter
error-idempotency-key-text = Idempotency-Key harus berupa teks biasa
error-idempotency-key-other-outlet = Idempotency-Key ini sudah dipakai untuk pesan dari outlet lain
error-taken-idempotency-key = pesan tidak tersimpan
error-time-format = { $field } harus berupa waktu RFC 3339 seperti 2026-11-21T10:00:00Z

error-webhook-not-found = webhook tidak ditemukan
error-delivery-not-found = pengiriman tidak ditemukan
error-event-unknown = '{ $event }' bukan salah satu dari { $events }
error-events-none = pilih minimal salah satu dari { $events }
error-webhook-inactive = webhook tidak aktif; aktifkan untuk mengirim event uji
error-delivery-queued = pengiriman ini masih dalam antrean; akan dicoba lagi dengan sendirinya
error-url-required = url wajib diisi
error-url-too-long = url paling banyak { $max } karakter
error-url-invalid = url tidak sah: { $detail }
error-url-scheme = url harus diawali http:// atau https://
error-url-credentials = url tidak boleh memuat nama pengguna atau kata sandi
error-url-no-host = url perlu nama host
error-url-private = url mengarah ke alamat privat, loopback, atau lokal, yang tidak dikirimi oleh server ini

error-metrics-off = metrik tidak aktif: atur metrics_token untuk mengambilnya
error-metrics-token = kirim metrics_token sebagai Authorization: Bearer <token>

device-status-disconnected = terputus
device-status-connecting = sedang menghubungkan
device-status-qr = menunggu pindai QR
device-status-connected = terhubung
device-status-logged_out = tidak tertaut
device-status-banned = diblokir

error-contact-not-found = kontak tidak ditemukan
error-contact-outlet = harus salah satu outlet Anda sendiri
error-tag-not-found = label tidak ditemukan
error-tag-separator = nama label tidak boleh berisi , atau ; (keduanya pemisah label di file)
error-contacts-none-chosen = pilih minimal satu kontak
error-contacts-too-many = paling banyak { $max } kontak sekaligus
error-bulk-tag-needed = pilih label yang akan ditambahkan atau dilepas
error-fields-too-many = paling banyak { $max } kolom tambahan
error-field-name = '{ $key }' tidak bisa menjadi kolom tambahan: gunakan huruf kecil, angka, dan _ (bukan name, phone, date, atau outlet)
error-field-too-long = kolom tambahan '{ $key }' paling banyak { $max } karakter
