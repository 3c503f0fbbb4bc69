// SPDX-License-Identifier: AGPL-3.0-only
//! Starts the real `casella` binary on free ports with a temporary data folder, and talks to
//! it from outside: the panel over HTTP (as the hydrated browser does), mail over real clients.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex, mpsc},
    time::Duration,
};

use serde_json::Value;

pub struct Ports {
    pub http: u16,
    pub smtp: u16,
    pub submission: u16,
    pub submissions: u16,
    pub imap: u16,
    pub imaps: u16,
    pub pop3: u16,
    pub pop3s: u16,
    pub managesieve: u16,
    pub xmpp: u16,
    pub xmpps: u16,
}

impl Ports {
    pub fn free() -> Ports {
        // Hold every listener until all are chosen, so no two ports collide.
        let listeners: Vec<TcpListener> = (0..11)
            .map(|_| TcpListener::bind("127.0.0.1:0").expect("free port"))
            .collect();
        let p: Vec<u16> = listeners
            .iter()
            .map(|l| l.local_addr().expect("addr").port())
            .collect();
        Ports {
            http: p[0],
            smtp: p[1],
            submission: p[2],
            submissions: p[3],
            imap: p[4],
            imaps: p[5],
            pop3: p[6],
            pop3s: p[7],
            managesieve: p[8],
            xmpp: p[9],
            xmpps: p[10],
        }
    }
}

/// A running Casella.
pub struct Casella {
    pub ports: Ports,
    pub data: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    child: Option<Child>,
    /// Printed-once credentials: login → password (and role → login for the operator).
    pub printed: HashMap<String, String>,
    /// `http`, or `https` when the panel serves TLS itself.
    scheme: &'static str,
    /// Every line Casella logged (its standard error), as they come.
    logged: Arc<Mutex<Vec<String>>>,
}

impl Casella {
    pub fn start(demo: bool) -> Casella {
        Casella::start_with(demo, &[])
    }

    /// Starts with extra configuration, as `CASELLA_*` variables.
    pub fn start_with(demo: bool, env: &[(&str, &str)]) -> Casella {
        let tmp = tempfile::tempdir().expect("tempdir");
        let data = tmp.path().join("data");
        let mut c = Casella::launch(&data, demo, env);
        c._tmp = Some(tmp);
        c
    }

    /// Starts on an existing data folder (a restart).
    pub fn start_in(data: &Path, demo: bool) -> Casella {
        Casella::launch(data, demo, &[])
    }

    /// Starts on a data folder with extra configuration.
    pub fn launch(data: &Path, demo: bool, env: &[(&str, &str)]) -> Casella {
        let scheme = if env
            .iter()
            .any(|(k, v)| *k == "CASELLA_TLS__WEB" && *v == "true")
        {
            "https"
        } else {
            "http"
        };
        // A port found free can be taken before Casella binds it (by another test's client,
        // whose own ports come from the same range): Casella then stops before it is ready,
        // having bound its listeners first, and starts again on other ports.
        for _ in 0..3 {
            let ports = Ports::free();
            let mut cmd = Casella::command(data, demo, env, &ports);
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
            if let Some(casella) = Casella::wait_ready(cmd, ports, data, scheme) {
                return casella;
            }
            eprintln!("[harness] casella stopped before it was ready; starting it again");
        }
        panic!("casella did not start in three attempts");
    }

    fn command(data: &Path, demo: bool, env: &[(&str, &str)], ports: &Ports) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_casella"));
        cmd.arg("serve").arg("--data-dir").arg(data);
        if demo {
            cmd.arg("--demo");
        }
        cmd.env("CASELLA_HTTP_PORT", ports.http.to_string())
            .env("CASELLA_BIND_ADDRESS", "127.0.0.1")
            .env("CASELLA_HOSTNAME", "mail.casella.test")
            .env("CASELLA_PORTS__SMTP", ports.smtp.to_string())
            .env("CASELLA_PORTS__SUBMISSION", ports.submission.to_string())
            .env("CASELLA_PORTS__SUBMISSIONS", ports.submissions.to_string())
            .env("CASELLA_PORTS__IMAP", ports.imap.to_string())
            .env("CASELLA_PORTS__IMAPS", ports.imaps.to_string())
            .env("CASELLA_PORTS__POP3", ports.pop3.to_string())
            .env("CASELLA_PORTS__POP3S", ports.pop3s.to_string())
            .env("CASELLA_PORTS__MANAGESIEVE", ports.managesieve.to_string())
            .env("CASELLA_XMPP__PORT", ports.xmpp.to_string())
            .env("CASELLA_XMPP__TLS_PORT", ports.xmpps.to_string())
            // RFC 7677's floor: the debug build derives chat verifiers without optimisation.
            .env("CASELLA_XMPP__SCRAM_ITERATIONS", "4096")
            .env("CASELLA_LOG", "warn")
            .envs(env.iter().copied());
        cmd
    }

    /// `None` when Casella stopped before it was ready.
    fn wait_ready(
        mut cmd: Command,
        ports: Ports,
        data: &Path,
        scheme: &'static str,
    ) -> Option<Casella> {
        let mut child = cmd.spawn().expect("spawn casella");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let logged: Arc<Mutex<Vec<String>>> = Arc::default();
        let into = logged.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("{line}");
                into.lock().unwrap_or_else(|e| e.into_inner()).push(line);
            }
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                eprintln!("[casella] {line}");
                // Keep draining after the harness stops listening, or casella would block on
                // a full pipe.
                let _ = tx.send(line);
            }
        });
        let mut printed = HashMap::new();
        loop {
            let line = match rx.recv_timeout(Duration::from_secs(120)) {
                Ok(line) => line,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let _ = child.wait();
                    return None;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("casella did not print `casella ready` within 120 s")
                }
            };
            let words: Vec<&str> = line.split_whitespace().collect();
            if let [
                role @ ("operator" | "postmaster" | "user" | "manager"),
                login,
                password,
            ] = words[..]
            {
                printed.insert(login.to_string(), password.to_string());
                if role == "operator" {
                    printed.insert("operator".into(), login.to_string());
                }
            }
            if line.starts_with("casella ready") {
                break;
            }
        }
        Some(Casella {
            ports,
            data: data.to_path_buf(),
            _tmp: None,
            child: Some(child),
            printed,
            scheme,
            logged,
        })
    }

    /// How many lines Casella has logged so far that contain `text`.
    pub fn logged(&self, text: &str) -> usize {
        self.logged
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|line| line.contains(text))
            .count()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}://127.0.0.1:{}{path}", self.scheme, self.ports.http)
    }

    /// Starts on a data folder and expects Casella to refuse to start; returns what it said.
    pub fn refused_start(data: &Path, env: &[(&str, &str)]) -> String {
        let ports = Ports::free();
        let out = Casella::command(data, false, env, &ports)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .expect("run casella");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !out.status.success(),
            "casella should have refused to start: {text}"
        );
        assert!(!text.contains("casella ready"), "{text}");
        text
    }

    /// Sends SIGTERM and waits; returns whether it exited cleanly, and keeps the data folder.
    pub fn stop(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        for _ in 0..200 {
            if let Ok(Some(status)) = child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        false
    }

    /// Kills Casella at once (SIGKILL: no shutdown at all, as a crash or a power cut).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Moves the temporary folder out so a restarted instance can reuse it.
    pub fn take_tmp(&mut self) -> Option<tempfile::TempDir> {
        self._tmp.take()
    }
}

impl Drop for Casella {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A browser-like client of the panel: keeps the session cookie and calls server functions
/// the way the hydrated page does.
pub struct Web {
    client: reqwest::blocking::Client,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
    base: String,
}

impl Web {
    pub fn new(casella: &Casella) -> Web {
        Web::with_headers(casella, &[])
    }

    /// A client that sends these headers with every request (e.g. `X-Forwarded-For`).
    pub fn with_headers(casella: &Casella, headers: &[(&'static str, &str)]) -> Web {
        Web::build(casella.url(""), headers, None)
    }

    /// A second browser holding a copy of this one's session cookie.
    pub fn same_session(&self) -> Web {
        Web::build(self.base.clone(), &[], Some(self.session_cookie()))
    }

    fn build(base: String, headers: &[(&'static str, &str)], cookie: Option<String>) -> Web {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        if let Some(cookie) = cookie {
            jar.add_cookie_str(&cookie, &base.parse().expect("url"));
        }
        let mut defaults = reqwest::header::HeaderMap::new();
        for (name, value) in headers {
            defaults.insert(*name, value.parse().expect("header value"));
        }
        Web {
            client: reqwest::blocking::Client::builder()
                .cookie_provider(jar.clone())
                .default_headers(defaults)
                .danger_accept_invalid_certs(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            jar,
            base,
        }
    }

    /// The session cookie as a `name=value` pair.
    pub fn session_cookie(&self) -> String {
        use reqwest::cookie::CookieStore;
        let url = self.base.parse().expect("url");
        self.jar
            .cookies(&url)
            .and_then(|v| v.to_str().ok().map(str::to_string))
            .unwrap_or_default()
            .split("; ")
            .find(|c| c.starts_with("casella_session="))
            .unwrap_or_default()
            .to_string()
    }

    /// A raw POST with chosen headers: status and body.
    pub fn post_with(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        form: &[(&str, &str)],
    ) -> (u16, String) {
        let mut req = self.client.post(format!("{}{path}", self.base)).form(form);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let resp = req.send().expect("request");
        (resp.status().as_u16(), resp.text().unwrap_or_default())
    }

    /// A GET with chosen headers: status and headers (the body is left unread; it may be
    /// compressed).
    pub fn get_headers(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (u16, reqwest::header::HeaderMap) {
        let mut req = self.client.get(format!("{}{path}", self.base));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let resp = req.send().expect("request");
        (resp.status().as_u16(), resp.headers().clone())
    }

    /// A GET: status, headers and body.
    pub fn get_full(&self, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .header("Accept", "text/html")
            .send()
            .expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (status, headers, resp.text().unwrap_or_default())
    }

    /// Calls a server function; `Ok(json)` on success, `Err(json error)` otherwise.
    pub fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Result<Value, Value> {
        let resp = self
            .client
            .post(format!("{}/api/{endpoint}", self.base))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .expect("request");
        let ok = resp.status().is_success() || resp.status().is_redirection();
        let body = resp.text().expect("body");
        let value: Value = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&body).unwrap_or(Value::String(body))
        };
        if ok { Ok(value) } else { Err(value) }
    }

    pub fn login(&self, login: &str, password: &str) -> Result<Value, Value> {
        self.call("auth/login", &[("login", login), ("password", password)])
    }

    /// A plain HTML form post (no JavaScript): returns the status and where it redirects.
    pub fn form_post(
        &self,
        endpoint: &str,
        from_page: &str,
        form: &[(&str, &str)],
    ) -> (u16, String) {
        let resp = self
            .client
            .post(format!("{}/api/{endpoint}", self.base))
            .header("Accept", "text/html")
            .header("Referer", format!("{}{from_page}", self.base))
            .form(form)
            .send()
            .expect("request");
        (resp.status().as_u16(), location(&resp))
    }

    /// A page's status and where it redirects, if it does.
    pub fn page_redirect(&self, path: &str) -> (u16, String) {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .header("Accept", "text/html")
            .send()
            .expect("request");
        (resp.status().as_u16(), location(&resp))
    }

    /// Posts a file the way a browser's multipart form does; returns status and redirect.
    pub fn upload(&self, path: &str, field: &str, media_type: &str, bytes: &[u8]) -> (u16, String) {
        let boundary = "casella-test-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"logo\"\r\nContent-Type: {media_type}\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .expect("request");
        (resp.status().as_u16(), location(&resp))
    }

    /// A raw POST of `bytes` as the body, with its media type and more headers: status and
    /// body.
    pub fn post_body(
        &self,
        path: &str,
        media_type: &str,
        headers: &[(&str, &str)],
        bytes: &[u8],
    ) -> (u16, String) {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("Content-Type", media_type)
            .body(bytes.to_vec());
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let resp = req.send().expect("request");
        (resp.status().as_u16(), resp.text().unwrap_or_default())
    }

    /// A browser's multipart form post: text fields, then files (field, file name, media
    /// type, bytes); status and where it redirects.
    pub fn multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str, &[u8])],
    ) -> (u16, String) {
        let boundary = "casella-test-boundary-2";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        for (name, file_name, media_type, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {media_type}\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .header("Accept", "text/html")
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .expect("request");
        (resp.status().as_u16(), location(&resp))
    }

    /// A response's status, content type and body bytes.
    pub fn bytes(&self, path: &str) -> (u16, String, Vec<u8>) {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .expect("request");
        let status = resp.status().as_u16();
        let media_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        (status, media_type, resp.bytes().expect("body").to_vec())
    }

    /// A page as a browser without JavaScript gets it: status and HTML.
    pub fn page(&self, path: &str) -> (u16, String) {
        self.page_with(path, &[])
    }

    /// A GET whose answer is read as it comes (a stream of server-sent events).
    pub fn open_stream(&self, path: &str) -> reqwest::blocking::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("Accept", "text/event-stream")
            .timeout(std::time::Duration::from_secs(30))
            .send()
            .expect("request")
    }

    /// A page asked for with these headers too: status and HTML.
    pub fn page_with(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        let mut req = self
            .client
            .get(format!("{}{path}", self.base))
            .header("Accept", "text/html");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let resp = req.send().expect("request");
        (resp.status().as_u16(), resp.text().expect("body"))
    }
}

/// Runs SQL on a stopped Casella's panel database, with the archive journal's file as
/// `journal` (the way a crash, an operator's mistake or time passing would leave them).
pub fn sql(casella: &Casella, script: &str) {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); \
             db.execute('ATTACH DATABASE ? AS journal', (sys.argv[3],)); \
             db.executescript(sys.argv[2]); db.commit()",
        ])
        .arg(casella.data.join("panel.sqlite3"))
        .arg(script)
        .arg(casella.data.join("journal.sqlite3"))
        .output()
        .expect("python3");
    assert!(out.status.success(), "sql failed: {out:?}");
}

/// Runs SQL on a running Casella's panel database, waiting for its writers (the way time
/// passing would leave a row: an expiry reached).
pub fn sql_live(casella: &Casella, script: &str) {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; db=sqlite3.connect(sys.argv[1], timeout=10); db.executescript(sys.argv[2]); db.commit()",
        ])
        .arg(casella.data.join("panel.sqlite3"))
        .arg(script)
        .output()
        .expect("python3");
    assert!(out.status.success(), "sql failed: {out:?}");
}

/// Reads a running (or stopped) Casella's panel database, with the archive journal's file as
/// `journal`: the first column of each row.
pub fn sql_rows(casella: &Casella, query: &str) -> Vec<String> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; db=sqlite3.connect('file:'+sys.argv[1]+'?mode=ro', uri=True, timeout=10); \
             db.execute('ATTACH DATABASE ? AS journal', ('file:'+sys.argv[3]+'?mode=ro',)); \
             [print(r[0]) for r in db.execute(sys.argv[2])]",
        ])
        .arg(casella.data.join("panel.sqlite3"))
        .arg(query)
        .arg(casella.data.join("journal.sqlite3"))
        .output()
        .expect("python3");
    assert!(out.status.success(), "query failed: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Runs the Python mail client; panics with its output unless it succeeds.
pub fn mail(args: &[&str]) -> String {
    let out = mail_result(args);
    assert!(out.0, "mail client {args:?} failed: {}", out.1);
    out.1
}

/// Runs the Python mail client; returns (success, output).
pub fn mail_result(args: &[&str]) -> (bool, String) {
    let (code, text) = mail_client(args);
    (code == Some(0), text)
}

/// Runs the Python mail client and checks that the server refused (it answered, and said
/// no): a dead port or a broken connection fails the test. Returns the client's output.
pub fn mail_refused(args: &[&str]) -> String {
    let (code, text) = mail_client(args);
    assert_eq!(
        code,
        Some(1),
        "mail client {args:?} should have been refused by the server: {text}"
    );
    assert!(text.starts_with("refused:"), "{text}");
    text
}

/// Runs the Python mail client against this machine; returns its exit code and output.
fn mail_client(args: &[&str]) -> (Option<i32>, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/mail_clients.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(args[0])
        .arg("127.0.0.1")
        .args(&args[1..])
        .output()
        .expect("python3");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// Where a response redirects to, or empty.
fn location(resp: &reqwest::blocking::Response) -> String {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Offers a message from outside to the MX, as another mail server would (from 127.0.0.2,
/// which is not this machine's own loopback address the MX relays for); returns whether it
/// was accepted.
pub fn mx_accepts(casella: &Casella, to: &str, subject: &str) -> bool {
    mx_send(casella.ports.smtp, to, subject)
}

/// [`mx_accepts`] on the MX at this port.
pub fn mx_send(smtp_port: u16, to: &str, subject: &str) -> bool {
    Command::new("python3")
        .args([
            "-c",
            "import smtplib,sys; s=smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=20, source_address=('127.0.0.2', 0)); \
             s.sendmail('someone@elsewhere.test', [sys.argv[2]], \
             ('From: someone@elsewhere.test\\r\\nTo: ' + sys.argv[2] + '\\r\\nSubject: ' + sys.argv[3] + '\\r\\n\\r\\nhi\\r\\n').encode()); s.quit()",
            &smtp_port.to_string(),
            to,
            subject,
        ])
        .output()
        .expect("python3")
        .status
        .success()
}
