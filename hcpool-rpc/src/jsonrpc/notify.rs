//! hcd notifications → [`ChainNotification`] (hcwallet-rpc.md §3.1).

use hcpool_core::backend::ChainNotification;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::jsonrpc::convert;
use crate::jsonrpc::envelope::Notification;

fn bad(method: &str, detail: impl Into<String>) -> Error {
    Error::bad_reply(method, detail)
}

fn str_param(n: &Notification, i: usize) -> Result<&str> {
    n.params
        .get(i)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(&n.method, format!("param {i} is not a string")))
}

fn height_param(n: &Notification, i: usize) -> Result<u32> {
    n.params
        .get(i)
        .and_then(Value::as_i64)
        .and_then(|h| u32::try_from(h).ok())
        .ok_or_else(|| bad(&n.method, format!("param {i} is not a height")))
}

fn expect_len(n: &Notification, len: usize) -> Result<()> {
    if n.params.len() == len {
        Ok(())
    } else {
        Err(bad(
            &n.method,
            format!("{} params, expected {len}", n.params.len()),
        ))
    }
}

/// Converts one notification. `Ok(None)` for methods the pool does not use
/// (`stakedifficulty`, `txaccepted`, …).
pub fn chain_notification(n: &Notification) -> Result<Option<ChainNotification>> {
    let m = n.method.as_str();
    let out = match m {
        "winningtickets" => {
            expect_len(n, 3)?;
            let block_hash = convert::one_hash(m, str_param(n, 0)?)?;
            let height = height_param(n, 1)?;
            let obj = n
                .params
                .get(2)
                .and_then(Value::as_object)
                .ok_or_else(|| bad(m, "tickets are not an object"))?;
            // Keyed by decimal index: sort by the number, trust neither count nor gaps.
            let mut keyed = obj
                .iter()
                .map(|(k, v)| {
                    let idx: u64 = k
                        .parse()
                        .map_err(|_| bad(m, format!("non-numeric ticket key {k:?}")))?;
                    let t = v.as_str().ok_or_else(|| bad(m, "ticket is not a string"))?;
                    Ok((idx, convert::one_hash(m, t)?))
                })
                .collect::<Result<Vec<_>>>()?;
            keyed.sort_by_key(|(i, _)| *i);
            ChainNotification::WinningTickets {
                block_hash,
                height,
                tickets: keyed.into_iter().map(|(_, t)| t).collect(),
            }
        }
        "spentandmissedtickets" => {
            expect_len(n, 4)?;
            let block_hash = convert::one_hash(m, str_param(n, 0)?)?;
            let height = height_param(n, 1)?;
            let obj = n
                .params
                .get(3)
                .and_then(Value::as_object)
                .ok_or_else(|| bad(m, "tickets are not an object"))?;
            let (mut spent, mut missed) = (Vec::new(), Vec::new());
            for (t, status) in obj {
                let hash = convert::one_hash(m, t)?;
                // hcrpcclient: anything but "spent" is missed.
                if status.as_str() == Some("spent") {
                    spent.push(hash);
                } else {
                    missed.push(hash);
                }
            }
            ChainNotification::SpentAndMissed {
                block_hash,
                height,
                spent,
                missed,
            }
        }
        "newtickets" => {
            expect_len(n, 4)?;
            let block_hash = convert::one_hash(m, str_param(n, 0)?)?;
            let height = height_param(n, 1)?;
            let tickets = match n.params.get(3) {
                Some(Value::Array(list)) => list
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .ok_or_else(|| bad(m, "ticket is not a string"))
                            .and_then(|s| convert::one_hash(m, s))
                    })
                    .collect::<Result<Vec<_>>>()?,
                Some(Value::Null) => Vec::new(),
                _ => return Err(bad(m, "tickets are not a list")),
            };
            ChainNotification::NewTickets {
                block_hash,
                height,
                tickets,
            }
        }
        "blockconnected" => {
            let header = convert::blob(m, str_param(n, 0)?)?;
            ChainNotification::BlockConnected {
                hash: convert::header_hash(&header)?,
                height: convert::header_height(&header)?,
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn n(method: &str, params: Value) -> Notification {
        Notification {
            method: method.into(),
            params: params.as_array().cloned().unwrap_or_default(),
        }
    }

    const H1: &str = "1111111111111111111111111111111111111111111111111111111111111111";
    const H2: &str = "2222222222222222222222222222222222222222222222222222222222222222";

    #[test]
    fn winning_tickets_sorted_by_numeric_key() {
        let got = chain_notification(&n("winningtickets", json!([H1, 900, {"10": H2, "2": H1}])))
            .unwrap()
            .unwrap();
        let ChainNotification::WinningTickets {
            tickets, height, ..
        } = got
        else {
            panic!("wrong variant")
        };
        assert_eq!(height, 900);
        assert_eq!(tickets[0].to_string(), H1);
        assert_eq!(tickets[1].to_string(), H2);
        assert!(chain_notification(&n("winningtickets", json!([H1, 900, {"x": H1}]))).is_err());
        assert!(chain_notification(&n("winningtickets", json!([H1, 900]))).is_err());
    }

    #[test]
    fn null_new_tickets_and_unknown_status_as_missed() {
        let got = chain_notification(&n("newtickets", json!([H1, 5, 100, null])))
            .unwrap()
            .unwrap();
        assert!(
            matches!(got, ChainNotification::NewTickets { ref tickets, .. } if tickets.is_empty())
        );
        let got = chain_notification(&n(
            "spentandmissedtickets",
            json!([H1, 5, 100, {H1: "spent", H2: "revoked?"}]),
        ))
        .unwrap()
        .unwrap();
        let ChainNotification::SpentAndMissed { spent, missed, .. } = got else {
            panic!("wrong variant")
        };
        assert_eq!((spent.len(), missed.len()), (1, 1));
        assert!(chain_notification(&n("stakedifficulty", json!([H1, 5, 1])))
            .unwrap()
            .is_none());
    }
}
