//! The request bodies pg_engage accepts (the platform's documented JSON), parsed and checked
//! without Postgres. Every check that can be made on the body alone is made here, with an error
//! that names the offending element; the extension only adds what needs the database (who owns
//! an identifier, which time zones exist) and writes.

pub mod batch;
pub mod channel;
pub mod contact;
pub mod device;
pub mod emails;
pub mod error;
pub mod event;
pub mod field;
pub mod field_def;
pub mod interrupt;
pub mod json;
pub mod order;
pub mod path;
pub mod smartsend;
pub mod subscribe;
pub mod upsert;

pub use error::{ErrorKind, RequestError, Result};
