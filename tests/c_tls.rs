//! TLS through the C header: `tests/c/tls_smoke.c` linked against the TLS build of the
//! library (a verified session, frames, what was agreed, a refused name, the close) and
//! against the build without TLS (every TLS call is SOCKHELP_EUNSUPPORTED, plain streams
//! work). The real TLS servers (openssl s_server, nginx, redis, PostgreSQL, mosquitto)
//! are tests/real_servers.rs' business.
#![cfg(unix)]

mod common;

use common::{assert_success, build_c, build_c_tls, root, run};

#[test]
fn tls_through_the_header_in_the_tls_build() {
    let exe = build_c_tls("tls_smoke_on", &["tests/c/tls_smoke.c"], &[]);
    let certs = root().join("tests").join("tls_certs");
    let out = run(&exe, &["on".as_ref(), certs.as_os_str()]);
    assert_success("tls_smoke on", &out);
}

#[test]
fn every_tls_call_is_unsupported_in_the_build_without_tls() {
    let exe = build_c("tls_smoke_off", &["tests/c/tls_smoke.c"], &[]);
    assert_success("tls_smoke off", &run(&exe, &["off"]));
}
