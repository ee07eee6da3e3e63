//! Rulebook §1 on the server: an offline check-in keeps the business day it was made on when it
//! arrives within `checkIn.offlineGraceMinutes` (60 in the demo program), and later counts for the
//! server's day, which the device shows as a reversal naming both days. The server's clock is
//! manual and pinned: Wednesday 2 December 2026, 23:59 China time.

mod common;

use common::*;
use siyu_core::apply::Mutation;
use siyu_core::time::Day;
use siyu_sync::replica::Mall;
use siyu_sync::Outcome;
use std::sync::atomic::Ordering;

/// Wednesday 2 December 2026, 23:59 at +08:00.
const BEFORE_MIDNIGHT: i64 = 1_796_227_140_000;
const MINUTE: i64 = 60_000;

fn day(text: &str) -> Day {
    Day::parse(text).unwrap()
}

#[tokio::test]
async fn a_check_in_at_23_59_synced_at_00_01_keeps_its_day() {
    let (svc, clock) = memory_service(test_program("grace"), BEFORE_MIDNIGHT - 30 * DAY).await;
    let program = svc.program();
    let mut phone = Mall::new((*program).clone(), "m-grace", "phone", BEFORE_MIDNIGHT - 30 * DAY);
    // The first pull while online gives the device the server's state and clock.
    let first = svc.pull("m-grace", &phone.pull_request()).await.unwrap();
    phone.on_pull_response(&first, BEFORE_MIDNIGHT - 30 * DAY, BEFORE_MIDNIGHT - 30 * DAY);

    // Offline at 23:59; the network is back at 00:01 the next day.
    phone.mutate(Mutation::CheckIn {}, BEFORE_MIDNIGHT).unwrap();
    clock.store(BEFORE_MIDNIGHT + 2 * MINUTE, Ordering::SeqCst);
    let reply = svc.push("m-grace", &phone.push_request()).await.unwrap();
    assert!(matches!(&reply.results[0].outcome, Outcome::Applied { notice: None, .. }), "{:?}", reply.results[0]);
    phone.on_push_response(&reply);
    assert!(phone.reversals().is_empty());

    let state = svc.member_state("m-grace").await.unwrap().unwrap().1;
    assert_eq!(state.check_ins.iter().map(|c| c.day).collect::<Vec<_>>(), vec![day("2026-12-02")]);
    assert_eq!(state.check_ins[0].at, BEFORE_MIDNIGHT, "decided at the time it was made");
    // The pull's patch replays the decision at that time: the device holds the server's state.
    let now = clock.load(Ordering::SeqCst);
    let pulled = svc.pull("m-grace", &phone.pull_request()).await.unwrap();
    assert!(pulled.patch.is_some());
    phone.on_pull_response(&pulled, now, now);
    assert_eq!(phone.state(), &state);
    assert_eq!(phone.cookie(), Some(pulled.cookie), "the patch rebuilt the server's state");

    // Today (the 3rd) is still open: the member checks in again, for the new day.
    phone.mutate(Mutation::CheckIn {}, now).unwrap();
    let reply = svc.push("m-grace", &phone.push_request()).await.unwrap();
    assert!(matches!(&reply.results[0].outcome, Outcome::Applied { notice: None, .. }));
    let state = svc.member_state("m-grace").await.unwrap().unwrap().1;
    assert_eq!(state.check_ins.iter().map(|c| c.day).collect::<Vec<_>>(), vec![day("2026-12-02"), day("2026-12-03")]);
}

#[tokio::test]
async fn a_check_in_that_arrives_after_the_grace_counts_for_the_server_day_and_the_device_is_told_both_days() {
    let (svc, clock) = memory_service(test_program("late"), BEFORE_MIDNIGHT - 30 * DAY).await;
    let program = svc.program();
    let mut phone = Mall::new((*program).clone(), "m-late", "phone", BEFORE_MIDNIGHT - 30 * DAY);
    let first = svc.pull("m-late", &phone.pull_request()).await.unwrap();
    phone.on_pull_response(&first, BEFORE_MIDNIGHT - 30 * DAY, BEFORE_MIDNIGHT - 30 * DAY);

    // Made at 23:30 on the 2nd, it reaches the server at 00:45 on the 3rd: 75 minutes late.
    let made = BEFORE_MIDNIGHT - 29 * MINUTE;
    phone.mutate(Mutation::CheckIn {}, made).unwrap();
    clock.store(BEFORE_MIDNIGHT + 46 * MINUTE, Ordering::SeqCst);
    let reply = svc.push("m-late", &phone.push_request()).await.unwrap();
    let Outcome::Applied { notice: Some(notice), .. } = &reply.results[0].outcome else { panic!("applied with a notice: {:?}", reply.results[0]) };
    assert_eq!(notice.code, "CHECK_IN_DAY_MOVED");
    assert_eq!(notice.details, serde_json::json!({ "madeOn": "2026-12-02", "countedOn": "2026-12-03", "graceMinutes": 60 }));
    assert!(notice.message.contains("2026-12-02") && notice.message.contains("2026-12-03"), "{}", notice.message);
    phone.on_push_response(&reply);
    assert_eq!(phone.reversals().len(), 1, "the device shows the move");
    assert_eq!(phone.reversals()[0].error.code, "CHECK_IN_DAY_MOVED");

    let state = svc.member_state("m-late").await.unwrap().unwrap().1;
    assert_eq!(state.check_ins.iter().map(|c| c.day).collect::<Vec<_>>(), vec![day("2026-12-03")]);
    // The pull brings the server's day; the reversal stays until dismissed, and a resend of the
    // same push is a duplicate that carries the notice once more without a second reversal.
    let now = clock.load(Ordering::SeqCst);
    let pulled = svc.pull("m-late", &phone.pull_request()).await.unwrap();
    phone.on_pull_response(&pulled, now, now);
    assert_eq!(phone.state(), &state);
    assert_eq!(phone.reversals().len(), 1);
}
