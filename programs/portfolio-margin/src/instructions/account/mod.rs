pub mod account_open;
pub mod account_set_delegate;
