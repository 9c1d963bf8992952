//! Reading a JSON object's members by name: one loop shared by every
//! document type the guard reads, so that each type adds only its table of
//! names and a `match` that reads one member (decision 600).
//!
//! serde's derived readers gave each type a field-name visitor, a reader of
//! the object in field order from a JSON array and one from an object, with
//! every member's read and error inlined (41 KB of the `.wasm`, at
//! guard-core's `opt-level = 3`: docs/benchmarks.md, issue 24). The texts
//! stay serde's own (`unknown field`, `duplicate field`, `missing field`,
//! `invalid type: …, expected struct Policy`), raised at the same place in
//! the text, so the field path of `json_path` is unchanged. An array where
//! an object belongs is refused (`policy.md` §1 describes objects), where
//! the derived readers took it as the members in declaration order.

use serde::de::{DeserializeSeed, Deserializer, Error, IgnoredAny, MapAccess, Visitor};
use std::fmt;

/// A type read from a JSON object whose member names are [`Self::NAMES`].
pub(crate) trait Members<'de>: Sized {
    /// What a value of another JSON type was expected to be, as serde's
    /// derived readers said it: `struct Policy`.
    const EXPECTING: &'static str;
    /// The member names, in declaration order (the order an unknown
    /// member's message lists them in).
    const NAMES: &'static [&'static str];
    /// Bit `i` set: `NAMES[i]` is required (at most 64 members).
    const REQUIRED: u64;
    /// Whether a member of another name is skipped (a JWS header, whose
    /// other members the contract does not read) rather than refused.
    const OTHERS_SKIPPED: bool = false;

    /// Reads the value of member `NAMES[index]` from `map` into `self`.
    /// Implementations are `#[inline(never)]`, as is the loop calling
    /// them: at guard-core's `opt-level = 3` each was inlined into the one
    /// reading its containing list or object, copying `serde_json`'s
    /// readers of its members' types once more per level (3.3 KB raw, 2.2 KB
    /// gzip of the `.wasm`, docs/benchmarks.md, round 3).
    ///
    /// # Errors
    ///
    /// The value's own error (wrong type, unknown name, out of range).
    fn member<A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error>;
}

/// Reads one object into `empty` (every required member a placeholder,
/// every optional one its default): unknown, duplicate and missing members
/// are refused, and so is any other JSON type, arrays included.
///
/// # Errors
///
/// serde's errors for the first problem met, in reading order.
pub(crate) fn read<'de, D: Deserializer<'de>, T: Members<'de>>(
    d: D,
    empty: T,
) -> Result<T, D::Error> {
    d.deserialize_map(Object(empty))
}

/// The visitor of [`read`].
struct Object<T>(T);

impl<'de, T: Members<'de>> Visitor<'de> for Object<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    // Not inlined: see `Members::member`.
    #[inline(never)]
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut value = self.0;
        let mut seen = 0u64;
        while let Some(index) = map.next_key_seed(Name(T::NAMES, T::OTHERS_SKIPPED))? {
            if index == OTHER {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let bit = 1u64 << index;
            if seen & bit != 0 {
                return Err(A::Error::duplicate_field(T::NAMES[index]));
            }
            seen |= bit;
            value.member(index, &mut map)?;
        }
        match missing(T::REQUIRED, seen, T::NAMES) {
            Some(name) => Err(A::Error::missing_field(name)),
            None => Ok(value),
        }
    }
}

/// The first required name not seen, in declaration order.
fn missing(required: u64, seen: u64, names: &'static [&'static str]) -> Option<&'static str> {
    let left = required & !seen;
    (left != 0).then(|| names.get(left.trailing_zeros() as usize).copied())?
}

/// The index [`Name`] gives a skipped member.
const OTHER: usize = usize::MAX;

/// A member's name, read as the index of a known one, or [`OTHER`] for
/// another when those are skipped.
struct Name(&'static [&'static str], bool);

impl<'de> DeserializeSeed<'de> for Name {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for Name {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field identifier")
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<usize, E> {
        // At most 64 names: `seen` is one bit per name.
        match self.0.iter().take(64).position(|&n| n == v) {
            Some(i) => Ok(i),
            None if self.1 => Ok(OTHER),
            None => Err(E::unknown_field(v, self.0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A type with a required and an optional member.
    #[derive(Debug, PartialEq)]
    struct Pair {
        a: u64,
        b: Option<String>,
    }

    impl<'de> Members<'de> for Pair {
        const EXPECTING: &'static str = "struct Pair";
        const NAMES: &'static [&'static str] = &["a", "b"];
        const REQUIRED: u64 = 0b01;

        fn member<A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error> {
            match index {
                0 => self.a = map.next_value()?,
                _ => self.b = map.next_value()?,
            }
            Ok(())
        }
    }

    impl<'de> serde::Deserialize<'de> for Pair {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Pair, D::Error> {
            read(d, Pair { a: 0, b: None })
        }
    }

    fn err(text: &str) -> String {
        match crate::json_reader::from_str::<Pair>(text) {
            Ok(p) => format!("read {p:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn members_are_read_by_name_in_any_order() {
        let p: Pair = crate::json_reader::from_str(r#"{"b":"x","a":3}"#).unwrap();
        assert_eq!(
            p,
            Pair {
                a: 3,
                b: Some("x".into())
            }
        );
        let p: Pair = crate::json_reader::from_str(r#"{"a":3}"#).unwrap();
        assert_eq!(p, Pair { a: 3, b: None });
    }

    #[test]
    fn unknown_duplicate_and_missing_members_are_refused_in_serdes_words() {
        assert_eq!(
            err(r#"{"a":1,"c":2}"#),
            "unknown field `c`, expected `a` or `b` at line 1 column 10"
        );
        assert_eq!(
            err(r#"{"a":1,"a":2}"#),
            "duplicate field `a` at line 1 column 10"
        );
        assert_eq!(err(r#"{"b":"x"}"#), "missing field `a` at line 1 column 9");
    }

    #[test]
    fn an_array_in_member_order_is_not_an_object() {
        assert_eq!(
            err(r#"[1,"x"]"#),
            "invalid type: sequence, expected struct Pair at line 1 column 0"
        );
        assert_eq!(
            err("5"),
            "invalid type: integer `5`, expected struct Pair at line 1 column 1"
        );
    }
}
