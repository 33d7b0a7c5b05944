//! An in-memory duplex byte pipe: two [`PipeEnd`]s, each a [`Transport`].
//! Tests connect the client to a simulated device through it.

use std::collections::VecDeque;
use std::io;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use super::transport::Transport;

/// One end of a [`duplex`] pipe.
pub struct PipeEnd {
    tx: Sender<Vec<u8>>,
    rx: Receiver<Vec<u8>>,
    pending: VecDeque<u8>,
    name: &'static str,
}

/// Two connected ends: what one sends, the other receives.
pub fn duplex() -> (PipeEnd, PipeEnd) {
    let (a_tx, b_rx) = mpsc::channel();
    let (b_tx, a_rx) = mpsc::channel();
    (
        PipeEnd {
            tx: a_tx,
            rx: a_rx,
            pending: VecDeque::new(),
            name: "memory pipe (host end)",
        },
        PipeEnd {
            tx: b_tx,
            rx: b_rx,
            pending: VecDeque::new(),
            name: "memory pipe (device end)",
        },
    )
}

impl Transport for PipeEnd {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.tx
            .send(bytes.to_vec())
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the other end is gone"))
    }

    fn receive(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        if self.pending.is_empty() {
            match self.rx.recv_timeout(timeout) {
                Ok(bytes) => self.pending.extend(bytes),
                Err(RecvTimeoutError::Timeout) => return Ok(0),
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(io::Error::new(
                        io::ErrorKind::BrokenPipe,
                        "the other end is gone",
                    ))
                }
            }
        }
        while let Ok(bytes) = self.rx.try_recv() {
            self.pending.extend(bytes);
        }
        let n = buf.len().min(self.pending.len());
        for (slot, byte) in buf.iter_mut().zip(self.pending.drain(..n)) {
            *slot = byte;
        }
        Ok(n)
    }

    fn describe(&self) -> String {
        self.name.to_owned()
    }
}
