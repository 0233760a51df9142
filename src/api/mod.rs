//! The API's own terms: its objects and requests, the rules a request must meet, ids
//! and timestamps. Knows nothing of keys or storage.

pub(crate) mod id;
pub(crate) mod model;
pub(crate) mod request;
pub(crate) mod timestamp;
pub(crate) mod validate;
