//! What a page shows, read the same way from both apps' HTML: the texts differ in markup and
//! wording of labels, the data must not.

use std::collections::BTreeSet;

/// The value of the `csrf_token` form field (quoted or not).
pub fn csrf_token(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf_token\"")?;
    let rest = &html[at..];
    let v = rest.find("value=")? + "value=".len();
    let t: String = rest[v..]
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    (!t.is_empty()).then_some(t)
}

/// The page's visible text: tags, scripts and styles removed, entities decoded, whitespace
/// collapsed.
pub fn text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        out.push(' ');
        let tag = &rest[lt..];
        let lower = tag.get(..8).unwrap_or(tag).to_ascii_lowercase();
        let skip_to = if lower.starts_with("<script") {
            tag.find("</script>").map(|i| i + 9)
        } else if lower.starts_with("<style") {
            tag.find("</style>").map(|i| i + 8)
        } else {
            tag.find('>').map(|i| i + 1)
        };
        match skip_to {
            Some(n) => rest = &tag[n..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    let decoded = out
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The messages hcstakepool flashes (inventory §3), plus those hcpool adds on the same flows.
pub const FLASHES: &[&str] = &[
    "Invalid Email or Password",
    "You must validate your email address",
    "Email successfully verified",
    "Email verification token not valid",
    "No email verification token present",
    "verify value is invalid",
    "email address is invalid",
    "password cannot be empty",
    "passwords do not match",
    "User exists",
    "Stake pool is currently limited to one address per account",
    "Address is too short",
    "Address is too long",
    "Address too short",
    "Address too long",
    "Couldn't decode address",
    "Incorrect address type",
    "successfully updated voting preferences",
    "invalid agenda choice",
    "Password not valid",
    "Passwords do not match",
    "Password successfully updated",
    "Mail server not configured",
];

/// Which of [`FLASHES`] the page shows.
pub fn flashes(html: &str) -> BTreeSet<&'static str> {
    let t = text(html);
    FLASHES.iter().copied().filter(|f| t.contains(f)).collect()
}

/// Every valid HC address on the page (checksum checked).
pub fn addresses(html: &str) -> BTreeSet<String> {
    runs(html, |c| c.is_ascii_alphanumeric())
        .into_iter()
        .filter(|w| (26..=60).contains(&w.len()))
        .filter(|w| w.parse::<hcpool_core::Address>().is_ok())
        .collect()
}

/// Runs of hex digits of at least `min` characters, other than `except` (the CSRF token).
pub fn hex_runs(html: &str, min: usize, except: Option<&str>) -> BTreeSet<String> {
    runs(html, |c| c.is_ascii_hexdigit())
        .into_iter()
        .filter(|w| w.len() >= min && Some(w.as_str()) != except)
        .collect()
}

/// The 64-hex ticket hashes on the page.
pub fn hashes(html: &str) -> BTreeSet<String> {
    let csrf = csrf_token(html);
    hex_runs(html, 64, csrf.as_deref())
        .into_iter()
        .filter(|w| w.len() == 64)
        .collect()
}

/// 1-of-2 multisig redeem scripts (hex) on the page.
pub fn scripts(html: &str) -> BTreeSet<String> {
    hex_runs(html, 60, None)
        .into_iter()
        .filter(|w| w.starts_with("51") && w.ends_with("52ae"))
        .collect()
}

fn runs(s: &str, keep: impl Fn(char) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if keep(c) {
            cur.push(c);
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The stats page's figures: (field, hcstakepool's label, hcpool's label).
pub const STATS_LABELS: &[(&str, &str, &str)] = &[
    ("Immature", "Immature:", "Immature"),
    ("Live", "Live:", "Live"),
    ("Voted", "Voted:", "Voted"),
    ("Missed", "Missed:", "Missed"),
    ("Expired", "Expired:", "Expired"),
    ("Revoked", "Revoked:", "Revoked"),
    ("ProportionMissed", "ProportionMissed:", "Proportion missed"),
    ("PoolSize", "Pool Size:", "Network pool size"),
    ("AllMempoolTix", "AllMempoolTix:", "Mempool tickets"),
    ("ProportionLive", "ProportionLive:", "Proportion live"),
    ("Difficulty", "Difficulty:", "Ticket price"),
    ("TotalSubsidy", "TotalSubsidy:", "Total subsidy"),
    ("UserCount", "Total User Count:", "Users"),
    ("UserCountActive", "Active User Count:", "Active users"),
    ("Network", "Network:", "Network"),
    ("PoolFees", "Pool Fees:", "Pool fees"),
    ("PoolStatus", "Pool Status:", "Pool status"),
    ("PoolEmail", "Pool Email:", "Pool email"),
];

/// The word after `label` (as a whole word) in `text`, `%` dropped; numbers normalised
/// (`0.0` and `0` are the same figure).
pub fn figure(text: &str, label: &str) -> Option<String> {
    let mut from = 0;
    while let Some(i) = text[from..].find(label) {
        let at = from + i;
        let before_ok = at == 0 || text[..at].ends_with(' ');
        let after = &text[at + label.len()..];
        if before_ok && after.starts_with(' ') {
            let word = after.split_whitespace().next()?;
            let word = word.trim_end_matches('%');
            return Some(match word.parse::<f64>() {
                Ok(n) => format!("{n}"),
                Err(_) => word.to_owned(),
            });
        }
        from = at + label.len();
    }
    None
}

/// The stats page's figures by field, from hcstakepool's (`orig`) or hcpool's page.
pub fn stats_figures(html: &str, orig: bool) -> Vec<(&'static str, Option<String>)> {
    let t = text(html);
    // hcpool's page starts its figures after the heading; the navigation says "Stats" too.
    let body = if orig {
        t.as_str()
    } else {
        t.find("Network ").map_or(t.as_str(), |i| &t[i..])
    };
    STATS_LABELS
        .iter()
        .map(|(field, o, h)| (*field, figure(body, if orig { o } else { h })))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_pages() {
        assert_eq!(
            csrf_token("<input type=\"hidden\" name=\"csrf_token\" value=3368a9>").as_deref(),
            Some("3368a9")
        );
        assert_eq!(
            csrf_token("<input name=\"csrf_token\" value=\"ab12\">").as_deref(),
            Some("ab12")
        );
        let o = "<li>Live: 3 </li><li>Pool Fees: 7.5</li><li>ProportionLive: 0</li>";
        let h = "<nav>Stats</nav><dt>Network</dt><dd>simnet</dd><dt>Live</dt><dd>3</dd><dt>Pool fees</dt><dd>7.5%</dd><dt>Proportion live</dt><dd>0.0</dd>";
        let of = stats_figures(o, true);
        let hf = stats_figures(h, false);
        let get = |v: &[(&str, Option<String>)], k: &str| {
            v.iter().find(|(f, _)| *f == k).and_then(|(_, x)| x.clone())
        };
        for k in ["Live", "PoolFees", "ProportionLive"] {
            assert_eq!(get(&of, k), get(&hf, k), "{k}");
            assert!(get(&of, k).is_some(), "{k}");
        }
        assert_eq!(text("a<script>x<y</script>b &amp; c"), "a b & c");
    }
}
