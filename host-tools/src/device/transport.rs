//! Byte transports to a device: the USB serial port, and (for tests) an
//! in-memory pipe (see [`pipe`](super::pipe)). The client only needs to
//! send bytes and wait a bounded time for bytes to come back.

use std::io;
use std::time::Duration;

use tabletalk_core::protocol::usb;

/// A two-way byte stream to a device.
pub trait Transport: Send {
    /// Writes all of `bytes`.
    fn send(&mut self, bytes: &[u8]) -> io::Result<()>;

    /// Reads what has arrived into `buf`, waiting at most `timeout` for the
    /// first byte. `Ok(0)` means nothing came in time.
    fn receive(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize>;

    /// What this is connected to, for messages (e.g. `/dev/ttyACM0`).
    fn describe(&self) -> String;
}

/// A device's USB serial port.
pub struct SerialTransport {
    port: Box<dyn serialport::SerialPort>,
    path: String,
}

impl SerialTransport {
    /// Opens the port at `path` (exclusively, where the OS allows).
    pub fn open(path: &str) -> io::Result<Self> {
        // CDC-ACM ignores the baud rate; the value only matters to real UARTs.
        let mut port = serialport::new(path, 115_200)
            .timeout(Duration::from_millis(100))
            .open()
            .map_err(|err| io::Error::new(io_kind(&err), err.to_string()))?;
        // DTR tells the firmware that a host is listening (and, when it
        // drops on close, that the host went away).
        let _ = port.write_data_terminal_ready(true);
        Ok(Self::from_port(port, path))
    }

    /// Wraps an already open port (e.g. one end of a pseudo-terminal pair).
    pub fn from_port(port: Box<dyn serialport::SerialPort>, name: &str) -> Self {
        SerialTransport {
            port,
            path: name.to_owned(),
        }
    }
}

fn io_kind(err: &serialport::Error) -> io::ErrorKind {
    match err.kind() {
        serialport::ErrorKind::NoDevice => io::ErrorKind::NotFound,
        serialport::ErrorKind::Io(kind) => kind,
        _ => io::ErrorKind::Other,
    }
}

impl Transport for SerialTransport {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        io::Write::write_all(&mut self.port, bytes)?;
        io::Write::flush(&mut self.port)
    }

    fn receive(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        self.port
            .set_timeout(timeout.max(Duration::from_millis(1)))
            .map_err(|err| io::Error::new(io_kind(&err), err.to_string()))?;
        match io::Read::read(&mut self.port, buf) {
            Ok(n) => Ok(n),
            Err(err) if err.kind() == io::ErrorKind::TimedOut => Ok(0),
            Err(err) => Err(err),
        }
    }

    fn describe(&self) -> String {
        self.path.clone()
    }
}

/// A serial port that looks like a tabletalk device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundDevice {
    /// Its path, e.g. `/dev/ttyACM0` or `COM4`.
    pub path: String,
    /// Its USB serial number, if it has one.
    pub serial: Option<String>,
}

/// Whether a USB serial port is a tabletalk device: its product string
/// names tabletalk, or (when the OS does not tell the product) its vendor
/// and product ids are tabletalk's.
pub fn is_tabletalk(vid: u16, pid: u16, product: Option<&str>) -> bool {
    match product {
        Some(product) => product.to_ascii_lowercase().contains(usb::PRODUCT),
        None => vid == usb::VID && pid == usb::PID,
    }
}

/// Lists the serial ports that look like tabletalk devices.
pub fn find_devices() -> io::Result<Vec<FoundDevice>> {
    // serialport's sysfs scan (Linux without libudev) panics when
    // /sys/class/tty is missing, e.g. in some containers.
    #[cfg(target_os = "linux")]
    if !std::path::Path::new("/sys/class/tty").is_dir() {
        return Ok(Vec::new());
    }
    let ports = serialport::available_ports()
        .map_err(|err| io::Error::new(io_kind(&err), err.to_string()))?;
    Ok(ports
        .into_iter()
        .filter_map(|port| match port.port_type {
            serialport::SerialPortType::UsbPort(info)
                if is_tabletalk(info.vid, info.pid, info.product.as_deref()) =>
            {
                Some(FoundDevice {
                    path: port.port_name,
                    serial: info.serial_number,
                })
            }
            _ => None,
        })
        .collect())
}

/// Picks the one device to talk to: `explicit` if given, else the single
/// tabletalk device plugged in. The error says what to do.
pub fn choose_port(explicit: Option<&str>, found: &[FoundDevice]) -> Result<String, String> {
    if let Some(path) = explicit {
        return Ok(path.to_owned());
    }
    match found {
        [] => Err(
            "no tabletalk device found: plug it in over USB (a data cable, not a \
                   charge-only one), or name its serial port with --port PATH"
                .to_owned(),
        ),
        [one] => Ok(one.path.clone()),
        several => {
            let list: Vec<String> = several
                .iter()
                .map(|d| match &d.serial {
                    Some(serial) => format!("{} (serial {serial})", d.path),
                    None => d.path.clone(),
                })
                .collect();
            Err(format!(
                "{} tabletalk devices found: {}; choose one with --port PATH",
                several.len(),
                list.join(", ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_by_product_string_first() {
        assert!(is_tabletalk(0x2E8A, 0x000A, Some("TableTalk table device")));
        assert!(!is_tabletalk(
            usb::VID,
            usb::PID,
            Some("Some other test gadget")
        ));
        assert!(is_tabletalk(usb::VID, usb::PID, None));
        assert!(!is_tabletalk(0x2E8A, 0x000A, None));
    }

    #[test]
    fn choosing_a_port() {
        let a = FoundDevice {
            path: "/dev/ttyACM0".into(),
            serial: Some("E660".into()),
        };
        let b = FoundDevice {
            path: "/dev/ttyACM1".into(),
            serial: None,
        };
        assert_eq!(choose_port(Some("/dev/x"), &[]), Ok("/dev/x".into()));
        assert_eq!(
            choose_port(None, std::slice::from_ref(&a)),
            Ok(a.path.clone())
        );
        assert!(choose_port(None, &[]).unwrap_err().contains("--port"));
        let err = choose_port(None, &[a, b]).unwrap_err();
        assert!(err.contains("2 tabletalk devices"), "{err}");
        assert!(err.contains("/dev/ttyACM0 (serial E660)"), "{err}");
    }
}
