pub mod settle_position;
pub mod settle_price_set;
