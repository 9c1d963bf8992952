//! Violation reports (`docs/protocols.md` P2): what the guards on devices denied
//! (and, in report mode, let through), sent by the SDKs without
//! credentials, taken in by a hostile-proof endpoint (`ingest`, with the
//! rate limits of `rate`), added up into counters bounded per app
//! (`counters`), and shown to the console (`violations`).

pub mod counters;
pub mod ingest;
pub mod rate;
pub mod violations;
