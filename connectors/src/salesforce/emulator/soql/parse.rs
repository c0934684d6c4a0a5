//! SOQL text → [`Query`]. A tokenizer (identifiers, quoted strings with SOQL's escapes,
//! numbers, date literals, punctuation, operators) and a recursive-descent parser. Errors
//! read like Salesforce's `MALFORMED_QUERY` messages (`unexpected token: 'OR'`).

use chrono::{DateTime, NaiveDate, Utc};

use super::{Condition, Literal, Op, OrderKey, Query};

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Number(f64),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
    Comma,
    Open,
    Close,
    Op(Op),
}

impl Token {
    fn shown(&self) -> String {
        match self {
            Token::Word(w) => w.clone(),
            Token::Text(t) => format!("'{t}'"),
            Token::Number(n) => n.to_string(),
            Token::Date(d) => d.to_string(),
            Token::DateTime(d) => d.to_rfc3339(),
            Token::Comma => ",".into(),
            Token::Open => "(".into(),
            Token::Close => ")".into(),
            Token::Op(op) => format!("{op:?}"),
        }
    }

    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(keyword))
    }
}

fn unescape(c: char, in_like: bool) -> Result<String, String> {
    Ok(match c {
        'n' | 'N' => "\n".into(),
        'r' | 'R' => "\r".into(),
        't' | 'T' => "\t".into(),
        'b' | 'B' => "\u{8}".into(),
        'f' | 'F' => "\u{c}".into(),
        '"' => "\"".into(),
        '\'' => "'".into(),
        '\\' => "\\\\".into(),
        // Kept escaped: only LIKE gives them meaning, and eval reads them there.
        '%' | '_' if in_like => format!("\\{c}"),
        '%' | '_' => c.to_string(),
        other => {
            return Err(format!(
                "Invalid string literal: illegal escape sequence \\{other}"
            ));
        }
    })
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let in_like = matches!(tokens.last(), Some(Token::Op(Op::Like)));
            let mut value = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("unterminated string literal".into()),
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some('\\') => {
                        let next = chars
                            .get(i + 1)
                            .copied()
                            .ok_or("unterminated string literal")?;
                        let unescaped = unescape(next, in_like)?;
                        // A literal backslash is stored doubled only inside LIKE patterns,
                        // where eval tells `\\` from `\%`; elsewhere it is one backslash.
                        if unescaped == "\\\\" && !in_like {
                            value.push('\\');
                        } else {
                            value.push_str(&unescaped);
                        }
                        i += 2;
                    }
                    Some(other) => {
                        value.push(*other);
                        i += 1;
                    }
                }
            }
            tokens.push(Token::Text(value));
        } else if c == ',' {
            tokens.push(Token::Comma);
            i += 1;
        } else if c == '(' {
            tokens.push(Token::Open);
            i += 1;
        } else if c == ')' {
            tokens.push(Token::Close);
            i += 1;
        } else if "=!<>".contains(c) {
            let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let (op, len) = match two.as_str() {
                "!=" | "<>" => (Op::Ne, 2),
                "<=" => (Op::Le, 2),
                ">=" => (Op::Ge, 2),
                _ => match c {
                    '=' => (Op::Eq, 1),
                    '<' => (Op::Lt, 1),
                    '>' => (Op::Gt, 1),
                    _ => return Err(format!("unexpected token: '{c}'")),
                },
            };
            tokens.push(Token::Op(op));
            i += len;
        } else if c.is_ascii_alphanumeric()
            || c == '_'
            || c == '-'
            || c == '.'
            || c == '+'
            || c == ':'
        {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || "_-.:+".contains(chars[i]))
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            tokens.push(classify_word(word));
        } else {
            return Err(format!("unexpected token: '{c}'"));
        }
    }
    Ok(tokens)
}

fn classify_word(word: String) -> Token {
    if word.eq_ignore_ascii_case("LIKE") {
        return Token::Op(Op::Like);
    }
    if let Ok(date) = NaiveDate::parse_from_str(&word, "%Y-%m-%d") {
        return Token::Date(date);
    }
    if let Ok(time) = DateTime::parse_from_rfc3339(&word) {
        return Token::DateTime(time.with_timezone(&Utc));
    }
    if let Ok(time) = DateTime::parse_from_str(&word, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Token::DateTime(time.with_timezone(&Utc));
    }
    if word.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+')
        && let Ok(n) = word.parse::<f64>()
    {
        return Token::Number(n);
    }
    Token::Word(word)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Result<Token, String> {
        let token = self
            .tokens
            .get(self.at)
            .cloned()
            .ok_or_else(|| "unexpected end of query".to_string())?;
        self.at += 1;
        Ok(token)
    }

    fn unexpected(token: &Token) -> String {
        format!("unexpected token: '{}'", token.shown())
    }

    fn keyword(&mut self, keyword: &str) -> Result<(), String> {
        match self.next()? {
            t if t.is_keyword(keyword) => Ok(()),
            other => Err(Self::unexpected(&other)),
        }
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        if self.peek().is_some_and(|t| t.is_keyword(keyword)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn name(&mut self) -> Result<String, String> {
        match self.next()? {
            Token::Word(w) if is_name(&w) => Ok(w),
            other => Err(Self::unexpected(&other)),
        }
    }

    fn count(&mut self) -> Result<usize, String> {
        match self.next()? {
            Token::Number(n) if n >= 0.0 && n.fract() == 0.0 => Ok(n as usize),
            other => Err(Self::unexpected(&other)),
        }
    }

    fn literal(&mut self) -> Result<Literal, String> {
        Ok(match self.next()? {
            Token::Text(t) => Literal::Text(t),
            Token::Number(n) => Literal::Number(n),
            Token::Date(d) => Literal::Date(d),
            Token::DateTime(d) => Literal::DateTime(d),
            t if t.is_keyword("true") => Literal::Bool(true),
            t if t.is_keyword("false") => Literal::Bool(false),
            t if t.is_keyword("null") => Literal::Null,
            other => return Err(Self::unexpected(&other)),
        })
    }

    /// `a AND b AND c` or `a OR b OR c`, never both at one level.
    fn condition(&mut self) -> Result<Condition, String> {
        let first = self.factor()?;
        let mut joiner: Option<&'static str> = None;
        let mut parts = vec![first];
        loop {
            let word = match self.peek() {
                Some(t) if t.is_keyword("AND") => "AND",
                Some(t) if t.is_keyword("OR") => "OR",
                _ => break,
            };
            if joiner.is_some_and(|j| j != word) {
                return Err(format!("unexpected token: '{word}'"));
            }
            joiner = Some(word);
            self.at += 1;
            parts.push(self.factor()?);
        }
        Ok(match joiner {
            None => parts.remove(0),
            Some("AND") => Condition::And(parts),
            Some(_) => Condition::Or(parts),
        })
    }

    fn factor(&mut self) -> Result<Condition, String> {
        if self.eat_keyword("NOT") {
            return Ok(Condition::Not(Box::new(self.factor()?)));
        }
        if self.peek() == Some(&Token::Open) {
            self.at += 1;
            let inner = self.condition()?;
            return match self.next()? {
                Token::Close => Ok(inner),
                other => Err(Self::unexpected(&other)),
            };
        }
        let field = self.name()?;
        let negated = self.eat_keyword("NOT");
        if self.eat_keyword("IN") {
            match self.next()? {
                Token::Open => {}
                other => return Err(Self::unexpected(&other)),
            }
            let mut values = vec![self.literal()?];
            loop {
                match self.next()? {
                    Token::Comma => values.push(self.literal()?),
                    Token::Close => break,
                    other => return Err(Self::unexpected(&other)),
                }
            }
            return Ok(Condition::In {
                field,
                values,
                negated,
            });
        }
        if negated {
            return Err("unexpected token: 'NOT'".into());
        }
        let op = match self.next()? {
            Token::Op(op) => op,
            other => return Err(Self::unexpected(&other)),
        };
        let value = self.literal()?;
        Ok(Condition::Compare { field, op, value })
    }
}

fn is_name(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_alphabetic())
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// Parse a query.
pub fn parse(text: &str) -> Result<Query, String> {
    let mut p = Parser {
        tokens: tokenize(text)?,
        at: 0,
    };
    p.keyword("SELECT")?;
    let mut fields = vec![p.name()?];
    while p.peek() == Some(&Token::Comma) {
        p.at += 1;
        fields.push(p.name()?);
    }
    p.keyword("FROM")?;
    let object = p.name()?;
    let condition = if p.eat_keyword("WHERE") {
        Some(p.condition()?)
    } else {
        None
    };
    let mut order = Vec::new();
    if p.eat_keyword("ORDER") {
        p.keyword("BY")?;
        loop {
            let field = p.name()?;
            let descending = if p.eat_keyword("DESC") {
                true
            } else {
                p.eat_keyword("ASC");
                false
            };
            let nulls_last = if p.eat_keyword("NULLS") {
                match p.next()? {
                    t if t.is_keyword("LAST") => true,
                    t if t.is_keyword("FIRST") => false,
                    other => return Err(Parser::unexpected(&other)),
                }
            } else {
                descending
            };
            order.push(OrderKey {
                field,
                descending,
                nulls_last,
            });
            if p.peek() == Some(&Token::Comma) {
                p.at += 1;
            } else {
                break;
            }
        }
    }
    let limit = if p.eat_keyword("LIMIT") {
        Some(p.count()?)
    } else {
        None
    };
    let offset = if p.eat_keyword("OFFSET") {
        Some(p.count()?)
    } else {
        None
    };
    if let Some(extra) = p.peek() {
        return Err(Parser::unexpected(extra));
    }
    Ok(Query {
        fields,
        object,
        condition,
        order,
        limit,
        offset,
    })
}
