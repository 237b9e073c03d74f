use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    kewhats::cli::run().await
}
