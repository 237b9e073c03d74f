# Integrasi: penolakannya, dan teks yang diteruskan ke saluran pemilik.

error-taken-integration-name = Anda sudah punya integrasi dengan nama ini
error-integration-paused = integrasi sedang dijeda; nyalakan untuk mengirim tes
error-integration-not-found = integrasi tidak ditemukan
field-integration-name = nama integrasi
error-integration-type-change = jenis integrasi tidak bisa diubah; buat yang baru
error-integration-events-none = pilih minimal satu kejadian untuk diteruskan
error-integration-event-test = integration.test hanya dikirim lewat "kirim tes"
error-integration-token = token bot berbentuk 123456789:AA… (dari @BotFather)
error-integration-chat-id = chat id berupa angka (mis. -1001234567890) atau @nama kanal
error-integration-secret-required = wajib diisi saat pertama kali
error-integration-password-again = isi kata sandi lagi: server e-mail, port, keamanan, atau pengguna berubah
error-integration-smtp-host = isi nama server e-mail
error-integration-recipients = isi 1 sampai { $max } penerima
error-integration-email = { $value } bukan alamat e-mail
error-integration-format = format terlalu panjang (maks. { $max } karakter) atau memakai variabel selain { $variables }

# Teks yang diteruskan ke saluran pemilik.
forward-title-received = Pesan baru · { $outlet }
forward-received = { $number }: { $text }
forward-title-failed = Pesan gagal terkirim · { $outlet }
forward-failed = Ke { $number }: { $error }
forward-title-disconnected = Outlet terputus · { $outlet }
forward-title-logged-out = Outlet keluar dari WhatsApp · { $outlet }
forward-title-banned = Nomor outlet diblokir WhatsApp · { $outlet }
forward-device = { $error }
forward-title-blast = Broadcast selesai
forward-blast = "{ $blast }": { $sent } terkirim, { $failed } gagal.
forward-title-hand-over = Pelanggan menunggu dilayani admin · { $outlet }
forward-hand-over = Silakan balas { $number } sekarang; chatbot diam dulu.
forward-title-test = Tes kewhats
forward-test = Integrasi ini berfungsi: kewhats bisa mengirim ke sini.
forward-reply-refused = Tidak terkirim ke pelanggan: { $reason }
