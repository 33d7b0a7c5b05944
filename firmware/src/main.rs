//! tabletalk on a Raspberry Pi Pico: the table device.
//!
//! Seat buttons and microphones in; speaking turns logged to flash, live
//! LEDs, and a USB serial link to the laptop. One small task per concern:
//!
//! | task | module | does |
//! |---|---|---|
//! | buttons | [`buttons`] | reads seat and facilitator buttons every ms |
//! | microphones | [`mics`] | ADC0-2 round-robin by DMA, 8 kHz each |
//! | external ADC | [`ext_adc`] | MCP3008 channels (feature `ext-adc`) |
//! | recorder | [`recorder`] | core engine → log writer → flash store |
//! | USB | [`usb`] | CDC-ACM: the core protocol, live events |
//! | status LED | [`status_led`] | recording / paused / full / error |
//! | seat LEDs | [`feedback`] | share vs fair share (PWM or WS2812 ring) |
//! | watchdog | [`fault`] | resets a stuck device; panics and faults reset too |
//!
//! The pins are in [`board`]; the flash map in [`storage`].
#![no_std]
#![no_main]

#[cfg(all(feature = "leds-pwm", feature = "leds-ws2812"))]
compile_error!("choose one of the features `leds-pwm` and `leds-ws2812`");

mod fmt;

mod backend;
mod board;
mod buttons;
#[cfg(feature = "ext-adc")]
mod ext_adc;
mod fault;
mod feedback;
mod mics;
mod recorder;
mod settings;
mod shared;
mod status_led;
mod storage;
mod usb;

use defmt_rtt as _;
use embassy_executor::Spawner;
use embassy_rp::adc::{self, Adc};
use embassy_rp::gpio::{Input, Level, Output, Pull};
use embassy_rp::peripherals::{DMA_CH0, USB};
use embassy_rp::{bind_interrupts, dma};
use static_cell::StaticCell;
use tabletalk_core::protocol::RecordingState;

#[cfg(not(feature = "leds-ws2812"))]
bind_interrupts!(struct Irqs {
    USBCTRL_IRQ => embassy_rp::usb::InterruptHandler<USB>;
    ADC_IRQ_FIFO => adc::InterruptHandler;
    DMA_IRQ_0 => dma::InterruptHandler<DMA_CH0>;
});

// The ring's DMA channel shares the DMA interrupt with the ADC's.
#[cfg(feature = "leds-ws2812")]
bind_interrupts!(struct Irqs {
    USBCTRL_IRQ => embassy_rp::usb::InterruptHandler<USB>;
    ADC_IRQ_FIFO => adc::InterruptHandler;
    DMA_IRQ_0 => dma::InterruptHandler<DMA_CH0>, dma::InterruptHandler<embassy_rp::peripherals::DMA_CH1>;
    PIO0_IRQ_0 => embassy_rp::pio::InterruptHandler<embassy_rp::peripherals::PIO0>;
});

/// Spawns a task, or logs why it could not be (its pool is taken: a bug).
macro_rules! spawn {
    ($spawner:expr, $task:expr) => {
        match $task {
            Ok(token) => $spawner.spawn(token),
            Err(_) => error!("task not spawned: {}", stringify!($task)),
        }
    };
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let p = embassy_rp::init(Default::default());
    info!("tabletalk {}", env!("CARGO_PKG_VERSION"));

    // Storage first: the configuration decides everything else.
    let (device_id, mounted) = storage::mount(p.FLASH);
    shared::DEVICE_ID.lock(|id| id.set(device_id));
    match mounted {
        Ok(report) => {
            info!(
                "store: {} sessions, {} of {} sectors in use, {} torn writes, {} corrupt entries",
                report.sessions,
                report.live_sectors,
                report.sectors,
                report.torn_writes,
                report.corrupt_entries
            );
            if !report.is_clean() {
                warn!("the session log has damaged entries; intact ones are kept");
            }
        }
        Err(_) => {
            error!("the flash stores could not be mounted: nothing will be recorded");
            shared::set_state(RecordingState::Fault);
        }
    }
    let config = storage::with(|s| s.load_config()).unwrap_or_else(settings::default_config);
    shared::CONFIG.lock(|c| c.replace(Some(config)));

    // A stuck device resets itself rather than hanging on the table; after
    // such a reset the recorder resumes the session it was recording.
    let checkpoint = fault::init(embassy_rp::watchdog::Watchdog::new(p.WATCHDOG));
    spawn!(spawner, fault::watchdog_task());

    // Status LED.
    spawn!(
        spawner,
        status_led::status_led_task(Output::new(p.PIN_25, Level::Low))
    );

    // Buttons: to ground when pressed.
    let seat_pins = [
        Input::new(p.PIN_2, Pull::Up),
        Input::new(p.PIN_3, Pull::Up),
        Input::new(p.PIN_4, Pull::Up),
        Input::new(p.PIN_5, Pull::Up),
        Input::new(p.PIN_6, Pull::Up),
        Input::new(p.PIN_7, Pull::Up),
        Input::new(p.PIN_8, Pull::Up),
        Input::new(p.PIN_9, Pull::Up),
    ];
    let facilitator = Input::new(p.PIN_22, Pull::Up);
    spawn!(spawner, buttons::buttons_task(seat_pins, facilitator));

    // The Pico's regulator in PWM mode: less ripple on the supply, so less
    // noise in the microphone samples (RP2040 datasheet / Pico datasheet,
    // "ADC"). The pin must stay driven for as long as the device runs.
    core::mem::forget(Output::new(p.PIN_23, Level::High));

    // Microphones on the RP2040's ADC. No pulls: the modules bias their
    // outputs themselves.
    let adc = Adc::new(p.ADC, Irqs, adc::Config::default());
    let channels = [
        adc::Channel::new_pin(p.PIN_26, Pull::None),
        adc::Channel::new_pin(p.PIN_27, Pull::None),
        adc::Channel::new_pin(p.PIN_28, Pull::None),
    ];
    let adc_dma = dma::Channel::new(p.DMA_CH0, Irqs);
    spawn!(spawner, mics::mics_task(adc, channels, adc_dma));

    // More microphones on an MCP3008.
    #[cfg(feature = "ext-adc")]
    {
        let mut spi_config = embassy_rp::spi::Config::default();
        spi_config.frequency = ext_adc::SPI_HZ;
        let spi =
            embassy_rp::spi::Spi::new_blocking(p.SPI0, p.PIN_18, p.PIN_19, p.PIN_20, spi_config);
        let cs = Output::new(p.PIN_21, Level::High);
        spawn!(
            spawner,
            ext_adc::ext_adc_task(ext_adc::Mcp3008::new(spi, cs))
        );
    }

    // Seat LEDs.
    #[cfg(feature = "leds-pwm")]
    {
        use embassy_rp::pwm::Pwm;
        let config = feedback::pwm_config();
        let slices = [
            Pwm::new_output_ab(p.PWM_SLICE5, p.PIN_10, p.PIN_11, config.clone()),
            Pwm::new_output_ab(p.PWM_SLICE6, p.PIN_12, p.PIN_13, config.clone()),
            Pwm::new_output_ab(p.PWM_SLICE7, p.PIN_14, p.PIN_15, config.clone()),
            Pwm::new_output_ab(p.PWM_SLICE0, p.PIN_16, p.PIN_17, config),
        ];
        spawn!(spawner, feedback::feedback_task(slices));
    }
    #[cfg(feature = "leds-ws2812")]
    {
        use embassy_rp::pio::Pio;
        use embassy_rp::pio_programs::ws2812::{PioWs2812, PioWs2812Program};
        static PROGRAM: StaticCell<PioWs2812Program<'static, embassy_rp::peripherals::PIO0>> =
            StaticCell::new();
        let Pio {
            mut common, sm0, ..
        } = Pio::new(p.PIO0, Irqs);
        let program = PROGRAM.init(PioWs2812Program::new(&mut common));
        let ring = PioWs2812::new(&mut common, sm0, p.DMA_CH1, Irqs, p.PIN_10, program);
        spawn!(spawner, feedback::feedback_task(ring));
    }

    // USB, identified by the device id as serial number.
    static SERIAL: StaticCell<heapless::String<16>> = StaticCell::new();
    let serial = SERIAL.init(hex(device_id));
    let driver = embassy_rp::usb::Driver::new(p.USB, Irqs);
    let (device, class) = usb::build(driver, serial.as_str());
    spawn!(spawner, usb::usb_device_task(device));
    spawn!(spawner, usb::link_task(class));

    // The recorder last: everything it feeds is running.
    spawn!(spawner, recorder::recorder_task(device_id, checkpoint));
}

/// `id` as 16 lowercase hex digits.
fn hex(id: u64) -> heapless::String<16> {
    let mut out = heapless::String::new();
    for shift in (0..16).rev() {
        let nibble = ((id >> (shift * 4)) & 0xF) as u8;
        let digit = if nibble < 10 {
            b'0' + nibble
        } else {
            b'a' + nibble - 10
        };
        let _ = out.push(char::from(digit));
    }
    out
}
