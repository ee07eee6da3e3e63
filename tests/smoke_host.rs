#![cfg(not(target_arch = "wasm32"))]
#[test]
fn demo_program_loads() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/programs/health-food.json")).unwrap();
    siyu::Program::from_json(&text).unwrap();
}
