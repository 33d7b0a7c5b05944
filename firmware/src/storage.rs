//! The flash: the session log and the configuration slot, each a partition
//! of the Pico's 2 MiB flash behind the core's power-loss-safe stores.
//!
//! There is no storage task: on the RP2040 every flash write or erase stalls
//! the whole chip (code runs from that flash), so handing frames to another
//! task would only add copies. The recorder appends directly and the USB
//! backend reads directly, each holding [`STORAGE`] for one short call.

use core::cell::RefCell;

use embassy_embedded_hal::flash::partition::BlockingPartition;
use embassy_rp::flash::{Blocking, Flash};
use embassy_rp::peripherals::FLASH;
use embassy_rp::Peri;
use embassy_sync::blocking_mutex::raw::ThreadModeRawMutex;
use embassy_sync::blocking_mutex::Mutex;
use static_cell::StaticCell;
use tabletalk_core::log::{MAX_SMALL_FRAME_LEN, MAX_WRITE_LEN};
use tabletalk_core::protocol::{DeviceConfig, FullPolicy};
use tabletalk_core::store::{ConfigStore, MountReport, SessionStore, StoreError};

use crate::settings;
use crate::shared::Shared;

use tabletalk_core::store::flash_map::{
    CONFIG_OFFSET, CONFIG_SIZE, FLASH_SIZE, LOG_OFFSET, LOG_SIZE,
};

/// Room the log keeps for the end of a session that fills it: the store
/// notice, the writer's last batch and end record (each entry has 8 bytes of
/// header), and the store's session end.
const FINAL_RESERVE: u32 = (MAX_SMALL_FRAME_LEN + 8 + MAX_WRITE_LEN + 8 + 12) as u32;

/// Sessions the store lists (48 bytes of RAM each); more count as full.
pub const SESSION_INDEX: usize = 96;

/// The flash driver.
pub type FlashDevice = Flash<'static, FLASH, Blocking, FLASH_SIZE>;
/// One partition of it.
pub type Partition = BlockingPartition<'static, ThreadModeRawMutex, FlashDevice>;
/// The session log.
pub type Log = SessionStore<Partition, SESSION_INDEX>;
/// A store error.
pub type Error =
    StoreError<embassy_embedded_hal::flash::partition::Error<embassy_rp::flash::Error>>;

/// Both stores, and how often flash operations failed.
pub struct Storage {
    /// The session log.
    pub log: Log,
    /// The configuration slot.
    pub config: ConfigStore<Partition>,
    /// Failed flash operations since power-up.
    pub errors: u32,
}

/// The stores, once mounted (`None` if mounting failed: the device then
/// shows an error and records nothing). A reference, so that this static
/// is all zeros and costs no flash for its initial value.
pub static STORAGE: Shared<RefCell<Option<&'static mut Storage>>> = Mutex::new(RefCell::new(None));

static STORES: StaticCell<Storage> = StaticCell::new();

static FLASH_DEVICE: StaticCell<Mutex<ThreadModeRawMutex, RefCell<FlashDevice>>> =
    StaticCell::new();

/// Reads the flash's unique id, then mounts both stores. Returns the id and
/// what the session log's mount found.
pub fn mount(flash: Peri<'static, FLASH>) -> (u64, Result<MountReport, Error>) {
    let mut device = FlashDevice::new_blocking(flash);
    let mut uid = [0u8; 8];
    let device_id = match device.blocking_unique_id(&mut uid) {
        Ok(()) => u64::from_be_bytes(uid),
        Err(_) => 0,
    };
    let device: &'static _ = FLASH_DEVICE.init(Mutex::new(RefCell::new(device)));
    let log_part = Partition::new(device, LOG_OFFSET, LOG_SIZE);
    let config_part = Partition::new(device, CONFIG_OFFSET, CONFIG_SIZE);
    let result = (|| {
        let config = ConfigStore::mount(config_part)?;
        let (mut log, report) = SessionStore::mount(log_part, FullPolicy::Stop)?;
        log.set_final_reserve(FINAL_RESERVE);
        let stores = STORES.init(Storage {
            log,
            config,
            errors: 0,
        });
        stores.prepare();
        STORAGE.lock(|s| s.replace(Some(stores)));
        Ok(report)
    })();
    (device_id, result)
}

/// Runs `f` on the mounted stores; `None` if they are not mounted.
pub fn with<R>(f: impl FnOnce(&mut Storage) -> R) -> Option<R> {
    STORAGE.lock(|cell| cell.borrow_mut().as_deref_mut().map(f))
}

/// Sectors erased ahead of the log while the device is idle: enough for a
/// typical meeting (8 KiB, about 2000 turns) to be written without an erase
/// stalling the microphones.
const PREPARE_AHEAD: u16 = 2;

impl Storage {
    /// Erases the next sectors of the log ahead of need; call when idle.
    pub fn prepare(&mut self) {
        match self.log.prepare(PREPARE_AHEAD) {
            Ok(0) => {}
            Ok(n) => debug!("erased {} sectors ahead", n),
            Err(_) => {
                self.errors = self.errors.saturating_add(1);
                warn!("erasing ahead failed");
            }
        }
    }

    /// The stored configuration, or the defaults.
    pub fn load_config(&mut self) -> DeviceConfig {
        let mut buf = [0u8; settings::STORED_MAX];
        match self.config.load(&mut buf) {
            Ok(Some(n)) => match buf.get(..n).and_then(settings::decode) {
                Some(config) => return config,
                None => warn!("stored configuration unreadable: using the defaults"),
            },
            Ok(None) => info!("no configuration stored: using the defaults"),
            Err(_) => {
                self.errors = self.errors.saturating_add(1);
                error!("reading the configuration failed: using the defaults");
            }
        }
        settings::default_config()
    }

    /// Stores a configuration.
    pub fn save_config(&mut self, config: &DeviceConfig) -> Result<(), Error> {
        let mut buf = [0u8; settings::STORED_MAX];
        let bytes = settings::encode(config, &mut buf).ok_or(StoreError::TooLarge)?;
        let result = self.config.save(bytes);
        if result.is_err() {
            self.errors = self.errors.saturating_add(1);
        }
        result
    }
}
