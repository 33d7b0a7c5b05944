//! Detection parameters for a laptop run of the core: the core's defaults,
//! overridden by a TOML file (any subset of `DetectionParams`), overridden by
//! `--set section.field=value` flags. Unknown names are errors, so a typo
//! never silently runs the defaults.
//!
//! ```
//! use tabletalk_eval::config::detection_params;
//! let p = detection_params(Some("[mic]\nhangover_ms = 500\n"), &["turns.backchannel_max_ms=800".into()]).unwrap();
//! assert_eq!(p.mic.hangover_ms, 500);
//! assert_eq!(p.turns.backchannel_max_ms, 800);
//! assert!(detection_params(Some("[mic]\nhangover = 5\n"), &[]).is_err());
//! ```

use anyhow::{anyhow, bail, Context};
use tabletalk_core::params::DetectionParams;
use toml::{Table, Value};

use crate::error::BadInput;

/// Builds parameters from optional TOML text and `path=value` overrides.
pub fn detection_params(
    toml_text: Option<&str>,
    overrides: &[String],
) -> anyhow::Result<DetectionParams> {
    let mut base = Value::try_from(DetectionParams::default())
        .context("serialising the default parameters")?;
    if let Some(text) = toml_text {
        let user: Table = text
            .parse()
            .map_err(|e| BadInput::new(format!("parameter file: {e}")))?;
        merge(&mut base, Value::Table(user), "")?;
    }
    for o in overrides {
        let (path, value) = o
            .split_once('=')
            .ok_or_else(|| BadInput::new(format!("--set {o}: expected section.field=value")))?;
        let value: Value = format!("v = {}", value.trim())
            .parse::<Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .ok_or_else(|| {
                BadInput::new(format!("--set {o}: {:?} is not a value", value.trim()))
            })?;
        let mut nested = value;
        for key in path.trim().split('.').rev() {
            let mut t = Table::new();
            t.insert(key.to_owned(), nested);
            nested = Value::Table(t);
        }
        merge(&mut base, nested, "")?;
    }
    let params: DetectionParams = base
        .try_into()
        .map_err(|e: toml::de::Error| BadInput::new(format!("parameters: {}", e.message())))?;
    if let Err(e) = params.validate() {
        bail!(BadInput::new(format!("parameters: {e}")));
    }
    Ok(params)
}

/// The parameters as TOML, for `--print-config` and the documentation.
pub fn to_toml(params: &DetectionParams) -> String {
    toml::to_string(params).unwrap_or_default()
}

fn merge(base: &mut Value, user: Value, at: &str) -> anyhow::Result<()> {
    match (base, user) {
        (Value::Table(b), Value::Table(u)) => {
            let known = b.keys().map(String::as_str).collect::<Vec<_>>().join(", ");
            for (k, v) in u {
                let path = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                let slot = b.get_mut(&k).ok_or_else(|| {
                    anyhow!(BadInput::new(format!(
                        "unknown parameter {path} (known here: {known})"
                    )))
                })?;
                merge(slot, v, &path)?;
            }
            Ok(())
        }
        (Value::Table(_), _) => bail!(BadInput::new(format!("{at} is a section, not a value"))),
        (slot, v) => {
            if std::mem::discriminant(slot) != std::mem::discriminant(&v) {
                bail!(BadInput::new(format!(
                    "{at}: expected {}, got {}",
                    slot.type_str(),
                    v.type_str()
                )));
            }
            *slot = v;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_errors_are_clear() {
        assert_eq!(
            detection_params(None, &[]).ok(),
            Some(DetectionParams::default())
        );
        let text = to_toml(&DetectionParams::default());
        assert_eq!(
            detection_params(Some(&text), &[]).ok(),
            Some(DetectionParams::default())
        );
        let e = detection_params(None, &["mic.nope=1".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown parameter mic.nope"), "{e}");
        let e = detection_params(None, &["mic.sample_rate_hz=\"x\"".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected integer"), "{e}");
        assert!(detection_params(None, &["mic=3".into()]).is_err());
        assert!(
            detection_params(None, &["mic.frame_rate_hz=0".into()]).is_err(),
            "validated"
        );
        assert!(
            detection_params(None, &["mic.frame_rate_hz=70000".into()]).is_err(),
            "out of range"
        );
    }
}
