//! `guard serve`: the superapp's server (console API, signed policy
//! distribution, openserver login API). The server itself is the
//! `guard-server` crate; this is its subcommand.

/// Options of `guard serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    opts: guard_server::ServeOptions,
}

/// Runs the server until Ctrl-C. On the first start it prints the bootstrap
/// admin token once to stdout.
///
/// # Errors
///
/// When the store cannot be opened or the address cannot be bound.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    guard_server::run(args.opts)
}
