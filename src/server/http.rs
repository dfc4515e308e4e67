//! The HTTP front, over hyper, with what a public endpoint needs and `axum::serve` lacks: a
//! deadline for a request's headers, a limit on idle keep-alive connections, a cap on open
//! connections (past it the connection idle, or stalled mid-body, longest is closed to make
//! room, or the newcomer is answered 503, never left to the kernel), and a shutdown that
//! finishes the requests already received within a deadline. What a connection may do next is
//! decided by `judge`, and which one makes room by `eviction_candidate` (no I/O).
//!
//! A body still arriving counts as stalled once it is behind `MIN_BODY_RATE` or has sent
//! nothing for a while: without that, clients that send a head and a few bytes of body, and
//! come back whenever the body timeout cuts them off, hold every connection (issue 24).

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt as _;

use super::log_limit::LogLimit;
use super::metrics::Metrics;
use super::settings::HttpLimits;

/// Resolves once `stop` turns true (or its sender is gone).
pub async fn stopping(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Where one connection stands, in milliseconds since the server started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phase {
    /// Requests being answered now.
    pub in_flight: usize,
    /// When the connection opened or last finished a request.
    pub idle_since: u64,
    /// When the first byte of the next request's head arrived, if one did.
    pub head_started: Option<u64>,
    /// The body of the request being answered, while it is still arriving.
    pub body: Option<BodyProgress>,
}

/// How far a body still arriving has come (times in ms, as in `Phase`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyProgress {
    /// When the request's head was handed over (the body's clock starts).
    pub started: u64,
    /// When the last bytes of it arrived (`started` before any did).
    pub last_byte: u64,
    pub received: u64,
}

/// A body arriving slower than this on average (bytes per second) is stalled, however often a
/// byte of it comes: GitHub sends its largest (25 MiB) within its own 10 s, 40 times faster.
pub const MIN_BODY_RATE: u64 = 64 * 1024;

/// Since when a body still arriving has been stalled: since its last bytes, or since the time
/// its bytes would have taken at `MIN_BODY_RATE`, whichever is earlier (a time in the future
/// while it keeps ahead of that rate).
pub fn stalled_since(body: BodyProgress) -> u64 {
    let earned = body.received.saturating_mul(1000) / MIN_BODY_RATE;
    body.last_byte.min(body.started.saturating_add(earned))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing to do before this time (ms).
    WaitUntil(u64),
    Close(&'static str),
}

/// What to do with a connection at `now`. A request being answered is bounded by the body
/// timeout in the handler, not here.
pub fn judge(now: u64, phase: Phase, limits: &HttpLimits) -> Verdict {
    let header = limits.header_timeout.as_millis() as u64;
    let idle = limits.idle_timeout.as_millis() as u64;
    if phase.in_flight > 0 {
        return Verdict::WaitUntil(now + header.max(idle));
    }
    match phase.head_started {
        Some(started) if now >= started + header => Verdict::Close("header_timeout"),
        Some(started) => Verdict::WaitUntil(started + header),
        None if now >= phase.idle_since + idle => Verdict::Close("idle_timeout"),
        // A head may start at any moment (nothing tells the watchdog when): look again
        // within the header timeout, so a slow head is never cut off late.
        None => Verdict::WaitUntil((phase.idle_since + idle).min(now + header)),
    }
}

/// A connection idle (or sending its head) for less than this is not closed to make room: a
/// burst of real deliveries opens many connections at once, and a client about to reuse a
/// keep-alive connection would see it reset.
pub const EVICTION_GRACE: Duration = Duration::from_secs(1);

/// Since when the connection could be closed to make room, if it has been so for at least
/// `EVICTION_GRACE`: idle (or sending its head) since then, or its body stalled since then. A
/// request whose body is all in (being verified, stored, answered) is never closed.
pub fn evictable_since(now: u64, phase: Phase) -> Option<u64> {
    let since = if phase.in_flight == 0 {
        phase.head_started.unwrap_or(phase.idle_since)
    } else {
        stalled_since(phase.body?)
    };
    (now >= since.saturating_add(EVICTION_GRACE.as_millis() as u64)).then_some(since)
}

/// The connection idle, sending its head or stalled mid-body longest, if that is at least
/// `EVICTION_GRACE`.
pub fn eviction_candidate(now: u64, phases: impl IntoIterator<Item = (u64, Phase)>) -> Option<u64> {
    phases
        .into_iter()
        .filter_map(|(id, phase)| Some((id, evictable_since(now, phase)?)))
        .min_by_key(|(_, since)| *since)
        .map(|(id, _)| id)
}

/// How long a connection past the cap waits for a slot before it is answered 503.
const SLOT_WAIT: Duration = Duration::from_secs(5);

/// At shutdown, how long an idle connection stays open (a request already on its way on it is
/// answered 503 rather than lost with the connection).
const DRAIN_IDLE: Duration = Duration::from_millis(250);

/// The limits while shutting down: idle connections close after `DRAIN_IDLE`.
fn draining_limits(limits: &HttpLimits) -> HttpLimits {
    HttpLimits {
        idle_timeout: limits.idle_timeout.min(DRAIN_IDLE),
        ..*limits
    }
}

/// The answer to a request that arrives once the server is shutting down.
fn shutting_down_answer() -> axum::response::Response {
    use axum::http::{header, HeaderValue, StatusCode};
    let mut response = axum::response::IntoResponse::into_response((
        StatusCode::SERVICE_UNAVAILABLE,
        "the server is shutting down; redeliver it once it is back\n",
    ));
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    response
}

/// Descriptors kept for the database, the workers' calls to GitHub and the logs.
const RESERVED_FILES: usize = 64;

/// The soft open-file limit (Linux: `/proc/self/limits`), if known.
pub fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_file_limit(&limits)
}

fn parse_open_file_limit(limits: &str) -> Option<usize> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The connection cap, lowered to leave room under the open-file limit: past that limit the
/// kernel, not the server, would decide (every connection, `/healthz` included, waits).
pub fn fit_to_open_files(limits: HttpLimits, open_files: Option<usize>) -> HttpLimits {
    let Some(open_files) = open_files else {
        return limits;
    };
    let room = open_files.saturating_sub(RESERVED_FILES).max(1);
    if limits.max_connections <= room {
        return limits;
    }
    tracing::warn!(
        asked = limits.max_connections,
        open_file_limit = open_files,
        used = room,
        "RELEASEBOT_MAX_CONNECTIONS does not fit under the open-file limit (ulimit -n); the cap is lowered"
    );
    HttpLimits {
        max_connections: room,
        ..limits
    }
}

const NO_HEAD: u64 = u64::MAX;
const NO_BODY: u64 = u64::MAX;

struct Conn {
    in_flight: AtomicUsize,
    idle_since: AtomicU64,
    head_started: AtomicU64,
    /// The body still arriving: when it started (`NO_BODY`: none), its last bytes, how many.
    body_started: AtomicU64,
    body_last: AtomicU64,
    body_received: AtomicU64,
    /// Told when a request ends, so the watchdog times the idle connection from then.
    changed: Notify,
    /// Told to close (evicted to make room).
    evict: Notify,
    /// Already chosen to make room: not chosen again by the next newcomer.
    evicted: std::sync::atomic::AtomicBool,
}

impl Conn {
    fn phase(&self) -> Phase {
        let head = self.head_started.load(Ordering::Acquire);
        let body = self.body_started.load(Ordering::Acquire);
        Phase {
            in_flight: self.in_flight.load(Ordering::Acquire),
            idle_since: self.idle_since.load(Ordering::Acquire),
            head_started: (head != NO_HEAD).then_some(head),
            body: (body != NO_BODY).then(|| BodyProgress {
                started: body,
                last_byte: self.body_last.load(Ordering::Acquire).max(body),
                received: self.body_received.load(Ordering::Acquire),
            }),
        }
    }
}

/// A request's body, telling its connection how it arrives, and when it is all in (or
/// dropped unread: the handler answered without it).
struct TrackedBody<B> {
    inner: B,
    conn: Arc<Conn>,
    clock: Clock,
    arriving: bool,
}

impl<B: hyper::body::Body> TrackedBody<B> {
    fn new(inner: B, conn: Arc<Conn>, clock: Clock) -> Self {
        let arriving = !inner.is_end_stream();
        if arriving {
            conn.body_received.store(0, Ordering::Release);
            conn.body_last.store(0, Ordering::Release);
            conn.body_started.store(clock.now(), Ordering::Release);
        }
        TrackedBody {
            inner,
            conn,
            clock,
            arriving,
        }
    }

    fn all_in(&mut self) {
        if std::mem::take(&mut self.arriving) {
            self.conn.body_started.store(NO_BODY, Ordering::Release);
        }
    }
}

impl<B> Drop for TrackedBody<B> {
    fn drop(&mut self) {
        if self.arriving {
            self.conn.body_started.store(NO_BODY, Ordering::Release);
        }
    }
}

impl<B> hyper::body::Body for TrackedBody<B>
where
    B: hyper::body::Body<Data = bytes::Bytes> + Unpin,
{
    type Data = bytes::Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.conn
                        .body_received
                        .fetch_add(data.len() as u64, Ordering::AcqRel);
                    self.conn
                        .body_last
                        .store(self.clock.now(), Ordering::Release);
                }
                if self.inner.is_end_stream() {
                    self.all_in();
                }
            }
            Poll::Ready(_) => self.all_in(),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// Marks a request in flight on its connection until dropped.
struct InFlight {
    conn: Arc<Conn>,
    clock: Clock,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.conn
            .idle_since
            .store(self.clock.now(), Ordering::Release);
        self.conn.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.conn.changed.notify_one();
    }
}

#[derive(Clone, Copy)]
struct Clock(Instant);

impl Clock {
    fn now(&self) -> u64 {
        self.0.elapsed().as_millis() as u64
    }
    fn instant(&self, ms: u64) -> tokio::time::Instant {
        (self.0 + Duration::from_millis(ms)).into()
    }
}

/// The socket, noting when the head of a request starts to arrive.
struct Watched {
    stream: TcpStream,
    conn: Arc<Conn>,
    clock: Clock,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before
            && self.conn.in_flight.load(Ordering::Acquire) == 0
            && self.conn.head_started.load(Ordering::Acquire) == NO_HEAD
        {
            let now = self.clock.now();
            self.conn.head_started.store(now, Ordering::Release);
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

struct Front {
    router: Router,
    limits: HttpLimits,
    metrics: Arc<Metrics>,
    clock: Clock,
    open: Mutex<HashMap<u64, Arc<Conn>>>,
    next_id: AtomicU64,
    slots: Arc<Semaphore>,
    accept_errors: LogLimit,
}

/// Serves `router` on `listener` until `stop` turns true, then finishes the requests already
/// received within `limits.shutdown_timeout` and closes every connection.
pub fn spawn(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    metrics: Arc<Metrics>,
    stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let front = Arc::new(Front {
        router,
        limits,
        metrics,
        clock: Clock(Instant::now()),
        open: Mutex::new(HashMap::new()),
        next_id: AtomicU64::new(0),
        slots: Arc::new(Semaphore::new(limits.max_connections)),
        accept_errors: LogLimit::new(Duration::from_secs(10)),
    });
    tokio::spawn(front.run(listener, stop))
}

/// The answer to a connection past the cap when none could be closed to make room.
fn busy_answer() -> Vec<u8> {
    let body = "the server has as many connections open as it takes (RELEASEBOT_MAX_CONNECTIONS); try again shortly\n";
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

impl Front {
    async fn run(self: Arc<Self>, listener: TcpListener, stop: watch::Receiver<bool>) {
        let mut connections = JoinSet::new();
        let mut stopped = stop.clone();
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let _ = stream.set_nodelay(true);
                        connections.spawn(Arc::clone(&self).admit(stream, stop.clone()));
                    }
                    Err(error) => {
                        // Out of file descriptors, most likely: the cap should prevent it, so
                        // say so, but not once per attempt.
                        if let Some(suppressed) = self.accept_errors.allow(self.clock.now()) {
                            tracing::error!(%error, suppressed, "cannot accept a connection; lower RELEASEBOT_MAX_CONNECTIONS or raise the open-file limit");
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                _ = stopping(&mut stopped) => break,
            }
        }
        // Connections the kernel took before the listener closes are answered too (503), not
        // reset with their request unread.
        for _ in 0..self.limits.max_connections {
            match tokio::time::timeout(Duration::ZERO, listener.accept()).await {
                Ok(Ok((stream, _))) => {
                    connections.spawn(Arc::clone(&self).admit(stream, stop.clone()));
                }
                _ => break,
            }
        }
        drop(listener);
        let open = connections.len();
        tracing::info!(
            connections = open,
            "no new connections; finishing the requests already received"
        );
        let drained = tokio::time::timeout(self.limits.shutdown_timeout, async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                connections = connections.len(),
                "connections still open at the shutdown deadline are closed"
            );
            connections.abort_all();
            while connections.join_next().await.is_some() {}
        }
    }

    /// Finds the connection a slot, making room by closing the longest-idle one if need be.
    async fn admit(self: Arc<Self>, mut stream: TcpStream, stop: watch::Receiver<bool>) {
        let permit = self.slot().await;
        let Some(permit) = permit else {
            self.metrics.connection_closed("refused_busy");
            let _ = tokio::time::timeout(Duration::from_secs(1), async {
                let _ = stream.write_all(&busy_answer()).await;
                let _ = stream.shutdown().await;
            })
            .await;
            return;
        };
        self.serve(stream, stop).await;
        drop(permit);
    }

    /// A slot, once one is free or a connection was closed to make room; `None` after
    /// `SLOT_WAIT`.
    async fn slot(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let deadline = tokio::time::Instant::now() + SLOT_WAIT;
        loop {
            if let Ok(permit) = Arc::clone(&self.slots).try_acquire_owned() {
                return Some(permit);
            }
            self.evict_one();
            let wait = tokio::time::timeout(
                Duration::from_millis(250),
                Arc::clone(&self.slots).acquire_owned(),
            );
            if let Ok(Ok(permit)) = wait.await {
                return Some(permit);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
        }
    }

    fn evict_one(&self) {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let candidate = eviction_candidate(
            self.clock.now(),
            open.iter()
                .filter(|(_, conn)| !conn.evicted.load(Ordering::Acquire))
                .map(|(id, conn)| (*id, conn.phase())),
        );
        if let Some(conn) = candidate.and_then(|id| open.get(&id)) {
            conn.evicted.store(true, Ordering::Release);
            conn.evict.notify_one();
        }
    }

    async fn serve(self: &Arc<Self>, stream: TcpStream, mut stop: watch::Receiver<bool>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(self.clock.now()),
            head_started: AtomicU64::new(NO_HEAD),
            body_started: AtomicU64::new(NO_BODY),
            body_last: AtomicU64::new(0),
            body_received: AtomicU64::new(0),
            changed: Notify::new(),
            evict: Notify::new(),
            evicted: std::sync::atomic::AtomicBool::new(false),
        });
        self.open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, Arc::clone(&conn));
        self.metrics.connection_opened();

        let io = TokioIo::new(Watched {
            stream,
            conn: Arc::clone(&conn),
            clock: self.clock,
        });
        let (router, clock, for_service) = (self.router.clone(), self.clock, Arc::clone(&conn));
        let for_stop = stop.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<_>| {
            for_service.in_flight.fetch_add(1, Ordering::AcqRel);
            for_service.head_started.store(NO_HEAD, Ordering::Release);
            let request =
                request.map(|body| TrackedBody::new(body, Arc::clone(&for_service), clock));
            let guard = InFlight {
                conn: Arc::clone(&for_service),
                clock,
            };
            let router = router.clone();
            let shutting_down = *for_stop.borrow();
            async move {
                if shutting_down {
                    return Ok(shutting_down_answer());
                }
                let response = router.oneshot(request).await;
                drop(guard);
                response
            }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        // The watchdog below times headers and idle connections.
        builder.header_read_timeout(None).keep_alive(true);
        let connection = builder.serve_connection(io, service);
        tokio::pin!(connection);

        let mut draining = false;
        // One timer per connection, moved rather than made anew at each turn.
        let sleep = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(sleep);
        let mut armed = u64::MAX;
        let reason = loop {
            let now = self.clock.now();
            let limits = if draining {
                draining_limits(&self.limits)
            } else {
                self.limits
            };
            let until = match judge(now, conn.phase(), &limits) {
                Verdict::Close(reason) => break reason,
                Verdict::WaitUntil(until) => until,
            };
            if until != armed {
                sleep.as_mut().reset(self.clock.instant(until));
                armed = until;
            }
            tokio::select! {
                ended = connection.as_mut() => {
                    break if ended.is_ok() { "closed" } else { "error" };
                }
                _ = conn.changed.notified() => {}
                _ = &mut sleep => armed = u64::MAX,
                _ = conn.evict.notified() => {
                    let phase = conn.phase();
                    if evictable_since(self.clock.now(), phase).is_some() {
                        // A stalled body's request goes with its connection, unanswered.
                        break if phase.in_flight == 0 { "evicted" } else { "evicted_mid_body" };
                    }
                    // It took a request, or its body moved, meanwhile: it stays, and may be
                    // chosen again later.
                    conn.evicted.store(false, Ordering::Release);
                }
                _ = stopping(&mut stop), if !draining => {
                    draining = true;
                    // A request being answered is finished, then the connection closes. An
                    // idle one is closed shortly (see `draining_limits`); a request that comes
                    // on it meanwhile is answered 503, not dropped.
                    if conn.phase().in_flight > 0 {
                        connection.as_mut().graceful_shutdown();
                    } else {
                        // Idle from now: a request already sent on it (still in the socket)
                        // gets read and answered before the connection closes.
                        conn.idle_since.store(self.clock.now(), Ordering::Release);
                    }
                }
            }
        };
        self.metrics.connection_closed(reason);
        self.open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> HttpLimits {
        HttpLimits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            ..HttpLimits::default()
        }
    }

    fn phase(in_flight: usize, idle_since: u64, head_started: Option<u64>) -> Phase {
        Phase {
            in_flight,
            idle_since,
            head_started,
            body: None,
        }
    }

    fn receiving(started: u64, last_byte: u64, received: u64) -> Phase {
        Phase {
            body: Some(BodyProgress {
                started,
                last_byte,
                received,
            }),
            ..phase(1, 0, None)
        }
    }

    #[test]
    fn an_idle_connection_closes_after_the_idle_timeout() {
        assert_eq!(
            judge(29_999, phase(0, 0, None), &limits()),
            Verdict::WaitUntil(30_000)
        );
        assert_eq!(
            judge(30_000, phase(0, 0, None), &limits()),
            Verdict::Close("idle_timeout")
        );
    }

    #[test]
    fn an_idle_connection_is_looked_at_again_within_the_header_timeout() {
        assert_eq!(
            judge(1_000, phase(0, 0, None), &limits()),
            Verdict::WaitUntil(11_000)
        );
    }

    #[test]
    fn a_head_sent_a_byte_at_a_time_is_cut_off_at_the_header_timeout() {
        assert_eq!(
            judge(5_000, phase(0, 0, Some(2_000)), &limits()),
            Verdict::WaitUntil(12_000)
        );
        assert_eq!(
            judge(12_000, phase(0, 0, Some(2_000)), &limits()),
            Verdict::Close("header_timeout")
        );
    }

    #[test]
    fn a_request_being_answered_is_left_to_the_handler() {
        assert!(matches!(
            judge(1_000_000, phase(1, 0, None), &limits()),
            Verdict::WaitUntil(_)
        ));
    }

    #[test]
    fn the_cap_leaves_room_under_the_open_file_limit() {
        let text = "Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n";
        assert_eq!(parse_open_file_limit(text), Some(1024));
        let fitted = fit_to_open_files(
            HttpLimits {
                max_connections: 5_000,
                ..HttpLimits::default()
            },
            Some(1024),
        );
        assert_eq!(fitted.max_connections, 1024 - RESERVED_FILES);
        assert_eq!(
            fit_to_open_files(HttpLimits::default(), Some(1024)).max_connections,
            512
        );
    }

    #[test]
    fn the_longest_idle_connection_not_answering_a_request_makes_room() {
        let candidates = [
            (1, phase(1, 0, None)),
            (2, phase(0, 500, Some(900))),
            (3, phase(0, 700, None)),
        ];
        assert_eq!(eviction_candidate(5_000, candidates), Some(3));
        assert_eq!(eviction_candidate(5_000, [(1, phase(1, 0, None))]), None);
    }

    #[test]
    fn a_body_is_stalled_since_its_last_bytes_or_since_it_fell_behind_the_minimum_rate() {
        let at = |last_byte, received| BodyProgress {
            started: 10_000,
            last_byte,
            received,
        };
        assert_eq!(stalled_since(at(10_000, 0)), 10_000, "nothing sent");
        assert_eq!(
            stalled_since(at(12_000, 2 * MIN_BODY_RATE)),
            12_000,
            "stopped after 2 s at the rate"
        );
        assert_eq!(
            stalled_since(at(19_900, 10)),
            10_000,
            "a few bytes now and then"
        );
        assert_eq!(
            stalled_since(at(20_000, 100 * MIN_BODY_RATE)),
            20_000,
            "ahead of the rate: stalled only from its last bytes on"
        );
    }

    #[test]
    fn the_longest_stalled_body_makes_room_not_one_arriving_nor_one_all_in() {
        let candidates = [
            (1, phase(1, 0, None)),
            (2, receiving(1_000, 4_900, 10 * MIN_BODY_RATE)),
            (3, receiving(2_000, 4_000, 10)),
            (4, phase(0, 3_000, None)),
        ];
        assert_eq!(
            eviction_candidate(5_000, candidates),
            Some(3),
            "stalled since 2 000, behind the rate"
        );
        assert_eq!(
            eviction_candidate(5_000, [candidates[0], candidates[1], candidates[3]]),
            Some(4)
        );
        assert_eq!(
            eviction_candidate(5_000, [candidates[0], candidates[1]]),
            None,
            "one all in, one arriving fast"
        );
        assert_eq!(
            eviction_candidate(2_500, [candidates[2]]),
            None,
            "stalled for less than the grace"
        );
    }

    #[test]
    fn a_connection_idle_for_less_than_the_grace_is_not_closed_to_make_room() {
        let new = phase(0, 10_000, None);
        assert_eq!(eviction_candidate(10_500, [(7, new)]), None);
        assert_eq!(eviction_candidate(11_000, [(7, new)]), Some(7));
    }
}
