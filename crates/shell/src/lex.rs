//! A lenient lexer for bash command lines.
//!
//! It never fails: unterminated quotes run to the end of the input, stray operators become
//! tokens, and nesting deeper than [`MAX_DEPTH`] is kept as opaque text. Every loop advances
//! `pos`, so it always terminates, in time linear in the input (times the bounded nesting).

/// Deepest nesting of `$( … )`, backticks and compound commands that is analysed; deeper
/// text is kept as opaque word text.
pub(crate) const MAX_DEPTH: u32 = 24;

/// One shell word after quote removal. Expansions (`$x`, `$( … )`, backticks) stay in
/// `text` as written.
#[derive(Debug, Clone, Default)]
pub(crate) struct Word {
    /// The word with quotes and backslash escapes removed.
    pub text: String,
    /// Some part of it was quoted or escaped.
    pub quoted: bool,
    /// It contains an expansion (`$`, backtick), so its run-time value is unknown.
    pub expands: bool,
    /// `NAME=value` / `NAME+=value` with an unquoted name: an assignment in prefix position.
    pub assign: bool,
    /// The command and process substitutions inside it, already lexed.
    pub subs: Vec<Sub>,
}

/// A command or process substitution inside a word.
#[derive(Debug, Clone)]
pub(crate) struct Sub {
    pub toks: Vec<Tok>,
    /// `>( … )`: its standard input is the outer command's output.
    pub fed: bool,
}

impl Word {
    /// A word from literal text (no quoting, no expansion).
    pub(crate) fn lit(text: &str) -> Word {
        Word {
            text: text.to_string(),
            ..Word::default()
        }
    }

    /// An unquoted literal word: the only kind that can be a reserved word.
    pub(crate) fn is_keyword(&self, kw: &str) -> bool {
        !self.quoted && !self.expands && self.text == kw
    }
}

/// Control operators (and newline, which separates commands).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Pipe,
    PipeAmp,
    AndIf,
    OrIf,
    Semi,
    Amp,
    /// `;;`, `;&`, `;;&`: end of a `case` branch.
    CaseEnd,
    LParen,
    RParen,
    Newline,
}

/// Redirection operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RedirKind {
    /// `<`
    In,
    /// `>`
    Out,
    /// `>>`
    Append,
    /// `>|`
    Clobber,
    /// `&>` (and `>&file`)
    OutErr,
    /// `&>>`
    AppendErr,
    /// `<>`
    ReadWrite,
    /// `<&n`
    DupIn,
    /// `>&n`
    DupOut,
    /// `<<` and `<<-`
    Heredoc,
    /// `<<<`
    HereString,
}

/// A redirection: `[fd]op target` (for a heredoc the target is the delimiter).
#[derive(Debug, Clone)]
pub(crate) struct Redir {
    pub fd: Option<u32>,
    pub kind: RedirKind,
    pub target: Word,
}

impl Redir {
    /// Does it give the command's standard input?
    pub(crate) fn feeds_stdin(&self) -> bool {
        matches!(
            self.kind,
            RedirKind::In
                | RedirKind::Heredoc
                | RedirKind::HereString
                | RedirKind::DupIn
                | RedirKind::ReadWrite
        ) && matches!(self.fd, None | Some(0))
    }

    /// Does it send the command's standard output somewhere other than the caller?
    pub(crate) fn takes_stdout(&self) -> bool {
        matches!(
            self.kind,
            RedirKind::Out
                | RedirKind::Append
                | RedirKind::Clobber
                | RedirKind::OutErr
                | RedirKind::AppendErr
                | RedirKind::DupOut
        ) && matches!(self.fd, None | Some(1))
    }

    /// The file this redirection creates or writes, if any (not `/dev/null`, not an fd dup,
    /// not a process substitution).
    pub(crate) fn written_file(&self) -> Option<&str> {
        let writes = matches!(
            self.kind,
            RedirKind::Out
                | RedirKind::Append
                | RedirKind::Clobber
                | RedirKind::OutErr
                | RedirKind::AppendErr
                | RedirKind::ReadWrite
        );
        let t = self.target.text.as_str();
        if !writes || t.is_empty() || is_device(t) || t.starts_with(">(") || t.starts_with("<(") {
            return None;
        }
        Some(t)
    }
}

/// Paths that are devices, not files anyone cares about.
pub(crate) fn is_device(path: &str) -> bool {
    matches!(
        path,
        "/dev/null" | "/dev/stdout" | "/dev/stderr" | "/dev/stdin" | "/dev/tty" | "/dev/zero"
    ) || path.starts_with("/dev/fd/")
}

/// A token.
#[derive(Debug, Clone)]
pub(crate) enum Tok {
    Word(Word),
    Op(Op),
    Redir(Redir),
}

/// Lexes a whole command line. `depth` is the nesting depth it starts at.
pub(crate) fn lex(src: &str, depth: u32) -> Vec<Tok> {
    let mut lx = Lexer {
        s: src.as_bytes(),
        pos: 0,
        depth,
        pending: Vec::new(),
        no_arith_before: 0,
    };
    lx.run(false)
}

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
    depth: u32,
    /// Heredocs whose bodies start after the next newline: (delimiter, strip leading tabs).
    pending: Vec<(Vec<u8>, bool)>,
    /// A failed `((` scan reached this far: do not scan again before it (keeps `((((…`
    /// linear).
    no_arith_before: usize,
}

/// Words after which a new command starts (so that `((` there is an arithmetic command).
const CMD_START_WORDS: &[&str] = &[
    "if", "then", "else", "elif", "do", "while", "until", "!", "{", "time", "for",
];

fn is_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r')
}

fn is_meta(c: u8) -> bool {
    matches!(
        c,
        b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')'
    )
}

fn to_string(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.s.get(self.pos + ahead).copied()
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.s[self.pos..].starts_with(lit.as_bytes()) {
            self.pos += lit.len();
            true
        } else {
            false
        }
    }

    /// Lexes until the end, or (when `nested`) until the `)` closing a `$(`, which it eats.
    fn run(&mut self, nested: bool) -> Vec<Tok> {
        let mut toks = Vec::new();
        let mut cmd_start = true;
        let mut parens = 0u32;
        let mut cases = 0u32;
        while self.pos < self.s.len() {
            let c = self.s[self.pos];
            match c {
                _ if is_blank(c) => self.pos += 1,
                b'\\' if self.peek(1) == Some(b'\n') => self.pos += 2,
                b'\n' => {
                    self.pos += 1;
                    toks.push(Tok::Op(Op::Newline));
                    self.read_heredocs();
                    cmd_start = true;
                }
                b'#' => {
                    while self.pos < self.s.len() && self.s[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                b';' => {
                    let op = if self.eat(";;&") || self.eat(";;") || self.eat(";&") {
                        Op::CaseEnd
                    } else {
                        self.pos += 1;
                        Op::Semi
                    };
                    toks.push(Tok::Op(op));
                    cmd_start = true;
                }
                b'&' => {
                    if self.eat("&&") {
                        toks.push(Tok::Op(Op::AndIf));
                        cmd_start = true;
                    } else if self.eat("&>>") {
                        self.redirect_target(None, RedirKind::AppendErr, &mut toks);
                        cmd_start = false;
                    } else if self.eat("&>") {
                        self.redirect_target(None, RedirKind::OutErr, &mut toks);
                        cmd_start = false;
                    } else {
                        self.pos += 1;
                        toks.push(Tok::Op(Op::Amp));
                        cmd_start = true;
                    }
                }
                b'|' => {
                    let op = if self.eat("||") {
                        Op::OrIf
                    } else if self.eat("|&") {
                        Op::PipeAmp
                    } else {
                        self.pos += 1;
                        Op::Pipe
                    };
                    toks.push(Tok::Op(op));
                    cmd_start = true;
                }
                b'(' => {
                    if cmd_start && self.peek(1) == Some(b'(') && self.pos >= self.no_arith_before {
                        if let Some(end) = self.match_double_paren(self.pos) {
                            let text = to_string(self.s[self.pos..end].to_vec());
                            self.pos = end;
                            toks.push(Tok::Word(Word {
                                text,
                                ..Word::default()
                            }));
                            cmd_start = false;
                            continue;
                        }
                    }
                    self.pos += 1;
                    parens += 1;
                    toks.push(Tok::Op(Op::LParen));
                    cmd_start = true;
                }
                b')' => {
                    self.pos += 1;
                    if nested && parens == 0 && cases == 0 {
                        return toks;
                    }
                    parens = parens.saturating_sub(1);
                    toks.push(Tok::Op(Op::RParen));
                    cmd_start = true;
                }
                b'<' | b'>' if self.peek(1) == Some(b'(') => {
                    let w = self.word();
                    toks.push(Tok::Word(w));
                    cmd_start = false;
                }
                b'<' | b'>' => {
                    self.redirect(None, &mut toks);
                    cmd_start = false;
                }
                _ => {
                    if c.is_ascii_digit() {
                        if let Some((fd, len)) = self.fd_prefix() {
                            self.pos += len;
                            self.redirect(Some(fd), &mut toks);
                            cmd_start = false;
                            continue;
                        }
                    }
                    let start = self.pos;
                    let w = self.word();
                    if self.pos == start {
                        // Cannot happen (a non-meta byte always starts a word), but never
                        // loop on it.
                        self.pos += 1;
                        continue;
                    }
                    if cmd_start && !w.quoted {
                        match w.text.as_str() {
                            "case" => cases += 1,
                            "esac" => cases = cases.saturating_sub(1),
                            _ => {}
                        }
                    }
                    cmd_start = !w.quoted && CMD_START_WORDS.contains(&w.text.as_str());
                    toks.push(Tok::Word(w));
                }
            }
        }
        toks
    }

    /// `123>` / `2<`: digits immediately followed by a redirection operator.
    fn fd_prefix(&self) -> Option<(u32, usize)> {
        let digits = self.s[self.pos..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        match self.s.get(self.pos + digits) {
            Some(b'<' | b'>') if digits <= 9 => {
                let text = std::str::from_utf8(&self.s[self.pos..self.pos + digits]).ok()?;
                Some((text.parse().ok()?, digits))
            }
            _ => None,
        }
    }

    /// At `<` or `>`: reads the operator and its target.
    fn redirect(&mut self, fd: Option<u32>, toks: &mut Vec<Tok>) {
        let mut strip = false;
        let kind = if self.eat("<<<") {
            RedirKind::HereString
        } else if self.eat("<<-") {
            strip = true;
            RedirKind::Heredoc
        } else if self.eat("<<") {
            RedirKind::Heredoc
        } else if self.eat("<>") {
            RedirKind::ReadWrite
        } else if self.eat("<&") {
            RedirKind::DupIn
        } else if self.eat("<") {
            RedirKind::In
        } else if self.eat(">>") {
            RedirKind::Append
        } else if self.eat(">|") {
            RedirKind::Clobber
        } else if self.eat(">&") {
            RedirKind::DupOut
        } else {
            self.pos += 1;
            RedirKind::Out
        };
        let before = toks.len();
        self.redirect_target(fd, kind, toks);
        if kind == RedirKind::Heredoc {
            if let Some(Tok::Redir(r)) = toks.get(before) {
                self.pending
                    .push((r.target.text.as_bytes().to_vec(), strip));
            }
        }
    }

    fn redirect_target(&mut self, fd: Option<u32>, mut kind: RedirKind, toks: &mut Vec<Tok>) {
        while self.pos < self.s.len() && is_blank(self.s[self.pos]) {
            self.pos += 1;
        }
        let target = match self.peek(0) {
            Some(c) if !is_meta(c) => self.word(),
            Some(b'<' | b'>') if self.peek(1) == Some(b'(') => self.word(),
            _ => Word::default(),
        };
        if kind == RedirKind::DupOut && !is_fd_word(&target.text) {
            // `>&file` is `&>file`.
            kind = RedirKind::OutErr;
        }
        toks.push(Tok::Redir(Redir { fd, kind, target }));
    }

    /// Skips heredoc bodies: called right after a newline.
    fn read_heredocs(&mut self) {
        for (delim, strip) in std::mem::take(&mut self.pending) {
            while self.pos < self.s.len() {
                let rest = &self.s[self.pos..];
                let len = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
                let mut line = &rest[..len];
                self.pos = (self.pos + len + 1).min(self.s.len());
                if strip {
                    while let [b'\t', tail @ ..] = line {
                        line = tail;
                    }
                }
                if let [head @ .., b'\r'] = line {
                    line = head;
                }
                if line == delim.as_slice() {
                    break;
                }
            }
        }
    }

    /// One word: quotes, escapes, expansions and substitutions, up to a metacharacter.
    fn word(&mut self) -> Word {
        let mut w = Word::default();
        let mut buf: Vec<u8> = Vec::new();
        // Length of `buf` when the first quote, escape or expansion was met.
        let mut plain_until: Option<usize> = None;
        while self.pos < self.s.len() {
            let c = self.s[self.pos];
            match c {
                b'(' => {
                    let array = buf.last() == Some(&b'=') && looks_like_assignment(&buf);
                    let extglob = matches!(buf.last(), Some(b'@' | b'!' | b'+' | b'*' | b'?'));
                    if array || extglob {
                        let end = self.scan_balanced(self.pos, b'(', b')');
                        buf.extend_from_slice(&self.s[self.pos..end]);
                        self.pos = end;
                        continue;
                    }
                    break;
                }
                b'<' | b'>' if buf.is_empty() && self.peek(1) == Some(b'(') => {
                    // Process substitution `<( … )` / `>( … )`.
                    plain_until.get_or_insert(buf.len());
                    let start = self.pos;
                    self.pos += 2;
                    self.substitution(&mut w, c == b'>');
                    buf.extend_from_slice(&self.s[start..self.pos]);
                }
                _ if is_meta(c) => break,
                b'\\' => {
                    plain_until.get_or_insert(buf.len());
                    w.quoted = true;
                    match self.peek(1) {
                        Some(b'\n') => self.pos += 2,
                        Some(n) => {
                            buf.push(n);
                            self.pos += 2;
                        }
                        None => {
                            buf.push(b'\\');
                            self.pos += 1;
                        }
                    }
                }
                b'\'' => {
                    plain_until.get_or_insert(buf.len());
                    w.quoted = true;
                    self.pos += 1;
                    let rest = &self.s[self.pos..];
                    let len = rest.iter().position(|&c| c == b'\'').unwrap_or(rest.len());
                    buf.extend_from_slice(&rest[..len]);
                    self.pos = (self.pos + len + 1).min(self.s.len());
                }
                b'"' => {
                    plain_until.get_or_insert(buf.len());
                    w.quoted = true;
                    self.pos += 1;
                    self.double_quoted(&mut w, &mut buf);
                }
                b'$' => {
                    plain_until.get_or_insert(buf.len());
                    self.dollar(&mut w, &mut buf, false);
                }
                b'`' => {
                    plain_until.get_or_insert(buf.len());
                    self.backtick(&mut w, &mut buf);
                }
                _ => {
                    buf.push(c);
                    self.pos += 1;
                }
            }
        }
        if let Some(eq) = buf.iter().position(|&c| c == b'=') {
            let name_plain = plain_until.is_none_or(|p| p > eq);
            w.assign = name_plain && looks_like_assignment(&buf[..=eq]);
        }
        w.text = to_string(buf);
        w
    }

    /// After the opening `"`: up to and including the closing one.
    fn double_quoted(&mut self, w: &mut Word, buf: &mut Vec<u8>) {
        while self.pos < self.s.len() {
            let c = self.s[self.pos];
            match c {
                b'"' => {
                    self.pos += 1;
                    return;
                }
                b'\\' => match self.peek(1) {
                    Some(n @ (b'$' | b'`' | b'"' | b'\\')) => {
                        buf.push(n);
                        self.pos += 2;
                    }
                    Some(b'\n') => self.pos += 2,
                    _ => {
                        buf.push(b'\\');
                        self.pos += 1;
                    }
                },
                b'$' => self.dollar(w, buf, true),
                b'`' => self.backtick(w, buf),
                _ => {
                    buf.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// At `$`.
    fn dollar(&mut self, w: &mut Word, buf: &mut Vec<u8>, in_double: bool) {
        let start = self.pos;
        match self.peek(1) {
            Some(b'(') => {
                w.expands = true;
                if self.peek(2) == Some(b'(') {
                    // `$(( … ))`: arithmetic, no command inside worth analysing.
                    self.pos = self
                        .match_double_paren(self.pos + 1)
                        .unwrap_or_else(|| self.scan_balanced(self.pos + 1, b'(', b')'));
                } else {
                    self.pos += 2;
                    self.substitution(w, false);
                }
                buf.extend_from_slice(&self.s[start..self.pos]);
            }
            Some(b'{') => {
                w.expands = true;
                self.pos = self.scan_balanced(self.pos + 1, b'{', b'}');
                buf.extend_from_slice(&self.s[start..self.pos]);
            }
            Some(b'\'') if !in_double => {
                w.quoted = true;
                self.pos += 2;
                self.ansi_c(buf);
            }
            Some(b'"') if !in_double => {
                w.quoted = true;
                self.pos += 2;
                self.double_quoted(w, buf);
            }
            _ => {
                w.expands = true;
                buf.push(b'$');
                self.pos += 1;
            }
        }
    }

    /// After `$(`, `<(` or `>(`: lexes the inner command up to its `)`.
    fn substitution(&mut self, w: &mut Word, fed: bool) {
        w.expands = true;
        if self.depth >= MAX_DEPTH {
            self.pos = self.scan_balanced(self.pos - 1, b'(', b')');
            return;
        }
        let mut inner = Lexer {
            s: self.s,
            pos: self.pos,
            depth: self.depth + 1,
            pending: Vec::new(),
            no_arith_before: self.no_arith_before,
        };
        let toks = inner.run(true);
        self.pos = inner.pos.max(self.pos);
        self.no_arith_before = self.no_arith_before.max(inner.no_arith_before);
        w.subs.push(Sub { toks, fed });
    }

    /// At a backtick: up to the closing one; the unescaped inside is lexed as a command.
    fn backtick(&mut self, w: &mut Word, buf: &mut Vec<u8>) {
        w.expands = true;
        let start = self.pos;
        self.pos += 1;
        let mut inner = Vec::new();
        while self.pos < self.s.len() {
            let c = self.s[self.pos];
            if c == b'\\' {
                if let Some(n @ (b'`' | b'\\' | b'$')) = self.peek(1) {
                    inner.push(n);
                    self.pos += 2;
                    continue;
                }
            } else if c == b'`' {
                self.pos += 1;
                break;
            }
            inner.push(c);
            self.pos += 1;
        }
        buf.extend_from_slice(&self.s[start..self.pos]);
        if self.depth < MAX_DEPTH {
            let text = to_string(inner);
            w.subs.push(Sub {
                toks: lex(&text, self.depth + 1),
                fed: false,
            });
        }
    }

    /// After `$'`: ANSI-C quoting, up to and including the closing `'`.
    fn ansi_c(&mut self, buf: &mut Vec<u8>) {
        while self.pos < self.s.len() {
            let c = self.s[self.pos];
            self.pos += 1;
            match c {
                b'\'' => return,
                b'\\' => {
                    let Some(n) = self.peek(0) else {
                        buf.push(b'\\');
                        return;
                    };
                    self.pos += 1;
                    match n {
                        b'n' => buf.push(b'\n'),
                        b't' => buf.push(b'\t'),
                        b'r' => buf.push(b'\r'),
                        b'a' => buf.push(7),
                        b'b' => buf.push(8),
                        b'e' | b'E' => buf.push(27),
                        b'f' => buf.push(12),
                        b'v' => buf.push(11),
                        b'\\' | b'\'' | b'"' | b'?' => buf.push(n),
                        b'x' => {
                            let digits = self.s[self.pos..]
                                .iter()
                                .take(2)
                                .take_while(|c| c.is_ascii_hexdigit())
                                .count();
                            let text = std::str::from_utf8(&self.s[self.pos..self.pos + digits])
                                .unwrap_or("");
                            match u8::from_str_radix(text, 16) {
                                Ok(v) => buf.push(v),
                                Err(_) => buf.extend_from_slice(b"\\x"),
                            }
                            self.pos += digits;
                        }
                        b'0'..=b'7' => {
                            let digits = self.s[self.pos - 1..]
                                .iter()
                                .take(3)
                                .take_while(|c| (b'0'..=b'7').contains(*c))
                                .count();
                            let text =
                                std::str::from_utf8(&self.s[self.pos - 1..self.pos - 1 + digits])
                                    .unwrap_or("0");
                            buf.push(u32::from_str_radix(text, 8).unwrap_or(0) as u8);
                            self.pos += digits - 1;
                        }
                        _ => {
                            buf.push(b'\\');
                            buf.push(n);
                        }
                    }
                }
                _ => buf.push(c),
            }
        }
    }

    /// From `open` at `start`: the index after its matching `close` (quotes skipped), or the
    /// end of the input.
    fn scan_balanced(&self, start: usize, open: u8, close: u8) -> usize {
        let mut depth = 0usize;
        let mut i = start;
        while i < self.s.len() {
            let c = self.s[i];
            i += 1;
            match c {
                b'\\' => i += 1,
                b'\'' => {
                    while i < self.s.len() && self.s[i] != b'\'' {
                        i += 1;
                    }
                    i += 1;
                }
                b'"' => {
                    while i < self.s.len() && self.s[i] != b'"' {
                        if self.s[i] == b'\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                    i += 1;
                }
                _ if c == open => depth += 1,
                _ if c == close => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return i.min(self.s.len());
                    }
                }
                _ => {}
            }
        }
        self.s.len()
    }

    /// At `((`: the index after the matching `))`, if the parentheses close as a pair.
    fn match_double_paren(&mut self, start: usize) -> Option<usize> {
        let mut depth = 0usize;
        let mut i = start;
        while i < self.s.len() {
            match self.s[i] {
                b'(' => depth += 1,
                b')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 1 {
                        if self.s.get(i + 1) == Some(&b')') {
                            return Some(i + 2);
                        }
                        self.no_arith_before = self.no_arith_before.max(i);
                        return None;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        self.no_arith_before = self.s.len();
        None
    }
}

/// `name=` / `name+=` / `name[…]=` (the bytes up to and including the first `=`).
fn looks_like_assignment(upto_eq: &[u8]) -> bool {
    let Some(eq) = upto_eq.iter().position(|&c| c == b'=') else {
        return false;
    };
    let mut name = &upto_eq[..eq];
    if let [head @ .., b'+'] = name {
        name = head;
    }
    if let Some(open) = name.iter().position(|&c| c == b'[') {
        if name.last() != Some(&b']') {
            return false;
        }
        name = &name[..open];
    }
    match name.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {}
        _ => return false,
    }
    name.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// `1`, `2`, `-`, `3-`: the target of an fd duplication.
fn is_fd_word(text: &str) -> bool {
    let digits = text.trim_end_matches('-');
    (text == "-" || !digits.is_empty()) && digits.bytes().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(src: &str) -> Vec<String> {
        lex(src, 0)
            .into_iter()
            .filter_map(|t| match t {
                Tok::Word(w) => Some(w.text),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(
            words(r#"echo 'a b' "c $d" e\ f $'g\nh' "i\"j""#),
            ["echo", "a b", "c $d", "e f", "g\nh", "i\"j"]
        );
    }

    #[test]
    fn heredoc_bodies_are_skipped() {
        assert_eq!(
            words("cat <<'EOF' > f\nvim\nEOF\nls"),
            ["cat", "ls"] // the delimiter and target live in redirections
        );
        assert_eq!(words("cat <<-X\n\tvim\n\tX\nls"), ["cat", "ls"]);
    }

    #[test]
    fn substitutions_nest() {
        let toks = lex("echo $(ls $(pwd)) `date`", 0);
        let Tok::Word(w) = &toks[1] else {
            panic!("{toks:?}")
        };
        assert_eq!(w.text, "$(ls $(pwd))");
        assert_eq!(w.subs.len(), 1);
        let Tok::Word(w) = &toks[2] else {
            panic!("{toks:?}")
        };
        assert_eq!(w.subs.len(), 1);
    }

    #[test]
    fn assignments() {
        let toks = lex("A=1 B+=2 'C=3' d=$(x) 1x=2 arr=(a b) m[1]=2 cmd", 0);
        let flags: Vec<bool> = toks
            .iter()
            .map(|t| matches!(t, Tok::Word(w) if w.assign))
            .collect();
        assert_eq!(flags, [true, true, false, true, false, true, true, false]);
    }

    #[test]
    fn redirections() {
        let toks = lex("a 2>&1 >out 2>>err &>all <in >&file 3<&0", 0);
        let kinds: Vec<_> = toks
            .iter()
            .filter_map(|t| match t {
                Tok::Redir(r) => Some((r.fd, r.kind, r.target.text.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            kinds,
            [
                (Some(2), RedirKind::DupOut, "1".to_string()),
                (None, RedirKind::Out, "out".to_string()),
                (Some(2), RedirKind::Append, "err".to_string()),
                (None, RedirKind::OutErr, "all".to_string()),
                (None, RedirKind::In, "in".to_string()),
                (None, RedirKind::OutErr, "file".to_string()),
                (Some(3), RedirKind::DupIn, "0".to_string()),
            ]
        );
    }
}
