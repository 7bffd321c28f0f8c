//! Data centers and their REST domains (api-facts.md §4), and custom base URLs.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Region {
    China,
    Singapore,
    Seoul,
    Frankfurt,
    SiliconValley,
    Jakarta,
    Tokyo,
    Mumbai,
    Riyadh,
}

impl Region {
    pub const ALL: [Region; 9] = [
        Region::China,
        Region::Singapore,
        Region::Seoul,
        Region::Frankfurt,
        Region::SiliconValley,
        Region::Jakarta,
        Region::Tokyo,
        Region::Mumbai,
        Region::Riyadh,
    ];

    /// (slug, display name, primary domain, backup domain)
    fn row(self) -> (&'static str, &'static str, &'static str, Option<&'static str>) {
        match self {
            Region::China => ("china", "China", "console.tim.qq.com", Some("adminapi.my-imcloud.com")),
            Region::Singapore => {
                ("singapore", "Singapore", "adminapisgp.im.qcloud.com", Some("adminapisgp.my-imcloud.com"))
            }
            Region::Seoul => ("seoul", "Seoul", "adminapikr.im.qcloud.com", Some("adminapikr.my-imcloud.com")),
            Region::Frankfurt => {
                ("frankfurt", "Frankfurt", "adminapiger.im.qcloud.com", Some("adminapiger.my-imcloud.com"))
            }
            Region::SiliconValley => {
                ("silicon-valley", "Silicon Valley", "adminapiusa.im.qcloud.com", Some("adminapiusa.my-imcloud.com"))
            }
            Region::Jakarta => ("jakarta", "Jakarta", "adminapiidn.im.qcloud.com", Some("adminapiidn.my-imcloud.com")),
            // Newer pages (2025) list Tokyo without a backup domain.
            Region::Tokyo => ("tokyo", "Tokyo", "adminapijpn.im.qcloud.com", None),
            // Only older pages list Mumbai.
            Region::Mumbai => ("mumbai", "Mumbai", "adminapiind.im.qcloud.com", Some("adminapiind.my-imcloud.com")),
            // The newer push pages (269/130281) list Riyadh beside Tokyo, with no backup domain.
            Region::Riyadh => ("riyadh", "Riyadh", "adminapiksa.im.qcloud.com", None),
        }
    }

    pub fn slug(self) -> &'static str {
        self.row().0
    }
    pub fn name(self) -> &'static str {
        self.row().1
    }
    pub fn primary(self) -> &'static str {
        self.row().2
    }
    pub fn backup(self) -> Option<&'static str> {
        self.row().3
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// A region name timx does not know; it lists the ones it does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown region {given:?}; expected one of: {}", Region::ALL.iter().map(|r| r.slug()).collect::<Vec<_>>().join(", "))]
pub struct UnknownRegion {
    pub given: String,
}

impl FromStr for Region {
    type Err = UnknownRegion;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace([' ', '_'], "-");
        let alias = match norm.as_str() {
            "cn" | "mainland" => "china",
            "sgp" | "sg" => "singapore",
            "kr" => "seoul",
            "ger" | "de" => "frankfurt",
            "usa" | "us" | "siliconvalley" => "silicon-valley",
            "idn" | "id" => "jakarta",
            "jpn" | "jp" => "tokyo",
            "ind" | "in" => "mumbai",
            "ksa" | "sa" => "riyadh",
            other => other,
        };
        Region::ALL.into_iter().find(|r| r.slug() == alias).ok_or_else(|| UnknownRegion { given: s.to_owned() })
    }
}

/// Where calls go: a region's domain over HTTPS, or an explicit base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Region {
        region: Region,
        backup: bool,
    },
    /// Scheme + host (+ port), no trailing slash, e.g. `http://127.0.0.1:8080`.
    BaseUrl(String),
}

impl Endpoint {
    /// A custom base URL. HTTPS anywhere; plain HTTP only to loopback (the emulator).
    pub fn base_url(url: &str) -> Result<Endpoint, String> {
        let url = url.trim().trim_end_matches('/');
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("invalid base URL {url:?}: {e}"))?;
        let host = parsed.host_str().ok_or_else(|| format!("base URL {url:?} has no host"))?;
        match parsed.scheme() {
            "https" => {}
            "http" if is_loopback(host) => {}
            "http" => {
                return Err(format!(
                    "base URL {url:?} uses plain http to a non-loopback host; the service is HTTPS only \
                     (plain http is allowed for 127.0.0.1/localhost, i.e. the emulator)"
                ));
            }
            other => return Err(format!("base URL scheme {other:?} is not supported; use https")),
        }
        if parsed.path() != "/" && !parsed.path().is_empty() || parsed.query().is_some() {
            return Err(format!("base URL {url:?} must be scheme://host[:port] with no path or query"));
        }
        Ok(Endpoint::BaseUrl(url.to_owned()))
    }

    pub fn root(&self) -> String {
        match self {
            Endpoint::Region { region, backup: true } if region.backup().is_some() => {
                format!("https://{}", region.backup().unwrap_or(region.primary()))
            }
            Endpoint::Region { region, .. } => format!("https://{}", region.primary()),
            Endpoint::BaseUrl(u) => u.clone(),
        }
    }

    /// Short label for headers and journals.
    pub fn label(&self) -> String {
        match self {
            Endpoint::Region { region, backup } => {
                format!("{}{}", region.name(), if *backup { " (backup)" } else { "" })
            }
            Endpoint::BaseUrl(u) => u.clone(),
        }
    }

    pub fn region(&self) -> Option<Region> {
        match self {
            Endpoint::Region { region, .. } => Some(*region),
            Endpoint::BaseUrl(_) => None,
        }
    }
}

fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_region_parses_from_its_slug_and_aliases() {
        for r in Region::ALL {
            assert_eq!(r.slug().parse::<Region>(), Ok(r));
            assert_eq!(r.name().parse::<Region>(), Ok(r));
        }
        assert_eq!("usa".parse::<Region>(), Ok(Region::SiliconValley));
        assert!("mars".parse::<Region>().unwrap_err().to_string().contains("frankfurt"));
    }

    #[test]
    fn domains_follow_the_vendor_table() {
        assert_eq!(Endpoint::Region { region: Region::China, backup: false }.root(), "https://console.tim.qq.com");
        assert_eq!(
            Endpoint::Region { region: Region::Frankfurt, backup: true }.root(),
            "https://adminapiger.my-imcloud.com"
        );
        // Tokyo has no backup: the primary is used.
        assert_eq!(
            Endpoint::Region { region: Region::Tokyo, backup: true }.root(),
            "https://adminapijpn.im.qcloud.com"
        );
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(Endpoint::base_url("http://127.0.0.1:9000").is_ok());
        assert!(Endpoint::base_url("http://localhost:9000/").is_ok());
        assert!(Endpoint::base_url("http://[::1]:9000").is_ok());
        assert!(Endpoint::base_url("https://example.com").is_ok());
        assert!(Endpoint::base_url("http://example.com").unwrap_err().contains("HTTPS only"));
        assert!(Endpoint::base_url("http://127.0.0.1:9/v4").is_err());
        assert!(Endpoint::base_url("ftp://127.0.0.1").is_err());
    }
}
