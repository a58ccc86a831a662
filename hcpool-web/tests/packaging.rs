//! `packaging/` checked offline: the compose file is YAML naming the services, ports and
//! files its configurations use, and those configurations load as the binaries read them;
//! the systemd units start the binaries with flags they have, hardened (and pass
//! `systemd-analyze verify` where it is installed); the nginx example sets the header the
//! configuration's `realipheader` names.

#![allow(clippy::print_stdout)] // What could not be run here is said.

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use yaml_rust2::{Yaml, YamlLoader};

fn packaging() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../packaging")
}

fn read(rel: &str) -> String {
    let p = packaging().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The `--key` names of a command line (`--key=value` or `--key value`).
fn long_flags(args: &[String]) -> Vec<String> {
    args.iter()
        .filter_map(|a| a.strip_prefix("--"))
        .map(|a| a.split('=').next().unwrap_or(a).to_owned())
        .collect()
}

fn assert_web_flags(args: &[String]) {
    let cmd = hcpool_web::config::command();
    for f in long_flags(args) {
        assert!(
            cmd.get_arguments()
                .any(|a| a.get_long() == Some(f.as_str())),
            "hcpool-web has no --{f}"
        );
    }
    hcpool_web::config::parse_args(
        std::iter::once("hcpool-web".to_owned()).chain(args.iter().cloned()),
    )
    .unwrap_or_else(|e| panic!("hcpool-web {args:?}: {e}"));
}

fn assert_stakepoold_flags(args: &[String]) {
    let cmd = stakepoold::Args::command();
    for f in long_flags(args) {
        assert!(
            cmd.get_arguments()
                .any(|a| a.get_long() == Some(f.as_str())),
            "stakepoold has no --{f}"
        );
    }
    stakepoold::Args::command()
        .try_get_matches_from(std::iter::once("stakepoold".to_owned()).chain(args.iter().cloned()))
        .unwrap_or_else(|e| panic!("stakepoold {args:?}: {e}"));
}

fn ini_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .find(|(k, _)| k.trim() == key)
        .map(|(_, v)| v.trim())
}

fn strings(y: &Yaml) -> Vec<String> {
    y.as_vec()
        .map(|v| {
            v.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn compose_names_the_services_ports_and_files_the_configs_use() {
    let docs =
        YamlLoader::load_from_str(&read("docker/compose.yaml")).expect("compose.yaml is YAML");
    let compose = &docs[0];
    let services = &compose["services"];
    for name in ["mariadb", "init-certs", "web", "stakepoold1", "stakepoold2"] {
        assert!(!services[name].is_badvalue(), "service {name} missing");
    }
    let web_conf = read("docker/hcstakepool.conf");

    // Every configuration a service mounts is in packaging/docker and loads.
    for (service, conf) in [
        ("web", "hcstakepool.conf"),
        ("stakepoold1", "stakepoold1.conf"),
        ("stakepoold2", "stakepoold2.conf"),
    ] {
        let volumes = strings(&services[service]["volumes"]);
        assert!(
            volumes.iter().any(|v| v.starts_with(&format!("./{conf}:"))),
            "{service} mounts {conf}: {volumes:?}"
        );
        let command = strings(&services[service]["command"]);
        let args = command[1..].to_vec();
        if service == "web" {
            assert_eq!(command[0], "hcpool-web");
            assert_web_flags(&args);
        } else {
            assert_eq!(command[0], "stakepoold");
            assert_stakepoold_flags(&args);
        }
        let text = read(&format!("docker/{conf}"));
        if service == "web" {
            hcpool_web::config::Config::from_ini(&text).unwrap_or_else(|e| panic!("{conf}: {e}"));
        } else {
            let cfg = stakepoold::Config::from_parts(
                &stakepoold::Args::default(),
                Some(&text),
                "/var/lib/hcpool".into(),
            )
            .unwrap_or_else(|e| panic!("{conf}: {e}"));
            // The web app reaches this daemon by its service name and port.
            let port = cfg.rpc_listen[0].rsplit(':').next().unwrap().to_owned();
            let hosts = ini_value(&web_conf, "stakepooldhosts").unwrap();
            assert!(
                hosts.split(',').any(|h| h == format!("{service}:{port}")),
                "stakepooldhosts {hosts} lacks {service}:{port}"
            );
            assert_eq!(ini_value(&text, "dbhost"), Some("mariadb"));
            assert_eq!(
                ini_value(&text, "dbpassword"),
                ini_value(&web_conf, "dbpassword")
            );
        }
    }

    // The web port published is the one the configuration listens on.
    let listen = ini_value(&web_conf, "listen").unwrap();
    let port = listen.rsplit(':').next().unwrap();
    let ports = strings(&services["web"]["ports"]);
    assert!(
        ports.iter().any(|p| p.ends_with(&format!(":{port}"))),
        "web publishes {ports:?}, listens on {listen}"
    );
    // The database the configurations name is the one MariaDB creates.
    let env = &services["mariadb"]["environment"];
    assert_eq!(ini_value(&web_conf, "dbhost"), Some("mariadb"));
    assert_eq!(
        env["MARIADB_DATABASE"].as_str(),
        ini_value(&web_conf, "dbname")
    );
    assert_eq!(env["MARIADB_USER"].as_str(), ini_value(&web_conf, "dbuser"));
    assert_eq!(
        env["MARIADB_PASSWORD"].as_str(),
        ini_value(&web_conf, "dbpassword")
    );
    // The certificates the init service makes are the ones the configurations name.
    let init = read("docker/init-certs.sh");
    for key in ["stakepooldclientcert", "stakepooldclientkey"] {
        let file = ini_value(&web_conf, key).unwrap();
        let name = file.strip_prefix("/certs/").unwrap();
        assert!(
            init.contains(&format!("$dir/{name}")),
            "init-certs makes no {name}"
        );
    }
    let dockerfile = read("docker/Dockerfile");
    assert!(
        dockerfile.contains("--no-default-features"),
        "a production build"
    );
    assert!(dockerfile.contains("init-certs.sh /usr/local/bin/hcpool-init-certs"));
}

/// `ExecStart=` of a unit, split on spaces (the units quote nothing).
fn exec_start(unit: &str) -> Vec<String> {
    let line = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    line.split_whitespace().map(str::to_owned).collect()
}

#[test]
fn systemd_units_run_our_flags_hardened() {
    for (file, bin) in [
        ("systemd/hcpool-web.service", "/usr/local/bin/hcpool-web"),
        ("systemd/stakepoold@.service", "/usr/local/bin/stakepoold"),
    ] {
        let unit = read(file);
        let exec = exec_start(&unit);
        assert_eq!(exec[0], bin, "{file}");
        // %d and %i are systemd's: any value does for the flag check.
        let args: Vec<String> = exec[1..]
            .iter()
            .map(|a| a.replace("%d", "/run/credentials/x").replace("%i", "1"))
            .collect();
        if bin.ends_with("hcpool-web") {
            assert_web_flags(&args);
        } else {
            assert_stakepoold_flags(&args);
        }
        for line in [
            "DynamicUser=yes",
            "ProtectSystem=strict",
            "NoNewPrivileges=yes",
            "ProtectHome=yes",
            "PrivateTmp=yes",
            "CapabilityBoundingSet=",
            "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
            "SystemCallFilter=@system-service",
        ] {
            assert!(unit.lines().any(|l| l == line), "{file} lacks {line}");
        }
        assert!(
            unit.lines().any(|l| l.starts_with("ReadWritePaths=")),
            "{file}"
        );
        // Configuration errors are not retried (exit code 1).
        assert!(unit.contains("RestartPreventExitStatus=1"), "{file}");
    }
    verify_with_systemd();
}

/// `systemd-analyze verify` on copies whose ExecStart runs an existing program.
fn verify_with_systemd() {
    let Ok(out) = std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
    else {
        println!("systemd-analyze not installed: units checked by the rules above only");
        return;
    };
    assert!(out.status.success());
    let dir = tempfile::tempdir().unwrap();
    let web = env!("CARGO_BIN_EXE_hcpool-web");
    let mut names = Vec::new();
    for (file, name) in [
        ("systemd/hcpool-web.service", "hcpool-web.service"),
        ("systemd/stakepoold@.service", "stakepoold@1.service"),
    ] {
        let text = read(file)
            .replace("/usr/local/bin/hcpool-web", web)
            .replace("/usr/local/bin/stakepoold", web);
        std::fs::write(dir.path().join(name), text).unwrap();
        names.push(dir.path().join(name));
    }
    let out = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .args(&names)
        .env("SYSTEMD_LOG_LEVEL", "info")
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "systemd-analyze verify: {said}");
    assert!(
        !said.contains("Unknown") && !said.contains("ignoring"),
        "systemd-analyze verify: {said}"
    );
}

#[test]
fn nginx_sets_the_real_ip_header_the_config_names_and_terminates_tls() {
    let nginx = read("nginx/hcpool.conf");
    let header = nginx
        .lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("proxy_set_header "))
        .find_map(|l| l.strip_suffix(" $remote_addr;"))
        .expect("a header set to the client's address");
    let conf = read("docker/hcstakepool.conf");
    assert_eq!(ini_value(&conf, "realipheader"), Some(header));
    assert!(nginx.contains(&format!("realipheader={header}")));
    let cfg = hcpool_web::config::Config::from_ini(&conf).unwrap();
    assert_eq!(cfg.web.real_ip_header.as_deref(), Some(header));
    assert!(cfg.web.cookie_secure, "behind TLS: cookiesecure=1");
    assert!(nginx.contains("listen 443 ssl;") && nginx.contains("ssl_certificate "));
    assert!(
        nginx.contains("$proxy_add_x_forwarded_for"),
        "appends, as hcpool expects"
    );
    // The upstream is where the unit listens.
    let unit = read("systemd/hcpool-web.service");
    let listen = exec_start(&unit)
        .into_iter()
        .find_map(|a| a.strip_prefix("--listen=").map(str::to_owned))
        .unwrap();
    assert!(
        nginx.contains(&format!("proxy_pass http://{listen};")),
        "{listen}"
    );
}
