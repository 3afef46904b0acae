/// The report's one style sheet, inline: system fonts only (a font file would be a fetch), and
/// colours that stay apart in print and for the common colour-vision deficiencies (the
/// Okabe–Ito palette for the lines; stalls are red *and* outlined).
enum ReportStyle {
    static let css = """
        :root{color-scheme:light;--ink:#1d1f24;--muted:#5b6270;--rule:#d9dce2;--stall:#d1272f}
        *{box-sizing:border-box}
        body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#fff}
        header,main,footer{max-width:1240px;margin:0 auto;padding:0 16px}
        header{padding-top:18px}
        h1{font-size:22px;margin:0 0 4px}
        h2{font-size:18px;margin:28px 0 6px;padding-top:10px;border-top:2px solid var(--rule)}
        h3{font-size:15px;margin:18px 0 4px}
        .lead{color:var(--muted);margin:0 0 10px}
        .empty{font-size:16px;padding:24px;border:1px dashed var(--rule);text-align:center}
        dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0}
        dt{color:var(--muted)}
        dd{margin:0;overflow-wrap:anywhere}
        table{border-collapse:collapse;margin:6px 0;font-size:13px}
        th,td{border-bottom:1px solid var(--rule);padding:3px 10px 3px 0;text-align:left;vertical-align:top;overflow-wrap:anywhere}
        th{color:var(--muted);font-weight:600}
        .note{color:var(--muted);margin:2px 0;font-size:13px}
        .warn{color:#8a1c1c;margin:2px 0;font-size:13px}
        .fig{overflow-x:auto}
        svg{display:block;max-width:100%;height:auto;font-size:11px}
        svg text{fill:var(--ink)}
        .axis line{stroke:#80868f;stroke-width:1}
        .axis text{fill:var(--muted);text-anchor:middle}
        .grid{stroke:#eceef1;stroke-width:1}
        .yl{fill:var(--muted)}
        .row{fill:#f6f7f9}
        .lane{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:10.5px}
        .bl{font-size:9.5px;fill:#111;pointer-events:none}
        .st{fill:var(--stall);fill-opacity:.78;stroke:#7a0d12;stroke-width:.6}
        .many{fill:#9aa0aa}
        .many.st2{fill:#e58a8f;stroke:var(--stall);stroke-width:.8}
        .gap{fill:#ffd84d;fill-opacity:.35}
        .se path{fill:#111}
        .sel{stroke:#111;stroke-width:1.4}
        g:hover>rect{stroke:#111;stroke-width:1}
        .ln{fill:none;stroke-width:1.5;stroke-linejoin:round;stroke-linecap:round}
        .ln.lim{stroke-dasharray:6 4;stroke-width:1.2}
        .s1{stroke:#0072b2}.s2{stroke:#d55e00}.s3{stroke:#009e73}.s4{stroke:#cc79a7}
        .legend{margin:2px 0 6px;font-size:13px}
        .key{display:inline-block;width:18px;height:0;border-top:3px solid;vertical-align:middle;margin:0 5px 0 10px}
        .key.lim{border-top-style:dashed}
        .key.s1{border-color:#0072b2}.key.s2{border-color:#d55e00}.key.s3{border-color:#009e73}.key.s4{border-color:#cc79a7}
        .sw{display:inline-block;width:14px;height:10px;vertical-align:middle;margin:0 5px 0 12px}
        .sw:first-child{margin-left:0}
        .sw-bar{background:hsl(200,55%,62%)}.sw-st{background:var(--stall)}.sw-many{background:#9aa0aa}
        .sw-gap{background:rgba(255,216,77,.55)}.sw-se{width:2px;background:#111}
        footer{margin-top:30px;padding-bottom:30px;color:var(--muted);font-size:13px}
        footer li{margin:3px 0}
        @media print{.fig{overflow:visible}h2{break-before:page}}
        """
}
