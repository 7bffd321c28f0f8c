//! The two REST families and their command tables (api-facts.md §2.3, §2.4).

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// `v4/all_member_push/im_*`, the older "push to all users" family.
    #[default]
    AllMemberPush,
    /// `v4/timpush/*`, the newer Push service family (ErrorList, AttrTypes, RegistrationIDs).
    Timpush,
}

impl Family {
    pub const ALL: [Family; 2] = [Family::AllMemberPush, Family::Timpush];

    pub fn service(self) -> &'static str {
        match self {
            Family::AllMemberPush => "all_member_push",
            Family::Timpush => "timpush",
        }
    }

    pub fn from_service(s: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.service() == s)
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.service())
    }
}

/// A family name that is neither of the two.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown family {0:?}; expected all_member_push or timpush")]
pub struct UnknownFamily(pub String);

impl FromStr for Family {
    type Err = UnknownFamily;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "all_member_push" | "allmemberpush" | "amp" => Ok(Family::AllMemberPush),
            "timpush" | "tim_push" => Ok(Family::Timpush),
            _ => Err(UnknownFamily(s.to_owned())),
        }
    }
}

/// The nine attr/tag commands, named by what they do; the wire name depends on the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    SetAttrName,
    GetAttrName,
    GetAttr,
    SetAttr,
    RemoveAttr,
    GetTag,
    AddTag,
    RemoveTag,
    /// `im_remove_all_tags` in all_member_push, `clear_all_tags` in timpush.
    RemoveAllTags,
}

impl Command {
    pub const ALL: [Command; 9] = [
        Command::SetAttrName,
        Command::GetAttrName,
        Command::GetAttr,
        Command::SetAttr,
        Command::RemoveAttr,
        Command::GetTag,
        Command::AddTag,
        Command::RemoveTag,
        Command::RemoveAllTags,
    ];

    /// The command segment of the URL for a family.
    pub fn wire_name(self, family: Family) -> &'static str {
        use Command::*;
        match (family, self) {
            (Family::AllMemberPush, SetAttrName) => "im_set_attr_name",
            (Family::AllMemberPush, GetAttrName) => "im_get_attr_name",
            (Family::AllMemberPush, GetAttr) => "im_get_attr",
            (Family::AllMemberPush, SetAttr) => "im_set_attr",
            (Family::AllMemberPush, RemoveAttr) => "im_remove_attr",
            (Family::AllMemberPush, GetTag) => "im_get_tag",
            (Family::AllMemberPush, AddTag) => "im_add_tag",
            (Family::AllMemberPush, RemoveTag) => "im_remove_tag",
            (Family::AllMemberPush, RemoveAllTags) => "im_remove_all_tags",
            (Family::Timpush, SetAttrName) => "set_attr_name",
            (Family::Timpush, GetAttrName) => "get_attr_name",
            (Family::Timpush, GetAttr) => "get_attr",
            (Family::Timpush, SetAttr) => "set_attr",
            (Family::Timpush, RemoveAttr) => "remove_attr",
            (Family::Timpush, GetTag) => "get_tag",
            (Family::Timpush, AddTag) => "add_tag",
            (Family::Timpush, RemoveTag) => "remove_tag",
            (Family::Timpush, RemoveAllTags) => "clear_all_tags",
        }
    }

    /// `v4/<service>/<command>`
    pub fn path(self, family: Family) -> String {
        format!("v4/{}/{}", family.service(), self.wire_name(family))
    }

    pub fn from_wire(family: Family, name: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.wire_name(family) == name)
    }

    /// Whether the command changes data (gated by read-only profiles).
    pub fn is_write(self) -> bool {
        !matches!(self, Command::GetAttrName | Command::GetAttr | Command::GetTag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_follow_the_docs() {
        assert_eq!(Command::GetAttr.path(Family::AllMemberPush), "v4/all_member_push/im_get_attr");
        assert_eq!(Command::GetTag.path(Family::Timpush), "v4/timpush/get_tag");
        // timpush has no remove_all_tags.
        assert_eq!(Command::RemoveAllTags.wire_name(Family::Timpush), "clear_all_tags");
        assert_eq!(Command::from_wire(Family::Timpush, "remove_all_tags"), None);
        for f in Family::ALL {
            for c in Command::ALL {
                assert_eq!(Command::from_wire(f, c.wire_name(f)), Some(c));
            }
        }
    }
}
