//! `lore serve`: thin; turns the arguments into options and hands over to [`crate::serve::run`].

use super::Ui;
use crate::cli::ServeArgs;
use crate::serve::{self, ServeOptions};
use std::process::ExitCode;

pub fn run(args: &ServeArgs, ui: Ui) -> anyhow::Result<ExitCode> {
    let ServeArgs {
        root,
        port,
        bind,
        drafts,
        open,
    } = args;
    let options = ServeOptions {
        root: root.clone(),
        port: *port,
        bind: *bind,
        drafts: *drafts,
        open: *open,
    };
    serve::run(options, ui)
}
