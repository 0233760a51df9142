//! Binding, TLS, the connection limit, and shutdown.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum_server::accept::{Accept, DefaultAcceptor};
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use axum_server::Handle;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::runtime::Runtime;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{router, ApiKeys, App, Limits};
use crate::store::VaultStore;

/// How long requests in flight get to finish after a shutdown is asked for.
const GRACE: Duration = Duration::from_secs(30);

/// A certificate chain and its private key, PEM files.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Where and how to listen.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServeOptions {
    /// The address. Default: `127.0.0.1:8787`. Port 0 picks a free port
    /// ([`RunningServer::local_addr`] tells which).
    pub listen: SocketAddr,
    /// Serve HTTPS with this certificate. Default: none.
    pub tls: Option<TlsFiles>,
    /// Allow plain HTTP on an address other than loopback (API keys and tokens would
    /// cross the network in clear). Default: refused.
    pub insecure_listen: bool,
    /// Listen on this unix socket instead of `listen` (made 0600: only this user
    /// connects; a stale socket file left by a crash is replaced). No TLS there.
    /// Default: none.
    pub unix_socket: Option<PathBuf>,
    /// Request and connection limits.
    pub limits: Limits,
    /// Accept `mcp_oauth` token endpoints that name loopback, private or other internal
    /// hosts. Default: refused with 400. For development only; pair it with the store's
    /// refresher: [`HttpRefresher::public_only`](crate::HttpRefresher::public_only)
    /// (which checks the addresses actually connected to) unless this is set.
    pub allow_private_token_endpoints: bool,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
            tls: None,
            insecure_listen: false,
            unix_socket: None,
            limits: Limits::default(),
            allow_private_token_endpoints: false,
        }
    }
}

impl ServeOptions {
    /// Options listening on `listen`, everything else at its default.
    pub fn new(listen: SocketAddr) -> Self {
        ServeOptions {
            listen,
            ..Self::default()
        }
    }

    /// Sets the certificate to serve HTTPS with.
    #[must_use]
    pub fn tls(mut self, tls: TlsFiles) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Allows plain HTTP on a non-loopback address.
    #[must_use]
    pub fn insecure_listen(mut self, yes: bool) -> Self {
        self.insecure_listen = yes;
        self
    }

    /// Listens on a unix socket at `path` instead of a TCP address.
    #[must_use]
    pub fn unix_socket(mut self, path: impl Into<PathBuf>) -> Self {
        self.unix_socket = Some(path.into());
        self
    }

    /// Accepts token endpoints on internal hosts (development only).
    #[must_use]
    pub fn allow_private_token_endpoints(mut self, yes: bool) -> Self {
        self.allow_private_token_endpoints = yes;
        self
    }

    /// Sets the limits.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

/// A server accepting connections on its own tokio runtime.
pub struct RunningServer {
    addr: Option<SocketAddr>,
    socket: Option<PathBuf>,
    shutdown: Box<dyn Fn(Duration) + Send + Sync>,
    task: Option<tokio::task::JoinHandle<io::Result<()>>>,
    runtime: Option<Runtime>,
    store: VaultStore,
    /// SIGTERM and SIGINT, caught from [`RunningServer::catch_signals`] on.
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("addr", &self.addr)
            .field("socket", &self.socket)
            .finish_non_exhaustive()
    }
}

/// Binds and starts serving `store` with `api_keys`; returns once the port accepts
/// connections. Call from outside any async runtime (the server has its own).
///
/// # Errors
/// [`io::ErrorKind::InvalidInput`] for plain HTTP on a non-loopback address without
/// [`ServeOptions::insecure_listen`]; the bind's error; a TLS file that does not load.
pub fn start(
    store: VaultStore,
    api_keys: ApiKeys,
    options: ServeOptions,
) -> io::Result<RunningServer> {
    if options.unix_socket.is_some() && options.tls.is_some() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "TLS is not served on a unix socket (only this user can connect to it)",
        ));
    }
    if options.unix_socket.is_none() && !options.listen.ip().is_loopback() && options.tls.is_none()
    {
        if !options.insecure_listen {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{} is not a loopback address: serve HTTPS there with --tls-cert and \
                     --tls-key, or accept plain HTTP with --insecure-listen",
                    options.listen
                ),
            ));
        }
        eprintln!(
            "vaultstore serve: WARNING: plain HTTP on {}: API keys and tokens cross the \
             network unencrypted",
            options.listen
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("vaultstore-serve")
        .build()?;
    let limits = options.limits.clone();
    let app = App {
        store: store.clone(),
        api_keys,
        limits: Arc::new(limits.clone()),
        allow_private_token_endpoints: options.allow_private_token_endpoints,
    };
    let service = router(app).into_make_service();
    let limit = ConnectionLimit {
        inner: DefaultAcceptor,
        permits: Arc::new(Semaphore::new(limits.max_connections)),
    };
    // The same HTTP settings on either kind of listener.
    macro_rules! configured {
        ($server:expr) => {{
            let mut server = $server;
            server
                .http_builder()
                .http1()
                .max_buf_size(limits.max_header_bytes.max(8192))
                .header_read_timeout(Some(limits.header_read_timeout));
            server
                .http1_only()
                .first_request_timeout(limits.header_read_timeout)
        }};
    }
    let _guard = runtime.enter();
    #[cfg(not(unix))]
    if options.unix_socket.is_some() {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "unix sockets exist only on unix",
        ));
    }
    #[cfg(unix)]
    if let Some(path) = &options.unix_socket {
        let listener = bind_unix(path)?;
        let handle = Handle::new();
        let server = configured!(axum_server::from_unix(listener)?.handle(handle.clone()));
        let task = runtime.spawn(server.acceptor(limit).serve(service));
        runtime.block_on(handle.listening());
        drop(_guard);
        return Ok(RunningServer {
            addr: None,
            socket: Some(path.clone()),
            shutdown: Box::new(move |grace| handle.graceful_shutdown(Some(grace))),
            task: Some(task),
            runtime: Some(runtime),
            store,
            #[cfg(unix)]
            signals: None,
        });
    }
    let listener = TcpListener::bind(options.listen)?;
    let addr = listener.local_addr()?;
    let handle: Handle<SocketAddr> = Handle::new();
    let server = configured!(axum_server::from_tcp(listener)?.handle(handle.clone()));
    let task = match &options.tls {
        None => runtime.spawn(server.acceptor(limit).serve(service)),
        Some(files) => {
            let config = runtime.block_on(RustlsConfig::from_pem_file(&files.cert, &files.key))?;
            // HTTP/1.1 only (as the plain listener): offer no h2 in ALPN.
            let mut tls = (*config.get_inner()).clone();
            tls.alpn_protocols = vec![b"http/1.1".to_vec()];
            config.reload_from_config(Arc::new(tls));
            let acceptor = RustlsAcceptor::new(config)
                .handshake_timeout(limits.header_read_timeout)
                .acceptor(limit);
            runtime.spawn(server.acceptor(acceptor).serve(service))
        }
    };
    // Ready when the port accepts connections: the listener is bound already, and the
    // accept loop has started once `listening` answers.
    runtime.block_on(handle.listening());
    drop(_guard);
    Ok(RunningServer {
        addr: Some(addr),
        socket: None,
        shutdown: Box::new(move |grace| handle.graceful_shutdown(Some(grace))),
        task: Some(task),
        runtime: Some(runtime),
        store,
        #[cfg(unix)]
        signals: None,
    })
}

/// Binds a unix socket at `path`, replacing a stale socket file that no server
/// answers on, and makes it 0600.
#[cfg(unix)]
fn bind_unix(path: &std::path::Path) -> io::Result<std::os::unix::net::UnixListener> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    use std::os::unix::net::{UnixListener, UnixStream};
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", path.display()),
            ));
        }
        if UnixStream::connect(path).is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("a server already answers on {}", path.display()),
            ));
        }
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

impl RunningServer {
    /// The TCP address it listens on (`None` on a unix socket).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.addr
    }

    /// Where to reach it: `http(s)://ADDR` or `unix:PATH`.
    pub fn endpoint(&self, tls: bool) -> String {
        match (&self.addr, &self.socket) {
            (Some(addr), _) => format!("{}://{addr}", if tls { "https" } else { "http" }),
            (None, Some(path)) => format!("unix:{}", path.display()),
            (None, None) => String::new(),
        }
    }

    /// Stops accepting, lets requests in flight finish (up to 30 s), then flushes the
    /// store.
    ///
    /// # Errors
    /// The server's own I/O error, or the flush's.
    pub fn shutdown(mut self) -> io::Result<()> {
        self.stop()
    }

    /// Catches SIGTERM and SIGINT from now on (they no longer end the process) for
    /// [`RunningServer::run_until_signal`]. Call it before saying the server is ready:
    /// a signal sent between that and `run_until_signal` would otherwise kill the
    /// process without a graceful shutdown. Elsewhere than on unix it does nothing.
    ///
    /// # Errors
    /// The signal handlers cannot be installed.
    pub fn catch_signals(&mut self) -> io::Result<()> {
        #[cfg(unix)]
        if let (None, Some(runtime)) = (&self.signals, &self.runtime) {
            use tokio::signal::unix::{signal, SignalKind};
            let _guard = runtime.enter();
            self.signals = Some((
                signal(SignalKind::terminate())?,
                signal(SignalKind::interrupt())?,
            ));
        }
        Ok(())
    }

    /// Serves until SIGTERM or Ctrl-C, then shuts down as [`RunningServer::shutdown`].
    ///
    /// # Errors
    /// As [`RunningServer::shutdown`].
    pub fn run_until_signal(mut self) -> io::Result<()> {
        #[cfg(unix)]
        let caught = self.signals.take();
        #[cfg(not(unix))]
        let caught = None::<()>;
        if let Some(runtime) = &self.runtime {
            match caught {
                #[cfg(unix)]
                Some((mut term, mut int)) => runtime.block_on(async {
                    tokio::select! {
                        _ = term.recv() => {},
                        _ = int.recv() => {},
                    }
                }),
                _ => runtime.block_on(signal()),
            }
        }
        eprintln!("vaultstore serve: shutting down; requests in flight finish first");
        self.stop()
    }

    fn stop(&mut self) -> io::Result<()> {
        (self.shutdown)(GRACE);
        let mut served = Ok(());
        if let (Some(runtime), Some(task)) = (self.runtime.take(), self.task.take()) {
            served = match runtime.block_on(task) {
                Ok(result) => result,
                Err(e) => Err(io::Error::other(e)),
            };
            // Store calls on the blocking pool finish before the runtime is gone.
            runtime.shutdown_timeout(GRACE);
        }
        if let Some(path) = &self.socket {
            let _ = std::fs::remove_file(path);
        }
        self.store
            .flush()
            .map_err(|e| io::Error::other(format!("flushing the store: {e}")))?;
        served
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if self.runtime.is_some() {
            let _ = self.stop();
        }
    }
}

async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Closes a connection at once when `max_connections` are open; the permit lives in
/// the stream, so it is returned when the connection ends.
#[derive(Clone)]
struct ConnectionLimit<A> {
    inner: A,
    permits: Arc<Semaphore>,
}

impl<A, I, S> Accept<I, S> for ConnectionLimit<A>
where
    A: Accept<I, S> + Clone + Send + 'static,
    A::Future: Send,
    I: Send + 'static,
    S: Send + 'static,
{
    type Stream = Permitted<A::Stream>;
    type Service = A::Service;
    type Future = Pin<
        Box<dyn std::future::Future<Output = io::Result<(Self::Stream, Self::Service)>> + Send>,
    >;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        let permit = self.permits.clone().try_acquire_owned();
        let inner = self.inner.clone();
        Box::pin(async move {
            let Ok(permit) = permit else {
                return Err(io::Error::other("connection limit reached"));
            };
            let (stream, service) = inner.accept(stream, service).await?;
            Ok((
                Permitted {
                    inner: stream,
                    _permit: permit,
                },
                service,
            ))
        })
    }
}

/// A stream holding one of the connection permits.
struct Permitted<T> {
    inner: T,
    _permit: OwnedSemaphorePermit,
}

impl<T: AsyncRead + Unpin> AsyncRead for Permitted<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Permitted<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
