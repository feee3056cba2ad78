use super::*;

const NOW: i64 = 10_000_000;

fn claim(activity: Activity, ago_ms: i64) -> Option<Claim> {
    Some(Claim {
        activity,
        at: NOW - ago_ms,
    })
}

fn running() -> Evidence {
    Evidence {
        running: true,
        ..Evidence::default()
    }
}

fn decide(e: &Evidence) -> Option<(Activity, Source)> {
    reconcile(e, &AgeLimits::default(), NOW)
}

#[test]
fn a_program_that_is_not_running_has_exited_whatever_else_is_claimed() {
    let e = Evidence {
        running: false,
        hook: claim(Activity::Active, 1_000),
        terminal: Some(Activity::Active),
        ..Evidence::default()
    };
    assert_eq!(decide(&e), Some((Activity::Exited, Source::Runtime)));
}

#[test]
fn sources_rank_hooks_then_transcript_then_terminal() {
    let mut e = running();
    e.terminal = Some(Activity::Ready);
    assert_eq!(decide(&e), Some((Activity::Ready, Source::Terminal)));
    e.transcript = claim(Activity::Active, 5_000);
    assert_eq!(decide(&e), Some((Activity::Active, Source::Transcript)));
    e.hook = claim(Activity::Active, 2_000);
    assert_eq!(decide(&e), Some((Activity::Active, Source::Hook)));
}

#[test]
fn stale_claims_give_way_so_a_state_does_not_stick() {
    let mut e = running();
    // The hook said "active" ten minutes ago and went quiet.
    e.hook = claim(Activity::Active, 10 * 60_000);
    e.transcript = claim(Activity::Active, 3 * 60_000);
    e.terminal = Some(Activity::Ready);
    assert_eq!(decide(&e), Some((Activity::Ready, Source::Terminal)));
    // A waiting question stays trusted much longer than a claim of work.
    e.hook = claim(Activity::WaitingInput, 30 * 60_000);
    e.terminal = Some(Activity::Ready);
    assert_eq!(decide(&e), Some((Activity::WaitingInput, Source::Hook)));
    e.hook = claim(Activity::WaitingInput, 2 * 60 * 60_000);
    assert_eq!(decide(&e), Some((Activity::Ready, Source::Terminal)));
}

#[test]
fn newer_signs_of_work_overtake_a_settled_hook_claim() {
    let mut e = running();
    e.hook = claim(Activity::WaitingInput, 60_000);
    e.transcript = claim(Activity::Active, 10_000);
    assert_eq!(decide(&e), Some((Activity::Active, Source::Transcript)));
    // An older transcript does not.
    e.transcript = claim(Activity::Active, 90_000);
    assert_eq!(decide(&e), Some((Activity::WaitingInput, Source::Hook)));
    // Nor does the screen, where old output lingers.
    e.transcript = None;
    e.terminal = Some(Activity::Active);
    assert_eq!(decide(&e), Some((Activity::WaitingInput, Source::Hook)));
}

#[test]
fn ready_for_long_enough_becomes_idle() {
    let mut e = running();
    e.terminal = Some(Activity::Ready);
    e.previous = Some((Activity::Ready, Source::Terminal, NOW - 6 * 60_000));
    assert_eq!(decide(&e), Some((Activity::Idle, Source::Terminal)));
    e.previous = Some((Activity::Ready, Source::Terminal, NOW - 60_000));
    assert_eq!(decide(&e), Some((Activity::Ready, Source::Terminal)));
    // A hook's ready claim ages by its own time.
    let mut e = running();
    e.hook = claim(Activity::Ready, 6 * 60_000);
    assert_eq!(decide(&e), Some((Activity::Idle, Source::Hook)));
}

#[test]
fn screen_readings_do_not_flap_but_urgent_states_pass_at_once() {
    let mut e = running();
    e.previous = Some((Activity::Active, Source::Terminal, NOW - 1_000));
    e.terminal = Some(Activity::Ready);
    assert_eq!(
        decide(&e),
        Some((Activity::Active, Source::Terminal)),
        "held"
    );
    e.previous = Some((Activity::Active, Source::Terminal, NOW - 4_000));
    assert_eq!(
        decide(&e),
        Some((Activity::Ready, Source::Terminal)),
        "after the dwell"
    );
    e.previous = Some((Activity::Active, Source::Terminal, NOW - 1_000));
    e.terminal = Some(Activity::WaitingInput);
    assert_eq!(decide(&e), Some((Activity::WaitingInput, Source::Terminal)));
}

#[test]
fn with_nothing_usable_the_last_conclusion_is_kept_or_nothing_is_claimed() {
    let mut e = running();
    assert_eq!(decide(&e), None);
    e.previous = Some((Activity::Active, Source::Hook, NOW - 1_000));
    assert_eq!(decide(&e), Some((Activity::Active, Source::Previous)));
    e.previous = Some((Activity::Exited, Source::Runtime, NOW - 1_000));
    assert_eq!(decide(&e), None, "a running program is not exited");
}

#[test]
fn activity_names_round_trip() {
    for a in Activity::ALL {
        assert_eq!(Activity::parse(a.as_str()), Some(a));
    }
    assert_eq!(Activity::parse("busy"), None);
}

#[test]
fn a_question_on_the_screen_beats_a_claim_of_work() {
    let mut e = running();
    e.transcript = claim(Activity::Active, 5_000);
    e.terminal = Some(Activity::WaitingInput);
    assert_eq!(decide(&e), Some((Activity::WaitingInput, Source::Terminal)));
    e.hook = claim(Activity::Active, 1_000);
    e.terminal = Some(Activity::Blocked);
    assert_eq!(decide(&e), Some((Activity::Blocked, Source::Terminal)));
    // A settled hook claim is not overruled by the screen.
    e.hook = claim(Activity::Ready, 1_000);
    e.transcript = None;
    e.terminal = Some(Activity::WaitingInput);
    assert_eq!(decide(&e), Some((Activity::Ready, Source::Hook)));
}
