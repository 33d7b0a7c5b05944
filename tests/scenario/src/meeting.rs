//! The scripted meeting, played millisecond by millisecond into a
//! [`Device`].

use tabletalk_core::seat::SeatId;
use tabletalk_core::time::Instant;

use crate::conversation::Conversation;
use crate::rng::Rng;
use crate::seats::{has_button, has_mic, seat_id, SEATS, SEAT_COUNT};
use crate::signal::{Microphone, Voice};

/// Most samples one seat delivers in one millisecond (16 kHz).
pub const MAX_SAMPLES_PER_MS: usize = 16;

/// What a device is given while the meeting plays. Every call carries the
/// device's own clock reading; calls come in time order.
pub trait Device {
    /// The level of a seat's button this millisecond (sampled every
    /// millisecond, bounce included).
    fn button(&mut self, now: Instant, seat: SeatId, pressed: bool);
    /// The level of the facilitator button this millisecond.
    fn facilitator(&mut self, now: Instant, pressed: bool);
    /// One millisecond of a microphone seat's ADC samples (12-bit).
    fn samples(&mut self, now: Instant, seat: SeatId, samples: &[u16]);
    /// The end of the millisecond: everything for `now` has been given.
    fn tick(&mut self, now: Instant);
}

/// The parameters of a scripted meeting. Everything else follows from the
/// seed: the same script always plays the same meeting, on any machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Script {
    /// Seed of every random choice.
    pub seed: u32,
    /// Length of the meeting (ms).
    pub duration_ms: u32,
    /// Microphone samples per second per seat (at most 16 000).
    pub sample_rate_hz: u32,
    /// The device clock when the meeting starts. Close to `u32::MAX` so the
    /// counter wraps during the meeting, as it does on a device that has
    /// been up for 49.7 days.
    pub start: Instant,
    /// When the facilitator presses the button for a new agenda point (ms).
    pub agenda_at_ms: u32,
    /// When, and for how long, the microphone of seat 2 is held at full
    /// scale (a loose or shorted module) (ms).
    pub fault: (u32, u32),
}

impl Script {
    /// The standard meeting: five minutes, 8 kHz, an agenda point at
    /// 2:30, a clipped microphone for three seconds at 4:00.
    pub const STANDARD: Script = Script {
        seed: 0x7AB1_E7A1,
        duration_ms: 5 * 60 * 1_000,
        sample_rate_hz: 8_000,
        start: Instant(u32::MAX - 90_000),
        agenda_at_ms: 150_000,
        fault: (240_000, 3_000),
    };

    /// The device clock at meeting time `t`.
    pub fn instant(&self, t: u32) -> Instant {
        Instant(self.start.0.wrapping_add(t))
    }

    /// Plays the whole meeting into `device` and returns what was scripted.
    pub fn play(&self, device: &mut impl Device) -> Truth {
        let mut player = Player::new(self);
        for t in 0..self.duration_ms {
            player.step(t, device);
        }
        player.truth
    }
}

/// What the script made happen: the ground truth to compare detections
/// against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Truth {
    /// Milliseconds each seat talked.
    pub talk_ms: [u32; SEAT_COUNT],
    /// Utterances started per seat (turns and backchannels).
    pub utterances: [u32; SEAT_COUNT],
    /// Microphone samples generated, all seats together.
    pub samples: u64,
}

/// A button line as a pin sees it: a few milliseconds of contact bounce
/// after each change.
#[derive(Clone, Copy, Debug, Default)]
struct ButtonLine {
    target: bool,
    level: bool,
    bounce_left: u8,
}

impl ButtonLine {
    fn sample(&mut self, pressed: bool, rng: &mut Rng) -> bool {
        if pressed != self.target {
            self.target = pressed;
            self.bounce_left = rng.between(1, 5) as u8;
        }
        if self.bounce_left > 0 {
            self.bounce_left -= 1;
            self.level = if self.bounce_left == 0 {
                self.target
            } else {
                rng.next_u32() & 1 == 1
            };
        } else {
            self.level = self.target;
        }
        self.level
    }
}

struct Player<'s> {
    script: &'s Script,
    conversation: Conversation,
    voices: [Voice; SEAT_COUNT],
    mics: [Microphone; SEAT_COUNT],
    buttons: [ButtonLine; SEAT_COUNT],
    facilitator: ButtonLine,
    bounce: Rng,
    speaking: [bool; SEAT_COUNT],
    sample_credit: u32,
    buffer: [u16; MAX_SAMPLES_PER_MS],
    truth: Truth,
}

impl<'s> Player<'s> {
    fn new(script: &'s Script) -> Self {
        let mut root = Rng::new(script.seed);
        let conversation =
            Conversation::new(root.fork(1), script.duration_ms.saturating_sub(8_000));
        let voices = core::array::from_fn(|s| Voice::new(root.fork(100 + s as u32)));
        let mics = core::array::from_fn(|s| {
            Microphone::new(root.fork(200 + s as u32), SEATS.get(s).unwrap_or(&SEATS[0]))
        });
        Player {
            script,
            conversation,
            voices,
            mics,
            buttons: [ButtonLine::default(); SEAT_COUNT],
            facilitator: ButtonLine::default(),
            bounce: root.fork(300),
            speaking: [false; SEAT_COUNT],
            sample_credit: 0,
            buffer: [0; MAX_SAMPLES_PER_MS],
            truth: Truth::default(),
        }
    }

    fn step(&mut self, t: u32, device: &mut impl Device) {
        let now = self.script.instant(t);
        self.conversation.advance(t);

        // Who talks, and how loud each voice is this millisecond.
        let mut voice_level = [0u32; SEAT_COUNT];
        for (s, seat) in SEATS.iter().enumerate() {
            let speaking = self.conversation.speaking(s, t);
            let was = core::mem::replace(&mut self.speaking[s], speaking);
            if speaking {
                self.truth.talk_ms[s] += 1;
                if !was {
                    self.truth.utterances[s] += 1;
                }
            }
            voice_level[s] = self.voices[s].level(seat, speaking, t);
        }

        // Buttons: hold-to-talk while speaking.
        for (s, seat) in SEATS.iter().enumerate() {
            if let (true, Some(id)) = (has_button(seat), seat_id(s)) {
                let level = self.buttons[s].sample(self.speaking[s], &mut self.bounce);
                device.button(now, id, level);
            }
        }
        let agenda = t >= self.script.agenda_at_ms && t < self.script.agenda_at_ms + 250;
        let level = self.facilitator.sample(agenda, &mut self.bounce);
        device.facilitator(now, level);

        // Microphones: this millisecond's share of the sample rate.
        self.sample_credit += self.script.sample_rate_hz.min(16_000);
        let count = (self.sample_credit / 1_000) as usize;
        self.sample_credit %= 1_000;
        let (fault_at, fault_len) = self.script.fault;
        for (s, seat) in SEATS.iter().enumerate() {
            let Some(id) = seat_id(s).filter(|_| has_mic(seat)) else {
                continue;
            };
            // Own voice plus what leaks over from the others.
            let mut level = voice_level[s];
            for (o, other) in SEATS.iter().enumerate() {
                if o != s {
                    level += voice_level[o] * u32::from(other.leak) / 256;
                }
            }
            let clipped = s == 2 && t >= fault_at && t - fault_at < fault_len;
            let out = &mut self.buffer[..count];
            self.mics[s].fill(level, clipped, out);
            self.truth.samples += count as u64;
            device.samples(now, id, out);
        }
        device.tick(now);
    }
}
