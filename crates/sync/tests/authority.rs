//! The authority's decisions as any backend sees them, through the JSON calls a wasm host makes
//! (`authority::calls::call`): the same text in and out as `siyu/authority` and wasmtime.

use serde_json::{json, Value};
use siyu_sync::authority::calls::call;
use siyu_core::Program;

const AT: i64 = 1_796_000_000_000; // Mon 30 Nov 2026 (UTC)

fn program() -> Program {
    Program::from_json(include_str!("../../../programs/health-food.json")).expect("demo program")
}

fn ask(program: &Program, op: &str, input: Value) -> Value {
    serde_json::from_str(&call(program, op, &input.to_string())).expect("an answer is JSON")
}

/// A member as a host stores it: its state text, versions and the client's last id.
struct Row {
    state: String,
    version: u64,
    state_version: u64,
    last: u64,
    decided: Vec<Value>,
    stock: Value,
}

impl Row {
    fn new(program: &Program) -> Row {
        let member = ask(program, "newMember", json!({ "memberId": "alice", "now": AT }));
        Row {
            state: member["ok"]["state"].as_str().unwrap().to_string(),
            version: 0,
            state_version: 0,
            last: 0,
            decided: Vec::new(),
            stock: ask(program, "initialStock", json!({}))["ok"].clone(),
        }
    }

    fn input(&self, mutations: Value, lookups: Value) -> Value {
        let ids: Vec<u64> = mutations.as_array().unwrap().iter().map(|m| m["id"].as_u64().unwrap()).collect();
        let decided: Vec<&Value> = self.decided.iter().filter(|d| ids.contains(&d["id"].as_u64().unwrap())).collect();
        json!({
            "memberId": "alice",
            "request": { "protocol": 2, "clientId": "c1", "mutations": mutations },
            "state": self.state, "version": self.version, "stateVersion": self.state_version,
            "lastMutationId": self.last, "stock": self.stock, "decided": decided, "lookups": lookups, "now": AT,
        })
    }

    /// Stores what an answer says to store, as a host does.
    fn commit(&mut self, answer: &Value) {
        let writes = &answer["ok"]["writes"];
        if writes.is_null() {
            return;
        }
        if let Some(state) = writes["state"].as_str() {
            self.state = state.to_string();
        }
        self.version = writes["version"].as_u64().unwrap();
        self.state_version = writes["stateVersion"].as_u64().unwrap();
        self.last = writes["lastMutationId"].as_u64().unwrap();
        for d in writes["decisions"].as_array().unwrap() {
            self.decided.push(json!({ "id": d["id"], "name": d["name"], "args": d["args"], "clientTime": d["clientTime"], "outcome": d["outcome"] }));
        }
    }
}

#[test]
fn a_push_is_decided_once_and_a_resend_answered_from_storage() {
    let p = program();
    let mut row = Row::new(&p);
    let check_in = json!([{ "id": 1, "name": "checkIn", "args": {}, "clientTime": AT }]);
    let first = ask(&p, "decidePush", row.input(check_in.clone(), json!({})));
    assert_eq!(first["ok"]["results"][0]["status"], "applied", "{first}");
    assert_eq!(first["ok"]["complete"], true);
    let writes = &first["ok"]["writes"];
    assert_eq!(writes["guards"][0]["guard"], "checkIn", "a check-in day is guarded once");
    assert_eq!((writes["version"].as_u64(), writes["lastMutationId"].as_u64()), (Some(1), Some(1)));
    row.commit(&first);

    // The same mutation again: the stored outcome, nothing to write.
    let again = ask(&p, "decidePush", row.input(check_in, json!({})));
    assert_eq!(again["ok"]["results"][0]["status"], "duplicate");
    assert!(again["ok"]["writes"].is_null());
    // The same id with another payload: refused 422.
    let reused = ask(&p, "decidePush", row.input(json!([{ "id": 1, "name": "claimCoupon", "args": { "template": "x" }, "clientTime": AT }]), json!({})));
    assert_eq!((reused["refused"]["status"].as_u64(), reused["refused"]["code"].as_str()), (Some(422), Some("MUTATION_ID_REUSED")));
    // A gap: refused 409 with the id expected.
    let gap = ask(&p, "decidePush", row.input(json!([{ "id": 3, "name": "checkIn", "args": {}, "clientTime": AT }]), json!({})));
    assert_eq!((gap["refused"]["status"].as_u64(), gap["refused"]["details"]["expected"].as_u64()), (Some(409), Some(2)));
    // A second check-in the same day is decided — rejected — and stored as such; the state
    // does not change.
    let twice = ask(&p, "decidePush", row.input(json!([{ "id": 2, "name": "checkIn", "args": {}, "clientTime": AT }]), json!({})));
    assert_eq!(twice["ok"]["results"][0]["status"], "rejected");
    assert!(twice["ok"]["writes"]["state"].is_null());
    assert_eq!(twice["ok"]["writes"]["stateVersion"].as_u64(), Some(1));
}

#[test]
fn the_request_is_checked_before_anything_is_read() {
    let p = program();
    let too_many: Vec<Value> = (1..=101).map(|id| json!({ "id": id, "name": "checkIn", "args": {}, "clientTime": AT })).collect();
    let refused = ask(&p, "checkPush", json!({ "protocol": 2, "clientId": "c1", "mutations": too_many }));
    assert_eq!((refused["refused"]["status"].as_u64(), refused["refused"]["details"]["max"].as_u64()), (Some(413), Some(100)));
    let store = ask(&p, "checkPush", json!({ "protocol": 2, "clientId": "store", "mutations": [] }));
    assert_eq!(store["refused"]["details"]["path"], "clientId", "the store's client id is not a device's");
    let malformed: Value = serde_json::from_str(&call(&p, "checkPush", r#"{"protocol":2,"clientId":"c1","mutations":[{"id":"one"}]}"#)).unwrap();
    assert_eq!(malformed["refused"]["status"].as_u64(), Some(400));
    assert_eq!(ask(&p, "checkPull", json!({ "protocol": 1, "clientId": "c1" }))["refused"]["status"].as_u64(), Some(426));
    let bad_call = ask(&p, "decidePush", json!({ "memberId": "alice" }));
    assert_eq!(bad_call["error"]["code"], "INVALID_CALL");
}

#[test]
fn an_order_the_state_no_longer_holds_is_looked_up_first() {
    let p = program();
    let row = Row::new(&p);
    let refund = json!([{ "id": 1, "name": "refundOrder", "args": { "orderId": "old-1" }, "clientTime": AT }]);
    let needs = ask(&p, "decidePush", row.input(refund.clone(), json!({})));
    assert_eq!(needs["needs"]["orders"], json!(["old-1"]), "{needs}");
    let archived = ask(&p, "decidePush", row.input(refund, json!({ "orders": { "old-1": { "refunded": true, "cancelled": false } } })));
    let error = &archived["ok"]["results"][0]["error"];
    assert_eq!(archived["ok"]["results"][0]["status"], "rejected");
    assert_ne!(error["code"], "ORDER_NOT_FOUND", "the archive's word is used: {error}");
}

#[test]
fn a_pull_after_a_push_is_a_patch_that_rebuilds_the_state() {
    let p = program();
    let mut row = Row::new(&p);
    let before = row.state.clone();
    let first = ask(&p, "decidePush", row.input(json!([{ "id": 1, "name": "checkIn", "args": {}, "clientTime": AT }]), json!({})));
    row.commit(&first);
    let plan = ask(&p, "planPull", json!({ "request": { "protocol": 2, "clientId": "c1", "cookie": 0 }, "version": row.version, "stateVersion": row.state_version }));
    assert_eq!(plan["ok"]["changesAfter"].as_u64(), Some(0));
    let d = &first["ok"]["writes"]["decisions"][0];
    let changes = json!([{ "change": "decided", "seq": d["seq"], "clientId": "c1", "id": 1, "name": d["name"], "args": d["args"], "at": d["decidedAt"], "outcome": d["outcome"] }]);
    let reply = ask(&p, "answerPull", json!({
        "plan": plan["ok"], "version": row.version, "lastMutationId": row.last, "state": row.state,
        "changes": changes, "results": [{ "id": 1, "outcome": d["outcome"] }], "stock": row.stock, "now": AT,
    }));
    let reply = &reply["ok"];
    assert!(reply["state"].is_null(), "a patch, not the state");
    let patch: Vec<siyu_sync::Change> = serde_json::from_value(reply["patch"].clone()).unwrap();
    let start: siyu_core::MemberState = serde_json::from_str(&before).unwrap();
    let rebuilt = siyu_sync::apply_patch(&p, &start, &patch).expect("replays");
    assert_eq!(reply["stateDigest"].as_str(), Some(rebuilt.digest().as_str()), "the patch leads to the stored state");
    assert_eq!(reply["results"][0]["status"], "applied");
}
