//! Charts drawn by the server: a pure function from series to an inline `<svg>` (no script,
//! no event handler, no `style` attribute or element: the CSP's `default-src 'self'` keeps
//! inline styles out, and SVG presentation attributes such as `fill` and `stroke` are not
//! CSS). Text is escaped; non-finite values are left out, so no `NaN` reaches the markup.

use std::fmt::Write as _;

/// Drawing size (the `viewBox`; the page's CSS scales it to the column's width).
const W: f64 = 640.0;
const H: f64 = 220.0;
/// Plot area inside the frame: room for the y labels left, the x labels and legend below.
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 48.0;
/// Series colours, in order.
const COLOURS: [&str; 4] = ["#2970ff", "#e5484d", "#30a46c", "#f5a524"];
/// Most points drawn per line: longer series are thinned (the plot is ~570 px wide).
const MAX_POINTS: usize = 600;

/// How the series are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Lines over time.
    Line,
    /// One group of bars per x value (per day), a bar per series.
    Bars,
}

/// One named series of (unix seconds, value) points.
#[derive(Debug, Clone)]
pub struct Series {
    /// The legend's name.
    pub name: String,
    /// Points, any order.
    pub points: Vec<(i64, f64)>,
}

/// A chart: its title (the SVG's `<title>`), style and series.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Title (also the accessible name).
    pub title: String,
    /// Line or bars.
    pub style: Style,
    /// The series (up to four get distinct colours).
    pub series: Vec<Series>,
}

/// Escapes text for XML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if c.is_control() => {}
            c => o.push(c),
        }
    }
    o
}

/// A number for an axis label: integers plainly, thousands as k/M/G, small values with
/// up to two decimals.
pub fn label(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let a = v.abs();
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s
        }
    };
    for (div, suffix) in [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")] {
        if a >= div {
            if a / div >= 1e4 {
                return format!("{v:.1e}");
            }
            return format!("{}{suffix}", trim(format!("{:.1}", v / div)));
        }
    }
    trim(format!("{v:.2}"))
}

/// `YYYY-MM-DD` (UTC) of unix seconds `t` (days from civil, H. Hinnant's algorithm).
pub fn date(t: i64) -> String {
    let z = t.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A "nice" step (1, 2 or 5 × 10ⁿ) so that `span` takes about four steps.
fn nice_step(span: f64) -> f64 {
    let raw = span / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let n = raw / mag;
    let f = if n <= 1.0 {
        1.0
    } else if n <= 2.0 {
        2.0
    } else if n <= 5.0 {
        5.0
    } else {
        10.0
    };
    f * mag
}

/// The y range and its ticks: from 0 (or the lowest value when negative) to a nice top.
fn y_axis(lo: f64, hi: f64) -> (f64, f64, Vec<f64>) {
    let lo = lo.min(0.0);
    let hi = if hi > lo { hi } else { lo + 1.0 };
    let step = nice_step(hi - lo);
    if !step.is_finite() || step <= 0.0 {
        return (lo, hi, vec![lo, hi]);
    }
    let start = (lo / step).floor() * step;
    let top = (hi / step).ceil() * step;
    let mut ticks = Vec::new();
    let mut v = start;
    while v <= top + step / 2.0 && ticks.len() < 12 {
        ticks.push(v);
        v += step;
    }
    (start, top.max(start + step), ticks)
}

/// Every `k`-th point (and the last) when there are more than [`MAX_POINTS`].
fn thin(points: &[(i64, f64)]) -> Vec<(i64, f64)> {
    if points.len() <= MAX_POINTS {
        return points.to_vec();
    }
    let k = points.len().div_ceil(MAX_POINTS);
    let mut v: Vec<(i64, f64)> = points.iter().step_by(k).copied().collect();
    if let (Some(last), Some(kept)) = (points.last(), v.last()) {
        if last != kept {
            v.push(*last);
        }
    }
    v
}

/// The chart as an inline `<svg>` element.
pub fn render(chart: &Chart) -> String {
    let series: Vec<(String, Vec<(i64, f64)>)> = chart
        .series
        .iter()
        .map(|s| {
            let mut p: Vec<(i64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|(_, v)| v.is_finite())
                .collect();
            p.sort_by_key(|(t, _)| *t);
            (esc(&s.name), p)
        })
        .collect();
    let title = esc(&chart.title);
    let mut o = String::new();
    let _ = write!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {W} {H}\" \
         role=\"img\" aria-label=\"{title}\"><title>{title}</title>"
    );
    let (px0, px1, py0, py1) = (LEFT, W - RIGHT, TOP, H - BOTTOM);
    let _ = write!(
        o,
        "<rect x=\"{px0}\" y=\"{py0}\" width=\"{}\" height=\"{}\" fill=\"none\" \
         stroke=\"#c8ccd4\"/>",
        px1 - px0,
        py1 - py0
    );
    let all: Vec<(i64, f64)> = series.iter().flat_map(|(_, p)| p.iter().copied()).collect();
    if all.is_empty() {
        let _ = write!(
            o,
            "<text class=\"chart-empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" \
             fill=\"#6b7280\">No data yet</text></svg>",
            (px0 + px1) / 2.0,
            (py0 + py1) / 2.0
        );
        return o;
    }
    let lo = all.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = all.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let (y0, y1, ticks) = y_axis(lo, hi);
    let y_of = |v: f64| {
        let f = ((v - y0) / (y1 - y0)).clamp(0.0, 1.0);
        let y = py1 - f * (py1 - py0);
        if y.is_finite() {
            y
        } else {
            py1
        }
    };
    for t in &ticks {
        let y = y_of(*t);
        let _ = write!(
            o,
            "<line x1=\"{px0}\" x2=\"{px1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e5e7eb\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\" \
             fill=\"#4b5563\">{}</text>",
            px0 - 6.0,
            y + 4.0,
            esc(&label(*t))
        );
    }
    // The x axis: time for lines, one slot per distinct x for bars.
    let t_lo = all.iter().map(|p| p.0).min().unwrap_or(0);
    let t_hi = all.iter().map(|p| p.0).max().unwrap_or(0);
    let mut xs: Vec<i64> = all.iter().map(|p| p.0).collect();
    xs.sort_unstable();
    xs.dedup();
    let x_of = |t: i64| -> f64 {
        match chart.style {
            Style::Line => {
                if t_hi == t_lo {
                    (px0 + px1) / 2.0
                } else {
                    // i128: no overflow however far apart the times are.
                    let f = (i128::from(t) - i128::from(t_lo)) as f64
                        / (i128::from(t_hi) - i128::from(t_lo)) as f64;
                    px0 + f * (px1 - px0)
                }
            }
            Style::Bars => {
                let i = xs.binary_search(&t).unwrap_or(0) as f64;
                let slot = (px1 - px0) / xs.len().max(1) as f64;
                px0 + slot * (i + 0.5)
            }
        }
    };
    let labels: Vec<i64> = if xs.len() <= 5 {
        xs.clone()
    } else {
        (0..5).map(|i| xs[i * (xs.len() - 1) / 4]).collect()
    };
    for t in labels {
        let x = x_of(t);
        // Labels at the plot's edges grow inwards, so none is cut off.
        let anchor = if x - px0 < 30.0 {
            "start"
        } else if px1 - x < 30.0 {
            "end"
        } else {
            "middle"
        };
        let _ = write!(
            o,
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" font-size=\"11\" \
             fill=\"#4b5563\">{}</text>",
            py1 + 16.0,
            date(t)
        );
    }
    let n = series.len().max(1) as f64;
    for (i, (name, points)) in series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        match chart.style {
            Style::Line => {
                let pts: Vec<String> = thin(points)
                    .iter()
                    .map(|(t, v)| format!("{:.1},{:.1}", x_of(*t), y_of(*v)))
                    .collect();
                if pts.len() == 1 {
                    let (x, y) = thin(points)
                        .first()
                        .map_or((0.0, 0.0), |p| (x_of(p.0), y_of(p.1)));
                    let _ = write!(
                        o,
                        "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{colour}\"/>"
                    );
                } else if !pts.is_empty() {
                    let _ = write!(
                        o,
                        "<polyline class=\"series\" data-series=\"{name}\" fill=\"none\" \
                         stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
                        pts.join(" ")
                    );
                }
            }
            Style::Bars => {
                let slot = (px1 - px0) / xs.len().max(1) as f64;
                let bar = (slot * 0.8 / n).max(1.0);
                let _ = write!(
                    o,
                    "<g class=\"series\" data-series=\"{name}\" fill=\"{colour}\">"
                );
                for (t, v) in points {
                    let x = x_of(*t) - slot * 0.4 + bar * i as f64;
                    let (ya, yb) = (y_of(*v), y_of(0.0f64.max(y0)));
                    let _ = write!(
                        o,
                        "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{:.1}\"/>",
                        ya.min(yb),
                        (yb - ya).abs()
                    );
                }
                o.push_str("</g>");
            }
        }
        // The legend, under the x labels.
        let lx = px0 + 150.0 * i as f64;
        let ly = H - 12.0;
        let _ = write!(
            o,
            "<rect x=\"{lx}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{colour}\"/>\
             <text x=\"{}\" y=\"{ly}\" font-size=\"12\" fill=\"#111827\">{name}</text>",
            ly - 9.0,
            lx + 14.0
        );
    }
    o.push_str("</svg>");
    o
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A careful well-formedness check of the markup this module writes: tags balance,
    /// attributes are quoted, `&` starts an entity, `<` and `>` only delimit tags; no
    /// script, handler, style or non-finite number.
    pub(crate) fn well_formed(svg: &str) -> Result<(), String> {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        let text_ok = |t: &str| -> Result<(), String> {
            if t.contains('>') {
                return Err(format!("stray > in {t:?}"));
            }
            let mut s = t;
            while let Some(i) = s.find('&') {
                let after = &s[i + 1..];
                let end = after.find(';').ok_or("& without ;")?;
                let ent = &after[..end];
                if !["amp", "lt", "gt", "quot", "#39"].contains(&ent) {
                    return Err(format!("unknown entity {ent}"));
                }
                s = &after[end..];
            }
            Ok(())
        };
        while let Some(i) = rest.find('<') {
            text_ok(&rest[..i])?;
            let end = rest[i..].find('>').ok_or("unclosed tag")? + i;
            let tag = &rest[i + 1..end];
            if !tag.matches('"').count().is_multiple_of(2) || tag.contains('<') {
                return Err(format!("bad attributes in <{tag}>"));
            }
            let lower = tag.to_ascii_lowercase();
            for bad in ["script", " on", "style", "nan", "inf"] {
                if lower.contains(bad) {
                    return Err(format!("{bad:?} in <{tag}>"));
                }
            }
            if let Some(name) = tag.strip_prefix('/') {
                if stack.pop().as_deref() != Some(name) {
                    return Err(format!("</{name}> does not close the open tag"));
                }
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().ok_or("empty tag")?;
                stack.push(name.to_owned());
            }
            rest = &rest[end + 1..];
            if stack.is_empty() && !rest.is_empty() {
                return Err("content after the root element".into());
            }
        }
        if !stack.is_empty() {
            return Err(format!("unclosed {stack:?}"));
        }
        if !svg.starts_with("<svg ") {
            return Err("not an svg element".into());
        }
        Ok(())
    }

    fn line(points: Vec<(i64, f64)>) -> Chart {
        Chart {
            title: "Live <tickets> & \"votes\"".into(),
            style: Style::Line,
            series: vec![Series {
                name: "Pool's live".into(),
                points,
            }],
        }
    }

    #[test]
    fn lines_with_axes_and_escaped_text() {
        let day = 86_400;
        let pts: Vec<(i64, f64)> = (0..10)
            .map(|i| (1_700_000_000 + i * day, i as f64 * 3.0))
            .collect();
        let svg = render(&line(pts));
        well_formed(&svg).unwrap();
        assert!(svg.contains("<title>Live &lt;tickets&gt; &amp; &quot;votes&quot;</title>"));
        assert!(svg.contains("data-series=\"Pool&#39;s live\""));
        assert!(svg.contains("<polyline"));
        assert!(svg.contains(">2023-11-14<"), "{svg}");
        assert!(svg.contains(">30<"), "top y label: {svg}");
        assert!(svg.contains(">0<"));
    }

    #[test]
    fn empty_and_degenerate_series() {
        let svg = render(&line(vec![]));
        well_formed(&svg).unwrap();
        assert!(svg.contains("No data yet"));
        let svg = render(&line(vec![(5, f64::NAN), (6, f64::INFINITY)]));
        well_formed(&svg).unwrap();
        assert!(
            svg.contains("No data yet"),
            "non-finite values are left out"
        );
        let one = render(&line(vec![(5, 7.0)]));
        well_formed(&one).unwrap();
        assert!(one.contains("<circle"));
        let flat = render(&line(vec![(5, 0.0), (9, 0.0)]));
        well_formed(&flat).unwrap();
        let empty_series = render(&Chart {
            title: "t".into(),
            style: Style::Bars,
            series: vec![],
        });
        well_formed(&empty_series).unwrap();
    }

    #[test]
    fn extreme_values_stay_finite() {
        for pts in [
            vec![(i64::MIN, -1e300), (i64::MAX, 1e300)],
            vec![(0, f64::MAX), (1, f64::MIN)],
            vec![(0, 1e-300), (1, 2e-300)],
            vec![(0, -5.0), (1, -2.0)],
        ] {
            let svg = render(&line(pts.clone()));
            well_formed(&svg).unwrap_or_else(|e| panic!("{pts:?}: {e}\n{svg}"));
        }
        let many: Vec<(i64, f64)> = (0..100_000).map(|i| (i, (i % 7) as f64)).collect();
        let svg = render(&line(many));
        well_formed(&svg).unwrap();
        assert!(svg.len() < 40_000, "long series are thinned: {}", svg.len());
    }

    #[test]
    fn bars_per_day() {
        let d = 86_400;
        let svg = render(&Chart {
            title: "Votes and misses per day".into(),
            style: Style::Bars,
            series: vec![
                Series {
                    name: "Votes".into(),
                    points: vec![(0, 4.0), (d, 6.0)],
                },
                Series {
                    name: "Misses".into(),
                    points: vec![(0, 0.0), (d, 1.0)],
                },
            ],
        });
        well_formed(&svg).unwrap();
        assert_eq!(svg.matches("<g class=\"series\"").count(), 2);
        assert!(svg.contains(">1970-01-01<") && svg.contains(">1970-01-02<"));
        assert!(svg.contains(">Votes<") && svg.contains(">Misses<"));
    }

    #[test]
    fn labels_and_dates() {
        assert_eq!(label(0.0), "0");
        assert_eq!(label(2.5), "2.5");
        assert_eq!(label(1500.0), "1.5k");
        assert_eq!(label(40_960.0), "41k");
        assert_eq!(label(2e6), "2M");
        assert_eq!(label(f64::NAN), "");
        assert!(label(1e300).contains('e'));
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(951_782_400), "2000-02-29");
        assert_eq!(date(-86_400), "1969-12-31");
        assert!(well_formed("<svg a=\"1\"><b>x & y</b></svg>").is_err());
        assert!(well_formed("<svg onload=\"x\"></svg>").is_err());
    }
}
