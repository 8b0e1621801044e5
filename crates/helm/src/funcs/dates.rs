//! Sprig's date functions over a Go-like `time.Time`: Go reference-layout formatting and
//! parsing, zones from the system's zoneinfo (unknown zones fall back to UTC as in Sprig),
//! "Local" meaning UTC (renders run with TZ=UTC, like Helm's reference outputs).

use std::rc::Rc;

use super::args::{add_ctx, s};
use gotmpl::Param;
use gotmpl::value::{IntTy, Object, Value};
use gotmpl::{Engine, Shared};

const A: Param = Param::Any;
const S: Param = Param::Str;

/// A Go `time.Time`: an instant plus the zone it is shown in.
#[derive(Clone)]
pub struct Time {
    secs: i64,
    nanos: u32,
    zone: Zone,
}

#[derive(Clone)]
struct Zone {
    name: String,
    offset: i32,
}

fn utc() -> Zone {
    Zone {
        name: "UTC".into(),
        offset: 0,
    }
}

impl Object for Time {
    fn type_name(&self) -> String {
        "time.Time".into()
    }

    fn field(&self, name: &str) -> Option<Value> {
        let c = self.civil();
        Some(match name {
            "Unix" => Value::int64(self.secs),
            "Year" => Value::int(c.year),
            "Month" => Value::int(c.month as i64),
            "Day" => Value::int(c.day as i64),
            "Hour" => Value::int(c.hour as i64),
            "Minute" => Value::int(c.min as i64),
            "Second" => Value::int(c.sec as i64),
            "String" => Value::string(self.go_string()),
            _ => return None,
        })
    }

    fn has_method(&self, name: &str) -> bool {
        name == "Format"
    }

    fn call_method(&self, _name: &str, args: &[Value]) -> Result<Value, String> {
        match args {
            [Value::Str(layout)] => Ok(Value::string(self.format(layout))),
            _ => Err("wrong number of args for Format: want 1".into()),
        }
    }

    fn format_v(&self) -> String {
        self.go_string()
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    min: u32,
    sec: u32,
    weekday: usize,
    yday: u32,
}

/// UTC calendar fields of a Unix time: (year, month, day, hour, minute, second).
pub(crate) fn utc_fields(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        (rem / 60 % 60) as u32,
        (rem % 60) as u32,
    )
}

/// Days since 1970-01-01 → (year, month, day) (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

impl Time {
    fn civil(&self) -> Civil {
        let local = self.secs + self.zone.offset as i64;
        let days = local.div_euclid(86_400);
        let rem = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            min: (rem / 60 % 60) as u32,
            sec: (rem % 60) as u32,
            weekday: (days + 4).rem_euclid(7) as usize,
            yday: (days - days_from_civil(year, 1, 1) + 1) as u32,
        }
    }

    fn in_zone(&self, zone: Zone) -> Time {
        Time {
            zone,
            ..self.clone()
        }
    }

    /// Go's `Time.String()`.
    fn go_string(&self) -> String {
        self.format("2006-01-02 15:04:05.999999999 -0700 MST")
    }

    /// Go's `Time.Format` with a reference layout.
    fn format(&self, layout: &str) -> String {
        let c = self.civil();
        let mut out = String::new();
        let mut rest = layout;
        let off = self.zone.offset;
        let sign = if off < 0 { '-' } else { '+' };
        let (oh, om) = (off.abs() / 3600, off.abs() / 60 % 60);
        while !rest.is_empty() {
            let (token, text): (usize, String) = if rest.starts_with("January") {
                (7, MONTHS[c.month as usize - 1].into())
            } else if rest.starts_with("Jan") {
                (3, MONTHS[c.month as usize - 1][..3].into())
            } else if rest.starts_with("Monday") {
                (6, DAYS[c.weekday].into())
            } else if rest.starts_with("Mon") {
                (3, DAYS[c.weekday][..3].into())
            } else if rest.starts_with("MST") {
                let name = if self.zone.name.is_empty() {
                    format!("{sign}{oh:02}{om:02}")
                } else {
                    self.zone.name.clone()
                };
                (3, name)
            } else if rest.starts_with("2006") {
                (4, format!("{:04}", c.year))
            } else if rest.starts_with("-07:00:00") {
                (9, format!("{sign}{oh:02}:{om:02}:00"))
            } else if rest.starts_with("-07:00") {
                (6, format!("{sign}{oh:02}:{om:02}"))
            } else if rest.starts_with("-0700") {
                (5, format!("{sign}{oh:02}{om:02}"))
            } else if rest.starts_with("-07") {
                (3, format!("{sign}{oh:02}"))
            } else if rest.starts_with("Z07:00") {
                (
                    6,
                    if off == 0 {
                        "Z".into()
                    } else {
                        format!("{sign}{oh:02}:{om:02}")
                    },
                )
            } else if rest.starts_with("Z0700") {
                (
                    5,
                    if off == 0 {
                        "Z".into()
                    } else {
                        format!("{sign}{oh:02}{om:02}")
                    },
                )
            } else if rest.starts_with("Z07") {
                (
                    3,
                    if off == 0 {
                        "Z".into()
                    } else {
                        format!("{sign}{oh:02}")
                    },
                )
            } else if rest.starts_with("002") {
                (3, format!("{:03}", c.yday))
            } else if rest.starts_with("__2") {
                (3, format!("{:>3}", c.yday))
            } else if rest.starts_with("01") {
                (2, format!("{:02}", c.month))
            } else if rest.starts_with("02") {
                (2, format!("{:02}", c.day))
            } else if rest.starts_with("_2") {
                (2, format!("{:>2}", c.day))
            } else if rest.starts_with("06") {
                (2, format!("{:02}", c.year.rem_euclid(100)))
            } else if rest.starts_with("15") {
                (2, format!("{:02}", c.hour))
            } else if rest.starts_with("03") {
                (2, format!("{:02}", (c.hour + 11) % 12 + 1))
            } else if rest.starts_with("04") {
                (2, format!("{:02}", c.min))
            } else if rest.starts_with("05") {
                (2, format!("{:02}", c.sec))
            } else if rest.starts_with("PM") {
                (2, if c.hour >= 12 { "PM" } else { "AM" }.into())
            } else if rest.starts_with("pm") {
                (2, if c.hour >= 12 { "pm" } else { "am" }.into())
            } else if let Some(n) = frac_len(rest) {
                let digits = format!("{:09}", self.nanos);
                let keep = &digits[..n - 1];
                let text = if rest.as_bytes()[1] == b'9' {
                    let t = keep.trim_end_matches('0');
                    if t.is_empty() {
                        String::new()
                    } else {
                        format!(".{t}")
                    }
                } else {
                    format!(".{keep}")
                };
                (n, text)
            } else if rest.starts_with('1') {
                (1, c.month.to_string())
            } else if rest.starts_with('2') {
                (1, c.day.to_string())
            } else if rest.starts_with('3') {
                (1, ((c.hour + 11) % 12 + 1).to_string())
            } else if rest.starts_with('4') {
                (1, c.min.to_string())
            } else if rest.starts_with('5') {
                (1, c.sec.to_string())
            } else {
                let ch = rest.chars().next().unwrap_or(' ');
                (ch.len_utf8(), ch.to_string())
            };
            out.push_str(&text);
            rest = &rest[token..];
        }
        out
    }
}

/// Length of a fractional-seconds token `.000`/`.999` (Go requires a non-digit after it).
fn frac_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.len() < 2 || (b[0] != b'.' && b[0] != b',') || (b[1] != b'0' && b[1] != b'9') {
        return None;
    }
    let d = b[1];
    let n = 1 + b[1..].iter().take_while(|&&c| c == d).count();
    if b.get(n).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    Some(n)
}

/// A zone by IANA name from the system's zoneinfo (TZif), at instant `secs`.
fn load_zone(name: &str, secs: i64) -> Option<Zone> {
    if name == "UTC" || name == "Local" || name.is_empty() {
        return Some(utc());
    }
    if name.contains("..") {
        return None;
    }
    let data = std::fs::read(format!("/usr/share/zoneinfo/{name}")).ok()?;
    tzif_zone(&data, secs)
}

fn tzif_zone(d: &[u8], secs: i64) -> Option<Zone> {
    if d.get(..4)? != b"TZif" {
        return None;
    }
    let be32 = |i: usize| -> Option<i64> {
        Some(i32::from_be_bytes(d.get(i..i + 4)?.try_into().ok()?) as i64)
    };
    let n = |i: usize| be32(20 + 4 * i).map(|v| v as usize);
    // Header counts: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt.
    let (timecnt, typecnt, charcnt) = (n(3)?, n(4)?, n(5)?);
    let trans = 44;
    let idx = trans + 4 * timecnt;
    let types = idx + timecnt;
    let chars = types + 6 * typecnt;
    let mut t = 0usize;
    for i in 0..timecnt {
        if be32(trans + 4 * i)? <= secs {
            t = *d.get(idx + i)? as usize;
        }
    }
    if timecnt == 0 {
        t = 0;
    }
    let off = be32(types + 6 * t)? as i32;
    let abbr_at = *d.get(types + 6 * t + 5)? as usize;
    let abbr_bytes = d.get(chars + abbr_at..chars + charcnt)?;
    let end = abbr_bytes
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(abbr_bytes.len());
    Some(Zone {
        name: String::from_utf8_lossy(&abbr_bytes[..end]).into_owned(),
        offset: off,
    })
}

fn time_value(t: Time) -> Value {
    Value::Object(Rc::new(t))
}

fn now(shared: &Shared) -> Time {
    let (secs, nanos) = shared.now();
    Time {
        secs,
        nanos,
        zone: utc(),
    }
}

/// The instant a date argument stands for (Sprig: times and ints; anything else is now).
fn as_time(v: &Value, shared: &Shared) -> Time {
    match v {
        Value::Object(o) => match o.as_any().and_then(|a| a.downcast_ref::<Time>()) {
            Some(t) => t.clone(),
            None => now(shared),
        },
        Value::Int(n, IntTy::Int | IntTy::Int64 | IntTy::Int32) => Time {
            secs: *n,
            nanos: 0,
            zone: utc(),
        },
        _ => now(shared),
    }
}

fn in_zone(t: &Time, zone: &str) -> Time {
    t.in_zone(load_zone(zone, t.secs).unwrap_or_else(utc))
}

pub(super) fn register(e: &mut Engine) {
    add_ctx(e, "now", &[], |c, _| Ok(time_value(now(c.shared()))));
    add_ctx(e, "date", &[S, A], |c, a| {
        Ok(Value::string(
            in_zone(&as_time(&a[1], c.shared()), "UTC").format(s(a, 0)),
        ))
    });
    for name in ["dateInZone", "date_in_zone"] {
        add_ctx(e, name, &[S, A, S], |c, a| {
            Ok(Value::string(
                in_zone(&as_time(&a[1], c.shared()), s(a, 2)).format(s(a, 0)),
            ))
        });
    }
    add_ctx(e, "htmlDate", &[A], |c, a| {
        Ok(Value::string(
            as_time(&a[0], c.shared()).format("2006-01-02"),
        ))
    });
    add_ctx(e, "htmlDateInZone", &[A, S], |c, a| {
        Ok(Value::string(
            in_zone(&as_time(&a[0], c.shared()), s(a, 1)).format("2006-01-02"),
        ))
    });
    add_ctx(e, "toDate", &[S, S], |_, a| {
        Ok(time_value(
            parse_layout(s(a, 0), s(a, 1)).unwrap_or(zero_time()),
        ))
    });
    add_ctx(e, "mustToDate", &[S, S], |_, a| {
        parse_layout(s(a, 0), s(a, 1))
            .map(time_value)
            .map_err(|e| e.to_string())
    });
    add_ctx(e, "unixEpoch", &[A], |c, a| {
        Ok(Value::string(as_time(&a[0], c.shared()).secs.to_string()))
    });
    for name in ["dateModify", "date_modify"] {
        add_ctx(e, name, &[S, A], |c, a| {
            let t = as_time(&a[1], c.shared());
            Ok(time_value(match crate::duration::parse(s(a, 0)) {
                Some(ns) => modified(t, ns),
                None => t,
            }))
        });
    }
    add_ctx(e, "mustDateModify", &[S, A], |c, a| {
        let t = as_time(&a[1], c.shared());
        match crate::duration::parse(s(a, 0)) {
            Some(ns) => Ok(time_value(modified(t, ns))),
            None => Err(format!(
                "time: invalid duration {}",
                gotmpl::fmt::quote(s(a, 0))
            )),
        }
    });
    add_ctx(e, "duration", &[A], |_, a| {
        let secs = match &a[0] {
            Value::Str(s) => s.parse::<i64>().unwrap_or(0),
            Value::Int(n, IntTy::Int64) => *n,
            _ => 0,
        };
        Ok(Value::string(go_duration(secs as i128 * 1_000_000_000)))
    });
    add_ctx(e, "durationRound", &[A], |c, a| {
        let ns: i128 = match &a[0] {
            Value::Str(s) => crate::duration::parse(s).unwrap_or(0),
            Value::Int(n, _) => *n as i128,
            Value::Object(o) if o.type_name() == "time.Time" => {
                (now(c.shared()).secs - as_time(&a[0], c.shared()).secs) as i128 * 1_000_000_000
            }
            _ => 0,
        };
        Ok(Value::string(duration_round(ns)))
    });
    add_ctx(e, "ago", &[A], |c, a| {
        let ns = (now(c.shared()).secs - as_time(&a[0], c.shared()).secs) as i128 * 1_000_000_000;
        Ok(Value::string(go_duration(ns)))
    });
}

/// Go's zero `time.Time`: what `toDate` gives for text it cannot parse.
/// `t` moved by `ns` nanoseconds.
fn modified(t: Time, ns: i128) -> Time {
    let total = t.secs as i128 * 1_000_000_000 + t.nanos as i128 + ns;
    Time {
        secs: total.div_euclid(1_000_000_000) as i64,
        nanos: total.rem_euclid(1_000_000_000) as u32,
        zone: t.zone,
    }
}

fn zero_time() -> Time {
    Time {
        secs: days_from_civil(1, 1, 1) * 86_400,
        nanos: 0,
        zone: utc(),
    }
}

/// Go's `Duration.String()`.
fn go_duration(ns: i128) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = ns < 0;
    let u = ns.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        let (v, unit) = if u < 1_000 {
            (u as f64, "ns")
        } else if u < 1_000_000 {
            (u as f64 / 1e3, "µs")
        } else {
            (u as f64 / 1e6, "ms")
        };
        out = format!("{}{unit}", gotmpl::fmt::format_float_v(v));
    } else {
        let h = u / 3_600_000_000_000;
        let m = u / 60_000_000_000 % 60;
        let s_ns = u % 60_000_000_000;
        let secs = s_ns / 1_000_000_000;
        let frac = s_ns % 1_000_000_000;
        let mut sec_text = secs.to_string();
        if frac > 0 {
            let f = format!("{frac:09}");
            sec_text.push('.');
            sec_text.push_str(f.trim_end_matches('0'));
        }
        if h > 0 {
            out.push_str(&format!("{h}h{m}m"));
        } else if m > 0 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&format!("{sec_text}s"));
    }
    if neg { format!("-{out}") } else { out }
}

/// Sprig's `durationRound`: the largest unit only (`2h`, `16d`, `1m`).
fn duration_round(ns: i128) -> String {
    let u = ns.unsigned_abs();
    let sign = if ns < 0 { "-" } else { "" };
    let (year, month, day, hour, minute, second) = (
        365 * 86_400_000_000_000u128,
        30 * 86_400_000_000_000u128,
        86_400_000_000_000u128,
        3_600_000_000_000u128,
        60_000_000_000u128,
        1_000_000_000u128,
    );
    let text = if u > year {
        format!("{}y", u / year)
    } else if u > month {
        format!("{}mo", u / month)
    } else if u > day {
        format!("{}d", u / day)
    } else if u > hour {
        format!("{}h", u / hour)
    } else if u > minute {
        format!("{}m", u / minute)
    } else if u > second {
        format!("{}s", u / second)
    } else {
        "0s".into()
    };
    format!("{sign}{text}")
}

/// Go's `time.Parse` error.
struct ParseErr {
    value: String,
    layout: String,
    elem_value: String,
    elem: String,
}

impl std::fmt::Display for ParseErr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let q = gotmpl::fmt::quote;
        write!(
            f,
            "parsing time {} as {}: cannot parse {} as {}",
            q(&self.value),
            q(&self.layout),
            q(&self.elem_value),
            q(&self.elem)
        )
    }
}

/// Go's `time.ParseInLocation(layout, value, UTC)` for the common layout elements.
fn parse_layout(layout: &str, value: &str) -> Result<Time, ParseErr> {
    let (mut year, mut month, mut day, mut hour, mut min, mut sec, mut nanos) =
        (1i64, 1u32, 1u32, 0u32, 0u32, 0u32, 0u32);
    let mut offset: Option<i32> = None;
    let mut zone_name: Option<String> = None;
    let mut pm: Option<bool> = None;
    let (mut l, mut v) = (layout, value);
    let fail = |elem: &str, rest: &str| ParseErr {
        value: value.into(),
        layout: layout.into(),
        elem_value: rest.into(),
        elem: elem.into(),
    };
    let num = |v: &str, min_digits: usize, max_digits: usize| -> Option<(i64, usize)> {
        let n = v
            .bytes()
            .take(max_digits)
            .take_while(u8::is_ascii_digit)
            .count();
        if n < min_digits {
            return None;
        }
        Some((v[..n].parse().ok()?, n))
    };
    const TOKENS: &[&str] = &[
        "January", "Monday", "2006", "-07:00", "-0700", "Z07:00", "Z0700", "Jan", "Mon", "MST",
        "-07", "002", "01", "02", "_2", "06", "15", "03", "04", "05", "PM", "pm", "1", "2", "3",
        "4", "5",
    ];
    while !l.is_empty() {
        if let Some(n) = frac_len(l) {
            let digits = v
                .get(1..)
                .map_or(0, |r| r.bytes().take_while(u8::is_ascii_digit).count());
            if v.starts_with(['.', ',']) && digits > 0 {
                let d = &v[1..1 + digits];
                nanos = format!("{:0<9}", &d[..d.len().min(9)]).parse().unwrap_or(0);
                v = &v[1 + digits..];
            } else if l.as_bytes()[1] == b'0' {
                return Err(fail(&l[..n], v));
            }
            l = &l[n..];
            continue;
        }
        let Some(tok) = TOKENS.iter().find(|t| l.starts_with(**t)) else {
            let c = l.chars().next().unwrap_or(' ');
            if !v.starts_with(c) {
                return Err(fail(&l[..c.len_utf8()], v));
            }
            l = &l[c.len_utf8()..];
            v = &v[c.len_utf8()..];
            continue;
        };
        let elem = *tok;
        let bad = || fail(elem, v);
        let used = match elem {
            "2006" => {
                let (n, used) = num(v, 4, 4).ok_or_else(bad)?;
                year = n;
                used
            }
            "06" => {
                let (n, used) = num(v, 2, 2).ok_or_else(bad)?;
                year = if n >= 69 { 1900 + n } else { 2000 + n };
                used
            }
            "01" | "1" => {
                let (n, used) = num(v, if elem == "01" { 2 } else { 1 }, 2).ok_or_else(bad)?;
                month = n as u32;
                used
            }
            "January" | "Jan" => {
                let i = MONTHS
                    .iter()
                    .position(|m| {
                        let m = if elem == "Jan" { &m[..3] } else { m };
                        v.get(..m.len()).is_some_and(|p| p.eq_ignore_ascii_case(m))
                    })
                    .ok_or_else(bad)?;
                month = i as u32 + 1;
                if elem == "Jan" { 3 } else { MONTHS[i].len() }
            }
            "Monday" | "Mon" => {
                let i = DAYS
                    .iter()
                    .position(|d| {
                        let d = if elem == "Mon" { &d[..3] } else { d };
                        v.get(..d.len()).is_some_and(|p| p.eq_ignore_ascii_case(d))
                    })
                    .ok_or_else(bad)?;
                if elem == "Mon" { 3 } else { DAYS[i].len() }
            }
            "02" | "2" | "_2" => {
                let vv = if elem == "_2" {
                    v.strip_prefix(' ').unwrap_or(v)
                } else {
                    v
                };
                let skipped = v.len() - vv.len();
                let (n, used) = num(vv, if elem == "02" { 2 } else { 1 }, 2).ok_or_else(bad)?;
                day = n as u32;
                used + skipped
            }
            "002" => num(v, 3, 3).ok_or_else(bad)?.1,
            "15" => {
                let (n, used) = num(v, 1, 2).ok_or_else(bad)?;
                hour = n as u32;
                used
            }
            "03" | "3" => {
                let (n, used) = num(v, if elem == "03" { 2 } else { 1 }, 2).ok_or_else(bad)?;
                hour = n as u32;
                used
            }
            "04" | "4" => {
                let (n, used) = num(v, if elem == "04" { 2 } else { 1 }, 2).ok_or_else(bad)?;
                min = n as u32;
                used
            }
            "05" | "5" => {
                let (n, used) = num(v, if elem == "05" { 2 } else { 1 }, 2).ok_or_else(bad)?;
                sec = n as u32;
                used
            }
            "PM" | "pm" => {
                let t = v.get(..2).ok_or_else(bad)?.to_ascii_uppercase();
                pm = Some(match t.as_str() {
                    "PM" => true,
                    "AM" => false,
                    _ => return Err(bad()),
                });
                2
            }
            "MST" => {
                let n = v.bytes().take_while(u8::is_ascii_uppercase).count();
                if n < 3 {
                    return Err(bad());
                }
                zone_name = Some(v[..n].to_string());
                n
            }
            _ => {
                // Zone offsets: -07:00, -0700, -07, and the Z forms.
                if elem.starts_with('Z') && v.starts_with('Z') {
                    offset = Some(0);
                    1
                } else {
                    let sign = match v.as_bytes().first() {
                        Some(b'+') => 1,
                        Some(b'-') => -1,
                        _ => return Err(bad()),
                    };
                    let body = elem.trim_start_matches(['Z', '-']);
                    let (h, m, used) = match body {
                        "07:00" => {
                            let (h, _) = num(&v[1..], 2, 2).ok_or_else(bad)?;
                            if v.as_bytes().get(3) != Some(&b':') {
                                return Err(bad());
                            }
                            let (m, _) = num(&v[4..], 2, 2).ok_or_else(bad)?;
                            (h, m, 6)
                        }
                        "0700" => {
                            let (h, _) = num(&v[1..], 2, 2).ok_or_else(bad)?;
                            let (m, _) = num(&v[3..], 2, 2).ok_or_else(bad)?;
                            (h, m, 5)
                        }
                        _ => {
                            let (h, _) = num(&v[1..], 2, 2).ok_or_else(bad)?;
                            (h, 0, 3)
                        }
                    };
                    offset = Some(sign * (h as i32 * 3600 + m as i32 * 60));
                    used
                }
            }
        };
        l = &l[elem.len()..];
        v = &v[used..];
    }
    if !v.is_empty() {
        return Err(ParseErr {
            value: value.into(),
            layout: layout.into(),
            elem_value: String::new(),
            elem: String::new(),
        });
    }
    if let Some(is_pm) = pm {
        if is_pm && hour < 12 {
            hour += 12;
        } else if !is_pm && hour == 12 {
            hour = 0;
        }
    }
    let local = days_from_civil(year, month, day) * 86_400 + (hour * 3600 + min * 60 + sec) as i64;
    let off = offset.unwrap_or(0);
    let zone = match (offset, zone_name) {
        (Some(0), _) if layout.contains('Z') => utc(),
        (Some(o), _) => Zone {
            name: String::new(),
            offset: o,
        },
        (None, Some(n)) if n == "UTC" => utc(),
        (None, Some(n)) => Zone { name: n, offset: 0 },
        (None, None) => utc(),
    };
    Ok(Time {
        secs: local - off as i64,
        nanos,
        zone,
    })
}
