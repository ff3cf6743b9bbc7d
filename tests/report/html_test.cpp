// HTML escaping and the whole page from hand-made data: every section, every text escaped, no
// external reference.
#include "html.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "html_report.hpp"
#include "png_encode.hpp"
#include "text_count.hpp"

namespace signsnet::cli {
namespace {

TEST(Html, EscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(escape_html("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
  EXPECT_EQ(escape_html("plain text 123"), "plain text 123");
  EXPECT_EQ(escape_html(""), "");
}

TEST(Html, FormatsNumbers) {
  EXPECT_EQ(fixed(0.93125, 2), "0.93");
  EXPECT_EQ(fixed(NAN, 2), "-");
  EXPECT_EQ(percent(0.5), "50.00%");
  EXPECT_EQ(percent(INFINITY), "-");
  EXPECT_EQ(tick_text(0.30000000000000004), "0.3");
  EXPECT_EQ(tick_text(1e-17), "0");
}

// Three classes whose names try to inject markup, two epochs, two mistakes.
ReportData sample(bool with_bench) {
  ReportData d;
  d.run_dir = "runs/<b>x</b>";
  d.checkpoint = "runs/x/best.h5";
  d.checkpoint_epoch = 2;
  d.test_source = "test & more.h5";
  d.model = "tiny ResNet";
  d.recipe = "default";
  d.epochs_planned = 2;
  d.batch = 8;
  d.config = {{"optimizer.kind", "<script>alert(1)</script>"}};
  for (int e = 1; e <= 2; ++e) {
    EpochReport r;
    r.epoch = e;
    r.loss = 1.0f / e;
    r.accuracy = 0.4f * e;
    r.val_loss = e == 1 ? -1 : 0.7f;  // no validation figure for epoch 1
    r.val_accuracy = e == 1 ? -1 : 0.6f;
    r.seconds = 1.5;
    d.epochs.push_back(r);
  }
  d.metrics = compute_metrics({0, 1, 2, 0}, {0, 2, 2, 1}, 3);
  d.class_names = {"zero", "<one>", "two\"s"};
  const std::vector<std::uint8_t> pixels(4 * 4 * 3, 128);
  d.misclassified = {{1, 1, 2, 0.9f, 0.05f, png_data_uri(pixels.data(), 4, 4, 3)},
                     {3, 0, 1, 0.6f, 0.3f, png_data_uri(pixels.data(), 4, 4, 3)}};
  d.misclassified_total = 2;
  d.layers = {{"stem.conv", "Conv2D", {16, 8, 8}, 448}};
  d.parameters = {448, 448, 0};
  if (with_bench) {
    BenchResults b;
    b.path = "bench.json";
    b.rows = {{"BM_TrainStep/32", 700, "ms", 45.0, 80.0, ""}};
    b.peak_gflops = 140;
    d.bench = b;
  }
  return d;
}

TEST(HtmlReport, HasEverySectionAndOneImagePerMistake) {
  const std::string html = render_report(sample(true));
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* id :
       {"summary", "curves", "confusion", "per-class", "misclassified", "model", "bench"})
    EXPECT_NE(html.find("<section id=\"" + std::string(id) + "\""), std::string::npos) << id;
  EXPECT_EQ(occurrences(html, "<img "), 2);
  EXPECT_EQ(occurrences(html, "<svg "), 3);
  EXPECT_NE(html.find("data-errors=\"2\""), std::string::npos);
  EXPECT_NE(html.find("predicted two&quot;s (p=0.90)"), std::string::npos);
  EXPECT_NE(html.find("true &lt;one&gt; (p=0.05)"), std::string::npos);
}

TEST(HtmlReport, EscapesEveryTextFromTheInputs) {
  const std::string html = render_report(sample(false));
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_EQ(html.find("<one>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("test &amp; more.h5"), std::string::npos);
  EXPECT_EQ(html.find("<section id=\"bench\""), std::string::npos);
}

TEST(HtmlReport, ReferencesNothingOutsideThePage) {
  const std::string html = render_report(sample(true));
  EXPECT_FALSE(std::regex_search(html, std::regex("(https?|ftp|wss?)://", std::regex::icase)));
  EXPECT_FALSE(std::regex_search(html, std::regex("(src|href)=\"(?!data:|#)")));
  EXPECT_FALSE(std::regex_search(html, std::regex("url\\((?!#)")));
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);  // the browser blocks the rest
}

TEST(HtmlReport, WithoutValidationTheCurvesSayso) {
  ReportData d = sample(false);
  for (EpochReport& e : d.epochs) e.val_loss = e.val_accuracy = -1;
  const std::string section = curves_section(d);
  EXPECT_NE(section.find("no validation split"), std::string::npos);
  EXPECT_EQ(occurrences(section, "<polyline"), 2);
  EXPECT_EQ(section.find(">validation</text>"), std::string::npos);
}

TEST(HtmlReport, SummarySaysWhenTheTestUsedFlips) {
  ReportData d = sample(false);
  EXPECT_EQ(summary_section(d).find("with test-time flips"), std::string::npos);
  d.flip_tta = true;
  EXPECT_NE(summary_section(d).find("with test-time flips"), std::string::npos);
}

TEST(HtmlReport, NoMistakesNoGrid) {
  ReportData d = sample(false);
  d.misclassified.clear();
  d.misclassified_total = 0;
  const std::string section = misclassified_section(d);
  EXPECT_NE(section.find("every test image is classified correctly"), std::string::npos);
  EXPECT_EQ(section.find("<img"), std::string::npos);
}

TEST(HtmlReport, RefusesDataWithoutEpochsOrClassNames) {
  EXPECT_THROW(render_report(ReportData{}), std::invalid_argument);
  ReportData d = sample(false);
  d.class_names.pop_back();
  EXPECT_THROW(render_report(d), std::invalid_argument);
}

}  // namespace
}  // namespace signsnet::cli
