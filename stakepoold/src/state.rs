//! The daemon's saved voting state: every user's voting configuration and the added low-fee
//! tickets, as the store or the web app last gave them. Written to `<datadir>/state.json`
//! after each update and at shutdown (a temporary file renamed over the old one, so a crash
//! never leaves half a file), read at start when the database cannot be: the daemon then
//! votes with what it knew instead of with nobody's preferences until the web app pushes.

use std::path::{Path, PathBuf};

use hcpool_core::backend::{TicketEntry, UserVotingConfig};
use hcpool_core::{Network, TicketHash, UserId, VoteBits};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The state file's name in the daemon's data directory.
pub const STATE_FILE: &str = "state.json";

/// The format version written (and the only one read).
const FORMAT: u32 = 1;

/// What is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedState {
    /// When it was written (Unix seconds).
    pub saved_at: i64,
    /// Every user's voting configuration.
    pub users: Vec<UserVotingConfig>,
    /// The added low-fee tickets.
    pub added_low_fee_tickets: Vec<TicketEntry>,
}

#[derive(Serialize, Deserialize)]
struct FileUser {
    user_id: u64,
    multisig_address: String,
    vote_bits: u16,
    vote_bits_version: u32,
}

#[derive(Serialize, Deserialize)]
struct FileTicket {
    ticket_address: String,
    ticket_hash: String,
}

#[derive(Serialize, Deserialize)]
struct File {
    format: u32,
    network: String,
    saved_at: i64,
    users: Vec<FileUser>,
    added_low_fee_tickets: Vec<FileTicket>,
}

/// The JSON text of `state` for `network`.
///
/// # Errors
/// [`Error::State`] if serialisation fails.
pub fn encode(state: &SavedState, network: Network) -> Result<Vec<u8>> {
    let file = File {
        format: FORMAT,
        network: network.name().to_owned(),
        saved_at: state.saved_at,
        users: state
            .users
            .iter()
            .map(|u| FileUser {
                user_id: u.user_id.0,
                multisig_address: u.multisig_address.clone(),
                vote_bits: u.vote_bits.0,
                vote_bits_version: u.vote_bits_version,
            })
            .collect(),
        added_low_fee_tickets: state
            .added_low_fee_tickets
            .iter()
            .map(|t| FileTicket {
                ticket_address: t.ticket_address.clone(),
                ticket_hash: t.ticket_hash.to_string(),
            })
            .collect(),
    };
    serde_json::to_vec(&file).map_err(|e| Error::State(format!("encode: {e}")))
}

/// Parses a state file's text, refusing another format or another network's state.
///
/// # Errors
/// [`Error::State`] naming what is wrong.
pub fn decode(bytes: &[u8], network: Network) -> Result<SavedState> {
    let file: File =
        serde_json::from_slice(bytes).map_err(|e| Error::State(format!("unreadable: {e}")))?;
    if file.format != FORMAT {
        return Err(Error::State(format!(
            "format {} (this stakepoold reads {FORMAT})",
            file.format
        )));
    }
    if file.network != network.name() {
        return Err(Error::State(format!(
            "saved on {}, this daemon runs on {}",
            hcpool_core::util::truncate(&file.network, 20),
            network.name()
        )));
    }
    let added_low_fee_tickets = file
        .added_low_fee_tickets
        .into_iter()
        .map(|t| {
            let hash = t.ticket_hash.parse::<TicketHash>().map_err(|_| {
                Error::State(format!(
                    "bad ticket hash {:?}",
                    hcpool_core::util::truncate(&t.ticket_hash, 70)
                ))
            })?;
            Ok(TicketEntry {
                ticket_address: t.ticket_address,
                ticket_hash: hash,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(SavedState {
        saved_at: file.saved_at,
        users: file
            .users
            .into_iter()
            .map(|u| UserVotingConfig {
                user_id: UserId(u.user_id),
                multisig_address: u.multisig_address,
                vote_bits: VoteBits(u.vote_bits),
                vote_bits_version: u.vote_bits_version,
            })
            .collect(),
        added_low_fee_tickets,
    })
}

/// Reads the state saved at `path`; `Ok(None)` when there is no file.
///
/// # Errors
/// [`Error::State`] when the file cannot be read or is not a state of `network`.
pub fn load(path: &Path, network: Network) -> Result<Option<SavedState>> {
    match std::fs::read(path) {
        Ok(bytes) => decode(&bytes, network)
            .map(Some)
            .map_err(|e| Error::State(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::State(format!("{}: {e}", path.display()))),
    }
}

/// Writes `bytes` to `path` atomically: a temporary file beside it (mode 0600: the file
/// names every user's addresses), flushed to disk, then renamed over `path`. Creates the
/// directory if needed.
///
/// # Errors
/// [`Error::Io`] naming the step that failed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
    let tmp = temp_path(path);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let write = || -> std::io::Result<()> {
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(format!("save state {}", path.display()), e)
    })
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SavedState {
        SavedState {
            saved_at: 1_700_000_000,
            users: vec![UserVotingConfig {
                user_id: UserId(7),
                multisig_address: "ScuQxvveKGfpG1ypt6u27F99Anf7EW3cqhq".into(),
                vote_bits: VoteBits(5),
                vote_bits_version: 7,
            }],
            added_low_fee_tickets: vec![TicketEntry {
                ticket_address: "ScuQxvveKGfpG1ypt6u27F99Anf7EW3cqhq".into(),
                ticket_hash: TicketHash::from_bytes([3u8; 32]),
            }],
        }
    }

    #[test]
    fn a_state_round_trips_through_an_atomic_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join(STATE_FILE);
        assert_eq!(load(&path, Network::Simnet).unwrap(), None, "no file yet");
        let bytes = encode(&sample(), Network::Simnet).unwrap();
        write_atomic(&path, &bytes).unwrap();
        assert_eq!(load(&path, Network::Simnet).unwrap(), Some(sample()));
        // Only the file itself is left: the temporary one was renamed.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [STATE_FILE]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn another_network_or_junk_is_refused() {
        let bytes = encode(&sample(), Network::Simnet).unwrap();
        let e = decode(&bytes, Network::Mainnet).unwrap_err().to_string();
        assert!(e.contains("saved on simnet"), "{e}");
        assert!(decode(b"{", Network::Simnet).is_err());
        let text = String::from_utf8(bytes)
            .unwrap()
            .replace(&TicketHash::from_bytes([3u8; 32]).to_string(), "zz");
        let e = decode(text.as_bytes(), Network::Simnet)
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad ticket hash"), "{e}");
    }
}
