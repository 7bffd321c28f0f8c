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

pub fn client_cfg(emu: &Running) -> ClientConfig {
    ClientConfig::new(Endpoint::base_url(&emu.base_url).unwrap(), SDKAPPID, ADMIN, SecretKey::new(KEY))
}

pub fn client(emu: &Running) -> Client {
    Client::new(client_cfg(emu)).unwrap()
}

pub fn data(json: serde_json::Value) -> DataFile {
    serde_json::from_value(json).unwrap()
}
