//! Shared test helpers: an emulator on loopback and a real client pointed at it.
#![allow(dead_code)]

use std::net::SocketAddr;

use timx::api::Endpoint;
use timx::client::{Client, ClientConfig};
use timx::emulator::{self, EmulatorConfig, Running, data::DataFile};
use timx::usersig::SecretKey;

pub const KEY: &str = emulator::PUBLIC_EXAMPLE_KEY;
pub const SDKAPPID: u64 = emulator::DEFAULT_SDKAPPID;
pub const ADMIN: &str = emulator::DEFAULT_ADMIN;

pub fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

pub async fn start(cfg: EmulatorConfig, data: Option<DataFile>) -> Running {
    emulator::start(cfg, data, loopback()).await.expect("emulator starts")
}

/// An emulator on a runtime of its own, so the client under test cannot starve it (and the
/// limiter sees requests when they arrive, not when a shared runtime gets round to them).
pub fn start_isolated(cfg: EmulatorConfig, data: Option<DataFile>) -> (Running, tokio::runtime::Runtime) {
    // Built on a plain thread: callers may themselves be inside a runtime.
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let emu = rt.block_on(start(cfg, data));
        (emu, rt)
    })
    .join()
    .unwrap()
}

pub fn client_cfg(emu: &Running) -> ClientConfig {
    ClientConfig::new(Endpoint::base_url(&emu.base_url).unwrap(), SDKAPPID, ADMIN, SecretKey::new(KEY))
}

pub fn client(emu: &Running) -> Client {
    Client::new(client_cfg(emu)).unwrap()
}

pub fn data(json: serde_json::Value) -> DataFile {
    serde_json::from_value(json).unwrap()
}

/// A drawn ratatui buffer as text, one line per row (a wide character's second cell skipped).
pub fn buffer_text(buf: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut x = 0;
        while x < buf.area.width {
            let sym = buf[(x, y)].symbol();
            out.push_str(sym);
            x += unicode_width::UnicodeWidthStr::width(sym).max(1) as u16;
        }
        out.push('\n');
    }
    out
}
