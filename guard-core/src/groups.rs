//! Permission groups (`policy.md` §1, contract v3): APIs that hand a mini
//! program the same data or capability share one permission, so restricting,
//! granting or revoking any of them means all of them. The table is part of
//! the contract version; `data/api-groups.json` is the project's copy of the
//! contract's file, and a test holds this table to it.

/// Every group and its APIs, in the contract file's order.
pub const GROUPS: &[(&str, &[&str])] = &[
    (
        "scope.userLocation",
        &[
            "getLocation",
            "startLocationUpdate",
            "onLocationChange",
            "onLocationChangeError",
        ],
    ),
    (
        "scope.userLocationBackground",
        &["startLocationUpdateBackground"],
    ),
    ("scope.userFuzzyLocation", &["getFuzzyLocation"]),
    (
        "scope.record",
        &["startRecord", "getRecorderManager", "joinVoIPChat"],
    ),
    ("scope.camera", &["createCameraContext", "createVKSession"]),
    (
        "scope.bluetooth",
        &["openBluetoothAdapter", "createBLEPeripheralServer"],
    ),
    (
        "scope.writePhotosAlbum",
        &["saveImageToPhotosAlbum", "saveVideoToPhotosAlbum"],
    ),
    ("scope.addPhoneContact", &["addPhoneContact"]),
    (
        "scope.addPhoneCalendar",
        &["addPhoneCalendar", "addPhoneRepeatCalendar"],
    ),
    ("scope.werun", &["getWeRunData"]),
    (
        "group.chooseMedia",
        &["chooseImage", "chooseMedia", "chooseVideo"],
    ),
    ("group.phoneNumber", &["getPhoneNumber"]),
    ("group.clipboard", &["getClipboardData"]),
];

/// The group named `name`, with its APIs.
pub fn group(name: &str) -> Option<(&'static str, &'static [&'static str])> {
    GROUPS.iter().copied().find(|(g, _)| *g == name)
}

/// The group an API belongs to, if any (a name belongs to at most one).
///
/// # Examples
///
/// ```
/// assert_eq!(guard_core::groups::group_of("startLocationUpdate"), Some("scope.userLocation"));
/// assert_eq!(guard_core::groups::group_of("showToast"), None);
/// ```
pub fn group_of(api: &str) -> Option<&'static str> {
    GROUPS
        .iter()
        .find(|(_, apis)| apis.contains(&api))
        .map(|(g, _)| *g)
}

/// The permission a name stands for in a `schema: 3` document: its group
/// when it is a group or one of a group's APIs, else the name itself.
pub fn permission(name: &str) -> &str {
    match group(name) {
        Some((g, _)) => g,
        None => group_of(name).unwrap_or(name),
    }
}

/// Whether `name` looks like a group (`scope.` or `group.`), whether or not
/// the table has it: such a name in a policy that is not a group of the
/// table is a typo that would restrict nothing (§1).
pub fn looks_like_group(name: &str) -> bool {
    name.starts_with("scope.") || name.starts_with("group.")
}

/// Every API a permission covers: a group's APIs, or the name alone.
pub(crate) fn members(name: &str) -> &[&str] {
    match group(name) {
        Some((_, apis)) => apis,
        None => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_the_contracts_file() {
        let file: serde_json::Value =
            serde_json::from_str(include_str!("../data/api-groups.json")).unwrap();
        let groups = file["groups"].as_object().unwrap();
        let from_file: Vec<(String, Vec<String>)> = groups
            .iter()
            .map(|(g, apis)| {
                let apis = apis.as_array().unwrap();
                (
                    g.clone(),
                    apis.iter()
                        .map(|a| a.as_str().unwrap().to_owned())
                        .collect(),
                )
            })
            .collect();
        let here: Vec<(String, Vec<String>)> = GROUPS
            .iter()
            .map(|(g, apis)| {
                (
                    (*g).to_owned(),
                    apis.iter().map(|a| (*a).to_owned()).collect(),
                )
            })
            .collect();
        let mut a = from_file.clone();
        let mut b = here.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        // A name belongs to at most one group.
        let mut all: Vec<&str> = GROUPS
            .iter()
            .flat_map(|(_, apis)| apis.iter().copied())
            .collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n);
    }

    #[test]
    fn permissions_are_groups_or_names() {
        assert_eq!(permission("getLocation"), "scope.userLocation");
        assert_eq!(permission("scope.userLocation"), "scope.userLocation");
        assert_eq!(permission("openWallet"), "openWallet");
        assert_eq!(members("group.chooseMedia").len(), 3);
        assert!(members("getLocation").is_empty());
        assert!(looks_like_group("scope.typo") && !looks_like_group("scopeX"));
    }
}
