# Halaman pengguna (admin): buat pengguna, ubah peran dan paketnya, nonaktifkan.

users-title = Pengguna
users-create-heading = Buat pengguna
users-email = E-mail
users-name = Nama
users-password = Kata sandi
users-role = Peran
users-plan = Paket
users-create = Buat pengguna
users-search = Cari e-mail atau nama
users-col-email = E-mail
users-col-name = Nama
users-col-role = Peran
users-col-plan = Paket
users-col-status = Status
users-empty = Tidak ada pengguna yang cocok.

js-role-user = { role-user }
js-role-admin = { role-admin }
js-role-superadmin = { role-superadmin }
js-role-monitoring = { role-monitoring }
js-plan-free = { plan-free }
js-plan-pro = { plan-pro }
js-plan-enterprise = { plan-enterprise }
js-plan-unlimited = { plan-unlimited }
js-users-role-of = Peran { $email }
js-users-plan-of = Paket { $email }
js-users-role-set = { $email }: peran diubah menjadi { $role }.
js-users-plan-set = { $email }: paket diubah menjadi { $plan }.
js-users-enabled = { $email }: diaktifkan.
js-users-disabled = { $email }: dinonaktifkan.
js-users-disable-confirm = Nonaktifkan { $email }? Pengguna ini langsung dikeluarkan.
js-users-enable = Aktifkan
js-users-disable = Nonaktifkan
js-users-enable-label = Aktifkan { $email }
js-users-disable-label = Nonaktifkan { $email }
js-users-created = { $email } dibuat ({ $role }, { $plan }).
