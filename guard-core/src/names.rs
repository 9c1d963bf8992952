//! One definition of the names of every contract enum (`policy.md` §1–§3):
//! [`contract_names!`] gives a type `ALL`, `NAMES`, `as_str`, `parse`,
//! `Display` and its serde form from one table, so the JSON the policy is
//! read from, the vector files, the CLI, the server and the wasm façades all
//! spell a value alike. Nobody else writes these strings.

/// Implements the contract's names for a fieldless enum:
/// `contract_names!(Type { Variant => "name", ... })`, in the contract's order.
macro_rules! contract_names {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in the contract's (and numeric) order.
            pub const ALL: [$ty; [$($name),+].len()] = [$($ty::$variant),+];

            /// Every name, in the order of [`Self::ALL`].
            pub const NAMES: &'static [&'static str] = &[$($name),+];

            /// The contract's name, e.g. `mini_program`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }

            /// The value for a contract name, compared exactly
            /// (case-sensitive); `None` for anything else.
            pub fn parse(name: &str) -> Option<$ty> {
                match name {
                    $($name => Some($ty::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                struct Names;
                impl serde::de::Visitor<'_> for Names {
                    type Value = $ty;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(f, "one of {}", $ty::NAMES.join(", "))
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$ty, E> {
                        $ty::parse(v).ok_or_else(|| E::unknown_variant(v, $ty::NAMES))
                    }
                }
                d.deserialize_str(Names)
            }
        }
    };
}

pub(crate) use contract_names;
