#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! op-alloy's Engine API vectors and magi's JWT vector (see testdata/README.md).

mod common;

use alloy_primitives::{B256, hex};
use alloy_rpc_types_engine::{Claims, PayloadId};
use keel_engine::{
    client::{envelope_from_get_payload, new_payload_params, system_clock},
    jwt::{parse_jwt_secret, token, token_with_claims},
    version::{EngineMethod, forkchoice_updated_version, get_payload_version, new_payload_version},
};
use op_alloy_rpc_types_engine::{
    OpExecutionPayload, OpExecutionPayloadEnvelope, OpExecutionPayloadEnvelopeV3,
    OpExecutionPayloadEnvelopeV4, OpPayloadAttributes,
};
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let text = std::fs::read_to_string(common::testdata("op_alloy_engine_vectors.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["vectors"].as_array().unwrap().clone()
}

fn vector(id: &str) -> Value {
    vectors()
        .into_iter()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("no vector {id}"))
}

fn json_text(v: &Value) -> &str {
    v["json_text"].as_str().unwrap()
}

#[test]
fn get_payload_v3_envelope_reserializes_byte_for_byte() {
    let v = vector("getPayloadV3-response-OpExecutionPayloadEnvelopeV3");
    let text = json_text(&v);
    let env: OpExecutionPayloadEnvelopeV3 = serde_json::from_str(text).unwrap();
    assert_eq!(serde_json::to_string(&env).unwrap(), text);
    // The client's decoding keeps the payload and the parent beacon block root.
    let ours = envelope_from_get_payload(
        EngineMethod::GetPayloadV3,
        serde_json::from_str(text).unwrap(),
    )
    .unwrap();
    assert_eq!(
        ours.parent_beacon_block_root,
        Some(env.parent_beacon_block_root)
    );
    assert_eq!(
        ours.execution_payload,
        OpExecutionPayload::V3(env.execution_payload)
    );
    // ...and sends it back with newPayloadV3's three parameters.
    let params = new_payload_params(EngineMethod::NewPayloadV3, &ours).unwrap();
    assert_eq!(params.as_array().unwrap().len(), 3);
    assert_eq!(params[1], serde_json::json!([]));
}

#[test]
fn get_payload_v4_envelope_reserializes_byte_for_byte() {
    let v = vector("getPayloadV4-response-OpExecutionPayloadEnvelopeV4");
    let text = json_text(&v);
    let env: OpExecutionPayloadEnvelopeV4 = serde_json::from_str(text).unwrap();
    assert_eq!(serde_json::to_string(&env).unwrap(), text);
    let ours = envelope_from_get_payload(
        EngineMethod::GetPayloadV4,
        serde_json::from_str(text).unwrap(),
    )
    .unwrap();
    assert!(matches!(ours.execution_payload, OpExecutionPayload::V4(_)));
    let params = new_payload_params(EngineMethod::NewPayloadV4, &ours).unwrap();
    assert_eq!(params.as_array().unwrap().len(), 4);
    assert_eq!(
        params[3],
        serde_json::json!([]),
        "executionRequests must be empty on L2"
    );
    assert!(params[0].get("withdrawalsRoot").is_some());
    // A V4 payload cannot go out as newPayloadV3.
    assert!(new_payload_params(EngineMethod::NewPayloadV3, &ours).is_err());
}

#[test]
fn execution_payload_version_detection_and_rejections() {
    for v in vectors() {
        let Some(expected) = v.get("expected_version").and_then(Value::as_str) else {
            continue;
        };
        let parsed = serde_json::from_str::<OpExecutionPayload>(json_text(&v));
        let id = v["id"].as_str().unwrap();
        match (expected, parsed) {
            ("V2", Ok(OpExecutionPayload::V2(_)))
            | ("V3", Ok(OpExecutionPayload::V3(_)))
            | ("V4", Ok(OpExecutionPayload::V4(_))) => {
                assert_eq!(v["expected_ok"], true, "{id}")
            }
            ("invalid", Err(_)) => assert_eq!(v["expected_ok"], false, "{id}"),
            (e, got) => panic!("{id}: expected {e}, got {got:?}"),
        }
    }
}

#[test]
fn envelope_with_parent_beacon_block_root() {
    let v = vector("OpExecutionPayloadEnvelope-json-with-parentBeaconBlockRoot");
    let env: OpExecutionPayloadEnvelope = serde_json::from_str(json_text(&v)).unwrap();
    let want: B256 = v["expected"]["parentBeaconBlockRoot"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(env.parent_beacon_block_root, Some(want));
}

#[test]
fn holocene_attributes_round_trip_and_select_fcu_v3() {
    let v = vector("OpPayloadAttributes-json-holocene");
    let attrs: OpPayloadAttributes = serde_json::from_str(json_text(&v)).unwrap();
    assert!(attrs.eip_1559_params.is_some());
    let again: OpPayloadAttributes =
        serde_json::from_str(&serde_json::to_string(&attrs).unwrap()).unwrap();
    assert_eq!(again, attrs);
    let cfg = common::config(true);
    assert_eq!(
        forkchoice_updated_version(&cfg.hardforks, Some(attrs.payload_attributes.timestamp)),
        EngineMethod::ForkchoiceUpdatedV3
    );
}

/// op-geth derives the payload id from the attributes it receives; the id computed from
/// our wire form of the attributes must be op-geth's, so nothing is lost in transit.
#[test]
fn payload_id_parity_with_op_geth_through_our_wire_form() {
    for id in [
        "payload-id-test_payload_id_parity_op_geth",
        "payload-id-test_payload_id_parity_op_geth_jovian",
    ] {
        let v = vector(id);
        let attrs: OpPayloadAttributes = serde_json::from_value(v["attributes"].clone()).unwrap();
        let wire = serde_json::to_value(&attrs).unwrap();
        let received: OpPayloadAttributes = serde_json::from_value(wire).unwrap();
        let parent: B256 = v["parent_hash"].as_str().unwrap().parse().unwrap();
        let version = v["payload_version"].as_u64().unwrap() as u8;
        let want: [u8; 8] = hex::decode(v["expected_payload_id"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(
            received.payload_id(&parent, version),
            PayloadId::new(want),
            "{id}"
        );
    }
}

#[test]
fn get_and_new_payload_versions_follow_the_payload_timestamp() {
    let mut cfg = common::config(true);
    cfg.hardforks.isthmus_time = Some(2_000);
    let f = &cfg.hardforks;
    assert_eq!(get_payload_version(f, 1_999), EngineMethod::GetPayloadV3);
    assert_eq!(new_payload_version(f, 1_999), EngineMethod::NewPayloadV3);
    assert_eq!(get_payload_version(f, 2_000), EngineMethod::GetPayloadV4);
    assert_eq!(new_payload_version(f, 2_000), EngineMethod::NewPayloadV4);
}

#[test]
fn magi_jwt_vector() {
    let v = vector("engine-jwt-hs256");
    let secret = parse_jwt_secret(v["jwt_secret_hex"].as_str().unwrap()).unwrap();
    let claims = Claims {
        iat: v["claims"]["iat"].as_u64().unwrap(),
        exp: v["claims"]["exp"].as_u64(),
    };
    assert_eq!(
        token_with_claims(&secret, &claims).unwrap(),
        v["expected_token"].as_str().unwrap()
    );
    // Our own tokens carry only `iat` and validate against the secret now.
    let now = system_clock();
    secret.validate(&token(&secret, now).unwrap()).unwrap();
    // A token from two minutes ago does not.
    assert!(
        secret
            .validate(&token(&secret, now - 120).unwrap())
            .is_err()
    );
}
