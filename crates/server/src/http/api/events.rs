//! `GET /api/events`: device status changes as Server-Sent Events, filtered to what the caller
//! may see (their own outlets; staff see all; monitoring gets 403 like every device endpoint).
//!
//! A stream lives long, so the caller is checked again every `events_recheck_secs` (15 s by
//! default) and before an event goes out (at most every third of that): a logout, a revoked key, a disabled user or a changed role ends it, and
//! the browser's reconnect then gets what the caller may see now.

use crate::http::error::AppResult;
use crate::http::extract::Caller;
use app::services::blasts::BlastProgress;
use app::services::chatbots::run::HandOverEvent;
use app::services::events::{self, Credential};
use app::sessions::DeviceEvent;
use app::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use domain::Scope;
use futures_util::stream::{self, Stream};
use std::convert::Infallible;
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::RecvError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// Device status events
///
/// A Server-Sent Events stream for the devices the caller may see: `event: device.status` (a
/// status change) or `device.qr` (a new QR or pairing code to show), with the device's id,
/// outlet, status, previous status, reason, liveness and time as JSON data; `event: lagged`
/// when the reader fell behind (reload what you show); `event: blast.progress` with a blast's id,
/// status and counters (at most one a second per blast); `event: chatbot.handed_over` with the
/// conversation's id, chatbot, outlet, number and until when the bot stays quiet. The stream ends when the caller's session or key stops being valid.
#[utoipa::path(get, path = "/api/events", tag = "devices", operation_id = "deviceEvents",
    responses((status = 200, description = "An event stream", content_type = "text/event-stream", body = String)))]
async fn events(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let scope = events::open(caller.actor)?;
    let rx = state.sessions.subscribe();
    let bp = state.blast_progress.subscribe();
    let cb = state.chatbot_events.subscribe();
    let stop = state.stop.subscribe();
    let watch = Watch { state: state.clone(), credential: caller.credential(), scope, checked: Instant::now() };
    let stream =
        stream::unfold((rx, bp, cb, stop, watch), move |(mut rx, mut bp, mut cb, mut stop, mut watch)| async move {
            let every = Duration::from_secs(watch.state.config.events_recheck_secs);
            let mut recheck = tokio::time::interval(every);
            recheck.tick().await;
            loop {
                let step = tokio::select! {
                    r = rx.recv() => Step::Received(r),
                    p = bp.recv() => Step::Progress(p),
                    h = cb.recv() => Step::HandOver(h),
                    // Graceful shutdown waits for open responses; an event stream must end itself.
                    _ = stop.wait_for(|s| *s) => Step::Stop,
                    _ = recheck.tick() => Step::Recheck,
                };
                let received = match step {
                    Step::Stop => return None,
                    Step::Recheck => {
                        if !watch.still_allowed().await {
                            return None;
                        }
                        continue;
                    }
                    Step::Received(r) => r,
                    Step::Progress(Ok(p)) if scope.covers(p.owner_id) => {
                        if watch.checked.elapsed() > every / 3 && !watch.still_allowed().await {
                            return None;
                        }
                        let data = serde_json::to_string(&p).unwrap_or_default();
                        return Some((
                            Ok(Event::default().event("blast.progress").data(data)),
                            (rx, bp, cb, stop, watch),
                        ));
                    }
                    // Another tenant's, or missed: the next one carries the whole counters again.
                    Step::Progress(_) => continue,
                    Step::HandOver(Ok(h)) if scope.covers(h.owner_id) => {
                        if watch.checked.elapsed() > every / 3 && !watch.still_allowed().await {
                            return None;
                        }
                        let data = serde_json::to_string(&h).unwrap_or_default();
                        return Some((
                            Ok(Event::default().event("chatbot.handed_over").data(data)),
                            (rx, bp, cb, stop, watch),
                        ));
                    }
                    // Another tenant's, or missed: the conversations list shows them all.
                    Step::HandOver(_) => continue,
                };
                if watch.checked.elapsed() > every / 3 && !watch.still_allowed().await {
                    return None;
                }
                match received {
                    Ok(ev) if events::visible(scope, &ev) => {
                        let data = serde_json::to_string(&ev).unwrap_or_default();
                        return Some((Ok(Event::default().event(ev.event).data(data)), (rx, bp, cb, stop, watch)));
                    }
                    Ok(_) => continue,
                    // Too slow a reader missed events; tell it to reload what it shows.
                    Err(RecvError::Lagged(n)) => {
                        return Some((
                            Ok(Event::default().event("lagged").data(n.to_string())),
                            (rx, bp, cb, stop, watch),
                        ));
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

enum Step {
    Received(Result<DeviceEvent, RecvError>),
    Progress(Result<BlastProgress, RecvError>),
    HandOver(Result<HandOverEvent, RecvError>),
    Recheck,
    Stop,
}

/// The credential behind an open stream, and the scope it was opened with.
struct Watch {
    state: AppState,
    credential: Credential,
    scope: Scope,
    checked: Instant,
}

impl Watch {
    async fn still_allowed(&mut self) -> bool {
        self.checked = Instant::now();
        events::still_allowed(&self.state, &self.credential, self.scope).await
    }
}
