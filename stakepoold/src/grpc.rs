//! The gRPC API the web app calls (`proto/stakepoold.proto`, hcstakepool-inventory.md
//! §11.4), answered from the daemon's state, over TLS with a self-signed certificate
//! generated on first start.
//!
//! Unlike the original, a Get copies the state under a short read lock (no shared map, no
//! command goroutine to deadlock), so the 100 ms per-call deadline is not needed.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hcpool_core::backend::TicketEntry;
use hcpool_rpc::pinned_tls::CertCurve;
use hcpool_rpc::stakepoold::server::{tls_incoming, ServerTls};
use hcpool_rpc::stakepoold::{
    proto, ticket_from_wire, ticket_to_wire, user_from_wire, StakepooldService,
    StakepooldServiceServer, VersionService, VersionServiceServer,
};
use tonic::{Request, Response, Status};
use tonic_health::ServingStatus;

/// `Ping` asks the wallet's and hcd's heights and waits at most this long for them.
pub const PING_HEIGHTS_TIMEOUT: Duration = Duration::from_secs(2);
use tracing::{debug, info};

use crate::daemon::Daemon;
use crate::error::{Error, Result};

/// The API version served (hcstakepool requires major 4).
pub const API_VERSION: (u32, u32, u32) = (4, 0, 0);

/// Organisation written into a generated certificate (as the original).
pub use hcpool_rpc::stakepoold::server::CERT_ORGANIZATION;

/// The services, over the daemon.
#[derive(Debug, Clone)]
pub struct GrpcService {
    daemon: Arc<Daemon>,
    /// `PingResponse.instance_id`: chosen at start, so a web app can tell a restart.
    instance_id: u64,
}

impl GrpcService {
    /// Serves `daemon`'s state, with a new instance id.
    pub fn new(daemon: Arc<Daemon>) -> Self {
        GrpcService {
            daemon,
            instance_id: new_instance_id(),
        }
    }

    /// The instance id `Ping` answers.
    pub fn instance_id(&self) -> u64 {
        self.instance_id
    }
}

/// A random nonzero u64: the standard library's per-process random hash keys over the
/// clock and the process id (no cryptographic strength needed, only a new value per start).
fn new_instance_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(nanos);
    h.write_u32(std::process::id());
    h.finish().max(1)
}

/// The one mapping of errors to gRPC statuses.
pub fn to_status(e: &hcpool_rpc::Error) -> Status {
    match e {
        hcpool_rpc::Error::BadTicketHash(_) | hcpool_rpc::Error::OutOfRange(_) => {
            Status::invalid_argument(e.to_string())
        }
        hcpool_rpc::Error::VotingNodeTimeout(_) => Status::deadline_exceeded(e.to_string()),
        hcpool_rpc::Error::VotingNodeConnect(_) => Status::unavailable(e.to_string()),
        _ => Status::internal(e.to_string()),
    }
}

fn wire(v: Vec<TicketEntry>) -> Vec<proto::TicketEntry> {
    v.iter().map(ticket_to_wire).collect()
}

#[tonic::async_trait]
impl StakepooldService for GrpcService {
    async fn get_added_low_fee_tickets(
        &self,
        _: Request<proto::GetAddedLowFeeTicketsRequest>,
    ) -> Result<Response<proto::GetAddedLowFeeTicketsResponse>, Status> {
        Ok(Response::new(proto::GetAddedLowFeeTicketsResponse {
            tickets: wire(self.daemon.added_tickets()),
        }))
    }

    async fn get_ignored_low_fee_tickets(
        &self,
        _: Request<proto::GetIgnoredLowFeeTicketsRequest>,
    ) -> Result<Response<proto::GetIgnoredLowFeeTicketsResponse>, Status> {
        Ok(Response::new(proto::GetIgnoredLowFeeTicketsResponse {
            tickets: wire(self.daemon.ignored_tickets()),
        }))
    }

    async fn get_live_tickets(
        &self,
        _: Request<proto::GetLiveTicketsRequest>,
    ) -> Result<Response<proto::GetLiveTicketsResponse>, Status> {
        Ok(Response::new(proto::GetLiveTicketsResponse {
            tickets: wire(self.daemon.live_tickets()),
        }))
    }

    async fn ping(
        &self,
        r: Request<proto::PingRequest>,
    ) -> Result<Response<proto::PingResponse>, Status> {
        debug!(peer = ?r.remote_addr(), "ping");
        // 0 = unknown (a wallet or hcd that does not answer in time).
        let (wallet, node) = self.daemon.chain_heights(PING_HEIGHTS_TIMEOUT).await;
        Ok(Response::new(proto::PingResponse {
            instance_id: self.instance_id,
            wallet_height: wallet.unwrap_or(0),
            node_height: node.unwrap_or(0),
        }))
    }

    async fn set_added_low_fee_tickets(
        &self,
        r: Request<proto::SetAddedLowFeeTicketsRequest>,
    ) -> Result<Response<proto::SetAddedLowFeeTicketsResponse>, Status> {
        // All or nothing: one bad entry refuses the whole set.
        let tickets = r
            .into_inner()
            .tickets
            .into_iter()
            .map(ticket_from_wire)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| to_status(&e))?;
        info!(count = tickets.len(), "SetAddedLowFeeTickets");
        self.daemon.set_added_low_fee_tickets(tickets);
        Ok(Response::new(proto::SetAddedLowFeeTicketsResponse {}))
    }

    async fn set_user_voting_prefs(
        &self,
        r: Request<proto::SetUserVotingPrefsRequest>,
    ) -> Result<Response<proto::SetUserVotingPrefsResponse>, Status> {
        let users = r
            .into_inner()
            .user_voting_config
            .into_iter()
            .map(user_from_wire)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| to_status(&e))?;
        info!(count = users.len(), "SetUserVotingPrefs");
        if self.daemon.set_user_voting_prefs(users) {
            // Started without a store: the tickets found so far could not be mapped.
            info!("first users known; rescanning the wallet's tickets");
            // Single flight: a client cannot start rescans without bound.
            self.daemon.request_rescan();
        }
        Ok(Response::new(proto::SetUserVotingPrefsResponse {}))
    }
}

#[tonic::async_trait]
impl VersionService for GrpcService {
    async fn version(
        &self,
        _: Request<proto::VersionRequest>,
    ) -> Result<Response<proto::VersionResponse>, Status> {
        let (major, minor, patch) = API_VERSION;
        Ok(Response::new(proto::VersionResponse {
            version_string: format!("{major}.{minor}.{patch}"),
            major,
            minor,
            patch,
            prerelease: String::new(),
            build_metadata: String::new(),
        }))
    }
}

/// The server TLS config from `cert`/`key`, generating both (mode 0600) when the key is
/// missing, as the original; on P-256 ([`CertCurve`]'s default: grpcio clients cannot verify
/// the original's P-521).
///
/// # Errors
/// [`Error::Tls`] when the files cannot be read, written or used.
pub fn tls_config(cert: &Path, key: &Path) -> Result<Arc<tokio_rustls::rustls::ServerConfig>> {
    tls_config_with(cert, key, None)
}

/// As [`tls_config`]; with `client_ca`, every client must present a certificate that this
/// PEM file pins (byte for byte) or signs (mutual TLS; `clientcafile`).
///
/// # Errors
/// [`Error::Tls`] as [`tls_config`], and when `client_ca` cannot be read or holds no
/// certificate.
pub fn tls_config_with(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
) -> Result<Arc<tokio_rustls::rustls::ServerConfig>> {
    tls_config_on(cert, key, client_ca, CertCurve::default())
}

/// As [`tls_config_with`], a missing certificate generated on `curve` (`tlscurve`).
///
/// # Errors
/// As [`tls_config_with`].
pub fn tls_config_on(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
    curve: CertCurve,
) -> Result<Arc<tokio_rustls::rustls::ServerConfig>> {
    for p in [cert, key] {
        if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
        }
    }
    let mut tls =
        ServerTls::load_or_generate_on(cert, key, curve).map_err(|e| Error::Tls(e.to_string()))?;
    if let Some(ca) = client_ca {
        let trusted = hcpool_rpc::pinned_tls::load_certs(ca)
            .map_err(|e| Error::Tls(format!("clientcafile: {e}")))?;
        tls = tls
            .require_client_certs(trusted)
            .map_err(|e| Error::Tls(format!("clientcafile: {e}")))?;
    }
    Ok(tls.rustls_config())
}

/// How often the gRPC health status is refreshed from [`Daemon::health`].
pub const HEALTH_POLL: Duration = Duration::from_millis(500);

/// Keeps the `grpc.health.v1` statuses (the server as a whole, `""`, and
/// `stakepoolrpc.StakepooldService`) at SERVING while the wallet and node links are up,
/// NOT_SERVING otherwise.
async fn report_health(daemon: Arc<Daemon>, reporter: tonic_health::server::HealthReporter) {
    let mut last = None;
    loop {
        let health = daemon.health();
        let serving = health.is_serving();
        if last != Some(serving) {
            let status = if serving {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            };
            reporter.set_service_status("", status).await;
            reporter
                .set_service_status(STAKEPOOLD_SERVICE, status)
                .await;
            info!(
                wallet_connected = health.wallet_connected,
                node_connected = health.node_connected,
                "health: {}",
                if serving { "serving" } else { "not serving" }
            );
            last = Some(serving);
        }
        tokio::time::sleep(HEALTH_POLL).await;
    }
}

/// The full name health checks use for the stakepoold API.
pub const STAKEPOOLD_SERVICE: &str = "stakepoolrpc.StakepooldService";

/// Serves the API, and `grpc.health.v1.Health` following [`Daemon::health`], on `listener`
/// until `shutdown` resolves.
///
/// # Errors
/// The tonic server failing.
pub async fn serve(
    daemon: Arc<Daemon>,
    listener: tokio::net::TcpListener,
    tls: Arc<tokio_rustls::rustls::ServerConfig>,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let (reporter, health) = tonic_health::server::health_reporter();
    let reporting = tokio::spawn(report_health(daemon.clone(), reporter));
    let svc = GrpcService::new(daemon);
    let served = tonic::transport::Server::builder()
        // Junk a client sends is its error (INVALID_ARGUMENT), not the server's (INTERNAL).
        .layer(hcpool_rpc::stakepoold::server::client_error_layer())
        .add_service(health)
        .add_service(StakepooldServiceServer::new(svc.clone()))
        .add_service(VersionServiceServer::new(svc))
        .serve_with_incoming_shutdown(tls_incoming(listener, tls), shutdown)
        .await
        .map_err(|e| Error::Task(format!("grpc server: {e}")));
    reporting.abort();
    served
}
