//! The region probe's report: which data center answered for the SDKAppID, as advice. Pure, so
//! it is tested without a network.

use crate::api::codes;
use crate::client::CallError;

/// The lines of the report for `profile`'s probe answers, one per region, then the advice.
pub fn report(profile: &str, results: &[(String, Result<(), CallError>)]) -> Vec<String> {
    let mut lines = vec![format!("SDKAppID of profile {profile}, asked in every data center:"), String::new()];
    let mut home = Vec::new();
    for (region, r) in results {
        let verdict = match r {
            Ok(()) => {
                home.push(region.clone());
                "answers: this is the app's data center".to_string()
            }
            Err(e) if e.code().is_some_and(codes::is_wrong_region) => "not here (70016/70020)".to_string(),
            Err(e) => {
                // Another service error still proves the app exists here (e.g. 90045 feature off).
                if e.code().is_some() {
                    home.push(region.clone());
                }
                format!("{}: {}", e.label(), codes::lookup(e.code().unwrap_or(0)).meaning)
            }
        };
        lines.push(format!("{region:<16} {verdict}"));
    }
    lines.push(String::new());
    lines.push(match home.as_slice() {
        [] => "No region recognised the SDKAppID; check it in the console.".into(),
        [r] => format!("Set region = \"{r}\" in the profile."),
        many => format!("Several regions answered: {}", many.join(", ")),
    });
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(code: i64) -> Result<(), CallError> {
        Err(CallError::Service { code, info: String::new() })
    }

    #[test]
    fn the_region_that_answers_is_the_advice() {
        let results = vec![
            ("china".to_string(), service(70020)),
            ("singapore".to_string(), Ok(())),
            ("seoul".to_string(), service(70016)),
            (
                "tokyo".to_string(),
                Err(CallError::Transport { kind: crate::client::TransportKind::Timeout, message: "t".into() }),
            ),
        ];
        let lines = report("prod", &results);
        assert!(lines[2].starts_with("china") && lines[2].contains("not here"));
        assert!(lines[3].contains("answers"));
        assert!(lines[5].contains("net:timeout"));
        assert_eq!(lines.last().unwrap(), "Set region = \"singapore\" in the profile.");
        // A feature error still means the app lives there.
        let lines = report("p", &[("a".into(), service(90045)), ("b".into(), service(70020))]);
        assert_eq!(lines.last().unwrap(), "Set region = \"a\" in the profile.");
        assert!(report("p", &[("a".into(), service(70020))]).last().unwrap().starts_with("No region"));
    }
}
