//! One line per event on stderr, with the wall-clock time: what a person tailing a keeper reads.
pub fn line(level: &str, msg: &str) {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (h, m, s) = ((t / 3600) % 24, (t / 60) % 60, t % 60);
    eprintln!("{h:02}:{m:02}:{s:02} {level:5} {msg}");
}

#[macro_export]
macro_rules! info {
    ($($a:tt)*) => { $crate::log::line("INFO", &format!($($a)*)) };
}

#[macro_export]
macro_rules! warn {
    ($($a:tt)*) => { $crate::log::line("WARN", &format!($($a)*)) };
}
