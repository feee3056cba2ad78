//! The process runtime against real supervisors, PTYs and programs.

use ao_runtime::process::ProcessRuntime;
use ao_runtime::{LaunchSpec, Liveness, Runtime, RuntimeError};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SUPERVISOR: &str = env!("CARGO_BIN_EXE_ao-pty-supervisor");

/// Generous: CI machines are slow, and every wait polls.
const DEADLINE: Duration = Duration::from_secs(10);

/// A runtime on a private directory; its sessions are killed at the end.
struct Fixture {
    runtime: ProcessRuntime,
    dir: tempfile::TempDir,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        for name in self.runtime.sessions().unwrap_or_default().keys() {
            let _ = self.runtime.kill(name);
        }
    }
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let runtime = runtime_on(&dir.path().join("rt"));
    Fixture { runtime, dir }
}

fn runtime_on(dir: &Path) -> ProcessRuntime {
    ProcessRuntime::new(dir.to_path_buf(), vec![SUPERVISOR.into()])
}

fn sh(name: &str, cwd: &Path, script: &str) -> LaunchSpec {
    LaunchSpec {
        name: name.into(),
        cwd: cwd.to_path_buf(),
        argv: vec!["sh".into(), "-c".into(), script.into()],
        env: vec![("AO_SESSION".into(), name.into())],
    }
}

/// A stand-in agent: echoes each line it reads.
fn echo_agent(name: &str, cwd: &Path) -> LaunchSpec {
    sh(
        name,
        cwd,
        "echo ready:$AO_SESSION; while IFS= read -r line; do echo \"got: $line\"; done",
    )
}

fn poll<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The screen once it shows `needle`.
fn wait_for(runtime: &ProcessRuntime, name: &str, needle: &str) -> String {
    let mut last = String::new();
    let deadline = Instant::now() + DEADLINE;
    loop {
        last = runtime.capture(name, 200).unwrap_or(last);
        if last.contains(needle) {
            return last;
        }
        assert!(
            Instant::now() < deadline,
            "{name}: no {needle:?} on screen:\n{last}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn names(runtime: &ProcessRuntime) -> Vec<String> {
    runtime.sessions().unwrap().into_keys().collect()
}

/// Field `index` (1-based, as in proc(5)) of /proc/<pid>/stat.
fn stat_field(pid: u32, index: usize) -> Option<i64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; fields resume after ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split(' ').nth(index - 3)?.parse().ok()
}

fn process_gone(pid: u32) -> bool {
    // A zombie is as gone as a process gets until its parent reaps it.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat[stat.rfind(')').unwrap() + 2..].starts_with('Z'),
    }
}

#[test]
fn a_session_starts_in_its_directory_with_its_environment_and_is_read_as_plain_text() {
    let f = fixture();
    let work = f.dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let spec = sh(
        "web-1",
        &work,
        "echo ready:$AO_SESSION; echo cwd:$(pwd); echo term:$TERM; \
         printf '\\033[1;32mgreen\\033[0m text\\n'; exec cat",
    );
    f.runtime.create(&spec).unwrap();
    assert_eq!(f.runtime.kind(), "process");
    assert!(f.runtime.is_alive("web-1"));
    assert_eq!(
        f.runtime.sessions().unwrap(),
        [("web-1".to_string(), Liveness::Running)].into()
    );
    let screen = wait_for(&f.runtime, "web-1", "green text");
    assert!(screen.contains("ready:web-1"), "{screen}");
    assert!(
        screen.contains(&format!("cwd:{}", work.canonicalize().unwrap().display())),
        "{screen}"
    );
    assert!(screen.contains("term:xterm-256color"), "{screen}");
    assert!(!screen.contains('\x1b'), "escape codes in {screen:?}");
}

#[test]
fn short_text_is_typed_and_long_text_is_pasted() {
    let f = fixture();
    f.runtime
        .create(&echo_agent("web-1", f.dir.path()))
        .unwrap();
    wait_for(&f.runtime, "web-1", "ready");
    f.runtime.send_text("web-1", "hello agent").unwrap();
    wait_for(&f.runtime, "web-1", "got: hello agent");

    let long = format!("first line\nsecond {}\nthird line", "x".repeat(300));
    f.runtime.send_text("web-1", &long).unwrap();
    let screen = wait_for(&f.runtime, "web-1", "got: third line");
    for line in ["got: first line", "got: second xxx", "got: third line"] {
        assert!(screen.contains(line), "missing {line:?} in:\n{screen}");
    }
    // A 300-column line wraps on a 200-column screen; captures join it.
    assert!(
        screen.contains(&format!("got: second {}", "x".repeat(300))),
        "{screen}"
    );
}

#[test]
fn multi_line_text_arrives_as_one_bracketed_paste_when_the_program_asks_for_it() {
    let f = fixture();
    // Turns bracketed paste on, then shows each line read with control
    // characters made visible (ESC as ^[).
    let spec = sh(
        "paste-1",
        f.dir.path(),
        "printf '\\033[?2004h'; echo ready; \
         while IFS= read -r line; do printf 'got: %s\\n' \"$line\" | cat -v; done",
    );
    f.runtime.create(&spec).unwrap();
    wait_for(&f.runtime, "paste-1", "ready");
    f.runtime
        .send_text("paste-1", "first line\nsecond line")
        .unwrap();
    let screen = wait_for(&f.runtime, "paste-1", "got: second line");
    assert!(screen.contains("got: ^[[200~first line\n"), "{screen}");
    assert!(screen.contains("got: second line^[[201~\n"), "{screen}");

    f.runtime.send_text("paste-1", "short").unwrap();
    let screen = wait_for(&f.runtime, "paste-1", "got: short");
    assert!(
        screen.contains("got: short\n"),
        "typed, not pasted: {screen}"
    );
}

#[test]
fn all_screens_are_captured_and_missing_sessions_left_out() {
    let f = fixture();
    for name in ["t-1", "t-2", "t-3"] {
        f.runtime.create(&echo_agent(name, f.dir.path())).unwrap();
    }
    for name in ["t-1", "t-2", "t-3"] {
        wait_for(&f.runtime, name, &format!("ready:{name}"));
    }
    let wanted: Vec<String> = ["t-1", "t-2", "gone", "t-3"].map(String::from).into();
    let screens = f.runtime.capture_all(&wanted, 50).unwrap();
    assert_eq!(
        screens.keys().collect::<Vec<_>>(),
        ["t-1", "t-2", "t-3"],
        "{screens:?}"
    );
    for (name, screen) in &screens {
        assert!(
            screen.contains(&format!("ready:{name}")),
            "{name}: {screen}"
        );
    }
    assert!(f.runtime.capture_all(&[], 50).unwrap().is_empty());
}

#[test]
fn a_program_that_exits_keeps_its_last_screen_and_exit_code() {
    let f = fixture();
    f.runtime
        .create(&sh("done-1", f.dir.path(), "echo last words; exit 3"))
        .unwrap();
    poll("the program to exit", || {
        (f.runtime.sessions().unwrap().get("done-1") == Some(&Liveness::Exited)).then_some(())
    });
    assert!(!f.runtime.is_alive("done-1"));
    let screen = f.runtime.capture("done-1", 50).unwrap();
    assert!(screen.contains("last words"), "{screen}");
    let status = f.runtime.status("done-1").unwrap();
    assert_eq!((status.running, status.exit_code), (false, Some(3)));
    let err = f.runtime.send_text("done-1", "anyone?").unwrap_err();
    assert!(err.to_string().contains("exited"), "{err}");
}

#[test]
fn kill_ends_exactly_the_named_session_and_its_program() {
    let f = fixture();
    for name in ["t-1", "t-10"] {
        f.runtime.create(&echo_agent(name, f.dir.path())).unwrap();
    }
    let status = f.runtime.status("t-1").unwrap();
    f.runtime.kill("t-1").unwrap();
    assert_eq!(names(&f.runtime), ["t-10"]);
    assert!(f.runtime.is_alive("t-10"));
    poll("the program to end", || {
        (process_gone(status.pid) && process_gone(status.supervisor_pid)).then_some(())
    });
    assert!(!f.runtime.socket("t-1").exists());
    assert!(matches!(f.runtime.kill("t-1"), Err(RuntimeError::NoSession(n)) if n == "t-1"));
    assert!(matches!(
        f.runtime.capture("t-1", 10),
        Err(RuntimeError::NoSession(_))
    ));
    assert!(matches!(
        f.runtime.send_text("t-1", "x"),
        Err(RuntimeError::NoSession(_))
    ));
}

#[test]
fn a_restarted_daemon_re_adopts_the_sessions_it_finds() {
    let f = fixture();
    let rt_dir = f.runtime.dir().to_path_buf();
    {
        let first = runtime_on(&rt_dir);
        first.create(&echo_agent("web-1", f.dir.path())).unwrap();
        wait_for(&first, "web-1", "ready:web-1");
    }
    // A new runtime value on the same directory, as after a daemon restart.
    let second = runtime_on(&rt_dir);
    assert_eq!(
        second.sessions().unwrap(),
        [("web-1".to_string(), Liveness::Running)].into()
    );
    second.send_text("web-1", "still there?").unwrap();
    wait_for(&second, "web-1", "got: still there?");

    // The supervisor leads a session of its own: nothing aimed at its
    // creator's session or process group reaches it.
    let status = second.status("web-1").unwrap();
    let supervisor = i64::from(status.supervisor_pid);
    assert_eq!(stat_field(status.supervisor_pid, 6), Some(supervisor));
    assert_eq!(stat_field(status.supervisor_pid, 5), Some(supervisor));
    // The program leads one too, with the PTY as its controlling terminal.
    let program = i64::from(status.pid);
    assert_eq!(stat_field(status.pid, 6), Some(program));
    assert_ne!(
        stat_field(status.pid, 7),
        Some(0),
        "no controlling terminal"
    );

    second.kill("web-1").unwrap();
    assert!(names(&second).is_empty());
}

/// Run by [`a_session_survives_the_process_that_created_it`] in a child
/// process; does nothing in a normal test run.
#[test]
fn helper_creates_a_session_and_exits() {
    let Ok(dir) = std::env::var("AO_TEST_CREATE_IN") else {
        return;
    };
    let dir = PathBuf::from(dir);
    runtime_on(&dir.join("rt"))
        .create(&echo_agent("orphan", &dir))
        .unwrap();
}

#[test]
fn a_session_survives_the_process_that_created_it() {
    let f = fixture();
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["helper_creates_a_session_and_exits", "--exact", "--quiet"])
        .env("AO_TEST_CREATE_IN", f.dir.path())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    // The creator is gone; the session is not.
    assert_eq!(
        f.runtime.sessions().unwrap(),
        [("orphan".to_string(), Liveness::Running)].into()
    );
    let supervisor = f.runtime.status("orphan").unwrap().supervisor_pid;
    assert_ne!(
        stat_field(supervisor, 4),
        Some(i64::from(std::process::id())),
        "the supervisor should not be this test's child"
    );
    wait_for(&f.runtime, "orphan", "ready:orphan");
    f.runtime.send_text("orphan", "hello orphan").unwrap();
    wait_for(&f.runtime, "orphan", "got: hello orphan");
}

#[test]
fn a_dead_supervisors_socket_is_cleaned_up_as_stale() {
    let f = fixture();
    f.runtime
        .create(&echo_agent("web-1", f.dir.path()))
        .unwrap();
    f.runtime
        .create(&echo_agent("web-2", f.dir.path()))
        .unwrap();
    let status = f.runtime.status("web-1").unwrap();
    for pid in [status.supervisor_pid, status.pid] {
        let pid = rustix::process::Pid::from_raw(pid as i32).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::KILL).unwrap();
    }
    assert!(f.runtime.socket("web-1").exists());
    poll("the stale session to be left out", || {
        (names(&f.runtime) == ["web-2"]).then_some(())
    });
    assert!(!f.runtime.socket("web-1").exists());
    assert!(!f.runtime.dir().join("web-1.json").exists());
    assert!(matches!(
        f.runtime.capture("web-1", 10),
        Err(RuntimeError::NoSession(_))
    ));
    // The name is free again.
    f.runtime
        .create(&echo_agent("web-1", f.dir.path()))
        .unwrap();
    wait_for(&f.runtime, "web-1", "ready:web-1");
}

/// Reads `stream` until `needle` shows (as raw terminal output).
fn read_until(stream: &mut impl Read, seen: &mut String, needle: &str) {
    let deadline = Instant::now() + DEADLINE;
    let mut buf = [0u8; 4096];
    while !seen.contains(needle) {
        assert!(Instant::now() < deadline, "no {needle:?} in {seen:?}");
        match stream.read(&mut buf) {
            Ok(0) => panic!("stream closed before {needle:?}: {seen:?}"),
            Ok(n) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn attached_viewers_get_a_redraw_then_live_output_and_can_type() {
    let f = fixture();
    let spec = sh(
        "view-1",
        f.dir.path(),
        "echo ready; while IFS= read -r line; do echo \"got: $line size: $(stty size)\"; done",
    );
    f.runtime.create(&spec).unwrap();
    wait_for(&f.runtime, "view-1", "ready");
    f.runtime.send_text("view-1", "before").unwrap();
    wait_for(&f.runtime, "view-1", "got: before size: 50 200");

    let mut first = f.runtime.connect("view-1").unwrap().attach(None).unwrap();
    let mut second = f
        .runtime
        .connect("view-1")
        .unwrap()
        .attach(Some((100, 30)))
        .unwrap();
    for viewer in [&first, &second] {
        let timeout = Some(Duration::from_millis(200));
        viewer.output.get_ref().set_read_timeout(timeout).unwrap();
    }
    let (mut seen_first, mut seen_second) = (String::new(), String::new());
    // The redraw shows what was on screen before attaching.
    read_until(&mut first.output, &mut seen_first, "got: before");
    read_until(&mut second.output, &mut seen_second, "got: before");

    first.input.write_all(b"from a viewer\r").unwrap();
    // Both viewers see it, at the size the second one asked for.
    read_until(
        &mut first.output,
        &mut seen_first,
        "got: from a viewer size: 30 100",
    );
    read_until(
        &mut second.output,
        &mut seen_second,
        "got: from a viewer size: 30 100",
    );
    // Detaching leaves the session running, back at its own size.
    drop(first);
    drop(second);
    poll("the launch size to return", || {
        let status = f.runtime.status("view-1").unwrap();
        ((status.cols, status.rows) == (200, 50)).then_some(())
    });
    f.runtime.send_text("view-1", "after").unwrap();
    wait_for(&f.runtime, "view-1", "got: after size: 50 200");
}

#[test]
fn the_attach_client_drives_a_real_terminal_in_raw_mode_and_follows_its_size() {
    let f = fixture();
    f.runtime
        .create(&echo_agent("inner", f.dir.path()))
        .unwrap();
    wait_for(&f.runtime, "inner", "ready:inner");
    // The person's terminal is another session, running the attach client.
    let person = LaunchSpec {
        name: "outer".into(),
        cwd: f.dir.path().to_path_buf(),
        argv: f.runtime.attach_command("inner"),
        env: Vec::new(),
    };
    f.runtime.create(&person).unwrap();
    wait_for(&f.runtime, "outer", "ready:inner");

    // Raw mode: keys go through at once, without waiting for Enter...
    let mut keyboard = f.runtime.connect("outer").unwrap();
    keyboard.write("abc").unwrap();
    wait_for(&f.runtime, "inner", "abc");
    keyboard.write("\r").unwrap();
    wait_for(&f.runtime, "inner", "got: abc");
    wait_for(&f.runtime, "outer", "got: abc");

    // ...the inner terminal follows the outer one's size...
    keyboard.resize(120, 40).unwrap();
    poll("the size to follow", || {
        let status = f.runtime.status("inner").unwrap();
        ((status.cols, status.rows) == (120, 40)).then_some(())
    });

    // ...and Ctrl-] (no Enter) detaches, leaving the session running.
    keyboard.write("\x1d").unwrap();
    poll("the attach client to exit", || {
        (f.runtime.sessions().unwrap().get("outer") == Some(&Liveness::Exited)).then_some(())
    });
    assert_eq!(f.runtime.status("outer").unwrap().exit_code, Some(0));
    let screen = f.runtime.capture("outer", 50).unwrap();
    assert!(screen.contains("detached from `inner`"), "{screen}");
    assert!(f.runtime.is_alive("inner"));
}

#[test]
fn the_attach_command_relays_a_terminal_until_ctrl_close_bracket() {
    let f = fixture();
    f.runtime
        .create(&echo_agent("web-1", f.dir.path()))
        .unwrap();
    wait_for(&f.runtime, "web-1", "ready:web-1");
    let command = f.runtime.attach_command("web-1");
    assert_eq!(command[1], "attach");
    assert_eq!(command[2], f.runtime.socket("web-1").to_string_lossy());
    let mut client = Command::new(&command[0])
        .args(&command[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let seen = Arc::new(Mutex::new(String::new()));
    let mut stdout = client.stdout.take().unwrap();
    let sink = Arc::clone(&seen);
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let mut stdin = client.stdin.take().unwrap();
    stdin.write_all(b"typed by a person\r").unwrap();
    poll("the echo through the attach client", || {
        seen.lock()
            .unwrap()
            .contains("got: typed by a person")
            .then_some(())
    });
    stdin.write_all(&[0x1d]).unwrap();
    let exit = poll("the attach client to detach", || client.try_wait().unwrap());
    assert!(exit.success());
    let mut hints = String::new();
    client
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut hints)
        .unwrap();
    assert!(hints.contains("Ctrl-]"), "{hints}");
    assert!(hints.contains("detached"), "{hints}");
    assert!(f.runtime.is_alive("web-1"));
}

#[test]
fn create_refuses_a_taken_name_and_says_why_a_program_cannot_start() {
    let f = fixture();
    f.runtime.create(&echo_agent("t-1", f.dir.path())).unwrap();
    let err = f
        .runtime
        .create(&echo_agent("t-1", f.dir.path()))
        .unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");

    let mut missing = echo_agent("t-2", f.dir.path());
    missing.argv = vec!["ao-no-such-program".into()];
    let err = f.runtime.create(&missing).unwrap_err();
    assert!(matches!(&err, RuntimeError::Process { name, .. } if name == "t-2"));
    let message = err.to_string();
    assert!(
        message.contains("ao-no-such-program") && message.contains("not found"),
        "{message}"
    );

    let nowhere = echo_agent("t-3", &f.dir.path().join("nowhere"));
    let err = f.runtime.create(&nowhere).unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");

    assert_eq!(names(&f.runtime), ["t-1"]);
    assert!(!f.runtime.socket("t-2").exists());
    assert!(f.runtime.create(&echo_agent("a/b", f.dir.path())).is_err());

    let deep = runtime_on(&f.dir.path().join("d".repeat(100)));
    let err = deep.create(&echo_agent("t-4", f.dir.path())).unwrap_err();
    assert!(
        err.to_string().contains("shorter runtime directory"),
        "{err}"
    );
}
