//! Urlencoded form bodies: every hcpool-web page form and the API's fields, parsed as
//! Rocket parses a posted body, then the checks their handlers apply before touching any
//! state (`hcpool_web::pages::fuzz_form_body`).

/// The target.
pub fn check(data: &[u8]) {
    let Some(body) = crate::text(data) else {
        return;
    };
    hcpool_web::pages::fuzz_form_body(body);
}
