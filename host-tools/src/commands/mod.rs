//! One module per subcommand of `tabletalk`.

pub mod decode;
