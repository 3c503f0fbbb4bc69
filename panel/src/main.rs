// SPDX-License-Identifier: AGPL-3.0-only
//! `casella`: hosted business mail in one program.

use std::{io::IsTerminal, net::IpAddr, path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use panel::config::{Config, FlagOverrides};

// The engine's own binary uses jemalloc; with glibc malloc the embedded engine's memory grows
// several times larger under IMAP load.
#[global_allocator]
static GLOBAL: jemallocator::Jemalloc = jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "casella",
    version,
    about = "Hosted business mail: panel, webmail and mail server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the web panel and the mail server.
    Serve {
        /// Creates demo data (one domain, its postmaster, two users) and prints the logins.
        #[arg(long)]
        demo: bool,
        /// Configuration file (default: casella.toml in the working folder, when present).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Data folder.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Address to bind every listener to.
        #[arg(long)]
        bind_address: Option<IpAddr>,
        /// Port of the web panel.
        #[arg(long)]
        http_port: Option<u16>,
    },
}

fn main() -> ExitCode {
    private_files();
    let cli = Cli::parse();
    let Command::Serve {
        demo,
        config,
        data_dir,
        bind_address,
        http_port,
    } = cli.command;
    let flags = FlagOverrides {
        data_dir,
        bind_address,
        http_port,
    };
    let config = match Config::load(config.as_deref(), flags) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("casella: {err}");
            return ExitCode::from(2);
        }
    };
    // The HTML parser reports every oddity of a sender's markup ("foster parenting"): the
    // webmail cleans such markup all day, so only its errors are worth a line.
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let filter = match "html5ever=error".parse() {
        Ok(quiet) => filter.add_directive(quiet),
        Err(_) => filter,
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("casella: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(panel::startup::serve(config, demo));
    // Work still running on blocking threads (an RSA DKIM key being generated) is not waited
    // for: a key that is missing is made again at the next start.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("casella: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Every file and folder Casella creates (databases, the mail store, the engine's
/// configuration with its store password) is readable by its own user only.
#[allow(unsafe_code)]
fn private_files() {
    // SAFETY: umask only sets the process's file-creation mask and cannot fail; it runs first
    // thing in `main`, before any thread exists.
    unsafe {
        libc::umask(0o077);
    }
}
