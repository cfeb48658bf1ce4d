//! Venues: other programs settling trades into margin accounts by CPI (`state::venue`).
pub mod venue_approve;
pub mod venue_register;
pub mod venue_revoke;
pub mod venue_trade;
pub mod venue_update;
