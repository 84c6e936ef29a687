//! Decision records: every ADR dialect read into one model (`dialects`, `record`, `status`), and
//! the folders that hold them found (`locate`).

pub mod dialects;
pub mod locate;
pub mod record;
pub mod status;
