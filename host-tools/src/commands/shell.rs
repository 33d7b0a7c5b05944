//! `tabletalk completions SHELL` and `tabletalk man`: what a shell and
//! `man` need, generated from the same clap definition as the parser, so
//! they never drift from the real flags.

use std::path::PathBuf;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::diag;
use crate::output::Target;

/// Arguments of `tabletalk completions`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Examples:
  tabletalk completions bash > ~/.local/share/bash-completion/completions/tabletalk
  tabletalk completions zsh > ~/.zfunc/_tabletalk
  tabletalk completions fish > ~/.config/fish/completions/tabletalk.fish")]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Arguments of `tabletalk man`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Examples:
  tabletalk man | man -l -
  tabletalk man --out-dir ~/.local/share/man/man1   tabletalk.1 and one page per command")]
pub struct ManArgs {
    /// Write tabletalk.1 and a page per command (tabletalk-report.1, …)
    /// into DIR instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Runs `tabletalk completions`.
///
/// # Errors
/// I/O (exit 1).
pub fn completions(args: CompletionsArgs) -> anyhow::Result<()> {
    let mut command = Cli::command();
    Target::from_flag(args.output.as_deref()).write_with(|out| {
        clap_complete::generate(args.shell, &mut command, "tabletalk", out);
        Ok(())
    })?;
    Ok(())
}

/// Runs `tabletalk man`.
///
/// # Errors
/// I/O (exit 1).
pub fn man(args: ManArgs) -> anyhow::Result<()> {
    let command = Cli::command();
    let Some(dir) = args.out_dir else {
        Target::Stdout.write_with(|out| clap_mangen::Man::new(command).render(out))?;
        return Ok(());
    };
    std::fs::create_dir_all(&dir).map_err(|e| {
        crate::error::CliError::failure(format!("cannot create {}: {e}", dir.display()))
    })?;
    let mut pages = vec![("tabletalk".to_owned(), command.clone())];
    pages.extend(
        command
            .get_subcommands()
            .map(|sub| (format!("tabletalk-{}", sub.get_name()), sub.clone())),
    );
    for (name, page) in pages {
        let path = dir.join(format!("{name}.1"));
        let man = clap_mangen::Man::new(page).title(name.to_uppercase());
        Target::File(path.clone()).write_with(|out| man.render(out))?;
        diag::note(format_args!("wrote {}", path.display()));
    }
    Ok(())
}
