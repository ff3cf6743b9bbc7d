#!/usr/bin/env node
// Opens a signsnet-cli report in headless Chromium (Debian's) and checks that it renders as a
// self-contained page: no request other than file: and data:, no console or page error, a
// full-page screenshot that is not blank, and the expected sections and elements.
//
// usage: node report_check.js REPORT.html SCREENSHOT.png [--expect-bench] [--expect-validation]
//        [--chromium /usr/bin/chromium]
// Exit code 0 when every check passes, 1 otherwise (each failure on its own line), 2 on bad usage.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { pathToFileURL } = require('url');
const { chromium } = require('playwright-core');
const { PNG } = require('pngjs');

const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

function parseArgs(argv) {
  const args = { files: [], bench: false, validation: false, chromium: '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; ++i) {
    if (argv[i] === '--expect-bench') args.bench = true;
    else if (argv[i] === '--expect-validation') args.validation = true;
    else if (argv[i] === '--chromium') args.chromium = argv[++i];
    else args.files.push(argv[i]);
  }
  if (args.files.length !== 2) {
    console.error('usage: node report_check.js REPORT.html SCREENSHOT.png [--expect-bench] ' +
                  '[--expect-validation] [--chromium PATH]');
    process.exit(2);
  }
  return { ...args, report: path.resolve(args.files[0]), screenshot: path.resolve(args.files[1]) };
}

// The HTML text itself: no absolute or protocol-relative URL, no script, no CSS url() but to
// a fragment.
function checkSource(html, fail) {
  const external = html.match(/(https?|ftp|wss?):\/\/[^\s"'<>)]*/gi) || [];
  for (const u of external) fail(`source: expected no external URL, got ${u}`);
  if (/\b(src|href)\s*=\s*["']?\/\//i.test(html)) fail('source: expected no protocol-relative URL');
  if (/url\(\s*["']?(?!#)/i.test(html)) fail('source: expected no CSS url() outside the page');
  if (/<script/i.test(html)) fail('source: expected no <script>');
}

// What the DOM holds, collected in the page.
function collectDom() {
  const q = (s) => [...document.querySelectorAll(s)];
  const miss = document.getElementById('misclassified');
  const images = q('#misclassified img');
  return {
    sections: q('section[id]').map((s) => s.id),
    svgs: q('svg').length,
    lineCharts: q('svg.line-chart').length,
    polylines: q('svg.line-chart polyline').length,
    cells: q('svg.heatmap g.cell').map((g) => ({
      row: Number(g.dataset.row), col: Number(g.dataset.col), count: Number(g.dataset.count) })),
    errors: miss ? Number(miss.dataset.errors) : NaN,
    images: images.length,
    brokenImages: images.filter((i) => !i.complete || i.naturalWidth === 0).length,
    nonDataImages: images.filter((i) => !i.getAttribute('src').startsWith('data:image/png;base64,'))
      .length,
    perClassRows: q('#per-class tbody tr').length,
    layerRows: q('#model tbody tr').length,
    benchRows: q('#bench tbody tr').length,
    overflowX: document.documentElement.scrollWidth > window.innerWidth,
  };
}

function checkDom(dom, args, fail) {
  const wanted = ['summary', 'curves', 'confusion', 'per-class', 'misclassified', 'model'];
  if (args.bench) wanted.push('bench');
  for (const id of wanted) if (!dom.sections.includes(id)) fail(`dom: expected section #${id}`);
  if (dom.lineCharts !== 2) fail(`dom: expected 2 line charts, got ${dom.lineCharts}`);
  const lines = args.validation ? 4 : 2;
  if (dom.polylines < lines) fail(`dom: expected ${lines} or more curves, got ${dom.polylines}`);
  if (dom.svgs < 3) fail(`dom: expected 3 or more <svg>, got ${dom.svgs}`);
  const n = Math.round(Math.sqrt(dom.cells.length));
  if (n < 2 || n * n !== dom.cells.length) fail(`dom: expected a square heat map, got ${dom.cells.length} cells`);
  const wrong = dom.cells.filter((c) => c.row !== c.col).reduce((s, c) => s + c.count, 0);
  if (wrong !== dom.errors) fail(`dom: expected data-errors ${wrong} (off-diagonal sum), got ${dom.errors}`);
  if (dom.images !== wrong) fail(`dom: expected ${wrong} misclassified images, got ${dom.images}`);
  if (dom.brokenImages) fail(`dom: expected every image decoded, got ${dom.brokenImages} broken`);
  if (dom.nonDataImages) fail(`dom: expected data: PNG images only, got ${dom.nonDataImages} others`);
  if (dom.perClassRows < n) fail(`dom: expected ${n} or more per-class rows, got ${dom.perClassRows}`);
  if (dom.layerRows < 5) fail(`dom: expected the model's layers, got ${dom.layerRows} rows`);
  if (args.bench && dom.benchRows < 1) fail('dom: expected benchmark rows, got none');
  if (dom.overflowX) fail('dom: expected no horizontal scrolling at 1280 px');
}

// Not blank: many pixels away from the background (the most common color), real text (dark
// pixels) and many distinct colors (photos and charts).
function checkScreenshot(file, fail) {
  const png = PNG.sync.read(fs.readFileSync(file));
  const { data, width, height } = png;
  const counts = new Map();
  for (let i = 0; i < data.length; i += 4) {
    const key = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    counts.set(key, (counts.get(key) || 0) + 1);
  }
  const bg = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
  const quantized = new Set();
  let away = 0;
  let dark = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
    const diff = Math.abs(r - (bg >> 16)) + Math.abs(g - ((bg >> 8) & 255)) + Math.abs(b - (bg & 255));
    if (diff > 24) ++away;
    if (0.299 * r + 0.587 * g + 0.114 * b < 100) ++dark;
    quantized.add(((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3));
  }
  const pixels = width * height;
  const stats = { width, height, background: '#' + bg.toString(16).padStart(6, '0'),
                  awayShare: away / pixels, darkShare: dark / pixels, colors: quantized.size };
  if (height < 1000) fail(`screenshot: expected a full page over 1000 px high, got ${height}`);
  if (stats.awayShare < 0.1) fail(`screenshot: expected 10% of pixels off the background, got ${stats.awayShare}`);
  if (stats.darkShare < 0.005) fail(`screenshot: expected text (0.5% dark pixels), got ${stats.darkShare}`);
  if (stats.colors < 500) fail(`screenshot: expected 500 or more distinct colors, got ${stats.colors}`);
  return stats;
}

async function render(args, fail) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'signsnet-report-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: args.chromium, headless: true, args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 } });
    await context.route('**/*', (route) => {
      const u = route.request().url();
      if (u.startsWith('file:') || u.startsWith('data:')) return route.continue();
      fail(`network: expected no request, got ${u}`);
      return route.abort();
    });
    const page = context.pages()[0] || (await context.newPage());
    page.on('request', (r) => {
      if (!/^(file|data):/.test(r.url())) fail(`network: expected no request, got ${r.url()}`);
    });
    page.on('console', (m) => { if (m.type() === 'error') fail(`console: ${m.text()}`); });
    page.on('pageerror', (e) => fail(`page error: ${e.message}`));
    await page.goto(pathToFileURL(args.report).href, { waitUntil: 'load' });
    const dom = await page.evaluate(collectDom);
    await page.screenshot({ path: args.screenshot, fullPage: true });
    return dom;
  } finally {
    if (context) await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const failures = [];
  const fail = (message) => failures.push(message);
  checkSource(fs.readFileSync(args.report, 'utf8'), fail);
  const dom = await render(args, fail);
  checkDom(dom, args, fail);
  const stats = checkScreenshot(args.screenshot, fail);
  const { cells, ...summary } = dom;
  console.log(JSON.stringify({ report: args.report, screenshot: args.screenshot, ...summary,
                               heatmapCells: cells.length, ...stats }));
  for (const f of failures) console.error(`report_check: FAIL: ${f}`);
  if (failures.length) process.exit(1);
  console.log('report_check: OK');
}

main().catch((e) => {
  console.error(`report_check: FAIL: ${e.stack || e}`);
  process.exit(1);
});
