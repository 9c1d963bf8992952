//! The contract's names (scopes, kinds, statuses, types, modes) as guard-core
//! spells them, so the server never spells them again: it stores and compares
//! what guard-core's own (serde) names are.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

// guard-core: replace with the enums' own `as_str` once merged
/// The contract's name of `value` (`restricted`, `mini_game`, …): exactly
/// what guard-core writes into a policy document.
pub fn name<T: Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        // Only unit variants are passed here; anything else has no name.
        _ => String::new(),
    }
}

// guard-core: replace with the enums' own `parse` once merged
/// The enum value the contract calls `name`, if any: exactly what guard-core
/// reads from a policy document.
pub fn parse<T: DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(Value::String(name.to_owned())).ok()
}

#[cfg(test)]
mod tests {
    use guard_core::{ApiStatus, AppKind, Scope};

    use super::*;

    #[test]
    fn names_round_trip_as_guard_core_spells_them() {
        assert_eq!(name(AppKind::MiniGame), AppKind::MiniGame.as_str());
        assert_eq!(
            parse::<Scope>(&name(Scope::MiniProgram)),
            Some(Scope::MiniProgram)
        );
        assert_eq!(
            parse::<ApiStatus>(&name(ApiStatus::Public)),
            Some(ApiStatus::Public)
        );
        assert_eq!(parse::<Scope>("everything"), None);
    }
}
