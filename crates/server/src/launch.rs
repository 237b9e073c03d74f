//! Running the application on a listener (port 0 in tests): the HTTP server beside the workers.

use anyhow::Context;
use app::workers::Workers;
use app::AppState;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A server running in the background.
pub struct Running {
    pub addr: SocketAddr,
    stop: Arc<watch::Sender<bool>>,
    server: JoinHandle<std::io::Result<()>>,
    workers: Workers,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish, and returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        self.wait().await;
    }

    /// Runs until [`Running::shutdown`] is called or the server fails.
    pub async fn wait(self) {
        match self.server.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "server stopped with an error"),
            Err(e) => tracing::error!(error = %e, "server task failed"),
        }
        self.workers.stop().await;
    }

    pub fn stopper(&self) -> Arc<watch::Sender<bool>> {
        self.stop.clone()
    }
}

/// Starts the workers and the device sessions, then serves the app on `listener` until shut down.
pub async fn launch(listener: TcpListener, state: AppState) -> anyhow::Result<Running> {
    let addr = listener.local_addr()?;
    let stop = state.stop.clone();
    let mut stopped = stop.subscribe();
    let workers = Workers::start(&state).await.context("starting the workers")?;
    let app = crate::http::router(state).into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await
    });
    Ok(Running { addr, stop, server, workers })
}
