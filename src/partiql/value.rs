//! PartiQL literals -> attribute values, with the service's refusals: strings, numbers (rounded
//! half-even to 38 significant digits where only fraction digits are lost), booleans, NULL,
//! `[...]` lists, `{...}` maps and `<<...>>` sets of strings or numbers; `?` parameters at the
//! top of a value. Errors name the value's place as the service does: `root` for an attribute's
//! value, `root.a.0` below it. Depends on `model` only.
use super::ast::{BinOp, Expr, Lit, SeqKind, Span, UnOp};
use super::PqlError;
use crate::error::Error;
use crate::model::number::{NumberError, MAX_DIGITS};
use crate::model::{AttributeValue, Item, Number};

/// The most levels of nested lists and maps an item may hold (as for PutItem).
const MAX_NESTING: usize = 32;

/// The item of an INSERT: `{ 'name': value, ... }`.
pub fn item_of(e: &Expr, params: &[AttributeValue]) -> Result<Item, PqlError> {
    let Expr::Struct(fields, _) = e else {
        return Err(PqlError::at(
            "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement.",
            e.span(),
        ));
    };
    let cx = Conv {
        params,
        insert: true,
    };
    struct_of(fields, "root", 0, &cx, None)
}

/// What a conversion needs besides the value: the parameters, and whether the value is an
/// INSERT's (whose bags report mixed types without a location).
struct Conv<'a> {
    params: &'a [AttributeValue],
    insert: bool,
}

/// A value written where the statement needs one (a map field, a SET value, a comparison
/// operand): `path` names its place in errors, `depth` is 0 at an attribute's top.
pub fn value_of(
    e: &Expr,
    path: &str,
    depth: usize,
    params: &[AttributeValue],
) -> Result<AttributeValue, PqlError> {
    let cx = Conv {
        params,
        insert: false,
    };
    convert(e, path, depth, &cx)
}

fn convert(e: &Expr, path: &str, depth: usize, cx: &Conv) -> Result<AttributeValue, PqlError> {
    let params = cx.params;
    // A list or map at level 32 (a top-level attribute's value is level 1) is too deep.
    if depth + 1 >= MAX_NESTING && matches!(e, Expr::Seq(..) | Expr::Struct(..)) {
        return Err(PqlError::invalid(
            "Nesting Levels have exceeded supported limits",
        ));
    }
    match e {
        Expr::Lit(lit, span) => literal(lit, *span, path, depth),
        Expr::Param(i, _) => params.get(*i).cloned().ok_or_else(|| {
            PqlError::invalid("Number of parameters in request and statement don't match.")
        }),
        Expr::Unary(UnOp::Pos, inner, _) if matches!(**inner, Expr::Lit(Lit::Num(_), _)) => {
            convert(inner, path, depth, cx)
        }
        Expr::Seq(SeqKind::Bag, items, span) => bag(items, *span, cx.insert),
        Expr::Seq(_, items, _) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let below = format!("{path}.{i}");
                out.push(nested(item, &below, depth + 1, cx)?);
            }
            Ok(AttributeValue::L(out))
        }
        Expr::Struct(fields, span) => Ok(AttributeValue::M(struct_of(
            fields,
            path,
            depth,
            cx,
            Some(*span),
        )?)),
        Expr::Ion(text, span) => Err(PqlError::at(
            format!(
                "Ion Literals are not supported: {} under key {path}",
                ion_type(text)
            ),
            *span,
        )),
        other => Err(unsupported(other, path, depth == 0)),
    }
}

/// A value inside a list or map: parameters are not admitted there.
fn nested(e: &Expr, path: &str, depth: usize, cx: &Conv) -> Result<AttributeValue, PqlError> {
    match e {
        Expr::Param(_, span) => Err(PqlError::at(
            format!("Unsupported data type: Parameter under key {path}"),
            *span,
        )),
        _ => convert(e, path, depth, cx),
    }
}

/// The fields of a map literal at `path`: an INSERT's item (`brace` None: its attributes'
/// values are themselves named `root`, a repeated name is pointed at), or a map value (a
/// repeated name points at its opening brace, as the service reports it).
fn struct_of(
    fields: &[(Expr, Expr)],
    path: &str,
    depth: usize,
    cx: &Conv,
    brace: Option<Span>,
) -> Result<Item, PqlError> {
    let item = brace.is_none();
    let mut out = Item::new();
    for (k, v) in fields {
        let Expr::Lit(Lit::Str(name), span) = k else {
            return Err(PqlError::at(
                format!(
                    "Tuple keys must be of type String. Actual type: {} under {path}",
                    key_type(k)
                ),
                k.span(),
            ));
        };
        if out.contains_key(name) {
            return Err(PqlError::at(
                format!("Duplicate keys in tuple. Key: {name} under {path}"),
                brace.unwrap_or(*span),
            ));
        }
        if name.is_empty() {
            return Err(PqlError::invalid(
                "Path component cannot be an empty string",
            ));
        }
        let value = if item {
            convert(v, path, 0, cx)?
        } else {
            let below = format!("{path}.{name}");
            nested(v, &below, depth + 1, cx)?
        };
        out.insert(name.clone(), value);
    }
    Ok(out)
}

fn key_type(k: &Expr) -> &'static str {
    match k {
        Expr::Lit(Lit::Num(n), _) if n.contains(['.', 'e', 'E']) => "DECIMAL",
        Expr::Lit(Lit::Num(_), _) => "INT",
        Expr::Lit(Lit::Bool(_), _) => "BOOL",
        Expr::Lit(Lit::Null, _) => "NULL",
        Expr::Lit(Lit::Missing, _) => "MISSING",
        Expr::Var(_) => "VariableReference",
        Expr::Param(..) => "Parameter",
        Expr::Path(..) => "Path",
        _ => "NAry",
    }
}

fn literal(lit: &Lit, span: Span, path: &str, depth: usize) -> Result<AttributeValue, PqlError> {
    Ok(match lit {
        Lit::Str(s) => AttributeValue::S(s.clone()),
        Lit::Num(n) => AttributeValue::N(number(n, span, path)?),
        Lit::Bool(b) => AttributeValue::Bool(*b),
        Lit::Null => AttributeValue::Null,
        Lit::Missing => {
            let name = if depth == 0 {
                "MISSING"
            } else {
                "LiteralMissing"
            };
            return Err(PqlError::at(
                format!("Unsupported data type: {name} under key {path}"),
                span,
            ));
        }
    })
}

/// A number literal as DynamoDB stores it: a negative zero decimal is refused, fraction digits
/// beyond 38 significant ones are rounded half-even, the range is the service's.
pub fn number(text: &str, span: Span, path: &str) -> Result<Number, PqlError> {
    let decimal = text.contains(['.', 'e', 'E']);
    let n = match Number::parse(text) {
        Ok(n) => n,
        Err(NumberError::TooManyDigits) => round(text)?,
        Err(e) => return Err(Error::validation(e.message()).into()),
    };
    if decimal && n.is_zero() && text.starts_with('-') {
        return Err(PqlError::at(
            format!("Negative zero decimal is not supported under key {path}"),
            span,
        ));
    }
    Ok(n)
}

/// `text` (over 38 significant digits) rounded half-even to 38, unless the integer part alone
/// is longer (then the service's precision error).
fn round(text: &str) -> Result<Number, PqlError> {
    let too_many = || PqlError::from(Error::validation(NumberError::TooManyDigits.message()));
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (
            &body[..i],
            body[i + 1..].parse::<i64>().map_err(|_| too_many())?,
        ),
        None => (body, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
    // value = 0.d1 d2 ... x 10^point
    let mut point = int.len() as i64 + exp;
    let lead = digits.iter().position(|&d| d != 0).unwrap_or(digits.len());
    let mut sig: Vec<u8> = digits[lead..].to_vec();
    point -= lead as i64;
    if point > MAX_DIGITS as i64 && sig.len() > MAX_DIGITS {
        return Err(too_many());
    }
    if sig.len() > MAX_DIGITS {
        let rest = sig.split_off(MAX_DIGITS);
        let first = rest[0];
        let tail_nonzero = rest[1..].iter().any(|&d| d != 0);
        let last_odd = sig.last().is_some_and(|d| d % 2 == 1);
        if first > 5 || (first == 5 && (tail_nonzero || last_odd)) {
            // Carry.
            let mut i = sig.len();
            loop {
                if i == 0 {
                    sig.insert(0, 1);
                    point += 1;
                    break;
                }
                i -= 1;
                if sig[i] == 9 {
                    sig[i] = 0;
                } else {
                    sig[i] += 1;
                    break;
                }
            }
        }
    }
    let mut s = String::with_capacity(sig.len() + 8);
    if negative {
        s.push('-');
    }
    s.push_str("0.");
    s.extend(sig.iter().map(|d| char::from(b'0' + d)));
    s.push_str(&format!("E{point}"));
    Number::parse(&s).map_err(|e| Error::validation(e.message()).into())
}

/// `<<...>>`: a string set or a number set, never empty, never with duplicates. Mixed types
/// point at the first element of another type than the first, except in an INSERT's item.
fn bag(items: &[Expr], span: Span, insert: bool) -> Result<AttributeValue, PqlError> {
    const BAG_TYPES: &str =
        "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags";
    if items.is_empty() {
        return Err(PqlError::at("Empty bags are not supported", span));
    }
    let mut strings = Vec::new();
    let mut numbers = Vec::new();
    for item in items {
        match item {
            Expr::Lit(Lit::Str(s), _) => strings.push(s.clone()),
            Expr::Lit(Lit::Num(n), span) => numbers.push(number(n, *span, "root")?),
            other => return Err(PqlError::at(BAG_TYPES, other.span())),
        }
        let mixed = !strings.is_empty() && !numbers.is_empty();
        if mixed && !insert {
            return Err(PqlError::at(BAG_TYPES, item.span()));
        }
    }
    let duplicates = || PqlError::invalid("Input collection contains duplicates");
    match (strings.is_empty(), numbers.is_empty()) {
        (false, true) => {
            let mut sorted = strings.clone();
            sorted.sort();
            sorted.dedup();
            if sorted.len() != strings.len() {
                return Err(duplicates());
            }
            Ok(AttributeValue::Ss(strings))
        }
        (true, false) => {
            let mut seen: Vec<&Number> = Vec::with_capacity(numbers.len());
            for n in &numbers {
                if seen.contains(&n) {
                    return Err(duplicates());
                }
                seen.push(n);
            }
            Ok(AttributeValue::Ns(numbers))
        }
        _ => Err(PqlError::invalid(BAG_TYPES)),
    }
}

/// What the service calls an expression that is not a value, where it names it.
fn unsupported(e: &Expr, path: &str, top: bool) -> PqlError {
    let (name, span) = match e {
        Expr::Var(id) if top => (id.name.clone(), Some(id.span)),
        Expr::Var(id) => ("VariableReference".into(), Some(id.span)),
        Expr::Call(id, _) if top => (id.name.to_ascii_lowercase(), Some(id.span)),
        Expr::Binary(op, _, _, span) if top => (
            match op {
                BinOp::And | BinOp::Or => op.as_str().to_ascii_lowercase(),
                _ => op.as_str().to_string(),
            },
            Some(*span),
        ),
        Expr::Unary(UnOp::Not, _, span) if top => ("not".into(), Some(*span)),
        Expr::Unary(UnOp::Neg, _, span) if top => ("-".into(), Some(*span)),
        Expr::Unary(UnOp::Pos, _, span) if top => ("+".into(), Some(*span)),
        Expr::In { span, .. } if top => ("in".into(), Some(*span)),
        Expr::Between { span, .. } if top => ("between".into(), Some(*span)),
        Expr::Like { span, .. } if top => ("like".into(), Some(*span)),
        Expr::Is { span, .. } if top => ("is".into(), Some(*span)),
        Expr::Path(..) if top => ("PATH".into(), None),
        Expr::Typed(_, _, span) => ("UNKNOWN".into(), Some(*span)),
        Expr::Path(..) => ("Path".into(), Some(e.span())),
        other => ("NAry".into(), Some(other.span())),
    };
    let message = format!("Unsupported data type: {name} under key {path}");
    match span {
        Some(s) => PqlError::at(message, s),
        None => PqlError::invalid(message),
    }
}

/// The Ion type of a backtick literal, as the service names it.
pub fn ion_type(text: &str) -> &'static str {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    if let Some(typed) = lower.strip_prefix("null.") {
        return match typed {
            "int" => "INT",
            "decimal" => "DECIMAL",
            "float" => "FLOAT",
            "string" => "STRING",
            "symbol" => "SYMBOL",
            "blob" => "BLOB",
            "clob" => "CLOB",
            "timestamp" => "TIMESTAMP",
            "list" => "LIST",
            "sexp" => "SEXP",
            "struct" => "STRUCT",
            "bool" => "BOOL",
            _ => "NULL",
        };
    }
    match lower.as_str() {
        "null" => return "NULL",
        "true" | "false" => return "BOOL",
        "nan" | "+inf" | "-inf" => return "FLOAT",
        _ => {}
    }
    if let Some(inner) = t.strip_prefix("{{") {
        return if inner.trim_start().starts_with(['"', '\'']) {
            "CLOB"
        } else {
            "BLOB"
        };
    }
    match t.as_bytes().first() {
        Some(b'{') => "STRUCT",
        Some(b'[') => "LIST",
        Some(b'(') => "SEXP",
        Some(b'"') => "STRING",
        Some(b'\'') => "SYMBOL",
        Some(c) if c.is_ascii_digit() || *c == b'-' || *c == b'+' => {
            let body = t.trim_start_matches(['-', '+']);
            if body.contains('T') || (body.len() > 4 && body.as_bytes()[4] == b'-') {
                "TIMESTAMP"
            } else if lower.contains('e') && !lower.starts_with("0x") {
                "FLOAT"
            } else if lower.contains('d') || t.contains('.') {
                "DECIMAL"
            } else {
                "INT"
            }
        }
        _ => "SYMBOL",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partiql::ast::Statement;
    use crate::partiql::parser::parse_statement;

    fn insert_value(text: &str, params: &[AttributeValue]) -> Result<Item, String> {
        let Ok(Statement::Insert(i)) = parse_statement(text) else {
            panic!("not an insert: {text}")
        };
        item_of(&i.value, params).map_err(|e| e.into_error(text).message.unwrap_or_default())
    }

    fn n(s: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(s).unwrap())
    }

    // Every literal kind becomes the attribute value the service stores.
    #[test]
    fn literals_become_attribute_values() {
        let item = insert_value(
            "INSERT INTO t VALUE {'s': 'x', 'n': -1.50, 'b': true, 'z': NULL, 'l': [1, 'a'], 'm': {'k': <<2, 1>>}, 'ss': <<'a'>>, 'p': ?}",
            &[AttributeValue::B(vec![1])],
        )
        .unwrap();
        assert_eq!(item["s"], AttributeValue::S("x".into()));
        assert_eq!(item["n"], n("-1.5"));
        assert_eq!(item["b"], AttributeValue::Bool(true));
        assert_eq!(item["z"], AttributeValue::Null);
        assert_eq!(
            item["l"],
            AttributeValue::L(vec![n("1"), AttributeValue::S("a".into())])
        );
        let AttributeValue::M(m) = &item["m"] else {
            panic!()
        };
        assert_eq!(
            m["k"],
            AttributeValue::Ns(vec![
                Number::parse("2").unwrap(),
                Number::parse("1").unwrap()
            ])
        );
        assert_eq!(item["ss"], AttributeValue::Ss(vec!["a".into()]));
        assert_eq!(item["p"], AttributeValue::B(vec![1]));
    }

    // Recorded from DynamoDB Local: only fraction digits are rounded, half to even.
    #[test]
    fn long_numbers_round_half_even_in_their_fraction() {
        let r = |t: &str| number(t, Span::default(), "root").map(|n| n.to_string());
        assert_eq!(
            r("1.23456789012345678901234567890123456785").unwrap(),
            "1.2345678901234567890123456789012345678"
        );
        assert_eq!(
            r("1.23456789012345678901234567890123456775").unwrap(),
            "1.2345678901234567890123456789012345678"
        );
        assert_eq!(
            r("12345678901234567890123456789012345678.5").unwrap(),
            "12345678901234567890123456789012345678"
        );
        assert_eq!(r("9.99999999999999999999999999999999999999").unwrap(), "10");
        assert!(r("123456789012345678901234567890123456785").is_err());
        assert!(r("-0.0").is_err());
        assert_eq!(r("-0").unwrap(), "0");
    }

    // The service's words and places for values it cannot store.
    #[test]
    fn refused_values_name_their_place() {
        let cases = [
            ("INSERT INTO t VALUE {'a': MISSING}", "Unsupported data type: MISSING under key root at 1:27:7"),
            ("INSERT INTO t VALUE {'a': [MISSING]}", "Unsupported data type: LiteralMissing under key root.0 at 1:28:7"),
            ("INSERT INTO t VALUE {'a': {'b': [1, x]}}", "Unsupported data type: VariableReference under key root.b.1 at 1:37:1"),
            ("INSERT INTO t VALUE {'a': 1 + 1}", "Unsupported data type: + under key root at 1:29:1"),
            ("INSERT INTO t VALUE {'a': `1.0`}", "Ion Literals are not supported: DECIMAL under key root at 1:27:5"),
            ("INSERT INTO t VALUE {'a': <<>>}", "Empty bags are not supported at 1:27:2"),
            ("INSERT INTO t VALUE {'a': <<1, 'x'>>}", "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags"),
            ("INSERT INTO t VALUE {'a': <<1, 1.0>>}", "Input collection contains duplicates"),
            ("INSERT INTO t VALUE {'a': 1, 'a': 2}", "Duplicate keys in tuple. Key: a under root at 1:30:3"),
            ("INSERT INTO t VALUE {'a': 1, 2: 2}", "Tuple keys must be of type String. Actual type: INT under root at 1:30:1"),
            ("INSERT INTO t VALUE [1]", "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement. at 1:21:1"),
        ];
        for (text, want) in cases {
            assert_eq!(insert_value(text, &[]).unwrap_err(), want, "{text}");
        }
    }

    // Ion literal types as the service names them in its refusal.
    #[test]
    fn ion_literal_types() {
        for (t, ty) in [
            ("1", "INT"),
            ("1.0", "DECIMAL"),
            ("1e0", "FLOAT"),
            ("\"s\"", "STRING"),
            ("sym", "SYMBOL"),
            ("{{aGk=}}", "BLOB"),
            ("{{\"c\"}}", "CLOB"),
            ("2007T", "TIMESTAMP"),
            ("[1]", "LIST"),
            ("(a b)", "SEXP"),
            ("{a:1}", "STRUCT"),
            ("true", "BOOL"),
            ("null", "NULL"),
            ("null.int", "INT"),
        ] {
            assert_eq!(ion_type(t), ty, "{t}");
        }
    }
}
