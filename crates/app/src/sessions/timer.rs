//! Where reconnect delays are waited out. Production sleeps; tests record the delays the
//! manager asked for and go on at once, so backoff is tested without waiting or flakiness.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

pub trait Timer: Send + Sync + 'static {
    fn sleep(&self, delay: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

pub struct TokioTimer;

impl Timer for TokioTimer {
    fn sleep(&self, delay: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(delay))
    }
}

/// Records every requested delay and returns after a scheduler yield; with a limit, the
/// sleeps after the limit never end (the device waits "forever"), which bounds a test.
#[derive(Default)]
pub struct RecordingTimer {
    delays: Mutex<Vec<Duration>>,
    limit: Option<usize>,
}

impl RecordingTimer {
    pub fn stopping_after(limit: usize) -> RecordingTimer {
        RecordingTimer { delays: Mutex::default(), limit: Some(limit) }
    }

    pub fn delays(&self) -> Vec<Duration> {
        self.delays.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Timer for RecordingTimer {
    fn sleep(&self, delay: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let mut delays = self.delays.lock().unwrap_or_else(|e| e.into_inner());
        delays.push(delay);
        if self.limit.is_some_and(|limit| delays.len() > limit) {
            return Box::pin(std::future::pending());
        }
        Box::pin(tokio::task::yield_now())
    }
}
