//! The built-in demo: the emulator in-process, loaded with `assets/demo/demo.json` (compiled
//! into the binary), and a profile pointing at it.

use crate::api::{Endpoint, Family};
use crate::config::Profile;
use crate::emulator::{self, EmulatorConfig, Running, data::DataFile};
use crate::secret::SecretSource;

pub const DATA: &str = include_str!("../assets/demo/demo.json");
pub const SAMPLE_ACCOUNTS: &str = include_str!("../assets/demo/accounts.txt");

pub fn data() -> anyhow::Result<DataFile> {
    Ok(serde_json::from_str(DATA)?)
}

/// Start the demo emulator on a free loopback port and return it with its profile.
pub async fn start() -> anyhow::Result<(Running, Profile)> {
    let running = emulator::start(EmulatorConfig::default(), Some(data()?), "127.0.0.1:0".parse()?).await?;
    let endpoint = Endpoint::base_url(&running.base_url).map_err(anyhow::Error::msg)?;
    // The public example key, in memory only: the demo profile is never saved.
    let key = SecretSource::Value { value: emulator::PUBLIC_EXAMPLE_KEY.into() };
    let profile = Profile {
        family: Family::Timpush,
        journal: false,
        // The emulator's data is the demo's own: writes are what it is for.
        read_only: false,
        ..Profile::new("demo", endpoint, emulator::DEFAULT_SDKAPPID, emulator::DEFAULT_ADMIN, key)
    };
    Ok((running, profile))
}
