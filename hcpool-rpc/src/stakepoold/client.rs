//! [`GrpcVotingNode`]: the web app's client of one stakepoold (inventory §11.7).
//!
//! Unlike hcstakepool's client it has a per-call timeout (the Go one waits forever), and it
//! pins the node's certificate byte for byte (see [`crate::pinned_tls`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use hcpool_core::backend::{
    NodeChainHeights, TicketEntry, UserVotingConfig, VotingNode, VotingNodeVersion,
};
use hcpool_core::{Hash32, UserId, VoteBits};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tonic::transport::{Channel, Endpoint, Uri};

use super::proto;
use super::proto::stakepoold_service_client::StakepooldServiceClient;
use super::proto::version_service_client::VersionServiceClient;
use crate::error::Error;
use crate::pinned_tls;

/// The stakepoold API version hcstakepool requires (major equal, minor.patch at least).
pub const REQUIRED_API_VERSION: (u32, u32, u32) = (4, 0, 0);

/// How to reach one stakepoold.
#[derive(Debug, Clone)]
pub struct GrpcVotingNodeConfig {
    /// `host:port` of the node's gRPC listener.
    pub host: String,
    /// The node's certificate (PEM), the only one accepted.
    pub cert_path: PathBuf,
    /// The TLS server name sent (hcstakepool always sends `localhost`).
    pub server_name: String,
    /// The limit of one call, connection included.
    pub timeout: Duration,
    /// The client certificate and key (PEM files) presented when the node asks for one
    /// (stakepoold with `clientcafile`); `None` presents nothing, as hcstakepool.
    pub client_identity: Option<ClientIdentity>,
}

/// A client certificate and its key, as PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    /// The certificate (chain) presented.
    pub cert_path: PathBuf,
    /// Its private key (never logged).
    pub key_path: PathBuf,
}

impl GrpcVotingNodeConfig {
    /// A configuration with hcstakepool's server name and a 10 s call timeout.
    pub fn new(host: impl Into<String>, cert_path: impl Into<PathBuf>) -> Self {
        GrpcVotingNodeConfig {
            host: host.into(),
            cert_path: cert_path.into(),
            server_name: "localhost".into(),
            timeout: Duration::from_secs(10),
            client_identity: None,
        }
    }

    /// Presents the certificate and key of these PEM files to the node.
    #[must_use]
    pub fn with_client_identity(
        mut self,
        cert_path: impl Into<PathBuf>,
        key_path: impl Into<PathBuf>,
    ) -> Self {
        self.client_identity = Some(ClientIdentity {
            cert_path: cert_path.into(),
            key_path: key_path.into(),
        });
        self
    }
}

/// A stakepoold reached over gRPC with TLS.
#[derive(Debug, Clone)]
pub struct GrpcVotingNode {
    label: String,
    channel: Channel,
    timeout: Duration,
}

impl GrpcVotingNode {
    /// Prepares the connection without dialing; the first call connects.
    pub fn connect_lazy(cfg: &GrpcVotingNodeConfig) -> Result<Self, Error> {
        let certs = pinned_tls::load_certs(&cfg.cert_path)?;
        let identity = match &cfg.client_identity {
            Some(id) => Some(pinned_tls::load_identity(&id.cert_path, &id.key_path)?),
            None => None,
        };
        let tls = Arc::new(pinned_tls::client_config_with_identity(
            certs,
            &[b"h2"],
            identity,
        )?);
        let server_name = ServerName::try_from(cfg.server_name.clone())
            .map_err(|_| Error::VotingNodeEndpoint(cfg.server_name.clone()))?;
        // The scheme is http because TLS is done by the connector below, not by tonic.
        let endpoint = Endpoint::from_shared(format!("http://{}", cfg.host))
            .map_err(|_| Error::VotingNodeEndpoint(cfg.host.clone()))?
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout);
        let dial = cfg.host.clone();
        let connector = tower::service_fn(move |_uri: Uri| {
            let tls = Arc::clone(&tls);
            let server_name = server_name.clone();
            let dial = dial.clone();
            async move {
                let tcp = tokio::net::TcpStream::connect(dial.as_str()).await?;
                let stream = tokio_rustls::TlsConnector::from(tls)
                    .connect(server_name, tcp)
                    .await?;
                Ok::<_, std::io::Error>(TokioIo::new(stream))
            }
        });
        let channel = endpoint.connect_with_connector_lazy(connector);
        Ok(GrpcVotingNode {
            label: cfg.host.clone(),
            channel,
            timeout: cfg.timeout,
        })
    }

    /// Connects and performs hcstakepool's handshake: `VersionService.Version` must be
    /// compatible with [`REQUIRED_API_VERSION`].
    pub async fn connect(cfg: &GrpcVotingNodeConfig) -> Result<Self, Error> {
        let node = Self::connect_lazy(cfg)?;
        node.check_version().await?;
        Ok(node)
    }

    /// Asks the node's version and checks it against [`REQUIRED_API_VERSION`].
    pub async fn check_version(&self) -> Result<VotingNodeVersion, Error> {
        let v = self.fetch_version().await?;
        let (maj, min, pat) = REQUIRED_API_VERSION;
        if !semver_compatible((maj, min, pat), (v.major, v.minor, v.patch)) {
            return Err(Error::IncompatibleVersion {
                got: format!("{}.{}.{}", v.major, v.minor, v.patch),
                required: format!("{maj}.{min}.{pat}"),
            });
        }
        Ok(v)
    }

    async fn fetch_version(&self) -> Result<VotingNodeVersion, Error> {
        let mut c = VersionServiceClient::new(self.channel.clone());
        let r = self
            .bounded(c.version(proto::VersionRequest {}))
            .await?
            .into_inner();
        Ok(VotingNodeVersion {
            version: r.version_string,
            major: r.major,
            minor: r.minor,
            patch: r.patch,
        })
    }

    fn service(&self) -> StakepooldServiceClient<Channel> {
        StakepooldServiceClient::new(self.channel.clone())
    }

    /// Runs one call under the per-call timeout (tonic's own timeout does not cover a
    /// connection that hangs in the TLS handshake).
    async fn bounded<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, tonic::Status>>,
    ) -> Result<T, Error> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(r) => r.map_err(status_error),
            Err(_) => Err(Error::VotingNodeTimeout(self.timeout)),
        }
    }

    fn err(&self, e: Error) -> hcpool_core::Error {
        e.into_voting_node(&self.label)
    }
}

/// A transport failure shows as an `Unavailable` status whose source is the connect error;
/// keep it apart from an answer the node gave.
fn status_error(s: tonic::Status) -> Error {
    if s.code() == tonic::Code::Unavailable && std::error::Error::source(&s).is_some() {
        Error::VotingNodeConnect(s.message().to_owned())
    } else {
        s.into()
    }
}

/// hcstakepool's rule: major equal; minor at least; patch at least when minors are equal.
pub fn semver_compatible(required: (u32, u32, u32), got: (u32, u32, u32)) -> bool {
    required.0 == got.0 && (got.1 > required.1 || (got.1 == required.1 && got.2 >= required.2))
}

/// A core ticket entry on the wire (hash in internal byte order).
pub fn ticket_to_wire(t: &TicketEntry) -> proto::TicketEntry {
    proto::TicketEntry {
        ticket_address: t.ticket_address.clone(),
        ticket_hash: t.ticket_hash.as_bytes().to_vec(),
    }
}

/// A wire ticket entry; a hash that is not 32 bytes is an error.
pub fn ticket_from_wire(t: proto::TicketEntry) -> Result<TicketEntry, Error> {
    let len = t.ticket_hash.len();
    let hash = Hash32::from_slice(&t.ticket_hash).map_err(|_| Error::BadTicketHash(len))?;
    Ok(TicketEntry {
        ticket_address: t.ticket_address,
        ticket_hash: hash,
    })
}

/// A core user voting configuration on the wire.
pub fn user_to_wire(u: &UserVotingConfig) -> Result<proto::UserVotingConfigEntry, Error> {
    let user_id = i64::try_from(u.user_id.0)
        .map_err(|_| Error::OutOfRange(format!("user id {}", u.user_id)))?;
    Ok(proto::UserVotingConfigEntry {
        user_id,
        multi_sig_address: u.multisig_address.clone(),
        vote_bits: i64::from(u.vote_bits.0),
        vote_bits_version: i64::from(u.vote_bits_version),
    })
}

/// A wire user voting configuration, truncated as stakepoold does (votebits to u16, the
/// version to u32); a negative user id is an error.
pub fn user_from_wire(e: proto::UserVotingConfigEntry) -> Result<UserVotingConfig, Error> {
    let uid = u64::try_from(e.user_id)
        .map_err(|_| Error::OutOfRange(format!("user id {}", e.user_id)))?;
    // Truncation is the documented wire behaviour of stakepoold.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (bits, version) = (e.vote_bits as u16, e.vote_bits_version as u32);
    Ok(UserVotingConfig {
        user_id: UserId(uid),
        multisig_address: e.multi_sig_address,
        vote_bits: VoteBits(bits),
        vote_bits_version: version,
    })
}

fn tickets_from_wire(v: Vec<proto::TicketEntry>) -> Result<Vec<TicketEntry>, Error> {
    v.into_iter().map(ticket_from_wire).collect()
}

#[async_trait]
impl VotingNode for GrpcVotingNode {
    fn label(&self) -> String {
        self.label.clone()
    }

    async fn version(&self) -> hcpool_core::Result<VotingNodeVersion> {
        self.fetch_version().await.map_err(|e| self.err(e))
    }

    async fn ping(&self) -> hcpool_core::Result<()> {
        let mut c = self.service();
        self.bounded(c.ping(proto::PingRequest {}))
            .await
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// `Ping`'s `instance_id` (hcpool's stakepoold); 0, as hcstakepool's stakepoold
    /// answers (an empty message), is `None`.
    async fn instance(&self) -> hcpool_core::Result<Option<u64>> {
        let mut c = self.service();
        self.bounded(c.ping(proto::PingRequest {}))
            .await
            .map(|r| Some(r.into_inner().instance_id).filter(|&id| id != 0))
            .map_err(|e| self.err(e))
    }

    /// `Ping`'s `wallet_height` and `node_height` (hcpool's stakepoold); 0, as
    /// hcstakepool's stakepoold answers (an empty message), is `None`.
    async fn chain_heights(&self) -> hcpool_core::Result<NodeChainHeights> {
        let mut c = self.service();
        self.bounded(c.ping(proto::PingRequest {}))
            .await
            .map(|r| {
                let r = r.into_inner();
                NodeChainHeights {
                    wallet: Some(r.wallet_height).filter(|&h| h != 0),
                    node: Some(r.node_height).filter(|&h| h != 0),
                }
            })
            .map_err(|e| self.err(e))
    }

    async fn set_user_voting_prefs(&self, users: Vec<UserVotingConfig>) -> hcpool_core::Result<()> {
        let user_voting_config = users
            .iter()
            .map(user_to_wire)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        let mut c = self.service();
        self.bounded(
            c.set_user_voting_prefs(proto::SetUserVotingPrefsRequest { user_voting_config }),
        )
        .await
        .map(|_| ())
        .map_err(|e| self.err(e))
    }

    async fn set_added_low_fee_tickets(
        &self,
        tickets: Vec<TicketEntry>,
    ) -> hcpool_core::Result<()> {
        let tickets = tickets.iter().map(ticket_to_wire).collect();
        let mut c = self.service();
        self.bounded(c.set_added_low_fee_tickets(proto::SetAddedLowFeeTicketsRequest { tickets }))
            .await
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    async fn added_low_fee_tickets(&self) -> hcpool_core::Result<Vec<TicketEntry>> {
        let mut c = self.service();
        let r = self
            .bounded(c.get_added_low_fee_tickets(proto::GetAddedLowFeeTicketsRequest {}))
            .await
            .map_err(|e| self.err(e))?;
        tickets_from_wire(r.into_inner().tickets).map_err(|e| self.err(e))
    }

    async fn ignored_low_fee_tickets(&self) -> hcpool_core::Result<Vec<TicketEntry>> {
        let mut c = self.service();
        let r = self
            .bounded(c.get_ignored_low_fee_tickets(proto::GetIgnoredLowFeeTicketsRequest {}))
            .await
            .map_err(|e| self.err(e))?;
        tickets_from_wire(r.into_inner().tickets).map_err(|e| self.err(e))
    }

    async fn live_tickets(&self) -> hcpool_core::Result<Vec<TicketEntry>> {
        let mut c = self.service();
        let r = self
            .bounded(c.get_live_tickets(proto::GetLiveTicketsRequest {}))
            .await
            .map_err(|e| self.err(e))?;
        tickets_from_wire(r.into_inner().tickets).map_err(|e| self.err(e))
    }
}
