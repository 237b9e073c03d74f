//! Requests the server makes to addresses its tenants choose (webhooks, media URLs). A tenant
//! could aim these at the server's own network, so besides checking the URL when it is given
//! ([`domain::WebhookUrl`]), every request resolves names through a resolver that drops private
//! and loopback addresses, checks every redirect (or follows none), and has a deadline.

use domain::{is_private, WebhookUrl};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    allow_private: bool,
}

/// Resolves like the system does, then keeps only public addresses (unless private ones are
/// allowed), so a name that points inside cannot be used to get around the URL check.
struct PublicOnly {
    allow_private: bool,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let usable: Vec<SocketAddr> = found.into_iter().filter(|a| allow_private || !is_private(a.ip())).collect();
            if usable.is_empty() {
                let e = std::io::Error::other(format!("{host} resolves only to private or loopback addresses"));
                return Err(Box::new(e) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(usable.into_iter()) as Addrs)
        })
    }
}

impl Outbound {
    /// `redirects`: how many to follow, each checked like the first URL (webhooks: none, a
    /// receiver that moved should be updated; media links often redirect to their storage).
    pub fn new(timeout: Duration, allow_private: bool, redirects: usize) -> anyhow::Result<Outbound> {
        let policy = if redirects == 0 {
            reqwest::redirect::Policy::none()
        } else {
            reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > redirects {
                    attempt.error(format!("more than {redirects} redirects"))
                } else if let Err(why) = WebhookUrl::parse(attempt.url().as_str(), allow_private) {
                    attempt.error(format!("redirected to a refused address: {why}"))
                } else {
                    attempt.follow()
                }
            })
        };
        let client = reqwest::Client::builder()
            .user_agent(concat!("kewhats/", env!("CARGO_PKG_VERSION")))
            .redirect(policy)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .no_proxy()
            .dns_resolver(Arc::new(PublicOnly { allow_private }))
            .build()?;
        Ok(Outbound { client, allow_private })
    }

    /// Checks `url` again (the settings may have changed since it was saved) and starts a
    /// request to it.
    pub fn request(&self, method: reqwest::Method, url: &str) -> Result<reqwest::RequestBuilder, domain::UrlError> {
        let url = WebhookUrl::parse(url, self.allow_private)?;
        Ok(self.client.request(method, url.as_str()))
    }
}

/// A transport error in one line, with its causes ("could not connect: … connection refused").
pub fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the response could not be read"
    } else {
        "request failed"
    };
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !causes.contains(&text) {
            causes.push(text);
        }
        source = s.source();
    }
    if causes.is_empty() {
        what.to_string()
    } else {
        format!("{what}: {}", causes.join(": "))
    }
}

/// The start of an answer's body (at most `chars` characters), for a log: read no further than
/// needed, printable characters only (a NUL would not even fit in a PostgreSQL text column).
pub async fn excerpt(mut response: reqwest::Response, chars: usize) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < chars * 4 {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&bytes);
    let printable = text.chars().map(|c| if c.is_control() { ' ' } else { c });
    let excerpt: String = printable.collect::<String>().split_whitespace().collect::<Vec<_>>().join(" ");
    excerpt.chars().take(chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[tokio::test]
    async fn a_name_that_resolves_inside_is_refused_at_request_time() {
        let name = || Name::from_str("localhost").expect("a host name");
        let refused = PublicOnly { allow_private: false }.resolve(name()).await.err().expect("refused");
        assert!(refused.to_string().contains("only to private or loopback"), "{refused}");
        let allowed = PublicOnly { allow_private: true }.resolve(name()).await.expect("allowed");
        assert!(allowed.into_iter().all(|a| a.ip().is_loopback()));
    }
}
