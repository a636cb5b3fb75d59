//! Recursive-descent parser from tokens to the expression tree.
//!
//! One function per precedence level, loosest first: `OR`, `AND`, `NOT`, comparison
//! (`= <> < <= > >=`, `IS [NOT] NULL`, `[NOT] IN`, `[NOT] BETWEEN`), `+ -`, `* /`, unary
//! minus, primary. Errors that leave the structure clear (an unknown function, an empty
//! `IN` list, a bad timestamp) are collected and parsing goes on; a syntax error stops it.

use super::ast::{BinOp, Expr, ExprKind, Func, Span, UnOp, Value};
use super::error::ExprError;
use super::lexer::{self, Kw, Tok, Token};
use crate::i18n::Msg;

/// How deeply parentheses, calls, `NOT` and unary minus may nest. Realistic indicators nest a
/// handful of levels; the bound keeps hostile input from exhausting the stack.
const MAX_NESTING: usize = 64;

/// Parses an expression. On failure returns every lexical error, or else the
/// recoverable parse errors followed by the syntax error that stopped the parser.
///
/// # Errors
/// Lexical and syntax errors, each with the byte span it concerns.
pub fn parse(src: &str) -> Result<Expr, Vec<ExprError>> {
    let tokens = lexer::lex(src)?;
    let mut parser = Parser {
        src,
        tokens,
        pos: 0,
        depth: 0,
        errors: Vec::new(),
    };
    match parser.parse_all() {
        Ok(expr) if parser.errors.is_empty() => Ok(expr),
        Ok(_) => Err(parser.errors),
        Err(fatal) => {
            parser.errors.push(fatal);
            Err(parser.errors)
        }
    }
}

type PResult<T> = Result<T, ExprError>;

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    errors: Vec<ExprError>,
}

fn binary(op: BinOp, left: Expr, right: Expr) -> Expr {
    let span = left.span.cover(right.span);
    Expr::new(
        ExprKind::Binary {
            op,
            left: Box::new(left),
            right: Box::new(right),
        },
        span,
    )
}

fn comparison_op(tok: &Tok) -> Option<BinOp> {
    match tok {
        Tok::Eq => Some(BinOp::Eq),
        Tok::Ne => Some(BinOp::Ne),
        Tok::Lt => Some(BinOp::Lt),
        Tok::Le => Some(BinOp::Le),
        Tok::Gt => Some(BinOp::Gt),
        Tok::Ge => Some(BinOp::Ge),
        _ => None,
    }
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        // The token list always ends with `Eof` and `advance` never moves past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn peek_second(&self) -> &Tok {
        &self.tokens[(self.pos + 1).min(self.tokens.len() - 1)].tok
    }

    fn advance(&mut self) -> Token {
        let token = self.peek().clone();
        if token.tok != Tok::Eof {
            self.pos += 1;
        }
        token
    }

    fn at(&self, tok: &Tok) -> bool {
        &self.peek().tok == tok
    }

    fn eat(&mut self, tok: &Tok) -> Option<Span> {
        if self.at(tok) {
            Some(self.advance().span)
        } else {
            None
        }
    }

    /// "expected …, found …" at the next token: `expected` is the catalogue key of what
    /// was expected; found is the token's source text in backticks, or "end of input".
    fn error_here(&self, expected: &'static str) -> ExprError {
        let token = self.peek();
        let msg = Msg::new("expr.expected").arg_text("expected", expected);
        let msg = if token.tok == Tok::Eof {
            msg.arg_text("found", "expr.end_of_input")
        } else {
            msg.arg(
                "found",
                format!("`{}`", &self.src[token.span.start..token.span.end]),
            )
        };
        ExprError::new(token.span, msg)
    }

    fn expect(&mut self, tok: &Tok, expected: &'static str) -> PResult<Span> {
        self.eat(tok).ok_or_else(|| self.error_here(expected))
    }

    /// Runs `parse` one nesting level deeper (inside parentheses, a call, `NOT` or unary
    /// minus), failing past `MAX_NESTING` levels with an error at `opener`, the token
    /// that opened the level.
    fn nested<T>(
        &mut self,
        opener: Span,
        parse: impl FnOnce(&mut Self) -> PResult<T>,
    ) -> PResult<T> {
        if self.depth >= MAX_NESTING {
            return Err(ExprError::new(
                opener,
                Msg::new("expr.too_deep").arg("max", MAX_NESTING),
            ));
        }
        self.depth += 1;
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn parse_all(&mut self) -> PResult<Expr> {
        let expr = self.parse_or()?;
        if !self.at(&Tok::Eof) {
            return Err(self.error_here("expr.expect.operator_or_end"));
        }
        Ok(expr)
    }

    fn parse_or(&mut self) -> PResult<Expr> {
        let mut left = self.parse_and()?;
        while self.eat(&Tok::Kw(Kw::Or)).is_some() {
            let right = self.parse_and()?;
            left = binary(BinOp::Or, left, right);
        }
        Ok(left)
    }

    fn parse_and(&mut self) -> PResult<Expr> {
        let mut left = self.parse_not()?;
        while self.eat(&Tok::Kw(Kw::And)).is_some() {
            let right = self.parse_not()?;
            left = binary(BinOp::And, left, right);
        }
        Ok(left)
    }

    fn parse_not(&mut self) -> PResult<Expr> {
        match self.eat(&Tok::Kw(Kw::Not)) {
            Some(not_span) => self.nested(not_span, Self::parse_not).map(|operand| {
                let span = not_span.cover(operand.span);
                Expr::new(
                    ExprKind::Unary {
                        op: UnOp::Not,
                        expr: Box::new(operand),
                    },
                    span,
                )
            }),
            None => self.parse_comparison(),
        }
    }

    /// Parses at most one comparison: `a < b < c` is rejected rather than read as
    /// `(a < b) < c`, which is never what an indicator author means.
    fn parse_comparison(&mut self) -> PResult<Expr> {
        let left = self.parse_additive()?;
        let expr = self.parse_comparison_rest(left)?;
        if self.at_comparison() {
            return Err(ExprError::new(self.peek().span, Msg::new("expr.chained")));
        }
        Ok(expr)
    }

    fn at_comparison(&self) -> bool {
        let tok = &self.peek().tok;
        comparison_op(tok).is_some()
            || matches!(tok, Tok::Kw(Kw::Is | Kw::In | Kw::Between))
            || (*tok == Tok::Kw(Kw::Not)
                && matches!(self.peek_second(), Tok::Kw(Kw::In | Kw::Between)))
    }

    fn parse_comparison_rest(&mut self, left: Expr) -> PResult<Expr> {
        if let Some(op) = comparison_op(&self.peek().tok) {
            self.advance();
            let right = self.parse_additive()?;
            return Ok(binary(op, left, right));
        }
        if self.eat(&Tok::Kw(Kw::Is)).is_some() {
            let negated = self.eat(&Tok::Kw(Kw::Not)).is_some();
            let null_span = self.expect(&Tok::Kw(Kw::Null), "expr.expect.null_after_is")?;
            let span = left.span.cover(null_span);
            return Ok(Expr::new(
                ExprKind::IsNull {
                    expr: Box::new(left),
                    negated,
                },
                span,
            ));
        }
        let negated = if self.at(&Tok::Kw(Kw::Not)) {
            if !matches!(self.peek_second(), Tok::Kw(Kw::In | Kw::Between)) {
                self.advance();
                return Err(self.error_here("expr.expect.in_or_between"));
            }
            self.advance();
            true
        } else {
            false
        };
        if self.eat(&Tok::Kw(Kw::In)).is_some() {
            return self.parse_in_list(left, negated);
        }
        if self.eat(&Tok::Kw(Kw::Between)).is_some() {
            let low = self.parse_additive()?;
            self.expect(&Tok::Kw(Kw::And), "expr.expect.and_in_between")?;
            let high = self.parse_additive()?;
            let span = left.span.cover(high.span);
            let kind = ExprKind::Between {
                expr: Box::new(left),
                low: Box::new(low),
                high: Box::new(high),
                negated,
            };
            return Ok(Expr::new(kind, span));
        }
        Ok(left)
    }

    /// Parses `( item, ... )` after `IN`. Items are literals or parameters, so the list
    /// is a fixed set the engine can hand to an `IN` list directly.
    fn parse_in_list(&mut self, left: Expr, negated: bool) -> PResult<Expr> {
        let open = self.expect(&Tok::LParen, "expr.expect.lparen_after_in")?;
        let mut list = Vec::new();
        let close = if let Some(close) = self.eat(&Tok::RParen) {
            self.errors
                .push(ExprError::new(open.cover(close), Msg::new("expr.empty_in")));
            close
        } else {
            loop {
                let item = self.parse_additive()?;
                if !matches!(item.kind, ExprKind::Lit(_) | ExprKind::Param(_)) {
                    self.errors
                        .push(ExprError::new(item.span, Msg::new("expr.in_literals")));
                }
                list.push(item);
                if self.eat(&Tok::Comma).is_none() {
                    break self.expect(&Tok::RParen, "expr.expect.in_list_next")?;
                }
            }
        };
        let span = left.span.cover(close);
        Ok(Expr::new(
            ExprKind::InList {
                expr: Box::new(left),
                list,
                negated,
            },
            span,
        ))
    }

    fn parse_additive(&mut self) -> PResult<Expr> {
        let mut left = self.parse_multiplicative()?;
        loop {
            let op = match self.peek().tok {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => return Ok(left),
            };
            self.advance();
            let right = self.parse_multiplicative()?;
            left = binary(op, left, right);
        }
    }

    fn parse_multiplicative(&mut self) -> PResult<Expr> {
        let mut left = self.parse_unary()?;
        loop {
            let op = match self.peek().tok {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                _ => return Ok(left),
            };
            self.advance();
            let right = self.parse_unary()?;
            left = binary(op, left, right);
        }
    }

    /// Parses unary minus. A minus directly before a number literal folds into a
    /// negative literal, so `-5` is the constant it looks like (and prints back as
    /// `-5`); `-(5)` stays a negation.
    fn parse_unary(&mut self) -> PResult<Expr> {
        match self.eat(&Tok::Minus) {
            Some(minus) => {
                if let Tok::Num(n) = self.peek().tok {
                    let number = self.advance().span;
                    Ok(Expr::new(
                        ExprKind::Lit(Value::Num(-n)),
                        minus.cover(number),
                    ))
                } else {
                    self.nested(minus, Self::parse_unary).map(|operand| {
                        let span = minus.cover(operand.span);
                        Expr::new(
                            ExprKind::Unary {
                                op: UnOp::Neg,
                                expr: Box::new(operand),
                            },
                            span,
                        )
                    })
                }
            }
            None => self.parse_primary(),
        }
    }

    fn parse_primary(&mut self) -> PResult<Expr> {
        let token = self.peek().clone();
        let span = token.span;
        let lit = |value| Ok(Expr::new(ExprKind::Lit(value), span));
        match token.tok {
            Tok::Num(n) => {
                self.advance();
                lit(Value::Num(n))
            }
            Tok::Str(s) => {
                self.advance();
                lit(Value::Str(s))
            }
            Tok::Kw(Kw::True) => {
                self.advance();
                lit(Value::Bool(true))
            }
            Tok::Kw(Kw::False) => {
                self.advance();
                lit(Value::Bool(false))
            }
            Tok::Kw(Kw::Null) => {
                self.advance();
                lit(Value::Null)
            }
            Tok::Kw(Kw::Timestamp) => {
                self.advance();
                self.parse_timestamp(span)
            }
            Tok::Param(name) => {
                self.advance();
                Ok(Expr::new(ExprKind::Param(name), span))
            }
            Tok::Ident(name) => {
                self.advance();
                if self.at(&Tok::LParen) {
                    self.parse_call(&name, span)
                } else {
                    Ok(Expr::new(ExprKind::Field(name), span))
                }
            }
            Tok::LParen => {
                self.advance();
                let mut inner = self.nested(span, Self::parse_or)?;
                let close = self.expect(&Tok::RParen, "expr.expect.rparen")?;
                // The node takes the span of the parentheses too, so carets under a
                // parenthesised operand cover what the author wrote.
                inner.span = span.cover(close);
                Ok(inner)
            }
            _ => Err(self.error_here("expr.expect.expression")),
        }
    }

    /// Parses the string after `TIMESTAMP`: an RFC 3339 instant with an offset, so it
    /// names one instant whatever the site's time zone (sub-millisecond digits are
    /// dropped).
    fn parse_timestamp(&mut self, keyword: Span) -> PResult<Expr> {
        let Tok::Str(text) = self.peek().tok.clone() else {
            return Err(self.error_here("expr.expect.timestamp_string"));
        };
        let string = self.advance().span;
        let span = keyword.cover(string);
        match chrono::DateTime::parse_from_rfc3339(&text) {
            Ok(instant) => Ok(Expr::new(
                ExprKind::Lit(Value::Ts(instant.timestamp_millis())),
                span,
            )),
            Err(_) => {
                self.errors.push(ExprError::new(
                    string,
                    Msg::new("expr.bad_timestamp").arg("text", &text),
                ));
                // A NULL placeholder lets parsing go on; the error keeps it from escaping.
                Ok(Expr::new(ExprKind::Lit(Value::Null), span))
            }
        }
    }

    fn parse_call(&mut self, name: &str, name_span: Span) -> PResult<Expr> {
        let func = Func::from_name(name);
        if func.is_none() {
            self.errors.push(ExprError::new(
                name_span,
                Msg::new("expr.unknown_function")
                    .arg("name", name)
                    .arg("valid", Func::list()),
            ));
        }
        self.expect(&Tok::LParen, "expr.expect.lparen")?;
        let mut args = Vec::new();
        let close = match self.eat(&Tok::RParen) {
            Some(close) => close,
            None => loop {
                args.push(self.nested(name_span, Self::parse_or)?);
                if self.eat(&Tok::Comma).is_none() {
                    break self.expect(&Tok::RParen, "expr.expect.argument_next")?;
                }
            },
        };
        let span = name_span.cover(close);
        Ok(match func {
            Some(func) => Expr::new(ExprKind::Call { func, args }, span),
            // A NULL placeholder lets parsing go on; the error keeps it from escaping.
            None => Expr::new(ExprKind::Lit(Value::Null), span),
        })
    }
}
