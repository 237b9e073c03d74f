# Halaman kunci API: buat kunci (rahasianya ditampilkan sekali), lihat traffic-nya, cabut.

api-keys-title = Kunci API
api-keys-create-heading = Buat kunci
api-keys-name = Nama
api-keys-name-example = Integrasi kasir (POS)
api-keys-create = Buat kunci
api-keys-copy-now = Salin kunci ini sekarang.
api-keys-shown-once = Kunci hanya ditampilkan sekali; kewhats hanya menyimpan hash-nya.
api-keys-help-send = Kirim kunci ini sebagai
api-keys-help-or = atau
api-keys-help-role = Kunci bertindak atas nama Anda, dengan peran Anda.
api-keys-help-in = menghitung permintaan API yang memakai kunci ini (API Traffic Masuk);
api-keys-help-out = menghitung pesan WhatsApp yang dikirim dari permintaan tersebut (API Traffic Keluar).
api-keys-help-docs = Setiap endpoint dijelaskan di
api-keys-api-reference = referensi API
api-keys-openapi-document = dokumen OpenAPI
api-keys-col-name = Nama
api-keys-col-key = Kunci
api-keys-col-in = Masuk
api-keys-col-out = Keluar
api-keys-col-last-used = Terakhir dipakai
api-keys-col-created = Dibuat
api-keys-col-actions = Tindakan
api-keys-empty = Belum ada kunci API.

js-api-keys-revoke-confirm = Cabut "{ $name }"? Sistem yang memakainya langsung berhenti bekerja.
js-api-keys-revoked-flash = "{ $name }" dicabut.
js-api-keys-revoked = dicabut
js-api-keys-revoke = Cabut
js-api-keys-revoke-label = Cabut "{ $name }"
