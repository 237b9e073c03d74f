//! Integration tests: the real app on port 0 with a fresh database, driven over HTTP. Every
//! test runs twice, as `<name>::sqlite` and `<name>::postgres`.

mod admin_users;
mod auth;
mod cli;
mod helpers;
mod http;
mod outlets;
