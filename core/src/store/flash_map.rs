//! Where the table device keeps its stores on the Raspberry Pi Pico's
//! 2 MiB flash: the firmware mounts them here, and host tools that build or
//! read a device's flash image (the emulator's, `tests/emu`) use the same
//! numbers.
//!
//! ```text
//! 0x000000  firmware (256 KiB; firmware/memory.x keeps it out of the rest)
//! 0x040000  configuration slot (2 sectors)
//! 0x042000  session log (the rest: 1784 KiB)
//! ```

/// Size of the Pico's flash (W25Q16JV).
pub const FLASH_SIZE: usize = 2 * 1024 * 1024;
/// Erase sector of that flash.
pub const SECTOR_SIZE: u32 = 4096;
/// The configuration partition: two 4 KiB sectors after the firmware's
/// 256 KiB.
pub const CONFIG_OFFSET: u32 = 256 * 1024;
/// Size of the configuration partition.
pub const CONFIG_SIZE: u32 = 2 * SECTOR_SIZE;
/// The session log partition: the rest of the flash.
pub const LOG_OFFSET: u32 = CONFIG_OFFSET + CONFIG_SIZE;
/// Size of the session log partition (1784 KiB).
pub const LOG_SIZE: u32 = FLASH_SIZE as u32 - LOG_OFFSET;
