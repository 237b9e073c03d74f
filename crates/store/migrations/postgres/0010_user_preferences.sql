-- Each user's page language (`auto` follows the browser's Accept-Language) and time zone.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'auto';
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Asia/Jakarta';
