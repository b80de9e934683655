// `poisonsim train`: pretrain a target model on a data set, report its accuracy, save it.
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pipeline/data/data_source.h"
#include "pipeline/data/splits.h"
#include "pipeline/model/training.h"
#include "sim/util/atomic_output.h"
#include "sim/util/progress.h"
#include "tools/cli/commands.h"
#include "tools/cli/verb_table.h"

namespace poisonsim::cli {
namespace {

struct TrainCommandOptions {
  std::string data_kind = "fashion-mnist";
  std::string data_path;
  std::string model_kind;  // empty: the data set's default (mlp for grey, cnn for colour)
  std::string torchscript_path;
  std::vector<int64_t> hidden{256};
  std::vector<int64_t> conv_channels{32, 64};
  int64_t validation = 5000;
  TrainOptions train{5, 0.1, 32, 0.0, 0.0, 1};
  std::string output = "model.pt";
  bool force = false;
};

void run_train(const TrainCommandOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  // Reserved before training: a second writer of the same file fails now, not after it.
  AtomicOutput model_file(
      o.output, o.force ? AtomicOutput::Existing::replace : AtomicOutput::Existing::refuse);
  o.train.validate("train");
  DataSpec data_spec;
  data_spec.kind = parse_data_kind(o.data_kind, "--data");
  data_spec.path = o.data_path;
  data_spec.synthetic.seed = o.train.seed;
  const auto files = load_data(data_spec);
  const auto parts = split_dataset(files.train, {{"train", -1}, {"validation", o.validation}},
                                   o.train.seed, "--validation");
  const Dataset& train = parts[0];
  const Dataset& validation = parts[1];

  ModelSpec spec = default_model_for(train.shape, train.num_classes);
  if (!o.model_kind.empty()) spec.kind = parse_model_kind(o.model_kind, "--model");
  spec.hidden = o.hidden;
  spec.conv_channels = o.conv_channels;
  spec.torchscript_path = o.torchscript_path;
  auto model = TargetModel::create(spec, o.train.seed);
  spdlog::info("data: {} ({} train, {} validation, {} test, {})", to_string(data_spec.kind),
               train.size(), validation.size(), files.test.size(), train.shape.str());
  spdlog::info("model: {} ({} parameters)", model.spec().describe(), model.parameter_count());

  Progress progress("train", static_cast<double>(o.train.epochs * train.size()), "samples");
  const auto report = train_model(model, train, o.train, &progress);
  progress.finish(fmt::format("{:.0f} samples/s", report.samples_seen / report.seconds));

  const auto on_validation = evaluate(model, validation);
  const auto on_test = evaluate(model, files.test);
  model_file.commit_text(model.serialized());  // every write checked
  fmt::print("validation accuracy {:.4f} (loss {:.4f}) on {} samples\n", on_validation.accuracy,
             on_validation.mean_loss, on_validation.samples);
  fmt::print("test accuracy {:.4f} (loss {:.4f}) on {} samples\n", on_test.accuracy,
             on_test.mean_loss, on_test.samples);
  fmt::print("model written to {}\n", o.output);
}

}  // namespace

void add_train_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<TrainCommandOptions>();
  auto* cmd = app.add_subcommand("train", verb_summary("train"));
  cmd->add_option("--data", o->data_kind, "Data set: fashion-mnist, mnist, cifar10, synthetic")
      ->capture_default_str();
  cmd->add_option("--data-path", o->data_path,
                  "Directory of the data set files (default for fashion-mnist: "
                  "/usr/share/datasets/fashion-mnist)");
  cmd->add_option("--model", o->model_kind,
                  "mlp, cnn or torchscript (default: mlp for grey images, cnn for colour)");
  cmd->add_option("--torchscript", o->torchscript_path,
                  "TorchScript .pt file (--model torchscript)");
  cmd->add_option("--hidden", o->hidden, "Hidden layer widths")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--conv", o->conv_channels, "Conv layer channels (cnn)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--epochs", o->train.epochs, "Passes over the training data")
      ->capture_default_str();
  cmd->add_option("--lr", o->train.learning_rate, "SGD learning rate")->capture_default_str();
  cmd->add_option("--batch", o->train.batch_size, "Mini-batch size")->capture_default_str();
  cmd->add_option("--momentum", o->train.momentum, "SGD momentum")->capture_default_str();
  cmd->add_option("--weight-decay", o->train.weight_decay, "L2 weight decay")
      ->capture_default_str();
  cmd->add_option("--validation", o->validation, "Samples held out of training for validation")
      ->capture_default_str();
  cmd->add_option("--seed", o->train.seed, "Seed of the split, initialisation and shuffling")
      ->capture_default_str();
  cmd->add_option("-o,--output", o->output, "Where to write the model")->capture_default_str();
  cmd->add_flag("--force", o->force, "Replace the model file if it exists");
  cmd->callback([o, &global] { run_train(*o, global); });
}

}  // namespace poisonsim::cli
