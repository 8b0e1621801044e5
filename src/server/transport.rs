//! The Language Server Protocol's framing over standard input and output: `Content-Length`
//! headers, then a JSON-RPC message. Read here rather than by `lsp-server`'s own stdio reader,
//! which ends the connection at the first malformed header or payload: a client's mistake is
//! answered with a JSON-RPC error and the server reads on.

use std::io::{self, BufRead, Read, Write};

use crossbeam_channel::{Receiver, Sender, select};
use lsp_server::{Connection, ErrorCode, Message};
use serde_json::{Value, json};

/// Largest message accepted; a larger one is read past and answered with an error.
const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;
/// Longest header line; the rest of a longer one is read past.
const MAX_HEADER_BYTES: u64 = 8 * 1024;

/// The reader and writer threads behind a [`Connection`] on standard input and output.
pub struct Stdio {
    reader: std::thread::JoinHandle<()>,
    writer: std::thread::JoinHandle<()>,
}

impl Stdio {
    /// Waits for the writer to flush what was sent; the reader ends with standard input.
    pub fn join(self) {
        let _ = self.writer.join();
        drop(self.reader);
    }
}

/// A connection over standard input and output.
pub fn stdio() -> (Connection, Stdio) {
    let (to_writer, from_server) = crossbeam_channel::unbounded::<Message>();
    let (to_server, from_reader) = crossbeam_channel::unbounded::<Message>();
    let (errors, error_replies) = crossbeam_channel::unbounded::<Value>();
    let reader = std::thread::spawn(move || {
        let stdin = io::stdin();
        read_messages(&mut stdin.lock(), &to_server, &errors);
    });
    let writer = std::thread::spawn(move || {
        let stdout = io::stdout();
        write_messages(&mut stdout.lock(), &from_server, &error_replies);
    });
    let connection = Connection {
        sender: to_writer,
        receiver: from_reader,
    };
    (connection, Stdio { reader, writer })
}

/// Reads messages until the input ends or the server stops listening. Malformed ones are
/// answered on `errors` (a JSON-RPC error object, written as it is).
pub fn read_messages(input: &mut impl BufRead, messages: &Sender<Message>, errors: &Sender<Value>) {
    loop {
        let frame = match read_frame(input) {
            Ok(Some(frame)) => frame,
            Ok(None) => return,
            Err(Frame::Closed) => return,
            Err(Frame::Malformed(why)) => {
                if errors
                    .send(error_reply(Value::Null, ErrorCode::ParseError, &why))
                    .is_err()
                {
                    return;
                }
                continue;
            }
        };
        let sent = match parse(&frame) {
            Ok(message) => messages.send(message).is_ok(),
            Err(reply) => errors.send(reply).is_ok(),
        };
        if !sent {
            return;
        }
    }
}

/// Writes every message the server sends, and the error replies of the reader, until both
/// channels close.
pub fn write_messages(
    output: &mut impl Write,
    messages: &Receiver<Message>,
    errors: &Receiver<Value>,
) {
    let mut errors_open = true;
    loop {
        let written = if errors_open {
            select! {
                recv(messages) -> m => match m {
                    Ok(m) => m.write(output),
                    Err(_) => return,
                },
                recv(errors) -> e => match e {
                    Ok(e) => write_value(output, &e),
                    Err(_) => {
                        errors_open = false;
                        Ok(())
                    }
                },
            }
        } else {
            match messages.recv() {
                Ok(m) => m.write(output),
                Err(_) => return,
            }
        };
        if written.is_err() {
            return;
        }
    }
}

fn write_value(output: &mut impl Write, value: &Value) -> io::Result<()> {
    let text = value.to_string();
    write!(output, "Content-Length: {}\r\n\r\n{text}", text.len())?;
    output.flush()
}

enum Frame {
    /// The input failed or ended inside a message: nothing more can be read.
    Closed,
    Malformed(String),
}

/// One framed payload; `None` at the end of the input. A malformed frame has been read past,
/// so the next read starts at the next message.
fn read_frame(input: &mut impl BufRead) -> Result<Option<Vec<u8>>, Frame> {
    let mut length: Option<Result<usize, String>> = None;
    let mut problem: Option<String> = None;
    let mut lines = 0;
    loop {
        let mut line = Vec::new();
        let read = input
            .by_ref()
            .take(MAX_HEADER_BYTES)
            .read_until(b'\n', &mut line)
            .map_err(|_| Frame::Closed)?;
        if read == 0 {
            return if lines == 0 {
                Ok(None)
            } else {
                Err(Frame::Closed)
            };
        }
        lines += 1;
        if !line.ends_with(b"\n") {
            skip_line(input).map_err(|_| Frame::Closed)?;
            problem.get_or_insert_with(|| "header line too long".to_string());
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if lines == 1 {
                // A stray blank line between messages.
                lines = 0;
                continue;
            }
            break;
        }
        let Some((name, value)) = text.split_once(':') else {
            problem.get_or_insert_with(|| format!("malformed header {text:?}"));
            continue;
        };
        if name.trim().eq_ignore_ascii_case("Content-Length") {
            length = Some(
                value
                    .trim()
                    .parse::<usize>()
                    .map_err(|_| format!("invalid Content-Length {:?}", value.trim())),
            );
        }
    }
    let length = match length {
        None => return Err(Frame::Malformed("no Content-Length header".into())),
        Some(Err(why)) => return Err(Frame::Malformed(why)),
        Some(Ok(n)) => n,
    };
    if length > MAX_MESSAGE_BYTES {
        io::copy(&mut input.by_ref().take(length as u64), &mut io::sink())
            .map_err(|_| Frame::Closed)?;
        return Err(Frame::Malformed(format!(
            "message of {length} bytes is larger than {MAX_MESSAGE_BYTES}"
        )));
    }
    let mut payload = vec![0; length];
    input.read_exact(&mut payload).map_err(|_| Frame::Closed)?;
    match problem {
        Some(why) => Err(Frame::Malformed(why)),
        None => Ok(Some(payload)),
    }
}

fn skip_line(input: &mut impl BufRead) -> io::Result<()> {
    loop {
        let buffer = input.fill_buf()?;
        if buffer.is_empty() {
            return Ok(());
        }
        match memchr::memchr(b'\n', buffer) {
            Some(i) => {
                input.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buffer.len();
                input.consume(n);
            }
        }
    }
}

/// A payload as a message, or the JSON-RPC error that answers it: parse error for what is not
/// JSON, invalid request for JSON that is no request, response or notification (answered with
/// its `id` when it has one).
fn parse(payload: &[u8]) -> Result<Message, Value> {
    let value: Value = serde_json::from_slice(payload).map_err(|e| {
        error_reply(
            Value::Null,
            ErrorCode::ParseError,
            &format!("not JSON: {e}"),
        )
    })?;
    let id = value.get("id").cloned().unwrap_or(Value::Null);
    serde_json::from_value(value).map_err(|e| {
        error_reply(
            id,
            ErrorCode::InvalidRequest,
            &format!("not a JSON-RPC request, response or notification: {e}"),
        )
    })
}

fn error_reply(id: Value, code: ErrorCode, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code as i32, "message": message}})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    /// What the reader makes of `input`: the methods of the messages, and the error codes of
    /// the replies, in order.
    fn read_all(input: &str) -> (Vec<String>, Vec<i64>) {
        let (messages, got_messages) = crossbeam_channel::unbounded();
        let (errors, got_errors) = crossbeam_channel::unbounded();
        read_messages(&mut input.as_bytes(), &messages, &errors);
        let methods = got_messages
            .try_iter()
            .map(|m| match m {
                Message::Request(r) => r.method,
                Message::Notification(n) => n.method,
                Message::Response(r) => format!("response {}", r.id),
            })
            .collect();
        let codes = got_errors
            .try_iter()
            .map(|e| e["error"]["code"].as_i64().unwrap_or(0))
            .collect();
        (methods, codes)
    }

    #[test]
    fn reads_on_after_malformed_frames() {
        let good = frame(r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#);
        let input = [
            "X-Nonsense\r\n\r\n".to_string(),
            frame("{not json"),
            frame(r#"{"jsonrpc":"2.0","id":7}"#),
            "Content-Length: seven\r\n\r\n".to_string(),
            frame(r#"{"jsonrpc":"2.0","method":"exit"}"#),
            good,
        ]
        .concat();
        let (methods, codes) = read_all(&input);
        assert_eq!(methods, ["exit", "shutdown"]);
        let parse = ErrorCode::ParseError as i64;
        let invalid = ErrorCode::InvalidRequest as i64;
        assert_eq!(codes, [parse, parse, invalid, parse]);
    }

    #[test]
    fn a_truncated_message_ends_the_input_without_panic() {
        let (methods, codes) = read_all("Content-Length: 50\r\n\r\n{\"jsonrpc\"");
        assert!(methods.is_empty() && codes.is_empty());
    }

    #[test]
    fn an_oversized_message_is_read_past() {
        let input = format!(
            "Content-Length: {}\r\n\r\n{}",
            MAX_MESSAGE_BYTES + 1,
            " ".repeat(MAX_MESSAGE_BYTES + 1)
        ) + &frame(r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#);
        let (methods, codes) = read_all(&input);
        assert_eq!(methods, ["initialized"]);
        assert_eq!(codes, [ErrorCode::ParseError as i64]);
    }
}
