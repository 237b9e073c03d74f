# Halaman outlet: tambah, ubah, dan hapus outlet.

outlets-title = Outlet
outlets-add-heading = Tambah outlet
outlets-name = Nama
outlets-name-placeholder = Jakarta Pusat
outlets-city = Kota
outlets-city-placeholder = Jakarta
outlets-wa-number = Nomor WhatsApp
outlets-wa-number-placeholder = 0812… atau +62 812…
outlets-owner-id = ID pengguna pemilik
outlets-owner-id-placeholder = kosongkan untuk diri Anda
outlets-add = Tambah outlet
outlets-search = Cari nama, kota, atau nomor
outlets-col-outlet = Outlet
outlets-col-city = Kota
outlets-col-wa = No. WA
outlets-col-owner = Pemilik
outlets-col-actions = Tindakan
outlets-empty = Belum ada outlet. Tambahkan cabang pertama Anda di atas.

js-outlets-edit = Ubah
js-outlets-edit-title = Ubah outlet "{ $name }"
js-outlets-delete = Hapus
js-outlets-prompt-name = Nama outlet
js-outlets-prompt-wa-number = Nomor WhatsApp
js-outlets-saved = Outlet disimpan.
js-outlets-delete-confirm = Hapus outlet "{ $name }" ({ $number })? Tindakan ini tidak bisa dibatalkan.
js-outlets-deleted = Outlet dihapus.
js-outlets-added = Outlet "{ $name }" ditambahkan dengan nomor { $number }.
