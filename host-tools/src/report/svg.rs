//! A small typed SVG builder for the HTML report's charts: shapes and text
//! go in as values, attributes are written (and escaped) in one place, and
//! each chart knows its smallest text so that it never renders it below a
//! readable size on a phone (see [`Svg::finish`]).
//!
//! ```
//! use tabletalk::report::svg::{Anchor, Svg, Text};
//! let mut svg = Svg::new("demo", "A demo", 200.0, 40.0);
//! svg.rect(0.0, 0.0, 50.0, 10.0, "#4e79a7", Some("Ana: 50%"));
//! svg.text(Text::new(60.0, 10.0, "Ana & Ben").anchor(Anchor::Start));
//! let html = svg.finish();
//! assert!(html.contains("<title>Ana: 50%</title>"));
//! assert!(html.contains(">Ana &amp; Ben</text>"));
//! ```

use std::fmt::Write as _;

/// Escapes text for HTML and SVG.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The smallest text a chart may render, in CSS px.
pub const MIN_TEXT_PX: f64 = 10.5;

/// An estimate of the width of `text` at `size` px in a sans-serif face
/// (generous, so labels laid out with it are never clipped).
pub fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.62
}

/// Where a text's `x` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// Text starts at `x`.
    Start,
    /// Text is centred on `x`.
    Middle,
    /// Text ends at `x`.
    End,
}

/// One text element.
#[derive(Clone, Debug, PartialEq)]
pub struct Text<'a> {
    x: f64,
    y: f64,
    content: &'a str,
    size: f64,
    anchor: Anchor,
    fill: Option<&'a str>,
    rotate: Option<f64>,
}

impl<'a> Text<'a> {
    /// `content` at (`x`, `y`: the baseline), 12 px, anchored at its start.
    pub fn new(x: f64, y: f64, content: &'a str) -> Text<'a> {
        Text {
            x,
            y,
            content,
            size: 12.0,
            anchor: Anchor::Start,
            fill: None,
            rotate: None,
        }
    }
    /// Font size (px in the chart's coordinates).
    pub fn size(mut self, size: f64) -> Self {
        self.size = size;
        self
    }
    /// Anchor.
    pub fn anchor(mut self, anchor: Anchor) -> Self {
        self.anchor = anchor;
        self
    }
    /// Text colour.
    pub fn fill(mut self, fill: &'a str) -> Self {
        self.fill = Some(fill);
        self
    }
    /// Rotated by `degrees` around its anchor point.
    pub fn rotate(mut self, degrees: f64) -> Self {
        self.rotate = Some(degrees);
        self
    }
}

/// A chart being drawn.
#[derive(Clone, Debug)]
pub struct Svg {
    class: &'static str,
    label: String,
    width: f64,
    height: f64,
    body: String,
    smallest_text: f64,
}

impl Svg {
    /// An empty chart of `width` × `height` (its coordinates and natural
    /// size in px), of CSS class `class`, described by `label`.
    pub fn new(class: &'static str, label: &str, width: f64, height: f64) -> Svg {
        Svg {
            class,
            label: label.to_owned(),
            width,
            height,
            body: String::with_capacity(4096),
            smallest_text: f64::INFINITY,
        }
    }

    /// A rectangle, with a tooltip when `title` is given.
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, title: Option<&str>) {
        let _ = write!(
            self.body,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\"",
            w.max(0.0),
            h.max(0.0)
        );
        self.close(title, "rect");
    }

    /// A rectangle inside a [`Svg::group`] (its fill is the group's).
    pub fn bare_rect(&mut self, x: f64, y: f64, w: f64, h: f64) {
        let _ = write!(
            self.body,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\"/>",
            w.max(0.0),
            h.max(0.0)
        );
    }

    /// Starts a group whose shapes are filled with `fill`; end it with
    /// [`Svg::end_group`].
    pub fn group(&mut self, fill: &str) {
        let _ = write!(self.body, "<g fill=\"{fill}\">");
    }

    /// Ends a [`Svg::group`].
    pub fn end_group(&mut self) {
        self.body.push_str("</g>\n");
    }

    /// A straight line; `dash` is an SVG dash array such as `"5 4"`.
    pub fn line(
        &mut self,
        from: (f64, f64),
        to: (f64, f64),
        stroke: &str,
        width: f64,
        dash: Option<&str>,
    ) {
        let _ = write!(
            self.body,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{stroke}\" stroke-width=\"{width}\"",
            from.0, from.1, to.0, to.1
        );
        if let Some(dash) = dash {
            let _ = write!(self.body, " stroke-dasharray=\"{dash}\"");
        }
        self.body.push_str("/>");
    }

    /// A line through `points`.
    pub fn polyline(&mut self, points: &[(f64, f64)], stroke: &str, width: f64) {
        if points.len() < 2 {
            return;
        }
        self.body.push_str("<polyline points=\"");
        for (i, (x, y)) in points.iter().enumerate() {
            let _ = write!(self.body, "{}{x:.1},{y:.1}", if i > 0 { " " } else { "" });
        }
        let _ = write!(
            self.body,
            "\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{width}\"/>"
        );
    }

    /// A dot, with a tooltip when `title` is given.
    pub fn circle(&mut self, (cx, cy): (f64, f64), r: f64, fill: &str, title: Option<&str>) {
        let _ = write!(
            self.body,
            "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"{r}\" fill=\"{fill}\""
        );
        self.close(title, "circle");
    }

    /// A text element.
    pub fn text(&mut self, text: Text<'_>) {
        self.smallest_text = self.smallest_text.min(text.size);
        let anchor = match text.anchor {
            Anchor::Start => "",
            Anchor::Middle => " text-anchor=\"middle\"",
            Anchor::End => " text-anchor=\"end\"",
        };
        let _ = match text.rotate {
            Some(degrees) => write!(
                self.body,
                "<text transform=\"translate({:.1},{:.1}) rotate({degrees})\"",
                text.x, text.y
            ),
            None => write!(self.body, "<text x=\"{:.1}\" y=\"{:.1}\"", text.x, text.y),
        };
        let _ = write!(self.body, "{anchor} font-size=\"{}\"", text.size);
        if let Some(fill) = text.fill {
            let _ = write!(self.body, " style=\"fill:{fill}\"");
        }
        let _ = write!(self.body, ">{}</text>", escape(text.content));
    }

    fn close(&mut self, title: Option<&str>, element: &str) {
        match title {
            Some(title) => {
                let _ = write!(self.body, "><title>{}</title></{element}>", escape(title));
            }
            None => self.body.push_str("/>"),
        }
    }

    /// The chart as HTML: the SVG in a box of its own that scrolls sideways
    /// when the screen is narrower than the chart's smallest readable size
    /// (so the page never does), and scales down to the screen otherwise.
    pub fn finish(self) -> String {
        let min_width = if self.smallest_text.is_finite() {
            self.width * MIN_TEXT_PX / self.smallest_text
        } else {
            0.0
        };
        format!(
            "<div class=\"chart\"><svg class=\"{}\" viewBox=\"0 0 {w:.0} {h:.0}\" width=\"{w:.0}\" height=\"{h:.0}\" \
             style=\"min-width:{min_width:.0}px\" role=\"img\" aria-label=\"{}\">\n{}</svg></div>\n",
            self.class,
            escape(&self.label),
            self.body,
            w = self.width.ceil(),
            h = self.height.ceil(),
        )
    }
}

/// A plot area inside a chart: maps values to coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plot {
    /// Left edge.
    pub left: f64,
    /// Top edge.
    pub top: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

impl Plot {
    /// The y of `value` in 0..=`max` (bottom to top).
    pub fn y(&self, value: f64, max: f64) -> f64 {
        self.top + self.height * (1.0 - (value / max.max(f64::MIN_POSITIVE)).clamp(0.0, 1.0))
    }

    /// The bottom edge.
    pub fn bottom(&self) -> f64 {
        self.top + self.height
    }

    /// The right edge.
    pub fn right(&self) -> f64 {
        self.left + self.width
    }

    /// A value axis: a grid line and a label at each `(value, label)`
    /// tick, values in 0..=`max`, with `name` written along it.
    pub fn value_axis(&self, svg: &mut Svg, ticks: &[(f64, &str)], max: f64, name: &str) {
        for &(value, label) in ticks {
            let y = self.y(value, max);
            svg.line((self.left, y), (self.right(), y), "#d8dde4", 1.0, None);
            svg.text(
                Text::new(self.left - 6.0, y + 4.0, label)
                    .size(11.0)
                    .anchor(Anchor::End),
            );
        }
        svg.text(
            Text::new(12.0, self.top + self.height / 2.0, name)
                .size(11.0)
                .anchor(Anchor::Middle)
                .fill("#5b6675")
                .rotate(-90.0),
        );
    }

    /// A name under the horizontal axis.
    pub fn axis_name(&self, svg: &mut Svg, name: &str) {
        svg.text(
            Text::new(self.left + self.width / 2.0, self.bottom() + 30.0, name)
                .size(11.0)
                .anchor(Anchor::Middle)
                .fill("#5b6675"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_text_sets_the_minimum_width() {
        let mut svg = Svg::new("c", "c", 700.0, 100.0);
        svg.text(Text::new(0.0, 10.0, "a").size(14.0));
        svg.text(Text::new(0.0, 30.0, "b").size(10.5));
        assert!(svg.finish().contains("min-width:700px"));
        let mut svg = Svg::new("c", "c", 700.0, 100.0);
        svg.text(Text::new(0.0, 10.0, "a").size(21.0));
        assert!(svg.finish().contains("min-width:350px"));
    }

    #[test]
    fn escaping_and_axes() {
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
        let plot = Plot {
            left: 40.0,
            top: 10.0,
            width: 100.0,
            height: 100.0,
        };
        assert_eq!(
            (plot.y(0.0, 1.0), plot.y(1.0, 1.0), plot.y(2.0, 1.0)),
            (110.0, 10.0, 10.0)
        );
        let mut svg = Svg::new("c", "c", 200.0, 150.0);
        plot.value_axis(&mut svg, &[(0.0, "0"), (1.0, "1")], 1.0, "balance");
        let html = svg.finish();
        assert_eq!(html.matches("<line").count(), 2);
        assert!(html.contains("rotate(-90)") && html.contains(">balance</text>"));
    }
}
