// signsnet-cli export: a checkpoint as an ONNX file (batch norm folded in) for ONNX Runtime and
// other ONNX consumers.
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "common.hpp"
#include "errors.hpp"
#include "signsnet/checkpoint.hpp"
#include "signsnet/onnx.hpp"

namespace signsnet::cli {
namespace {

constexpr const char* kExportFooter =
    "The ONNX file (opset 13) takes input 'images': float32 [batch, height, width, 3] (NHWC, as "
    "the SIGNS .h5 files and image libraries hold pixels; --input-layout nchw for [batch, 3, "
    "height, width]), RGB pixels divided by 255 (values in [0, 1]), any batch size. Its output "
    "'probabilities' is float32 [batch, classes], softmax probabilities. Batch norm is folded into "
    "the convolutions with the checkpoint's moving statistics.";

struct ExportFlags {
  std::string checkpoint, onnx, layout = "nhwc";
  std::vector<std::string> class_names;
  std::int64_t max_input_mb = 0;
};

OnnxExportOptions export_options(const ExportFlags& f, const CheckpointState& state) {
  OnnxExportOptions o;
  o.input_layout = f.layout == "nchw" ? ImageLayout::nchw : ImageLayout::nhwc;
  o.class_names = f.class_names;
  o.metadata = {{"epoch", std::to_string(state.epoch)}, {"step", std::to_string(state.step)}};
  return o;
}

int run_export(const ExportFlags& f) {
  const CheckpointLimits limits = input_limits(f.max_input_mb).checkpoint;
  const CheckpointState state =
      as_error<CheckpointError>([&] { return read_checkpoint_state(f.checkpoint, limits); });
  if (!f.class_names.empty() && static_cast<int>(f.class_names.size()) != state.model.classes)
    throw UsageError("--class-names: expected " + std::to_string(state.model.classes) +
                     " names (the checkpoint's classes), got " +
                     std::to_string(f.class_names.size()));
  const Model model = load_model(f.checkpoint, 1, limits);
  const OnnxExportInfo info = export_onnx(model, f.onnx, export_options(f, state));
  std::printf("%s: %.1f MB, %d nodes, %d initializers, opset %d, input images %s float32 / 255\n",
              info.path.c_str(), static_cast<double>(info.bytes) / 1e6, info.nodes,
              info.initializers, info.opset, f.layout == "nchw" ? "NCHW" : "NHWC");
  return kOk;
}

}  // namespace

std::function<int()> add_export_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("export", "Write a checkpoint's network as an ONNX file");
  cmd->footer(kExportFooter);
  auto f = std::make_shared<ExportFlags>();
  cmd->add_option("--checkpoint", f->checkpoint, "Checkpoint (.h5) to export")->required();
  cmd->add_option("--onnx", f->onnx, "The .onnx file to write (via <file>.tmp, then renamed)")
      ->required();
  cmd->add_option("--input-layout", f->layout, "nhwc (default) or nchw")
      ->check(CLI::IsMember({"nhwc", "nchw"}));
  cmd->add_option("--class-names", f->class_names,
                  "Class names stored in the file's metadata (class_names), e.g. 0,1,2,3,4,5")
      ->delimiter(',');
  add_max_input_flag(*cmd, f->max_input_mb);
  return [cmd, f] { return cmd->parsed() ? run_export(*f) : -1; };
}

}  // namespace signsnet::cli
