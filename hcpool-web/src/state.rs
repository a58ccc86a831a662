//! The application state every handler shares (no globals).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use handlebars::Handlebars;
use hcpool_core::backend::{Mailer, StakeInfo};
use hcpool_core::service::PoolService;
use serde::Serialize;

use crate::config::WebSettings;
use crate::error::WebError;

/// How long wallet stake info is reused (hcstakepool cached it for 5 minutes).
pub const STATS_TTL: Duration = Duration::from_secs(60);

/// Sign-in and sign-up attempts allowed per client IP per minute.
pub const AUTH_ATTEMPTS_PER_MINUTE: u32 = 10;

/// The templates, embedded so the binary runs from any directory.
const TEMPLATES: &[(&str, &str)] = &[
    ("layout", include_str!("../templates/layout.hbs")),
    ("home", include_str!("../templates/home.hbs")),
    ("signup", include_str!("../templates/signup.hbs")),
    ("signin", include_str!("../templates/signin.hbs")),
    ("emailverify", include_str!("../templates/emailverify.hbs")),
    ("address", include_str!("../templates/address.hbs")),
    ("voting", include_str!("../templates/voting.hbs")),
    ("stats", include_str!("../templates/stats.hbs")),
    ("error", include_str!("../templates/error.hbs")),
    ("settings", include_str!("../templates/settings.hbs")),
    ("tickets", include_str!("../templates/tickets.hbs")),
    ("status", include_str!("../templates/status.hbs")),
    (
        "admintickets",
        include_str!("../templates/admintickets.hbs"),
    ),
    (
        "passwordreset",
        include_str!("../templates/passwordreset.hbs"),
    ),
    (
        "passwordupdate",
        include_str!("../templates/passwordupdate.hbs"),
    ),
];

/// Everything a request handler needs.
pub struct AppState {
    /// The pool's business steps and backends.
    pub pool: PoolService,
    /// Web settings from the configuration.
    pub settings: WebSettings,
    /// Outgoing mail.
    pub mailer: Arc<dyn Mailer>,
    /// Sign-in, sign-up and password attempts per client IP.
    pub auth_limiter: crate::limit::RateLimiter,
    /// The demo's simulated chain (`None` outside the demo): the status page's "mine a
    /// block" control.
    pub demo_chain: Option<Arc<dyn crate::demo::DemoChain>>,
    templates: Handlebars<'static>,
    stake_info: Mutex<Option<(Instant, StakeInfo)>>,
}

impl AppState {
    /// Builds the state and compiles the templates.
    ///
    /// # Errors
    /// [`WebError::Template`] when an embedded template does not compile (a build bug).
    pub fn build(
        pool: PoolService,
        settings: WebSettings,
        mailer: Arc<dyn Mailer>,
    ) -> Result<Self, WebError> {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        for (name, text) in TEMPLATES {
            hb.register_template_string(name, *text)
                .map_err(|e| WebError::Template {
                    name,
                    message: e.to_string(),
                })?;
        }
        Ok(AppState {
            pool,
            settings,
            mailer,
            auth_limiter: crate::limit::RateLimiter::new(
                AUTH_ATTEMPTS_PER_MINUTE,
                Duration::from_secs(60),
            ),
            demo_chain: None,
            templates: hb,
            stake_info: Mutex::new(None),
        })
    }

    /// The state with the demo's "mine a block" control enabled on `chain`.
    #[must_use]
    pub fn with_demo_chain(mut self, chain: Arc<dyn crate::demo::DemoChain>) -> Self {
        self.demo_chain = Some(chain);
        self
    }

    /// Renders page `name` with `ctx`, inside the layout.
    ///
    /// # Errors
    /// [`WebError::Template`] when the context misses a field the template uses.
    pub fn render<T: Serialize>(
        &self,
        name: &'static str,
        title: &str,
        nav: &crate::pages::Nav,
        ctx: &T,
    ) -> Result<String, WebError> {
        let body = self
            .templates
            .render(name, ctx)
            .map_err(|e| WebError::Template {
                name,
                message: e.to_string(),
            })?;
        let layout = serde_json::json!({
            "title": title,
            "nav": nav,
            "body": body,
        });
        self.templates
            .render("layout", &layout)
            .map_err(|e| WebError::Template {
                name: "layout",
                message: e.to_string(),
            })
    }

    /// The wallets' stake info, cached for [`STATS_TTL`]. The cache only saves wallet
    /// calls: an error is never cached.
    ///
    /// # Errors
    /// The wallet's error.
    pub async fn stake_info(&self) -> hcpool_core::Result<StakeInfo> {
        if let Some((at, info)) = self.cache().as_ref() {
            if at.elapsed() < STATS_TTL {
                return Ok(info.clone());
            }
        }
        let info = self.pool.wallets().stake_info().await?;
        *self.cache() = Some((Instant::now(), info.clone()));
        Ok(info)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Option<(Instant, StakeInfo)>> {
        self.stake_info.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Now, unix seconds, from the pool's clock.
    pub fn now(&self) -> i64 {
        self.pool.clock().now_unix()
    }
}
