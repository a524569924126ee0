//! One self-contained HTML file: the summary with inline SVG charts
//! (verdicts, AMT status, firmware versions, top blocking findings), then a
//! sortable, filterable host table whose rows open onto each host's facts,
//! findings, fixes and sources. No network fetch of any kind: styles, script
//! and charts are inline, so the file can be mailed or attached to a ticket.
//!
//! Filtering state lives in the URL fragment (`#q=text&verdict=not_ready&
//! status=...`), so a filtered view can be bookmarked or linked; `sort=N`
//! (column, from 0) and `dir=desc` pick the initial order.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::row::{Projector, Row, RowFinding, SiteRow};
use super::summary::{Count, Summary};
use super::{Collected, ReportOptions, WriteCollected};
use crate::facts::AmtStatus;
use crate::facts::{FactSource, HostStatus};
use crate::rules::{Severity, Verdict};

pub(crate) struct HtmlReport<W: Write> {
    out: W,
    options: ReportOptions,
}

impl<W: Write> HtmlReport<W> {
    pub(crate) fn new(out: W, options: ReportOptions) -> Self {
        Self { out, options }
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
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

fn verdict_key(v: Option<Verdict>) -> &'static str {
    match v {
        Some(Verdict::Ready) => "ready",
        Some(Verdict::NotReady) => "not_ready",
        Some(Verdict::Unknown) => "unknown",
        None => "not_judged",
    }
}

/// A sort key that orders versions numerically as text (`0005.0002.0010`).
fn version_sort_key(v: Option<&str>) -> String {
    match v {
        // Empty: the script keeps hosts without a version last either way.
        None => String::new(),
        Some(v) => v
            .split('.')
            .map(|p| match p.parse::<u32>() {
                Ok(n) => format!("{n:010}"),
                Err(_) => p.to_string(),
            })
            .collect::<Vec<_>>()
            .join("."),
    }
}

/// A horizontal bar chart as inline SVG. `items` are (label, count, css class).
fn bar_chart(id: &str, title: &str, items: &[(String, usize, &str)]) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<figure class=\"chart\" id=\"{id}\"><figcaption>{}</figcaption>",
        esc(title)
    );
    if items.is_empty() {
        s.push_str("<p class=\"none\">None</p></figure>");
        return s;
    }
    let max = items.iter().map(|i| i.1).max().unwrap_or(1).max(1);
    let row_h = 24;
    let label_w = 190;
    let bar_w = 230;
    let width = label_w + bar_w + 60;
    let height = row_h * items.len() + 4;
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" \
         width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"{}\">",
        esc(title)
    );
    for (i, (label, count, class)) in items.iter().enumerate() {
        let y = i * row_h + 2;
        let w = ((*count as f64 / max as f64) * bar_w as f64)
            .round()
            .max(1.0) as usize;
        let shown: String = if label.chars().count() > 28 {
            format!("{}…", label.chars().take(27).collect::<String>())
        } else {
            label.clone()
        };
        let _ = write!(
            s,
            "<g class=\"bar-row\"><title>{t}: {count}</title>\
             <text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" class=\"label\">{l}</text>\
             <rect class=\"bar {class}\" x=\"{label_w}\" y=\"{y}\" width=\"{w}\" height=\"{bh}\" rx=\"3\"></rect>\
             <text x=\"{cx}\" y=\"{ty}\" class=\"count\">{count}</text></g>",
            t = esc(label),
            l = esc(&shown),
            lx = label_w - 8,
            ty = y + 15,
            bh = row_h - 6,
            cx = label_w + w + 6,
        );
    }
    s.push_str("</svg></figure>");
    s
}

fn verdict_class(name: &str) -> &'static str {
    match name {
        "ready" => "ok",
        "not ready" => "bad",
        "unknown" => "warn",
        _ => "muted",
    }
}

fn amt_status_class(name: &str) -> &'static str {
    match name {
        "Provisioned" => "ok",
        "Not Provisioned" => "info",
        "Detected" => "info2",
        "Not Supported" => "bad",
        _ => "muted",
    }
}

/// A verdict tile's text and colour class.
fn verdict_tile(v: Option<Verdict>) -> (&'static str, &'static str) {
    match v {
        Some(Verdict::Ready) => ("ready", "ok"),
        Some(Verdict::NotReady) => ("not ready", "bad"),
        Some(Verdict::Unknown) => ("unknown", "warn"),
        None => ("not judged", ""),
    }
}

fn summary_html(s: &Summary) -> String {
    let mut h = String::new();
    h.push_str("<section id=\"summary\"><h2>Summary</h2>");
    if s.partial {
        h.push_str(
            "<p class=\"partial\">Partial: the scan was interrupted; these are the hosts it finished.</p>",
        );
    }
    h.push_str("<div class=\"tiles\">");
    let count_of = |name: &str| {
        s.verdicts
            .iter()
            .find(|c| c.name == name)
            .map_or(0, |c| c.count)
    };
    if let (Some(rollout), Some(line)) = (s.rollout, s.rollout_line()) {
        if s.hosts > 0 {
            let (text, class) = verdict_tile(Some(rollout));
            let _ = write!(
                h,
                "<div class=\"tile rollout {class}\" title=\"{}\"><span class=\"n\">{text}</span><span class=\"l\">Rollout</span></div>",
                esc(&line)
            );
        }
    }
    if let Some(site) = &s.site {
        let (text, class) = verdict_tile(site.verdict);
        let _ = write!(
            h,
            "<div class=\"tile site {class}\"><span class=\"n\">{text}</span><span class=\"l\">Site</span></div>"
        );
    }
    for (label, n, class) in [
        ("Hosts scanned", s.hosts, ""),
        ("Answered", s.answered, ""),
        ("AMT found", s.amt_found, ""),
        ("Ready", count_of("ready"), "ok"),
        ("Not ready", count_of("not ready"), "bad"),
        ("Unknown", count_of("unknown"), "warn"),
    ] {
        let _ = write!(
            h,
            "<div class=\"tile {class}\"><span class=\"n\">{n}</span><span class=\"l\">{label}</span></div>"
        );
    }
    // Only when the inventory named AMT computers, so reports without one
    // look as they did.
    if let Some(inventory) = &s.inventory_amt {
        let class = if inventory.dark > 0 { "bad" } else { "" };
        let _ = write!(
            h,
            "<div class=\"tile {class}\" title=\"{}\"><span class=\"n\">{}</span><span class=\"l\">Dark (inventory says AMT)</span></div>",
            esc(&inventory.line()),
            inventory.dark
        );
    }
    h.push_str("</div><div class=\"charts\">");
    let items = |counts: &[Count],
                 class: &dyn Fn(&str) -> &'static str|
     -> Vec<(String, usize, &'static str)> {
        counts
            .iter()
            .map(|c| (c.name.clone(), c.count, class(&c.name)))
            .collect()
    };
    h.push_str(&bar_chart(
        "chart-verdicts",
        "Verdicts",
        &items(&s.verdicts, &verdict_class),
    ));
    h.push_str(&bar_chart(
        "chart-amt-status",
        "AMT status (as Configuration Manager shows it)",
        &items(&s.amt_status, &amt_status_class),
    ));
    let mut fw: Vec<(String, usize, &str)> = s
        .firmware
        .iter()
        .take(15)
        .map(|c| (c.name.clone(), c.count, "fw"))
        .collect();
    if s.firmware.len() > 15 {
        let rest: usize = s.firmware[15..].iter().map(|c| c.count).sum();
        fw.push((
            format!("{} other versions", s.firmware.len() - 15),
            rest,
            "muted",
        ));
    }
    h.push_str(&bar_chart("chart-firmware", "Firmware versions", &fw));
    let blocking: Vec<(String, usize, &str)> = s
        .top_blocking
        .iter()
        .map(|b| (b.rule.clone(), b.hosts, "bad"))
        .collect();
    h.push_str(&bar_chart(
        "chart-blocking",
        "Most common blocking findings (hosts)",
        &blocking,
    ));
    h.push_str("</div>");
    if !s.top_blocking.is_empty() {
        h.push_str("<table class=\"blocking\"><thead><tr><th>Blocking rule</th><th>Hosts</th><th>Fix</th></tr></thead><tbody>");
        for b in &s.top_blocking {
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td>{}</td></tr>",
                esc(&b.rule),
                b.hosts,
                esc(b.fix.as_deref().unwrap_or(""))
            );
        }
        h.push_str("</tbody></table>");
    }
    if !s.not_checked.is_empty() {
        let list: Vec<String> = s
            .not_checked
            .iter()
            .map(|c| format!("<code>{}</code>", esc(&c.name)))
            .collect();
        let _ = write!(
            h,
            "<details class=\"notchecked\"><summary>{} rules not checked for lack of facts</summary><p>{}</p></details>",
            list.len(),
            list.join(", ")
        );
    }
    h.push_str("</section>");
    h
}

fn host_html(out: &mut String, r: &Row, index: usize) {
    let verdict = verdict_key(r.verdict);
    let _ = write!(
        out,
        "<tbody class=\"host\" data-verdict=\"{verdict}\" data-status=\"{}\">\
         <tr class=\"main\" tabindex=\"0\">",
        r.amt_status.as_str()
    );
    let host = match &r.hostname {
        Some(h) => format!("{}<span class=\"fqdn\">{}</span>", esc(&r.target), esc(h)),
        None => esc(&r.target),
    };
    let version = match (&r.version, r.version_source) {
        (Some(v), Some(FactSource::ServerHeader)) => {
            format!("{} <span class=\"src\">banner</span>", esc(v))
        }
        (Some(v), _) => esc(v),
        (None, _) => "–".to_string(),
    };
    let blocking = r.blocking().count();
    let _ = write!(
        out,
        "<td data-sort=\"{index:08}\">{host}</td>\
         <td data-sort=\"{}\">{version}</td>\
         <td>{}</td><td>{}</td><td>{}</td>\
         <td data-sort=\"{}\"><span class=\"verdict {verdict}\">{}</span>{}</td></tr>",
        esc(&version_sort_key(r.version.as_deref())),
        esc(r.amt_status.label()),
        esc(r.provisioning.as_deref().unwrap_or("–")),
        esc(r.sku.as_deref().unwrap_or("–")),
        match r.verdict {
            Some(Verdict::NotReady) => 0,
            Some(Verdict::Unknown) => 1,
            None => 2,
            Some(Verdict::Ready) => 3,
        },
        r.verdict_label(),
        if blocking > 0 {
            format!(" <span class=\"nb\">{blocking} blocking</span>")
        } else {
            String::new()
        }
    );
    out.push_str("<tr class=\"detail\" hidden><td colspan=\"6\"><div class=\"facts\"><dl>");
    let mut fact = |k: &str, v: &str| {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(v));
    };
    fact("Address", &r.target);
    if let Some(h) = &r.hostname {
        fact("AMT hostname", h);
    }
    if let Some(st) = r.status {
        if st != HostStatus::Ok {
            fact("Read", r.status_label().unwrap_or(""));
        }
    }
    if let Some(e) = &r.error {
        fact("Error", e);
    }
    if let Some(v) = &r.version {
        let src = r.version_source.map(|s| s.as_str()).unwrap_or("unknown");
        fact("AMT version", &format!("{v} (from {src})"));
    }
    fact("AMT status", &r.amt_status.with_value());
    if let Some(p) = &r.provisioning {
        fact("Provisioning", p);
    }
    if let Some(s) = &r.sku {
        fact(
            "SKU",
            &format!("{s} ({})", r.sku_raw.as_deref().unwrap_or("")),
        );
    }
    for (k, v) in &r.details {
        fact(k, v);
    }
    for note in &r.notes {
        fact("Host facts", note);
    }
    if !r.missing.is_empty() {
        fact("Facts missing", &r.missing.join(", "));
    }
    out.push_str("</dl></div>");
    findings_html(out, &r.findings);
    out.push_str("</td></tr></tbody>\n");
}

fn findings_html(out: &mut String, findings: &[RowFinding]) {
    if findings.is_empty() {
        return;
    }
    out.push_str("<ul class=\"findings\">");
    for f in findings {
        let sev = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        let _ = write!(
            out,
            "<li class=\"{sev}\"><span class=\"sev\">{sev}</span> <code>{}</code> {}",
            esc(&f.rule),
            esc(&f.message)
        );
        if let Some(fix) = &f.fix {
            let _ = write!(out, "<div class=\"fix\">Fix: {}</div>", esc(fix));
        }
        let _ = write!(
            out,
            "<div class=\"source\">Source: {}</div></li>",
            esc(&f.source)
        );
    }
    out.push_str("</ul>");
}

/// The site, judged once for every host: its facts and findings, open.
fn site_html(site: &SiteRow) -> String {
    let verdict = verdict_key(site.verdict);
    let mut h = String::new();
    let _ = write!(
        h,
        "<section id=\"site\" data-verdict=\"{verdict}\"><h2>Site <span class=\"verdict {verdict}\">{}</span></h2>\
         <p class=\"hint\">The Configuration Manager site, judged once for every host: a blocking finding here stops the whole rollout.</p>\
         <div class=\"sitebox\"><div class=\"facts\"><dl>",
        site.verdict_label()
    );
    for (k, v) in &site.facts {
        let _ = write!(h, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(v));
    }
    if !site.missing.is_empty() {
        let _ = write!(
            h,
            "<dt>Facts missing</dt><dd>{}</dd>",
            esc(&site.missing.join(", "))
        );
    }
    h.push_str("</dl></div>");
    findings_html(&mut h, &site.findings);
    h.push_str("</div></section>");
    h
}

const STYLE: &str = r#"
:root{--ok:#2e7d32;--bad:#c62828;--warn:#b7791f;--info:#1565c0;--info2:#00838f;--muted:#8a8f98;--fw:#3f51b5;--bg:#f6f7f9;--fg:#1d2330;--line:#dde1e7}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
header{background:#1f2a44;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:20px;font-weight:600}
header p{margin:4px 0 0;color:#c9d1e3;font-size:13px}
main{padding:16px 24px;max-width:1400px;margin:0 auto}
h2{font-size:17px;margin:18px 0 10px}
.partial{background:#fff3cd;border:1px solid #e0c36c;padding:8px 12px;border-radius:6px}
.tiles{display:flex;flex-wrap:wrap;gap:10px}
.tile{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:130px}
.tile .n{display:block;font-size:24px;font-weight:650}
.tile .l{color:#5b6475;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.tile.ok .n{color:var(--ok)}.tile.bad .n{color:var(--bad)}.tile.warn .n{color:var(--warn)}
.charts{display:flex;flex-wrap:wrap;gap:12px;margin-top:12px;align-items:flex-start}
.chart{background:#fff;border:1px solid var(--line);border-radius:8px;margin:0;padding:10px 12px;overflow-x:auto}
.chart figcaption{font-weight:600;margin-bottom:6px}
.chart .label{font-size:12px;fill:#39414f}.chart .count{font-size:12px;fill:#39414f}
.bar.ok{fill:var(--ok)}.bar.bad{fill:var(--bad)}.bar.warn{fill:var(--warn)}.bar.info{fill:var(--info)}.bar.info2{fill:var(--info2)}.bar.muted{fill:var(--muted)}.bar.fw{fill:var(--fw)}
table{border-collapse:collapse;width:100%;background:#fff}
table.blocking{margin-top:12px;border:1px solid var(--line)}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
td.num{text-align:right}
.controls{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:10px 0}
.controls input{flex:1;min-width:240px;padding:7px 10px;border:1px solid #b9c0cc;border-radius:6px;font:inherit}
.controls select{padding:6px;border:1px solid #b9c0cc;border-radius:6px;font:inherit;background:#fff}
#shown{color:#5b6475}
#hosts thead th{position:sticky;top:0;background:#eef1f5;cursor:pointer;user-select:none;white-space:nowrap}
#hosts thead th[aria-sort=ascending]::after{content:" ▲"}#hosts thead th[aria-sort=descending]::after{content:" ▼"}
#hosts tbody.host{content-visibility:auto;contain-intrinsic-size:auto 34px}
#hosts tr.main{cursor:pointer}#hosts tr.main:hover{background:#f2f6fc}
.fqdn{display:block;color:#5b6475;font-size:12px;white-space:nowrap}
.src{color:#8a8f98;font-size:11px}
.verdict{font-weight:600;padding:1px 8px;border-radius:10px;white-space:nowrap}
.verdict.ready{color:var(--ok);background:#e6f4ea}.verdict.not_ready{color:var(--bad);background:#fdecea}.verdict.unknown{color:var(--warn);background:#fff4e0}.verdict.not_judged{color:var(--muted);background:#eef0f3}
.nb{color:var(--bad);font-size:12px;white-space:nowrap}
tr.detail td{background:#fafbfc}
.facts dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:4px 0 8px}
.facts dt{color:#5b6475}.facts dd{margin:0;word-break:break-word}
ul.findings{margin:4px 0 6px;padding-left:18px}
ul.findings li{margin:4px 0}
.sev{font-weight:700;text-transform:uppercase;font-size:11px}
.notice{border-left:4px solid var(--bad);padding:.4em .8em;margin:.5em 0}
li.error .sev{color:var(--bad)}li.warning .sev{color:var(--warn)}li.info .sev{color:var(--info)}
.fix{color:#20523a}.source{color:#5b6475;font-size:12px}
code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12.5px}
.none{color:var(--muted)}
.sitebox{background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px 14px}
#site h2 .verdict{font-size:13px;margin-left:6px}
"#;

const SCRIPT: &str = r#"
(function(){
  'use strict';
  window.addEventListener('error', function(e){ document.documentElement.setAttribute('data-js-error', String(e.message)); });
  var table = document.getElementById('hosts');
  var bodies = Array.prototype.slice.call(table.querySelectorAll('tbody.host'));
  var q = document.getElementById('q'), fv = document.getElementById('fverdict'), fs = document.getElementById('fstatus');
  var shown = document.getElementById('shown');
  var texts = null;
  function index(){ if (!texts) { texts = bodies.map(function(b){ return b.textContent.toLowerCase(); }); } }
  function params(){
    var out = {}; var h = location.hash.replace(/^#/, '');
    h.split('&').forEach(function(p){ if (!p) return; var i = p.indexOf('='); var k = i < 0 ? p : p.slice(0, i); var v = i < 0 ? '' : p.slice(i + 1);
      try { out[decodeURIComponent(k)] = decodeURIComponent(v.replace(/\+/g, ' ')); } catch (e) {} });
    return out;
  }
  function apply(){
    index();
    var words = q.value.toLowerCase().split(/\s+/).filter(Boolean), v = fv.value, s = fs.value, n = 0;
    for (var i = 0; i < bodies.length; i++) {
      var b = bodies[i];
      var ok = (!v || b.getAttribute('data-verdict') === v) && (!s || b.getAttribute('data-status') === s);
      for (var j = 0; ok && j < words.length; j++) { if (texts[i].indexOf(words[j]) < 0) ok = false; }
      b.hidden = !ok; if (ok) n++;
    }
    shown.textContent = 'Showing ' + n + ' of ' + bodies.length + ' hosts';
    document.body.setAttribute('data-visible', String(n));
  }
  function save(){
    var parts = [];
    if (q.value) parts.push('q=' + encodeURIComponent(q.value));
    if (fv.value) parts.push('verdict=' + encodeURIComponent(fv.value));
    if (fs.value) parts.push('status=' + encodeURIComponent(fs.value));
    var h = parts.length ? '#' + parts.join('&') : location.pathname + location.search;
    try { history.replaceState(null, '', h); } catch (e) {}
  }
  function load(){
    var p = params();
    q.value = p.q || ''; fv.value = p.verdict || ''; fs.value = p.status || '';
    apply();
  }
  [q, fv, fs].forEach(function(el){ el.addEventListener('input', function(){ apply(); save(); }); el.addEventListener('change', function(){ apply(); save(); }); });
  window.addEventListener('hashchange', load);
  table.addEventListener('click', function(e){
    var tr = e.target.closest('tr.main'); if (!tr) return;
    var d = tr.nextElementSibling; if (d) d.hidden = !d.hidden;
  });
  table.addEventListener('keydown', function(e){
    if (e.key !== 'Enter' && e.key !== ' ') return;
    var tr = e.target.closest('tr.main'); if (!tr) return;
    e.preventDefault(); var d = tr.nextElementSibling; if (d) d.hidden = !d.hidden;
  });
  var ths = table.querySelectorAll('thead th');
  function sortBy(col, dir){
    var th = ths[col]; if (!th) return;
    Array.prototype.forEach.call(ths, function(o){ o.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
    var keyed = bodies.map(function(b, i){ var td = b.rows[0].cells[col]; var k = td.getAttribute('data-sort'); return [k === null ? td.textContent.toLowerCase() : k, i, b]; });
    keyed.sort(function(a, b){
      if (a[0] === '' && b[0] !== '') return 1;
      if (b[0] === '' && a[0] !== '') return -1;
      return a[0] < b[0] ? -dir : a[0] > b[0] ? dir : a[1] - b[1];
    });
    var frag = document.createDocumentFragment();
    keyed.forEach(function(k){ frag.appendChild(k[2]); });
    table.appendChild(frag);
    bodies = keyed.map(function(k){ return k[2]; }); texts = null;
  }
  Array.prototype.forEach.call(ths, function(th, col){
    th.addEventListener('click', function(){
      sortBy(col, th.getAttribute('aria-sort') === 'ascending' ? -1 : 1);
    });
  });
  var initial = params();
  if (initial.sort) { sortBy(parseInt(initial.sort, 10) || 0, initial.dir === 'desc' ? -1 : 1); }
  load();
  document.documentElement.setAttribute('data-ready', '1');
})();
"#;

impl<W: Write> WriteCollected for HtmlReport<W> {
    fn projector(&self) -> Projector {
        // The page shows every finding's detail, not the table's digest.
        Projector::detailed()
    }

    fn write(&mut self, collected: &Collected, summary: &Summary) -> io::Result<()> {
        let title = esc(&self.options.title);
        write!(
            self.out,
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\
             <title>{title}</title><style>{STYLE}</style></head><body>\
             <header><h1>{title}</h1><p>{} hosts · rules: {} · generated by amtready {}</p></header><main>",
            summary.hosts,
            esc(&self.options.judged_by),
            env!("CARGO_PKG_VERSION"),
        )?;
        for notice in &summary.notices {
            write!(
                self.out,
                "<p class=\"notice\" role=\"alert\"><strong>Notice:</strong> {}</p>",
                esc(notice)
            )?;
        }
        self.out.write_all(summary_html(summary).as_bytes())?;
        if let Some(site) = &collected.site {
            self.out.write_all(site_html(site).as_bytes())?;
        }
        let mut status_opts = String::new();
        for s in AmtStatus::BEST_FIRST {
            let _ = write!(
                status_opts,
                "<option value=\"{}\">{}</option>",
                s.as_str(),
                s.label()
            );
        }
        writeln!(
            self.out,
            "<section id=\"host-list\"><h2>Hosts</h2><div class=\"controls\">\
             <input id=\"q\" type=\"search\" placeholder=\"Filter: address, hostname, version, rule id, words…\" aria-label=\"Filter hosts\">\
             <select id=\"fverdict\" aria-label=\"Verdict\"><option value=\"\">All verdicts</option>\
             <option value=\"not_ready\">Not ready</option><option value=\"unknown\">Unknown</option>\
             <option value=\"ready\">Ready</option><option value=\"not_judged\">Not judged</option></select>\
             <select id=\"fstatus\" aria-label=\"AMT status\"><option value=\"\">All AMT statuses</option>{status_opts}</select>\
             <span id=\"shown\"></span></div>\
             <table id=\"hosts\"><thead><tr><th>Host</th><th>AMT version</th><th>AMT status</th>\
             <th>Provisioning</th><th>SKU</th><th>Verdict</th></tr></thead>"
        )?;
        let mut buf = String::with_capacity(4096);
        for (i, r) in collected.rows.iter().enumerate() {
            buf.clear();
            host_html(&mut buf, r, i);
            self.out.write_all(buf.as_bytes())?;
        }
        writeln!(
            self.out,
            "</table><p class=\"hint\">Click a host for its facts, findings, fixes and rule sources. \
             The filter is kept in the address (#q=…&amp;verdict=…&amp;status=…) so a view can be linked.</p>\
             </section></main><script>{SCRIPT}</script></body></html>"
        )?;
        self.out.flush()
    }
}
