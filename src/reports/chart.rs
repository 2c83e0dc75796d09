//! Charts of report results, drawn on the server as SVG.
//!
//! A report that a picture explains better declares its chart in its
//! comment lines: `# @chart columns LABEL VALUE  Title` draws one column
//! per row (for months and other ordered labels), `# @chart bars LABEL
//! VALUE  Title` one horizontal bar per row (for long category names), with
//! the row's `?LABEL` under or beside it and `?VALUE` as its length. The
//! picture is plain SVG with its text escaped and no script, so a page can
//! show it as an image; it needs no charting code in the browser.

use crate::error::{Error, Result};

use std::fmt::Write;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Chart {
    pub kind: ChartKind,
    /// The variable naming each bar.
    pub label: String,
    /// The variable giving each bar's length.
    pub value: String,
    pub title: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChartKind {
    /// Vertical, in the rows' order: time runs left to right.
    Columns,
    /// Horizontal, one row under another: long names stay readable.
    Bars,
}

/// The most bars drawn; a chart of more says how many were left out.
const MAX_BARS: usize = 60;
const WIDTH: f64 = 760.0;
const FONT: &str = "font-family=\"system-ui, sans-serif\" font-size=\"12\"";
const BAR_COLOUR: &str = "#2563eb";
const INK: &str = "#1d232a";
const MUTED: &str = "#5b6570";
const GRID: &str = "#e3e7eb";

impl Chart {
    /// Reads `KIND LABEL VALUE  Title` from an `@chart` line.
    pub fn parse(declaration: &str) -> Option<Chart> {
        let mut parts = declaration.split_whitespace();
        let kind = match parts.next()? {
            "columns" => ChartKind::Columns,
            "bars" => ChartKind::Bars,
            _ => return None,
        };
        let label = parts.next()?.trim_start_matches('?').to_owned();
        let value = parts.next()?.trim_start_matches('?').to_owned();
        Some(Chart {
            kind,
            label,
            value,
            title: parts.collect::<Vec<_>>().join(" "),
        })
    }

    /// The chart of SPARQL JSON results.
    pub fn draw_results(&self, results_json: &[u8]) -> Result<String> {
        let results: serde_json::Value = serde_json::from_slice(results_json)
            .map_err(|e| Error::Storage(format!("reading a report's results for its chart: {e}")))?;
        let rows = results["results"]["bindings"].as_array().cloned().unwrap_or_default();
        let points: Vec<(String, f64)> = rows
            .iter()
            .map(|row| {
                let label = row[&self.label]["value"].as_str().unwrap_or("(none)").to_owned();
                let value = row[&self.value]["value"]
                    .as_str()
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(0.0);
                (label, value)
            })
            .collect();
        Ok(self.draw(&points))
    }

    /// The chart of `(label, value)` points, in their order.
    pub fn draw(&self, points: &[(String, f64)]) -> String {
        let shown = &points[..points.len().min(MAX_BARS)];
        let left_out = points.len() - shown.len();
        let mut svg = match self.kind {
            ChartKind::Columns => self.columns(shown),
            ChartKind::Bars => self.bars(shown),
        };
        if left_out > 0 {
            let note = format!("{left_out} more not drawn");
            svg = svg.replacen(
                "</svg>",
                &format!("{}</svg>", text(WIDTH - 8.0, 16.0, "end", MUTED, &note)),
                1,
            );
        }
        svg
    }

    fn columns(&self, points: &[(String, f64)]) -> String {
        let (top, bottom, left, right) = (36.0, 64.0, 56.0, 16.0);
        let height = 340.0;
        let plot_height = height - top - bottom;
        let plot_width = WIDTH - left - right;
        let scale = Scale::of(points);
        let mut svg = self.open(height);
        for (value, y) in scale.ticks(plot_height) {
            let y = top + plot_height - y;
            line(&mut svg, left, y, WIDTH - right, y, GRID);
            svg.push_str(&text(left - 6.0, y + 4.0, "end", MUTED, &number(value)));
        }
        let slot = plot_width / points.len().max(1) as f64;
        let bar = (slot * 0.7).max(1.0);
        let slanted = points.len() > 12;
        for (i, (label, value)) in points.iter().enumerate() {
            let length = scale.length(*value, plot_height);
            let x = left + slot * i as f64 + (slot - bar) / 2.0;
            let y = top + plot_height - length;
            rect(&mut svg, x, y, bar, length, &format!("{label}: {}", number(*value)));
            if !slanted {
                svg.push_str(&text(x + bar / 2.0, y - 4.0, "middle", INK, &number(*value)));
            }
            let centre = x + bar / 2.0;
            let baseline = top + plot_height + 16.0;
            if slanted {
                let _ = write!(
                    svg,
                    "<text x=\"{centre:.1}\" y=\"{baseline:.1}\" {FONT} fill=\"{MUTED}\" text-anchor=\"end\" \
                     transform=\"rotate(-45 {centre:.1} {baseline:.1})\">{}</text>",
                    escape(&shorten(label, 14))
                );
            } else {
                svg.push_str(&text(centre, baseline, "middle", MUTED, &shorten(label, 14)));
            }
        }
        line(
            &mut svg,
            left,
            top + plot_height,
            WIDTH - right,
            top + plot_height,
            MUTED,
        );
        svg.push_str("</svg>");
        svg
    }

    fn bars(&self, points: &[(String, f64)]) -> String {
        let (top, left, right, row) = (36.0, 200.0, 64.0, 24.0);
        let height = top + row * points.len().max(1) as f64 + 28.0;
        let plot_width = WIDTH - left - right;
        let scale = Scale::of(points);
        let mut svg = self.open(height);
        let plot_bottom = top + row * points.len().max(1) as f64;
        for (value, x) in scale.ticks(plot_width) {
            line(&mut svg, left + x, top, left + x, plot_bottom, GRID);
            svg.push_str(&text(left + x, plot_bottom + 16.0, "middle", MUTED, &number(value)));
        }
        for (i, (label, value)) in points.iter().enumerate() {
            let y = top + row * i as f64;
            let length = scale.length(*value, plot_width);
            rect(
                &mut svg,
                left,
                y + 4.0,
                length,
                row - 8.0,
                &format!("{label}: {}", number(*value)),
            );
            svg.push_str(&text(left - 8.0, y + row / 2.0 + 4.0, "end", INK, &shorten(label, 30)));
            svg.push_str(&text(
                left + length + 6.0,
                y + row / 2.0 + 4.0,
                "start",
                INK,
                &number(*value),
            ));
        }
        svg.push_str("</svg>");
        svg
    }

    fn open(&self, height: f64) -> String {
        let title = if self.title.is_empty() {
            &self.value
        } else {
            &self.title
        };
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height:.0}\" width=\"{WIDTH}\" \
             height=\"{height:.0}\" role=\"img\" aria-label=\"{}\"><title>{}</title>\
             <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>",
            escape(title),
            escape(title)
        );
        let _ = write!(
            svg,
            "<text x=\"12\" y=\"22\" font-family=\"system-ui, sans-serif\" font-size=\"15\" font-weight=\"600\" \
             fill=\"{INK}\">{}</text>",
            escape(title)
        );
        svg
    }
}

/// From values to lengths, from zero to a round maximum.
struct Scale {
    max: f64,
    step: f64,
}

impl Scale {
    fn of(points: &[(String, f64)]) -> Scale {
        let largest = points.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
        if largest <= 0.0 || !largest.is_finite() {
            return Scale { max: 1.0, step: 1.0 };
        }
        // A step of 1, 2 or 5 times a power of ten, about five to the top.
        let rough = largest / 5.0;
        let power = 10f64.powf(rough.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .map(|m| m * power)
            .find(|s| *s >= rough)
            .unwrap_or(10.0 * power);
        Scale {
            max: (largest / step).ceil() * step,
            step,
        }
    }

    fn length(&self, value: f64, room: f64) -> f64 {
        (value.max(0.0) / self.max * room).clamp(0.0, room)
    }

    /// The gridlines: each value and its distance from zero.
    fn ticks(&self, room: f64) -> Vec<(f64, f64)> {
        let count = (self.max / self.step).round() as usize;
        (0..=count.min(20))
            .map(|i| {
                let value = self.step * i as f64;
                (value, self.length(value, room))
            })
            .collect()
    }
}

fn rect(svg: &mut String, x: f64, y: f64, width: f64, height: f64, tip: &str) {
    let _ = write!(
        svg,
        "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{height:.1}\" fill=\"{BAR_COLOUR}\" rx=\"2\">\
         <title>{}</title></rect>",
        escape(tip)
    );
}

fn line(svg: &mut String, x1: f64, y1: f64, x2: f64, y2: f64, colour: &str) {
    let _ = write!(
        svg,
        "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"{colour}\" stroke-width=\"1\"/>"
    );
}

fn text(x: f64, y: f64, anchor: &str, colour: &str, content: &str) -> String {
    format!(
        "<text x=\"{x:.1}\" y=\"{y:.1}\" {FONT} fill=\"{colour}\" text-anchor=\"{anchor}\">{}</text>",
        escape(content)
    )
}

/// Whole numbers without decimals, others with at most two.
fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

fn shorten(label: &str, most: usize) -> String {
    if label.chars().count() <= most {
        return label.to_owned();
    }
    let mut short: String = label.chars().take(most - 1).collect();
    short.push('…');
    short
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Whether the query's SELECT clause names `?variable`: a chart of a
/// variable the report does not select is a mistake in the report, which
/// the report tests find rather than a reader.
#[cfg(test)]
pub(super) fn selects(query: &str, variable: &str) -> bool {
    let upper = query.to_uppercase();
    let (Some(from), Some(to)) = (upper.find("SELECT"), upper.find("WHERE")) else {
        return false;
    };
    let clause = &query[from..to.max(from)];
    let name = format!("?{variable}");
    clause.match_indices(&name).any(|(at, _)| {
        !clause[at + name.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(values: &[(&str, f64)]) -> Vec<(String, f64)> {
        values.iter().map(|(l, v)| ((*l).to_owned(), *v)).collect()
    }

    #[test]
    fn a_declaration_names_kind_label_value_and_title() {
        let chart = Chart::parse("columns ?month uses  Uses per month").unwrap();
        assert_eq!(chart.kind, ChartKind::Columns);
        assert_eq!((chart.label.as_str(), chart.value.as_str()), ("month", "uses"));
        assert_eq!(chart.title, "Uses per month");
        assert_eq!(Chart::parse("pie a b"), None);
        assert_eq!(Chart::parse("bars a"), None);
    }

    #[test]
    fn each_row_is_a_bar_with_its_label_and_value_escaped() {
        let chart = Chart::parse("bars provider spend  Spend by provider").unwrap();
        let svg = chart.draw(&points(&[("Getty <Images>", 1200.5), ("Adobe & co", 300.0)]));
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{svg}");
        assert_eq!(svg.matches("fill=\"#2563eb\"").count(), 2, "{svg}");
        assert!(svg.contains("Getty &lt;Images&gt;: 1200.50"), "{svg}");
        assert!(svg.contains("Adobe &amp; co"), "{svg}");
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains("<title>Spend by provider</title>"), "{svg}");
    }

    #[test]
    fn bar_lengths_are_proportional_and_the_scale_is_round() {
        let scale = Scale::of(&points(&[("a", 37.0)]));
        assert_eq!((scale.max, scale.step), (40.0, 10.0));
        assert_eq!(scale.length(20.0, 100.0), 50.0);
        assert_eq!(scale.length(-5.0, 100.0), 0.0);
        let empty = Scale::of(&[]);
        assert_eq!(empty.max, 1.0);
        let chart = Chart::parse("columns m n").unwrap();
        let svg = chart.draw(&points(&[("2026-01", 10.0), ("2026-02", 20.0)]));
        assert!(
            svg.contains("height=\"240.0\""),
            "the larger column fills the plot: {svg}"
        );
        assert!(svg.contains("height=\"120.0\""), "the smaller half of it: {svg}");
    }

    #[test]
    fn too_many_rows_are_cut_and_said_to_be() {
        let chart = Chart::parse("columns m n").unwrap();
        let many: Vec<(String, f64)> = (0..70).map(|i| (format!("r{i}"), i as f64)).collect();
        let svg = chart.draw(&many);
        assert_eq!(svg.matches("fill=\"#2563eb\"").count(), MAX_BARS);
        assert!(svg.contains("10 more not drawn"), "{svg}");
    }

    #[test]
    fn results_become_points_by_the_named_variables() {
        let chart = Chart::parse("bars label total").unwrap();
        let json = br#"{"head":{"vars":["label","total"]},"results":{"bindings":[
            {"label":{"type":"literal","value":"Recyclable"},"total":{"type":"literal","value":"7"}},
            {"total":{"type":"literal","value":"2"}}]}}"#;
        let svg = chart.draw_results(json).unwrap();
        assert!(svg.contains("Recyclable: 7"), "{svg}");
        assert!(svg.contains("(none): 2"), "{svg}");
    }
}
