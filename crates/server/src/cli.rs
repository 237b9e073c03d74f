//! The `kewhats` command line: serve, demo, migrate, user add.

use crate::launch::launch;
use anyhow::Context;
use app::config::{Config, Mode, Overrides};
use app::services::accounts::{self, NewAccount};
use app::{demo, AppState, Deps, ServiceError};
use clap::{Args, Parser, Subcommand};
use domain::{Clock, Plan, Role, SystemClock};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "kewhats", version, about = "Self-hosted multi-tenant WhatsApp gateway")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the production server. Creates no accounts; see `user add`.
    Serve(ServerArgs),
    /// Run the server with demo accounts and outlets in its own SQLite data dir.
    Demo(ServerArgs),
    /// Apply database migrations and exit.
    Migrate(CommonArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Args)]
struct CommonArgs {
    /// Folder for the SQLite database and other state [env: KEWHATS_DATA_DIR]
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// TOML settings file [env: KEWHATS_CONFIG; default: ./kewhats.toml if present]
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Args)]
struct ServerArgs {
    /// Address to listen on [env: KEWHATS_BIND; default 127.0.0.1:8080]
    #[arg(long)]
    bind: Option<String>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        /// user, admin, superadmin or monitoring
        #[arg(long)]
        role: Role,
        /// free, pro, enterprise or unlimited
        #[arg(long, default_value = "free")]
        plan: Plan,
        #[arg(long, default_value = "")]
        name: String,
        #[command(flatten)]
        common: CommonArgs,
    },
}

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match dispatch(cli.command).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Our own crates and request logs at info; every dependency (the WhatsApp engine above all,
/// whose `log` records are bridged in) at error only, unless `RUST_LOG` says otherwise. The
/// engine's per-attempt "failed to connect" line is off: the session manager logs each status
/// change once, with its reason.
pub const DEFAULT_LOG_FILTER: &str = "error,kewhats=info,tower_http=info,whatsapp_rust::client::lifecycle=off";

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

fn overrides(common: CommonArgs, bind: Option<String>) -> Overrides {
    Overrides { config_file: common.config, bind, data_dir: common.data_dir }
}

async fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => serve(Mode::Serve, overrides(args.common, args.bind)).await,
        Command::Demo(args) => serve(Mode::Demo, overrides(args.common, args.bind)).await,
        Command::Migrate(common) => {
            let config = Config::load(Mode::Serve, &overrides(common, None))?;
            prepare_data_dir(&config)?;
            let store = store::Store::connect(&config.database_url(), &Default::default()).await?;
            let ran = store.migrate().await?;
            println!("migrations applied: {ran} ({} database up to date)", backend_name(&store));
            Ok(ExitCode::SUCCESS)
        }
        Command::User(UserCommand::Add { email, role, plan, name, common }) => {
            let config = Config::load(Mode::Serve, &overrides(common, None))?;
            let password = read_password()?;
            prepare_data_dir(&config)?;
            let deps = Deps::real(&config);
            let state = AppState::open(config, deps).await?;
            let new = NewAccount { email: &email, name: &name, password: &password, role, plan };
            match accounts::add_user(&state.store, SystemClock.now(), new).await {
                Ok(user) => {
                    println!("created {} (id {}, role {}, plan {})", user.email, user.id, user.role, user.plan);
                    Ok(ExitCode::SUCCESS)
                }
                Err(ServiceError::Internal(e)) => anyhow::bail!("{e}"),
                Err(e) => {
                    eprintln!("error: {e}");
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}

fn backend_name(store: &store::Store) -> &'static str {
    match store.backend() {
        store::Backend::Sqlite => "SQLite",
        store::Backend::Postgres => "PostgreSQL",
    }
}

/// The first line of standard input, without its line ending.
fn read_password() -> anyhow::Result<String> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).context("reading the password from standard input")?;
    Ok(input.lines().next().unwrap_or("").to_string())
}

fn prepare_data_dir(config: &Config) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data dir {}", config.data_dir.display()))
}

async fn serve(mode: Mode, overrides: Overrides) -> anyhow::Result<ExitCode> {
    let mut config = Config::load(mode, &overrides)?;
    if mode == Mode::Demo && config.metrics_token.is_none() {
        // The demo shows its metrics too, behind a token made for this run.
        config.metrics_token = Some(app::config::Secret::new(app::crypto::tokens::random_token()));
    }
    prepare_data_dir(&config)?;
    let bind = config.bind;
    let deps = Deps::real(&config);
    let state = AppState::open(config, deps).await?;
    if mode == Mode::Demo {
        demo::seed(&state.store, SystemClock.now()).await?;
        let customers = demo::seed_contacts(&state).await?;
        tracing::info!(customers, "demo contacts imported from the sample file");
        let automations = demo::seed_automations(&state).await?;
        tracing::info!(automations, "demo auto-replies and chatbot made");
    }
    // Signal handlers go in before anything is announced, so a SIGTERM sent as soon as the
    // server says it is up is not met by the default handler (which would kill it outright).
    let signal = shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("listening on {bind}"))?;
    let running = launch(listener, state.clone()).await?;
    let url = format!("http://{}", running.addr);
    tracing::info!(%url, database = backend_name(&state.store), "kewhats is listening");
    if mode == Mode::Demo {
        println!("\nkewhats demo running at {url}/login\n\nDemo accounts:");
        for (email, password, role) in demo::ACCOUNTS_FOR_DISPLAY {
            println!("  {email:<24} {password:<14} {role}");
        }
        println!("\nAPI reference: {url}/api/docs");
        if let Some(token) = &state.config.metrics_token {
            println!("Metrics:       curl -H 'Authorization: Bearer {}' {url}/metrics", token.expose());
        }
        println!("\nData: {}  (Ctrl-C to stop)\n", state.config.data_dir.display());
    } else {
        let staff = state.store.count_active_users_with_role(&[Role::Admin, Role::Superadmin]).await?;
        if staff == 0 {
            tracing::warn!(
                "no admin account exists; create one with: \
                 echo 'a-long-password' | kewhats user add --email you@example.com --role superadmin"
            );
        }
    }
    let stopper = running.stopper();
    tokio::spawn(async move {
        signal.await;
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = stopper.send(true);
    });
    running.wait().await;
    state.store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Installs the SIGINT and SIGTERM handlers now; the future completes on either.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
        let mut terminate = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
        Ok(async move {
            tokio::select! { _ = interrupt.recv() => {}, _ = terminate.recv() => {} }
        })
    }
    #[cfg(not(unix))]
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
