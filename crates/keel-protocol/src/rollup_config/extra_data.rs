//! The L2 header's `extraData`: what an execution engine must write for a block built from
//! payload attributes, so the builder (devchain) and the consolidation check (engine
//! controller) apply one rule.

use alloy_primitives::{B64, Bytes};
use op_alloy_consensus::{EIP1559ParamError, encode_holocene_extra_data, encode_jovian_extra_data};

use super::RollupConfig;
use crate::hardfork::Hardfork;

/// Why the attributes cannot give a header `extraData`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtraDataError {
    /// Holocene is active but the attributes carry no `eip1559Params`.
    #[error("Holocene active at {timestamp} but the attributes carry no eip1559Params")]
    MissingEip1559Params {
        /// The block's timestamp.
        timestamp: u64,
    },
    /// Jovian is active but the attributes carry no `minBaseFee`.
    #[error("Jovian active at {timestamp} but the attributes carry no minBaseFee")]
    MissingMinBaseFee {
        /// The block's timestamp.
        timestamp: u64,
    },
    /// The parameters do not fit the encoding.
    #[error("eip1559Params not encodable: {0}")]
    Encoding(#[from] EIP1559ParamError),
}

impl RollupConfig {
    /// The `extraData` of the L2 block at `timestamp` built from attributes carrying
    /// `eip1559_params` and `min_base_fee`: empty before Holocene, Holocene's 9-byte form
    /// (version 0, denominator, elasticity; zero parameters stand for the chain's defaults),
    /// Jovian's 17-byte form (version 1, plus the minimum base fee).
    ///
    /// Spec: protocol/holocene/exec-engine.md#eip-1559-parameters-in-block-header,
    /// protocol/jovian/exec-engine.md#minimum-base-fee-in-block-header
    pub fn header_extra_data(
        &self,
        eip1559_params: Option<B64>,
        min_base_fee: Option<u64>,
        timestamp: u64,
    ) -> Result<Bytes, ExtraDataError> {
        if !self.is_active(Hardfork::Holocene, timestamp) {
            return Ok(Bytes::new());
        }
        let params = eip1559_params.ok_or(ExtraDataError::MissingEip1559Params { timestamp })?;
        let defaults = self.base_fee_params(timestamp);
        if self.is_active(Hardfork::Jovian, timestamp) {
            let min = min_base_fee.ok_or(ExtraDataError::MissingMinBaseFee { timestamp })?;
            Ok(encode_jovian_extra_data(params, defaults, min)?)
        } else {
            Ok(encode_holocene_extra_data(params, defaults)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardfork::HardforkTimes;

    fn cfg(holocene: Option<u64>, jovian: Option<u64>) -> RollupConfig {
        RollupConfig {
            hardforks: HardforkTimes {
                canyon_time: Some(0),
                holocene_time: holocene,
                jovian_time: jovian,
                ..Default::default()
            },
            ..RollupConfig::default()
        }
    }

    #[test]
    fn format_follows_the_fork() {
        let p = Some(B64::from([0, 0, 0, 8, 0, 0, 0, 2]));
        assert!(
            cfg(None, None)
                .header_extra_data(p, None, 10)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            cfg(Some(0), None)
                .header_extra_data(p, None, 10)
                .unwrap()
                .as_ref(),
            &[0, 0, 0, 0, 8, 0, 0, 0, 2]
        );
        let jovian = cfg(Some(0), Some(0))
            .header_extra_data(p, Some(7), 10)
            .unwrap();
        assert_eq!(jovian.len(), 17);
        assert_eq!(jovian.first(), Some(&1));
        // Zero parameters are replaced by the chain's Canyon defaults (250, 6).
        let zero = cfg(Some(0), None)
            .header_extra_data(Some(B64::ZERO), None, 10)
            .unwrap();
        assert_eq!(zero.as_ref(), &[0, 0, 0, 0, 250, 0, 0, 0, 6]);
    }

    #[test]
    fn missing_fields_are_errors() {
        assert_eq!(
            cfg(Some(0), None).header_extra_data(None, None, 10),
            Err(ExtraDataError::MissingEip1559Params { timestamp: 10 })
        );
        assert_eq!(
            cfg(Some(0), Some(0)).header_extra_data(Some(B64::ZERO), None, 10),
            Err(ExtraDataError::MissingMinBaseFee { timestamp: 10 })
        );
    }
}
