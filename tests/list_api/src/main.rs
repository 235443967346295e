//! `list_api --port N --api-key KEY`: serves the fake list API on 127.0.0.1:N (0 picks a free
//! port) and prints one line, `listening on 127.0.0.1:PORT`, once it accepts connections, so a
//! test or benchmark script knows when and where to connect.

use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "usage: list_api --port N --api-key KEY";

fn main() -> ExitCode {
    let (port, api_key) = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(msg) => {
            eprintln!("list_api: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let server = match list_api::Server::bind(port, &api_key) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("list_api: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let announced = server.local_addr().and_then(|addr| {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {addr}")?;
        // Whoever started us waits for this line; it must not sit in a buffer.
        out.flush()
    });
    if let Err(e) = announced {
        eprintln!("list_api: cannot announce the address: {e}");
        return ExitCode::FAILURE;
    }
    server.run();
    ExitCode::SUCCESS
}

/// `--port N` (default 0) and `--api-key KEY` (required); `--flag=value` works too.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<(u16, String), String> {
    let (mut port, mut api_key) = (0, None);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_string(), Some(value.to_string())),
            None => (arg, None),
        };
        let value = inline.or_else(|| args.next()).ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--port" => port = value.parse().map_err(|_| format!("--port {value:?} is not a port number"))?,
            "--api-key" => api_key = Some(value),
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok((port, api_key.ok_or("--api-key is required")?))
}
