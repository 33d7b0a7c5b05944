//! Tuning the core's microphone parameters on the evaluation: a grid of
//! candidate settings, each run over the same simulated meetings (generated
//! once and kept in memory, so every candidate sees identical samples), and
//! ranked by speech-detection error. Tune on one set of meetings, check the
//! winner on held-out ones: `tabletalk evaluate --tune …` does both.

use rayon::prelude::*;
use tabletalk_core::params::DetectionParams;

use crate::config::detection_params;
use crate::corpus::Meeting;
use crate::evaluation::{ErrorTotals, Settings, ShareTally, SHARE_TOLERANCE_PP};
use crate::pipeline::CorePipeline;
use crate::scene::Scene;
use crate::score::{score, Mapping, ScoreOptions, Track};
use crate::synth::Synth;

/// One point of the grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// The `key=value` settings that make it (on top of the base).
    pub settings: Vec<String>,
    /// The resulting parameters.
    pub params: DetectionParams,
}

/// Every combination of `axes` (`key=v1,v2,…`) on top of `base` overrides.
/// Combinations the core would refuse (e.g. an off threshold above the on
/// threshold) are left out.
pub fn grid(
    toml: Option<&str>,
    base: &[String],
    axes: &[String],
) -> anyhow::Result<Vec<Candidate>> {
    let mut points: Vec<Vec<String>> = vec![Vec::new()];
    for axis in axes {
        let (key, values) = axis
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--tune {axis}: expected key=v1,v2,…"))?;
        let mut next = Vec::new();
        for p in &points {
            for v in values.split(',').map(str::trim).filter(|v| !v.is_empty()) {
                let mut q = p.clone();
                q.push(format!("{}={v}", key.trim()));
                next.push(q);
            }
        }
        points = next;
    }
    let mut out = Vec::new();
    for settings in points {
        let all: Vec<String> = base
            .iter()
            .cloned()
            .chain(settings.iter().cloned())
            .collect();
        match detection_params(toml, &all) {
            Ok(params) => out.push(Candidate { settings, params }),
            Err(e) if e.to_string().contains("unknown parameter") => return Err(e),
            Err(_) => {}
        }
    }
    Ok(out)
}

/// A meeting's simulated samples, kept for many runs of the core.
pub struct CachedMeeting {
    /// The meeting.
    pub meeting: Meeting,
    /// Interleaved samples of every millisecond, one after the other.
    pub samples: Vec<u16>,
    /// Where each millisecond ends in `samples`.
    pub ms_ends: Vec<u32>,
}

impl CachedMeeting {
    /// Simulates `meeting` once.
    pub fn new(meeting: &Meeting, settings: &Settings) -> Self {
        let scene = Scene::draw(
            &meeting.name,
            &meeting.speakers,
            meeting.duration_ms,
            &settings.scene,
        );
        let mut synth = Synth::new(scene, settings.sample_rate_hz);
        let mut samples = Vec::new();
        let mut ms_ends = Vec::with_capacity(meeting.duration_ms as usize);
        let mut buf = Vec::new();
        while synth.next_ms(&mut buf) > 0 {
            samples.extend_from_slice(&buf);
            ms_ends.push(samples.len() as u32);
        }
        CachedMeeting {
            meeting: meeting.clone(),
            samples,
            ms_ends,
        }
    }

    /// The core with `params` against the reference.
    pub fn score(
        &self,
        params: &DetectionParams,
        settings: &Settings,
    ) -> anyhow::Result<crate::score::Score> {
        let seats = self.meeting.speakers.len();
        let mut core = CorePipeline::new(params, seats, settings.scene.full_scale)?;
        let mut from = 0usize;
        for &end in &self.ms_ends {
            let end = end as usize;
            core.push_ms(self.samples.get(from..end).unwrap_or_default());
            from = end;
        }
        core.finish();
        let reference = self.meeting.reference_tracks();
        let detected: Vec<Track> = reference
            .iter()
            .zip(core.spans())
            .map(|(r, s)| Track::new(r.label.clone(), s))
            .collect();
        let options = ScoreOptions {
            collar_ms: settings.collar_ms,
            region: Some(vec![(0, self.meeting.duration_ms)]),
            mapping: Mapping::Label,
        };
        Ok(score(&reference, &detected, &options))
    }
}

/// A candidate's figures over the tuning meetings.
#[derive(Clone, Debug)]
pub struct Ranked {
    /// The candidate.
    pub candidate: Candidate,
    /// Its speech-detection error.
    pub errors: ErrorTotals,
    /// Its share tally.
    pub share: ShareTally,
}

/// Runs every candidate over every cached meeting (in parallel) and ranks
/// them by error, best first.
pub fn rank(
    candidates: &[Candidate],
    meetings: &[CachedMeeting],
    settings: &Settings,
) -> anyhow::Result<Vec<Ranked>> {
    let jobs: Vec<(usize, usize)> = (0..candidates.len())
        .flat_map(|c| (0..meetings.len()).map(move |m| (c, m)))
        .collect();
    let scores = jobs
        .par_iter()
        .map(|&(c, m)| {
            meetings[m]
                .score(&candidates[c].params, settings)
                .map(|s| (c, s))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut ranked: Vec<Ranked> = candidates
        .iter()
        .map(|c| Ranked {
            candidate: c.clone(),
            errors: ErrorTotals::default(),
            share: ShareTally::default(),
        })
        .collect();
    for (c, s) in &scores {
        ranked[*c].errors.add(s);
        ranked[*c].share.add(s, SHARE_TOLERANCE_PP);
    }
    ranked.sort_by(|a, b| a.errors.rate().total_cmp(&b.errors.rate()));
    Ok(ranked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_the_cartesian_product_minus_invalid_points() {
        let g = grid(
            None,
            &[],
            &[
                "mic.hangover_ms=300,500".into(),
                "mic.off_threshold_db10=40,200".into(),
            ],
        )
        .unwrap_or_default();
        // off 200 is above the default on threshold (90): refused by the core.
        assert_eq!(g.len(), 2);
        assert_eq!(
            g[1].settings,
            ["mic.hangover_ms=500", "mic.off_threshold_db10=40"]
        );
        assert_eq!(g[1].params.mic.hangover_ms, 500);
        assert!(grid(None, &[], &["mic.nope=1".into()]).is_err());
    }
}
