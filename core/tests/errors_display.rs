//! Every error type of the core is a `core::error::Error` with a message
//! for people, so the host can show it (and chain it) without a Debug form.

use tabletalk_core::engine::{EngineError, InputError};
use tabletalk_core::params::ParamError;
use tabletalk_core::protocol::config::ConfigProblem;
use tabletalk_core::protocol::{Error as ProtocolError, ErrorCode};
use tabletalk_core::records::Error as RecordError;
#[cfg(feature = "store")]
use tabletalk_core::store::{RamFlashError, StoreError};

fn is_error<E: core::error::Error>() {}

#[test]
fn every_core_error_implements_error_and_display() {
    is_error::<EngineError>();
    is_error::<InputError>();
    is_error::<ParamError>();
    is_error::<ConfigProblem>();
    is_error::<ProtocolError>();
    is_error::<ErrorCode>();
    is_error::<RecordError>();
    assert_eq!(
        ErrorCode::NoSuchSession.to_string(),
        "no such session on the device"
    );
}

#[cfg(feature = "store")]
#[test]
fn store_errors_implement_error_and_display() {
    is_error::<RamFlashError>();
    is_error::<StoreError<RamFlashError>>();
    assert_eq!(RamFlashError::PowerCut.to_string(), "the power was cut");
    assert_eq!(
        StoreError::Flash(RamFlashError::PowerCut).to_string(),
        "flash error: PowerCut"
    );
}
