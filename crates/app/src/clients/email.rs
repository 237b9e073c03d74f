//! E-mail through the owner's SMTP server (lettre). The server's name is resolved here and a
//! private or loopback address refused (unless allowed), as for webhooks; the connection goes to
//! the checked address while TLS still verifies the certificate for the name.

use crate::clients::channels::Attachment;
use domain::{is_private, ForwardOutcome, SmtpTls};
use lettre::message::header::ContentType;
use lettre::message::{MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// An SMTP server and the envelope.
pub struct Smtp<'a> {
    pub host: &'a str,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<&'a str>,
    pub password: Option<&'a str>,
    pub from: &'a str,
    pub to: &'a [String],
}

/// Sends one plain-text message (with the file, if any, attached), all of it within `timeout` twice over (lettre's own time-out
/// covers only the connection: a server that accepts and then never answers must not hold the
/// worker). A permanent SMTP refusal (5xx: a wrong password, a refused recipient) fails at once
/// with the server's words; anything else is worth another try.
pub async fn send(
    smtp: &Smtp<'_>,
    allow_private: bool,
    timeout: Duration,
    subject: &str,
    text: &str,
    attachment: Option<&Attachment>,
) -> ForwardOutcome {
    let sent = attempt(smtp, allow_private, timeout, subject, text, attachment);
    match tokio::time::timeout(timeout * 2, sent).await {
        Ok(outcome) => outcome,
        Err(_) => ForwardOutcome::Retry {
            error: format!("the mail server {} did not answer in time", smtp.host),
            after: None,
        },
    }
}

async fn attempt(
    smtp: &Smtp<'_>,
    allow_private: bool,
    timeout: Duration,
    subject: &str,
    text: &str,
    attachment: Option<&Attachment>,
) -> ForwardOutcome {
    let failed = |error: String| ForwardOutcome::Failed { error };
    let retry = |error: String| ForwardOutcome::Retry { error, after: None };
    let found = match tokio::time::timeout(timeout, tokio::net::lookup_host((smtp.host, smtp.port))).await {
        Ok(Ok(found)) => found.collect::<Vec<_>>(),
        Ok(Err(e)) => return retry(format!("the mail server {} could not be found: {e}", smtp.host)),
        Err(_) => return retry(format!("looking up the mail server {} timed out", smtp.host)),
    };
    let Some(address) = found.into_iter().find(|a| allow_private || !is_private(a.ip())) else {
        return failed(format!(
            "the mail server {} resolves only to private or loopback addresses, which this server does not send to",
            smtp.host
        ));
    };
    let parameters = || TlsParameters::new(smtp.host.to_string()).map_err(|e| failed(format!("TLS: {e}")));
    let tls = match smtp.tls {
        SmtpTls::None => Tls::None,
        SmtpTls::Starttls => match parameters() {
            Ok(p) => Tls::Required(p),
            Err(f) => return f,
        },
        SmtpTls::Tls => match parameters() {
            Ok(p) => Tls::Wrapper(p),
            Err(f) => return f,
        },
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(address.ip().to_string())
        .port(address.port())
        .tls(tls)
        .timeout(Some(timeout));
    if let Some(user) = smtp.username.filter(|u| !u.is_empty()) {
        builder =
            builder.credentials(Credentials::new(user.to_string(), smtp.password.unwrap_or_default().to_string()));
    }
    let mut message = Message::builder().subject(subject);
    match smtp.from.parse() {
        Ok(from) => message = message.from(from),
        Err(e) => return failed(format!("the sender {} is not an e-mail address: {e}", smtp.from)),
    }
    for to in smtp.to {
        match to.parse() {
            Ok(to) => message = message.to(to),
            Err(e) => return failed(format!("the recipient {to} is not an e-mail address: {e}")),
        }
    }
    let built = match attachment {
        None => message.header(ContentType::TEXT_PLAIN).body(text.to_string()),
        Some(file) => {
            let kind = ContentType::parse(&file.mime)
                .unwrap_or_else(|_| ContentType::parse("application/octet-stream").unwrap_or(ContentType::TEXT_PLAIN));
            let attached = lettre::message::Attachment::new(file.file_name.clone()).body(file.data.clone(), kind);
            message.multipart(MultiPart::mixed().singlepart(SinglePart::plain(text.to_string())).singlepart(attached))
        }
    };
    let message = match built {
        Ok(m) => m,
        Err(e) => return failed(format!("the message could not be built: {e}")),
    };
    match builder.build().send(message).await {
        Ok(_) => ForwardOutcome::Delivered { reference: None },
        Err(e) if e.is_permanent() => failed(format!("the mail server refused: {e}")),
        Err(e) => retry(format!("the mail server: {e}")),
    }
}
