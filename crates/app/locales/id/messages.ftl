# Halaman pesan: kirim pesan, dan daftar pesan masuk dan keluar.

messages-title = Pesan
messages-send-heading = Kirim pesan
messages-from-outlet = Dari outlet
messages-to = Nomor tujuan
messages-to-placeholder = 0812… atau +62 812…
messages-type = Jenis
messages-type-text = Teks
messages-type-image = Gambar
messages-type-document = Dokumen
messages-text = Teks
messages-text-placeholder = Pesanan Anda siap diambil
messages-file = Berkas
messages-caption = Keterangan
messages-caption-placeholder = Promo minggu ini
messages-send = Kirim
messages-help = Pesan disimpan dulu, lalu dikirim oleh perangkat outlet saat perangkat terhubung. Statusnya berubah dari Menunggu dikirim → Terkirim → Terkirim ke penerima → Dibaca, atau Gagal beserta alasannya. Gambar: JPEG, PNG, atau WebP; dokumen: berkas apa saja.
messages-direction = Arah
messages-direction-any = Masuk dan keluar
messages-status = Status
messages-status-any = Semua status
messages-col-time = Waktu
messages-col-outlet = Outlet
messages-col-number = Nomor
messages-col-text = Teks
messages-empty = Belum ada pesan.

js-messages-direction-out = Pesan Keluar
js-messages-direction-in = Pesan Masuk
js-messages-status-pending = Menunggu dikirim
js-messages-status-sent = Terkirim
js-messages-status-delivered = Terkirim ke penerima
js-messages-status-read = Dibaca
js-messages-status-failed = Gagal
js-messages-status-received = Masuk
js-messages-choose-file = Pilih berkas yang akan dikirim.
js-messages-queued = Pesan #{ $id } ke { $peer }: { $status }.
