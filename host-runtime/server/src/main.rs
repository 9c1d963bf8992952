//! `guard-server`: the same server as `guard serve`, as a stand-alone binary
//! (used by the crash test and the load benchmark).

use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "guard-server",
    about = "the superapp server (same as `guard serve`)"
)]
struct Cli {
    #[command(flatten)]
    opts: guard_server::ServeOptions,
}

fn main() -> anyhow::Result<()> {
    guard_server::run(Cli::parse().opts)
}
