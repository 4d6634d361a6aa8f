// A worker rank of `mpirun -np N gradnet search`: its trials come from the master (rank 0) as MPI
// messages (mpi_protocol.h) and it trains each in-process into the trial's run directory on the
// shared file system; it never opens study.db. MPI is called from this (the main) thread only:
// the heartbeat goes out from the training loop's step callback.
#include <chrono>
#include <csignal>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gradnet/dist.h"
#include "gradnet/error.h"
#include "mpi_protocol.h"
#include "queue.h"
#include "store.h"
#include "trial.h"
#include "trial_source.h"

namespace gradnet::search {
namespace {

using nlohmann::json;

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// How long a worker waits for the master's answer before it gives up on it.
constexpr double reply_timeout_seconds = 600;

class RemoteTrialSource final : public TrialSource {
 public:
  RemoteTrialSource(Communicator& comm, double heartbeat_period, std::atomic<int>* stop_flag)
      : comm_(comm), period_(heartbeat_period), stop_flag_(stop_flag) {}

  Claim next() override {
    const json r = call({{"op", "next"}});
    const std::string kind = r.at("kind");
    if (kind == "wait") return {Claim::wait, {}, ""};
    if (kind == "finished") {
      if (r.value("lost_rank", false)) note_lost_rank();  // a rank died: MPI_Finalize could wait for it
      return {Claim::finished, {}, r.value("why", "")};
    }
    Claim c{Claim::trial, {}, ""};
    c.record.number = r.at("number");
    c.record.stage = r.at("stage");
    c.record.params = params_from_json(r.at("params").get<std::string>(), "the search master's trial");
    c.record.run_dir = r.at("run_dir");
    c.record.attempts = r.at("attempts");
    c.record.state = TrialState::running;
    return c;
  }
  void report(std::int64_t number, std::int64_t epoch, double value) override {
    call({{"op", "report"}, {"number", number}, {"epoch", epoch}, {"value", value}});
  }
  std::vector<double> values_at(int stage, std::int64_t epoch, std::int64_t except) override {
    return call({{"op", "values_at"}, {"stage", stage}, {"epoch", epoch}, {"except", except}})
        .at("values").get<std::vector<double>>();
  }
  bool finish(std::int64_t number, TrialState state, std::optional<double> value,
              const std::string& message) override {
    json request = {{"op", "finish"}, {"number", number}, {"state", to_string(state)}, {"message", message}};
    request["value"] = value ? json(*value) : json(nullptr);
    return call(request).at("owned").get<bool>();
  }
  void release(std::int64_t number, const std::string& message) override {
    call({{"op", "release"}, {"number", number}, {"message", message}});
  }
  void keep_alive(std::int64_t number) override {
    if (auto stop = comm_.receive(0, mpi::tag_stop, 0.0); stop && stop_flag_) {
      const int signal = json::parse(stop->body, nullptr, false).value("signal", SIGTERM);
      stop_flag_->store(signal > 0 ? signal : SIGTERM);
    }
    if (number >= 0 && seconds_now() - last_sent_ >= period_) send({{"op", "beat"}});
  }

  void hello() { call({{"op", "hello"}, {"worker", this_worker_id()}}); }
  void bye(const std::string& error) {
    json m = {{"op", "bye"}};
    if (!error.empty()) m["error"] = error;
    send(m);
  }

 private:
  void send(const json& message) {
    comm_.send(0, mpi::tag_request, message.dump());
    last_sent_ = seconds_now();
  }
  json call(const json& request) {
    send(request);
    const auto reply = comm_.receive(0, mpi::tag_reply, reply_timeout_seconds);
    GRADNET_CHECK(reply.has_value(), runtime, "the search master (rank 0) did not answer '{}' within {:.0f} s",
                  request.at("op").get<std::string>(), reply_timeout_seconds);
    json r = json::parse(reply->body, nullptr, false);
    GRADNET_CHECK(r.is_object(), runtime, "the search master (rank 0) sent a malformed answer to '{}'",
                  request.at("op").get<std::string>());
    if (r.contains("error")) throw Error(ErrorKind::runtime, r["error"].get<std::string>());
    return r;
  }

  Communicator& comm_;
  double period_;
  std::atomic<int>* stop_flag_;
  double last_sent_ = 0;
};

}  // namespace

int run_mpi_worker(const MpiStudy& study, const WorkerOptions& options) {
  const SearchSpec spec = parse_search_spec(study.spec_text, study.spec_path, study.base_config);
  RemoteTrialSource source(world(), mpi::heartbeat_period(spec.heartbeat_timeout), options.signal_flag);
  int rc = 0;
  try {
    source.hello();
    rc = run_trials(source, spec, options, [](std::int64_t) {});
  } catch (const Error& e) {
    source.bye(e.what());
    throw;
  }
  source.bye("");
  return rc;
}

}  // namespace gradnet::search
