//! One self-contained HTML page: inline CSS and SVG, no script, font or image from
//! anywhere else, readable when printed.

use std::fmt::Write as _;

use super::{TOP_ROWS, shown, total_rows};
use crate::explain::html_escape as esc;
use crate::stats::{Report, Table};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;\
padding:0 1rem;color:#1a1a1a}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}\
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.2rem .8rem;border-bottom:1px solid #ddd}\
th{text-align:left}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\
.totals td{font-size:1.2rem}.rules{color:#444}svg{max-width:100%;height:auto}\
.v{fill:#2f6fb0}.r{fill:#9cc3e6}.axis{stroke:#888}text{font-size:11px;fill:#333}\
@media print{body{margin:0;max-width:none}section{break-inside:avoid}}";

/// A bar chart of two series (visitors dark, requests light) over labelled slots.
fn chart(out: &mut String, title: &str, slots: &[(String, u64, u64)]) {
    let (w, h, pad) = (720.0_f64, 180.0_f64, 30.0_f64);
    let max = slots.iter().map(|s| s.1.max(s.2)).max().unwrap_or(0).max(1) as f64;
    let step = (w - pad) / slots.len().max(1) as f64;
    let _ = write!(
        out,
        "<figure><svg viewBox=\"0 0 {w} {}\" role=\"img\" aria-label=\"{}\"><line class=\"axis\" x1=\"{pad}\" y1=\"{h}\" \
         x2=\"{w}\" y2=\"{h}\"/><text x=\"0\" y=\"12\">{max}</text>",
        h + 20.0,
        esc(title),
    );
    let label_every = (slots.len() / 12).max(1);
    for (i, (label, visitors, requests)) in slots.iter().enumerate() {
        let x = pad + i as f64 * step;
        let bar = |value: u64| (value as f64 / max * (h - 10.0)).max(0.0);
        let (rh, vh) = (bar(*requests), bar(*visitors));
        let bw = (step * 0.8).max(1.0);
        let _ = write!(
            out,
            "<rect class=\"r\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{rh:.1}\">\
             <title>{} requests: {requests}</title></rect>\
             <rect class=\"v\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{vh:.1}\">\
             <title>{} visitors: {visitors}</title></rect>",
            h - rh,
            esc(label),
            x + bw * 0.25,
            h - vh,
            bw * 0.5,
            esc(label),
        );
        if i % label_every == 0 {
            let _ = write!(
                out,
                "<text x=\"{x:.1}\" y=\"{}\">{}</text>",
                h + 14.0,
                esc(label)
            );
        }
    }
    let _ = write!(
        out,
        "</svg><figcaption>{} (dark: visitors, light: requests)</figcaption></figure>",
        esc(title)
    );
}

pub(super) fn render(report: &Report) -> String {
    let r = &report.release;
    let period = match (&r.first_day, &r.last_day) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "no records".to_owned(),
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>Statistics {p}</title><style>{STYLE}</style></head><body>\
         <h1>Statistics, {p}</h1><p class=\"rules\">Release: {}</p>\
         <section><table class=\"totals\">",
        esc(&r.description),
        p = esc(&period),
    );
    for (label, n) in total_rows(&report.totals) {
        let _ = write!(
            out,
            "<tr><th>{label}</th><td class=\"n\" id=\"total-{}\">{}</td></tr>",
            label.replace(' ', "-"),
            shown(n)
        );
    }
    out.push_str("</table></section><section><h2>Visitors and requests per day</h2>");
    let days: Vec<(String, u64, u64)> = report
        .days
        .iter()
        .map(|d| {
            let c = &d.counts;
            (
                d.date.clone(),
                c.visitors.unwrap_or(0),
                c.requests.unwrap_or(0),
            )
        })
        .collect();
    chart(&mut out, "Visitors and requests per day", &days);
    out.push_str("</section>");
    if let Some(hours) = report.tables.get(&Table::Hours) {
        let mut slots: Vec<(String, u64, u64)> = hours
            .iter()
            .filter(|row| row.key.len() == 2)
            .map(|row| (row.key.clone(), row.visitors, row.requests))
            .collect();
        slots.sort();
        out.push_str("<section><h2>Visitors and requests per hour of day (UTC)</h2>");
        chart(&mut out, "Visitors and requests per hour", &slots);
        out.push_str("</section>");
    }
    for (t, rows) in &report.tables {
        if rows.is_empty() || *t == Table::Hours {
            continue;
        }
        let count = if t.counts_page_views() {
            "Page views"
        } else {
            "Requests"
        };
        let _ = write!(
            out,
            "<section><h2>{}</h2><table><tr><th>{}</th><th class=\"n\">Visitors</th>\
             <th class=\"n\">{count}</th></tr>",
            esc(t.title()),
            esc(t.name())
        );
        for row in rows.iter().take(TOP_ROWS) {
            let _ = write!(
                out,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&row.key),
                row.visitors,
                row.requests
            );
        }
        out.push_str("</table></section>");
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use crate::stats::aggregate::tests::view;
    use crate::stats::noise::tests::Seeded;
    use crate::stats::release::release;
    use crate::stats::{Aggregate, Rules};

    /// Keys come from logs: markup in a path is shown as text, never interpreted.
    #[test]
    fn keys_are_escaped() {
        let mut agg = Aggregate::default();
        agg.add(&view(20_000, Some(1), "/<script>alert(1)</script>&'"));
        let html = super::render(&release(&agg, &Rules::default(), &mut Seeded(0)));
        assert!(!html.contains("<script"));
        assert!(html.contains("/&lt;script&gt;alert(1)&lt;/script&gt;&amp;&#39;"));
    }
}
