//! The live terminal: a WebSocket per viewer, bridged to a PTY that runs the
//! session's own attach command (`tmux -L <socket> attach-session -t <id>`,
//! or the process runtime's `ao runtime-supervisor attach <socket>`), the
//! same one `ao session attach` runs. Each viewer is one more client of the
//! session, so several can watch and type at once.
//!
//! Protocol: the server sends the terminal's output as binary frames; the
//! client sends text frames `{"t":"i","d":"<keys>"}` (input) and
//! `{"t":"r","c":<cols>,"r":<rows>}` (resize).

use super::{ApiError, ApiResult, Dashboard, check_id};
use ao_core::state::Store;
use ao_runtime::process::{protocol::Launch, pty};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::io::{Read, Write};
use tokio::sync::mpsc;

#[derive(Debug, serde::Deserialize)]
pub struct Size {
    #[serde(default = "default_cols")]
    cols: u16,
    #[serde(default = "default_rows")]
    rows: u16,
}

fn default_cols() -> u16 {
    120
}

fn default_rows() -> u16 {
    32
}

#[derive(Debug, serde::Deserialize)]
#[serde(tag = "t")]
enum ClientMessage {
    #[serde(rename = "i")]
    Input { d: String },
    #[serde(rename = "r")]
    Resize { c: u16, r: u16 },
}

enum ToPty {
    Input(Vec<u8>),
    Resize(u16, u16),
}

/// `GET /api/sessions/{id}/terminal` (WebSocket).
pub async fn upgrade(
    State(d): State<Dashboard>,
    Path(id): Path<String>,
    Query(size): Query<Size>,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    check_id(&id)?;
    let data = d.data.clone();
    let paths = d.site.paths.clone();
    let lookup = id.clone();
    let argv = tokio::task::spawn_blocking(move || -> ApiResult<Vec<String>> {
        let store = Store::open(&data).map_err(super::board::internal)?;
        let session = store
            .session(&lookup)
            .map_err(|e| ApiError(StatusCode::NOT_FOUND, e.to_string()))?;
        if session.is_terminal() {
            return Err(ApiError(
                StatusCode::GONE,
                format!("{lookup} has ended ({})", session.status),
            ));
        }
        let runtimes = crate::commands::session::runtimes(&paths);
        let runtime = runtimes
            .of(&session)
            .map_err(|e| ApiError(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
        Ok(runtime.attach_command(&session.id))
    })
    .await
    .map_err(super::board::internal)??;
    let (cols, rows) = (size.cols.clamp(10, 500), size.rows.clamp(5, 200));
    let (master, child) = open(&argv, cols, rows).map_err(|e| {
        ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("cannot attach to {id}: {e}"),
        )
    })?;
    let closing = d.closing.clone();
    Ok(ws.on_upgrade(move |socket| bridge(socket, master, child, closing)))
}

/// Starts `argv` on a new PTY of `cols` x `rows`.
fn open(
    argv: &[String],
    cols: u16,
    rows: u16,
) -> Result<(std::fs::File, std::process::Child), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let pty = pty::open(cols, rows).map_err(|e| format!("cannot open a PTY: {e}"))?;
    let launch = Launch {
        dir: std::env::temp_dir(),
        name: String::new(),
        cwd: std::env::temp_dir(),
        argv: argv.to_vec(),
        env: Vec::new(),
        cols,
        rows,
        scrollback: 0,
        // The exec step that makes the PTY the program's terminal.
        supervisor: vec![
            exe.display().to_string(),
            crate::SUPERVISOR_COMMAND.to_string(),
        ],
    };
    pty::spawn(pty, &launch)
}

async fn bridge(
    mut socket: WebSocket,
    master: std::fs::File,
    mut child: std::process::Child,
    mut closing: tokio::sync::watch::Receiver<bool>,
) {
    let (out_tx, mut out_rx) = mpsc::channel::<Vec<u8>>(64);
    let (in_tx, in_rx) = std::sync::mpsc::channel::<ToPty>();
    let (Ok(mut reader), writer) = (master.try_clone(), master) else {
        let _ = child.kill();
        return;
    };
    // PTY reads and writes block: each side gets a thread.
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if out_tx.blocking_send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    std::thread::spawn(move || {
        let mut writer = writer;
        for message in in_rx {
            let ok = match message {
                ToPty::Input(bytes) => writer.write_all(&bytes).is_ok(),
                ToPty::Resize(cols, rows) => pty::resize(&writer, cols, rows).is_ok(),
            };
            if !ok {
                break;
            }
        }
    });
    // A ping now and then finds viewers that are gone (a half-open
    // connection fails the write) even while the terminal is quiet.
    let mut ping = tokio::time::interval(std::time::Duration::from_secs(20));
    loop {
        tokio::select! {
            _ = closing.changed() => {
                let _ = socket.send(Message::Close(None)).await;
                break;
            }
            _ = ping.tick() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
            }
            output = out_rx.recv() => match output {
                Some(bytes) => {
                    if socket.send(Message::Binary(bytes.into())).await.is_err() {
                        break;
                    }
                }
                None => {
                    // The attach client ended (the session ended or detached).
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                }
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let message = match serde_json::from_str::<ClientMessage>(&text) {
                        Ok(ClientMessage::Input { d }) => ToPty::Input(d.into_bytes()),
                        Ok(ClientMessage::Resize { c, r }) => {
                            ToPty::Resize(c.clamp(10, 500), r.clamp(5, 200))
                        }
                        Err(_) => continue,
                    };
                    if in_tx.send(message).is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Binary(bytes))) => {
                    if in_tx.send(ToPty::Input(bytes.to_vec())).is_err() {
                        break;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            },
        }
    }
    // The viewer left: end its attach client (the session keeps running).
    drop(in_tx);
    let _ = child.kill();
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
}
