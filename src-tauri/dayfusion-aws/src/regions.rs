//! Where the webview's Face Liveness stream may go: the AWS Regions with
//! Amazon Rekognition Face Liveness and a bank's private (VPC interface)
//! streaming endpoint.
//!
//! The regions come from one file, `src-tauri/face-liveness-regions.json`
//! (the AWS page it follows and the date it was checked are in the file).
//! The webview's CSP (`connect-src`), the check of the configured region and
//! the widget's check of the credentials' region are all derived from it.

use std::sync::LazyLock;

use serde::Deserialize;

use crate::error::AwsError;

/// The list, compiled in.
const REGIONS_JSON: &str = include_str!("../../face-liveness-regions.json");

/// One region with Face Liveness.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FaceLivenessRegion {
    /// Region code (`sa-east-1`).
    pub code: String,
    /// AWS's name for it (`South America (Sao Paulo)`).
    pub name: String,
}

/// The file's contents.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegionList {
    /// The AWS page the list follows.
    source: String,
    /// When it was last compared with that page (YYYY-MM-DD).
    checked: String,
    regions: Vec<FaceLivenessRegion>,
}

/// A region code: lower-case words and a number joined by `-` (`ap-southeast-5`).
pub fn looks_like_region(code: &str) -> bool {
    let parts: Vec<&str> = code.split('-').collect();
    (3..=4).contains(&parts.len())
        && code.len() <= 32
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
}

/// Parses and checks the list: at least one region, each a region code, no
/// duplicates.
fn parse_list(text: &str) -> Result<RegionList, String> {
    let list: RegionList = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if list.regions.is_empty() {
        return Err("no regions".into());
    }
    let mut seen = std::collections::BTreeSet::new();
    for region in &list.regions {
        if !looks_like_region(&region.code) {
            return Err(format!("{:?} is not a region code", region.code));
        }
        if !seen.insert(region.code.as_str()) {
            return Err(format!("{} is listed twice", region.code));
        }
    }
    Ok(list)
}

/// The list; empty (nothing allowed: no stream can start) if the compiled-in
/// file were broken, which the tests rule out.
static LIST: LazyLock<RegionList> = LazyLock::new(|| {
    parse_list(REGIONS_JSON).unwrap_or_else(|e| {
        tracing::error!(event = "face_liveness_regions_invalid", error = %e, "face-liveness-regions.json is invalid; no region is allowed");
        RegionList::default()
    })
});

/// The regions with Face Liveness, in the file's order.
pub fn face_liveness_regions() -> &'static [FaceLivenessRegion] {
    &LIST.regions
}

/// The AWS page the list follows and the date it was checked.
pub fn face_liveness_regions_source() -> (&'static str, &'static str) {
    (&LIST.source, &LIST.checked)
}

/// Whether `code` is a region with Face Liveness.
pub fn is_face_liveness_region(code: &str) -> bool {
    face_liveness_regions().iter().any(|r| r.code == code)
}

/// The AWS regions in Brazil: data kept anywhere else leaves the country
/// (an international transfer, LGPD art. 33).
pub const BRAZIL_REGIONS: &[&str] = &["sa-east-1"];

/// Whether region `code` is in Brazil.
pub fn in_brazil(code: &str) -> bool {
    BRAZIL_REGIONS.contains(&code)
}

/// AWS's name for region `code` when it is one with Face Liveness.
pub fn region_name(code: &str) -> Option<&'static str> {
    face_liveness_regions()
        .iter()
        .find(|r| r.code == code)
        .map(|r| r.name.as_str())
}

/// A configuration error naming the regions unless `code` has Face Liveness.
pub fn require_face_liveness_region(code: &str) -> Result<(), AwsError> {
    if is_face_liveness_region(code) {
        return Ok(());
    }
    let codes: Vec<&str> = face_liveness_regions()
        .iter()
        .map(|r| r.code.as_str())
        .collect();
    Err(AwsError::Config(format!(
        "region {code:?} has no Amazon Rekognition Face Liveness; use one of {}",
        codes.join(", ")
    )))
}

/// The region's public streaming origin,
/// `wss://streaming-rekognition.<region>.amazonaws.com`.
pub fn public_streaming_origin(code: &str) -> String {
    format!("wss://streaming-rekognition.{code}.amazonaws.com")
}

/// Why a value is not a streaming endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// Not `wss://`.
    #[error("the endpoint must start with wss://")]
    NotWss,
    /// A user name, port, path, query or fragment.
    #[error(
        "the endpoint must be wss://host only (no user name, port, path, query or fragment): the detector appends its own path"
    )]
    NotAnOrigin,
    /// The host is not a Rekognition streaming VPC interface endpoint.
    #[error(
        "{0:?} is not the DNS name of a Rekognition streaming VPC interface endpoint (vpce-<id>-<suffix>[-<zone>].streaming-rekognition.<region>.vpce.amazonaws.com)"
    )]
    NotVpcEndpoint(String),
    /// The endpoint's region has no Face Liveness.
    #[error("the endpoint's region {0:?} has no Amazon Rekognition Face Liveness")]
    RegionWithoutLiveness(String),
    /// Not a loopback `wss://host:port` (the test switch).
    #[error(
        "a test endpoint must be wss://127.0.0.1:<port>, wss://[::1]:<port> or wss://localhost:<port> and nothing more"
    )]
    NotLoopback,
}

/// A streaming endpoint the detector connects to instead of the region's
/// public one, normalised to the origin `wss://host[:port]` (what the CSP
/// names and Amplify's `endpointOverride` takes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamingEndpoint {
    origin: String,
    region: Option<String>,
}

impl StreamingEndpoint {
    /// `wss://host[:port]`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The region the endpoint belongs to (a VPC endpoint's); `None` for a
    /// local test endpoint.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// A private (VPC interface) endpoint of Rekognition streaming, as
    /// `liveness-streaming-endpoint` takes it: `wss://` and a host
    /// `vpce-<id>-<suffix>[-<zone>].streaming-rekognition.<region>.vpce.amazonaws.com`
    /// in a region with Face Liveness; no user name, port, path (a single
    /// trailing `/` is allowed), query or fragment.
    pub fn parse_private(value: &str) -> Result<StreamingEndpoint, EndpointError> {
        let host = origin_host(value)?;
        if host.contains(':') {
            return Err(EndpointError::NotAnOrigin);
        }
        let host = host.to_owned();
        let not_vpce = || EndpointError::NotVpcEndpoint(host.clone());
        let labels: Vec<&str> = host.split('.').collect();
        let [endpoint_id, service, region, "vpce", "amazonaws", "com"] = labels.as_slice() else {
            return Err(not_vpce());
        };
        if *service != "streaming-rekognition" || !looks_like_region(region) {
            return Err(not_vpce());
        }
        if !valid_vpce_label(endpoint_id, region) {
            return Err(not_vpce());
        }
        if !is_face_liveness_region(region) {
            return Err(EndpointError::RegionWithoutLiveness((*region).to_owned()));
        }
        Ok(StreamingEndpoint {
            origin: format!("wss://{host}"),
            region: Some((*region).to_owned()),
        })
    }

    /// A local TLS fake for tests: `wss://127.0.0.1:<port>`,
    /// `wss://[::1]:<port>` or `wss://localhost:<port>`. Only the kiosk's
    /// debug builds accept it (see the app's test switch).
    pub fn parse_loopback(value: &str) -> Result<StreamingEndpoint, EndpointError> {
        let host_port = origin_host(value).map_err(|e| match e {
            EndpointError::NotWss => e,
            _ => EndpointError::NotLoopback,
        })?;
        let (host, port) = host_port
            .rsplit_once(':')
            .ok_or(EndpointError::NotLoopback)?;
        if !matches!(host, "127.0.0.1" | "[::1]" | "localhost")
            || port.is_empty()
            || port.len() > 5
            || !port.bytes().all(|b| b.is_ascii_digit())
            || !port.parse::<u16>().is_ok_and(|p| p != 0)
        {
            return Err(EndpointError::NotLoopback);
        }
        Ok(StreamingEndpoint {
            origin: format!("wss://{host_port}"),
            region: None,
        })
    }
}

/// The `host[:port]` of `wss://host[:port][/]` (upper-case letters are
/// refused, not folded); anything more is [`EndpointError::NotAnOrigin`].
fn origin_host(value: &str) -> Result<&str, EndpointError> {
    let rest = value
        .trim()
        .strip_prefix("wss://")
        .ok_or(EndpointError::NotWss)?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let allowed = |b: u8| {
        b.is_ascii_lowercase()
            || b.is_ascii_digit()
            || matches!(b, b'-' | b'.' | b':' | b'[' | b']')
    };
    if rest.is_empty() || !rest.bytes().all(allowed) {
        return Err(EndpointError::NotAnOrigin);
    }
    Ok(rest)
}

/// `vpce-<8-17 hex>-<4-16 of a-z0-9>`, optionally `-<region><zone letter>`
/// (the zonal DNS name, e.g. `vpce-0abc…-1a2b3c4d-sa-east-1a`).
fn valid_vpce_label(label: &str, region: &str) -> bool {
    let Some(rest) = label.strip_prefix("vpce-") else {
        return false;
    };
    let (id, rest) = rest.split_once('-').unwrap_or((rest, ""));
    let (suffix, zone) = rest.split_once('-').unwrap_or((rest, ""));
    let id_ok = (8..=17).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit());
    let suffix_ok = (4..=16).contains(&suffix.len())
        && suffix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let zone_ok = zone.is_empty()
        || zone.strip_prefix(region).is_some_and(|letter| {
            letter.len() == 1 && letter.bytes().all(|b| b.is_ascii_lowercase())
        });
    id_ok && suffix_ok && zone_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_parses_and_follows_the_aws_page() -> Result<(), String> {
        let list = parse_list(REGIONS_JSON)?;
        assert_eq!(list.regions, face_liveness_regions());
        let codes: Vec<&str> = list.regions.iter().map(|r| r.code.as_str()).collect();
        // The streaming endpoints of the AWS General Reference, checked on
        // the date in the file; sa-east-1 is the Brazilian data residency.
        assert_eq!(
            codes,
            [
                "us-east-1",
                "us-west-2",
                "ap-south-1",
                "ap-northeast-1",
                "eu-west-1",
                "sa-east-1",
                "ap-southeast-5",
                "ap-southeast-7"
            ]
        );
        let (source, checked) = face_liveness_regions_source();
        assert!(
            source.starts_with("https://docs.aws.amazon.com/general/latest/gr/rekognition.html")
        );
        assert_eq!(checked.len(), 10, "{checked}");
        Ok(())
    }

    #[test]
    fn broken_lists_are_refused() {
        for bad in [
            r#"{"source":"s","checked":"c","regions":[]}"#,
            r#"{"source":"s","checked":"c","regions":[{"code":"Brazil","name":"x"}]}"#,
            r#"{"source":"s","checked":"c","regions":[{"code":"sa-east-1","name":"x"},{"code":"sa-east-1","name":"y"}]}"#,
            "not json",
        ] {
            assert!(parse_list(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_region_check_accepts_listed_regions_only() {
        for ok in ["sa-east-1", "us-east-1", "ap-southeast-7"] {
            assert!(require_face_liveness_region(ok).is_ok(), "{ok}");
        }
        for bad in [
            "eu-central-1",
            "ap-southeast-2",
            "us-east-2",
            "",
            "SA-EAST-1",
            "sa-east-1 ",
        ] {
            let err = require_face_liveness_region(bad).err();
            assert!(
                err.as_ref()
                    .is_some_and(|e| e.to_string().contains("sa-east-1")),
                "{bad}: {err:?}"
            );
        }
        assert_eq!(
            public_streaming_origin("sa-east-1"),
            "wss://streaming-rekognition.sa-east-1.amazonaws.com"
        );
    }

    #[test]
    fn private_endpoints_are_vpc_interface_endpoints_of_a_liveness_region()
    -> Result<(), EndpointError> {
        let regional = StreamingEndpoint::parse_private(
            "wss://vpce-0a1b2c3d4e5f67890-abcd1234.streaming-rekognition.sa-east-1.vpce.amazonaws.com",
        )?;
        assert_eq!(
            regional.origin(),
            "wss://vpce-0a1b2c3d4e5f67890-abcd1234.streaming-rekognition.sa-east-1.vpce.amazonaws.com"
        );
        assert_eq!(regional.region(), Some("sa-east-1"));
        let zonal = StreamingEndpoint::parse_private(
            " wss://vpce-0a1b2c3d-abcd1234-us-east-1a.streaming-rekognition.us-east-1.vpce.amazonaws.com/ ",
        )?;
        assert_eq!(
            zonal.origin(),
            "wss://vpce-0a1b2c3d-abcd1234-us-east-1a.streaming-rekognition.us-east-1.vpce.amazonaws.com"
        );
        let host =
            "vpce-0a1b2c3d4e5f67890-abcd1234.streaming-rekognition.sa-east-1.vpce.amazonaws.com";
        for (bad, why) in [
            (format!("https://{host}"), EndpointError::NotWss),
            (format!("ws://{host}"), EndpointError::NotWss),
            (host.to_owned(), EndpointError::NotWss),
            (format!("wss://{host}:8443"), EndpointError::NotAnOrigin),
            (
                format!("wss://{host}/start-face-liveness-session-websocket"),
                EndpointError::NotAnOrigin,
            ),
            (format!("wss://{host}?x=1"), EndpointError::NotAnOrigin),
            (format!("wss://{host}#f"), EndpointError::NotAnOrigin),
            (format!("wss://user@{host}"), EndpointError::NotAnOrigin),
            (format!("wss://{host}//"), EndpointError::NotAnOrigin),
            (
                format!("wss://{}", host.to_uppercase()),
                EndpointError::NotAnOrigin,
            ),
            ("wss://".to_owned(), EndpointError::NotAnOrigin),
        ] {
            assert_eq!(StreamingEndpoint::parse_private(&bad), Err(why), "{bad}");
        }
        for host in [
            // The region's public endpoint, FIPS, another service, another suffix.
            "streaming-rekognition.sa-east-1.amazonaws.com",
            "streaming-rekognition-fips.us-east-1.amazonaws.com",
            "vpce-0a1b2c3d4e5f67890-abcd1234.rekognition.sa-east-1.vpce.amazonaws.com",
            "vpce-0a1b2c3d4e5f67890-abcd1234.streaming-rekognition.sa-east-1.vpce.amazonaws.com.evil.example",
            "evil.example.streaming-rekognition.sa-east-1.vpce.amazonaws.com",
            "vpce-0a1b2c3d4e5f67890-abcd1234.streaming-rekognition.sa-east-1.vpce.amazonaws.co",
            // Malformed endpoint ids and zones.
            "vpce-xyz-abcd1234.streaming-rekognition.sa-east-1.vpce.amazonaws.com",
            "vpce-0a1b2c3d4e5f67890.streaming-rekognition.sa-east-1.vpce.amazonaws.com",
            "vpce-0a1b2c3d-abcd1234-us-east-1a.streaming-rekognition.sa-east-1.vpce.amazonaws.com",
            "vpce-0a1b2c3d-abcd1234-sa-east-1ab.streaming-rekognition.sa-east-1.vpce.amazonaws.com",
            "vpce-0a1b2c3d-abcd1234.streaming-rekognition.sa.east.1.vpce.amazonaws.com",
        ] {
            let result = StreamingEndpoint::parse_private(&format!("wss://{host}"));
            assert!(
                matches!(result, Err(EndpointError::NotVpcEndpoint(_))),
                "{host}: {result:?}"
            );
        }
        assert_eq!(
            StreamingEndpoint::parse_private(
                "wss://vpce-0a1b2c3d-abcd1234.streaming-rekognition.eu-central-1.vpce.amazonaws.com"
            ),
            Err(EndpointError::RegionWithoutLiveness("eu-central-1".into()))
        );
        Ok(())
    }

    #[test]
    fn aws_toml_takes_a_private_endpoint_in_its_region() {
        let host = "wss://vpce-0a1b2c3d4e5f67890-abcd1234.streaming-rekognition.sa-east-1.vpce.amazonaws.com";
        let settings = |region: Option<&str>, endpoint: Option<&str>| crate::AwsSettings {
            region: region.map(Into::into),
            liveness_streaming_endpoint: endpoint.map(Into::into),
            ..crate::AwsSettings::default()
        };
        assert!(settings(None, None).validate().is_ok());
        let ok = settings(Some("sa-east-1"), Some(host));
        assert!(ok.validate().is_ok());
        assert_eq!(
            ok.liveness_endpoint()
                .ok()
                .flatten()
                .map(|e| e.origin().to_owned()),
            Some(host.to_owned())
        );
        assert!(settings(None, Some(host)).validate().is_ok());
        for (region, endpoint) in [
            (Some("us-east-1"), Some(host)),
            (
                None,
                Some("wss://streaming-rekognition.sa-east-1.amazonaws.com"),
            ),
            (None, Some("https://example.com")),
            (Some("Brazil"), None),
            (Some("sa-east-1; rm"), None),
        ] {
            let refused = settings(region, endpoint).validate();
            assert!(
                matches!(refused, Err(AwsError::Config(_))),
                "{region:?} {endpoint:?}: {refused:?}"
            );
        }
        // The key's name in aws.toml.
        let parsed: Result<crate::AwsSettings, _> =
            toml::from_str(&format!("liveness-streaming-endpoint = \"{host}\"\n"));
        assert_eq!(
            parsed.ok().and_then(|s| s.liveness_streaming_endpoint),
            Some(host.to_owned())
        );
    }

    #[test]
    fn test_endpoints_are_loopback_origins_with_a_port() -> Result<(), EndpointError> {
        for (value, origin) in [
            ("wss://127.0.0.1:8443", "wss://127.0.0.1:8443"),
            ("wss://[::1]:9000/", "wss://[::1]:9000"),
            ("wss://localhost:443", "wss://localhost:443"),
        ] {
            let endpoint = StreamingEndpoint::parse_loopback(value)?;
            assert_eq!(endpoint.origin(), origin);
            assert_eq!(endpoint.region(), None);
        }
        for bad in [
            "wss://127.0.0.1",
            "wss://127.0.0.1:0",
            "wss://127.0.0.1:99999",
            "wss://127.0.0.1:8443/path",
            "wss://10.0.0.1:8443",
            "wss://example.com:8443",
            "wss://127.0.0.1.example.com:8443",
        ] {
            assert_eq!(
                StreamingEndpoint::parse_loopback(bad),
                Err(EndpointError::NotLoopback),
                "{bad}"
            );
        }
        assert_eq!(
            StreamingEndpoint::parse_loopback("ws://127.0.0.1:8443"),
            Err(EndpointError::NotWss)
        );
        Ok(())
    }
}
