# Broadcast: penolakan dari API broadcast.

field-blast-name = nama broadcast
error-blast-not-found = broadcast tidak ditemukan
error-blast-schedule-not-found = broadcast berulang tidak ditemukan
error-blast-time-of-day = harus berupa jam seperti 08:00
error-blast-time = harus berupa waktu RFC 3339 seperti 2026-12-01T09:00:00+07:00
error-blast-gap = jeda antara dua pengiriman harus antara { $min } dan { $max } detik, dan jeda terbesar tidak boleh lebih kecil dari yang terkecil
error-blast-daily-cap = batas harian harus antara 1 dan { $max } pesan per perangkat
error-blast-outlets-one-owner = semua outlet dalam satu broadcast harus milik satu pemilik
error-blast-no-healthy-outlet = tidak ada outlet Anda yang perangkatnya terhubung; hubungkan satu atau pilih outlet
error-blast-content = pilih template atau tulis teks, jangan keduanya
error-blast-no-recipients = broadcast ini belum punya penerima: pilih tag, kontak, atau nomor
error-blast-too-many = satu broadcast paling banyak { $max } penerima
error-blast-recurrence = broadcast berulang perlu aturan yang benar (harian, mingguan dengan hari 1–7, atau bulanan dengan tanggal 1–31), jam, dan tanggal akhir setelah pengiriman pertama
error-blast-state = broadcast ini sedang { $status }: tindakan itu tidak bisa dilakukan sekarang
error-blast-no-failed = tidak ada penerima broadcast ini yang gagal

# Media broadcast dan file penerimanya.
error-blast-caption-too-long = jika media dikirim dengan teks sebagai keterangannya, teks paling banyak { $max } karakter: persingkat teksnya, atau kirim media sebagai pesan terpisah
error-blast-caption-mode = mode keterangan '{ $mode }' tidak dikenal: gunakan caption atau separate
error-blast-media-draft = media hanya bisa diubah selama broadcast masih draf; broadcast ini sedang { $status }
error-blast-no-media = broadcast ini tidak punya gambar atau dokumen
error-blast-file-recurring = broadcast berulang tidak bisa mengambil penerima dari file (setiap pengiriman akan butuh file itu lagi): pilih tag, kontak, atau nomor, atau buat broadcast sekali kirim
error-blast-form-unknown-field = kolom formulir '{ $field }' tidak dikenal: gunakan request (broadcast dalam JSON) dan recipients_file
error-blast-form-no-request = kirim broadcast dalam JSON di bagian formulir request
error-blast-media-unknown-field = kolom formulir '{ $field }' tidak dikenal: gunakan file, kind, dan caption_mode
