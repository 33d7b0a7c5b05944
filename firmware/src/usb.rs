//! The USB link: a CDC-ACM serial port carrying the core's request/response
//! protocol (`docs/device-protocol.md`), and the live stream of turn events
//! while the laptop subscribes.

use embassy_futures::select::{select, Either};
use embassy_rp::peripherals::USB;
use embassy_rp::usb::Driver;
use embassy_usb::class::cdc_acm::{CdcAcmClass, Receiver, Sender, State};
use embassy_usb::driver::EndpointError;
use embassy_usb::{Builder, UsbDevice};
use static_cell::StaticCell;
use tabletalk_core::protocol::{usb as ids, DeviceHandler, MAX_FRAME};

use crate::backend::Backend;
use crate::shared::LIVE;

/// USB full speed bulk packets.
const PACKET: usize = 64;

/// The USB driver of the RP2040.
pub type UsbDriver = Driver<'static, USB>;

/// Builds the USB device with one CDC-ACM function; returns the device (to
/// run in [`usb_device_task`]) and the serial class (for [`link_task`]).
pub fn build(
    driver: UsbDriver,
    serial: &'static str,
) -> (
    UsbDevice<'static, UsbDriver>,
    CdcAcmClass<'static, UsbDriver>,
) {
    let mut config = embassy_usb::Config::new(ids::VID, ids::PID);
    config.manufacturer = Some(ids::MANUFACTURER);
    config.product = Some(ids::PRODUCT);
    config.serial_number = Some(serial);
    config.max_power = 100;
    config.max_packet_size_0 = 64;

    static CONFIG_DESCRIPTOR: StaticCell<[u8; 256]> = StaticCell::new();
    static BOS_DESCRIPTOR: StaticCell<[u8; 256]> = StaticCell::new();
    static CONTROL_BUF: StaticCell<[u8; 64]> = StaticCell::new();
    static STATE: StaticCell<State> = StaticCell::new();
    let mut builder = Builder::new(
        driver,
        config,
        CONFIG_DESCRIPTOR.init([0; 256]),
        BOS_DESCRIPTOR.init([0; 256]),
        &mut [],
        CONTROL_BUF.init([0; 64]),
    );
    let class = CdcAcmClass::new(&mut builder, STATE.init(State::new()), PACKET as u16);
    (builder.build(), class)
}

/// Runs the USB device (enumeration, control requests) for ever.
#[embassy_executor::task]
pub async fn usb_device_task(mut device: UsbDevice<'static, UsbDriver>) -> ! {
    device.run().await
}

/// Serves the protocol while a laptop has the port open: from DTR raised
/// to DTR dropped (docs/device-protocol.md §1). Closing the port ends the
/// connection like unplugging: the handler forgets a half-received frame
/// and the live subscription, and the next program starts afresh.
#[embassy_executor::task]
pub async fn link_task(class: CdcAcmClass<'static, UsbDriver>) -> ! {
    static HANDLER: StaticCell<DeviceHandler> = StaticCell::new();
    static REPLY: StaticCell<[u8; MAX_FRAME]> = StaticCell::new();
    let handler = HANDLER.init(DeviceHandler::new());
    let reply = REPLY.init([0; MAX_FRAME]);
    let mut backend = Backend;
    let (mut tx, mut rx, control) = class.split_with_control();
    loop {
        rx.wait_connection().await;
        while !control.dtr() {
            control.control_changed().await;
        }
        info!("laptop connected");
        handler.reset();
        // Events from before the connection are of no use to the laptop.
        LIVE.clear();
        let closed = async {
            while control.dtr() {
                control.control_changed().await;
            }
        };
        match select(
            serve(&mut tx, &mut rx, handler, reply, &mut backend),
            closed,
        )
        .await
        {
            Either::First(_) => info!("laptop disconnected"),
            Either::Second(()) => info!("port closed"),
        }
        handler.reset();
    }
}

/// The port went away (unplugged, or the host reset the bus).
struct Disconnected;

impl From<EndpointError> for Disconnected {
    fn from(_: EndpointError) -> Self {
        Disconnected
    }
}

async fn serve(
    tx: &mut Sender<'static, UsbDriver>,
    rx: &mut Receiver<'static, UsbDriver>,
    handler: &mut DeviceHandler,
    reply: &mut [u8; MAX_FRAME],
    backend: &mut Backend,
) -> Result<(), Disconnected> {
    let mut packet = [0u8; PACKET];
    loop {
        match select(rx.read_packet(&mut packet), LIVE.receive()).await {
            Either::First(read) => {
                let n = read?;
                let mut input = packet.get(..n).unwrap_or_default();
                while let Some(frame) = handler.receive(&mut input, backend, reply) {
                    send(tx, frame).await?;
                }
            }
            Either::Second(update) => {
                if let Some(frame) = handler.live(&update, reply) {
                    send(tx, frame).await?;
                }
            }
        }
    }
}

/// Writes a frame as bulk packets; a frame that fills its last packet
/// exactly is followed by an empty one, so the host sees it complete.
async fn send(tx: &mut Sender<'static, UsbDriver>, frame: &[u8]) -> Result<(), Disconnected> {
    for chunk in frame.chunks(PACKET) {
        tx.write_packet(chunk).await?;
    }
    if frame.len().is_multiple_of(PACKET) {
        tx.write_packet(&[]).await?;
    }
    Ok(())
}
