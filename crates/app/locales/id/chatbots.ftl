# Alur chatbot: penolakan alur, percakapannya, dan simulator.

field-chatbot-name = nama chatbot
error-chatbot-not-found = chatbot tidak ditemukan
error-taken-chatbot-name = Anda sudah punya chatbot dengan nama ini
error-chatbot-no-steps = chatbot perlu minimal satu langkah
error-chatbot-too-many-steps = chatbot paling banyak { $max } langkah
error-chatbot-step-invalid = langkah '{ $step }': { $reason }
error-chatbot-duplicate-step = id langkah '{ $step }' dipakai dua kali
error-chatbot-missing-step = langkah '{ $step }' menuju '{ $target }', yang tidak ada
error-chatbot-unreachable = langkah '{ $step }' tidak bisa dicapai dari langkah pertama
error-chatbot-cycle = langkah '{ $step }' ada di putaran yang tidak pernah menunggu jawaban pelanggan: tambahkan langkah tanya
error-chatbot-keywords-required = isi minimal satu kata kunci yang memulai chatbot
error-chatbot-keyword = kata kunci tidak valid: { $reason }
error-chatbot-step-template = langkah '{ $step }': { $reason }
error-chatbot-session-minutes = harus antara 1 dan { $max } menit
error-chatbot-hand-over-minutes = harus antara 1 dan { $max } menit
error-chatbot-end-keyword = kata kunci selesai harus 1 sampai 50 karakter
error-chatbot-session-status = status harus active, handed_over, atau closed
error-chatbot-session-not-found = percakapan tidak ditemukan
error-chatbot-simulate-one = isi chatbot_id atau flow, salah satu saja
error-chatbot-simulate-many = paling banyak { $max } pesan dalam satu simulasi
