# Balasan otomatis: penolakan aturan dan kata-kata penguji.

field-auto-reply-name = nama aturan
error-auto-reply-not-found = aturan balasan otomatis tidak ditemukan
error-taken-auto-reply-name = Anda sudah punya aturan balasan otomatis dengan nama ini
error-auto-reply-triggers-required = isi minimal satu kata atau frasa pemicu balasan
error-auto-reply-too-many-triggers = paling banyak { $max } pemicu per aturan
error-auto-reply-trigger-empty = ada pemicu yang kosong
error-auto-reply-trigger-too-long = pemicu paling banyak { $max } karakter
error-auto-reply-bad-regex = '{ $pattern }' bukan regular expression yang benar: { $reason }
error-auto-reply-welcome-triggers = aturan sambutan membalas pesan pertama dari sebuah nomor apa pun isinya: kosongkan pemicunya
error-auto-reply-reply-required = tulis balasannya, atau pilih template_id
error-auto-reply-reply-and-template = isi reply atau template_id, jangan keduanya
error-auto-reply-outlet-unknown = outlet { $id } bukan outlet Anda
error-auto-reply-too-many-outlets = paling banyak { $max } outlet per aturan
error-auto-reply-hours = jam kerja perlu hari dari 1 (Senin) sampai 7 (Minggu) dan menit dari 0 sampai 1439
error-auto-reply-outside-without-hours = balasan di luar jam kerja perlu business_hours
error-auto-reply-priority = harus antara 0 dan { $max }
error-auto-reply-cooldown = harus antara 0 dan { $max } detik
error-auto-reply-text-required = ketik pesan yang mau diuji
