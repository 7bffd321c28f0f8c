//! Request and response bodies exactly as on the wire (PascalCase / `To_Account` names).
//! Shared by the client (which sends them) and the emulator (which serves them).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The status part every response carries. HTTP is 200 even when this says FAIL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    #[serde(rename = "ActionStatus", default)]
    pub action_status: String,
    #[serde(rename = "ErrorCode", default)]
    pub error_code: i64,
    #[serde(rename = "ErrorInfo", default)]
    pub error_info: String,
    /// timpush partial success: per-account errors beside `ActionStatus: OK`.
    #[serde(rename = "ErrorList", default, skip_serializing_if = "Vec::is_empty")]
    pub error_list: Vec<AccountError>,
}

impl Status {
    pub fn ok() -> Status {
        Status { action_status: "OK".into(), ..Status::default() }
    }
    pub fn fail(code: i64, info: impl Into<String>) -> Status {
        Status { action_status: "FAIL".into(), error_code: code, error_info: info.into(), error_list: vec![] }
    }
    pub fn is_ok(&self) -> bool {
        self.action_status == "OK" && self.error_code == 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountError {
    #[serde(rename = "To_Account")]
    pub to_account: String,
    #[serde(rename = "ErrorCode")]
    pub error_code: i64,
    #[serde(rename = "ErrorInfo", default)]
    pub error_info: String,
}

/// `{"To_Account":[...]}`: get_attr, get_tag, remove_all_tags / clear_all_tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountsRequest {
    #[serde(rename = "To_Account")]
    pub to_account: Vec<String>,
}

/// Slot index ("0".."9") → name, and (timpush) slot → account type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttrNames {
    #[serde(rename = "AttrNames", default)]
    pub attr_names: BTreeMap<String, String>,
    #[serde(rename = "AttrTypes", default, skip_serializing_if = "Option::is_none")]
    pub attr_types: Option<BTreeMap<String, u8>>,
}

/// One attribute slot of an app: its number, its name (None: empty) and its account type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot<'a> {
    pub slot: usize,
    pub name: Option<&'a str>,
    /// timpush `AttrTypes` (0 UserID, 1 RegistrationID); 0 when not given.
    pub attr_type: u8,
}

impl AttrNames {
    /// Every slot 0–9 in order, named or empty.
    pub fn slots(&self) -> impl Iterator<Item = Slot<'_>> {
        (0..super::ATTR_SLOTS).map(move |slot| {
            let key = slot.to_string();
            Slot {
                slot,
                name: self.attr_names.get(&key).map(String::as_str),
                attr_type: self.attr_types.as_ref().and_then(|t| t.get(&key)).copied().unwrap_or(ATTR_TYPE_USERID),
            }
        })
    }

    /// Attribute names in slot order (0..9): the column order of tables and CSV.
    pub fn names_in_slot_order(&self) -> Vec<String> {
        self.slots().filter_map(|s| s.name.map(str::to_owned)).collect()
    }
}

/// Account type of a timpush attribute slot.
pub const ATTR_TYPE_USERID: u8 = 0;
pub const ATTR_TYPE_REGISTRATION_ID: u8 = 1;

pub fn attr_type_name(t: u8) -> &'static str {
    match t {
        ATTR_TYPE_USERID => "UserID",
        ATTR_TYPE_REGISTRATION_ID => "RegistrationID",
        _ => "unknown",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAttrs {
    #[serde(rename = "To_Account")]
    pub to_account: String,
    /// Attribute **name** → value.
    #[serde(rename = "Attrs", default)]
    pub attrs: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetAttrResponse {
    #[serde(rename = "UserAttrs", default)]
    pub user_attrs: Vec<UserAttrs>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserTags {
    #[serde(rename = "To_Account")]
    pub to_account: String,
    #[serde(rename = "Tags", default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetTagResponse {
    #[serde(rename = "UserTags", default)]
    pub user_tags: Vec<UserTags>,
}

/// set_attr request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAttrRequest {
    #[serde(rename = "UserAttrs")]
    pub user_attrs: Vec<UserAttrs>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAttrNames {
    #[serde(rename = "To_Account")]
    pub to_account: String,
    #[serde(rename = "Attrs")]
    pub attrs: Vec<String>,
}

/// remove_attr request: names only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoveAttrRequest {
    #[serde(rename = "UserAttrs")]
    pub user_attrs: Vec<UserAttrNames>,
}

/// add_tag / remove_tag request. `Replace` exists only in timpush add_tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagsRequest {
    #[serde(rename = "Replace", default, skip_serializing_if = "Option::is_none")]
    pub replace: Option<u8>,
    #[serde(rename = "UserTags")]
    pub user_tags: Vec<UserTags>,
}

/// `v4/im_open_login_svc/account_import`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountImport {
    #[serde(rename = "UserID")]
    pub user_id: String,
    #[serde(rename = "Nick", default, skip_serializing_if = "Option::is_none")]
    pub nick: Option<String>,
    #[serde(rename = "FaceUrl", default, skip_serializing_if = "Option::is_none")]
    pub face_url: Option<String>,
}

/// `v4/im_open_login_svc/multiaccount_import`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiAccountImport {
    #[serde(rename = "Accounts")]
    pub accounts: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiAccountImportResponse {
    #[serde(rename = "FailAccounts", default)]
    pub fail_accounts: Vec<String>,
}

pub const ACCOUNT_IMPORT_PATH: &str = "v4/im_open_login_svc/account_import";
pub const MULTI_ACCOUNT_IMPORT_PATH: &str = "v4/im_open_login_svc/multiaccount_import";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_get_attr_example() {
        let body = r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"UserAttrs":[
            {"To_Account":"张小红","Attrs":{"sex":"女","city":"纽约"}},
            {"To_Account":"abc","Attrs":{}}]}"#;
        let status: Status = serde_json::from_str(body).unwrap();
        assert!(status.is_ok());
        let r: GetAttrResponse = serde_json::from_str(body).unwrap();
        assert_eq!(r.user_attrs[0].attrs["city"], "纽约");
        assert!(r.user_attrs[1].attrs.is_empty());
    }

    #[test]
    fn parses_a_timpush_partial_success() {
        let body = r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,
            "UserTags":[{"To_Account":"xiaoming","Tags":["GoldMember"]}],
            "ErrorList":[{"To_Account":"ghost","ErrorCode":70107,"ErrorInfo":"account not exist"}]}"#;
        let status: Status = serde_json::from_str(body).unwrap();
        assert!(status.is_ok());
        assert_eq!(status.error_list[0].error_code, 70107);
    }

    #[test]
    fn replace_is_omitted_unless_set() {
        let r = TagsRequest { replace: None, user_tags: vec![] };
        assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"UserTags":[]}"#);
    }
}
