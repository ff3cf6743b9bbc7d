// The subcommands. Each registers its flags on a CLI11 subcommand and runs after parsing,
// returning the process exit code; failures are thrown (see errors.hpp).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace signsnet::cli {

/// Adds the subcommand to `app`; the returned function runs it once parsing succeeded.
std::function<int()> add_train_command(CLI::App& app);
std::function<int()> add_evaluate_command(CLI::App& app);
std::function<int()> add_predict_command(CLI::App& app);
std::function<int()> add_summary_command(CLI::App& app);
std::function<int()> add_export_command(CLI::App& app);
std::function<int()> add_report_command(CLI::App& app);

}  // namespace signsnet::cli
