//! A real SMTP sink for black-box tests: a small tokio TCP server speaking enough SMTP for
//! lettre (EHLO/HELO, MAIL FROM, RCPT TO, DATA, RSET, NOOP, QUIT) that keeps every message it
//! accepts, with helpers to read a message's headers and its decoded text and HTML parts. It
//! can stop listening and start again on the same port (an SMTP outage).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One accepted message: the envelope and the raw DATA (dot-unstuffed, CRLF line ends).
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

pub struct MailSink {
    port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
    task: JoinHandle<()>,
}

/// A free local port nobody listens on (for a sink that starts later).
pub async fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port()
}

impl MailSink {
    pub async fn start() -> MailSink {
        Self::start_on(0).await
    }

    /// Listens on `port` (0 picks one), retrying briefly while the port is still held.
    pub async fn start_on(port: u16) -> MailSink {
        Self::start_sharing(port, Arc::new(Mutex::new(Vec::new()))).await
    }

    async fn start_sharing(port: u16, mails: Arc<Mutex<Vec<Mail>>>) -> MailSink {
        let mut listener = None;
        for _ in 0..100 {
            match TcpListener::bind(("127.0.0.1", port)).await {
                Ok(l) => {
                    listener = Some(l);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        let listener = listener.expect("SMTP sink binds its port");
        let port = listener.local_addr().unwrap().port();
        let store = mails.clone();
        let task = tokio::spawn(async move {
            let mut sessions = tokio::task::JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                sessions.spawn(session(stream, store.clone()));
            }
        });
        MailSink { port, mails, task }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `smtp_url` that reaches this sink (plain SMTP).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops listening and drops open sessions; the messages stay readable.
    pub async fn stop(self) -> Vec<Mail> {
        let mails = self.mails();
        self.task.abort();
        let _ = self.task.await;
        mails
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    /// Waits (at most ~10 s) until at least `n` messages arrived; returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Mail> {
        for _ in 0..200 {
            let m = self.mails();
            if m.len() >= n {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} mail(s), got {:#?}", self.mails());
    }

    /// Waits (at most ~10 s) for a message one of whose recipients is `to` and whose subject
    /// contains `subject`.
    pub async fn wait_for_mail(&self, to: &str, subject: &str) -> Mail {
        for _ in 0..200 {
            if let Some(m) = self.mails().into_iter().find(|m| m.is_to(to) && m.subject().contains(subject)) {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no mail to {to} about {subject:?}; got {:#?}", self.mails());
    }
}

async fn reply(w: &mut tokio::net::tcp::OwnedWriteHalf, line: &str) -> std::io::Result<()> {
    w.write_all(format!("{line}\r\n").as_bytes()).await
}

fn address(arg: &str) -> String {
    let a = arg.split_once(':').map(|(_, a)| a).unwrap_or(arg).trim();
    let a = a.split_whitespace().next().unwrap_or("");
    a.trim_start_matches('<').trim_end_matches('>').to_string()
}

async fn session(stream: TcpStream, mails: Arc<Mutex<Vec<Mail>>>) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    reply(&mut w, "220 sink ESMTP ready").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_string();
        let verb = cmd.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => {
                reply(&mut w, "250-sink greets you").await?;
                reply(&mut w, "250-8BITMIME").await?;
                reply(&mut w, "250 SMTPUTF8").await?;
            }
            "HELO" => reply(&mut w, "250 sink").await?,
            "MAIL" => {
                from = address(&cmd);
                to.clear();
                reply(&mut w, "250 OK").await?;
            }
            "RCPT" => {
                to.push(address(&cmd));
                reply(&mut w, "250 OK").await?;
            }
            "DATA" => {
                reply(&mut w, "354 End data with <CR><LF>.<CR><LF>").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    let l = line.trim_end_matches(['\r', '\n']);
                    if l == "." {
                        break;
                    }
                    data.push_str(l.strip_prefix('.').unwrap_or(l));
                    data.push_str("\r\n");
                }
                mails.lock().unwrap().push(Mail { from: from.clone(), to: std::mem::take(&mut to), data });
                reply(&mut w, "250 OK queued").await?;
            }
            "RSET" => {
                to.clear();
                reply(&mut w, "250 OK").await?;
            }
            "NOOP" => reply(&mut w, "250 OK").await?,
            "QUIT" => {
                reply(&mut w, "221 Bye").await?;
                return Ok(());
            }
            _ => reply(&mut w, "502 Command not implemented").await?,
        }
    }
}

/// Splits a MIME entity into its unfolded headers and its body.
fn split_entity(s: &str) -> (Vec<(String, String)>, String) {
    let (head, body) = s.split_once("\r\n\r\n").unwrap_or((s, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for l in head.split("\r\n") {
        if l.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.1.push_str(l);
            }
        } else if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    (headers, body.to_string())
}

fn header_of(headers: &[(String, String)], name: &str) -> Option<String> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone())
}

fn quoted_printable(s: &str) -> Vec<u8> {
    let s = s.replace("=\r\n", "");
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            if let Some(v) = std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn decode_body(headers: &[(String, String)], body: &str) -> String {
    let enc = header_of(headers, "Content-Transfer-Encoding").unwrap_or_default().to_ascii_lowercase();
    let bytes = match enc.as_str() {
        "base64" => base64::engine::general_purpose::STANDARD
            .decode(body.split_whitespace().collect::<String>())
            .expect("base64 body"),
        "quoted-printable" => quoted_printable(body),
        _ => body.as_bytes().to_vec(),
    };
    String::from_utf8(bytes).expect("UTF-8 body").replace("\r\n", "\n")
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?...?=`, `=?utf-8?q?...?=`).
fn decode_words(v: &str) -> String {
    let mut out = String::new();
    for (i, word) in v.split(' ').enumerate() {
        let decoded = word.strip_prefix("=?").and_then(|w| w.strip_suffix("?=")).and_then(|w| {
            let mut it = w.splitn(3, '?');
            let (_, enc, text) = (it.next()?, it.next()?, it.next()?);
            let bytes = match enc.to_ascii_lowercase().as_str() {
                "b" => base64::engine::general_purpose::STANDARD.decode(text).ok()?,
                "q" => quoted_printable(&text.replace('_', " ")),
                _ => return None,
            };
            String::from_utf8(bytes).ok()
        });
        match decoded {
            Some(d) => out.push_str(&d),
            None => {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(word);
            }
        }
    }
    out
}

impl Mail {
    pub fn header(&self, name: &str) -> Option<String> {
        header_of(&split_entity(&self.data).0, name).map(|v| decode_words(&v))
    }

    pub fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }

    pub fn is_to(&self, address: &str) -> bool {
        self.to.iter().any(|t| t.eq_ignore_ascii_case(address))
    }

    /// The decoded body of the first part whose Content-Type starts with `mime`.
    pub fn part(&self, mime: &str) -> Option<String> {
        let (headers, body) = split_entity(&self.data);
        let ct = header_of(&headers, "Content-Type").unwrap_or_default();
        if ct.to_ascii_lowercase().starts_with(mime) {
            return Some(decode_body(&headers, &body));
        }
        let boundary =
            ct.split(';').map(str::trim).find_map(|p| p.strip_prefix("boundary="))?.trim_matches('"').to_string();
        let delimiter = format!("--{boundary}");
        for chunk in body.split(delimiter.as_str()).skip(1) {
            if chunk.starts_with("--") {
                break;
            }
            let chunk = chunk.strip_prefix("\r\n").unwrap_or(chunk);
            let (h, b) = split_entity(chunk);
            let ct = header_of(&h, "Content-Type").unwrap_or_default().to_ascii_lowercase();
            if ct.starts_with(mime) {
                let b = b.strip_suffix("\r\n").unwrap_or(&b);
                return Some(decode_body(&h, b));
            }
        }
        None
    }

    pub fn text(&self) -> String {
        self.part("text/plain").unwrap_or_else(|| panic!("no text/plain part in {}", self.data))
    }

    pub fn html(&self) -> String {
        self.part("text/html").unwrap_or_else(|| panic!("no text/html part in {}", self.data))
    }
}
