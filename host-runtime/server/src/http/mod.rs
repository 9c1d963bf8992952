//! The HTTP side: the route table, JSON bodies and the JSON error shape.

pub mod client;
pub mod cors;
pub mod error;
pub mod json;
pub mod routes;
