//! Where the platform may send webhooks. A gateway that posts wherever a tenant says could be
//! aimed at its own network (SSRF), so private and loopback targets are refused unless the
//! operator allows them. A name that resolves to such an address is checked again when
//! delivering.

use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct WebhookUrl(String);

pub const MAX_URL_LEN: usize = 2048;

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("url is required")]
    Required,
    #[error("url must be at most {MAX_URL_LEN} characters")]
    TooLong,
    #[error("url is not a valid URL: {0}")]
    Invalid(String),
    #[error("url must start with http:// or https://")]
    Scheme,
    #[error("url must not contain a user name or password")]
    Credentials,
    #[error("url needs a host")]
    NoHost,
    #[error("url points to a private, loopback or local address, which this server does not send to")]
    Private,
}

impl WebhookUrl {
    pub fn parse(input: &str, allow_private: bool) -> Result<WebhookUrl, UrlError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(UrlError::Required);
        }
        if input.len() > MAX_URL_LEN {
            return Err(UrlError::TooLong);
        }
        let url = url::Url::parse(input).map_err(|e| UrlError::Invalid(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(UrlError::Scheme);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlError::Credentials);
        }
        let private = match url.host() {
            None => return Err(UrlError::NoHost),
            Some(url::Host::Ipv4(ip)) => is_private(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => is_private(IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) => is_local_name(name),
        };
        if private && !allow_private {
            return Err(UrlError::Private);
        }
        Ok(WebhookUrl(url.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || [".localhost", ".local", ".internal", ".lan", ".home.arpa"].iter().any(|s| name.ends_with(s))
        || !name.contains('.')
}

/// Addresses a public webhook must never reach: loopback, private ranges, link-local, shared
/// (CGNAT), unspecified, multicast and the like.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => {
            let seg = v6.segments();
            // IPv6 forms that carry an IPv4 address: mapped/compatible (::ffff:a.b.c.d, ::a.b.c.d),
            // NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::) reach that address.
            let embedded = if let Some(v4) = v6.to_ipv4() {
                Some(v4)
            } else if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                Some(Ipv4Addr::new((seg[6] >> 8) as u8, seg[6] as u8, (seg[7] >> 8) as u8, seg[7] as u8))
            } else if seg[0] == 0x2002 {
                Some(Ipv4Addr::new((seg[1] >> 8) as u8, seg[1] as u8, (seg[2] >> 8) as u8, seg[2] as u8))
            } else {
                None
            };
            if let Some(v4) = embedded {
                if v6.is_loopback() {
                    return true;
                }
                return is_private_v4(v4);
            }
            v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local
                || (seg[0] & 0xffc0) == 0xfe80 // link-local
                || (seg[0] & 0xffc0) == 0xfec0 // site-local (deprecated, still routed inside some networks)
        }
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || a >= 240 // reserved
        || a == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_http_and_https_urls_are_accepted() {
        assert_eq!(
            WebhookUrl::parse(" https://hooks.example.com/kewhats ", false).unwrap().as_str(),
            "https://hooks.example.com/kewhats"
        );
        assert!(WebhookUrl::parse("http://93.184.216.34:8080/in", false).is_ok());
    }

    #[test]
    fn bad_and_private_targets_are_refused_with_a_reason() {
        for (input, hint) in [
            ("", "required"),
            ("ftp://example.com/x", "http"),
            ("not a url", "valid URL"),
            ("https://user:pw@example.com/", "user name"),
            ("http://127.0.0.1:9000/", "private"),
            ("http://10.1.2.3/", "private"),
            ("http://172.20.0.1/", "private"),
            ("http://192.168.1.10/", "private"),
            ("http://169.254.169.254/latest/meta-data", "private"),
            ("http://100.64.0.1/", "private"),
            ("http://[::1]/", "private"),
            ("http://[fd00::1]/", "private"),
            ("http://[::ffff:127.0.0.1]/", "private"),
            ("http://[64:ff9b::a9fe:a9fe]/", "private"),
            ("http://[2002:c0a8:0101::1]/", "private"),
            ("http://[::10.0.0.1]/", "private"),
            ("http://[fec0::1]/", "private"),
            ("http://198.18.0.5/", "private"),
            ("http://192.0.0.8/", "private"),
            ("http://240.1.2.3/", "private"),
            ("http://localhost:8080/", "private"),
            ("http://printer.local/", "private"),
            ("http://intranet/", "private"),
        ] {
            let err = WebhookUrl::parse(input, false).unwrap_err();
            assert!(err.to_string().contains(hint), "{input}: {err}");
        }
        assert!(WebhookUrl::parse("http://127.0.0.1:9000/hook", true).is_ok(), "allowed by configuration");
        for public in ["http://[2606:4700::1111]/", "http://[64:ff9b::5db8:d822]/", "http://[2002:5db8:d822::1]/"] {
            assert!(WebhookUrl::parse(public, false).is_ok(), "{public}");
        }
        assert!(WebhookUrl::parse(&format!("https://e.com/{}", "a".repeat(3000)), false).is_err());
    }
}
