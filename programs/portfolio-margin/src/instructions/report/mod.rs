pub mod margin_report;
