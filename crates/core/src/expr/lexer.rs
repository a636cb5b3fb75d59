//! Splits expression source into tokens with byte spans.
//!
//! The lexer reports every lexical error it finds (it skips the bad input and goes on)
//! so that one run shows all of them.

use super::ast::Span;
use super::error::ExprError;
use crate::i18n::Msg;

/// Longest accepted expression, in tokens. Parsed trees are at most about this deep, so
/// the recursive checker, evaluator and printer stay well within the stack.
pub(crate) const MAX_TOKENS: usize = 2_000;

/// Reserved words; they are matched ignoring ASCII case and cannot name fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kw {
    And,
    Or,
    Not,
    Is,
    Null,
    In,
    Between,
    True,
    False,
    Timestamp,
}

impl Kw {
    const ALL: [(Kw, &'static str); 10] = [
        (Kw::And, "AND"),
        (Kw::Or, "OR"),
        (Kw::Not, "NOT"),
        (Kw::Is, "IS"),
        (Kw::Null, "NULL"),
        (Kw::In, "IN"),
        (Kw::Between, "BETWEEN"),
        (Kw::True, "TRUE"),
        (Kw::False, "FALSE"),
        (Kw::Timestamp, "TIMESTAMP"),
    ];

    fn from_word(word: &str) -> Option<Kw> {
        Kw::ALL
            .into_iter()
            .find(|(_, s)| s.eq_ignore_ascii_case(word))
            .map(|(k, _)| k)
    }
}

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Num(f64),
    Str(String),
    Ident(String),
    Param(String),
    Kw(Kw),
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Eof,
}

/// A token and where it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) span: Span,
}

/// Tokenizes `src`; the last token is always `Eof` with an empty span at the end.
pub(crate) fn lex(src: &str) -> Result<Vec<Token>, Vec<ExprError>> {
    let mut lexer = Lexer {
        src,
        pos: 0,
        tokens: Vec::new(),
        errors: Vec::new(),
    };
    lexer.run();
    let Lexer {
        tokens, mut errors, ..
    } = lexer;
    if tokens.len() > MAX_TOKENS {
        errors.push(ExprError::new(
            Span::new(0, src.len()),
            Msg::new("expr.too_long")
                .arg("tokens", tokens.len())
                .arg("max", MAX_TOKENS),
        ));
    }
    if errors.is_empty() {
        Ok(tokens)
    } else {
        Err(errors)
    }
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    tokens: Vec<Token>,
    errors: Vec<ExprError>,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(offset)
    }

    fn push(&mut self, tok: Tok, start: usize) {
        self.tokens.push(Token {
            tok,
            span: Span::new(start, self.pos),
        });
    }

    fn run(&mut self) {
        while let Some(c) = self.peek() {
            let start = self.pos;
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else if c.is_ascii_digit()
                || (c == '.' && self.peek_at(1).is_some_and(|d| d.is_ascii_digit()))
            {
                self.number(start);
            } else if c == '\'' {
                self.string(start);
            } else if is_ident_start(c) {
                let word = self.word();
                let tok = Kw::from_word(word).map_or_else(|| Tok::Ident(word.to_owned()), Tok::Kw);
                self.push(tok, start);
            } else if c == '$' {
                self.param(start);
            } else {
                self.punct(c, start);
            }
        }
        self.tokens.push(Token {
            tok: Tok::Eof,
            span: Span::new(self.src.len(), self.src.len()),
        });
    }

    fn word(&mut self) -> &str {
        let start = self.pos;
        while self.peek().is_some_and(is_ident_char) {
            self.pos += 1;
        }
        &self.src[start..self.pos]
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    /// Reads `digits [. digits] [e [+-] digits]`. A letter glued to the number (`10s`,
    /// `5e`) is an error rather than a number followed by a field, which would only
    /// produce a more confusing error later.
    fn number(&mut self, start: usize) {
        self.digits();
        if self.peek() == Some('.') {
            self.pos += 1;
            self.digits();
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let sign = usize::from(matches!(self.peek_at(1), Some('+' | '-')));
            if self.peek_at(1 + sign).is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1 + sign;
                self.digits();
            }
        }
        if self.peek().is_some_and(|c| is_ident_char(c) || c == '.') {
            while self.peek().is_some_and(|c| is_ident_char(c) || c == '.') {
                self.pos += 1;
            }
            let text = &self.src[start..self.pos];
            self.errors.push(ExprError::new(
                Span::new(start, self.pos),
                Msg::new("expr.bad_number").arg("number", text),
            ));
            return;
        }
        let text = &self.src[start..self.pos];
        match text.parse::<f64>() {
            Ok(n) if n.is_finite() => self.push(Tok::Num(n), start),
            _ => self.errors.push(ExprError::new(
                Span::new(start, self.pos),
                Msg::new("expr.number_too_large").arg("number", text),
            )),
        }
    }

    /// Reads a single-quoted string in which `''` stands for one quote.
    fn string(&mut self, start: usize) {
        self.pos += 1;
        let mut value = String::new();
        loop {
            match self.peek() {
                None => {
                    self.errors.push(ExprError::new(
                        Span::new(start, self.src.len()),
                        Msg::new("expr.unterminated"),
                    ));
                    return;
                }
                Some('\'') if self.peek_at(1) == Some('\'') => {
                    value.push('\'');
                    self.pos += 2;
                }
                Some('\'') => {
                    self.pos += 1;
                    self.push(Tok::Str(value), start);
                    return;
                }
                Some(c) => {
                    value.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    fn param(&mut self, start: usize) {
        self.pos += 1;
        if self.peek().is_some_and(is_ident_start) {
            let name = self.word().to_owned();
            self.push(Tok::Param(name), start);
        } else {
            self.errors.push(ExprError::new(
                Span::new(start, self.pos),
                Msg::new("expr.param_name"),
            ));
        }
    }

    fn punct(&mut self, c: char, start: usize) {
        let next = self.peek_at(1);
        let (tok, len) = match (c, next) {
            ('(', _) => (Tok::LParen, 1),
            (')', _) => (Tok::RParen, 1),
            (',', _) => (Tok::Comma, 1),
            ('+', _) => (Tok::Plus, 1),
            ('-', _) => (Tok::Minus, 1),
            ('*', _) => (Tok::Star, 1),
            ('/', _) => (Tok::Slash, 1),
            ('=', _) => (Tok::Eq, 1),
            ('!', Some('=')) | ('<', Some('>')) => (Tok::Ne, 2),
            ('<', Some('=')) => (Tok::Le, 2),
            ('<', _) => (Tok::Lt, 1),
            ('>', Some('=')) => (Tok::Ge, 2),
            ('>', _) => (Tok::Gt, 1),
            _ => {
                self.pos += c.len_utf8();
                let msg = Msg::new("expr.unexpected_char").arg("char", c);
                let msg = match c {
                    '"' => msg.arg_text("hint", "expr.hint.double_quote"),
                    '!' => msg.arg_text("hint", "expr.hint.bang"),
                    _ => msg.arg("hint", ""),
                };
                self.errors
                    .push(ExprError::new(Span::new(start, self.pos), msg));
                return;
            }
        };
        self.pos += len;
        self.push(tok, start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        lex(src)
            .expect("lexes")
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    #[test]
    fn keywords_ignore_case_and_identifiers_keep_it() {
        assert_eq!(
            toks("and Or NOT Outcome"),
            vec![
                Tok::Kw(Kw::And),
                Tok::Kw(Kw::Or),
                Tok::Kw(Kw::Not),
                Tok::Ident("Outcome".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn numbers_strings_params_and_operators() {
        assert_eq!(
            toks("1.5e3 .5 'it''s' $p <> != <= >= < > ="),
            vec![
                Tok::Num(1500.0),
                Tok::Num(0.5),
                Tok::Str("it's".into()),
                Tok::Param("p".into()),
                Tok::Ne,
                Tok::Ne,
                Tok::Le,
                Tok::Ge,
                Tok::Lt,
                Tok::Gt,
                Tok::Eq,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn spans_are_byte_offsets_even_after_wide_characters() {
        let tokens = lex("'营业厅' = x").expect("lexes");
        assert_eq!(tokens[0].span, Span::new(0, 11));
        assert_eq!(tokens[1].span, Span::new(12, 13));
        assert_eq!(tokens[2].span, Span::new(14, 15));
        assert_eq!(tokens[3].span, Span::new(15, 15));
    }

    #[test]
    fn reports_every_lexical_error() {
        let errors = lex("a # 10s \"x\" $ 1e999").expect_err("fails");
        let found: Vec<_> = errors
            .iter()
            .map(|e| (e.span.start, e.message.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![
                (2, "unexpected character `#`"),
                (4, "malformed number `10s`"),
                (8, "unexpected character `\"`; strings use single quotes"),
                (10, "unexpected character `\"`; strings use single quotes"),
                (12, "expected a parameter name after `$`"),
                (14, "number `1e999` is too large"),
            ]
        );
    }
}
