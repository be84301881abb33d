//! The cheap reachability probe: can a TCP connection to the DynamoDB
//! endpoint be opened? No request is sent, so it costs nothing and needs
//! no credentials; a refused or timed-out connection means AWS (or the
//! network) is not there.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Where the probe connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
}

impl Endpoint {
    /// The DynamoDB endpoint of `region`, or the `endpoint_url` override
    /// (`http(s)://host[:port][/…]`, the port defaulting by scheme).
    /// `None` when neither gives a host.
    pub fn for_dynamodb(endpoint_url: Option<&str>, region: Option<&str>) -> Option<Endpoint> {
        if let Some(url) = endpoint_url {
            let (scheme, rest) = url.split_once("://")?;
            let default_port = match scheme {
                "http" => 80,
                "https" => 443,
                _ => return None,
            };
            let authority = rest.split(['/', '?', '#']).next()?;
            let authority = authority.rsplit('@').next()?;
            let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
                let (host, after) = bracketed.split_once(']')?;
                match after.strip_prefix(':') {
                    Some(port) => (host, port.parse().ok()?),
                    None if after.is_empty() => (host, default_port),
                    None => return None,
                }
            } else {
                match authority.rsplit_once(':') {
                    Some((host, port)) => (host, port.parse().ok()?),
                    None => (authority, default_port),
                }
            };
            return (!host.is_empty()).then(|| Endpoint {
                host: host.to_owned(),
                port,
            });
        }
        let region = region.filter(|r| {
            !r.is_empty()
                && r.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })?;
        Some(Endpoint {
            host: format!("dynamodb.{region}.amazonaws.com"),
            port: 443,
        })
    }
}

/// Whether a TCP connection to `endpoint` opens within `timeout` (name
/// resolution included).
pub fn reachable(endpoint: &Endpoint, timeout: Duration) -> bool {
    let addresses: Vec<SocketAddr> = match (endpoint.host.as_str(), endpoint.port).to_socket_addrs()
    {
        Ok(addresses) => addresses.collect(),
        Err(_) => return false,
    };
    addresses
        .iter()
        .any(|address| TcpStream::connect_timeout(address, timeout).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_come_from_the_override_or_the_region() {
        let e = |url, region| Endpoint::for_dynamodb(url, region);
        assert_eq!(
            e(Some("http://127.0.0.1:4566"), None),
            Some(Endpoint {
                host: "127.0.0.1".into(),
                port: 4566
            })
        );
        assert_eq!(
            e(
                Some("https://vpce-1.dynamodb.sa-east-1.vpce.amazonaws.com/"),
                None
            ),
            Some(Endpoint {
                host: "vpce-1.dynamodb.sa-east-1.vpce.amazonaws.com".into(),
                port: 443
            })
        );
        assert_eq!(
            e(Some("http://[::1]:8000/x"), None),
            Some(Endpoint {
                host: "::1".into(),
                port: 8000
            })
        );
        assert_eq!(
            e(None, Some("sa-east-1")),
            Some(Endpoint {
                host: "dynamodb.sa-east-1.amazonaws.com".into(),
                port: 443
            })
        );
        assert_eq!(e(None, Some("evil.com/x")), None);
        assert_eq!(e(Some("ftp://x"), None), None);
        assert_eq!(e(None, None), None);
    }

    #[test]
    fn a_closed_port_is_unreachable_and_a_listening_one_reachable()
    -> Result<(), Box<dyn std::error::Error>> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let open = Endpoint {
            host: "127.0.0.1".into(),
            port: listener.local_addr()?.port(),
        };
        assert!(reachable(&open, Duration::from_secs(2)));
        drop(listener);
        assert!(!reachable(&open, Duration::from_secs(2)));
        Ok(())
    }
}
