// Times restoring a member from a snapshot file and the first screen's queries, natively:
// `cargo run --release --example restore_timing -- SNAPSHOT.json NOW_MS`
use siyu::sync::replica::{Mall, Snapshot};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(now)) = (args.next(), args.next().and_then(|n| n.parse::<i64>().ok())) else {
        eprintln!("usage: restore_timing SNAPSHOT.json NOW_MS");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(path).expect("snapshot file");
    let program = siyu::Program::from_json(include_str!("../programs/health-food.json")).expect("demo program");
    let n = 50;
    let t = Instant::now();
    for _ in 0..n {
        let snapshot: Snapshot = siyu::error::InputError::parse("snapshot", &text).expect("snapshot");
        std::hint::black_box(snapshot);
    }
    let parse = t.elapsed().as_secs_f64() / n as f64 * 1e3;
    let t = Instant::now();
    let mut mall = None;
    for _ in 0..n {
        let snapshot: Snapshot = siyu::error::InputError::parse("snapshot", &text).expect("snapshot");
        mall = Some(Mall::from_snapshot(program.clone(), snapshot).expect("restore"));
    }
    let restore = t.elapsed().as_secs_f64() / n as f64 * 1e3;
    let mall = mall.expect("restored");
    let t = Instant::now();
    for _ in 0..n {
        let s = mall.state();
        std::hint::black_box((
            siyu::tiers::progress(&mall.program, s, now),
            siyu::points::summary(s, now),
            siyu::coupons::wallet(&mall.program, s, now, &[]),
            siyu::checkin::streak(&mall.program, s, now),
            siyu::reminders::due(&mall.program, s, now),
        ));
    }
    let screen = t.elapsed().as_secs_f64() / n as f64 * 1e3;
    println!("{} bytes: parse {parse:.2} ms, restore (parse + rebuild) {restore:.2} ms, first screen {screen:.2} ms", text.len());
}
