//! A lenient parser: turns tokens into the flat list of simple commands that would run, each
//! with what it knows about its standard input and output.
//!
//! Compound commands (`( … )`, `{ …; }`, `if`, `while`, `until`, `for`, `select`, `case`,
//! function bodies) are walked; their own redirections apply to every command inside them.
//! Command and process substitutions are walked too. Any token sequence is accepted: the
//! parser skips what it cannot place, and always advances.

use crate::lex::{lex, Op, Redir, RedirKind, Tok, Word, MAX_DEPTH};

/// What kind of entry a [`Cmd`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A simple command (possibly only assignments and/or redirections).
    Simple,
    /// The redirections of a compound command (`{ …; } > f`, `done < f`); no words.
    Compound,
    /// `[[ … ]]` or `(( … ))`: words are operands, `<`/`>` are comparisons.
    Test,
}

/// One simple command, in execution order (substitutions before the command using them).
#[derive(Debug, Clone)]
pub(crate) struct Cmd {
    pub kind: Kind,
    /// All words, assignments in prefix position included.
    pub words: Vec<Word>,
    pub redirs: Vec<Redir>,
    /// Its standard input is given: a pipe, a redirection, a heredoc, a here-string, an
    /// enclosing compound's redirection, a background job's `/dev/null`, or unknown (a
    /// function body, called from who knows where).
    pub stdin: bool,
    /// Its own standard input is a heredoc.
    pub heredoc: bool,
    /// Its standard output goes into a pipe, a file, or a command substitution.
    pub stdout_taken: bool,
    /// Run in the background (`&`), or inside a `bash -c` that is.
    pub background: bool,
    /// The simple command whose output is piped into this one (`a | b`: a's index for b).
    pub upstream: Option<usize>,
}

impl Cmd {
    fn new(kind: Kind, base: Base) -> Cmd {
        Cmd {
            kind,
            words: Vec::new(),
            redirs: Vec::new(),
            stdin: base.stdin,
            heredoc: false,
            stdout_taken: base.stdout_taken,
            background: base.background,
            upstream: None,
        }
    }
}

/// What the enclosing context gives every command parsed (for `bash -c '…'` recursion).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Base {
    pub stdin: bool,
    pub stdout_taken: bool,
    pub background: bool,
}

/// Parses a command line into its simple commands.
pub(crate) fn parse(src: &str, depth: u32, base: Base) -> Vec<Cmd> {
    let mut p = Parser {
        toks: lex(src, depth),
        i: 0,
        out: Vec::new(),
        depth,
        open_parens: 0,
        base,
    };
    p.list(&[], false);
    p.out
}

struct Parser {
    toks: Vec<Tok>,
    i: usize,
    out: Vec<Cmd>,
    depth: u32,
    /// Subshells open around the current position: `)` ends a list only then.
    open_parens: u32,
    base: Base,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i)
    }

    fn peek_op(&self) -> Option<Op> {
        match self.toks.get(self.i) {
            Some(Tok::Op(op)) => Some(*op),
            _ => None,
        }
    }

    fn peek_at_op(&self, ahead: usize) -> Option<Op> {
        match self.toks.get(self.i + ahead) {
            Some(Tok::Op(op)) => Some(*op),
            _ => None,
        }
    }

    /// The current token as a reserved word, if it is an unquoted literal word.
    fn keyword(&self) -> Option<&str> {
        match self.toks.get(self.i) {
            Some(Tok::Word(w)) if !w.quoted && !w.expands => Some(w.text.as_str()),
            _ => None,
        }
    }

    fn at_keyword(&self, kw: &str) -> bool {
        self.keyword() == Some(kw)
    }

    fn eat_keyword(&mut self, kw: &str) -> bool {
        let yes = self.at_keyword(kw);
        if yes {
            self.i += 1;
        }
        yes
    }

    fn skip_newlines(&mut self) {
        while self.peek_op() == Some(Op::Newline) {
            self.i += 1;
        }
    }

    /// Moves the current token out (leaving a harmless newline behind) and advances.
    fn take(&mut self) -> Tok {
        let t = std::mem::replace(&mut self.toks[self.i], Tok::Op(Op::Newline));
        self.i += 1;
        t
    }

    /// Walks a word's substitutions, emitting their commands.
    fn substitutions(&mut self, w: &mut Word) {
        if w.subs.is_empty() {
            return;
        }
        let subs = std::mem::take(&mut w.subs);
        if self.depth >= MAX_DEPTH {
            return;
        }
        for sub in subs {
            let saved_toks = std::mem::replace(&mut self.toks, sub.toks);
            let saved_i = std::mem::replace(&mut self.i, 0);
            let saved_parens = std::mem::replace(&mut self.open_parens, 0);
            let o0 = self.out.len();
            self.depth += 1;
            self.list(&[], false);
            self.depth -= 1;
            for c in &mut self.out[o0..] {
                c.stdout_taken = true;
                c.stdin |= sub.fed;
            }
            self.toks = saved_toks;
            self.i = saved_i;
            self.open_parens = saved_parens;
        }
    }

    /// A list of and-or lists, up to the end, a `)` closing an open subshell, one of the
    /// `stops` reserved words, or (with `case_end`) a `;;`.
    fn list(&mut self, stops: &[&str], case_end: bool) {
        loop {
            match self.peek() {
                None => return,
                Some(Tok::Op(Op::Newline | Op::Semi | Op::Amp)) => {
                    self.i += 1;
                    continue;
                }
                Some(Tok::Op(Op::RParen)) => {
                    if self.open_parens > 0 {
                        return;
                    }
                    self.i += 1;
                    continue;
                }
                Some(Tok::Op(Op::CaseEnd)) => {
                    if case_end {
                        return;
                    }
                    self.i += 1;
                    continue;
                }
                _ => {}
            }
            if let Some(kw) = self.keyword() {
                if stops.contains(&kw) {
                    return;
                }
            }
            let (i0, o0) = (self.i, self.out.len());
            self.and_or();
            if self.peek_op() == Some(Op::Amp) {
                self.i += 1;
                for c in &mut self.out[o0..] {
                    c.background = true;
                    c.stdin = true;
                }
            }
            if self.i == i0 {
                self.i += 1;
            }
        }
    }

    fn and_or(&mut self) {
        loop {
            self.pipeline();
            match self.peek_op() {
                Some(Op::AndIf | Op::OrIf) => {
                    self.i += 1;
                    self.skip_newlines();
                }
                _ => return,
            }
        }
    }

    fn pipeline(&mut self) {
        loop {
            if self.eat_keyword("!") {
                continue;
            }
            if self.eat_keyword("time") {
                while self.at_keyword("-p") || self.at_keyword("--") {
                    self.i += 1;
                }
                continue;
            }
            break;
        }
        let mut upstream: Option<Option<usize>> = None;
        loop {
            let o0 = self.out.len();
            let main = self.command();
            if let Some(up) = upstream {
                for c in &mut self.out[o0..] {
                    c.stdin = true;
                }
                if let Some(m) = main {
                    self.out[m].upstream = up;
                }
            }
            match self.peek_op() {
                Some(Op::Pipe | Op::PipeAmp) => {
                    for c in &mut self.out[o0..] {
                        c.stdout_taken = true;
                    }
                    self.i += 1;
                    self.skip_newlines();
                    upstream = Some(main);
                }
                _ => return,
            }
        }
    }

    /// One command; returns the index of the emitted [`Cmd`] when it is a simple command.
    fn command(&mut self) -> Option<usize> {
        let o0 = self.out.len();
        if self.depth >= MAX_DEPTH {
            // Too deep: treat what follows as flat words.
            if matches!(self.peek(), Some(Tok::Op(Op::LParen))) {
                self.i += 1;
                return None;
            }
            return self.simple();
        }
        match self.peek() {
            Some(Tok::Op(Op::LParen)) => {
                self.i += 1;
                self.open_parens += 1;
                self.nested(|p| p.list(&[], false));
                self.open_parens -= 1;
                if self.peek_op() == Some(Op::RParen) {
                    self.i += 1;
                }
                self.compound_redirs(o0);
                None
            }
            Some(Tok::Word(_)) => {
                let kw = self.keyword().unwrap_or("").to_string();
                match kw.as_str() {
                    "{" => {
                        self.i += 1;
                        self.nested(|p| p.list(&["}"], false));
                        self.eat_keyword("}");
                        self.compound_redirs(o0);
                        None
                    }
                    "if" => {
                        self.i += 1;
                        loop {
                            self.nested(|p| p.list(&["then", "elif", "else", "fi"], false));
                            match self.keyword() {
                                Some("fi") => {
                                    self.i += 1;
                                    break;
                                }
                                Some("then" | "elif" | "else") => self.i += 1,
                                _ => break,
                            }
                        }
                        self.compound_redirs(o0);
                        None
                    }
                    "while" | "until" => {
                        self.i += 1;
                        self.nested(|p| p.list(&["do"], false));
                        self.do_done();
                        self.compound_redirs(o0);
                        None
                    }
                    "for" | "select" => {
                        self.i += 1;
                        self.loop_header();
                        if kw == "select" {
                            // `select` reads the choice from standard input.
                            let mut c = Cmd::new(Kind::Simple, self.base);
                            c.words.push(Word::lit("select"));
                            self.out.push(c);
                        }
                        self.do_done();
                        self.compound_redirs(o0);
                        None
                    }
                    "case" => {
                        self.i += 1;
                        self.case_body();
                        self.compound_redirs(o0);
                        None
                    }
                    "function" => {
                        self.i += 1;
                        if matches!(self.peek(), Some(Tok::Word(_))) {
                            self.i += 1;
                        }
                        if self.peek_op() == Some(Op::LParen)
                            && self.peek_at_op(1) == Some(Op::RParen)
                        {
                            self.i += 2;
                        }
                        self.function_body();
                        None
                    }
                    "[[" => self.test(),
                    _ => {
                        if self.peek_at_op(1) == Some(Op::LParen)
                            && self.peek_at_op(2) == Some(Op::RParen)
                        {
                            // `name () body`
                            self.i += 3;
                            self.function_body();
                            return None;
                        }
                        self.simple()
                    }
                }
            }
            Some(Tok::Redir(_)) => self.simple(),
            _ => None,
        }
    }

    fn nested(&mut self, f: impl FnOnce(&mut Parser)) {
        self.depth += 1;
        f(self);
        self.depth -= 1;
    }

    /// `do … done` (if there).
    fn do_done(&mut self) {
        if self.eat_keyword("do") {
            self.nested(|p| p.list(&["done"], false));
            self.eat_keyword("done");
        }
    }

    /// `for NAME in WORDS;` / `for ((…));`: up to (not including) `do`.
    fn loop_header(&mut self) {
        loop {
            match self.peek() {
                None => return,
                Some(Tok::Word(w)) if w.is_keyword("do") => return,
                Some(Tok::Word(_)) => {
                    if let Tok::Word(mut w) = self.take() {
                        self.substitutions(&mut w);
                    }
                }
                Some(Tok::Op(Op::LParen | Op::RParen | Op::Newline | Op::Semi))
                | Some(Tok::Redir(_)) => self.i += 1,
                Some(Tok::Op(_)) => return,
            }
        }
    }

    /// After `case`: `WORD in [(]PATTERN) LIST ;; … esac`.
    fn case_body(&mut self) {
        loop {
            match self.peek() {
                None => return,
                Some(Tok::Word(w)) if w.is_keyword("in") => {
                    self.i += 1;
                    break;
                }
                Some(Tok::Word(_)) => {
                    if let Tok::Word(mut w) = self.take() {
                        self.substitutions(&mut w);
                    }
                }
                _ => self.i += 1,
            }
        }
        loop {
            while matches!(self.peek_op(), Some(Op::Newline | Op::Semi | Op::CaseEnd)) {
                self.i += 1;
            }
            if self.peek().is_none() || self.eat_keyword("esac") {
                return;
            }
            if self.peek_op() == Some(Op::LParen) {
                self.i += 1;
            }
            loop {
                match self.peek() {
                    None => return,
                    Some(Tok::Op(Op::RParen)) => {
                        self.i += 1;
                        break;
                    }
                    Some(Tok::Word(w)) if w.is_keyword("esac") => break,
                    _ => self.i += 1,
                }
            }
            let saved = std::mem::replace(&mut self.open_parens, 0);
            self.nested(|p| p.list(&["esac"], true));
            self.open_parens = saved;
            if self.peek_op() == Some(Op::CaseEnd) {
                self.i += 1;
            }
        }
    }

    /// A function body: its commands run only when called, with unknown standard input.
    fn function_body(&mut self) {
        self.skip_newlines();
        let o0 = self.out.len();
        self.nested(|p| {
            p.command();
        });
        for c in &mut self.out[o0..] {
            c.stdin = true;
        }
    }

    /// `[[ … ]]`: operands and comparison operators up to `]]`.
    fn test(&mut self) -> Option<usize> {
        let mut cmd = Cmd::new(Kind::Test, self.base);
        loop {
            match self.peek() {
                None => break,
                Some(Tok::Word(w)) if w.is_keyword("]]") => {
                    self.i += 1;
                    break;
                }
                Some(Tok::Word(_)) => {
                    if let Tok::Word(mut w) = self.take() {
                        self.substitutions(&mut w);
                        cmd.words.push(w);
                    }
                }
                Some(Tok::Redir(_)) => {
                    // `<` / `>` inside `[[ ]]` compare strings.
                    if let Tok::Redir(mut r) = self.take() {
                        self.substitutions(&mut r.target);
                    }
                }
                Some(Tok::Op(Op::AndIf | Op::OrIf | Op::LParen | Op::RParen | Op::Newline)) => {
                    self.i += 1
                }
                Some(Tok::Op(_)) => break,
            }
        }
        self.out.push(cmd);
        Some(self.out.len() - 1)
    }

    /// Words and redirections up to an operator.
    fn simple(&mut self) -> Option<usize> {
        let mut cmd = Cmd::new(Kind::Simple, self.base);
        loop {
            match self.peek() {
                Some(Tok::Word(_)) => {
                    if let Tok::Word(mut w) = self.take() {
                        self.substitutions(&mut w);
                        cmd.words.push(w);
                    }
                }
                Some(Tok::Redir(_)) => {
                    if let Tok::Redir(mut r) = self.take() {
                        self.substitutions(&mut r.target);
                        apply_redir(&mut cmd, &r);
                        cmd.redirs.push(r);
                    }
                }
                _ => break,
            }
        }
        if cmd.words.is_empty() && cmd.redirs.is_empty() {
            return None;
        }
        if cmd.words.first().is_some_and(|w| w.text.starts_with("((")) {
            cmd.kind = Kind::Test;
        }
        self.out.push(cmd);
        Some(self.out.len() - 1)
    }

    /// Redirections after a compound command: they apply to everything inside it.
    fn compound_redirs(&mut self, o0: usize) {
        let mut cmd = Cmd::new(Kind::Compound, self.base);
        while matches!(self.peek(), Some(Tok::Redir(_))) {
            if let Tok::Redir(mut r) = self.take() {
                self.substitutions(&mut r.target);
                apply_redir(&mut cmd, &r);
                cmd.redirs.push(r);
            }
        }
        if cmd.redirs.is_empty() {
            return;
        }
        for c in &mut self.out[o0..] {
            c.stdin |= cmd.stdin;
            c.stdout_taken |= cmd.stdout_taken;
        }
        self.out.push(cmd);
    }
}

fn apply_redir(cmd: &mut Cmd, r: &Redir) {
    if r.feeds_stdin() {
        cmd.stdin = true;
        if r.kind == RedirKind::Heredoc {
            cmd.heredoc = true;
        }
    }
    if r.takes_stdout() {
        cmd.stdout_taken = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(src: &str) -> Vec<(String, bool)> {
        parse(src, 0, Base::default())
            .into_iter()
            .filter(|c| c.kind == Kind::Simple)
            .map(|c| {
                (
                    c.words.first().map(|w| w.text.clone()).unwrap_or_default(),
                    c.stdin,
                )
            })
            .collect()
    }

    #[test]
    fn compound_commands() {
        assert_eq!(
            names("while read l; do echo $l; done < f; read x"),
            [
                ("read".into(), true),
                ("echo".into(), true),
                ("read".into(), false)
            ]
        );
        assert_eq!(
            names("if a; then b | c; elif d; else e; fi"),
            [
                ("a".into(), false),
                ("b".into(), false),
                ("c".into(), true),
                ("d".into(), false),
                ("e".into(), false)
            ]
        );
        assert_eq!(
            names("case $x in a|b) vim;; (c) ls ;; esac"),
            [("vim".into(), false), ("ls".into(), false)]
        );
        assert_eq!(
            names("for f in $(ls); do cat $f; done"),
            [("ls".into(), false), ("cat".into(), false)]
        );
        assert_eq!(names("f() { read x; }"), [("read".into(), true)]);
        assert_eq!(
            names("x=$(case a in a) echo;; esac) && ( cd d; make )"),
            [
                ("echo".into(), false),
                ("x=$(case a in a) echo;; esac)".into(), false),
                ("cd".into(), false),
                ("make".into(), false)
            ]
        );
    }
}
