//! A session's terminal as the supervisor sees it: a `vt100` emulator fed
//! with everything the program writes, read back as plain text (like
//! `tmux capture-pane -p -J`) or as escape codes that redraw it elsewhere.
//!
//! Like any terminal it answers the program's questions about itself (cursor
//! position, device attributes): TUIs such as crossterm-based agents wait for
//! those answers at startup. While a viewer is attached its own terminal
//! answers instead, so the program does not get two.

use std::num::NonZeroU16;

/// The emulated terminal of one session.
pub struct Screen {
    parser: vt100::Parser<Answers>,
}

/// Collects the terminal's answers to queries found in program output.
#[derive(Default)]
struct Answers {
    enabled: bool,
    pending: Vec<u8>,
}

impl vt100::Callbacks for Answers {
    fn unhandled_csi(
        &mut self,
        screen: &mut vt100::Screen,
        i1: Option<u8>,
        _i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        if !self.enabled {
            return;
        }
        let first = params.first().and_then(|p| p.first()).copied();
        match (i1, c, first) {
            // Device status report: "OK".
            (None, 'n', Some(5)) => self.pending.extend_from_slice(b"\x1b[0n"),
            // Cursor position report, 1-based.
            (None, 'n', Some(6)) => {
                let (row, col) = screen.cursor_position();
                let answer = format!("\x1b[{};{}R", row + 1, col + 1);
                self.pending.extend_from_slice(answer.as_bytes());
            }
            // Primary device attributes: a VT220-class terminal.
            (None, 'c', None | Some(0)) => self.pending.extend_from_slice(b"\x1b[?62;22c"),
            // Secondary device attributes.
            (Some(b'>'), 'c', None | Some(0)) => {
                self.pending.extend_from_slice(b"\x1b[>1;10;0c");
            }
            _ => {}
        }
    }
}

fn non_zero(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).unwrap_or(NonZeroU16::MIN)
}

impl Screen {
    /// A blank `cols` x `rows` terminal keeping `scrollback` lines of history.
    pub fn new(cols: u16, rows: u16, scrollback: usize) -> Screen {
        Screen {
            parser: vt100::Parser::new_with_callbacks(
                non_zero(rows),
                non_zero(cols),
                scrollback,
                Answers {
                    enabled: true,
                    pending: Vec::new(),
                },
            ),
        }
    }

    /// Feeds program output; returns what the terminal answers the program
    /// (to be written to its input), if `answer` is on.
    pub fn process(&mut self, bytes: &[u8], answer: bool) -> Vec<u8> {
        self.parser.callbacks_mut().enabled = answer;
        self.parser.process(bytes);
        std::mem::take(&mut self.parser.callbacks_mut().pending)
    }

    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.parser.set_size(non_zero(rows), non_zero(cols));
    }

    /// (cols, rows).
    pub fn size(&self) -> (u16, u16) {
        let (rows, cols) = self.parser.screen().size();
        (cols.get(), rows.get())
    }

    /// Whether the program asked for bracketed paste (`ESC[?2004h`).
    pub fn bracketed_paste(&self) -> bool {
        self.parser.screen().bracketed_paste()
    }

    /// Escape codes that paint the current screen, cursor and input modes on
    /// a fresh terminal (what an attaching viewer is sent first).
    pub fn redraw(&self) -> Vec<u8> {
        self.parser.screen().state_formatted().into_bytes()
    }

    /// The last `lines` lines of history and screen as plain text: rows the
    /// terminal wrapped are joined back into one line, blank rows below the
    /// last text are left out, and each line ends with `\n`.
    pub fn text(&mut self, lines: u32) -> String {
        let wanted = usize::try_from(lines).unwrap_or(usize::MAX);
        let screen = self.parser.screen_mut();
        let (rows, cols) = screen.size();
        let rows = usize::from(rows.get());
        let cols = cols.get();
        let mut physical: Vec<(String, bool)> = Vec::new();
        // vt100 shows history through a scrolled view one screenful at a
        // time: page from the oldest wanted row down to the live screen.
        let mut offset = wanted.min(screen.scrollback_len());
        while offset > 0 {
            screen.set_scrollback(offset);
            let take = offset.min(rows);
            let texts: Vec<String> = screen.rows(0, cols).take(take).collect();
            for (i, text) in texts.into_iter().enumerate() {
                let wrapped = u16::try_from(i).is_ok_and(|i| screen.row_wrapped(i));
                physical.push((text, wrapped));
            }
            offset -= take;
        }
        screen.set_scrollback(0);
        let texts: Vec<String> = screen.rows(0, cols).collect();
        for (i, text) in texts.into_iter().enumerate() {
            let wrapped = u16::try_from(i).is_ok_and(|i| screen.row_wrapped(i));
            physical.push((text, wrapped));
        }

        let mut logical: Vec<String> = Vec::new();
        let mut current = String::new();
        for (text, wrapped) in physical {
            current.push_str(&text);
            if !wrapped {
                logical.push(std::mem::take(&mut current));
            }
        }
        if !current.is_empty() {
            logical.push(current);
        }
        while logical.last().is_some_and(|l| l.trim().is_empty()) {
            logical.pop();
        }
        let start = logical.len().saturating_sub(wanted);
        logical[start..]
            .iter()
            .map(|line| format!("{}\n", line.trim_end()))
            .collect()
    }
}

/// The bytes a terminal sends when `text` is pasted: line breaks become
/// carriage returns (what Enter sends), and the whole is wrapped in
/// bracketed-paste markers if the program asked for them, so it sees one
/// paste rather than many Enters (tmux's `paste-buffer -p` semantics).
pub fn paste_bytes(text: &str, bracketed: bool) -> Vec<u8> {
    let body = text.replace("\r\n", "\r").replace('\n', "\r");
    if bracketed {
        format!("\x1b[200~{body}\x1b[201~").into_bytes()
    } else {
        body.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Screen {
        fn process_all(&mut self, bytes: &[u8]) {
            self.process(bytes, false);
        }
    }

    #[test]
    fn queries_are_answered_when_asked_to() {
        let mut screen = Screen::new(20, 5, 100);
        assert_eq!(screen.process(b"ab\x1b[6n", true), b"\x1b[1;3R");
        assert_eq!(
            screen.process(b"\x1b[c\x1b[5n", true),
            b"\x1b[?62;22c\x1b[0n"
        );
        assert_eq!(screen.process(b"\x1b[6n", false), b"");
        assert_eq!(screen.text(5), "ab\n");
    }

    #[test]
    fn text_is_plain_and_trailing_blank_rows_are_dropped() {
        let mut screen = Screen::new(20, 5, 100);
        screen.process_all(b"\x1b[1;31mred\x1b[0m plain\r\nsecond\r\n");
        assert_eq!(screen.text(10), "red plain\nsecond\n");
    }

    #[test]
    fn wrapped_rows_are_joined() {
        let mut screen = Screen::new(10, 5, 100);
        screen.process_all(b"0123456789abcdef\r\nnext");
        assert_eq!(screen.text(10), "0123456789abcdef\nnext\n");
    }

    #[test]
    fn history_is_read_across_several_screens() {
        let mut screen = Screen::new(20, 4, 100);
        for i in 0..30 {
            screen.process_all(format!("line {i}\r\n").as_bytes());
        }
        let text = screen.text(12);
        let expected: String = (18..30).map(|i| format!("line {i}\n")).collect();
        // The blank row under the cursor does not count as a line.
        assert_eq!(text, expected);
        let all = screen.text(1000);
        assert!(all.starts_with("line 0\n"), "{all}");
        assert!(all.ends_with("line 29\n"), "{all}");
        assert_eq!(all.lines().count(), 30);
        // Reading history leaves the live view in place.
        assert_eq!(screen.text(1), "line 29\n");
    }

    #[test]
    fn capturing_zero_lines_is_empty() {
        let mut screen = Screen::new(20, 4, 100);
        screen.process_all(b"hello");
        assert_eq!(screen.text(0), "");
    }

    #[test]
    fn a_redraw_repaints_the_screen_elsewhere() {
        let mut screen = Screen::new(30, 5, 100);
        screen.process_all(b"\x1b[?2004hhello \x1b[1mworld\x1b[0m");
        let mut copy = Screen::new(30, 5, 100);
        copy.process_all(&screen.redraw());
        assert_eq!(copy.text(5), "hello world\n");
        assert!(copy.bracketed_paste());
    }

    #[test]
    fn pastes_use_carriage_returns_and_markers_on_request() {
        assert_eq!(paste_bytes("a\nb\r\nc", false), b"a\rb\rc");
        assert_eq!(paste_bytes("a\nb", true), b"\x1b[200~a\rb\x1b[201~");
    }
}
