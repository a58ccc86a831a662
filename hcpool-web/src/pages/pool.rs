//! Address registration and voting preferences (inventory §3.3, §3.5).

use std::collections::HashMap;

use hcpool_core::{Error, VoteBits};
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State};

use super::{title, Flashed, Nav, Page};
use crate::error::{classify, Op, WebError};
use crate::session::{csrf_field, SignedIn, SignedInForm, Visitor};
use crate::state::AppState;

#[derive(Debug, FromForm)]
struct AddressForm {
    #[field(name = "UserPubKeyAddr")]
    user_pub_key_addr: String,
    csrf_token: String,
}
csrf_field!(AddressForm);

/// The address page: the form, or the registration's addresses and script once there is one.
#[derive(Debug, serde::Serialize)]
struct AddressView<'a> {
    csrf: &'a str,
    flash: Flashed,
    registration: Option<RegistrationView>,
    /// `poolfees`, percent.
    pool_fees: f64,
    /// The network flag the page's hcwallet command line needs (`" --testnet"`, or empty).
    testnet_flag: &'static str,
}

/// A user's registration as the address and tickets pages show it.
#[derive(Debug, serde::Serialize)]
struct RegistrationView {
    user_pubkey_addr: String,
    ticket_address: String,
    script: String,
    fee_address: String,
}

/// The voting page: one block of choices per agenda of the wallet's vote version.
#[derive(Debug, serde::Serialize)]
struct VotingView<'a> {
    csrf: &'a str,
    flash: Flashed,
    vote_version: u32,
    agendas: Vec<AgendaView>,
}

/// One agenda; `name` is the form field (`agenda0`, ...).
#[derive(Debug, serde::Serialize)]
struct AgendaView {
    name: String,
    id: &'static str,
    /// In the page's language ([`agenda_text`]).
    description: String,
    choices: Vec<ChoiceView>,
}

/// One choice of an agenda, `selected` when the user's votebits hold it.
#[derive(Debug, serde::Serialize)]
struct ChoiceView {
    bits: u16,
    /// In the page's language ([`agenda_text`]).
    description: String,
    selected: bool,
}

/// An agenda's or a choice's description in `lang`: the catalogue's `key`
/// (`agenda-<agenda id>`, `agenda-<agenda id>-<choice id>`) when it has one, else the chain
/// parameters' English `description` (an agenda added to the parameters before the
/// catalogue).
fn agenda_text(lang: hcpool_i18n::Lang, key: &str, description: &'static str) -> String {
    if hcpool_i18n::catalogue().has(key) {
        hcpool_i18n::t(lang, key, &[])
    } else {
        description.to_owned()
    }
}

#[rocket::get("/address")]
fn address_get(
    me: SignedIn,
    flash: Option<FlashMessage<'_>>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    address_page(state, &me.visitor, Flashed::take(flash), Status::Ok)
}

fn address_page(
    state: &AppState,
    v: &Visitor,
    flash: Flashed,
    status: Status,
) -> Result<Page, WebError> {
    let Some(user) = v.user() else {
        return Ok(Page::sign_in_first());
    };
    let s = &state.settings;
    let view = AddressView {
        csrf: &v.csrf,
        flash,
        registration: user.registration.as_ref().map(|r| RegistrationView {
            user_pubkey_addr: r.user_pubkey_addr.to_string(),
            ticket_address: r.multisig_address.to_string(),
            script: r.multisig_script.to_hex(),
            fee_address: r.user_fee_addr.to_string(),
        }),
        pool_fees: s.pool_fees,
        testnet_flag: match s.network {
            hcpool_core::Network::Testnet => " --testnet",
            hcpool_core::Network::Simnet => " --simnet",
            _ => "",
        },
    };
    let html = state.render("address", &title("Address"), &Nav::of(v), &view)?;
    Ok(Page::Html((status, RawHtml(html))))
}

#[rocket::post("/address", data = "<form>")]
async fn address_post(
    form: SignedInForm<AddressForm>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let (form, user, v) = (&form.form, &form.me.user, &form.me.visitor);
    let to = Redirect::to("/address");
    match state
        .registration_call(
            state
                .pool
                .register_address(user.id, form.user_pub_key_addr.trim()),
        )
        .await
    {
        Ok(_) => {
            state.forget_user_counts();
            state.metrics.registered();
            Ok(Page::Flash(Flash::success(
                to,
                "Address registered: your ticket address is below",
            )))
        }
        // The registration gate: the form again, with the reason and its status.
        Err(e @ (Error::PoolClosed(_) | Error::WalletsNotSynced(_))) => {
            let f = classify(Op::Address, &e);
            let flash = Flashed {
                error: f.web.into_owned(),
                success: String::new(),
            };
            address_page(state, v, flash, f.status)
        }
        Err(e) => {
            if e.backend_kind().is_some() {
                tracing::warn!(user = user.id.0, error = %e, "address registration failed");
            }
            Ok(Page::Flash(Flash::error(to, classify(Op::Address, &e).web)))
        }
    }
}

#[rocket::get("/voting")]
async fn voting_get(
    me: SignedIn,
    flash: Option<FlashMessage<'_>>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let (user, v) = (&me.user, &me.visitor);
    let nav = Nav::of(v);
    let version = match state.vote_version().await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "vote version unavailable");
            return super::error_page(state, &nav, Status::ServiceUnavailable);
        }
    };
    let agendas: Vec<_> = state
        .pool
        .agendas(version)
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let current = user.vote_bits.0 & a.mask;
            let key = format!("agenda-{}", a.id);
            AgendaView {
                name: format!("agenda{i}"),
                id: a.id,
                description: agenda_text(nav.lang, &key, a.description),
                choices: a
                    .choices
                    .iter()
                    .map(|c| ChoiceView {
                        bits: c.bits,
                        description: agenda_text(
                            nav.lang,
                            &format!("{key}-{}", c.id),
                            c.description,
                        ),
                        selected: c.bits == current,
                    })
                    .collect(),
            }
        })
        .collect();
    let view = VotingView {
        csrf: &v.csrf,
        flash: Flashed::take(flash),
        vote_version: version,
        agendas,
    };
    Ok(Page::ok(state.render(
        "voting",
        &title("Voting"),
        &nav,
        &view,
    )?))
}

#[rocket::post("/voting", data = "<form>")]
async fn voting_post(
    form: SignedInForm<HashMap<String, String>>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let (form, user) = (&form.form, &form.me.user);
    let to = || Redirect::to("/voting");
    let version = match state.vote_version().await {
        Ok(v) => v,
        Err(e) => {
            return Ok(Page::Flash(Flash::error(
                to(),
                classify(Op::Voting, &e).web,
            )))
        }
    };
    let bits = match form_vote_bits(form, state.pool.agendas(version).len()) {
        Ok(bits) => bits,
        Err(msg) => return Ok(Page::Flash(Flash::error(to(), msg))),
    };
    match state
        .pool
        .set_vote_bits(user.id, VoteBits(bits), version)
        .await
    {
        Ok(_) => Ok(Page::Flash(Flash::success(
            to(),
            "successfully updated voting preferences",
        ))),
        Err(e @ (Error::VoteBits(_) | Error::Store { .. })) => Ok(Page::Flash(Flash::error(
            to(),
            classify(Op::Voting, &e).web,
        ))),
        Err(e) => Err(e.into()),
    }
}

/// The votebits the voting form selects: bit 0 and the `agenda<i>` values (a choice's bits,
/// decimal) of the first `agendas` agendas, as hcstakepool's form; other fields are ignored.
/// Validity against the agendas is the service's check.
fn form_vote_bits(form: &HashMap<String, String>, agendas: usize) -> Result<u16, &'static str> {
    let mut bits: u16 = 1;
    for i in 0..agendas {
        let Some(value) = form.get(&format!("agenda{i}")) else {
            continue;
        };
        bits |= value
            .trim()
            .parse::<u16>()
            .map_err(|_| "invalid agenda choice")?;
    }
    Ok(bits)
}

/// The forms of this module parsed from `body`, with their handlers' checks that need no
/// state (see [`super::fuzz_form_body`]).
pub(super) fn fuzz_form(body: &str) {
    if let Ok(f) = rocket::form::Form::<AddressForm>::parse(body) {
        for net in hcpool_core::Network::ALL {
            let _ =
                hcpool_core::address::validate_user_pubkey_address(f.user_pub_key_addr.trim(), net);
        }
        let _ = f.csrf_token.len();
    }
    if let Ok(f) = rocket::form::Form::<HashMap<String, String>>::parse(body) {
        for net in hcpool_core::Network::ALL {
            let params = net.params();
            let agendas = params.agendas(params.wallet_vote_version);
            if let Ok(bits) = form_vote_bits(&f, agendas.len()) {
                let _ = VoteBits(bits).validate(agendas);
            }
        }
    }
}

pub(super) fn routes() -> Vec<Route> {
    rocket::routes![address_get, address_post, voting_get, voting_post]
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcpool_i18n::Lang;

    /// Every agenda of the chain parameters has its catalogue texts, and their English is
    /// the parameters' description (so a missing key falls back to the same words).
    #[test]
    fn agendas_are_translated_with_the_parameters_english() {
        let mut seen = 0;
        for params in [
            &hcpool_core::params::MAINNET,
            &hcpool_core::params::TESTNET2,
            &hcpool_core::params::SIMNET,
        ] {
            for d in params.deployments {
                for a in d.agendas {
                    let key = format!("agenda-{}", a.id);
                    assert_eq!(agenda_text(Lang::En, &key, a.description), a.description);
                    assert_ne!(agenda_text(Lang::ZhCn, &key, a.description), a.description);
                    for c in a.choices {
                        let key = format!("{key}-{}", c.id);
                        assert_eq!(agenda_text(Lang::En, &key, c.description), c.description);
                        assert_ne!(
                            agenda_text(Lang::ZhCn, &key, c.description),
                            c.description,
                            "{key}"
                        );
                        seen += 1;
                    }
                }
            }
        }
        assert!(seen >= 3, "{seen} choices");
        // An agenda the catalogue does not know shows the parameters' words.
        assert_eq!(
            agenda_text(Lang::ZhCn, "agenda-newthing", "A new agenda"),
            "A new agenda"
        );
    }
}
