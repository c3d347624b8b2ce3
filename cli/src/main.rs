//! The `looker` binary: runs [`looker_cli::run`] on the process's arguments and streams.

fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("looker: cannot start the async runtime: {e}");
            return std::process::ExitCode::from(looker_cli::exit::SERVER as u8);
        }
    };
    let code = runtime.block_on(looker_cli::run(
        std::env::args_os(),
        looker_cli::Io::process(),
    ));
    // Everything is written by now. A read of stdin that Ctrl-C interrupted still blocks one
    // of tokio's threads, and a plain drop of the runtime would wait for it (until Enter).
    runtime.shutdown_background();
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
}
