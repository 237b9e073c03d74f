//! Integration tests: the real app on port 0 with a fresh database, driven over HTTP. Every
//! API test runs twice, as `<name>::sqlite` and `<name>::postgres`; the browser tests drive
//! headless Chromium.

mod access_matrix;
mod admin_users;
mod api_keys;
mod auth;
mod auto_replies;
mod blast_media;
mod blasts;
mod browser;
mod chatbots;
mod cli;
mod contact_import;
mod contacts;
mod devices;
mod helpers;
mod http;
mod i18n;
mod integration_files_and_replies;
mod integrations;
mod media;
mod messages;
mod metrics;
mod openapi;
mod outlet_status;
mod outlets;
mod payments;
mod plans;
mod providers;
mod receiver;
mod reshape_defects;
mod templates;
mod web_engine;
mod webdriver;
mod webhook_delivery;
mod webhooks;
