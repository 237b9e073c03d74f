//! `GET /api/events`: device status changes as Server-Sent Events, filtered to what the caller
//! may see (their own outlets; staff see all; monitoring gets 403 like every device endpoint).

use crate::app::AppState;
use crate::http::error::AppResult;
use crate::http::extract::Caller;
use crate::sessions::DeviceEvent;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use axum::Router;
use domain::policy::{whatsapp_scope, Scope};
use futures_util::stream::{self, Stream};
use std::convert::Infallible;
use tokio::sync::broadcast::error::RecvError;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/events", get(events))
}

async fn events(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let scope = whatsapp_scope(caller.actor)?;
    let rx = state.sessions.subscribe();
    let stop = state.stop.subscribe();
    let stream = stream::unfold((rx, stop), move |(mut rx, mut stop)| async move {
        loop {
            let received = tokio::select! {
                r = rx.recv() => r,
                // Graceful shutdown waits for open responses; an event stream must end itself.
                _ = stop.wait_for(|s| *s) => return None,
            };
            match received {
                Ok(ev) if visible(scope, &ev) => {
                    let data = serde_json::to_string(&ev).unwrap_or_default();
                    return Some((Ok(Event::default().event(ev.event).data(data)), (rx, stop)));
                }
                Ok(_) => continue,
                // Too slow a reader missed events; tell it to reload what it shows.
                Err(RecvError::Lagged(n)) => {
                    return Some((Ok(Event::default().event("lagged").data(n.to_string())), (rx, stop)));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

fn visible(scope: Scope, ev: &DeviceEvent) -> bool {
    match scope {
        Scope::All => true,
        Scope::Owner(owner) => ev.owner_id == owner,
    }
}
