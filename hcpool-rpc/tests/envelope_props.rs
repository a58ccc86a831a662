//! Property tests: the frame parser never panics and reads back what a server writes.

use hcpool_rpc::jsonrpc::envelope::{parse_incoming, Incoming, Notification};
use hcpool_rpc::jsonrpc::notify::chain_notification;
use proptest::prelude::*;
use serde_json::{json, Value};

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[0-9a-f]{0,70}".prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[0-9a-z]{1,3}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(s in ".{0,200}") {
        let _ = parse_incoming(&s);
    }

    #[test]
    fn responses_round_trip(id in any::<u64>(), result in value()) {
        let frame = json!({"result": result, "error": null, "id": id}).to_string();
        let parsed = parse_incoming(&frame).unwrap();
        prop_assert_eq!(parsed, Incoming::Response { id, outcome: Ok(result) });
    }

    #[test]
    fn error_objects_round_trip(id in any::<u64>(), code in any::<i64>(), message in ".{0,40}") {
        let frame = json!({"result": null, "error": {"code": code, "message": message}, "id": id}).to_string();
        match parse_incoming(&frame).unwrap() {
            Incoming::Response { id: got, outcome: Err(e) } => {
                prop_assert_eq!(got, id);
                prop_assert_eq!(e.code, code);
                prop_assert_eq!(e.message, message);
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    #[test]
    fn notifications_with_arbitrary_params_never_panic(
        method in prop_oneof![
            Just("winningtickets"), Just("spentandmissedtickets"),
            Just("newtickets"), Just("blockconnected"), Just("other")
        ],
        params in prop::collection::vec(value(), 0..5),
    ) {
        let frame = json!({"jsonrpc": "1.0", "method": method, "params": params, "id": null}).to_string();
        let parsed = parse_incoming(&frame).unwrap();
        prop_assert_eq!(&parsed, &Incoming::Notification(Notification { method: method.to_owned(), params: params.clone() }));
        let _ = chain_notification(&Notification { method: method.to_owned(), params });
    }
}
