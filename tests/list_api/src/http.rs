//! Just enough HTTP/1.1 for a test server: one request at a time per connection, bodies by
//! Content-Length or chunked, keep-alive, and every size bounded so a bad client cannot make the
//! server allocate without limit.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

/// The request line and headers together (chunked trailers count too).
pub const MAX_HEAD: usize = 64 * 1024;
/// The request body, however it is framed.
pub const MAX_BODY: usize = 64 * 1024 * 1024;
/// One chunk-size line; real clients send a few hex digits.
const MAX_CHUNK_LINE: usize = 1024;

pub struct Request {
    pub method: String,
    /// The target without its query string.
    pub path: String,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub keep_alive: bool,
}

impl Request {
    /// The first value of a header; names compare case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Why no request came out of the connection.
pub enum ReadError {
    /// The client closed, or the socket failed: there is nobody to answer.
    Closed,
    /// A malformed or oversized request: answer this status and message, then close.
    Reject(u16, String),
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> Self {
        ReadError::Closed
    }
}

fn reject(status: u16, msg: &str) -> ReadError {
    ReadError::Reject(status, msg.to_string())
}

/// Reads the next request, or tells why there is none.
pub fn read_request(reader: &mut BufReader<TcpStream>) -> Result<Request, ReadError> {
    let too_big_head = || reject(431, "request headers exceed 64 KiB");
    let mut budget = MAX_HEAD;

    // Blank lines between requests are tolerated, as RFC 9112 asks of servers.
    let request_line = loop {
        let line = read_line(reader, &mut budget)?.ok_or_else(too_big_head)?;
        if !line.is_empty() {
            break line;
        }
    };
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(reject(400, "malformed request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(reject(505, "only HTTP/1.x is supported"));
    }

    let mut headers = Vec::new();
    loop {
        let line = read_line(reader, &mut budget)?.ok_or_else(too_big_head)?;
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(reject(400, "malformed header line"));
        };
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let mut request = Request {
        method: method.to_string(),
        path: target.split('?').next().unwrap_or_default().to_string(),
        headers,
        body: Vec::new(),
        keep_alive: false,
    };

    let connection = request.header("connection").unwrap_or_default().to_ascii_lowercase();
    let has_token = |token: &str| connection.split(',').any(|t| t.trim() == token);
    request.keep_alive = if version == "HTTP/1.0" { has_token("keep-alive") } else { !has_token("close") };

    // Transfer-Encoding wins over Content-Length (RFC 9112 §6.3).
    let chunked = match request.header("transfer-encoding") {
        None => false,
        Some(te) if te.eq_ignore_ascii_case("chunked") => true,
        Some(_) => return Err(reject(501, "only the chunked transfer-encoding is supported")),
    };
    let length = match request.header("content-length") {
        Some(text) if !chunked => {
            text.parse::<u64>().map_err(|_| reject(400, "Content-Length is not a number"))?
        }
        _ => 0,
    };
    if length > MAX_BODY as u64 {
        return Err(too_big_body());
    }
    if (chunked || length > 0)
        && request.header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        // Clients that ask wait (a while) for this before sending a large body.
        reader.get_ref().write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    if chunked {
        read_chunked(reader, &mut budget, &mut request.body)?;
    } else {
        read_into(reader, length, &mut request.body)?;
    }
    Ok(request)
}

fn too_big_body() -> ReadError {
    reject(413, "request body exceeds 64 MiB")
}

/// Appends `length` bytes to `body`. Growing the buffer as bytes arrive, rather than allocating
/// `length` up front, keeps a client that announces much and sends little from costing memory.
fn read_into(reader: &mut impl BufRead, length: u64, body: &mut Vec<u8>) -> Result<(), ReadError> {
    let read = Read::take(&mut *reader, length).read_to_end(body)?;
    if read as u64 == length {
        Ok(())
    } else {
        Err(ReadError::Closed)
    }
}

fn read_chunked(reader: &mut impl BufRead, budget: &mut usize, body: &mut Vec<u8>) -> Result<(), ReadError> {
    loop {
        let mut line_budget = MAX_CHUNK_LINE;
        let line =
            read_line(reader, &mut line_budget)?.ok_or_else(|| reject(400, "chunk size line too long"))?;
        // Chunk extensions (after ';') carry nothing we need.
        let digits = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(digits, 16).map_err(|_| reject(400, "malformed chunk size"))?;
        if size == 0 {
            break;
        }
        if size > MAX_BODY - body.len() {
            return Err(too_big_body());
        }
        read_into(reader, size as u64, body)?;
        if read_line(reader, &mut line_budget)?.as_deref() != Some("") {
            return Err(reject(400, "chunk data not followed by CRLF"));
        }
    }
    // Trailers are read and ignored; they count against the header budget.
    while !read_line(reader, budget)?.ok_or_else(|| reject(431, "request trailers too large"))?.is_empty() {}
    Ok(())
}

/// Reads one line without its line end, charging it to `budget`. `Ok(None)` when the budget runs
/// out before the line ends; `Closed` when the connection ends first.
fn read_line(reader: &mut impl BufRead, budget: &mut usize) -> Result<Option<String>, ReadError> {
    let mut line = Vec::new();
    let n = Read::take(&mut *reader, *budget as u64).read_until(b'\n', &mut line)?;
    *budget -= n;
    if line.last() != Some(&b'\n') {
        return if *budget == 0 { Ok(None) } else { Err(ReadError::Closed) };
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

/// Writes a whole JSON response in one write, so it leaves in as few packets as possible.
pub fn write_response(mut stream: &TcpStream, status: u16, body: &[u8], close: bool) -> io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        reason(status),
        body.len()
    )
    .into_bytes();
    if close {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    stream.write_all(&out)
}

/// Closes after an early error answer. Closing a socket with unread input makes the kernel send a
/// reset, which can destroy the answer before the client reads it; reading for a moment what the
/// client is still sending lets it see the answer.
pub fn linger_close(reader: &mut BufReader<TcpStream>) {
    let stream = reader.get_mut();
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut sink = [0u8; 16 * 1024];
    while Instant::now() < deadline {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}

/// The reason phrase of a status, also the default `msg` of a queued answer.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Unknown Status",
    }
}
