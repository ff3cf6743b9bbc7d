// The layer table and parameter totals, Keras-style.
#include <iomanip>
#include <sstream>

#include "signsnet/model.hpp"

namespace signsnet {
namespace {

std::string with_commas(std::int64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(i, ",");
  return s;
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

bool belongs_to(const std::string& tensor, const std::string& layer) {
  return tensor.size() > layer.size() && tensor.compare(0, layer.size(), layer) == 0 &&
         tensor[layer.size()] == '.' && tensor.find('.', layer.size() + 1) == std::string::npos;
}

}  // namespace

ParameterCounts Model::parameter_counts() const {
  ParameterCounts c;
  for (const TensorInfo& t : tensors()) (t.trainable ? c.trainable : c.non_trainable) += t.size();
  c.total = c.trainable + c.non_trainable;
  return c;
}

std::vector<LayerInfo> Model::layers() const {
  std::vector<LayerInfo> rows = layer_rows();
  const std::vector<TensorInfo> all = tensors();
  for (LayerInfo& row : rows)
    for (const TensorInfo& t : all)
      if (belongs_to(t.name, row.name)) row.parameters += t.size();
  return rows;
}

std::string Model::summary() const {
  std::ostringstream out;
  const std::string rule(92, '-');
  out << std::left << std::setw(34) << "Layer" << std::setw(18) << "Type" << std::setw(24)
      << "Output shape" << std::right << std::setw(16) << "Param #"
      << "\n"
      << rule << "\n";
  for (const LayerInfo& l : layers())
    out << std::left << std::setw(34) << l.name << std::setw(18) << l.type << std::setw(24)
        << shape_text(l.output_shape) << std::right << std::setw(16) << with_commas(l.parameters)
        << "\n";
  const ParameterCounts c = parameter_counts();
  out << rule << "\nTotal params: " << with_commas(c.total)
      << "\nTrainable params: " << with_commas(c.trainable)
      << "\nNon-trainable params: " << with_commas(c.non_trainable) << "\n";
  return out.str();
}

}  // namespace signsnet
