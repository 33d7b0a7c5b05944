//! One module per subcommand of `tabletalk`.

pub mod batch;
pub mod decode;
pub mod device;
pub mod evaluate;
pub mod export;
pub mod import;
pub mod replay;
pub mod report;
pub mod score;
pub mod shell;
pub mod simulate;
